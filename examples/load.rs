//! A bounded load test of the real server over loopback: many concurrent
//! pushes' worth of pre-receive requests for a fixed time, each on a new
//! connection as the hook makes them. It checks every answer against the
//! expected verdict, samples the server's memory every second, and exits 1
//! on any error or if memory keeps growing.
//!
//! With `--slow-bodies N`, N more clients attack meanwhile: each opens a
//! connection, declares a 4 MiB body and trickles it, again and again. The
//! run then also fails if the server's memory ever passes 64 MiB.
//!
//! Run it with `bench/load` (builds in release mode first), or:
//!
//! ```sh
//! cargo build --release --bin signoff-gate --example load
//! target/release/examples/load --seconds 30 --concurrency 32
//! target/release/examples/load --seconds 30 --slow-bodies 150
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use signoff_gate::hook::{HookSettings, ask};
use signoff_gate::service::wire::{PreReceiveRequest, WireRefUpdate};

/// Commits in the generated history.
const COMMITS: usize = 400;
const ZERO: &str = "0000000000000000000000000000000000000000";

struct Options {
    seconds: u64,
    concurrency: usize,
    /// Attackers trickling large bodies alongside the load.
    slow_bodies: usize,
    binary: PathBuf,
}

/// The most memory the server may use with slow bodies attacking.
const SLOW_BODIES_MAX_RSS_KIB: u64 = 64 * 1024;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(error) => {
            eprintln!("load: error: {error}");
            std::process::ExitCode::from(2)
        }
    }
}

fn options() -> Result<Options, String> {
    let mut options = Options { seconds: 30, concurrency: 32, slow_bodies: 0, binary: default_binary()? };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--concurrency" => options.concurrency = value()?.parse().map_err(|e| format!("--concurrency: {e}"))?,
            "--slow-bodies" => options.slow_bodies = value()?.parse().map_err(|e| format!("--slow-bodies: {e}"))?,
            "--binary" => options.binary = PathBuf::from(value()?),
            other => {
                return Err(format!("unknown argument {other:?}; expected --seconds N, --concurrency N, --slow-bodies N, --binary PATH"));
            }
        }
    }
    if options.seconds < 10 || options.concurrency == 0 {
        return Err("--seconds must be at least 10 and --concurrency at least 1".to_owned());
    }
    Ok(options)
}

/// `target/<profile>/signoff-gate`, beside `target/<profile>/examples/load`.
fn default_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot tell where this program is: {e}"))?;
    let profile = me.parent().and_then(Path::parent).ok_or("unexpected location of the load program")?;
    Ok(profile.join("signoff-gate"))
}

/// What kind of commit number `k` is: AI-assisted and approved, AI-assisted
/// without approval, or human.
fn message(k: usize) -> String {
    let body = "Tidy the deploy scripts and retry on timeouts.\n\nSigned-off-by: Dev Eloper <dev@corp.example>\n";
    if k % 7 == 0 {
        format!("Change {k}\n\n{body}Co-Authored-By: Claude <noreply@anthropic.com>\nApproved-by: Alice Senior <alice@corp.example>\n")
    } else if k % 5 == 0 {
        format!("Change {k}\n\n{body}Co-Authored-By: Claude <noreply@anthropic.com>\n")
    } else {
        format!("Change {k}\n\n{body}")
    }
}

fn refused(k: usize) -> bool {
    k % 7 != 0 && k % 5 == 0
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir).env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null");
    command
}

/// A bare repository with [`COMMITS`] commits on `main`; returns their ids,
/// oldest first.
fn make_repository(bare: &Path) -> Result<Vec<String>, String> {
    let status = git(bare.parent().ok_or("no parent")?)
        .args(["init", "--quiet", "--bare", "--initial-branch=main"])
        .arg(bare)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("git init failed".to_owned());
    }
    let mut stream = String::new();
    for k in 1..=COMMITS {
        let message = message(k);
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{k}\nauthor Dev Eloper <dev@corp.example> {} +0000\ncommitter Dev Eloper <dev@corp.example> {} +0000\ndata {}\n{message}",
            1_767_225_600 + k,
            1_767_225_600 + k,
            message.len()
        ));
        if k > 1 {
            stream.push_str(&format!("from :{}\n", k - 1));
        }
        stream.push_str(&format!("M 644 inline file-{}.txt\ndata 8\nchange {}\n\n", k % 50, k % 10));
    }
    let mut import =
        git(bare).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().map_err(|e| format!("git fast-import: {e}"))?;
    import.stdin.take().ok_or("no stdin")?.write_all(stream.as_bytes()).map_err(|e| e.to_string())?;
    if !import.wait().map_err(|e| e.to_string())?.success() {
        return Err("git fast-import failed".to_owned());
    }
    let output = git(bare).args(["rev-list", "--reverse", "main"]).output().map_err(|e| e.to_string())?;
    let ids: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
    if ids.len() != COMMITS {
        return Err(format!("expected {COMMITS} commits, found {}", ids.len()));
    }
    // `main` is published at the middle: later pushes bring the rest.
    let status = git(bare).args(["update-ref", "refs/heads/main", &ids[COMMITS / 2 - 1]]).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("git update-ref failed".to_owned());
    }
    Ok(ids)
}

/// The requests a mix of pushes makes, each with its expected verdict: one
/// commit onto main, a few commits at once, a new release branch, and an
/// unprotected topic branch.
fn requests(bare: &Path, ids: &[String]) -> Vec<(PreReceiveRequest, bool)> {
    let repository = bare.display().to_string();
    let request = |updates: Vec<WireRefUpdate>| PreReceiveRequest {
        repository: repository.clone(),
        quarantine: None,
        updates,
        push_options: Vec::new(),
        pusher: None,
    };
    let update =
        |old: &str, new: &str, refname: &str| WireRefUpdate { old: old.to_owned(), new: new.to_owned(), refname: refname.to_owned() };
    let mut out = Vec::new();
    let published = COMMITS / 2;
    for k in published + 1..=COMMITS {
        // k-1 → k on main: one commit.
        out.push((request(vec![update(&ids[k - 2], &ids[k - 1], "refs/heads/main")]), !refused(k)));
        if k % 4 == 0 && k > published + 4 {
            // Four commits at once.
            let any_refused = (k - 3..=k).any(refused);
            out.push((request(vec![update(&ids[k - 5], &ids[k - 1], "refs/heads/main")]), !any_refused));
        }
        if k % 10 == 0 {
            // A new release branch off published history: nothing new to check.
            out.push((request(vec![update(ZERO, &ids[published - 1 - k % 50], &format!("refs/heads/release/{k}"))]), true));
            // An unprotected branch: not checked at all.
            out.push((request(vec![update(ZERO, &ids[k - 1], &format!("refs/heads/topic/{k}"))]), true));
        }
    }
    out
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn start_server(options: &Options, dir: &Path, root: &Path) -> Result<(Child, String), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    std::fs::write(
        dir.join("roster.toml"),
        "[[engineer]]\nname = \"Alice Senior\"\nemail = \"alice@corp.example\"\nlevel = \"senior\"\n\n[[engineer]]\nname = \"Dev Eloper\"\nemail = \"dev@corp.example\"\nlevel = \"junior\"\n",
    )
    .map_err(|e| e.to_string())?;
    let config = dir.join("signoff-gate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\naudit_log = \"audit.jsonl\"\n\n\
             # The generated approvals are plain trailers (signing is the signed bench row's subject).\n[policy]\napprovals = \"trailer\"\n",
            root.display().to_string()
        ),
    )
    .map_err(|e| e.to_string())?;
    let child = Command::new(&options.binary)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e} (build it: cargo build --release --bin signoff-gate)", options.binary.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the server did not start listening within 10 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, url))
}

fn run() -> Result<bool, String> {
    let options = options()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().join("repos");
    std::fs::create_dir(&root).map_err(|e| e.to_string())?;
    let bare = root.join("load.git");
    let ids = make_repository(&bare)?;
    let requests = Arc::new(requests(&bare, &ids));
    let (mut child, url) = start_server(&options, dir.path(), &root)?;
    let pid = child.id();
    println!(
        "load: {} s, {} concurrent clients, {} slow-body attackers, {} distinct pushes, server pid {pid} ({})",
        options.seconds,
        options.concurrency,
        options.slow_bodies,
        requests.len(),
        options.binary.display()
    );

    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
    let settings = HookSettings { url: url.clone(), timeout: Duration::from_secs(10), token_file: None };
    let mut clients = Vec::new();
    for client in 0..options.concurrency {
        let (requests, ok, errors, wrong, stop, settings) =
            (Arc::clone(&requests), Arc::clone(&ok), Arc::clone(&errors), Arc::clone(&wrong), Arc::clone(&stop), settings.clone());
        clients.push(runtime.spawn(async move {
            let mut next = client * 7919;
            while !stop.load(Ordering::Relaxed) {
                let (request, expected) = &requests[next % requests.len()];
                next += 1;
                match ask(&settings, request).await {
                    Ok(answer) if answer.accepted == *expected => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(answer) => {
                        eprintln!("load: wrong verdict for {:?}: accepted={} ({})", request.updates, answer.accepted, answer.message);
                        wrong.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(error) => {
                        eprintln!("load: error: {error}");
                        errors.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }

    let trickled = Arc::new(AtomicU64::new(0));
    let address = url.trim_start_matches("http://").to_owned();
    for _ in 0..options.slow_bodies {
        let (stop, trickled, address) = (Arc::clone(&stop), Arc::clone(&trickled), address.clone());
        clients.push(runtime.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                trickle(&address, &stop, &trickled).await;
            }
        }));
    }

    let started = Instant::now();
    let mut samples = Vec::new();
    let mut last = 0;
    println!("{:>4}  {:>9}  {:>8}", "s", "requests", "RSS MiB");
    for second in 1..=options.seconds {
        std::thread::sleep((started + Duration::from_secs(second)).saturating_duration_since(Instant::now()));
        let done = ok.load(Ordering::Relaxed) + wrong.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed);
        let rss = rss_kib(pid).unwrap_or(0);
        samples.push(rss);
        let mib = rss as f64 / 1024.0;
        println!("{second:>4}  {:>9}  {mib:>8.1}", done - last);
        last = done;
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Err("the server exited during the load".to_owned());
        }
    }
    stop.store(true, Ordering::Relaxed);
    runtime.block_on(async {
        for client in clients {
            let _ = client.await;
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let exit = child.wait().map_err(|e| e.to_string())?;

    let (ok, errors, wrong) = (ok.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), wrong.load(Ordering::Relaxed));
    let audit_lines = std::fs::read_to_string(dir.path().join("audit.jsonl")).map(|t| t.lines().count()).unwrap_or(0);
    // Memory is flat when the last third of the run peaks no higher than
    // the middle third did, give or take 10% and 4 MiB.
    let third = samples.len() / 3;
    let middle = samples[third..2 * third].iter().copied().max().unwrap_or(0);
    let end = samples[2 * third..].iter().copied().max().unwrap_or(0);
    let flat = end <= middle + middle / 10 + 4096;
    let peak = samples.iter().copied().max().unwrap_or(0);
    let bounded = options.slow_bodies == 0 || peak <= SLOW_BODIES_MAX_RSS_KIB;
    if options.slow_bodies > 0 {
        println!(
            "load: slow bodies: {} MiB trickled by {} attackers; server peak RSS {:.1} MiB (at most {} MiB: {})",
            trickled.load(Ordering::Relaxed) / (1024 * 1024),
            options.slow_bodies,
            peak as f64 / 1024.0,
            SLOW_BODIES_MAX_RSS_KIB / 1024,
            if bounded { "held" } else { "EXCEEDED" }
        );
    }
    let rate = (ok + errors + wrong) as f64 / elapsed;
    println!(
        "load: {ok} right answers, {wrong} wrong, {errors} errors in {elapsed:.1} s ({rate:.0}/s); audit lines {audit_lines}; \
         peak RSS middle third {:.1} MiB, last third {:.1} MiB ({}); server exit {exit}",
        middle as f64 / 1024.0,
        end as f64 / 1024.0,
        if flat { "flat" } else { "GROWING" }
    );
    let passed = errors == 0 && wrong == 0 && flat && bounded && exit.success() && audit_lines as u64 == ok;
    println!("load: {}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

/// One slow-body attack: a request that declares a 4 MiB body and sends it
/// in small pieces with pauses, until the server answers or hangs up.
async fn trickle(address: &str, stop: &AtomicBool, trickled: &AtomicU64) {
    use tokio::io::AsyncWriteExt;
    const BODY: usize = 4 * 1024 * 1024;
    let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
        tokio::time::sleep(Duration::from_millis(50)).await;
        return;
    };
    let head = format!(
        "POST /v1/pre-receive HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nContent-Length: {BODY}\r\n\r\n{{\"repository\": \""
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let piece = vec![b'a'; 16 * 1024];
    let mut sent = 0;
    while sent < BODY && !stop.load(Ordering::Relaxed) {
        let n = piece.len().min(BODY - sent);
        if stream.write_all(&piece[..n]).await.is_err() {
            return;
        }
        sent += n;
        trickled.fetch_add(n as u64, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
