//! Declaration mode: every new commit on a protected ref carries a tool's
//! marker or declares AI use either way; and the commit-msg hook that asks
//! for it at commit time.

use std::process::Command;

use crate::util::{BIN, DEV, TestServer, World, git, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

fn declaring_world() -> (World, TestServer) {
    let world = World::with_config("require_declaration = true\napprovals = \"trailer\"");
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    world.commit(DEV, "Initial commit\n\nAI-Assisted: no\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    (world, server)
}

#[test]
fn declared_commits_pass_and_undeclared_ones_are_refused() {
    let (world, _server) = declaring_world();
    // Declared "no": accepted.
    world.commit(DEV, "Fix the build\n\nAI-Assisted: no\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    // Declared "yes": AI-assisted, so it needs a sign-off.
    world.commit(DEV, "Retry deploys\n\nAI-Assisted: yes\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    world.commit(DEV, "Retry deploys\n\nAI-Assisted: Copilot\nApproved-by: Alice Senior <alice@corp.example>\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    // A marker with "no" is still AI-assisted: "no" never clears a marker.
    world.commit(DEV, &format!("Retry more\n\nAI-Assisted: no\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    // Neither: refused, saying how to declare.
    world.commit(DEV, "Tidy the scripts\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    insta::assert_snapshot!(pushed.remote);
}

#[test]
fn without_declaration_mode_silence_is_fine() {
    let world = World::trailer();
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    world.commit(DEV, "Tidy the scripts\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
}

#[test]
fn the_commit_msg_hook_asks_for_a_declaration_at_commit_time() {
    let world = World::new();
    let output = Command::new(BIN).arg("install-commit-hook").arg(&world.work).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("installed"), "{}", String::from_utf8_lossy(&output.stdout));
    std::fs::write(world.work.join("a.txt"), "a\n").expect("write");
    run_git(&world.work, &["add", "a.txt"]);

    let commit = |args: &[&str]| git(&world.work).arg("commit").arg("--quiet").args(args).output().expect("git commit");
    let undeclared = commit(&["-m", "Add a"]);
    assert!(!undeclared.status.success());
    let stderr = String::from_utf8_lossy(&undeclared.stderr);
    assert!(stderr.contains("does not say whether AI helped write it") && stderr.contains("AI-Assisted: no"), "{stderr}");
    // Nothing was written for the developer.
    assert!(run_git(&world.work, &["status", "--porcelain"]).contains("A  a.txt"));

    assert!(commit(&["-m", "Add a", "--trailer", "AI-Assisted: no"]).status.success());
    std::fs::write(world.work.join("b.txt"), "b\n").expect("write");
    run_git(&world.work, &["add", "b.txt"]);
    assert!(commit(&["-m", &format!("Add b\n\n{CLAUDE}")]).status.success(), "a tool's marker is a declaration");
    std::fs::write(world.work.join("c.txt"), "c\n").expect("write");
    run_git(&world.work, &["add", "c.txt"]);
    assert!(commit(&["-m", "Add c\n\n# AI-Assisted: no"]).status.code() != Some(0), "a comment declares nothing");
}
