//! `signoff-gate install-hook <repo>…`: puts the shipped pre-receive hook in
//! each repository, keeps an existing hook's content aside, turns on push
//! options (for break-glass) and fsck of pushed objects, and says what it did.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::Failure;
use crate::error_chain;
use crate::git::GitRepo;

/// Arguments of `install-hook`.
#[derive(Debug, clap::Args)]
pub struct InstallHookArgs {
    /// Also set `signoff-gate.url` (e.g. `http://127.0.0.1:8787` or `unix:/run/signoff-gate.sock`).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Also set `signoff-gate.tokenFile`.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// The repositories (their git dirs).
    #[arg(required = true, value_name = "REPO")]
    pub repos: Vec<PathBuf>,
}

/// The hook script this binary ships (`hooks/pre-receive`).
pub const HOOK_SCRIPT: &str = include_str!("../../hooks/pre-receive");
/// The name an existing, different hook is kept under.
const KEPT_SUFFIX: &str = "before-signoff-gate";

/// What to set besides the hook.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// The server URL, stored as `signoff-gate.url`.
    pub url: Option<String>,
    /// The token file, stored as `signoff-gate.tokenFile`.
    pub token_file: Option<PathBuf>,
    /// The server's configuration (`--config`): a repository outside its
    /// `repo_roots` is refused (the gate would answer its pushes with 403).
    pub config: Option<PathBuf>,
}

/// The cargo target folder that holds `binary`, if it is in one. Cargo marks
/// each profile folder it builds into (`debug/`, `release/`, …) with
/// `.fingerprint/` and `.cargo-lock`, wherever `CARGO_TARGET_DIR` puts it.
fn cargo_target_folder(binary: &Path) -> Option<&Path> {
    binary.ancestors().skip(1).find(|dir| dir.join(".fingerprint").is_dir() && dir.join(".cargo-lock").is_file()).and_then(Path::parent)
}

/// Installs into every repository, going on after a failure; exit 1 when
/// any repository failed.
pub fn run(repos: &[PathBuf], options: &InstallOptions) -> Result<ExitCode, Failure> {
    let binary = std::env::current_exe()
        .and_then(|path| path.canonicalize())
        .map_err(Failure::io("cannot tell where this signoff-gate binary is"))?;
    if let Some(target) = cargo_target_folder(&binary) {
        // The checkout to install from, when the folder is its `target/`.
        let checkout = target
            .parent()
            .filter(|project| project.join("Cargo.toml").is_file())
            .map_or_else(|| "<your checkout>".to_owned(), |project| project.display().to_string());
        eprintln!(
            "signoff-gate: warning: the hooks will run {}, inside the cargo target folder {}: a `cargo clean` or a rebuild there breaks every push; \
             install the binary first (cargo install --path {checkout} , or copy it to /usr/local/bin) and run install-hook from there",
            binary.display(),
            target.display(),
        );
    }
    let roots = match &options.config {
        Some(config) => {
            let config = crate::config::Config::load(config)?;
            Some((crate::git::canonical_roots(&config.server.repo_roots), config.server.repo_roots))
        }
        None => None,
    };
    let mut stdout = std::io::stdout().lock();
    let mut failed = 0;
    for repo in repos {
        let outside = roots.as_ref().filter(|(canonical, _)| {
            let path = repo.canonicalize().unwrap_or_else(|_| repo.clone());
            !canonical.iter().any(|root| path.starts_with(root))
        });
        if let Some((_, configured)) = outside {
            failed += 1;
            let list: Vec<String> = configured.iter().map(|root| root.display().to_string()).collect();
            eprintln!(
                "signoff-gate: {}: not installed: it is outside the configuration's repo_roots ({}), so the gate would refuse every push to it (403); add its folder to repo_roots",
                repo.display(),
                if list.is_empty() { "none".to_owned() } else { list.join(", ") }
            );
            continue;
        }
        match install(repo, &binary, options) {
            Ok(done) => {
                for line in done {
                    let _ = writeln!(stdout, "{}: {line}", repo.display());
                }
            }
            Err(error) => {
                failed += 1;
                eprintln!("signoff-gate: {}: not installed: {}", repo.display(), error_chain(&error));
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Installs into one repository; returns what was done, one line each.
fn install(repo: &Path, binary: &Path, options: &InstallOptions) -> Result<Vec<String>, Failure> {
    let git = GitRepo::open_exact(repo)?;
    let hooks = git.hooks_dir()?;
    std::fs::create_dir_all(&hooks).map_err(Failure::io(format!("cannot create {}", hooks.display())))?;
    let hook = hooks.join("pre-receive");
    let mut done = Vec::new();

    match std::fs::read(&hook) {
        Ok(existing) if existing == HOOK_SCRIPT.as_bytes() => done.push(format!("{} is already the signoff-gate hook", hook.display())),
        Ok(_) => {
            let kept = free_name(&hooks.join(format!("pre-receive.{KEPT_SUFFIX}")));
            std::fs::rename(&hook, &kept).map_err(Failure::io(format!("cannot move the existing {} aside", hook.display())))?;
            done.push(format!(
                "kept the existing pre-receive hook as {}; it no longer runs (call it from a hook of your own to chain both)",
                kept.display()
            ));
            write_hook(&hooks, &hook)?;
            done.push(format!("installed {}", hook.display()));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            write_hook(&hooks, &hook)?;
            done.push(format!("installed {}", hook.display()));
        }
        Err(error) => return Err(Failure::io(format!("cannot read {}", hook.display()))(error)),
    }

    // fsck refuses objects git and the gate could read differently (an
    // author line with two addresses, two author lines) before the hook runs.
    let mut settings = vec![
        ("receive.advertisePushOptions", "true".to_owned()),
        ("receive.fsckObjects", "true".to_owned()),
        ("signoff-gate.bin", binary.display().to_string()),
    ];
    if let Some(url) = &options.url {
        settings.push(("signoff-gate.url", url.clone()));
    }
    if let Some(token_file) = &options.token_file {
        settings.push(("signoff-gate.tokenFile", token_file.display().to_string()));
    }
    for (key, value) in settings {
        git.set_local_config(key, &value)?;
        done.push(format!("set {key} = {value}"));
    }
    Ok(done)
}

/// Writes the hook next to its place and renames it in, so a push arriving
/// meanwhile runs either the old hook or the whole new one.
fn write_hook(hooks: &Path, hook: &Path) -> Result<(), Failure> {
    let cannot = || Failure::io(format!("cannot write {}", hook.display()));
    let mut file = tempfile::Builder::new().prefix(".pre-receive.").tempfile_in(hooks).map_err(cannot())?;
    file.write_all(HOOK_SCRIPT.as_bytes()).map_err(cannot())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o755)).map_err(cannot())?;
    }
    file.persist(hook).map_err(|error| cannot()(error.error))?;
    Ok(())
}

/// `path`, or `path.1`, `path.2`, … : the first that does not exist.
fn free_name(path: &Path) -> PathBuf {
    let mut candidate = path.to_owned();
    let mut n = 0;
    while candidate.symlink_metadata().is_ok() {
        n += 1;
        candidate = PathBuf::from(format!("{}.{n}", path.display()));
    }
    candidate
}
