//! The command line: `check`, `roster check`, `serve` and `demo`, run as the
//! real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{ALICE, BIN, DEV, World, git, http, run_git, signoff_gate, spawn_serve};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// A history of five commits: human, approved AI, unapproved AI (Codex),
/// human named Claude (not AI), declared non-AI.
fn history(world: &World) -> Vec<String> {
    vec![
        world.commit(DEV, "Initial commit\n"),
        world.commit(DEV, &format!("Approved AI change\n\n{CLAUDE}\nApproved-by: Alice Senior <alice@corp.example>\n")),
        world.commit(DEV, "Unapproved AI change\n\nCo-authored-by: Codex <noreply@openai.com>\n"),
        world.commit(
            ("Claude Dubois", "claude@corp.example"),
            "A person named Claude\n\nCo-authored-by: Jules Verne <jules@corp.example>\n",
        ),
        world.commit(ALICE, "Declared\n\nAI-Assisted: no\n"),
    ]
}

#[test]
fn check_json_flags_exactly_the_ai_commits() {
    let world = World::trailer();
    let ids = history(&world);
    let config = world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "check", "--format", "json", "HEAD"]);
    assert_eq!(code, 1, "one commit is refused: {stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let commits = json["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 5);
    let verdict = |id: &str| commits.iter().find(|c| c["sha"] == id).map(|c| c["verdict"].as_str().unwrap_or("").to_owned());
    assert_eq!(verdict(&ids[0]).as_deref(), Some("not-ai"));
    assert_eq!(verdict(&ids[1]).as_deref(), Some("approved"));
    assert_eq!(verdict(&ids[2]).as_deref(), Some("rejected"));
    assert_eq!(verdict(&ids[3]).as_deref(), Some("not-ai"));
    assert_eq!(verdict(&ids[4]).as_deref(), Some("not-ai"));
    let rejected = commits.iter().find(|c| c["sha"] == ids[2].as_str()).expect("rejected commit");
    assert_eq!(rejected["ai_assisted"], true);
    assert_eq!(rejected["markers"][0]["tool"], "OpenAI Codex");
    assert_eq!(rejected["markers"][0]["evidence"], "Co-authored-by: Codex <noreply@openai.com>");
    assert_eq!(rejected["reasons"][0]["code"], "ai-unapproved");
    let approved = commits.iter().find(|c| c["sha"] == ids[1].as_str()).expect("approved commit");
    assert_eq!(approved["approvals"][0]["approver"], "Alice Senior");
    assert_eq!(approved["approvals"][0]["valid"], true);
    assert_eq!(json["summary"], serde_json::json!({"commits": 5, "ai_assisted": 2, "approved": 1, "rejected": 1, "not_ai": 3}));
}

#[test]
fn check_text_and_ranges() {
    let world = World::trailer();
    let ids = history(&world);
    let config = world.config.to_string_lossy().into_owned();
    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "check", "HEAD"]);
    assert_eq!(code, 1);
    assert!(stdout.contains(&format!("  {} Unapproved AI change\n", &ids[2][..12])), "{stdout}");
    assert!(stdout.ends_with("signoff-gate: checked 5 commits: 2 AI-assisted, 1 approved, 1 refused\n"), "{stdout}");

    let range = format!("{}..HEAD", ids[2]);
    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "check", &range]);
    assert_eq!(code, 0, "the refused commit is outside the range: {stdout}");
    assert_eq!(stdout, "signoff-gate: checked 2 commits: 0 AI-assisted, 0 approved, 0 refused\n");

    let excluded = format!("^{}", ids[1]);
    let (code, stdout, _) =
        signoff_gate(world.dir.path(), &["--config", &config, "check", "--repo", &world.work.to_string_lossy(), "HEAD", &excluded]);
    assert_eq!(
        (code, stdout.lines().last()),
        (1, Some("signoff-gate: checked 3 commits: 1 AI-assisted, 0 approved, 1 refused")),
        "{stdout}"
    );

    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "check", "--format", "json", "no-such-rev"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "", "no half a JSON document on an error");
    assert!(stderr.contains("revision `no-such-rev`: unknown revision: not a branch, tag or commit of this repository"), "{stderr}");
    let (code, _, stderr) = signoff_gate(&world.work, &["--config", &config, "check", "HEAD^{tree}"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("revision `HEAD^{tree}`: names a tree or a blob, not a commit"), "{stderr}");
}

#[test]
fn check_agrees_with_gits_trailers_on_this_history() {
    // The markers `check` reports as trailers are exactly trailers git reads.
    let world = World::new();
    history(&world);
    let config = world.config.to_string_lossy().into_owned();
    let (_, stdout, _) = signoff_gate(&world.work, &["--config", &config, "check", "--format", "json", "HEAD"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    for commit in json["commits"].as_array().expect("commits") {
        let sha = commit["sha"].as_str().expect("sha");
        let gits = run_git(&world.work, &["log", "-1", "--format=%(trailers:only,unfold)", sha]);
        for marker in commit["markers"].as_array().expect("markers") {
            let evidence = marker["evidence"].as_str().expect("evidence");
            if evidence.contains(": ") && !evidence.starts_with("author:") && !evidence.starts_with("committer:") {
                assert!(gits.lines().any(|line| line == evidence), "{evidence:?} not among git's trailers {gits:?}");
            }
        }
    }
}

#[test]
fn roster_check_reports_every_mistake_with_its_place() {
    let world = World::new();
    let roster = world.dir.path().join("broken-roster.toml");
    std::fs::write(
        &roster,
        r#"levels = ["junior", "mid", "senior", "staff", "principal"]

[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
level = "senior"
actve = false

[[engineer]]
name = "Sam Staff"
email = "ALICE@corp.example"
level = "staff"

[[engineer]]
name = "Mia Mid"
email = "mia@corp.example"
level = "middle"
"#,
    )
    .expect("write roster");
    let config = world.config.to_string_lossy().into_owned();
    let path = roster.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "roster", "check", &path]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "{path}:7:1: unknown key `actve` in [[engineer]]; expected one of `name`, `email`, `aliases`, `level`, `active`, `logins`, `break_glass`, `signing_keys`\n\
             {path}:11:9: email `ALICE@corp.example` is already used on line 5; each address must belong to one engineer\n\
             {path}:17:9: unknown level `middle`; the roster's levels are: junior, mid, senior, staff, principal\n"
        )
    );
    assert!(stderr.contains("3 problems"), "{stderr}");

    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "roster", "check"]);
    assert_eq!(code, 0);
    assert!(stdout.ends_with("roster.toml: ok: 5 engineers, 2 can approve (active, level senior or above)\n"), "{stdout}");
}

#[test]
fn the_config_path_comes_from_flag_then_environment_then_default() {
    let world = World::new();
    let config = world.config.to_string_lossy().into_owned();
    let output =
        Command::new(BIN).current_dir(&world.work).args(["roster", "check"]).env("SIGNOFF_GATE_CONFIG", &config).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (code, _, stderr) = signoff_gate(&world.work, &["roster", "check"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no signoff-gate configuration found"), "{stderr}");
    // The shipped example is valid.
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/signoff-gate.toml");
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", shipped, "roster", "check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(": ok: "), "{stdout}");
    // The shipped roster lists no keys (its example is commented out): say so.
    assert!(
        stdout.contains("warning: 1 can approve but has no signing_keys, so that engineer cannot sign an approval: Alice Example"),
        "{stdout}"
    );
}

#[test]
fn check_finds_the_repositorys_policy_and_says_where_to_name_one() {
    let world = World::new();
    world.commit(DEV, "Initial commit\n");
    world.commit(DEV, "AI change\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n");
    // Nothing anywhere: every way to name one, in order.
    let (code, _, stderr) = signoff_gate(&world.work, &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    let dotfile = world.work.join(".signoff-gate.toml");
    assert!(
        stderr.contains(&format!(
            "no signoff-gate configuration found (looked in {}, {}); name one, in this order of precedence:\n  --config PATH\n  SIGNOFF_GATE_CONFIG=PATH\n  git config signoff-gate.config PATH   (in the repository checked)\n  .signoff-gate.toml at the repository's root\n  config/signoff-gate.toml in the current folder",
            dotfile.display(),
            world.work.join("config/signoff-gate.toml").display()
        )),
        "{stderr}"
    );
    // `serve` started from the wrong folder gets the same help.
    let (code, _, stderr) = signoff_gate(&world.work, &["serve"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no signoff-gate configuration found"), "{stderr}");

    // A `.signoff-gate.toml` at the repository's root, found from a folder below it.
    let config = std::fs::read_to_string(&world.config).expect("config");
    let roster = world.dir.path().join("roster.toml");
    std::fs::write(&dotfile, config.replace("roster = \"roster.toml\"", &format!("roster = {:?}", roster.display().to_string())))
        .expect("dotfile");
    std::fs::create_dir_all(world.work.join("src/deep")).expect("mkdir");
    let (code, stdout, stderr) = signoff_gate(&world.work.join("src/deep"), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("ai-unapproved"), "{stdout}");

    // git config signoff-gate.config comes before it.
    std::fs::write(&dotfile, "[policy]\nmode = \"audit\"\n").expect("broken dotfile");
    run_git(&world.work, &["config", "signoff-gate.config", world.config.to_str().expect("utf-8")]);
    let (code, stdout, stderr) = signoff_gate(&world.work, &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("ai-unapproved"), "{stdout}");
    run_git(&world.work, &["config", "--unset", "signoff-gate.config"]);
    let (code, _, stderr) = signoff_gate(&world.work, &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(stderr.contains(".signoff-gate.toml:2:8: `mode` = \"audit\" is not a mode"), "{stderr}");
}

#[test]
fn serve_answers_health_and_pushes_then_stops_on_sigterm() {
    let world = World::new();
    let (mut child, address) = spawn_serve(&world, Stdio::piped());

    let (status, body) = http(address, "GET", "/readyz", "");
    assert_eq!(status, 200);
    let ready: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(ready["engineers"], 5);
    assert_eq!(ready["approvers"], 2);
    assert_eq!(ready["approvals"], "signed");
    assert_eq!(ready["approvers_with_keys"], 2, "Alice and Sam have keys in the test roster");
    assert!(ready.get("warning").is_none(), "{body}");

    world.connect(&format!("http://{address}"), 10);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("serve exits");
    assert!(status.success(), "serve exits 0 on SIGTERM: {status:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut log).expect("log");
    assert!(log.contains("push decided"), "{log}");
    // Logs to a pipe (a file, journald) carry no colour codes.
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

#[test]
fn trailer_mode_is_announced_at_start_and_in_readyz() {
    let world = World::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let mut child = crate::util::serve_command(&world, &format!("127.0.0.1:{port}"), "", "approvals = \"trailer\"")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    crate::util::wait_healthy(address);
    let (status, body) = http(address, "GET", "/readyz", "");
    assert_eq!(status, 200);
    let ready: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(ready["approvals"], "trailer");
    assert!(ready["warning"].as_str().is_some_and(|w| w.contains("anyone can type one")), "{body}");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    assert!(child.wait().expect("serve exits").success());
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut log).expect("log");
    assert!(log.contains("WARN") && log.contains("anyone can type one"), "{log}");
}

#[test]
fn serve_refuses_a_config_without_repo_roots() {
    let world = World::new();
    let config = world.dir.path().join("no-roots.toml");
    std::fs::write(&config, "[server]\nroster = \"roster.toml\"\n").expect("config");
    let (code, _, stderr) = signoff_gate(&world.work, &["serve", "--config", &config.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`server.repo_roots` is empty"), "{stderr}");
}

#[test]
fn demo_shows_a_forged_approval_refused_and_a_signed_one_accepted() {
    let mut child = Command::new(BIN)
        .arg("demo")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    let mut transcript = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut scratch = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        transcript.push_str(&line);
        transcript.push('\n');
        if let Some(path) = line.strip_prefix("Scratch repositories stay in ") {
            scratch = path.split(" (").next().map(std::path::PathBuf::from);
            break;
        }
    }
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("demo exits");
    let outcomes: Vec<&str> = transcript.lines().filter_map(|l| l.trim().strip_prefix("=> ")).collect();
    assert_eq!(outcomes, ["accepted", "refused", "refused", "accepted", "accepted"], "{transcript}");
    assert!(transcript.contains("approval-unsigned: \"Approved-by: Alice Example <alice@example.com>\" is not signed"), "{transcript}");
    assert!(transcript.contains("signoff-gate: made a signed merge of origin/review/retry approving 1 commit"), "{transcript}");
    assert!(transcript.contains("remote: signoff-gate: push refused: 1 AI-assisted commit"), "{transcript}");
    assert!(status.success(), "demo exits 0 on Ctrl-C: {status:?}");
    let scratch = scratch.expect("the demo names its scratch folder");
    // Its audit log, as the demo says to read it: a page with charts of the
    // pushes it made (the browser test in report.rs renders such pages).
    let command = transcript.lines().find_map(|l| l.trim().strip_prefix("signoff-gate report ")).expect("the report command");
    assert_eq!(command, format!("--audit-log {} --format html > report.html", scratch.join("audit.jsonl").display()));
    let (code, html, stderr) = signoff_gate(&scratch, &["report", "--audit-log", "audit.jsonl", "--format", "html"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"), "{html}");
    assert!(html.contains("Alice Example"), "the approver of the demo's signed merge: {html}");
    // Opened in a real browser: a page with its charts.
    let test = "demo_shows_a_forged_approval_refused_and_a_signed_one_accepted";
    if let Some(chromium) = crate::report::chromium(test) {
        let page = scratch.join("report.html");
        std::fs::write(&page, &html).expect("page");
        let dom = crate::report::headless(&chromium, &page, &["--dump-dom"]);
        let approvers = dom.split("<svg class=\"chart approvers\"").nth(1).and_then(|s| s.split("</svg>").next()).expect("approver chart");
        // Alice approved the two-line AI commit Dana pushed, by her signed merge.
        assert_eq!(crate::report::data_values(approvers, "<rect class=\"bar\""), ["2"], "{dom}");
        let refusals = dom.split("<svg class=\"chart refusals\"").nth(1).and_then(|s| s.split("</svg>").next()).expect("refusal chart");
        // The unapproved push, and the one with a typed approval.
        assert_eq!(crate::report::data_values(refusals, "<rect class=\"bar\""), ["1", "1"], "{dom}");
        assert_eq!(dom.matches("<circle class=\"point").count(), 2, "one week: its commit share and its line share");
    }
    let _ = std::fs::remove_dir_all(scratch);
}

#[cfg(unix)]
#[test]
fn the_shipped_hook_is_an_executable_sh_script() {
    use std::os::unix::fs::PermissionsExt;
    let hook = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive");
    let text = std::fs::read_to_string(&hook).expect("hooks/pre-receive exists");
    assert!(text.starts_with("#!/bin/sh\n"));
    assert_eq!(std::fs::metadata(&hook).expect("metadata").permissions().mode() & 0o111, 0o111, "hooks/pre-receive must be executable");
    let syntax = Command::new("sh").arg("-n").arg(&hook).status().expect("sh runs");
    assert!(syntax.success(), "hooks/pre-receive is valid sh");
}

#[test]
fn roster_list_shows_who_can_approve() {
    let world = World::new();
    let config = world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "roster", "list"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "header, five engineers, summary: {stdout}");
    assert!(lines[0].starts_with("NAME") && lines[0].contains("APPROVES"), "{stdout}");
    let row = |name: &str| lines.iter().find(|l| l.starts_with(name)).copied().unwrap_or_else(|| panic!("{name} listed: {stdout}"));
    let alice: Vec<&str> = row("Alice Senior").split_whitespace().collect();
    assert!(alice[..alice.len() - 1].ends_with(&["senior", "yes", "yes", "no"]), "{stdout}");
    assert!(alice[alice.len() - 1].starts_with("SHA256:"), "{stdout}");
    assert!(row("Mia Mid").split_whitespace().collect::<Vec<_>>().ends_with(&["mid", "yes", "no", "no", "-"]), "{stdout}");
    assert!(row("Olga Former").split_whitespace().collect::<Vec<_>>().ends_with(&["principal", "no", "no", "no", "-"]), "{stdout}");
    assert!(lines[6].ends_with("5 engineers; approvals need an active engineer of level senior or above"), "{stdout}");

    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "roster", "list", "--approvers"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    let names: Vec<&str> = lines[1..lines.len() - 1].iter().filter_map(|l| l.split("  ").next()).collect();
    assert_eq!(names, ["Alice Senior", "Sam Staff"], "{stdout}");
    assert!(lines[lines.len() - 1].contains(": 2 approvers;"), "{stdout}");
}

/// A reader that stops reading (`| head -c 1`) ends the command with exit
/// 2 and nothing on stderr: no panic report, no "internal error".
#[test]
fn a_closed_stdout_is_not_reported_as_a_bug() {
    let world = World::new();
    let mut roster = String::new();
    for n in 0..2_000 {
        roster.push_str(&format!("[[engineer]]\nname = \"Engineer {n}\"\nemail = \"e{n}@corp.example\"\nlevel = \"mid\"\n\n"));
    }
    let path = world.dir.path().join("big-roster.toml");
    std::fs::write(&path, roster).expect("roster");
    let config = world.config.to_string_lossy().into_owned();
    let script = format!(
        "{BIN} --config '{config}' roster list '{}' 2>stderr.txt | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        path.display()
    );
    let output = Command::new("bash").current_dir(world.dir.path()).args(["-c", &script]).output().expect("bash");
    let stderr = std::fs::read_to_string(world.dir.path().join("stderr.txt")).expect("stderr");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "2", "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
}

#[test]
fn messages_are_read_in_the_encoding_the_commit_declares() {
    let world = World::new();
    let commit_with = |encoding: &str, date: &str, message: &[u8]| {
        let file = world.dir.path().join("encoded-message.txt");
        std::fs::write(&file, message).expect("message");
        let output = crate::util::git(&world.work)
            .args(["-c", &format!("i18n.commitEncoding={encoding}"), "commit", "--quiet", "--allow-empty", "-F"])
            .arg(&file)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("git commit");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        run_git(&world.work, &["rev-parse", "HEAD"]).trim().to_owned()
    };
    // Latin-1: git shows "Café" and the marker; so do we.
    let latin1 = commit_with("ISO-8859-1", "2026-01-01T00:00:00Z", b"Caf\xe9\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n");
    // UTF-7: git decodes `+AEA-` to `@`, showing a Claude marker that the raw bytes hide.
    let utf7 = commit_with("UTF-7", "2026-01-01T00:01:00-0100", b"Fix\n\nCo-Authored-By: Claude <noreply+AEA-anthropic.com>\n");
    let shown = run_git(&world.work, &["log", "-1", "--format=%(trailers:only,unfold)", &utf7]);
    let config = world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "check", "--format", "json", "HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let commits = document["commits"].as_array().expect("commits");
    let by_sha = |sha: &str| commits.iter().find(|c| c["sha"] == sha).unwrap_or_else(|| panic!("{sha} listed: {stdout}"));
    assert_eq!(by_sha(&latin1)["subject"], "Café");
    assert_eq!(by_sha(&latin1)["markers"][0]["tool"], "Claude Code");
    // Whatever git makes of it on this machine, we refuse rather than judge other text than git shows.
    assert_eq!(by_sha(&utf7)["verdict"], "rejected", "git shows: {shown}");
    assert_eq!(by_sha(&utf7)["reasons"][0]["code"], "unreadable-message");
}

#[test]
fn check_reads_a_long_history_completely_and_in_walk_order() {
    // Long enough to be read by worker threads, with merges, and every
    // seventh commit AI-assisted without approval.
    let world = World::new();
    let mut stream = String::new();
    let commits = 1000;
    for k in 1..=commits {
        let branch = if k % 25 == 24 { "refs/heads/side" } else { "refs/heads/main" };
        let message = if k % 7 == 0 { format!("Change {k}\n\n{CLAUDE}\n") } else { format!("Change {k}\n") };
        stream.push_str(&format!(
            "commit {branch}\nmark :{k}\ncommitter Dev Eloper <dev@corp.example> {} +0000\ndata {}\n{message}",
            1_700_000_000 + k,
            message.len()
        ));
        if k > 1 {
            let parent = if k % 25 == 24 {
                k - 1
            } else if k % 25 == 0 {
                k - 2
            } else {
                k - 1
            };
            stream.push_str(&format!("from :{parent}\n"));
            if k % 25 == 0 {
                stream.push_str(&format!("merge :{}\n", k - 1));
            }
        }
        stream.push('\n');
    }
    let mut import = git(&world.bare).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    std::io::Write::write_all(&mut import.stdin.take().expect("stdin"), stream.as_bytes()).expect("stream");
    assert!(import.wait().expect("fast-import").success());

    let (code, stdout, stderr) =
        signoff_gate(&world.bare, &["--config", &world.config.to_string_lossy(), "check", "--format", "json", "main"]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let ours: Vec<String> =
        report["commits"].as_array().expect("commits").iter().map(|c| c["sha"].as_str().expect("sha").to_owned()).collect();

    // The same walk, by git itself.
    let expected: Vec<String> = run_git(&world.bare, &["rev-list", "main"]).lines().map(str::to_owned).collect();
    assert_eq!(ours.len(), commits);
    assert_eq!(ours, expected, "every commit, in walk order");
    let refused = (1..=commits).filter(|k| k % 7 == 0).count();
    assert_eq!(report["summary"]["rejected"], refused);
}

#[test]
fn install_hook_and_roster_check_say_what_would_break_later() {
    let world = World::new();
    let config = world.config.to_string_lossy().into_owned();
    // A repository outside the configuration's repo_roots: refused, saying why.
    let elsewhere = world.dir.path().join("elsewhere.git");
    run_git(world.dir.path(), &["init", "--quiet", "--bare", "elsewhere.git"]);
    let (code, _, stderr) = signoff_gate(&world.work, &["--config", &config, "install-hook", elsewhere.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not installed: it is outside the configuration's repo_roots"), "{stderr}");
    assert!(!elsewhere.join("hooks/pre-receive").exists());
    // Inside: installed. This test binary lives in a cargo target folder: warned.
    let (code, stdout, stderr) = signoff_gate(&world.work, &["--config", &config, "install-hook", world.bare.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("pre-receive"), "{stdout}");
    assert!(
        stderr.contains("inside the cargo target folder ") && stderr.contains("a `cargo clean` or a rebuild there breaks every push"),
        "{stderr}"
    );

    // roster check fails where serve would: an audit log it cannot write.
    let text = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, text.replace("[server]\n", "[server]\naudit_log = \"no/such/folder/audit.jsonl\"\n")).expect("config");
    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "roster", "check"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("server.audit_log: cannot append to") && stdout.contains("serve would not start"), "{stdout}");
    std::fs::create_dir_all(world.dir.path().join("no/such/folder")).expect("mkdir");
    let (code, stdout, _) = signoff_gate(&world.work, &["--config", &config, "roster", "check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!world.dir.path().join("no/such/folder/audit.jsonl").exists(), "roster check creates nothing");
}
