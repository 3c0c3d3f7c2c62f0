//! Operating the gate: Unix sockets, audit log, metrics, warn mode,
//! break-glass, install-hook and shutdown, against the real binary.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{ALICE, BIN, DEV, World, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// Starts the real `serve` with `listen` and extra `[server]` and
/// `[policy]` lines.
fn serve(world: &World, listen: &str, server_extra: &str, policy_extra: &str) -> Child {
    let config = world.dir.path().join("ops.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = {listen:?}\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\n{server_extra}\n[policy]\n{policy_extra}\n",
            world.root.display().to_string()
        ),
    )
    .expect("config");
    Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts")
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
    let child = serve(&world, &format!("unix:{}", socket.display()), "", "");
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
}
