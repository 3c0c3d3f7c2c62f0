//! Authentication and limits, against the real server: a shared secret,
//! oversized bodies, too many updates, and a push that cannot be decided in
//! time, refused rather than accepted.

use std::io::Write;
use std::process::Stdio;

use crate::util::{DEV, TestServer, World, git, http, http_with_headers, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

fn with_server_keys(world: &World, keys: &str) {
    let text = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, text.replacen("[server]\n", &format!("[server]\n{keys}\n"), 1)).expect("config");
}

#[test]
fn a_token_is_required_when_configured() {
    let world = World::new();
    let token_file = world.dir.path().join("gate.token");
    std::fs::write(&token_file, "s3cret-token\n").expect("token");
    with_server_keys(&world, "token_file = \"gate.token\"");
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    let body = serde_json::json!({"repository": world.bare.to_string_lossy(), "updates": [{"old": "0".repeat(40), "new": "a".repeat(40), "ref": "refs/heads/x"}]}).to_string();

    assert_eq!(http_with_headers(server.address, "POST", "/v1/pre-receive", "", &body).0, 401);
    assert_eq!(http_with_headers(server.address, "POST", "/v1/pre-receive", "Authorization: Bearer wrong\r\n", &body).0, 401);
    assert_eq!(
        http_with_headers(server.address, "POST", "/v1/pre-receive", "Authorization: Bearer s3cret-token-and-more\r\n", &body).0,
        401
    );
    // Health stays open.
    assert_eq!(http(server.address, "GET", "/healthz", "").0, 200);
    assert_eq!(http(server.address, "GET", "/readyz", "").0, 200);

    // A real push without the token is refused, saying why.
    world.commit(DEV, "Human change\n");
    let refused = world.push("HEAD:refs/heads/main");
    assert!(!refused.accepted);
    assert!(refused.remote.contains("answered 401") && refused.remote.contains("token"), "{}", refused.remote);
    // With the token (from git config), it goes through.
    run_git(&world.bare, &["config", "signoff-gate.tokenFile", &token_file.to_string_lossy()]);
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
}

#[test]
fn oversized_and_overlong_requests_are_refused() {
    let world = World::new();
    with_server_keys(&world, "max_body_bytes = 2048\nmax_updates = 2");
    let server = TestServer::start(&world.config);
    let update = serde_json::json!({"old": "0".repeat(40), "new": "a".repeat(40), "ref": "refs/heads/x"});
    let big = serde_json::json!({"repository": "/x", "updates": [update], "push_options": ["x".repeat(4096)]}).to_string();
    assert_eq!(http(server.address, "POST", "/v1/pre-receive", &big).0, 413);
    let many = serde_json::json!({"repository": "/x", "updates": [update, update, update]}).to_string();
    let (status, body) = http(server.address, "POST", "/v1/pre-receive", &many);
    assert_eq!(status, 400);
    assert!(body.contains("3 ref updates in one push; at most 2 are accepted"), "{body}");
    assert_eq!(http(server.address, "GET", "/healthz", "").0, 200);
}

#[test]
fn a_push_that_cannot_be_decided_in_time_is_refused() {
    let world = World::new();
    with_server_keys(&world, "deadline_seconds = 0.01");
    let server = TestServer::start(&world.config);
    // 5,000 AI-assisted commits on an unprotected branch: far more than can
    // be read and judged in 10 ms.
    let mut script = String::new();
    for n in 1..=5000 {
        let message = format!("Change {n}\n\n{CLAUDE}\n");
        script.push_str(&format!(
            "commit refs/heads/bulk\ncommitter Dev <dev@corp.example> {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + n,
            message.len()
        ));
    }
    let mut import = git(&world.bare).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    import.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("feed");
    assert!(import.wait().expect("fast-import ends").success());
    let tip = run_git(&world.bare, &["rev-parse", "refs/heads/bulk"]).trim().to_owned();

    let body = serde_json::json!({"repository": world.bare.to_string_lossy(), "updates": [{"old": "0".repeat(40), "new": tip, "ref": "refs/heads/main"}]}).to_string();
    let (status, answer) = http(server.address, "POST", "/v1/pre-receive", &body);
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("could not be decided within 0.01 s; it is refused"), "{answer}");
    // The server is fine afterwards.
    assert_eq!(http(server.address, "GET", "/healthz", "").0, 200);
}
