//! The evasions an attack on main found (issue 11), each tried again with a
//! real push: the gate must read at least what git shows.

use std::io::Write;
use std::ops::ControlFlow;
use std::process::Stdio;

use signoff_gate::git::GitRepo;
use signoff_gate::policy::detect::Detector;
use signoff_gate::policy::facts::CommitFacts;
use signoff_gate::policy::identity::Identity;
use signoff_gate::policy::trailers;

use crate::util::{DEV, Lcg, TestServer, World, git, run_git};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

fn serve(world: World) -> (World, TestServer) {
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    (world, server)
}

/// A world with a base commit on main, pushed.
fn seeded() -> (World, TestServer) {
    let (world, server) = serve(World::new());
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    (world, server)
}

fn detector() -> Detector {
    signoff_gate::config::Config::parse(std::path::Path::new("sg.toml"), "").expect("the default configuration").detect
}

/// Whether the detector finds a marker in a text as git shows it.
fn shows_a_marker(message: &str) -> bool {
    let dev = Identity::new(DEV.0, DEV.1);
    let facts = CommitFacts { author: dev.clone(), committer: dev, message: message.to_owned(), ..CommitFacts::default() };
    !detector().detect(&facts, &trailers::parse(message)).markers.is_empty()
}

// ------------------------------------------------------------ 1. encodings

/// The attack's message: a newline inside an ISO-2022-JP two-byte run,
/// which a whole-message decoder swallows and git (iconv) keeps.
const ISO_2022_JP_NEWLINE: &[u8] =
    b"Add retry logic\n\nWorks on \x1b$B\x46\x7c\x4b\x5c\n\n\x1b(BCo-Authored-By: Claude <noreply@anthropic.com>\n";

/// Bytes iconv cannot convert (git then shows them as they are).
const ISO_2022_JP_BROKEN: &[u8] = b"Add retry logic\n\n\x1b$B\x46\xff\x7c\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";

#[test]
fn a_marker_git_shows_through_an_encoding_is_refused() {
    let (world, _server) = seeded();
    for message in [ISO_2022_JP_NEWLINE, ISO_2022_JP_BROKEN] {
        let id = world.commit_bytes(DEV, message, &["i18n.commitEncoding=ISO-2022-JP"]);
        let shown = run_git(&world.work, &["log", "-1", "--format=%B", &id]);
        assert!(shows_a_marker(&shown), "git shows the marker: {shown:?}");
        let pushed = world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "{}", pushed.remote);
        assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
        run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }
}

/// Encodings both git (iconv) and the gate read.
const ENCODINGS: &[&str] = &[
    "ISO-2022-JP",
    "Shift_JIS",
    "EUC-JP",
    "EUC-KR",
    "GBK",
    "GB18030",
    "Big5",
    "KOI8-R",
    "KOI8-U",
    "ISO-8859-1",
    "ISO-8859-2",
    "ISO-8859-5",
    "ISO-8859-7",
    "ISO-8859-8",
    "ISO-8859-15",
    "windows-1250",
    "windows-1251",
    "windows-1252",
    "windows-1256",
    "windows-1258",
    "macintosh",
    "IBM866",
];

/// A message in `encoding` built from pieces that trip decoders: escape
/// sequences, stray high bytes, two-byte runs, newlines, text of the
/// encoding's own script, and the marker, mostly at the end.
fn encoded_message(random: &mut Lcg, encoding: &'static encoding_rs::Encoding, i: usize) -> Vec<u8> {
    let (native, _, _) = encoding.encode("日本語のテキスト Ünïcödé кириллица ελληνικά");
    let pieces: [&[u8]; 12] = [
        b"\x1b$B",
        b"\x1b(B",
        b"\x1b(J",
        b"\x1b$@",
        b"\n",
        b"\n\n",
        b"plain words ",
        b"\x46\x7c\x4b\x5c",
        b"\x8e",
        b"\xa4\xa2",
        b"\xff",
        &native,
    ];
    let mut message = format!("Subject {i}\n\n").into_bytes();
    for _ in 0..1 + random.next(8) {
        message.extend_from_slice(pieces[random.next(pieces.len())]);
    }
    let marker = CLAUDE.as_bytes();
    match random.next(4) {
        0 => message.extend_from_slice(marker),
        1 => {
            message.extend_from_slice(b"\n\n");
            message.extend_from_slice(marker);
        }
        _ => {
            message.extend_from_slice(pieces[random.next(pieces.len())]);
            message.extend_from_slice(b"\n\n");
            message.extend_from_slice(marker);
        }
    }
    message.push(b'\n');
    message
}

#[test]
fn no_encoding_hides_a_marker_git_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    run_git(repo, &["init", "--quiet", "--bare"]);
    let mut random = Lcg(0x2022);
    let mut stream = Vec::new();
    let mut count = 0;
    for label in ENCODINGS {
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).expect("encoding_rs knows it");
        for _ in 0..40 {
            count += 1;
            let message = encoded_message(&mut random, encoding, count);
            write!(stream, "commit refs/heads/main\nmark :{count}\ncommitter Dev <dev@corp.example> {} +0000\n", 1_700_000_000 + count)
                .expect("write");
            write!(stream, "encoding {label}\ndata {}\n", message.len()).expect("write");
            stream.extend_from_slice(&message);
            stream.push(b'\n');
            if count > 1 {
                writeln!(stream, "from :{}", count - 1).expect("write");
            }
            stream.push(b'\n');
        }
    }
    let mut child = git(repo).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    child.stdin.take().expect("stdin").write_all(&stream).expect("feed fast-import");
    assert!(child.wait().expect("fast-import ends").success());

    // What git shows, in UTF-8 (git's default output encoding).
    let output = git(repo).args(["log", "--format=%H%x01%B%x02", "main"]).output().expect("git log");
    assert!(output.status.success());
    let log = String::from_utf8_lossy(&output.stdout).into_owned();
    let shown: std::collections::HashMap<String, bool> = log
        .split('\x02')
        .filter_map(|record| record.trim_start_matches('\n').split_once('\x01'))
        .map(|(id, message)| (id.to_owned(), shows_a_marker(message)))
        .collect();
    assert_eq!(shown.len(), count);

    let mut missed = Vec::new();
    GitRepo::discover(repo)
        .expect("open")
        .walk_revisions(
            &["main".to_owned()],
            |facts, _| facts,
            |facts| {
                let ours = !detector().detect(&facts, &trailers::parse(&facts.message)).markers.is_empty();
                if shown[&facts.id] && !ours {
                    missed.push(format!("{} {:?}", facts.id, facts.message));
                }
                ControlFlow::Continue(())
            },
        )
        .expect("walk");
    assert!(missed.is_empty(), "{} of {count} messages show a marker in git but not to the gate:\n{}", missed.len(), missed.join("\n"));
    // The comparison proves something only if git shows most markers.
    let with_marker = shown.values().filter(|&&marker| marker).count();
    assert!(with_marker > count / 2, "git showed a marker in only {with_marker} of {count}");
}

// ------------------------------------------------ 2. markers out of the block

/// Pushes HEAD to main and expects a refusal naming `tool`; then drops the
/// commit again.
fn refused_naming(world: &World, tool: &str) {
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "accepted: {}", pushed.remote);
    assert!(pushed.remote.contains(tool), "{}", pushed.remote);
}

#[test]
fn a_squash_keeps_its_co_authors() {
    let (world, _server) = seeded();
    let base = run_git(&world.work, &["rev-parse", "HEAD"]).trim().to_owned();
    world.commit(DEV, "Add the retry loop\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n");
    world.commit(DEV, "Fix a typo\n");
    // `git rebase -i` with the second commit squashed into the first.
    let rebase = git(&world.work)
        .args(["rebase", "--quiet", "-i", &base])
        .env("GIT_SEQUENCE_EDITOR", "sed -i '2s/^pick/squash/'")
        .env("GIT_EDITOR", "true")
        .output()
        .expect("rebase");
    assert!(rebase.status.success(), "{}", String::from_utf8_lossy(&rebase.stderr));
    let message = run_git(&world.work, &["log", "-1", "--format=%B"]);
    assert!(trailers::parse(&message).is_empty(), "the co-author left the trailer block: {message:?}");
    refused_naming(&world, "Cursor");
}

#[test]
fn a_merge_squash_keeps_its_co_authors() {
    let (world, _server) = seeded();
    run_git(&world.work, &["checkout", "--quiet", "-b", "topic"]);
    world.commit(DEV, "Parse the config\n\nCo-authored-by: Codex <noreply@openai.com>\n");
    world.commit(DEV, "Check the config\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n");
    run_git(&world.work, &["checkout", "--quiet", "main"]);
    run_git(&world.work, &["merge", "--quiet", "--squash", "topic"]);
    run_git(&world.work, &["commit", "--quiet", "--no-edit"]);
    let message = run_git(&world.work, &["log", "-1", "--format=%B"]);
    assert!(message.contains("    Co-authored-by: Codex"), "git's squash message indents them: {message:?}");
    refused_naming(&world, "OpenAI Codex");
    refused_naming(&world, "GitHub Copilot");
}

#[test]
fn prose_after_the_trailer_does_not_hide_it_and_a_mention_is_not_a_marker() {
    let (world, _server) = seeded();
    world.commit(DEV, &format!("Retry deploys\n\n🤖 Generated with Claude Code\n\n{CLAUDE}\nReviewed in standup\n"));
    refused_naming(&world, "Claude Code");
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    // Prose that names a tool's line or address is no marker.
    world.commit(DEV, "Drop the bot footer\n\nWe no longer add Co-Authored-By: Claude <noreply@anthropic.com> lines;\nmail to noreply@anthropic.com bounces.\n\nDone.\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

// ------------------------------------------------ 6. self-approval near-misses

#[test]
fn an_approver_cannot_approve_their_own_commit_under_another_spelling() {
    let (world, _server) = serve(World::trailer());
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let approval = "Approved-by: Alice Senior <alice@corp.example>";
    let cases: [((&str, &str), String); 4] = [
        (("Alice Senior", "alice@corp.example."), format!("Retry\n\n{CLAUDE}\n{approval}\n")),
        (("Alice Senior", "alice+ai@corp.example"), format!("Retry\n\n{CLAUDE}\n{approval}\n")),
        (DEV, format!("Retry\n\n{CLAUDE}\nPaired-with: Alice <alice@corp.example>\n{approval}\n")),
        (DEV, format!("Retry\n\nCo-authored-by: Alice <alice@corp.example>\n\nNotes.\n\n{CLAUDE}\n{approval}\n")),
    ];
    for (author, message) in cases {
        world.commit(author, &message);
        let pushed = world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "{author:?}: {}", pushed.remote);
        assert!(pushed.remote.contains("self-approval"), "{author:?}: {}", pushed.remote);
        run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }
    // The same approval on Dev's own commit counts.
    world.commit(DEV, &format!("Retry\n\n{CLAUDE}\n{approval}\n"));
    assert!(world.push("HEAD:refs/heads/main").accepted);
}

// ------------------------------------------------------------- 14. no panic

#[test]
fn non_ascii_spaces_in_an_address_do_not_crash_check_or_the_server() {
    let (world, _server) = seeded();
    let message = "Retry\n\nCo-authored-by: Helper\u{a0}helper[bot]@corp.example\nCo-authored-by: x\u{2003}[bot]@y.example\u{a0}\n";
    world.commit(DEV, message);
    let (code, stdout, stderr) =
        crate::util::signoff_gate(&world.work, &["check", "--config", world.config.to_str().expect("utf-8"), "HEAD"]);
    assert!(code == 0 || code == 1, "check exited {code}: {stdout}{stderr}");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "no marker, no refusal: {}", pushed.remote);
}

// ------------------------------------------------ 3. ambiguous identities

/// Writes a commit object byte for byte (as no `git commit` would) on top
/// of HEAD, and moves HEAD to it.
fn raw_commit(world: &World, headers: &str, message: &str) -> String {
    let tree = run_git(&world.work, &["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    let parent = run_git(&world.work, &["rev-parse", "HEAD"]).trim().to_owned();
    let object = format!("tree {tree}\nparent {parent}\n{headers}\n{message}");
    let mut child = git(&world.work)
        .args(["hash-object", "-t", "commit", "-w", "--literally", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("hash-object");
    child.stdin.take().expect("stdin").write_all(object.as_bytes()).expect("write object");
    let output = child.wait_with_output().expect("hash-object ends");
    assert!(output.status.success());
    let id = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    run_git(&world.work, &["reset", "--quiet", "--soft", &id]);
    id
}

#[test]
fn an_identity_git_reads_otherwise_is_refused_as_malformed() {
    let (world, _server) = seeded();
    let committer = "committer Dev Eloper <dev@corp.example> 1767225600 +0000\n";
    for (n, headers) in [
        format!("author Claude <noreply@anthropic.com> <dev@corp.example> 1767225600 +0000\n{committer}"),
        format!(
            "author Dev Eloper <dev@corp.example> 1767225600 +0000\nauthor Claude <noreply@anthropic.com> 1767225600 +0000\n{committer}"
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let id = raw_commit(&world, &headers, "Retry deploys\n");
        // What git shows as the author is a tool.
        let shown = run_git(&world.work, &["log", "-1", "--format=%an <%ae>", &id]);
        let pushed = world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "git shows {shown}: {}", pushed.remote);
        assert!(pushed.remote.contains("malformed-commit"), "{}", pushed.remote);
        assert!(pushed.remote.contains("git commit --amend --reset-author"), "{}", pushed.remote);
        if n == 0 {
            insta::assert_snapshot!(pushed.remote);
        }
        run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }
    // With fsck on (install-hook turns it on), git itself refuses the object.
    run_git(&world.bare, &["config", "receive.fsckObjects", "true"]);
    raw_commit(&world, &format!("author Claude <noreply@anthropic.com> <dev@corp.example> 1767225600 +0000\n{committer}"), "Retry\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.stderr.contains("fsck"), "{}", pushed.stderr);
}

// ------------------------------------------------------- 4. symbolic refs

#[test]
fn a_push_through_a_symref_to_main_is_checked() {
    let (world, _server) = seeded();
    let main_before = run_git(&world.bare, &["rev-parse", "refs/heads/main"]);
    run_git(&world.bare, &["symbolic-ref", "refs/heads/trunk", "refs/heads/main"]);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/trunk");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    assert_eq!(run_git(&world.bare, &["rev-parse", "refs/heads/main"]), main_before);
}

#[test]
fn a_protected_symref_to_an_open_branch_protects_it_and_lends_it_no_trust() {
    let (world, _server) = seeded();
    // AI commits land on staging while nothing protects it.
    run_git(&world.work, &["checkout", "--quiet", "-b", "staging"]);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    assert!(world.push("HEAD:refs/heads/staging").accepted);
    // Then an admin points a protected name at staging.
    run_git(&world.bare, &["symbolic-ref", "refs/heads/release/current", "refs/heads/staging"]);
    // Its commits are still no protected history: main checks them.
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    // And a push to staging now moves release/current: it is checked.
    world.commit(DEV, &format!("Retry more\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/staging");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("Retry more"), "{}", pushed.remote);
}

// ---------------------------------------------------------- 5. replace refs

#[test]
fn a_replace_ref_is_refused_unless_allowed() {
    let (world, _server) = seeded();
    let main = run_git(&world.bare, &["rev-parse", "refs/heads/main"]).trim().to_owned();
    // An AI commit dressed up as main's tip, on a branch no one protects.
    run_git(&world.work, &["checkout", "--quiet", "-b", "topic"]);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let pushed = world.push(&format!("HEAD:refs/replace/{main}"));
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("replace-ref"), "{}", pushed.remote);
    let shown = run_git(&world.bare, &["log", "-1", "--format=%s", "main"]);
    assert_eq!(shown.trim(), "Initial commit", "main still shows its own tip");

    let (world, _server) = serve(World::with_config("allow_replace_refs = true"));
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let main = run_git(&world.bare, &["rev-parse", "refs/heads/main"]).trim().to_owned();
    world.commit(DEV, "A better tip\n");
    let pushed = world.push(&format!("HEAD:refs/replace/{main}"));
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn the_walk_ignores_replace_refs_and_grafts() {
    let (world, _server) = seeded();
    // Replace main's tip by a commit that pretends to already contain the
    // AI commit, and graft it in too: the gate reads the objects as pushed.
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let ai = run_git(&world.work, &["rev-parse", "HEAD"]).trim().to_owned();
    run_git(&world.work, &["push", "--quiet", "origin", "HEAD:refs/heads/parking"]);
    let main = run_git(&world.bare, &["rev-parse", "refs/heads/main"]).trim().to_owned();
    run_git(&world.bare, &["update-ref", &format!("refs/replace/{main}"), &ai]);
    std::fs::create_dir_all(world.bare.join("info")).expect("info dir");
    std::fs::write(world.bare.join("info/grafts"), format!("{main} {ai}\n")).expect("grafts");
    world.commit(DEV, "On top\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("Retry deploys"), "{}", pushed.remote);
}

// ----------------------------------------------------- 8. quadratic scans

#[test]
fn a_message_built_to_be_slow_is_decided() {
    let (world, _server) = seeded();
    // What once took quadratic time: `[bot]@` repeated after a marker, and
    // many distinct footers and co-authors (the bench times 2 MB of it).
    let mut message = format!("Harmless subject\n\n{CLAUDE} {}\n", "[bot]@".repeat(40_000));
    for n in 0..2_000 {
        message.push_str(&format!("🤖 Generated with [Claude Code](https://claude.com/claude-code/{n})\n"));
        message.push_str(&format!("    Co-authored-by: P{n} <p{n}@corp.example> h{n}\u{a0}helper{n}[bot]@corp.example\n"));
    }
    world.commit(DEV, &message);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    // Markers are listed with a bound, not 2,000 of them.
    assert!(pushed.remote.contains("more markers"), "{}", pushed.remote);
}

// ---------------------------------------------- 10. many refs, one history

#[test]
fn many_protected_refs_at_one_tip_judge_its_commits_once() {
    let (world, _server) = seeded();
    let id = world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let refspecs: Vec<String> = (0..50).map(|k| format!("HEAD:refs/heads/release/r{k}")).collect();
    let output = git(&world.work).arg("push").arg("origin").args(&refspecs).output().expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert_eq!(pushed.remote.matches(&id[..12]).count(), 1, "{}", pushed.remote);
}

// ---------------------------------------------- 9. work past its deadline

#[test]
fn a_push_past_its_deadline_gives_back_its_turn() {
    let world = World::new();
    // One push decided at a time, each within half a second.
    let config = std::fs::read_to_string(&world.config).expect("config");
    let config = config.replace("[server]\n", "[server]\ndeadline_seconds = 0.5\nmax_concurrent = 1\n");
    std::fs::write(&world.config, config).expect("config");
    let (world, _server) = serve(world);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);

    // A history far too long to decide in half a second, even built for
    // release: 480 commits, each naming 7,500 people as co-authors (each
    // commit is quick to judge, so the work stops soon after its deadline).
    let mut stream = Vec::new();
    let count = 480;
    for k in 1..=count {
        let prose: String = (0..7_500).map(|n| format!("  Co-authored-by: P{n} <p{n}.k{k}@corp.example>\n")).collect();
        let text = format!("Change {k}\n\n{prose}\n{CLAUDE}\n");
        write!(
            stream,
            "commit refs/heads/big\nmark :{k}\ncommitter Dev <dev@corp.example> {} +0000\ndata {}\n{text}\n",
            1_767_225_600 + k,
            text.len()
        )
        .expect("write");
        if k == 1 {
            writeln!(stream, "from refs/heads/main").expect("write");
        } else {
            writeln!(stream, "from :{}", k - 1).expect("write");
        }
    }
    let mut child = git(&world.work).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    child.stdin.take().expect("stdin").write_all(&stream).expect("feed fast-import");
    assert!(child.wait().expect("fast-import ends").success());

    // On the server already (an open branch takes it unchecked), so the
    // work reads the repository, not a quarantine git removes at refusal.
    assert!(world.push("refs/heads/big:refs/heads/big").accepted);
    let started = std::time::Instant::now();
    let pushed = world.push("refs/heads/big:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("could not be decided within 0.5 s"), "{}", pushed.remote);
    // The next push gets its turn at once: the first one's work stopped.
    world.commit(DEV, "A small fix\n");
    let pushed = world.push("HEAD:refs/heads/release/small");
    assert!(pushed.accepted, "after {:?}: {}", started.elapsed(), pushed.remote);

    // A hook that gives up (its own timeout) takes its push's work with it.
    let config = std::fs::read_to_string(&world.config).expect("config").replace("deadline_seconds = 0.5", "deadline_seconds = 60");
    std::fs::write(&world.config, config).expect("config");
    let patient = TestServer::start(&world.config);
    run_git(&world.bare, &["config", "signoff-gate.url", &patient.url()]);
    run_git(&world.bare, &["config", "signoff-gate.timeout", "0.4"]);
    let pushed = world.push("refs/heads/big:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("no answer within 0.4 s"), "{}", pushed.remote);
    // Deciding all of that history takes seconds (3.5 s on 2 cores built
    // for release, many more in a test build): a push answered within 2 s got
    // its turn because the abandoned work stopped (0.4 s left too little
    // room for a loaded machine running other tests).
    run_git(&world.bare, &["config", "signoff-gate.timeout", "2"]);
    world.commit(DEV, "Another small fix\n");
    let pushed = world.push("HEAD:refs/heads/release/small");
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn a_message_too_long_to_judge_is_refused_unread() {
    use signoff_gate::policy::facts::MAX_MESSAGE_BYTES;
    let (world, _server) = seeded();
    // A message of `length` bytes: a subject, lines of prose, `last` at the end.
    let message = |subject: &str, length: usize, last: &str| {
        let mut text = format!("{subject}\n\n");
        let line = "Walked through the retry logic with the team.\n";
        while text.len() + line.len() + last.len() < length {
            text.push_str(line);
        }
        text.push_str(&"x".repeat(length - text.len() - last.len() - 1));
        text.push('\n');
        text.push_str(last);
        assert_eq!(text.len(), length);
        text
    };
    // As long as the gate reads: judged, to its last line.
    world.commit(DEV, &message("A human change", MAX_MESSAGE_BYTES, ""));
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, &message("Retry deploys", MAX_MESSAGE_BYTES, &format!("\n{CLAUDE}\n")));
    refused_naming(&world, "Claude Code");
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    // One byte longer: not read (its marker could be anywhere), refused.
    world.commit(DEV, &message("Retry deploys", MAX_MESSAGE_BYTES + 1, ""));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("Retry deploys")
            && pushed.remote.contains("unreadable-message: the message is 1,048,577 bytes, more than the 1,048,576 the gate reads"),
        "{}",
        pushed.remote
    );
}

#[test]
fn an_identity_too_long_to_judge_is_refused_unread() {
    use signoff_gate::policy::facts::MAX_IDENTITY_BYTES;
    let (world, _server) = seeded();
    let email = "dev@corp.example";
    // As long as the gate reads: judged.
    let name = "D".repeat(MAX_IDENTITY_BYTES - email.len());
    world.commit((&name, email), "A human change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    // One byte longer: not read, refused.
    let name = "D".repeat(MAX_IDENTITY_BYTES - email.len() + 1);
    world.commit((&name, email), "Another human change\n");
    refused_naming(&world, "malformed-commit: the author is 4,097 bytes, more than the 4,096 the gate reads");
}

/// `first`, then `line` again and again until the object it goes in is
/// over what the gate reads.
fn longer_than_the_gate_reads(first: &str, line: &str) -> String {
    let mut message = String::from(first);
    while message.len() as u64 <= signoff_gate::git::history::MAX_COMMIT_BYTES {
        message.push_str(line);
    }
    message
}

/// How the gate refuses object `id` (a `kind`) for its size.
fn too_large(world: &World, kind: &str, id: &str) -> String {
    let size: u64 = run_git(&world.work, &["cat-file", "-s", id]).trim().parse().expect("a size");
    let size = signoff_gate::policy::rules::thousands(size);
    format!("{kind} {id} is {size} bytes, more than the 16,777,216 the gate reads; shorten its message")
}

#[test]
fn a_commit_larger_than_the_gate_reads_refuses_the_push() {
    let (world, _server) = seeded();
    // Lines that pack into a few kilobytes, past what the gate reads.
    let large = world.commit(DEV, &longer_than_the_gate_reads("Retry deploys\n\n", "Co-Authored-By: Person <person@corp.example>\n"));
    // As the pushed tip, and under a commit of its own.
    for tip in ["HEAD", "HEAD~1"] {
        if tip == "HEAD~1" {
            world.commit(DEV, "A human change\n");
        }
        let pushed = world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "{}", pushed.remote);
        assert!(pushed.remote.contains(&too_large(&world, "commit", &large)), "{tip}: {}", pushed.remote);
        assert!(pushed.remote.contains("the gate cannot read a commit or tag of this push; fix it as said above"), "{}", pushed.remote);
    }
}

#[test]
fn a_tag_larger_than_the_gate_reads_is_named_a_tag() {
    let (world, _server) = serve(World::with_config("protected_refs = [\"refs/heads/main\", \"refs/tags/v*\"]"));
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    let notes = world.dir.path().join("notes.txt");
    std::fs::write(&notes, longer_than_the_gate_reads("Release 1.0\n\n", "A line of the release notes.\n")).expect("notes");
    run_git(&world.work, &["tag", "-a", "v1.0", "-F", notes.to_str().expect("utf-8")]);
    let tag = run_git(&world.work, &["rev-parse", "v1.0"]).trim().to_owned();
    let pushed = world.push("refs/tags/v1.0");
    assert!(!pushed.accepted, "{}", pushed.remote);
    let refusal = format!("{} (git tag -f -a NAME", too_large(&world, "tag", &tag));
    assert!(pushed.remote.contains(&refusal), "{}", pushed.remote);
    assert!(pushed.remote.contains("the gate cannot read a commit or tag of this push"), "{}", pushed.remote);
}

#[test]
fn a_commit_larger_than_the_gate_reads_on_main_hides_no_rewrite() {
    let (world, _server) = seeded();
    world.commit(DEV, &longer_than_the_gate_reads("Vendor the changelog\n\n", "A line of the changelog, as it was.\n"));
    // On main behind the gate's back (as before it was installed).
    run_git(&world.bare, &["fetch", "--quiet", &world.work.to_string_lossy(), "HEAD:refs/heads/main"]);
    // It is history now: pushes onto it are judged as any other.
    world.commit(DEV, "A human change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    refused_naming(&world, "Claude Code");
    // A rewrite of main that drops it: refused, not let through because
    // main's history holds more than the gate reads.
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~3"]);
    world.commit(DEV, "Another human change\n");
    let pushed = world.push("+HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("protected-ref-rewrite") || pushed.remote.contains("the gate reads"), "{}", pushed.remote);
}

// --------------------------------------------------------- 13. confinement

#[test]
fn a_repository_that_reads_from_outside_the_roots_is_refused() {
    let (world, _server) = seeded();
    let outside = world.dir.path().join("outside.git");
    run_git(world.dir.path(), &["clone", "--quiet", "--bare", world.bare.to_str().expect("utf-8"), outside.to_str().expect("utf-8")]);

    // A git dir under the roots whose common dir (objects, refs, hooks,
    // config) is outside them.
    let linked = world.root.join("linked.git");
    std::fs::create_dir(&linked).expect("linked dir");
    std::fs::write(linked.join("commondir"), format!("{}\n", outside.display())).expect("commondir");
    std::fs::write(linked.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    crate::util::install_hook(&outside);
    let url = run_git(&world.bare, &["config", "signoff-gate.url"]);
    run_git(&outside, &["config", "signoff-gate.url", url.trim()]);
    world.commit(DEV, "A human change\n");
    let output = git(&world.work).args(["push", linked.to_str().expect("utf-8"), "HEAD:refs/heads/main"]).output().expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("outside the configured repo_roots"), "{}", pushed.remote);

    // A repository under the roots that borrows objects from outside them.
    let borrowing = world.root.join("borrowing.git");
    run_git(&world.root, &["init", "--quiet", "--bare", "--initial-branch=main", "borrowing.git"]);
    std::fs::write(borrowing.join("objects/info/alternates"), format!("{}\n", outside.join("objects").display())).expect("alternates");
    crate::util::install_hook(&borrowing);
    run_git(&borrowing, &["config", "signoff-gate.url", url.trim()]);
    let output = git(&world.work).args(["push", borrowing.to_str().expect("utf-8"), "HEAD:refs/heads/main"]).output().expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("outside the configured repo_roots"), "{}", pushed.remote);

    // An alternate inside the roots is fine.
    std::fs::write(borrowing.join("objects/info/alternates"), format!("{}\n", world.bare.join("objects").display())).expect("alternates");
    let output = git(&world.work).args(["push", borrowing.to_str().expect("utf-8"), "HEAD:refs/heads/main"]).output().expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(pushed.accepted, "{}", pushed.remote);
}

// --------------------------------------------------- 7. look-alike characters

#[test]
fn look_alike_and_invisible_characters_hide_no_marker() {
    let (world, _server) = seeded();
    for line in [
        "Co-Authored-By: Claude <noreply@anthropic.com\u{200b}>",
        "Co-Authored-By: Claude <noreply@anthr\u{43e}pic.com>",
        "Co-Authored-By: Claude <noreply\u{ff20}anthropic.com>",
    ] {
        world.commit(DEV, &format!("Retry deploys\n\n{line}\n"));
        refused_naming(&world, "Claude Code");
        run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }
    // An author with an invisible character is reported as such.
    world.commit(("Dev Eloper", "dev@corp.example\u{200b}"), "A change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("invisible-characters: the author holds an invisible character (U+200B)"), "{}", pushed.remote);
}

// ------------------------------------------------------------ 11. slow bodies

/// A request head declaring a 4 MiB body, and `start` of that body, on a new
/// connection. Both go in one write, so the server reads them together:
/// body bytes it had not read when it answers would make its close a reset,
/// which can overtake the answer.
fn slow_request(address: std::net::SocketAddr, headers: &str, start: &str) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_write_timeout(Some(std::time::Duration::from_secs(2))).expect("write timeout");
    let head = format!(
        "POST /v1/pre-receive HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{start}",
        4 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream
}

/// One `read`, again when a signal interrupts it: a socket read with a
/// timeout is not restarted after a signal handler runs, and the servers
/// other tests run in this process install handlers (seen: EINTR after
/// 0.2 s in a full run).
fn read_some(stream: &mut std::net::TcpStream, buffer: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    loop {
        match stream.read(buffer) {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            read => return read,
        }
    }
}

/// The status line of the answer on `stream`, waiting at most 10 s; what
/// happened instead, and when, if there is none.
fn status_of(stream: &mut std::net::TcpStream) -> String {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    let started = std::time::Instant::now();
    let mut answer = [0u8; 64];
    match read_some(stream, &mut answer) {
        Ok(0) => format!("the connection closed after {:?} with no answer", started.elapsed()),
        Ok(n) => String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or("").to_owned(),
        Err(error) => format!("no answer after {:?}: {error}", started.elapsed()),
    }
}

#[test]
fn slow_bodies_neither_stall_pushes_nor_outstay_the_read_timeout() {
    let world = World::new();
    let token_file = world.dir.path().join("gate.token");
    std::fs::write(&token_file, "s3cret\n").expect("token");
    let config = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, config.replace("[server]\n", "[server]\nread_timeout_seconds = 1\ntoken_file = \"gate.token\"\n"))
        .expect("config");
    let (world, server) = serve(world);
    run_git(&world.bare, &["config", "signoff-gate.tokenFile", &token_file.to_string_lossy()]);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);

    // Without the token, the answer comes before any of the body is read.
    let mut unauthenticated = slow_request(server.address, "", "");
    assert_eq!(status_of(&mut unauthenticated), "HTTP/1.1 401 Unauthorized");

    // Attackers with the token trickle 4 MiB bodies meanwhile.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attackers: Vec<_> = (0..24)
        .map(|_| {
            let stop = std::sync::Arc::clone(&stop);
            let address = server.address;
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut stream = slow_request(address, "Authorization: Bearer s3cret\r\n", "");
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) && stream.write_all(&[b' '; 4096]).is_ok() {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                }
            })
        })
        .collect();
    // Pushes still get right answers.
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    world.commit(DEV, "A human change\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    // A body that does not arrive within read_timeout_seconds gets 408.
    let mut slow = slow_request(server.address, "Authorization: Bearer s3cret\r\n", "{\"repository\": ");
    assert_eq!(status_of(&mut slow), "HTTP/1.1 408 Request Timeout");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for attacker in attackers {
        attacker.join().expect("attacker ends");
    }
}

// ------------------------------------------------ 12. trust between hook and server

/// A process on the gate's address that says yes to everything and keeps
/// what it was sent.
fn impostor() -> (String, std::sync::Arc<std::sync::Mutex<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut request = vec![0u8; 64 * 1024];
            let n = read_some(&mut stream, &mut request).unwrap_or(0);
            kept.lock().expect("lock").push_str(&String::from_utf8_lossy(&request[..n]));
            let body = r#"{"accepted":true,"outcome":"accepted","request_id":"x","message":"","checked":0,"refused":0,"refs":[]}"#;
            let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (format!("http://{address}"), seen)
}

#[test]
fn the_hook_trusts_only_an_answer_that_proves_the_secret() {
    let world = World::new();
    let token_file = world.dir.path().join("gate.token");
    std::fs::write(&token_file, "s3cret-token\n").expect("token");
    let config = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, config.replace("[server]\n", "[server]\ntoken_file = \"gate.token\"\n")).expect("config");
    let (world, _server) = serve(world);
    run_git(&world.bare, &["config", "signoff-gate.tokenFile", &token_file.to_string_lossy()]);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted, "the real gate answers with proof");

    // Something else took the gate's address and says yes.
    let (url, seen) = impostor();
    run_git(&world.bare, &["config", "signoff-gate.url", &url]);
    world.commit(DEV, &format!("Retry deploys\n\n{CLAUDE}\n"));
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("is not signed with the gate's secret"), "{}", pushed.remote);
    let seen = seen.lock().expect("lock").clone();
    assert!(seen.contains("SignoffGate-HMAC-SHA256"), "{seen}");
    assert!(!seen.contains("s3cret-token"), "the secret was sent: {seen}");
}

#[test]
fn a_commits_words_reach_the_pushers_terminal_escaped() {
    // Someone else's commit, pushed on: its subject, a marker's evidence
    // and a quoted approval line could move the cursor, erase the refusal
    // or reorder what the pusher reads. All three are shown escaped.
    let (world, _server) = seeded();
    world.commit(
        DEV,
        "Tidy\u{1b}[1A\u{1b}[2K\n\nCo-Authored-By: Claude\u{2066} <noreply@anthropic.com>\nApproved-by: Sam\u{1b}[2K\u{202e} Senior <sam@corp.example>\n",
    );
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "accepted: {}", pushed.remote);
    for raw in ['\u{1b}', '\u{202e}', '\u{2066}'] {
        assert!(!pushed.stderr.contains(raw), "{raw:?} reached the terminal: {:?}", pushed.stderr);
    }
    for escaped in ["Tidy\\u{1b}[1A\\u{1b}[2K", "Claude\\u{2066} <noreply@anthropic.com>", "Sam\\u{1b}[2K\\u{202e} Senior"] {
        assert!(pushed.remote.contains(escaped), "{escaped} missing: {}", pushed.remote);
    }
}
