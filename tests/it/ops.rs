//! Operating the gate: Unix sockets, audit log, metrics, warn mode,
//! break-glass, install-hook and shutdown, against the real binary.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::net::SocketAddr;

use crate::util::{ALICE, BIN, DEV, Pushed, ROSTER, World, git, http, run_git, serve_command, wait_healthy};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// Starts the real `serve` with `listen` and extra `[server]` and
/// `[policy]` lines.
fn serve(world: &World, listen: &str, server_extra: &str, policy_extra: &str) -> Child {
    serve_command(world, listen, server_extra, policy_extra).spawn().expect("serve starts")
}

/// GET over a Unix socket: (status, body).
fn unix_get(socket: &Path, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()))
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    child.wait().expect("serve exits")
}

#[test]
fn a_real_push_through_a_unix_socket() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let socket = world.dir.path().join("gate.sock");
    let child = serve(&world, &format!("unix:{}", socket.display()), "", "approvals = \"trailer\"");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(unix_get(&socket, "/healthz"), Ok((200, _))) {
        assert!(Instant::now() < deadline, "the gate did not answer on {}", socket.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&socket).expect("socket").permissions().mode() & 0o777;
    assert_eq!(mode, 0o660, "socket mode {mode:o}");

    world.connect(&format!("unix:{}", socket.display()), 10);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let id = world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.contains(&id[..12]) && pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    world.commit(DEV, &format!("AI change, reviewed\n\n{CLAUDE}\nApproved-by: {} <{}>\n", ALICE.0, ALICE.1));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.stderr);

    let status = stop(child);
    assert!(status.success(), "{status:?}");
    // With the server gone, the same hook fails closed and says so.
    world.commit(DEV, "Plain change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("could not reach the signoff-gate server at unix:"), "{}", pushed.remote);

    // A folder others may write to could hold someone else's socket: refused.
    let open = world.dir.path().join("open");
    std::fs::create_dir(&open).expect("folder");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let output = serve_command(&world, &format!("unix:{}", open.join("gate.sock").display()), "", "")
        .stderr(Stdio::piped())
        .output()
        .expect("serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("may be written by others than its owner (mode 777)"), "{stderr}");
}

#[test]
fn serve_warns_about_tcp_without_a_secret() {
    let world = World::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let mut child = serve_command(&world, &format!("127.0.0.1:{port}"), "", "").stderr(Stdio::piped()).spawn().expect("serve starts");
    wait_healthy(SocketAddr::from(([127, 0, 0, 1], port)));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().expect("serve exits").success());
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(stderr.contains("listening on TCP without token_file"), "{stderr}");
}

/// The real `serve` on a free loopback port; waits until it is healthy.
fn serve_tcp(world: &World, server_extra: &str, policy_extra: &str) -> (Child, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let child = serve(world, &format!("127.0.0.1:{port}"), server_extra, policy_extra);
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    wait_healthy(address);
    world.connect(&format!("http://{address}"), 10);
    (child, address)
}

/// The roster with logins, and break-glass for Alice only.
fn roster_with_logins(world: &World) {
    let roster = ROSTER.replacen("level = \"senior\"\n", "level = \"senior\"\nlogins = [\"alice\"]\nbreak_glass = true\n", 1).replacen(
        "level = \"mid\"\n",
        "level = \"mid\"\nlogins = [\"mia\"]\n",
        1,
    );
    std::fs::write(world.dir.path().join("roster.toml"), roster).expect("roster");
}

/// `git push [-o option] origin HEAD:main` as the host's user `pusher`.
fn push_as(world: &World, pusher: &str, option: Option<&str>) -> Pushed {
    let mut command = git(&world.work);
    command.arg("push");
    if let Some(option) = option {
        command.args(["-o", option]);
    }
    Pushed::from(command.args(["origin", "HEAD:refs/heads/main"]).env("REMOTE_USER", pusher).output().expect("git push"))
}

fn audit_lines(world: &World) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(world.dir.path().join("audit.jsonl")).expect("audit log");
    assert!(text.ends_with('\n'), "the audit log ends with a whole line");
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))).collect()
}

fn main_of(world: &World) -> String {
    run_git(&world.bare, &["rev-parse", "main"]).trim().to_owned()
}

#[test]
fn warn_mode_accepts_with_a_marked_warning_and_audits_it() {
    let world = World::new();
    let (child, _) = serve_tcp(&world, "audit_log = \"audit.jsonl\"", "mode = \"warn\"");
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let id = world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "warn mode accepts: {}", pushed.stderr);
    assert!(
        pushed.remote.starts_with("signoff-gate: WARNING (warn mode): accepted, but an enforcing gate would refuse this push"),
        "{}",
        pushed.remote
    );
    assert!(pushed.remote.contains(&format!("  {} AI change", &id[..12])), "{}", pushed.remote);
    assert_eq!(main_of(&world), id);

    let lines = audit_lines(&world);
    assert_eq!(lines.len(), 2, "one line per decision: {lines:?}");
    assert_eq!(lines[0]["outcome"], "accepted");
    let warned = &lines[1];
    assert_eq!(warned["outcome"], "warned");
    assert_eq!(warned["mode"], "warn");
    assert_eq!(warned["refused"], 1);
    assert_eq!(warned["commits"][0]["id"], id.as_str());
    assert_eq!(warned["commits"][0]["verdict"], "rejected");
    assert_eq!(warned["commits"][0]["markers"][0]["tool"], "Claude Code");
    assert_eq!(warned["commits"][0]["reasons"][0]["code"], "ai-unapproved");
    assert_eq!(warned["updates"][0]["ref"], "refs/heads/main");
    assert_eq!(warned["updates"][0]["protected"], true);
    assert!(stop(child).success());
}

#[test]
fn break_glass_is_honoured_only_for_allowed_engineers_and_is_audited() {
    let world = World::new();
    roster_with_logins(&world);
    run_git(&world.bare, &["config", "receive.advertisePushOptions", "true"]);
    let (child, address) = serve_tcp(&world, "audit_log = \"audit.jsonl\"", "");
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let id = world.commit(DEV, &format!("Hotfix the outage\n\n{CLAUDE}\n"));

    // A roster engineer without break_glass = true: refused, and told why.
    let pushed = push_as(&world, "mia", Some("signoff-gate.break-glass=prod is down"));
    assert!(!pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    assert!(
        pushed.remote.ends_with(
            "signoff-gate: break-glass not honoured: Mia Mid may not break the glass (the roster does not say `break_glass = true`)"
        ),
        "{}",
        pushed.remote
    );
    // Someone the roster does not know.
    let pushed = push_as(&world, "mallory", Some("signoff-gate.break-glass=prod is down"));
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("break-glass not honoured: the pusher \"mallory\" is not an engineer on the roster"),
        "{}",
        pushed.remote
    );
    // The allowed engineer, but no reason.
    let pushed = push_as(&world, "alice", Some("signoff-gate.break-glass="));
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("break-glass not honoured: a reason is required"), "{}", pushed.remote);
    assert_ne!(main_of(&world), id);

    // The allowed engineer with a reason: accepted, said and recorded.
    let pushed = push_as(&world, "alice", Some("signoff-gate.break-glass=prod is down"));
    assert!(pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.starts_with("signoff-gate: BREAK-GLASS: push accepted without the required sign-off"), "{}", pushed.remote);
    assert!(pushed.remote.contains("used by Alice Senior, reason \"prod is down\"; this bypass is recorded"), "{}", pushed.remote);
    assert_eq!(main_of(&world), id);

    let lines = audit_lines(&world);
    let outcomes: Vec<&str> = lines.iter().map(|l| l["outcome"].as_str().unwrap_or("?")).collect();
    assert_eq!(outcomes, ["accepted", "refused", "refused", "refused", "break-glass"]);
    let bypass = &lines[4];
    assert_eq!(bypass["pusher"]["name"], "alice");
    assert_eq!(bypass["pusher"]["source"], "REMOTE_USER");
    assert_eq!(bypass["push_options"][0], "signoff-gate.break-glass=prod is down");
    assert_eq!(bypass["break_glass"]["honoured"], true);
    assert_eq!(bypass["break_glass"]["reason"], "prod is down");
    assert_eq!(bypass["break_glass"]["engineer"], "Alice Senior");
    assert_eq!(bypass["commits"][0]["id"], id.as_str());
    assert_eq!(lines[1]["break_glass"]["honoured"], false);
    let ids: std::collections::HashSet<&str> = lines.iter().filter_map(|l| l["request_id"].as_str()).collect();
    assert_eq!(ids.len(), lines.len(), "request ids are unique");

    // The metrics saw the same decisions, in the Prometheus text format.
    let (status, text) = http(address, "GET", "/metrics", "");
    assert_eq!(status, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .unwrap_or_else(|| panic!("no sample {name} {label:?} in\n{text}"))
    };
    assert_eq!(value("signoff_gate_decisions_total", Some(("outcome", "refused"))), 3.0);
    assert_eq!(value("signoff_gate_decisions_total", Some(("outcome", "break-glass"))), 1.0);
    assert_eq!(value("signoff_gate_decisions_total", Some(("outcome", "accepted"))), 1.0);
    assert_eq!(value("signoff_gate_requests_total", Some(("endpoint", "pre-receive"))), 5.0);
    assert_eq!(value("signoff_gate_commits_checked_total", None), 5.0);
    assert_eq!(value("signoff_gate_roster_generation", None), 1.0);
    // Each decided push with the unapproved commit counts its refusal.
    assert_eq!(value("signoff_gate_refusals_total", Some(("code", "ai-unapproved"))), 4.0);
    assert_eq!(value("signoff_gate_ready", None), 1.0);
    let histogram = scrape.samples.iter().find(|s| s.metric == "signoff_gate_pre_receive_duration_seconds").expect("histogram");
    match &histogram.value {
        prometheus_parse::Value::Histogram(buckets) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(5.0), "{text}");
        }
        other => panic!("not a histogram: {other:?}"),
    }
    assert!(stop(child).success());
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0() {
    let world = World::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let mut child = serve_command(&world, &format!("127.0.0.1:{port}"), "", "")
        .args(["--log-format", "json"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    wait_healthy(address);
    world.commit(DEV, "Initial commit\n");
    let head = run_git(&world.work, &["rev-parse", "HEAD"]).trim().to_owned();
    // Bring the objects in (an unprotected branch), so the request can name them.
    world.connect(&format!("http://{address}"), 10);
    run_git(&world.work, &["push", "--quiet", "origin", "HEAD:refs/heads/topic"]);

    let body = serde_json::json!({
        "repository": world.bare.display().to_string(),
        "updates": [{ "old": "0".repeat(40), "new": head, "ref": "refs/heads/main" }],
    })
    .to_string();
    // A request in flight: the head and half the body are sent...
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let (first, rest) = body.split_at(body.len() / 2);
    write!(
        stream,
        "POST /v1/pre-receive HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("send the first half");
    stream.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    // ...when SIGTERM arrives.
    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().expect("status").is_none(), "the server waits for the request in flight");
    assert!(std::net::TcpStream::connect(address).is_err(), "no new connections once stopping");

    stream.write_all(rest.as_bytes()).expect("send the rest");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("the answer arrives");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"accepted\":true"), "{response}");

    let status = child.wait().expect("serve exits");
    assert!(status.success(), "exit 0 after finishing: {status:?}");
    let mut log = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut log).expect("log");
    for line in log.lines() {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("--log-format json wrote a non-JSON line ({e}): {line}"));
        assert!(event["level"].is_string() && event["message"].is_string(), "{line}");
    }
    assert!(log.contains("\"message\":\"push decided\""), "{log}");
    assert!(log.contains("\"message\":\"signoff-gate stopped\""), "{log}");
}

#[test]
fn under_gitlab_a_refusal_is_prefixed_for_the_web_ui() {
    let world = World::new();
    let (child, _) = serve_tcp(&world, "", "");
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let output = git(&world.work).args(["push", "origin", "HEAD:refs/heads/main"]).env("GL_ID", "user-42").output().expect("push");
    let pushed = Pushed::from(output);
    assert!(!pushed.accepted);
    let lines: Vec<&str> = pushed.remote.lines().collect();
    assert!(lines.len() > 5, "{}", pushed.remote);
    assert!(lines.iter().all(|line| line.starts_with("GL-HOOK-ERR: ") || *line == "GL-HOOK-ERR:"), "{}", pushed.remote);
    assert!(lines[0].starts_with("GL-HOOK-ERR: signoff-gate: push refused: 1 AI-assisted commit"), "{}", pushed.remote);
    assert!(stop(child).success());
}

#[test]
fn install_hook_installs_keeps_the_old_hook_and_enables_push_options() {
    let world = World::new();
    let bare = world.root.join("team.git");
    run_git(&world.root, &["init", "--quiet", "--bare", "--initial-branch=main", "team.git"]);
    let old_hook = "#!/bin/sh\necho an older hook\n";
    std::fs::write(bare.join("hooks/pre-receive"), old_hook).expect("old hook");
    let (child, address) = serve_tcp(&world, "", "");

    let missing = world.root.join("missing.git");
    let output = Command::new(BIN)
        .args(["install-hook", "--url", &format!("http://{address}")])
        .arg(&bare)
        .arg(&missing)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", world.dir.path())
        .output()
        .expect("install-hook runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "a repository failed: {stdout}{stderr}");
    assert!(stderr.contains(&format!("{}: not installed: repository {} does not exist", missing.display(), missing.display())), "{stderr}");
    let hooks = bare.join("hooks");
    let kept = hooks.join("pre-receive.before-signoff-gate");
    for line in [
        format!("kept the existing pre-receive hook as {}", kept.display()),
        format!("installed {}", hooks.join("pre-receive").display()),
        "set receive.advertisePushOptions = true".to_owned(),
        "set receive.fsckObjects = true".to_owned(),
        format!("set signoff-gate.url = http://{address}"),
        "set signoff-gate.bin = ".to_owned(),
    ] {
        assert!(stdout.contains(&line), "missing {line:?} in\n{stdout}");
    }
    assert_eq!(std::fs::read_to_string(&kept).expect("kept hook"), old_hook);
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive")).expect("shipped hook");
    assert_eq!(std::fs::read_to_string(hooks.join("pre-receive")).expect("hook"), shipped);
    assert_eq!(run_git(&bare, &["config", "receive.advertisePushOptions"]).trim(), "true");
    assert_eq!(run_git(&bare, &["config", "receive.fsckObjects"]).trim(), "true");

    // Again: nothing to move aside.
    let again = Command::new(BIN).arg("install-hook").arg(&bare).env("GIT_CONFIG_GLOBAL", "/dev/null").output().expect("runs");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("is already the signoff-gate hook"));
    assert!(!hooks.join("pre-receive.before-signoff-gate.1").exists());

    // The installed hook gates a real push, and push options reach it.
    run_git(&world.work, &["remote", "add", "team", &bare.display().to_string()]);
    world.commit(DEV, &format!("AI change\n\n{CLAUDE}\n"));
    let output = git(&world.work).args(["push", "-o", "ci.skip", "team", "HEAD:refs/heads/main"]).output().expect("push");
    let pushed = Pushed::from(output);
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.stderr);
    assert!(stop(child).success());
}

/// The shipped systemd unit, as `systemd-analyze verify` reads it (with this
/// build's binary in place of /usr/local/bin's); skipped, saying so, where
/// systemd is not installed.
#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/signoff-gate.service")).expect("unit");
    for needed in ["ProtectSystem=strict", "ReadWritePaths=/var/log/signoff-gate", "NoNewPrivileges=true", "Group=git", "ExecReload="] {
        assert!(unit.contains(needed), "{needed}");
    }
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("SKIPPED the_systemd_unit_verifies: systemd-analyze is not installed here");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("signoff-gate.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/signoff-gate", crate::util::BIN)).expect("unit");
    let output = Command::new("systemd-analyze").arg("verify").arg(&path).output().expect("systemd-analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !stderr.contains("signoff-gate.service:"), "{stderr}");
}

/// Every metric the shipped Grafana dashboard queries is one the server
/// exports (a renamed metric would leave a panel silently empty), and the
/// dashboard has the panels the README promises.
#[test]
fn the_grafana_dashboard_queries_only_metrics_the_server_exports() {
    let world = World::new();
    let (child, address) = serve_tcp(&world, "", "");
    let (status, text) = http(address, "GET", "/metrics", "");
    assert_eq!(status, 200);
    let mut exported = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else { continue };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(kind)) = (words.next(), words.next()) else { continue };
        exported.insert(name.to_owned());
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                exported.insert(format!("{name}{suffix}"));
            }
        }
    }
    assert!(stop(child).success());

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/grafana-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard")).expect("JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    for wanted in ["AI-assisted share", "Approvals by approver level", "Review rate", "Refusals by code"] {
        assert!(titles.iter().any(|t| t.contains(wanted)), "no panel {wanted:?} in {titles:?}");
    }
    let mut queried = std::collections::BTreeSet::new();
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("an expression");
            let mut rest = expr;
            while let Some(at) = rest.find("signoff_gate_") {
                let name: String = rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                rest = &rest[at + name.len()..];
                queried.insert(name);
            }
        }
    }
    assert!(queried.len() >= 8, "the dashboard queries too little: {queried:?}");
    let missing: Vec<&String> = queried.iter().filter(|name| !exported.contains(*name)).collect();
    assert!(missing.is_empty(), "the dashboard queries metrics the server does not export: {missing:?}\nexported: {exported:?}");
}
