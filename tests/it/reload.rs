//! The roster and configuration change while the server runs: good edits
//! are swapped in, broken ones never replace the last good version, and no
//! request fails meanwhile.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::util::{ALICE, DEV, ROSTER, TestServer, World, http, run_git, spawn_serve};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// Replaces `path` the way vim and `sed -i` save: write a new file, rename it over.
fn save_by_rename(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("toml.swp-new");
    std::fs::write(&temporary, text).expect("write");
    std::fs::rename(&temporary, path).expect("rename");
}

/// `/readyz` as (status, JSON).
fn readyz(address: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let (status, body) = http(address, "GET", "/readyz", "");
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("readyz answers JSON: {body}")))
}

/// Polls `/readyz` until `until` holds, for at most 15 seconds.
fn wait_ready_state(address: std::net::SocketAddr, what: &str, until: impl Fn(u16, &serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = readyz(address);
        if until(status, &body) {
            return body;
        }
        assert!(Instant::now() < deadline, "readyz never showed {what}; last: {status} {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn roster_edits_are_picked_up_and_broken_ones_never_replace_the_good_one() {
    let world = World::trailer();
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    let roster = world.dir.path().join("roster.toml");
    assert_eq!(readyz(server.address).1["generation"], 1);

    // Requests run all along: an approved AI commit on a side branch,
    // decided over and over as if it entered a release branch.
    world.commit(DEV, "Human change\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    run_git(&world.work, &["checkout", "--quiet", "-b", "side"]);
    let approved = world.commit(DEV, &format!("AI change\n\n{CLAUDE}\nApproved-by: {} <{}>\n", ALICE.0, ALICE.1));
    assert!(world.push("HEAD:refs/heads/side").accepted);
    run_git(&world.work, &["checkout", "--quiet", "main"]);
    let body = serde_json::json!({
        "repository": world.bare.to_string_lossy(),
        "updates": [{"old": "0".repeat(40), "new": approved, "ref": "refs/heads/release/1"}],
    })
    .to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let address = server.address;
    let hammer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut answered = 0;
            while !stop.load(Ordering::Relaxed) {
                let (status, answer) = http(address, "POST", "/v1/pre-receive", &body);
                assert_eq!(status, 200, "a request failed during a reload: {answer}");
                assert!(answer.contains("\"accepted\":true") && answer.contains("\"checked\":1"), "{answer}");
                answered += 1;
            }
            answered
        })
    };

    // Mia is mid: her approval does not count yet.
    world.commit(DEV, &format!("Second AI change\n\n{CLAUDE}\nApproved-by: Mia Mid <mia@corp.example>\n"));
    let refused = world.push("HEAD:refs/heads/main");
    assert!(!refused.accepted);
    assert!(refused.remote.contains("approver-level-too-low"), "{}", refused.remote);

    // A good edit (saved by rename): Mia is promoted.
    let promoted = ROSTER.replace("email = \"mia@corp.example\"\nlevel = \"mid\"", "email = \"mia@corp.example\"\nlevel = \"senior\"");
    assert_ne!(promoted, ROSTER);
    save_by_rename(&roster, &promoted);
    let ready = wait_ready_state(address, "generation 2", |status, body| status == 200 && body["generation"] == 2);
    assert_eq!(ready["approvers"], 3);
    assert!(world.push("HEAD:refs/heads/main").accepted, "Mia's approval counts after the reload");

    // A broken edit: readiness flips to 503 with the problem and its place,
    // while pushes are still decided with the last good roster.
    let broken = promoted.replace("level = \"staff\"", "level = \"staf\"").replace("active = false", "acitve = false");
    save_by_rename(&roster, &broken);
    let stale = wait_ready_state(address, "503", |status, _| status == 503);
    let problems = stale["problems"].as_array().expect("problems listed").iter().map(|p| p.as_str().unwrap_or("")).collect::<Vec<_>>();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("roster.toml:") && problems[0].contains("unknown level `staf`"), "{problems:?}");
    assert!(problems[1].contains("unknown key `acitve`"), "{problems:?}");
    assert_eq!(stale["generation"], 2, "the last good version stays in force");
    world.commit(DEV, &format!("Third AI change\n\n{CLAUDE}\nApproved-by: Mia Mid <mia@corp.example>\n"));
    assert!(world.push("HEAD:refs/heads/main").accepted, "the last good roster still decides");

    // Fixed: ready again, with a new generation.
    save_by_rename(&roster, &promoted.replace("Sam Staff", "Sam S. Staff"));
    wait_ready_state(address, "ready again", |status, body| status == 200 && body["generation"] == 3);

    stop.store(true, Ordering::Relaxed);
    let answered = hammer.join().expect("no request failed");
    assert!(answered > 0);
}

#[test]
fn an_edit_in_place_is_picked_up_too() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    let roster = world.dir.path().join("roster.toml");
    // Truncate and rewrite the same file, as editors without rename do.
    std::fs::write(&roster, ROSTER.replace("Dev Eloper", "Dev Eloper Jr")).expect("rewrite");
    wait_ready_state(server.address, "generation 2", |status, body| status == 200 && body["generation"] == 2);
}

#[test]
fn sighup_reloads_the_real_server() {
    let world = World::new();
    let (mut child, address) = spawn_serve(&world, Stdio::null());
    assert_eq!(readyz(address).1["generation"], 1);
    // Nothing changed on disk: only the signal can cause this reload.
    let sent = Command::new("kill").args(["-HUP", &child.id().to_string()]).status().expect("kill");
    assert!(sent.success());
    wait_ready_state(address, "generation 2 after SIGHUP", |status, body| status == 200 && body["generation"] == 2);
    assert!(child.try_wait().expect("status").is_none(), "SIGHUP must not stop the server");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[test]
fn a_tool_added_to_the_config_while_serving_is_detected_without_a_restart() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, "Retry\n\nAcme-Session: 42\n");
    assert!(world.push("HEAD:refs/heads/main").accepted, "not a tool yet");
    let text = std::fs::read_to_string(&world.config).expect("config");
    save_by_rename(&world.config, &format!("{text}\n[[detect.tool]]\nname = \"Acme Assistant\"\ntrailer_keys = [\"Acme-Session\"]\n"));
    wait_ready_state(server.address, "generation 2", |status, body| status == 200 && body["generation"] == 2);
    world.commit(DEV, "Retry again\n\nAcme-Session: 43\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("AI-assisted (Acme Assistant)"), "{}", pushed.remote);
}

/// A roster kept in a git repository: read from its ref, changed by a
/// push (and picked up by the running gate), and a push that would break
/// it is refused by the gate itself.
#[test]
fn a_roster_kept_in_git_reloads_on_push_and_a_broken_one_is_refused() {
    let world = World::trailer();
    // The admins' repository, holding the roster on main.
    let admin = world.root.join("admin.git");
    run_git(&world.root, &["init", "--quiet", "--bare", "--initial-branch=main", "admin.git"]);
    let edit = world.dir.path().join("admin");
    run_git(world.dir.path(), &["clone", "--quiet", admin.to_str().expect("utf-8"), "admin"]);
    run_git(&edit, &["checkout", "--quiet", "-b", "main"]);
    std::fs::write(edit.join("roster.toml"), ROSTER).expect("roster");
    run_git(&edit, &["add", "roster.toml"]);
    run_git(&edit, &["commit", "--quiet", "-m", "The roster"]);
    run_git(&edit, &["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    crate::util::install_hook(&admin);
    let config = std::fs::read_to_string(&world.config).expect("config");
    let source = format!("git:{}#refs/heads/main:roster.toml", admin.display());
    std::fs::write(&world.config, config.replace("roster = \"roster.toml\"", &format!("roster = {source:?}"))).expect("config");
    std::fs::remove_file(world.dir.path().join("roster.toml")).expect("no roster file left");

    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 20);
    run_git(&admin, &["config", "signoff-gate.url", &server.url()]);
    assert_eq!(readyz(server.address).1["engineers"], 5);
    let config_arg = world.config.to_string_lossy().into_owned();
    let (code, stdout, _) = crate::util::signoff_gate(&world.work, &["--config", &config_arg, "roster", "check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with(&format!("{source}: ok: 5 engineers")), "{stdout}");

    // A typo pushed to the roster's ref is refused, with its place.
    std::fs::write(edit.join("roster.toml"), ROSTER.replacen("level = \"mid\"", "level = \"middle\"", 1)).expect("typo");
    run_git(&edit, &["commit", "--quiet", "-am", "Promote Mia"]);
    let pushed =
        crate::util::Pushed::from(crate::util::git(&edit).args(["push", "origin", "HEAD:refs/heads/main"]).output().expect("push"));
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains(
            "refs/heads/main: roster-invalid: the roster this push would put in force does not validate (the running roster stays): git:"
        ) && pushed.remote.contains(":roster.toml:17:9: unknown level `middle`"),
        "{}",
        pushed.remote
    );

    // A good edit goes through, and the running gate picks it up.
    run_git(&edit, &["reset", "--quiet", "--hard", "HEAD~1"]);
    std::fs::write(
        edit.join("roster.toml"),
        format!("{ROSTER}\n[[engineer]]\nname = \"Nia New\"\nemail = \"nia@corp.example\"\nlevel = \"staff\"\n"),
    )
    .expect("edit");
    run_git(&edit, &["commit", "--quiet", "-am", "Add Nia"]);
    let pushed =
        crate::util::Pushed::from(crate::util::git(&edit).args(["push", "origin", "HEAD:refs/heads/main"]).output().expect("push"));
    assert!(pushed.accepted, "{}", pushed.remote);
    let ready = wait_ready_state(server.address, "the pushed roster", |status, body| status == 200 && body["engineers"] == 6);
    assert_eq!(ready["generation"], 2);
    // Deleting the roster's ref is refused too.
    let pushed = crate::util::Pushed::from(crate::util::git(&edit).args(["push", "origin", ":refs/heads/main"]).output().expect("push"));
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("roster-invalid: refs/heads/main holds the roster the gate runs with"), "{}", pushed.remote);
}
