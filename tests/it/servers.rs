//! Real git servers in front of the gate, on loopback, each set up in the
//! test's own folder and torn down when it ends:
//!
//! - gitolite behind a real `sshd`, two users with their own keys; the
//!   pusher comes from gitolite's `GL_USER`;
//! - smart HTTP: `git http-backend` behind nginx and fcgiwrap with basic
//!   authentication; the pusher comes from `REMOTE_USER`.
//!
//! Through each: a refused AI push, an accepted signed approval,
//! break-glass by the pusher the host names (and refused for one the roster
//! does not know), and a protected-ref deletion. A missing program fails
//! the test, saying what to install, unless `SIGNOFF_GATE_SKIP_SERVERS=1`
//! skips them; `.ci/run` installs them, so CI always runs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::blast::sign_head;
use crate::signed::{CLAUDE, Signed, keygen};
use crate::util::{ALICE, DEV, Pushed, git, install_hook, run_git};

/// A server process, killed when the test ends.
struct Daemon(Child);

impl Drop for Daemon {
    /// SIGTERM first, so a master process takes its workers down with it.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether every program is here; otherwise says which is not and why the
/// test is skipped.
fn have(test: &str, programs: &[&str]) -> bool {
    for program in programs {
        let found = if program.starts_with('/') {
            Path::new(program).exists()
        } else {
            Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
        };
        if !found {
            // Never a silent pass: without the program this test fails,
            // unless skipping was asked for by name.
            let skip = std::env::var("SIGNOFF_GATE_SKIP_SERVERS").is_ok_and(|v| v == "1");
            assert!(
                skip,
                "{test}: {program} is not installed here; install openssh-server, gitolite3, nginx and fcgiwrap (.ci/run does), \
                 or set SIGNOFF_GATE_SKIP_SERVERS=1 to skip the real-server tests"
            );
            eprintln!("SKIPPED {test}: {program} is not installed here (SIGNOFF_GATE_SKIP_SERVERS=1)");
            return false;
        }
    }
    true
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A signed world (Alice may break the glass as host user `alice`; `bob`
/// is no one on the roster), served by the gate.
fn world() -> Signed {
    let signed = Signed::with_policy("");
    signed.write_roster(&["alice", "sam", "mia", "dev", "olga"]);
    let roster_path = signed.world.dir.path().join("roster.toml");
    let roster = std::fs::read_to_string(&roster_path).expect("roster");
    let roster = roster.replacen("level = \"senior\"\n", "level = \"senior\"\nlogins = [\"alice\"]\nbreak_glass = true\n", 1);
    std::fs::write(&roster_path, roster).expect("roster");
    signed
}

/// The core scenarios through a server; `push(user, args)` pushes from the
/// work clone as that host user.
fn scenarios(signed: &Signed, bare: &Path, push: &dyn Fn(&str, &[&str]) -> Pushed) {
    let work = &signed.world.work;
    signed.world.commit(DEV, "Initial commit\n");
    let pushed = push("alice", &["HEAD:refs/heads/main"]);
    assert!(pushed.accepted, "{}", pushed.stderr);

    // A refused AI push.
    let id = signed.world.commit(DEV, &format!("Add retries\n\n{CLAUDE}\n"));
    let pushed = push("alice", &["HEAD:refs/heads/main"]);
    assert!(!pushed.accepted);
    assert!(pushed.remote.starts_with("signoff-gate: push refused: 1 AI-assisted commit needs a sign-off"), "{}", pushed.stderr);
    assert!(pushed.remote.contains(&format!("  {} Add retries", &id[..12])), "{}", pushed.remote);

    // Break-glass: not for a pusher the roster does not know, yes for Alice.
    let pushed = push("bob", &["-o", "signoff-gate.break-glass=outage", "HEAD:refs/heads/main"]);
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("break-glass not honoured: the pusher \"bob\" is not an engineer on the roster"), "{}", pushed.remote);
    let pushed = push("alice", &["-o", "signoff-gate.break-glass=outage", "HEAD:refs/heads/main"]);
    assert!(pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.contains("signoff-gate: used by Alice Senior, reason \"outage\""), "{}", pushed.remote);

    // An accepted signed approval.
    signed.world.commit(DEV, &format!("Add backoff\n\n{CLAUDE}\n"));
    sign_head(signed, &[(ALICE, "alice")]);
    let pushed = push("bob", &["HEAD:refs/heads/main"]);
    assert!(pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.contains("signoff-gate: ok: 1 AI-assisted commit signed off"), "{}", pushed.remote);
    assert_eq!(run_git(bare, &["rev-parse", "main"]), run_git(work, &["rev-parse", "HEAD"]));

    // A protected-ref deletion.
    let pushed = push("alice", &[":refs/heads/main"]);
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("refs/heads/main: protected-ref-deletion: refs/heads/main is protected and cannot be deleted"),
        "{}",
        pushed.remote
    );
}

#[test]
fn gitolite_over_ssh() {
    if !have("gitolite_over_ssh", &["/usr/sbin/sshd", "gitolite", "/usr/share/gitolite3/gitolite-shell", "ssh-keygen", "ssh"]) {
        return;
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root {
        let skip = std::env::var("SIGNOFF_GATE_SKIP_SERVERS").is_ok_and(|v| v == "1");
        assert!(skip, "gitolite_over_ssh: sshd must start as root to log a user in (CI runs as root); or set SIGNOFF_GATE_SKIP_SERVERS=1");
        eprintln!("SKIPPED gitolite_over_ssh: not root (SIGNOFF_GATE_SKIP_SERVERS=1)");
        return;
    }
    let mut signed = world();
    let base = signed.world.dir.path().to_path_buf();
    let home = base.join("gitolite");
    let keys = base.join("ssh");
    std::fs::create_dir_all(&home).expect("gitolite home");
    std::fs::create_dir_all(&keys).expect("keys");
    for user in ["admin", "alice", "bob", "host"] {
        keygen(&keys, user, &["-t", "ed25519"]);
    }
    // gitolite, set up in its own HOME.
    let setup = Command::new("gitolite")
        .args(["setup", "-pk"])
        .arg(keys.join("admin.pub"))
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("gitolite setup");
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    let repositories = home.join("repositories");
    let bare = repositories.join("testing.git");
    install_hook(&bare);
    // The gate serves gitolite's repositories too.
    let config = std::fs::read_to_string(&signed.world.config).expect("config");
    let config = config.replace("repo_roots = [", &format!("repo_roots = [{:?}, ", repositories.display().to_string()));
    std::fs::write(&signed.world.config, config).expect("config");
    signed.serve();
    run_git(&bare, &["config", "signoff-gate.url", &signed_url(&signed)]);
    run_git(&bare, &["config", "receive.advertisePushOptions", "true"]);

    // Each user logs in with their own key; gitolite names them (GL_USER).
    let shell = "/usr/share/gitolite3/gitolite-shell";
    let authorized: String = ["alice", "bob"]
        .iter()
        .map(|user| {
            let key = std::fs::read_to_string(keys.join(format!("{user}.pub"))).expect("key");
            format!(
                "command=\"HOME={} GIT_CONFIG_NOSYSTEM=1 {shell} {user}\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty {}\n",
                home.display(),
                key.trim()
            )
        })
        .collect();
    std::fs::write(base.join("authorized_keys"), authorized).expect("authorized_keys");
    let port = free_port();
    let sshd_config = base.join("sshd_config");
    std::fs::write(
        &sshd_config,
        format!(
            "ListenAddress 127.0.0.1:{port}\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nPermitRootLogin forced-commands-only\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nAllowUsers root\n",
            keys.join("host").display(),
            base.join("sshd.pid").display(),
            base.join("authorized_keys").display()
        ),
    )
    .expect("sshd_config");
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let log = base.join("sshd.log");
    let _sshd = Daemon(
        Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&sshd_config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("sshd"),
    );
    wait_for_port(port, "sshd", &log);

    let work = &signed.world.work;
    run_git(work, &["remote", "set-url", "origin", &format!("ssh://root@127.0.0.1:{port}/testing.git")]);
    let push = |user: &str, args: &[&str]| {
        let ssh = format!(
            "ssh -i {} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR",
            keys.join(user).display()
        );
        Pushed::from(git(work).arg("push").arg("origin").args(args).env("GIT_SSH_COMMAND", ssh).output().expect("git push"))
    };
    // gitolite's testing repository starts with nothing on it.
    scenarios(&signed, &bare, &push);
}

/// The gate's URL as the hook has it.
fn signed_url(signed: &Signed) -> String {
    run_git(&signed.world.bare, &["config", "signoff-gate.url"]).trim().to_owned()
}

#[test]
fn smart_http_behind_nginx_and_fcgiwrap() {
    if !have("smart_http_behind_nginx_and_fcgiwrap", &["nginx", "fcgiwrap", "/usr/lib/git-core/git-http-backend"]) {
        return;
    }
    let mut signed = world();
    signed.serve();
    let base: PathBuf = signed.world.dir.path().join("http");
    std::fs::create_dir_all(&base).expect("http dir");
    let bare = signed.world.bare.clone();
    run_git(&bare, &["config", "http.receivepack", "true"]);
    run_git(&bare, &["config", "receive.advertisePushOptions", "true"]);
    std::fs::write(base.join("htpasswd"), "alice:{PLAIN}alice-pw\nbob:{PLAIN}bob-pw\n").expect("htpasswd");

    // fcgiwrap runs git http-backend, and the hook under it, with this environment.
    let socket = base.join("fcgiwrap.sock");
    let fcgi_log = base.join("fcgiwrap.log");
    let _fcgiwrap = Daemon(
        Command::new("fcgiwrap")
            .arg("-s")
            .arg(format!("unix:{}", socket.display()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &base)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&fcgi_log).expect("log"))
            .spawn()
            .expect("fcgiwrap"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "fcgiwrap did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let port = free_port();
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let dir = base.display();
    let conf = format!(
        "{user}worker_processes 1;\ndaemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  fastcgi_temp_path {dir}/fastcgi;\n  proxy_temp_path {dir}/proxy;\n  \
         uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n  client_max_body_size 0;\n  server {{\n    listen 127.0.0.1:{port};\n    \
         location ~ ^/git(/.*)$ {{\n      auth_basic \"git\";\n      auth_basic_user_file {dir}/htpasswd;\n      \
         fastcgi_pass unix:{socket};\n      include /etc/nginx/fastcgi_params;\n      \
         fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;\n      fastcgi_param GIT_PROJECT_ROOT {root};\n      \
         fastcgi_param GIT_HTTP_EXPORT_ALL \"\";\n      fastcgi_param PATH_INFO $1;\n      fastcgi_param REMOTE_USER $remote_user;\n    }}\n  }}\n}}\n",
        user = if is_root { "user root;\n" } else { "" },
        socket = socket.display(),
        root = signed.world.root.display(),
    );
    std::fs::write(base.join("nginx.conf"), conf).expect("nginx.conf");
    let log = base.join("nginx.log");
    let _nginx = Daemon(
        Command::new("nginx")
            .arg("-p")
            .arg(&base)
            .arg("-c")
            .arg(base.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("nginx"),
    );
    wait_for_port(port, "nginx", &log);

    let work = &signed.world.work;
    let push = |user: &str, args: &[&str]| {
        let url = format!("http://{user}:{user}-pw@127.0.0.1:{port}/git/origin.git");
        Pushed::from(git(work).arg("push").arg(&url).args(args).output().expect("git push"))
    };
    scenarios(&signed, &bare, &push);
    // Without credentials nginx refuses before git or the gate see anything.
    let anonymous = Pushed::from(
        git(work)
            .args(["push", &format!("http://127.0.0.1:{port}/git/origin.git"), "HEAD:refs/heads/x"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .expect("push"),
    );
    assert!(!anonymous.accepted);
    assert!(anonymous.stderr.contains("could not read Username") || anonymous.stderr.contains("401"), "{}", anonymous.stderr);
}
