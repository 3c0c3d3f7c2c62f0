//! The benchmark behind `bench/run`: signoff-gate against git itself and
//! against a hand-written shell hook, on repositories it generates
//! deterministically with `git fast-import`. Every row is a ratio measured
//! side by side in the same run (alternating runs after a warm-up, medians);
//! the table is markdown.
//!
//! ```sh
//! bench/run                 # everything (a few minutes on 2 cores)
//! bench/run --quick         # 1k and 10k only, fewer runs
//! bench/run --only signed   # the signed-approvals row only
//! bench/run --only attacks   # the 1 MB message and the 1,000-ref rows only
//! bench/run --only rules    # the blast-radius rule rows only
//! bench/run --only pushes   # the one-commit push rows only (server, in-process hook, 50,000 refs)
//! bench/run --only graphless # `check HEAD` over 100k commits without a commit-graph
//! bench/run --only report   # `report` over an audit log of 100,000 decisions
//! ```

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use signoff_gate::hook::{HookSettings, ask};
use signoff_gate::service::wire::{PreReceiveRequest, PreReceiveResponse, WireRefUpdate};

const ZERO: &str = "0000000000000000000000000000000000000000";

type Result<T> = std::result::Result<T, String>;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: error: {error}");
            std::process::ExitCode::from(2)
        }
    }
}

struct Options {
    /// Only generate the histories into this folder (for profiling), then stop.
    generate_only: Option<PathBuf>,
    quick: bool,
    /// Only the signed-approvals row (`--only signed`).
    only_signed: bool,
    /// Only the rows of pushes built to stall the gate (`--only attacks`).
    only_attacks: bool,
    /// Only the blast-radius rule rows (`--only rules`).
    only_rules: bool,
    /// Only the one-commit push rows (`--only pushes`).
    only_pushes: bool,
    /// Only the row without a commit-graph (`--only graphless`).
    only_graphless: bool,
    /// Only the accountability report row (`--only report`).
    only_report: bool,
    runs: usize,
    binary: PathBuf,
}

fn options() -> Result<Options> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile = me.parent().and_then(Path::parent).ok_or("unexpected location of the bench program")?;
    let mut options = Options {
        generate_only: None,
        quick: false,
        only_signed: false,
        only_attacks: false,
        only_rules: false,
        only_pushes: false,
        only_graphless: false,
        only_report: false,
        runs: 7,
        binary: profile.join("signoff-gate"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                options.quick = true;
                options.runs = 3;
            }
            "--only" => match args.next().as_deref() {
                Some("signed") => options.only_signed = true,
                Some("attacks") => options.only_attacks = true,
                Some("rules") => options.only_rules = true,
                Some("pushes") => options.only_pushes = true,
                Some("graphless") => options.only_graphless = true,
                Some("report") => options.only_report = true,
                other => {
                    return Err(format!("--only takes `signed`, `attacks`, `rules`, `pushes`, `graphless` or `report`, not {other:?}"));
                }
            },
            "--runs" => options.runs = args.next().and_then(|n| n.parse().ok()).ok_or("--runs needs a number")?,
            "--binary" => options.binary = PathBuf::from(args.next().ok_or("--binary needs a path")?),
            "--generate-only" => options.generate_only = Some(PathBuf::from(args.next().ok_or("--generate-only needs a folder")?)),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --quick, --only signed|attacks|rules|pushes|graphless|report, --runs N, --binary PATH, --generate-only DIR"
                ));
            }
        }
    }
    Ok(options)
}

// ---------------------------------------------------------------- generation

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

const PEOPLE: [&str; 12] = [
    "Dev Eloper <dev@corp.example>",
    "Mia Mid <mia@corp.example>",
    "Ravi Kumar <ravi@corp.example>",
    "Lena Fischer <lena@corp.example>",
    "Tomás García <tomas@corp.example>",
    "Yuki Sato <yuki@corp.example>",
    "Ola Nordmann <ola@corp.example>",
    "Chen Wei <chen@corp.example>",
    "Amara Okafor <amara@corp.example>",
    "Sam Staff <sam@corp.example>",
    "Alice Senior <alice@corp.example>",
    "Paul (aider) <paul@corp.example>",
];
const AREAS: [&str; 8] = ["deploy", "api", "db", "auth", "ui", "ci", "docs", "billing"];
const VERBS: [&str; 8] = ["fix", "add", "remove", "refactor", "speed up", "document", "rename", "test"];
const WORDS: [&str; 16] = [
    "the", "retry", "loop", "handler", "when", "timeout", "cache", "config", "is", "empty", "and", "request", "fails", "on", "startup",
    "path",
];
const AI_MARKERS: [&str; 6] = [
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
    "Co-authored-by: Codex <noreply@openai.com>",
    "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
    "Assisted-by: Gemini:gemini-2.5-pro",
    "Co-authored-by: devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
];

/// What a generated history holds.
struct History {
    tip: String,
    ai: usize,
}

/// One commit message: a subject, usually a body (sometimes long), and
/// trailers: Signed-off-by on most, AI markers on about 10%, half of those
/// approved by a senior.
fn message(rng: &mut Rng, k: usize, ai: &mut usize) -> String {
    let mut text = format!("{}: {} {} {k}\n", rng.pick(&AREAS), rng.pick(&VERBS), rng.pick(&WORDS));
    let paragraphs = match rng.below(10) {
        0..=2 => 0,
        3..=8 => 1 + rng.below(2),
        _ => 4 + rng.below(6),
    };
    for _ in 0..paragraphs {
        text.push('\n');
        let lines = 1 + rng.below(5);
        for _ in 0..lines {
            let words: Vec<&str> = (0..10 + rng.below(4)).map(|_| rng.pick(&WORDS)).collect();
            text.push_str(&words.join(" "));
            text.push('\n');
        }
    }
    let mut trailers = Vec::new();
    if rng.below(10) < 8 {
        trailers.push(format!("Signed-off-by: {}", rng.pick(&PEOPLE)));
    }
    if rng.below(10) < 3 {
        trailers.push(format!("Reviewed-by: {}", rng.pick(&PEOPLE)));
    }
    if rng.below(20) == 0 {
        trailers.push(format!("Fixes: {:012x} (\"an older change\")", rng.next() >> 16));
    }
    if rng.below(10) == 0 {
        *ai += 1;
        trailers.push(rng.pick(&AI_MARKERS).to_owned());
        if rng.below(2) == 0 {
            trailers.push("Approved-by: Alice Senior <alice@corp.example>".to_owned());
        }
    }
    if !trailers.is_empty() {
        text.push('\n');
        text.push_str(&trailers.join("\n"));
        text.push('\n');
    }
    text
}

/// Writes `commits` commits to `refname` of the bare repository `bare`
/// (created), with a merge of a two-commit side branch every 50 commits.
fn generate(bare: &Path, commits: usize, seed: u64, refname: &str) -> Result<History> {
    git_ok(bare.parent().ok_or("no parent")?, &["init", "--quiet", "--bare", "--initial-branch=main", &bare.display().to_string()])?;
    let mut rng = Rng(seed);
    let mut stream = Vec::with_capacity(commits * 400);
    let mut ai = 0;
    let mut mark = 0usize;
    let mut main_mark = 0usize;
    let mut k = 0usize;
    let mut time = 1_700_000_000u64;
    while k < commits {
        let merge_now = k > 0 && k % 50 == 0 && commits - k >= 3;
        let side_from = main_mark;
        let mut side_tip = 0;
        if merge_now {
            // Two commits on a side branch, then a merge into the mainline.
            for j in 0..2 {
                mark += 1;
                k += 1;
                time += 60;
                let parent = if j == 0 { side_from } else { side_tip };
                emit(&mut stream, "refs/heads/side", mark, parent, None, time, &message(&mut rng, k, &mut ai), &mut rng);
                side_tip = mark;
            }
        }
        mark += 1;
        k += 1;
        time += 60;
        let text = if merge_now { format!("Merge branch 'side-{k}'\n") } else { message(&mut rng, k, &mut ai) };
        emit(&mut stream, refname, mark, main_mark, merge_now.then_some(side_tip), time, &text, &mut rng);
        main_mark = mark;
    }
    // git-ai notes on one commit in a hundred, as a repository using it has.
    let note = "src/f.txt\n  abcd1234abcd1234 1-3\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\"model\":\"claude-4.5-opus\"},\"accepted_lines\":3}}}\n";
    let _ = write!(stream, "commit refs/notes/ai\ncommitter Dev Eloper <dev@corp.example> {time} +0000\ndata 6\nnotes\n");
    for noted in (1..=mark).step_by(100) {
        let _ = write!(stream, "N inline :{noted}\ndata {}\n{note}\n", note.len());
    }
    stream.push(b'\n');
    let mut import = Command::new("git")
        .current_dir(bare)
        .args(["fast-import", "--quiet", "--force"])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git fast-import: {e}"))?;
    import.stdin.take().ok_or("no stdin")?.write_all(&stream).map_err(|e| e.to_string())?;
    if !import.wait().map_err(|e| e.to_string())?.success() {
        return Err("git fast-import failed".to_owned());
    }
    git_ok(bare, &["update-ref", "-d", "refs/heads/side"])?;
    git_ok(bare, &["symbolic-ref", "HEAD", refname])?;
    // As a server leaves it: packed with deltas as git's pack-objects makes
    // them (a path's newest version whole, each older one a delta on the
    // next newer; fast-import writes the reverse, which no push brings),
    // with a commit-graph.
    git_ok(bare, &["repack", "--quiet", "-a", "-d", "-f", "--depth=50", "--window=10"])?;
    git_ok(bare, &["gc", "--quiet"])?;
    let tip = git_out(bare, &["rev-parse", refname])?;
    Ok(History { tip, ai })
}

#[allow(clippy::too_many_arguments)]
fn emit(out: &mut Vec<u8>, refname: &str, mark: usize, parent: usize, merge: Option<usize>, time: u64, text: &str, rng: &mut Rng) {
    let person = rng.pick(&PEOPLE);
    let _ = write!(out, "commit {refname}\nmark :{mark}\nauthor {person} {time} +0000\ncommitter {person} {time} +0000\n");
    let _ = write!(out, "data {}\n{text}", text.len());
    if parent > 0 {
        let _ = writeln!(out, "from :{parent}");
    }
    if let Some(merge) = merge {
        let _ = writeln!(out, "merge :{merge}");
    }
    let file = rng.below(300);
    let _ = write!(out, "M 644 inline src/file{file}.txt\ndata 12\nchange {:05}\n\n", mark % 100_000);
}

// ---------------------------------------------------------------- helpers

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Dev Eloper")
        .env("GIT_AUTHOR_EMAIL", "dev@corp.example")
        .env("GIT_COMMITTER_NAME", "Dev Eloper")
        .env("GIT_COMMITTER_EMAIL", "dev@corp.example");
    command
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<()> {
    let output = git(dir).args(args).output().map_err(|e| format!("git {args:?}: {e}"))?;
    if output.status.success() { Ok(()) } else { Err(format!("git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr))) }
}

fn git_out(dir: &Path, args: &[&str]) -> Result<String> {
    let output = git(dir).args(args).output().map_err(|e| format!("git {args:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs `command` to completion with stdout discarded; its wall time.
fn timed(command: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let status = command.stdout(Stdio::null()).stderr(Stdio::null()).status().map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    // check exits 1 when it finds refused commits: that is a result.
    if status.code().is_none_or(|code| code > 1) {
        return Err(format!("{command:?} failed: {status}"));
    }
    Ok(elapsed)
}

/// Peak RSS in KiB of `command`, by GNU time.
fn peak_rss_kib(command: &Command) -> Option<u64> {
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped.arg("-f").arg("%M").arg(command.get_program()).args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            wrapped.env(key, value);
        }
    }
    let output = wrapped.stdout(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&output.stderr).lines().last()?.trim().parse().ok()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `a` and `b` alternately `runs` times after one warm-up each;
/// returns their medians.
fn side_by_side(
    runs: usize,
    mut a: impl FnMut() -> Result<Duration>,
    mut b: impl FnMut() -> Result<Duration>,
) -> Result<(Duration, Duration)> {
    a()?;
    b()?;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..runs {
        if i % 2 == 0 {
            xs.push(a()?);
            ys.push(b()?);
        } else {
            ys.push(b()?);
            xs.push(a()?);
        }
    }
    Ok((median(xs), median(ys)))
}

/// Each of `runs` rounds runs every one of `measure` once, each round
/// starting one further along (after one warm-up round); the times of each.
fn in_turn(runs: usize, measure: &mut [&mut dyn FnMut() -> Result<Duration>]) -> Result<Vec<Vec<Duration>>> {
    for one in measure.iter_mut() {
        one()?;
    }
    let count = measure.len();
    let mut times = vec![Vec::with_capacity(runs); count];
    for round in 0..runs {
        for k in 0..count {
            let which = (round + k) % count;
            times[which].push(measure[which]()?);
        }
    }
    Ok(times)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

struct Row {
    what: String,
    measured: String,
    against: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

// ---------------------------------------------------------------- server

struct Server {
    child: Child,
    address: SocketAddr,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Starts `serve` with the bench's configuration and `extra` after it.
    fn start(binary: &Path, dir: &Path, root: &Path, name: &str) -> Result<Server> {
        Server::start_with(binary, dir, root, name, "")
    }

    fn start_with(binary: &Path, dir: &Path, root: &Path, name: &str, extra: &str) -> Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\ndeadline_seconds = 300\n\n\
                 # A few tools of the organisation's own, beside the built-in catalogue.\n\
                 [[detect.tool]]\nname = \"Acme Assistant\"\nemails = [\"assistant@acme.example\"]\ntrailer_keys = [\"Acme-Session\"]\n\
                 [[detect.tool]]\nname = \"Acme Reviewer\"\ngithub_logins = [\"acme-reviewer[bot]\"]\nbody_lines = [\"acme reviewer\"]\n\
                 [[detect.tool]]\nname = \"Acme Pair\"\nsession_urls = [\"pair.acme.example/s/\"]\n{extra}",
                root.display().to_string()
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(address).is_err() {
            if Instant::now() > deadline {
                return Err("the server did not start listening".to_owned());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
        Ok(Server { child, address, runtime })
    }

    fn settings(&self) -> HookSettings {
        HookSettings { url: format!("http://{}", self.address), timeout: Duration::from_secs(600), token_file: None }
    }

    /// One pre-receive request; its answer and round-trip time.
    fn ask(&self, request: &PreReceiveRequest) -> Result<(PreReceiveResponse, Duration)> {
        let started = Instant::now();
        let answer = self.runtime.block_on(ask(&self.settings(), request)).map_err(|e| e.to_string())?;
        Ok((answer, started.elapsed()))
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn request(repository: &Path, old: &str, new: &str, refname: &str) -> PreReceiveRequest {
    PreReceiveRequest {
        repository: repository.display().to_string(),
        quarantine: None,
        updates: vec![WireRefUpdate { old: old.to_owned(), new: new.to_owned(), refname: refname.to_owned() }],
        push_options: Vec::new(),
        pusher: None,
    }
}

// ---------------------------------------------------------------- rows

fn run() -> Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = options.generate_only.clone().unwrap_or_else(|| dir.path().join("repos"));
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let alice_key = bench_key();
    let alice_public = alice_key.public_key().to_openssh().map_err(|e| e.to_string())?;
    std::fs::write(
        dir.path().join("roster.toml"),
        format!("[[engineer]]\nname = \"Alice Senior\"\nemail = \"alice@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"{alice_public}\"]\n\n[[engineer]]\nname = \"Mia Mid\"\nemail = \"mia@corp.example\"\nlevel = \"mid\"\n"),
    )
    .map_err(|e| e.to_string())?;
    let sizes: &[usize] = if options.quick { &[1_000, 10_000] } else { &[1_000, 10_000, 100_000] };
    let mut rows = Vec::new();
    if options.only_signed {
        let server = Server::start(&options.binary, dir.path(), &root, "server")?;
        rows.extend(signed_push(&options, &root, &server, &alice_key)?);
        print_table(&rows);
        return Ok(());
    }
    if options.only_attacks {
        let server = Server::start(&options.binary, dir.path(), &root, "server")?;
        rows.extend(attacks(&options, &root, &server)?);
        print_table(&rows);
        return Ok(());
    }
    if options.only_pushes {
        generate(&root.join("history-1000.git"), 1_000, 0x5eed + 1_000, "refs/heads/import")?;
        let server = Server::start(&options.binary, dir.path(), &root, "server")?;
        rows.extend(small_pushes(&options, dir.path(), &root, &server)?);
        rows.extend(many_refs(&options, dir.path(), &root, &server)?);
        print_table(&rows);
        return Ok(());
    }
    if options.only_graphless {
        let size = *sizes.last().unwrap_or(&1_000);
        let bare = root.join(format!("history-{size}.git"));
        generate(&bare, size, 0x5eed + size as u64, "refs/heads/import")?;
        // Writes the configuration the row reads.
        let _server = Server::start(&options.binary, dir.path(), &root, "server")?;
        rows.push(without_graph(&options, size, &bare, &dir.path().join("server.toml"))?);
        print_table(&rows);
        return Ok(());
    }
    if options.only_report {
        rows.push(report_row(&options, dir.path())?);
        print_table(&rows);
        return Ok(());
    }
    if options.only_rules {
        let size = *sizes.last().unwrap_or(&1_000);
        let bare = root.join(format!("history-{size}.git"));
        let history = generate(&bare, size, 0x5eed + size as u64, "refs/heads/import")?;
        let small = root.join("history-1000.git");
        if size != 1_000 {
            generate(&small, 1_000, 0x5eed + 1_000, "refs/heads/import")?;
        }
        rows.extend(rules(&options, dir.path(), &root, (size, &bare, &history), &small)?);
        print_table(&rows);
        return Ok(());
    }

    // Histories on an unprotected ref, so a new protected branch at their tip
    // is an orphan: everything in it is new to the protected refs.
    let mut histories = Vec::new();
    for &size in sizes {
        let started = Instant::now();
        let bare = root.join(format!("history-{size}.git"));
        let history = generate(&bare, size, 0x5eed + size as u64, "refs/heads/import")?;
        eprintln!("bench: generated {size} commits ({} AI-assisted) in {:.1} s", history.ai, started.elapsed().as_secs_f64());
        histories.push((size, bare, history));
    }
    if options.generate_only.is_some() {
        return Ok(());
    }

    let server = Server::start(&options.binary, dir.path(), &root, "server")?;
    let config = dir.path().join("server.toml");

    // 1. Full history: check HEAD, and the server on an orphan protected branch, versus git log.
    for (size, bare, history) in &histories {
        let runs = if *size >= 100_000 { options.runs.min(5) } else { options.runs };
        let mut check = Command::new(&options.binary);
        check.current_dir(bare).arg("--config").arg(&config).args(["check", "HEAD"]);
        let mut log = git(bare);
        log.args(["log", "--format=%B", "HEAD"]);
        let (ours, git_log) = side_by_side(runs, || timed(&mut check), || timed(&mut log))?;
        let r = ratio(ours, git_log);
        rows.push(Row {
            what: format!("`check HEAD` over {size} commits"),
            measured: ms(ours),
            against: format!("`git log --format=%B`: {}", ms(git_log)),
            ratio: format!("{r:.2}×"),
            target: if *size >= 100_000 { "≤ 1.0×".to_owned() } else { String::new() },
            met: (*size >= 100_000).then_some(r <= 1.0),
        });
        let orphan = request(bare, ZERO, &history.tip, "refs/heads/release/orphan");
        let (served, git_log) = side_by_side(
            runs,
            || {
                let (answer, elapsed) = server.ask(&orphan)?;
                if answer.checked != *size {
                    return Err(format!("the server checked {} of {size} commits", answer.checked));
                }
                Ok(elapsed)
            },
            || timed(&mut log),
        )?;
        let r = ratio(served, git_log);
        rows.push(Row {
            what: format!("pre-receive, new orphan protected branch of {size} commits"),
            measured: ms(served),
            against: format!("`git log --format=%B`: {}", ms(git_log)),
            ratio: format!("{r:.2}×"),
            target: if *size >= 100_000 { "≤ 1.0×".to_owned() } else { String::new() },
            met: (*size >= 100_000).then_some(r <= 1.0),
        });
    }

    // 1b. The largest history in a copy that never wrote a commit-graph.
    if let Some((size, bare, _)) = histories.last() {
        rows.push(without_graph(&options, *size, bare, &config)?);
    }

    // 3. New protected branch off the largest history: nothing new to check.
    if let Some((size, bare, history)) = histories.last() {
        git_ok(bare, &["update-ref", "refs/heads/main", &history.tip])?;
        let (small_size, small_bare, small_history) = &histories[0];
        git_ok(small_bare, &["update-ref", "refs/heads/main", &small_history.tip])?;
        let branch = request(bare, ZERO, &history.tip, "refs/heads/release/next");
        let small_branch = request(small_bare, ZERO, &small_history.tip, "refs/heads/release/next");
        let (big, small) = side_by_side(
            options.runs.max(9),
            || {
                let (answer, elapsed) = server.ask(&branch)?;
                if answer.checked != 0 {
                    return Err(format!("a new branch off main checked {} commits", answer.checked));
                }
                Ok(elapsed)
            },
            || server.ask(&small_branch).map(|(_, elapsed)| elapsed),
        )?;
        rows.push(Row {
            what: format!("pre-receive, new protected branch off main ({size} commits)"),
            measured: ms(big),
            against: format!("same off a {small_size}-commit main: {}", ms(small)),
            ratio: format!("{:.2}×", ratio(big, small)),
            target: "≤ 20 ms".to_owned(),
            met: Some(big <= Duration::from_millis(20)),
        });
        git_ok(bare, &["update-ref", "-d", "refs/heads/main"])?;
        git_ok(small_bare, &["update-ref", "-d", "refs/heads/main"])?;
    }

    // 9. Blast-radius rules: every commit's tree diffed.
    if let Some((size, bare, history)) = histories.last() {
        rows.extend(rules(&options, dir.path(), &root, (*size, bare, history), &histories[0].1)?);
    }

    // 7. Signed approvals: every commit's change is diffed and its signature verified.
    rows.extend(signed_push(&options, &root, &server, &alice_key)?);

    // 8. Pushes built to stall the gate.
    rows.extend(attacks(&options, &root, &server)?);

    // 2. Small pushes through the real hook.
    rows.extend(small_pushes(&options, dir.path(), &root, &server)?);

    // 6. 50,000 refs.
    rows.extend(many_refs(&options, dir.path(), &root, &server)?);

    // 9. The accountability report over a large audit log.
    rows.push(report_row(&options, dir.path())?);

    // 4. Throughput.
    rows.push(throughput(&server, dir.path(), &root, if options.quick { 5 } else { 10 })?);

    // 5. Memory.
    if let Some((size, bare, history)) = histories.last() {
        drop(server);
        let fresh = Server::start(&options.binary, dir.path(), &root, "memory")?;
        let (answer, _) = fresh.ask(&request(bare, ZERO, &history.tip, "refs/heads/release/orphan"))?;
        let server_peak = fresh.peak_rss_kib();
        drop(fresh);
        let mut check = Command::new(&options.binary);
        check.current_dir(bare).arg("--config").arg(&config).args(["check", "HEAD"]);
        let check_peak = peak_rss_kib(&check);
        let mut log = git(bare);
        log.args(["log", "--format=%B", "HEAD"]);
        let log_peak = peak_rss_kib(&log);
        let mib = |kib: Option<u64>| kib.map_or("n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let versus = |ours: Option<u64>| match (ours, log_peak) {
            (Some(a), Some(b)) => format!("{:.2}×", a as f64 / b as f64),
            _ => "n/a".to_owned(),
        };
        let limit = 64 * 1024;
        rows.push(Row {
            what: format!("peak RSS, server deciding a {size}-commit push ({} checked)", answer.checked),
            measured: mib(server_peak),
            against: format!("`git log --format=%B`: {}", mib(log_peak)),
            ratio: versus(server_peak),
            target: "≤ 64 MiB".to_owned(),
            met: server_peak.map(|k| k <= limit),
        });
        rows.push(Row {
            what: format!("peak RSS, `check` over {size} commits"),
            measured: mib(check_peak),
            against: format!("`git log --format=%B`: {}", mib(log_peak)),
            ratio: versus(check_peak),
            target: "≤ 64 MiB".to_owned(),
            met: check_peak.map(|k| k <= limit),
        });
    }

    print_table(&rows);
    Ok(())
}

/// `check HEAD` versus `git log` in a copy of `bare` without a commit-graph
/// (a fresh mirror, a host that never runs `git gc`).
fn without_graph(options: &Options, size: usize, bare: &Path, config: &Path) -> Result<Row> {
    let copy = bare.with_extension("nograph.git");
    let status = Command::new("cp").arg("-r").arg(bare).arg(&copy).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cannot copy the history".to_owned());
    }
    let info = copy.join("objects/info");
    let _ = std::fs::remove_file(info.join("commit-graph"));
    let _ = std::fs::remove_dir_all(info.join("commit-graphs"));
    let mut check = Command::new(&options.binary);
    check.current_dir(&copy).arg("--config").arg(config).args(["check", "HEAD"]);
    let mut log = git(&copy);
    log.args(["log", "--format=%B", "HEAD"]);
    let (ours, git_log) = side_by_side(options.runs.min(5), || timed(&mut check), || timed(&mut log))?;
    let r = ratio(ours, git_log);
    let _ = std::fs::remove_dir_all(&copy);
    Ok(Row {
        what: format!("`check HEAD` over {size} commits, no commit-graph"),
        measured: ms(ours),
        against: format!("`git log --format=%B`: {}", ms(git_log)),
        ratio: format!("{r:.2}×"),
        target: "≤ 1.0×".to_owned(),
        met: Some(r <= 1.0),
    })
}

/// Three blast-radius rules that read every commit's change: a path rule
/// and a size rule for all commits, a deletion rule for AI-assisted ones.
const THREE_RULES: &str = "\n[[policy.rule]]\nname = \"source\"\napplies_to = \"all\"\npaths = [\"src/file1*.txt\"]\n\
     [[policy.rule]]\nname = \"review-size\"\napplies_to = \"all\"\nmin_changed_lines = 400\nrequired_approvals = 2\n\
     [[policy.rule]]\nname = \"mass-deletion\"\nmin_deleted_files = 25\n";

/// One path rule for all commits.
const PATH_RULE: &str = "\n[[policy.rule]]\nname = \"source\"\napplies_to = \"all\"\npaths = [\"src/file1*.txt\"]\n";

/// The blast-radius rows: `check` with a path rule for every commit versus
/// `git log --raw`, a one-commit push with three rules versus none, and
/// peak memory with rules.
fn rules(options: &Options, dir: &Path, root: &Path, largest: (usize, &Path, &History), small: &Path) -> Result<Vec<Row>> {
    let (size, bare, history) = largest;
    let mut rows = Vec::new();
    let with_rules = Server::start_with(&options.binary, dir, root, "rules", THREE_RULES)?;
    let without = Server::start(&options.binary, dir, root, "norules")?;
    let path_rule = dir.join("path-rule.toml");
    std::fs::write(&path_rule, format!("[server]\nroster = \"roster.toml\"\nrepo_roots = [{:?}]\n{PATH_RULE}", root.display().to_string()))
        .map_err(|e| e.to_string())?;

    // `check` over the largest history with a path rule for every commit.
    let runs = if size >= 100_000 { options.runs.min(5) } else { options.runs };
    let mut check = Command::new(&options.binary);
    check.current_dir(bare).arg("--config").arg(&path_rule).args(["check", "HEAD"]);
    let mut log = git(bare);
    log.args(["log", "--raw", "--no-renames", "--format=%B", "HEAD"]);
    let (ours, git_log) = side_by_side(runs, || timed(&mut check), || timed(&mut log))?;
    let r = ratio(ours, git_log);
    rows.push(Row {
        what: format!("`check HEAD` over {size} commits, a path rule for every commit"),
        measured: ms(ours),
        against: format!("`git log --raw --no-renames --format=%B`: {}", ms(git_log)),
        ratio: format!("{r:.2}×"),
        target: "≤ 1.0×".to_owned(),
        met: Some(r <= 1.0),
    });

    // A one-commit push: the decision with three rules, and with none.
    let tip = git_out(small, &["rev-parse", "refs/heads/import"])?;
    let parent = git_out(small, &["rev-parse", "refs/heads/import~1"])?;
    let one = request(small, &parent, &tip, "refs/heads/main");
    let (ruled, plain) = side_by_side(
        options.runs.max(41),
        || {
            let (answer, elapsed) = with_rules.ask(&one)?;
            if answer.checked != 1 {
                return Err(format!("a one-commit push checked {} commits", answer.checked));
            }
            Ok(elapsed)
        },
        || without.ask(&one).map(|(_, elapsed)| elapsed),
    )?;
    let added = ruled.saturating_sub(plain);
    rows.push(Row {
        what: "pre-receive, one-commit push with three rules".to_owned(),
        measured: format!("{} (+{})", ms(ruled), ms(added)),
        against: format!("no rules: {}", ms(plain)),
        ratio: format!("{:.2}×", ratio(ruled, plain)),
        target: "≤ +2 ms".to_owned(),
        met: Some(added <= Duration::from_millis(2)),
    });
    drop(with_rules);
    drop(without);

    // Memory with rules: a fresh server deciding the whole history, and `check`.
    let fresh = Server::start_with(&options.binary, dir, root, "rules-memory", THREE_RULES)?;
    let (answer, _) = fresh.ask(&request(bare, ZERO, &history.tip, "refs/heads/release/orphan"))?;
    let server_peak = fresh.peak_rss_kib();
    drop(fresh);
    let check_peak = peak_rss_kib(&check);
    let log_peak = peak_rss_kib(&log);
    let mib = |kib: Option<u64>| kib.map_or("n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let limit = 64 * 1024;
    for (what, peak) in [
        (format!("peak RSS, server deciding a {size}-commit push with three rules ({} checked)", answer.checked), server_peak),
        (format!("peak RSS, `check` over {size} commits with a path rule"), check_peak),
    ] {
        rows.push(Row {
            what,
            measured: mib(peak),
            against: format!("`git log --raw`: {}", mib(log_peak)),
            ratio: match (peak, log_peak) {
                (Some(a), Some(b)) => format!("{:.2}×", a as f64 / b as f64),
                _ => "n/a".to_owned(),
            },
            target: "≤ 64 MiB".to_owned(),
            met: peak.map(|k| k <= limit),
        });
    }
    Ok(rows)
}

/// Alice's key in the benchmark: fixed, so runs are comparable.
fn bench_key() -> ssh_key::PrivateKey {
    ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[42; 32]))
}

/// `count` AI-assisted commits on `refname`, each changing one of 20 files
/// (ten lines), with `approval(k)` appended to commit k's message.
fn signed_stream(refname: &str, count: usize, approval: impl Fn(usize) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 900);
    for k in 1..=count {
        let time = 1_700_000_000 + k * 60;
        let text = format!("bench: signed change {k}\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n{}", approval(k));
        let _ = write!(
            out,
            "commit {refname}\nmark :{k}\nauthor Dev Eloper <dev@corp.example> {time} +0000\ncommitter Dev Eloper <dev@corp.example> {time} +0000\n"
        );
        let _ = write!(out, "data {}\n{text}", text.len());
        if k > 1 {
            let _ = writeln!(out, "from :{}", k - 1);
        }
        let content: String = (0..10).map(|line| format!("value {k} line {line}\n")).collect();
        let _ = write!(out, "M 644 inline src/f{}.txt\ndata {}\n{content}\n", k % 20, content.len());
    }
    out
}

fn fast_import(bare: &Path, stream: &[u8]) -> Result<()> {
    let mut import =
        git(bare).args(["fast-import", "--quiet", "--force"]).stdin(Stdio::piped()).spawn().map_err(|e| format!("git fast-import: {e}"))?;
    import.stdin.take().ok_or("no stdin")?.write_all(stream).map_err(|e| e.to_string())?;
    if import.wait().map_err(|e| e.to_string())?.success() { Ok(()) } else { Err("git fast-import failed".to_owned()) }
}

/// A push of 1,000 AI-assisted commits, each carrying Alice's signed
/// approval, against git computing the same patch-ids. The objects are the
/// ones a real `git push` brings: a developer's commits are loose, `git
/// push` packs them afresh, and the server decides while they sit in the
/// push's quarantine (a pre-receive hook keeps a copy of it): to a new
/// repository, and to one with history (the walk reads the new commits to
/// tell them from the repository's own before any is judged). A third row
/// is informational: the same commits as history already in a repository,
/// in the pack `git fast-import` wrote and `git gc` kept, whose deltas run
/// the other way (each version on the one before it).
fn signed_push(options: &Options, root: &Path, server: &Server, key: &ssh_key::PrivateKey) -> Result<Vec<Row>> {
    use signoff_gate::policy::approval::{NAMESPACE, folded_signature, statement};
    use ssh_encoding::Encode;
    use ssh_encoding::base64::{Base64, Encoding};
    const COUNT: usize = 1_000;
    let client = root.join("signed-1000-client.git");
    git_ok(root, &["init", "--quiet", "--bare", &client.display().to_string()])?;
    // First without approvals, to learn each change's id (the commits with
    // approvals have the same trees, so the same changes).
    fast_import(&client, &signed_stream("refs/heads/plain", COUNT, |_| String::new()))?;
    let ids = git_out(&client, &["rev-list", "--reverse", "refs/heads/plain"])?;
    let repo = signoff_gate::git::GitRepo::discover(&client).map_err(|e| e.to_string())?;
    let changes: Vec<String> = ids.lines().map(|id| repo.change_id(id).map_err(|e| e.to_string())).collect::<Result<_>>()?;
    drop(repo);
    let mut approvals = Vec::with_capacity(COUNT);
    for change in &changes {
        let signature =
            key.sign(NAMESPACE, ssh_key::HashAlg::Sha512, statement("alice@corp.example", change).as_bytes()).map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        signature.encode(&mut raw).map_err(|e| e.to_string())?;
        approvals
            .push(format!("Approved-by: Alice Senior <alice@corp.example>\n{}", folded_signature(change, &Base64::encode_string(&raw))));
    }
    fast_import(&client, &signed_stream("refs/heads/import", COUNT, |k| approvals[k - 1].clone()))?;
    git_ok(&client, &["update-ref", "-d", "refs/heads/plain"])?;
    let tip = git_out(&client, &["rev-parse", "refs/heads/import"])?;

    // The same commits as history in the repository, as imported.
    let imported = root.join("signed-1000-imported.git");
    git_ok(root, &["init", "--quiet", "--bare", &imported.display().to_string()])?;
    copy_packs(&client, &imported)?;
    git_ok(&imported, &["update-ref", "refs/heads/import", &tip])?;
    git_ok(&imported, &["gc", "--quiet"])?;

    // The developer's side: loose objects, as `git commit` leaves them.
    loosen(&client)?;
    // The push, to a new repository and to one with a 1,000-commit history
    // (packed, with a commit-graph: the walk must tell the new commits
    // from the repository's own first).
    let fresh = root.join("signed-1000.git");
    git_ok(root, &["init", "--quiet", "--bare", &fresh.display().to_string()])?;
    let onto = root.join("signed-onto-history.git");
    generate(&onto, 1_000, 0x5eed + 7, "refs/heads/main")?;
    let mut pushed = Vec::new();
    for bare in [&fresh, &onto] {
        pushed.push(keep_quarantine(&client, bare, "refs/heads/import:refs/heads/release/signed")?);
    }

    let cases =
        [(&fresh, Some(&pushed[0]), "", true), (&onto, Some(&pushed[1]), " --not refs/heads/main", true), (&imported, None, "", false)];
    let mut rows = Vec::new();
    for (repository, quarantine, not, target) in cases {
        let mut push = request(repository, ZERO, &tip, "refs/heads/release/signed");
        push.quarantine = quarantine.map(|path| path.display().to_string());
        let mut reference = Command::new("sh");
        reference.current_dir(repository).args(["-c", &format!("git log -p --format= {tip}{not} | git patch-id --stable")]);
        if let Some(quarantine) = quarantine {
            reference.env("GIT_OBJECT_DIRECTORY", quarantine).env("GIT_ALTERNATE_OBJECT_DIRECTORIES", repository.join("objects"));
        }
        // Short runs on a shared machine: three times the usual count.
        let (served, git_time) = side_by_side(
            options.runs * 3,
            || {
                let (answer, elapsed) = server.ask(&push)?;
                if answer.checked != COUNT || answer.refused != 0 {
                    return Err(format!("signed push: {} checked, {} refused: {}", answer.checked, answer.refused, answer.message));
                }
                Ok(elapsed)
            },
            || timed(&mut reference),
        )?;
        let r = ratio(served, git_time);
        let what = if quarantine.is_none() {
            format!("the same {COUNT} commits as history in a `git fast-import` pack (each version a delta on the one before)")
        } else if !not.is_empty() {
            format!("the same push to a repository with a {}-commit history and a commit-graph", 1_000)
        } else {
            format!("pre-receive, a push of {COUNT} AI-assisted commits each with a signed approval, to a new repository")
        };
        rows.push(Row {
            what,
            measured: ms(served),
            against: format!("`git log -p --format= | git patch-id --stable`: {}", ms(git_time)),
            ratio: format!("{r:.2}×"),
            target: if target { "≤ 1.0×" } else { "informational" }.to_owned(),
            met: target.then_some(r <= 1.0),
        });
    }
    Ok(rows)
}

/// Pushes `refspec` from `client` to `bare`, whose pre-receive hook keeps a
/// copy of the push's quarantine (inside the repository's `objects`, where
/// the gate reads a quarantine) and refuses the push; the copy's path.
fn keep_quarantine(client: &Path, bare: &Path, refspec: &str) -> Result<PathBuf> {
    let kept = bare.join("objects").join("incoming-bench");
    let hook = bare.join("hooks").join("pre-receive");
    std::fs::write(&hook, format!("#!/bin/sh\ncp -R \"$GIT_QUARANTINE_PATH\" '{}'\nexit 1\n", kept.display()))
        .map_err(|e| e.to_string())?;
    make_executable(&hook)?;
    // Refused by the hook, once it has kept the quarantine.
    let _ = git(client).args(["push", "--quiet", &bare.display().to_string(), refspec]).output();
    if kept.join("pack").is_dir() { Ok(kept) } else { Err(format!("push to {}: the pre-receive hook kept no quarantine", bare.display())) }
}

/// Copies the packs of `from` into `to` (a clone would pack afresh).
fn copy_packs(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from.join("objects").join("pack")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, to.join("objects").join("pack").join(name)).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())
}

/// Turns `bare`'s packs into loose objects.
fn loosen(bare: &Path) -> Result<()> {
    let packs = bare.join("objects").join("pack");
    let aside = bare.join("packs-aside");
    std::fs::rename(&packs, &aside).map_err(|e| e.to_string())?;
    std::fs::create_dir(&packs).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(&aside).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "pack") {
            let pack = std::fs::File::open(&path).map_err(|e| e.to_string())?;
            let status = git(bare).args(["unpack-objects", "-q"]).stdin(pack).status().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("git unpack-objects failed".to_owned());
            }
        }
    }
    std::fs::remove_dir_all(&aside).map_err(|e| e.to_string())
}

/// Pushes built to stall the gate: a 1 MB message (about the most the gate
/// reads, `MAX_MESSAGE_BYTES`) made of what once took quadratic time, and
/// 1,000 protected refs created at one tip.
fn attacks(options: &Options, root: &Path, server: &Server) -> Result<Vec<Row>> {
    let mut rows = Vec::new();

    // A 1 MB message: a marker, then `[bot]@` repeated, distinct footers,
    // distinct co-authors and long lines.
    let bare = root.join("attack-message.git");
    git_ok(root, &["init", "--quiet", "--bare", &bare.display().to_string()])?;
    let mut text = String::from("Harmless subject\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n");
    while text.len() < 300_000 {
        text.push_str("[bot]@");
    }
    text.push('\n');
    let mut n = 0;
    while text.len() < 1_000_000 {
        n += 1;
        let _ = writeln!(text, "🤖 Generated with [Claude Code](https://claude.com/claude-code/{n})");
        let _ = writeln!(text, "    Co-authored-by: Person {n} <p{n}@corp.example> helper{n}[bot]@corp.example");
    }
    if text.len() > signoff_gate::policy::facts::MAX_MESSAGE_BYTES {
        return Err(format!("the attack message is {} bytes, more than the gate reads", text.len()));
    }
    let time = 1_700_000_000;
    let stream = format!(
        "commit refs/heads/import\nmark :1\nauthor Dev <dev@corp.example> {time} +0000\ncommitter Dev <dev@corp.example> {time} +0000\ndata {}\n{text}\nM 644 inline f.txt\ndata 2\nx\n\n",
        text.len()
    );
    fast_import(&bare, stream.as_bytes())?;
    let tip = git_out(&bare, &["rev-parse", "refs/heads/import"])?;
    let push = request(&bare, ZERO, &tip, "refs/heads/main");
    let mut log = git(&bare);
    log.args(["log", "--format=%B", "refs/heads/import"]);
    let (served, git_log) = side_by_side(
        options.runs,
        || {
            let (answer, elapsed) = server.ask(&push)?;
            // Refused for its marker: read to the end, not refused unread.
            if answer.accepted || answer.refused != 1 || !answer.message.contains("ai-unapproved") {
                return Err(format!("the 1 MB message was not refused for its marker: {}", answer.message));
            }
            Ok(elapsed)
        },
        || timed(&mut log),
    )?;
    rows.push(Row {
        what: format!("pre-receive, one commit with a {:.1} MB message built to be slow to read", text.len() as f64 / 1e6),
        measured: ms(served),
        against: format!("`git log --format=%B`: {}", ms(git_log)),
        ratio: format!("{:.2}×", ratio(served, git_log)),
        target: "≤ 250 ms".to_owned(),
        met: Some(served <= Duration::from_millis(250)),
    });

    // 1,000 protected refs created at the tip of a 10,000-commit history no
    // protected ref holds: the history is judged once, not 1,000 times.
    let bare = root.join("attack-refs.git");
    let history = generate(&bare, 10_000, 0xbad, "refs/heads/import")?;
    let one = request(&bare, ZERO, &history.tip, "refs/heads/release/r0");
    let mut many = request(&bare, ZERO, &history.tip, "refs/heads/release/r0");
    many.updates = (0..1_000)
        .map(|k| WireRefUpdate { old: ZERO.to_owned(), new: history.tip.clone(), refname: format!("refs/heads/release/r{k}") })
        .collect();
    let (thousand, single) = side_by_side(
        options.runs,
        || {
            let (answer, elapsed) = server.ask(&many)?;
            if answer.checked != 10_000 {
                return Err(format!("1,000 refs at one tip: {} commits checked, not 10000", answer.checked));
            }
            Ok(elapsed)
        },
        || server.ask(&one).map(|(_, elapsed)| elapsed),
    )?;
    let r = ratio(thousand, single);
    rows.push(Row {
        what: "pre-receive, 1,000 protected refs created at one 10k-commit tip".to_owned(),
        measured: ms(thousand),
        against: format!("one such ref: {}", ms(single)),
        ratio: format!("{r:.2}×"),
        target: "≤ 1.2×".to_owned(),
        met: Some(r <= 1.2),
    });
    Ok(rows)
}

/// A bare repository seeded with `history`'s first commits, a clone to push
/// from, and the given hook.
fn push_pair(
    dir: &Path,
    root: &Path,
    name: &str,
    source: &Path,
    hook: Option<&str>,
    binary: &Path,
    url: &str,
) -> Result<(PathBuf, PathBuf)> {
    let bare = root.join(format!("{name}.git"));
    git_ok(root, &["clone", "--quiet", "--bare", "--no-local", &source.display().to_string(), &bare.display().to_string()])?;
    git_ok(&bare, &["update-ref", "refs/heads/main", "refs/heads/import"])?;
    let work = dir.join(format!("{name}-work"));
    git_ok(dir, &["clone", "--quiet", "--branch", "main", &bare.display().to_string(), &work.display().to_string()])?;
    if let Some(hook) = hook {
        let path = bare.join("hooks/pre-receive");
        std::fs::write(&path, hook).map_err(|e| e.to_string())?;
        let _ = Command::new("chmod").arg("755").arg(&path).status();
        git_ok(&bare, &["config", "signoff-gate.bin", &binary.display().to_string()])?;
        git_ok(&bare, &["config", "signoff-gate.url", url])?;
        git_ok(&bare, &["config", "bench.roster", &dir.join("roster.toml").display().to_string()])?;
    }
    Ok((bare, work))
}

/// Commits one human change in `work` and pushes it; the push's wall time.
fn push_one(work: &Path, n: &mut usize) -> Result<Duration> {
    *n += 1;
    std::fs::write(work.join("bench.txt"), format!("{n}\n")).map_err(|e| e.to_string())?;
    git_ok(work, &["commit", "--quiet", "-a", "-m", &format!("bench: change {n}\n\nSigned-off-by: Dev Eloper <dev@corp.example>")])
        .or_else(|_| {
            git_ok(work, &["add", "bench.txt"])?;
            git_ok(work, &["commit", "--quiet", "-m", &format!("bench: change {n}\n\nSigned-off-by: Dev Eloper <dev@corp.example>")])
        })?;
    let mut push = git(work);
    push.args(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    let started = Instant::now();
    let output = push.output().map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!("push failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(elapsed)
}

fn small_pushes(options: &Options, dir: &Path, root: &Path, server: &Server) -> Result<Vec<Row>> {
    let source = root.join("history-1000.git");
    let url = format!("http://{}", server.address);
    let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/pre-receive")).map_err(|e| e.to_string())?;
    let shell = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bench/reference-pre-receive")).map_err(|e| e.to_string())?;
    let (_, with_hook) = push_pair(dir, root, "push-gate", &source, Some(&ours), &options.binary, &url)?;
    let (_, without) = push_pair(dir, root, "push-plain", &source, None, &options.binary, &url)?;
    let (_, with_shell) = push_pair(dir, root, "push-shell", &source, Some(&shell), &options.binary, &url)?;
    // The same hook deciding in its own process (`signoff-gate.mode local`).
    let (local_bare, with_local) = push_pair(dir, root, "push-local", &source, Some(&ours), &options.binary, &url)?;
    git_ok(&local_bare, &["config", "signoff-gate.mode", "local"])?;
    git_ok(&local_bare, &["config", "signoff-gate.config", &dir.join("server.toml").display().to_string()])?;
    let runs = options.runs.max(15);
    let (mut a, mut b, mut c, mut d) = (0, 0, 0, 0);
    let (gate, plain) = side_by_side(runs, || push_one(&with_hook, &mut a), || push_one(&without, &mut b))?;
    let (gate2, reference) = side_by_side(runs, || push_one(&with_hook, &mut a), || push_one(&with_shell, &mut c))?;
    let (local, plain2) = side_by_side(runs, || push_one(&with_local, &mut d), || push_one(&without, &mut b))?;
    let added = gate.saturating_sub(plain);
    let local_added = local.saturating_sub(plain2);
    Ok(vec![
        Row {
            what: "one-commit `git push`, the hook deciding in-process".to_owned(),
            measured: format!("{} (+{})", ms(local), ms(local_added)),
            against: format!("no hook: {}", ms(plain2)),
            ratio: format!("{:.2}×", ratio(local, plain2)),
            target: "≤ +10 ms".to_owned(),
            met: Some(local_added <= Duration::from_millis(10)),
        },
        Row {
            what: "one-commit `git push` with the gate".to_owned(),
            measured: format!("{} (+{})", ms(gate), ms(added)),
            against: format!("no hook: {}", ms(plain)),
            ratio: format!("{:.2}×", ratio(gate, plain)),
            target: "≤ +10 ms".to_owned(),
            met: Some(added <= Duration::from_millis(10)),
        },
        Row {
            what: "one-commit `git push` with the gate".to_owned(),
            measured: ms(gate2),
            against: format!("shell hook (`bench/reference-pre-receive`): {}", ms(reference)),
            ratio: format!("{:.2}×", ratio(gate2, reference)),
            target: String::new(),
            met: None,
        },
    ])
}

fn many_refs(options: &Options, dir: &Path, root: &Path, server: &Server) -> Result<Vec<Row>> {
    let source = root.join("history-1000.git");
    let url = format!("http://{}", server.address);
    let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/pre-receive")).map_err(|e| e.to_string())?;
    let (few_bare, few_work) = push_pair(dir, root, "refs-10", &source, Some(&ours), &options.binary, &url)?;
    let (many_bare, many_work) = push_pair(dir, root, "refs-50000", &source, Some(&ours), &options.binary, &url)?;
    let ids: Vec<String> = git_out(&many_bare, &["rev-list", "main"])?.lines().map(str::to_owned).collect();
    let refs = |bare: &Path, count: usize| -> Result<()> {
        let mut commands = String::new();
        for i in 0..count {
            let id = &ids[i % ids.len()];
            let name = match i % 10 {
                0..=5 => format!("refs/heads/feature/{i:05}"),
                6..=8 => format!("refs/tags/v{}.{}.{}", i / 1000, i / 10 % 100, i % 10),
                _ => format!("refs/heads/user/u{}/{i}", i % 97),
            };
            let _ = writeln!(commands, "create {name} {id}");
        }
        for release in 1..=3 {
            let _ = writeln!(commands, "create refs/heads/release/{release} {}", ids[release * 10]);
        }
        let mut update = git(bare).args(["update-ref", "--stdin"]).stdin(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
        update.stdin.take().ok_or("no stdin")?.write_all(commands.as_bytes()).map_err(|e| e.to_string())?;
        if !update.wait().map_err(|e| e.to_string())?.success() {
            return Err("git update-ref --stdin failed".to_owned());
        }
        git_ok(bare, &["pack-refs", "--all"])
    };
    let (few_plain_bare, few_plain_work) = push_pair(dir, root, "refs-10-plain", &source, None, &options.binary, &url)?;
    let (many_plain_bare, many_plain_work) = push_pair(dir, root, "refs-50000-plain", &source, None, &options.binary, &url)?;
    refs(&few_bare, 6)?;
    refs(&many_bare, 50_000)?;
    refs(&few_plain_bare, 6)?;
    refs(&many_plain_bare, 50_000)?;
    let count = |bare: &Path| git_out(bare, &["for-each-ref", "--format=x"]).map(|out| out.lines().count());
    let (few_count, many_count) = (count(&few_bare)?, count(&many_bare)?);
    let runs = options.runs.max(11);
    // The four pushes in turn, so that what the gate adds is measured as
    // the difference of two pushes made moments apart (the median of
    // those differences), not of two medians taken minutes apart.
    let (mut a, mut b, mut c, mut d) = (0, 0, 0, 0);
    let times = in_turn(
        runs,
        &mut [
            &mut || push_one(&many_work, &mut a),
            &mut || push_one(&few_work, &mut b),
            &mut || push_one(&many_plain_work, &mut c),
            &mut || push_one(&few_plain_work, &mut d),
        ],
    )?;
    let [many, few, many_plain, few_plain] = [0, 1, 2, 3].map(|k| median(times[k].clone()));
    let added = |with: usize, without: usize| median(times[with].iter().zip(&times[without]).map(|(w, o)| w.saturating_sub(*o)).collect());
    let (added_many, added_few) = (added(0, 2), added(1, 3));
    // The server's part alone, with the same one-commit update.
    let tip = git_out(&many_bare, &["rev-parse", "main"])?;
    let parent = git_out(&many_bare, &["rev-parse", "main~1"])?;
    let few_tip = git_out(&few_bare, &["rev-parse", "main"])?;
    let few_parent = git_out(&few_bare, &["rev-parse", "main~1"])?;
    let many_request = request(&many_bare, &parent, &tip, "refs/heads/main");
    let few_request = request(&few_bare, &few_parent, &few_tip, "refs/heads/main");
    let (many_server, few_server) =
        side_by_side(runs, || server.ask(&many_request).map(|(_, d)| d), || server.ask(&few_request).map(|(_, d)| d))?;
    let r = ratio(many, few);
    Ok(vec![
        Row {
            what: format!("one-commit `git push`, {many_count} refs"),
            measured: ms(many),
            against: format!("{few_count} refs: {}", ms(few)),
            ratio: format!("{r:.2}×"),
            target: "≤ 2×".to_owned(),
            met: Some(r <= 2.0),
        },
        Row {
            what: format!("one-commit `git push` without a hook, {many_count} refs (git alone)"),
            measured: ms(many_plain),
            against: format!("{few_count} refs: {}", ms(few_plain)),
            ratio: format!("{:.2}×", ratio(many_plain, few_plain)),
            target: String::new(),
            met: None,
        },
        Row {
            what: format!("time the gate adds to that push, {many_count} refs"),
            measured: ms(added_many),
            against: format!("{few_count} refs: {}", ms(added_few)),
            ratio: format!("{:.2}×", ratio(added_many, added_few)),
            target: "≤ 2×".to_owned(),
            met: Some(ratio(added_many, added_few) <= 2.0),
        },
        Row {
            what: format!("pre-receive alone, {many_count} refs"),
            measured: ms(many_server),
            against: format!("{few_count} refs: {}", ms(few_server)),
            ratio: format!("{:.2}×", ratio(many_server, few_server)),
            target: String::new(),
            met: None,
        },
    ])
}

/// Concurrent one-commit pre-receive requests for `seconds`, each on a new
/// connection, against the same loop on `/healthz` (the HTTP floor).
fn throughput(server: &Server, dir: &Path, root: &Path, seconds: u64) -> Result<Row> {
    let _ = dir;
    let bare = root.join("history-1000.git");
    let ids: Vec<String> = git_out(&bare, &["rev-list", "--first-parent", "import"])?.lines().map(str::to_owned).collect();
    git_ok(&bare, &["update-ref", "refs/heads/main", &ids[ids.len() / 2]])?;
    let requests: Arc<Vec<PreReceiveRequest>> =
        Arc::new((1..ids.len() / 2).map(|i| request(&bare, &ids[i], &ids[i - 1], "refs/heads/main")).collect());
    let settings = server.settings();
    let measure = |health: bool| -> Result<(u64, u64, f64)> {
        let ok = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for client in 0..32 {
            let (ok, errors, stop, requests, settings) =
                (Arc::clone(&ok), Arc::clone(&errors), Arc::clone(&stop), Arc::clone(&requests), settings.clone());
            let address = server.address;
            tasks.push(server.runtime.spawn(async move {
                let mut next = client * 31;
                while !stop.load(Ordering::Relaxed) {
                    next += 1;
                    let result = if health {
                        healthz(address).await
                    } else {
                        ask(&settings, &requests[next % requests.len()]).await.map(|_| ()).map_err(|e| e.to_string())
                    };
                    match result {
                        Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        let started = Instant::now();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        server.runtime.block_on(async {
            for task in tasks {
                let _ = task.await;
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        Ok((ok.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), elapsed))
    };
    let (decided, errors, elapsed) = measure(false)?;
    let (probes, probe_errors, probe_elapsed) = measure(true)?;
    git_ok(&bare, &["update-ref", "-d", "refs/heads/main"])?;
    let rate = decided as f64 / elapsed;
    let floor = probes as f64 / probe_elapsed;
    Ok(Row {
        what: format!("throughput, one-commit pre-receive, 32 clients, {seconds} s ({errors} errors)"),
        measured: format!("{rate:.0}/s"),
        against: format!("`GET /healthz`, same clients: {floor:.0}/s ({probe_errors} errors)"),
        ratio: format!("{:.2}×", rate / floor),
        target: "≥ 5000/s, 0 errors".to_owned(),
        met: Some(rate >= 5000.0 && errors == 0),
    })
}

async fn healthz(address: SocketAddr) -> std::result::Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.map_err(|e| e.to_string())?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.map_err(|e| e.to_string())?;
    if response.starts_with(b"HTTP/1.1 200") { Ok(()) } else { Err("not 200".to_owned()) }
}

// ---------------------------------------------------------------- report

/// Decisions in the generated audit log.
const AUDIT_DECISIONS: usize = 100_000;

/// Writes an audit log of `decisions` lines as the service writes them: 1–5
/// commits each, about 10% AI-assisted (most with a signed approval, some
/// refused), a refusal now and then, a few break-glass uses, a protected
/// branch deleted once in a while; one decision every 30 s or so across
/// five repositories. Returns (commits, bytes).
fn write_audit_log(path: &Path, decisions: usize) -> Result<(usize, u64)> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    let mut rng = Rng(0xa0d1_7106);
    let approvers = [
        ("Alice Senior", "alice@corp.example", "senior"),
        ("Sam Staff", "sam@corp.example", "staff"),
        ("Pat Principal", "pat@corp.example", "principal"),
    ];
    let repositories = ["/srv/git/app.git", "/srv/git/api.git", "/srv/git/infra.git", "/srv/git/web.git", "/srv/git/docs.git"];
    let mut time: i64 = 1_780_000_000;
    let mut commits = 0usize;
    let hex = |rng: &mut Rng| format!("{:016x}{:016x}{:08x}", rng.next(), rng.next(), rng.below(1 << 32));
    for request in 0..decisions {
        time += 5 + i64::try_from(rng.below(50)).unwrap_or(0);
        let (days, rest) = (time.div_euclid(86_400), time.rem_euclid(86_400));
        let (year, month, day) = signoff_gate::policy::calendar::civil_from_days(days);
        let stamp =
            format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rest / 3600, rest % 3600 / 60, rest % 60, rng.below(1000));
        let repository = rng.pick(&repositories);
        let deleting = rng.below(2000) == 0;
        let count = 1 + rng.below(5);
        let mut body = String::new();
        let mut refused = 0;
        for index in 0..count {
            if deleting {
                break;
            }
            commits += 1;
            let author = rng.pick(&PEOPLE);
            let lines = 1 + rng.below(400);
            let authored = time - i64::try_from(rng.below(172_800)).unwrap_or(0);
            let ai = rng.below(10) == 0;
            let separator = if index == 0 { "" } else { "," };
            if !ai {
                let _ = write!(
                    body,
                    "{separator}{{\"id\":\"{}\",\"ref\":\"refs/heads/main\",\"author\":\"{}\",\"author_time\":{authored},\"lines\":{lines},\"verdict\":\"not-ai\"}}",
                    hex(&mut rng),
                    author.replace('"', "\\\""),
                );
                continue;
            }
            let markers = "\"markers\":[{\"tool\":\"Claude Code\",\"evidence\":\"Co-Authored-By: Claude <noreply@anthropic.com>\"}]";
            if rng.below(8) == 0 {
                refused += 1;
                let _ = write!(
                    body,
                    "{separator}{{\"id\":\"{}\",\"ref\":\"refs/heads/main\",\"author\":\"{author}\",\"author_time\":{authored},\"lines\":{lines},\"verdict\":\"rejected\",{markers},\
                     \"reasons\":[{{\"code\":\"ai-unapproved\",\"message\":\"no approval: needs a signed \\\"Approved-by:\\\" of an active engineer of level senior or above who is not an author\"}}]}}",
                    hex(&mut rng),
                );
                continue;
            }
            let (name, email, level) = approvers[usize::try_from(rng.below(3)).unwrap_or(0)];
            let signed_at = authored + 60 + i64::try_from(rng.below(7200)).unwrap_or(0);
            let _ = write!(
                body,
                "{separator}{{\"id\":\"{}\",\"ref\":\"refs/heads/main\",\"author\":\"{author}\",\"author_time\":{authored},\"lines\":{lines},\"verdict\":\"approved\",{markers},\
                 \"approvals\":[{{\"trailer\":\"Approved-by: {name} <{email}>\",\"email\":\"{email}\",\"approver\":\"{name}\",\"valid\":true,\"code\":null,\"signed\":true,\"signed_at\":{signed_at},\"level\":\"{level}\"}}]}}",
                hex(&mut rng),
            );
        }
        let glass = refused > 0 && rng.below(20) == 0;
        let outcome = if deleting || (refused > 0 && !glass) {
            "refused"
        } else if glass {
            "break-glass"
        } else {
            "accepted"
        };
        let problems = if deleting {
            ",\"problems\":[{\"code\":\"protected-ref-delete\",\"message\":\"refs/heads/main is protected; deleting it is not allowed\"}]"
        } else {
            ""
        };
        let break_glass =
            if glass { ",\"break_glass\":{\"reason\":\"prod is down\",\"engineer\":\"Alice Senior\",\"honoured\":true}" } else { "" };
        let (old, new) = (hex(&mut rng), if deleting { ZERO.to_owned() } else { hex(&mut rng) });
        writeln!(
            out,
            "{{\"time\":\"{stamp}\",\"request_id\":\"{request:x}-7\",\"repository\":\"{repository}\",\"pusher\":{{\"source\":\"REMOTE_USER\",\"name\":\"dev\"}},\"push_options\":[],\
             \"mode\":\"enforce\",\"generation\":1,\"process\":\"18c2f3a9b0e1d2c3-4242\",\"outcome\":\"{outcome}\"{break_glass},\"checked\":{count},\"refused\":{refused},\
             \"updates\":[{{\"ref\":\"refs/heads/main\",\"old\":\"{old}\",\"new\":\"{new}\",\"protected\":true{problems}}}],\"commits\":[{body}],\"duration_ms\":{}.{:03}}}",
            rng.below(20),
            rng.below(1000),
        )
        .map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    Ok((commits, bytes))
}

/// `report --audit-log FILE` (text) over 100,000 decisions, beside `wc -l`
/// reading the same file.
fn report_row(options: &Options, dir: &Path) -> Result<Row> {
    let log = dir.join("audit.jsonl");
    let started = Instant::now();
    let (commits, bytes) = write_audit_log(&log, AUDIT_DECISIONS)?;
    eprintln!(
        "bench: wrote an audit log of {AUDIT_DECISIONS} decisions ({commits} commits, {:.0} MB) in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    // The log must read whole, or the row would time skipping lines.
    let json =
        Command::new(&options.binary).args(["report", "--format", "json", "--audit-log"]).arg(&log).output().map_err(|e| e.to_string())?;
    let read: serde_json::Value = serde_json::from_slice(&json.stdout).map_err(|e| format!("report --format json: {e}"))?;
    if read["decisions"].as_u64() != Some(AUDIT_DECISIONS as u64) || read["malformed_lines"].as_u64() != Some(0) {
        return Err(format!(
            "report read the generated log wrongly: {} decisions, {} malformed lines",
            read["decisions"], read["malformed_lines"]
        ));
    }
    let mut report = Command::new(&options.binary);
    report.arg("report").arg("--audit-log").arg(&log);
    let mut count = Command::new("wc");
    count.arg("-l").arg(&log);
    let (ours, wc) = side_by_side(options.runs.min(7), || timed(&mut report), || timed(&mut count))?;
    Ok(Row {
        what: format!("`report --audit-log` over {AUDIT_DECISIONS} decisions ({commits} commits, {:.0} MB)", bytes as f64 / 1e6),
        measured: ms(ours),
        against: format!("`wc -l` of the same file: {}", ms(wc)),
        ratio: format!("{:.2}×", ratio(ours, wc)),
        target: "≤ 1 s".to_owned(),
        met: Some(ours <= Duration::from_millis(1000)),
    })
}

fn print_table(rows: &[Row]) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| text.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let git_version = Command::new("git").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    println!();
    println!("Machine: {cpu}, {cores} cores; {}; signoff-gate {}", git_version.unwrap_or_default(), env!("CARGO_PKG_VERSION"));
    println!();
    println!("| measurement | signoff-gate | side by side | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {met} |", row.what, row.measured, row.against, row.ratio, row.target);
    }
}
