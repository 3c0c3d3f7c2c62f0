//! Real pushes through the real hook to the real server.

use std::time::{Duration, Instant};

use crate::util::{ALICE, DEV, TestServer, World, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

fn world_with_server() -> (World, TestServer) {
    serve_world(World::new())
}

/// A world whose gate takes plain `Approved-by:` trailers.
fn trailer_world_with_server() -> (World, TestServer) {
    serve_world(World::trailer())
}

fn serve_world(world: World) -> (World, TestServer) {
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    (world, server)
}

/// A base commit on main, pushed, so later pushes are updates.
fn seed(world: &World) -> String {
    let id = world.commit(DEV, "Initial commit\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "seed push refused: {}", pushed.stderr);
    id
}

#[test]
fn a_human_commit_to_main_is_accepted() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(DEV, "Fix the build\n\nSigned-off-by: Dev Eloper <dev@corp.example>\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.stderr);
    assert_eq!(pushed.remote, "", "a plain push gets no gate output");
}

#[test]
fn an_unapproved_claude_commit_is_refused_with_the_fix() {
    let (world, _server) = world_with_server();
    seed(&world);
    let id = world.commit(DEV, &format!("Retry deploys on timeout\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains(&id[..12]), "{}", pushed.remote);
    assert!(pushed.stderr.contains("pre-receive hook declined"), "{}", pushed.stderr);
    insta::assert_snapshot!(pushed.remote);
    assert_eq!(run_git(&world.bare, &["rev-parse", "main"]).trim(), run_git(&world.work, &["rev-parse", "HEAD~1"]).trim());
}

#[test]
fn a_senior_approval_lets_it_through() {
    let (world, _server) = trailer_world_with_server();
    seed(&world);
    let id = world.commit(DEV, &format!("Retry deploys on timeout\n\n{CLAUDE}\nApproved-by: Alice Senior <alice@corp.example>\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.stderr);
    assert_eq!(pushed.remote, format!("signoff-gate: ok: 1 AI-assisted commit signed off ({} by Alice Senior)", &id[..12]));
    assert_eq!(run_git(&world.bare, &["rev-parse", "main"]).trim(), id);
}

#[test]
fn the_fix_the_gate_prints_works() {
    let (world, _server) = trailer_world_with_server();
    seed(&world);
    world.commit(DEV, &format!("Retry deploys on timeout\n\n{CLAUDE}\n"));
    assert!(!world.push("HEAD:refs/heads/main").accepted);
    // What the refusal told us to run, with Alice's name filled in.
    run_git(&world.work, &["commit", "--amend", "--no-edit", "--trailer", "Approved-by: Alice Senior <alice@corp.example>"]);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn the_rebase_fix_for_several_commits_works() {
    let (world, _server) = trailer_world_with_server();
    seed(&world);
    world.commit(DEV, &format!("First AI change\n\n{CLAUDE}\n"));
    world.commit(DEV, "A human change\n");
    world.commit(DEV, "Second AI change\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    let rebase = pushed.remote.lines().find(|l| l.trim_start().starts_with("git rebase")).expect("a rebase command").trim().to_owned();
    let rebase = rebase.replace("Name <email>", "Alice Senior <alice@corp.example>");
    let shell = crate::util::sh(&world.work, &rebase)
        .env("GIT_COMMITTER_NAME", ALICE.0)
        .env("GIT_COMMITTER_EMAIL", ALICE.1)
        .output()
        .expect("sh runs");
    assert!(shell.status.success(), "{rebase}: {}", String::from_utf8_lossy(&shell.stderr));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn a_mid_level_approval_is_refused() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\nApproved-by: Mia Mid <mia@corp.example>\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains(
            "approver-level-too-low: \"Approved-by: Mia Mid <mia@corp.example>\": Mia Mid is mid; approvals need senior or above"
        ),
        "{}",
        pushed.remote
    );
}

#[test]
fn self_approval_is_refused() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(ALICE, &format!("Retry deploys\n\n{CLAUDE}\nApproved-by: Alice Senior <alice@corp.example>\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("self-approval:"), "{}", pushed.remote);
    assert!(pushed.remote.contains("Alice Senior is an author of this commit"), "{}", pushed.remote);
}

#[test]
fn an_aider_author_is_refused() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(("Dev Eloper (aider)", "dev@corp.example"), "Refactor the parser\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("AI-assisted (Aider): author: Dev Eloper (aider) <dev@corp.example>"), "{}", pushed.remote);
}

#[test]
fn an_unprotected_branch_is_free_until_it_reaches_main() {
    let (world, _server) = world_with_server();
    seed(&world);
    let id = world.commit(DEV, &format!("Experiment\n\n{CLAUDE}\n"));
    let feature = world.push("HEAD:refs/heads/feature/experiment");
    assert!(feature.accepted, "{}", feature.stderr);
    assert_eq!(feature.remote, "");
    let main = world.push("HEAD:refs/heads/main");
    assert!(!main.accepted, "the commit already on a feature branch is checked when it enters main");
    assert!(main.remote.contains(&id[..12]), "{}", main.remote);
}

#[test]
fn a_new_release_branch_off_main_checks_nothing_old() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(DEV, "Human work\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    // An unapproved AI commit that reached main before the gate (here: by a
    // push to a branch that was not protected, then protected) is history;
    // a new protected branch from main does not re-walk it.
    let pushed = world.push("HEAD:refs/heads/release/1.0");
    assert!(pushed.accepted, "{}", pushed.stderr);
    // A new protected branch that brings an AI commit is checked.
    world.commit(DEV, &format!("AI on release\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/release/2.0");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("refs/heads/release/2.0: 1 of 1 new commit refused"), "{}", pushed.remote);
}

#[test]
fn deleting_main_is_refused() {
    let (world, _server) = world_with_server();
    seed(&world);
    let pushed = world.push(":refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("protected-ref-deletion: refs/heads/main is protected and cannot be deleted"), "{}", pushed.remote);
    // Unprotected branches may be deleted.
    assert!(world.push("HEAD:refs/heads/topic").accepted);
    assert!(world.push(":refs/heads/topic").accepted);
}

#[test]
fn a_push_is_all_or_nothing() {
    let (world, _server) = world_with_server();
    seed(&world);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let output =
        crate::util::git(&world.work).args(["push", "origin", "HEAD:refs/heads/topic", "HEAD:refs/heads/main"]).output().expect("push");
    assert!(!output.status.success());
    let refs = run_git(&world.bare, &["for-each-ref", "--format=%(refname)"]);
    assert!(!refs.contains("refs/heads/topic"), "pre-receive refuses the whole push: {refs}");
}

#[test]
fn a_stopped_server_refuses_the_push() {
    let (world, server) = world_with_server();
    seed(&world);
    server.stop();
    world.commit(DEV, "Human change while the gate is down\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("signoff-gate: push refused: could not reach the signoff-gate server at http://127.0.0.1:"),
        "{}",
        pushed.remote
    );
    assert!(pushed.remote.contains("the gate fails closed"), "{}", pushed.remote);
}

#[test]
fn a_server_that_never_answers_is_given_up_on_within_the_bound() {
    let world = World::new();
    // Accepts connections (the kernel does, via the backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    world.connect(&format!("http://{}", silent.local_addr().expect("address")), 1);
    world.commit(DEV, "Human change\n");
    let started = Instant::now();
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("no answer within 1 s"), "{}", pushed.remote);
    // Behaviour, not speed: without the bound the push would hang forever.
    assert!(started.elapsed() < Duration::from_secs(60));
    drop(silent);
}

#[test]
fn a_missing_client_binary_refuses_the_push() {
    let world = World::new();
    run_git(&world.bare, &["config", "signoff-gate.bin", "/nonexistent/signoff-gate"]);
    world.commit(DEV, "Human change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("the gate client '/nonexistent/signoff-gate' is not installed"), "{}", pushed.remote);
}
