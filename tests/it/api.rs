//! The HTTP API: bad input gets a clear 4xx, nothing outside the roots is
//! opened, and the server keeps serving.

use crate::util::{DEV, TestServer, World, http, run_git};

fn request(repository: &str, old: &str, new: &str, refname: &str) -> String {
    serde_json::json!({
        "repository": repository,
        "updates": [{"old": old, "new": new, "ref": refname}],
    })
    .to_string()
}

const ZERO: &str = "0000000000000000000000000000000000000000";

fn post(server: &TestServer, body: &str) -> (u16, String) {
    let (status, body) = http(server.address, "POST", "/v1/pre-receive", body);
    let error = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["error"].as_str().map(str::to_owned)).unwrap_or(body);
    (status, error)
}

#[test]
fn bad_requests_get_specific_4xx_answers() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    let head = world.commit(DEV, "Initial\n");
    let bare = world.bare.to_string_lossy().into_owned();
    let id = "a".repeat(40);

    let outside = tempfile::tempdir().expect("tempdir");
    run_git(outside.path(), &["init", "--quiet", "--bare", "elsewhere.git"]);
    let elsewhere = outside.path().join("elsewhere.git");
    let link = world.root.join("link.git");
    std::os::unix::fs::symlink(&elsewhere, &link).expect("symlink");
    let not_a_repo = world.root.join("plain-folder");
    std::fs::create_dir(&not_a_repo).expect("folder");

    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".to_owned(), 400, "Failed to parse the request body as JSON"),
        ("{\"repository\": \"/x\"}".to_owned(), 400, "missing field `updates`"),
        ("{\"repository\": \"/x\", \"updates\": [], \"extra\": 1}".to_owned(), 400, "unknown field `extra`"),
        (request("relative/path", ZERO, &id, "refs/heads/main"), 400, "must be an absolute path"),
        (serde_json::json!({"repository": bare, "updates": []}).to_string(), 400, "`updates` is empty"),
        (request(&bare, ZERO, "xyz", "refs/heads/main"), 400, "is not a full hex object id"),
        (request(&bare, ZERO, &id, "refs/heads/bad..name"), 400, "is not a valid ref name"),
        (request(&bare, ZERO, &id, "refs/heads/main"), 400, "is not in the repository"),
        (request(&bare, &id, &head, "refs/heads/main"), 400, "is not in the repository"),
        (request(&bare, ZERO, &head, "main"), 400, "is not a valid ref name"),
        ("\"main\"".to_owned(), 400, "invalid type: string \"main\", expected struct PreReceiveRequest"),
        ("{\"repository\": 5, \"updates\": []}".to_owned(), 400, "invalid type: integer `5`, expected a string"),
        (format!("{{\"repository\": {bare:?}, \"updates\": [{{\"old\": \"{ZERO}\", \"new\": \"{id}\"}}]}}"), 400, "missing field `ref`"),
        (request(&format!("{}/origin.git\u{0}", world.root.display()), ZERO, &id, "refs/heads/main"), 404, "does not exist"),
        (request(&bare, ZERO, &id.to_uppercase().replace('A', "G"), "refs/heads/main"), 400, "is not a full hex object id"),
        (request(&elsewhere.to_string_lossy(), ZERO, &id, "refs/heads/main"), 403, "is outside the configured repo_roots"),
        (request(&link.to_string_lossy(), ZERO, &id, "refs/heads/main"), 403, "is outside the configured repo_roots"),
        (request(&format!("{}/..", world.root.display()), ZERO, &id, "refs/heads/main"), 403, "is outside the configured repo_roots"),
        (request(&format!("{}/../no/such/place", world.root.display()), ZERO, &id, "refs/heads/main"), 403, "is outside the configured repo_roots"),
        (request("/etc", ZERO, &id, "refs/heads/main"), 403, "is outside the configured repo_roots"),
        (request(&world.root.join("missing.git").to_string_lossy(), ZERO, &id, "refs/heads/main"), 404, "does not exist"),
        (request(&not_a_repo.to_string_lossy(), ZERO, &id, "refs/heads/main"), 400, "is not a git repository"),
        (
            serde_json::json!({"repository": bare, "quarantine": "/tmp", "updates": [{"old": ZERO, "new": head, "ref": "refs/heads/main"}]}).to_string(),
            403,
            "quarantine /tmp is not inside",
        ),
        (
            serde_json::json!({"repository": bare, "quarantine": format!("{bare}/objects/../../../"), "updates": [{"old": ZERO, "new": head, "ref": "refs/heads/main"}]}).to_string(),
            403,
            "is not inside",
        ),
    ];
    for (body, status, message) in &cases {
        let (got_status, got_message) = post(&server, body);
        assert_eq!(got_status, *status, "{body}: {got_message}");
        assert!(got_message.contains(message), "{body}: expected {message:?} in {got_message:?}");
    }

    let (status, body) = http(server.address, "GET", "/no/such/endpoint", "");
    assert_eq!(status, 404, "{body}");
    let (status, _) = http(server.address, "GET", "/v1/pre-receive", "");
    assert_eq!(status, 405);
    let (status, body) = http(server.address, "GET", "/readyz", "");
    assert_eq!(status, 200, "still serving after all that: {body}");
}

#[test]
fn a_protected_ref_must_point_at_a_commit() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    world.commit(DEV, "Initial\n");
    // Objects reach the bare repository through an unprotected push.
    world.connect(&server.url(), 10);
    assert!(world.push("HEAD:refs/heads/topic").accepted);
    let tree = run_git(&world.bare, &["rev-parse", "topic^{tree}"]).trim().to_owned();
    let (status, body) =
        http(server.address, "POST", "/v1/pre-receive", &request(&world.bare.to_string_lossy(), ZERO, &tree, "refs/heads/main"));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(answer["accepted"], false);
    assert_eq!(answer["refs"][0]["problems"][0], "not-a-commit");
    assert!(answer["message"].as_str().unwrap_or("").contains(&format!("refs/heads/main would point at a tree {tree}")), "{body}");
}

#[test]
fn packed_protected_refs_hide_their_history_and_loose_ones_win() {
    let world = World::new();
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    let first = world.commit(DEV, "Initial\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    assert!(world.push("HEAD:refs/heads/release/1").accepted);
    // Many refs, all packed, as on a busy server.
    let mut refs = String::new();
    for n in 0..2000 {
        refs.push_str(&format!("create refs/heads/feature/{n:04} {first}\n"));
    }
    let mut update =
        crate::util::git(&world.bare).args(["update-ref", "--stdin"]).stdin(std::process::Stdio::piped()).spawn().expect("git");
    std::io::Write::write_all(&mut update.stdin.take().expect("stdin"), refs.as_bytes()).expect("refs");
    assert!(update.wait().expect("update-ref").success());
    run_git(&world.bare, &["pack-refs", "--all"]);
    assert!(!world.bare.join("refs/heads/main").exists(), "main is packed");

    let second = world.commit(DEV, "Second\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    assert!(world.bare.join("refs/heads/main").exists(), "main is loose again, and packed at the old commit");

    let checked = |tip: &str, refname: &str| -> u64 {
        let (status, body) = http(server.address, "POST", "/v1/pre-receive", &request(&world.bare.to_string_lossy(), ZERO, tip, refname));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["checked"].as_u64().expect("checked")
    };
    // Off the loose main: nothing new. (The packed entry still names `first`;
    // reading it instead of the loose file would check `second` again.)
    assert_eq!(checked(&second, "refs/heads/release/2"), 0);
    // Off the packed release/1: nothing new either.
    assert_eq!(checked(&first, "refs/heads/release/3"), 0);
    // An unprotected ref hides nothing: a tip no protected ref has is new.
    let third = world.commit(DEV, "Third\n");
    assert!(world.push("HEAD:refs/heads/feature/0001").accepted);
    assert_eq!(checked(&third, "refs/heads/release/4"), 1);
}
