//! Test helpers: hermetic git, scratch bare repositories with the real hook
//! installed, and the real server on an ephemeral loopback port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use signoff_gate::service::live::LiveGate;
use signoff_gate::service::server::{self, AppState};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_signoff-gate");

pub const ROSTER: &str = r#"levels = ["junior", "mid", "senior", "staff", "principal"]

[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
aliases = ["alice@users.noreply.github.com"]
level = "senior"

[[engineer]]
name = "Sam Staff"
email = "sam@corp.example"
level = "staff"

[[engineer]]
name = "Mia Mid"
email = "mia@corp.example"
level = "mid"

[[engineer]]
name = "Dev Eloper"
email = "dev@corp.example"
level = "junior"

[[engineer]]
name = "Olga Former"
email = "olga@corp.example"
level = "principal"
active = false
"#;

/// [`ROSTER`] with fixed signing keys for Alice and Sam (made from seeds,
/// so the roster is the same in every run), as a fresh world writes it.
pub fn roster_with_keys() -> String {
    let key = |seed: u8| {
        ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]))
            .public_key()
            .to_openssh()
            .expect("an ed25519 public key encodes")
    };
    ROSTER
        .replace("level = \"senior\"\n", &format!("level = \"senior\"\nsigning_keys = [\"{}\"]\n", key(1)))
        .replace("level = \"staff\"\n", &format!("level = \"staff\"\nsigning_keys = [\"{}\"]\n", key(2)))
}

pub const DEV: (&str, &str) = ("Dev Eloper", "dev@corp.example");
pub const ALICE: (&str, &str) = ("Alice Senior", "alice@corp.example");

/// A git command with no system or global configuration, a private HOME,
/// fixed identities and no signoff-gate variables from the outside.
pub fn git(dir: &Path) -> Command {
    hermetic("git", dir)
}

/// `sh -c script` with the same hermetic environment as [`git`].
pub fn sh(dir: &Path, script: &str) -> Command {
    let mut command = hermetic("sh", dir);
    command.arg("-c").arg(script);
    command
}

fn hermetic(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", DEV.0)
        .env("GIT_AUTHOR_EMAIL", DEV.1)
        .env("GIT_COMMITTER_NAME", DEV.0)
        .env("GIT_COMMITTER_EMAIL", DEV.1)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env_remove("SIGNOFF_GATE_URL")
        .env_remove("SIGNOFF_GATE_TOKEN_FILE")
        .env_remove("SIGNOFF_GATE_BIN")
        .env_remove("SIGNOFF_GATE_CONFIG")
        .env_remove("SIGNOFF_GATE_TIMEOUT")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

/// Runs git and returns stdout; panics with stderr on failure.
pub fn run_git(dir: &Path, args: &[&str]) -> String {
    let output = git(dir).args(args).output().expect("git runs");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A scratch world: a repository root with a bare repository (the real hook
/// installed), a clone to work in, a config and a roster.
pub struct World {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub bare: PathBuf,
    pub work: PathBuf,
    pub config: PathBuf,
    commits: AtomicU32,
}

impl World {
    pub fn new() -> World {
        World::with_config("")
    }

    /// A world whose gate takes plain `Approved-by:` trailers
    /// (`approvals = "trailer"`), for tests of the trailer rules themselves.
    pub fn trailer() -> World {
        World::with_config("approvals = \"trailer\"")
    }

    /// `extra` is appended to the `[policy]` table.
    pub fn with_config(extra_policy: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().canonicalize().expect("canonical tempdir");
        let root = base.join("repos");
        std::fs::create_dir(&root).expect("repos dir");
        let bare = root.join("origin.git");
        run_git(&root, &["init", "--quiet", "--bare", "--initial-branch=main", "origin.git"]);
        install_hook(&bare);
        let work = base.join("work");
        run_git(&base, &["clone", "--quiet", bare.to_str().expect("utf-8 path"), "work"]);
        run_git(&work, &["checkout", "--quiet", "-b", "main"]);
        std::fs::write(base.join("roster.toml"), roster_with_keys()).expect("roster");
        let config = base.join("signoff-gate.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\n\n[policy]\n{extra_policy}\n",
                root.display().to_string()
            ),
        )
        .expect("config");
        World { dir, root, bare, work, config, commits: AtomicU32::new(0) }
    }

    /// Points the bare repository's hook at `url` with a time bound.
    pub fn connect(&self, url: &str, timeout_seconds: u32) {
        run_git(&self.bare, &["config", "signoff-gate.url", url]);
        run_git(&self.bare, &["config", "signoff-gate.timeout", &timeout_seconds.to_string()]);
    }

    /// Commits a change by `author` with `message`; returns the full id.
    pub fn commit(&self, author: (&str, &str), message: &str) -> String {
        self.commit_bytes(author, message.as_bytes(), &[])
    }

    /// [`World::commit`] with a message of any bytes, and `git -c` settings
    /// (e.g. `i18n.commitEncoding=ISO-2022-JP`).
    pub fn commit_bytes(&self, author: (&str, &str), message: &[u8], settings: &[&str]) -> String {
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        std::fs::write(self.work.join(format!("file-{n}.txt")), format!("change {n}\n")).expect("write");
        run_git(&self.work, &["add", "."]);
        let date = format!("2026-01-01T00:{:02}:{:02}Z", n / 60, n % 60);
        let message_file = self.dir.path().join("message.txt");
        std::fs::write(&message_file, message).expect("message");
        let mut command = git(&self.work);
        for setting in settings {
            command.args(["-c", setting]);
        }
        let output = command
            .args(["commit", "--quiet", "-F"])
            .arg(&message_file)
            .env("GIT_AUTHOR_NAME", author.0)
            .env("GIT_AUTHOR_EMAIL", author.1)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .expect("git commit");
        assert!(output.status.success(), "commit failed: {}", String::from_utf8_lossy(&output.stderr));
        run_git(&self.work, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// `git push origin <refspec>` from the clone.
    pub fn push(&self, refspec: &str) -> Pushed {
        let output = git(&self.work).args(["push", "origin", refspec]).output().expect("git push");
        Pushed::from(output)
    }
}

/// Installs the shipped `hooks/pre-receive` and points it at the binary.
pub fn install_hook(bare: &Path) {
    let hook = bare.join("hooks").join("pre-receive");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive"), &hook).expect("copy hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod hook");
    }
    run_git(bare, &["config", "signoff-gate.bin", BIN]);
}

/// The result of a real push.
pub struct Pushed {
    pub accepted: bool,
    /// What the hook printed, without git's `remote: ` prefix and padding.
    pub remote: String,
    /// All of git's stderr.
    pub stderr: String,
}

impl From<Output> for Pushed {
    fn from(output: Output) -> Self {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let remote = stderr
            .lines()
            .filter_map(|line| line.strip_prefix("remote:"))
            .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
            .collect::<Vec<_>>()
            .join("\n");
        Pushed { accepted: output.status.success(), remote, stderr }
    }
}

/// The real server, in this process, on an ephemeral loopback port.
pub struct TestServer {
    pub address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(config: &Path) -> TestServer {
        let state = AppState::new(LiveGate::load(config).expect("valid test config")).expect("server state");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        listener.set_nonblocking(true).expect("nonblocking");
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                server::run(listener, state, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("server runs");
            });
        });
        let server = TestServer { address, shutdown: Some(shutdown), thread: Some(thread) };
        wait_healthy(address);
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops the server and waits until it is gone.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// A minimal HTTP/1.1 request over a fresh connection: (status, body).
pub fn http(address: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    http_with_headers(address, method, path, "", body)
}

/// [`http`] with extra header lines, each ending in `\r\n`.
pub fn http_with_headers(address: SocketAddr, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// Polls `/healthz` until it answers 200, for at most 10 seconds.
pub fn wait_healthy(address: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(address).is_ok() && http(address, "GET", "/healthz", "").0 == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "server at {address} did not become healthy");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The real `signoff-gate serve` for the world's repositories and roster,
/// listening on `listen`, with extra `[server]` and `[policy]` lines; not
/// started yet, so callers can add arguments.
pub fn serve_command(world: &World, listen: &str, server_extra: &str, policy_extra: &str) -> Command {
    let config = world.dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = {listen:?}\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\n{server_extra}\n[policy]\n{policy_extra}\n",
            world.root.display().to_string()
        ),
    )
    .expect("config");
    let mut command = Command::new(BIN);
    command.args(["serve", "--config"]).arg(&config).env_remove("RUST_LOG").stdout(Stdio::null()).stderr(Stdio::null());
    command
}

/// Starts the real `signoff-gate serve` on a free loopback port for the
/// world's repositories and roster; waits until it is healthy.
pub fn spawn_serve(world: &World, stderr: Stdio) -> (std::process::Child, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let child = serve_command(world, &format!("127.0.0.1:{port}"), "", "").stderr(stderr).spawn().expect("serve starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    wait_healthy(address);
    (child, address)
}

/// Runs the binary with arguments in `dir`; returns (exit code, stdout, stderr).
pub fn signoff_gate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("SIGNOFF_GATE_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    code_and_output(&output)
}

/// A finished process as (exit code, stdout, stderr).
pub fn code_and_output(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A small deterministic generator for generated test inputs (no
/// dependency needed).
pub struct Lcg(pub u64);

impl Lcg {
    /// A number below `bound`.
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}
