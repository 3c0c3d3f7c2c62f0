//! The hook deciding in its own process (`signoff-gate.mode = local`), with
//! real pushes: the same text as the server, GitHub Enterprise Server's
//! environment (its pusher variable, push options, a 5-second budget), the
//! audit line, and failing closed when it cannot decide.

use crate::util::{DEV, Pushed, ROSTER, TestServer, World, git, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// Points the bare repository's hook at the configuration, in local mode.
fn local(world: &World) {
    run_git(&world.bare, &["config", "signoff-gate.mode", "local"]);
    run_git(&world.bare, &["config", "signoff-gate.config", world.config.to_str().expect("utf-8")]);
}

fn push_with(world: &World, env: &[(&str, &str)], options: &[&str]) -> Pushed {
    let mut command = git(&world.work);
    command.arg("push");
    for option in options {
        command.args(["-o", option]);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    Pushed::from(command.args(["origin", "HEAD:refs/heads/main"]).output().expect("git push"))
}

#[test]
fn the_in_process_hook_answers_as_the_server_does() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 20);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, &format!("Add retries\n\n{CLAUDE}\n"));
    let by_server = world.push("HEAD:refs/heads/main");
    assert!(!by_server.accepted);
    server.stop();

    // The server is gone; the hook decides by itself, with the same words.
    local(&world);
    let by_hook = world.push("HEAD:refs/heads/main");
    assert!(!by_hook.accepted, "{}", by_hook.stderr);
    assert!(by_hook.remote.starts_with("signoff-gate: push refused: 1 AI-assisted commit needs a sign-off"), "{}", by_hook.remote);
    assert_eq!(by_hook.remote, by_server.remote);

    // A human commit goes through.
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    world.commit(DEV, "Fix a typo\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
}

#[test]
fn under_github_enterprise_server_variables_with_a_five_second_budget() {
    let world = World::new();
    let roster = ROSTER.replacen("level = \"senior\"\n", "level = \"senior\"\nlogins = [\"alice\"]\nbreak_glass = true\n", 1);
    std::fs::write(world.dir.path().join("roster.toml"), roster).expect("roster");
    let config = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, config.replace("[server]\n", "[server]\naudit_log = \"audit.jsonl\"\n")).expect("config");
    local(&world);
    run_git(&world.bare, &["config", "receive.advertisePushOptions", "true"]);
    world.commit(DEV, "Initial commit\n");
    // What GHES sets for a pre-receive hook (GITHUB_USER_LOGIN names the pusher).
    let ghes = [
        ("GITHUB_USER_LOGIN", "alice"),
        ("GITHUB_REPO_NAME", "platform/deploy"),
        ("GITHUB_REPO_PUBLIC", "false"),
        ("GITHUB_VIA", "git push"),
        ("SIGNOFF_GATE_TIMEOUT", "5"),
    ];
    assert!(push_with(&world, &ghes, &[]).accepted);
    let id = world.commit(DEV, &format!("Hotfix\n\n{CLAUDE}\n"));
    let refused = push_with(&world, &ghes, &[]);
    assert!(!refused.accepted);
    let broken = push_with(&world, &ghes, &["signoff-gate.break-glass=prod is down"]);
    assert!(broken.accepted, "{}", broken.remote);
    assert!(broken.remote.contains("signoff-gate: used by Alice Senior, reason \"prod is down\""), "{}", broken.remote);

    // The same audit line the server writes, one per decision.
    let text = std::fs::read_to_string(world.dir.path().join("audit.jsonl")).expect("audit log");
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[1]["outcome"], "refused");
    assert_eq!(lines[2]["outcome"], "break-glass");
    assert_eq!(lines[2]["pusher"]["source"], "GITHUB_USER_LOGIN");
    assert_eq!(lines[2]["pusher"]["name"], "alice");
    assert_eq!(lines[2]["commits"][0]["id"], id.as_str());
    assert!(lines[2]["request_id"].as_str().is_some_and(|id| id.starts_with("local-")), "{}", lines[2]);
    // Each hook is its own process run: records stay unique across runs.
    assert!(lines[1]["process"].is_string() && lines[1]["process"] != lines[2]["process"], "{text}");
}

#[test]
fn without_repo_roots_the_repository_itself_is_the_root() {
    let world = World::new();
    let config = std::fs::read_to_string(&world.config).expect("config");
    let config: String = config.lines().filter(|line| !line.starts_with("repo_roots")).map(|line| format!("{line}\n")).collect();
    std::fs::write(&world.config, config).expect("config");
    local(&world);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
}

#[test]
fn the_in_process_hook_fails_closed() {
    let world = World::new();
    world.commit(DEV, "Initial commit\n");
    // Local mode without a configuration: refused, saying what to set.
    run_git(&world.bare, &["config", "signoff-gate.mode", "local"]);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("no configuration is named: set git config signoff-gate.config"), "{}", pushed.remote);
    // A configuration that does not load: refused, naming the problem.
    std::fs::write(&world.config, "[policy]\nmode = \"audit\"\n").expect("config");
    run_git(&world.bare, &["config", "signoff-gate.config", world.config.to_str().expect("utf-8")]);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("`mode` = \"audit\" is not a mode"), "{}", pushed.remote);
    // An unknown mode: refused.
    run_git(&world.bare, &["config", "signoff-gate.mode", "nearby"]);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("signoff-gate.mode is \"nearby\""), "{}", pushed.remote);
}
