//! `signoff-gate demo`: starts the service in this process, makes a scratch
//! bare repository with the real hook installed and SSH keys for its
//! roster, and shows real pushes: a human commit accepted, an AI-assisted
//! one refused, a typed (forged) approval refused, and the same commit
//! accepted after the senior signs an approving merge with her key. Then it
//! keeps serving until Ctrl-C so the reader can try their own.

use std::path::Path;
use std::process::{Command, ExitCode, Output};

use crate::cmd::Failure;
use crate::cmd::serve::shutdown_signal;
use crate::service::live::LiveGate;
use crate::service::server::{self, AppState};

/// The hook script, as shipped in `hooks/pre-receive`.
pub const HOOK_SCRIPT: &str = include_str!("../../hooks/pre-receive");

/// The roster, given each engineer's public key line.
fn roster(alice_key: &str, bob_key: &str) -> String {
    format!(
        r#"levels = ["junior", "mid", "senior", "staff", "principal"]

[[engineer]]
name = "Alice Example"
email = "alice@example.com"
level = "senior"
signing_keys = ["{alice_key}"]

[[engineer]]
name = "Bob Example"
email = "bob@example.com"
level = "mid"
signing_keys = ["{bob_key}"]

[[engineer]]
name = "Dana Developer"
email = "dana@example.com"
level = "junior"
"#
    )
}

/// Makes an ed25519 key pair without a passphrase; returns the public key line.
fn keygen(file: &Path, comment: &str) -> Result<String, Failure> {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(file)
        .output()
        .map_err(Failure::io("cannot run ssh-keygen (is OpenSSH installed?)"))?;
    if !output.status.success() {
        return Err(Failure::Demo(format!("ssh-keygen failed: {}", String::from_utf8_lossy(&output.stderr).trim())));
    }
    let public = std::fs::read_to_string(file.with_extension("pub")).map_err(Failure::io("cannot read the new public key"))?;
    Ok(public.trim().to_owned())
}

/// Runs the demo; fails if a push does not end as the demo says it should.
pub fn run() -> Result<ExitCode, Failure> {
    let scratch =
        tempfile::Builder::new().prefix("signoff-gate-demo-").tempdir().map_err(Failure::io("cannot make a scratch folder"))?.keep();
    let scratch = scratch.canonicalize().unwrap_or(scratch);
    let config_file = scratch.join("signoff-gate.toml");
    let keys = scratch.join("keys");
    std::fs::create_dir_all(&keys).map_err(Failure::io("cannot make the keys folder"))?;
    let alice = keygen(&keys.join("alice"), "alice@example.com")?;
    let bob = keygen(&keys.join("bob"), "bob@example.com")?;
    write(&scratch.join("roster.toml"), &roster(&alice, &bob))?;
    write(
        &config_file,
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\naudit_log = \"audit.jsonl\"\n",
            scratch.display().to_string()
        ),
    )?;
    let state = AppState::new(LiveGate::load(&config_file)?)?;

    let runtime = tokio::runtime::Runtime::new().map_err(Failure::io("cannot start the async runtime"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(Failure::io("cannot listen on 127.0.0.1"))?;
        let address = listener.local_addr().map_err(Failure::io("cannot read the listening address"))?;
        let url = format!("http://{address}");
        let server = tokio::spawn(server::run(listener, state, shutdown_signal()));

        let script_scratch = scratch.clone();
        let script_url = url.clone();
        tokio::task::spawn_blocking(move || script(&script_scratch, &script_url))
            .await
            .map_err(|error| Failure::Demo(format!("the demo script failed: {error}")))??;

        println!("\nThe gate keeps serving at {url} until Ctrl-C. Try your own pushes:");
        println!("  cd {}", scratch.join("work").display());
        println!("  git commit --allow-empty -m 'Try it' --trailer 'Co-authored-by: Cursor <cursoragent@cursor.com>'");
        println!("  git push origin main");
        let audit = scratch.join("audit.jsonl");
        println!("Every decision is in the audit log; as an accountability report (open report.html in a browser):");
        println!("  signoff-gate report --audit-log {} --format html > report.html", audit.display());
        println!("Scratch repositories stay in {} (delete it when done).", scratch.display());
        match server.await {
            Ok(result) => result.map_err(Failure::io("the server failed"))?,
            Err(error) => return Err(Failure::Demo(format!("the server task failed: {error}"))),
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(Failure::io(format!("cannot write {}", path.display())))
}

/// The scripted pushes, run with real git against the bare repository.
fn script(scratch: &Path, url: &str) -> Result<(), Failure> {
    let bare = scratch.join("origin.git");
    let work = scratch.join("work");
    let reviewer = scratch.join("alice");
    let exe = std::env::current_exe().map_err(Failure::io("cannot find the signoff-gate binary"))?;

    println!("signoff-gate demo");
    println!("  gate:     {url} (running in this process)");
    println!("  bare:     {} (hooks/pre-receive installed)", bare.display());
    println!("  clones:   {} (Dana, junior), {} (Alice, senior)", work.display(), reviewer.display());
    println!("  roster:   Alice Example is senior, Bob Example is mid, each with an SSH key in {}", scratch.join("keys").display());

    git(scratch, &["init", "--quiet", "--bare", "--initial-branch=main", "origin.git"])?;
    let hook = bare.join("hooks").join("pre-receive");
    write(&hook, HOOK_SCRIPT)?;
    make_executable(&hook)?;
    git(&bare, &["config", "signoff-gate.url", url])?;
    git(&bare, &["config", "signoff-gate.bin", &exe.to_string_lossy()])?;
    git(scratch, &["clone", "--quiet", "origin.git", "work"])?;
    git(&work, &["checkout", "--quiet", "-b", "main"])?;

    step("1. A human commit pushed to main");
    write(&work.join("README.md"), "# service\n")?;
    git(&work, &["add", "README.md"])?;
    git(&work, &["commit", "--quiet", "-m", "Add the service skeleton"])?;
    show_push(&work, "main", true)?;

    step("2. An AI-assisted commit (Claude Code) pushed to main without approval");
    write(&work.join("deploy.sh"), "#!/bin/sh\nfor i in 1 2 3; do ./push-release && break; done\n")?;
    git(&work, &["add", "deploy.sh"])?;
    git(&work, &["commit", "--quiet", "-m", "Retry deploys on timeout", "--trailer", "Co-Authored-By: Claude <noreply@anthropic.com>"])?;
    show_push(&work, "main", false)?;

    step("3. Dana types Alice's approval herself: anyone can type a trailer, so it does not count");
    println!("   $ git commit --amend --no-edit --trailer \"Approved-by: Alice Example <alice@example.com>\"");
    git(&work, &["commit", "--quiet", "--amend", "--no-edit", "--trailer", "Approved-by: Alice Example <alice@example.com>"])?;
    show_push(&work, "main", false)?;

    step("4. Dana pushes her branch for review (review branches are not protected)");
    show_push(&work, "HEAD:refs/heads/review/retry", true)?;

    step("5. Alice reviews it and approves the branch with one merge, signed with her SSH key");
    git(scratch, &["clone", "--quiet", "origin.git", "alice"])?;
    git(&reviewer, &["config", "user.name", "Alice Example"])?;
    git(&reviewer, &["config", "user.email", "alice@example.com"])?;
    git(&reviewer, &["config", "user.signingkey", &scratch.join("keys").join("alice").to_string_lossy()])?;
    git(&reviewer, &["switch", "--quiet", "--detach", "origin/main"])?;
    println!("   $ signoff-gate approve --merge origin/review/retry");
    let config = scratch.join("signoff-gate.toml");
    let approved = Command::new(&exe)
        .current_dir(&reviewer)
        .arg("--config")
        .arg(&config)
        .args(["approve", "--yes", "--merge", "origin/review/retry"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .output()
        .map_err(Failure::io("cannot run signoff-gate approve"))?;
    for line in String::from_utf8_lossy(&approved.stdout).lines().chain(String::from_utf8_lossy(&approved.stderr).lines()) {
        println!("   {line}");
    }
    if !approved.status.success() {
        return Err(Failure::Demo("signoff-gate approve failed".into()));
    }
    show_push(&reviewer, "HEAD:main", true)?;
    Ok(())
}

fn step(title: &str) {
    println!("\n{title}");
}

fn show_push(work: &Path, refspec: &str, expect_accepted: bool) -> Result<(), Failure> {
    println!("   $ git push origin {refspec}");
    let output = git_output(work, &["push", "origin", refspec])?;
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("   {line}");
    }
    let accepted = output.status.success();
    println!("   => {}", if accepted { "accepted" } else { "refused" });
    if accepted != expect_accepted {
        return Err(Failure::Demo(format!(
            "expected the push to be {}, but it was {}",
            if expect_accepted { "accepted" } else { "refused" },
            if accepted { "accepted" } else { "refused" }
        )));
    }
    Ok(())
}

/// git with a hermetic configuration and fixed identities, so the demo runs
/// the same on every machine.
fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Dana Developer")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Dana Developer")
        .env("GIT_COMMITTER_EMAIL", "dana@example.com")
        .env_remove("SIGNOFF_GATE_URL")
        .env_remove("SIGNOFF_GATE_BIN");
    command
}

fn git_output(dir: &Path, args: &[&str]) -> Result<Output, Failure> {
    git_command(dir, args).output().map_err(Failure::io("cannot run git (is it installed?)"))
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Failure> {
    let output = git_output(dir, args)?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Failure::Demo(format!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim())))
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(Failure::io(format!("cannot make {} executable", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), Failure> {
    Ok(())
}
