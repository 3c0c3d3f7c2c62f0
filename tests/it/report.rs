//! `signoff-gate report` end to end: a hand-built audit log with known
//! answers (JSON checked number by number, text snapshot-tested), a real
//! history with real signed approvals walked with `--repo`, and the HTML
//! page loaded in a real headless Chromium.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::signed::{CLAUDE, Signed, change_id, signed_lines_at};
use crate::util::{ALICE, run_git, signoff_gate};

/// An audit log written by hand: two repositories over two ISO weeks, a
/// commit pushed twice, old records without the newer fields, a malformed
/// line, a field no version writes, a name built to break HTML, and a last
/// line still being written.
const AUDIT_LOG: &str = concat!(
    // 1. W47, app: Alice signs a1 2 minutes after it was written; Mia's approval does not count.
    r#"{"time":"2026-11-16T10:00:00.000Z","request_id":"r1","repository":"/srv/git/app.git","outcome":"accepted","future_field":{"x":[1,2]},"updates":[{"ref":"refs/heads/main","old":"0","new":"1","protected":true}],"commits":["#,
    r#"{"id":"a1","ref":"refs/heads/main","author":"Dev Eloper <dev@corp.example>","author_time":1794822600,"lines":120,"verdict":"approved","markers":[{"tool":"Claude Code","evidence":"Co-Authored-By: Claude"}],"approvals":[{"trailer":"Approved-by: Alice Senior <alice@corp.example>","email":"alice@corp.example","approver":"Alice Senior","valid":true,"code":null,"signed":true,"signed_at":1794822720,"level":"senior"},{"trailer":"Approved-by: Mia Mid <mia@corp.example>","email":"mia@corp.example","approver":"Mia Mid","valid":false,"code":"approver-level-too-low","signed":true,"signed_at":1794822720,"level":"mid"}]},"#,
    r#"{"id":"a2","ref":"refs/heads/main","author":"Dev Eloper <dev@corp.example>","author_time":1794822000,"lines":30,"verdict":"not-ai"}]}"#,
    "\n",
    // 2. app: a3 refused (only Mia approved).
    r#"{"time":"2026-11-16T10:30:00.000Z","repository":"/srv/git/app.git","outcome":"refused","commits":[{"id":"a3","author_time":1794824400,"lines":200,"verdict":"rejected","approvals":[{"approver":"Mia Mid","valid":false,"code":"approver-level-too-low"}],"reasons":[{"code":"ai-unapproved","message":"no approval"}]}]}"#,
    "\n",
    // 3. Not JSON.
    "{this is not json\n",
    // 4. app: the rewritten a4 signed by Alice 18 minutes after it was written; a1 again, to release (counted once).
    r#"{"time":"2026-11-16T10:40:00.000Z","repository":"/srv/git/app.git","outcome":"accepted","commits":[{"id":"a4","author_time":1794824400,"lines":200,"verdict":"approved","approvals":[{"approver":"Alice Senior","valid":true,"signed_at":1794825480,"level":"senior"}]},{"id":"a1","ref":"refs/heads/release/1","author_time":1794822600,"lines":120,"verdict":"approved","approvals":[{"approver":"Alice Senior","valid":true,"signed_at":1794822720,"level":"senior"}]}]}"#,
    "\n",
    "\n",
    // 6. app, W47: break-glass over an unapproved commit.
    r#"{"time":"2026-11-17T08:00:00.000Z","repository":"/srv/git/app.git","outcome":"break-glass","break_glass":{"reason":"prod is down","engineer":"Alice Senior","honoured":true},"commits":[{"id":"a5","author_time":1794898800,"lines":50,"verdict":"rejected","reasons":[{"code":"ai-unapproved"}]}]}"#,
    "\n",
    // 7. infra: a protected branch deleted, refused.
    r#"{"time":"2026-11-18T12:00:00.000Z","repository":"/srv/git/infra.git","outcome":"refused","updates":[{"ref":"refs/heads/main","old":"1","new":"0000000000000000000000000000000000000000","protected":true,"problems":[{"code":"protected-ref-delete","message":"deleting"}]}],"commits":[]}"#,
    "\n",
    // 8. infra, W48: a record from before author_time, lines, signed_at and level.
    r#"{"time":"2026-11-24T09:00:00.000Z","repository":"/srv/git/infra.git","outcome":"accepted","commits":[{"id":"b1","verdict":"approved","approvals":[{"approver":"Sam Staff","valid":true,"signed":true}]},{"id":"b2","verdict":"not-ai"}]}"#,
    "\n",
    // 9. app, W48: Alice and Sam both sign a6; Alice signs a7; "Eve" signs a8.
    r#"{"time":"2026-11-24T15:00:00.000Z","repository":"/srv/git/app.git","outcome":"accepted","commits":["#,
    r#"{"id":"a6","author_time":1795528800,"lines":400,"verdict":"approved","approvals":[{"approver":"Alice Senior","valid":true,"signed_at":1795528980,"level":"senior"},{"approver":"Sam Staff","valid":true,"signed_at":1795530600,"level":"staff"}]},"#,
    r#"{"id":"a7","author_time":1795529400,"lines":90,"verdict":"approved","approvals":[{"approver":"Alice Senior","valid":true,"signed_at":1795532280,"level":"senior"}]},"#,
    r#"{"id":"a8","author_time":1795532340,"lines":1,"verdict":"approved","approvals":[{"approver":"Eve <img src=x onerror=alert(1)> \"Q\"","valid":true,"signed_at":1795532370,"level":"senior"}]}]}"#,
    "\n",
    // 10. Still being written.
    r#"{"time":"2026-11-25T09:00:00.000Z","repository":"/srv/git/app.git","outcome":"acc"#,
);

/// Every number the log above gives, worked out by hand.
fn expected_report(path: &str) -> Value {
    json!({
        "source": {"kind": "audit_log", "path": path},
        "period": {"from": "2026-11-16T10:00:00Z", "to": "2026-11-24T15:00:00Z"},
        "decisions": 7,
        "commits": 10,
        "ai_commits": 8,
        "lines": 1091,
        "ai_lines": 1061,
        "break_glass_uses": 1,
        "malformed_lines": 2,
        "commits_without_lines": 2,
        "approvals_without_time": 0,
        "approvals_without_author_time": 1,
        "refusals_by_code": [{"code": "ai-unapproved", "count": 2}, {"code": "protected-ref-delete", "count": 1}],
        "approvers": [
            {
                "approver": "Alice Senior", "level": "senior", "approvals": 4, "ai_commits": 4, "lines_approved": 810,
                // 90, 120, 200, 400
                "median_lines_per_approval": 160.0, "largest_lines_per_approval": 400,
                // 120 s, 180 s, 1080 s, 2880 s
                "timed_approvals": 4, "median_seconds_to_approval": 630.0, "share_under_5_minutes": 0.5,
                // 14:03 (400) and 14:58 (90) on 2026-11-24: 55 minutes apart
                "burst_lines_60_minutes": 490, "burst_start": "2026-11-24T14:03:00Z"
            },
            {
                "approver": "Sam Staff", "level": "staff", "approvals": 2, "ai_commits": 2, "lines_approved": 400,
                "median_lines_per_approval": 200.0, "largest_lines_per_approval": 400,
                // b1 has no author date (an old record): only a6's 30 minutes
                "timed_approvals": 1, "median_seconds_to_approval": 1800.0, "share_under_5_minutes": 0.0,
                // b1 at the record's time, 09:00; a6 at 14:30
                "burst_lines_60_minutes": 400, "burst_start": "2026-11-24T14:30:00Z"
            },
            {
                "approver": "Eve <img src=x onerror=alert(1)> \"Q\"", "level": "senior", "approvals": 1, "ai_commits": 1, "lines_approved": 1,
                "median_lines_per_approval": 1.0, "largest_lines_per_approval": 1,
                "timed_approvals": 1, "median_seconds_to_approval": 30.0, "share_under_5_minutes": 1.0,
                "burst_lines_60_minutes": 1, "burst_start": "2026-11-24T14:59:30Z"
            }
        ],
        "repositories": [
            {
                "repository": "/srv/git/app.git", "decisions": 5, "commits": 8, "ai_commits": 7, "lines": 1091, "ai_lines": 1061,
                "undated_commits": 0, "break_glass_uses": 1,
                "refusals_by_code": [{"code": "ai-unapproved", "count": 2}],
                "weeks": [
                    {"week": "2026-W47", "monday": "2026-11-16", "commits": 5, "ai_commits": 4, "lines": 600, "ai_lines": 570,
                     "ai_share_of_commits": 0.8, "ai_share_of_lines": 0.95},
                    {"week": "2026-W48", "monday": "2026-11-23", "commits": 3, "ai_commits": 3, "lines": 491, "ai_lines": 491,
                     "ai_share_of_commits": 1.0, "ai_share_of_lines": 1.0}
                ]
            },
            {
                "repository": "/srv/git/infra.git", "decisions": 2, "commits": 2, "ai_commits": 1, "lines": 0, "ai_lines": 0,
                "undated_commits": 0, "break_glass_uses": 0,
                "refusals_by_code": [{"code": "protected-ref-delete", "count": 1}],
                "weeks": [
                    {"week": "2026-W48", "monday": "2026-11-23", "commits": 2, "ai_commits": 1, "lines": 0, "ai_lines": 0,
                     "ai_share_of_commits": 0.5, "ai_share_of_lines": null}
                ]
            }
        ]
    })
}

/// `value` as it reads back from its JSON text (serde_json's default float
/// parsing may differ from the exact value in the last bit, on both sides alike).
fn reparsed(value: &Value) -> Value {
    serde_json::from_str(&value.to_string()).expect("JSON reads back")
}

/// A folder holding `audit.jsonl` (the log above).
fn audit_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("audit.jsonl"), AUDIT_LOG).expect("audit log");
    dir
}

#[test]
fn the_audit_log_report_gives_every_number_in_json() {
    let dir = audit_dir();
    let (code, stdout, stderr) = signoff_gate(dir.path(), &["report", "--audit-log", "audit.jsonl", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(report, reparsed(&expected_report("audit.jsonl")), "{stdout}");
    // Each skipped line is named with its number.
    assert!(stderr.contains("line=3") && stderr.contains("malformed line"), "{stderr}");
    assert!(stderr.contains("line=10") && stderr.contains("unfinished"), "{stderr}");
}

#[test]
fn the_audit_log_report_as_text() {
    let dir = audit_dir();
    let (code, stdout, stderr) = signoff_gate(dir.path(), &["report", "--audit-log", "audit.jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn the_configured_audit_log_is_the_default_and_its_absence_is_explained() {
    let dir = audit_dir();
    let roster = dir.path().join("roster.toml");
    std::fs::write(&roster, crate::util::ROSTER).expect("roster");
    let config = dir.path().join("with-log.toml");
    std::fs::write(&config, "[server]\nroster = \"roster.toml\"\naudit_log = \"audit.jsonl\"\n").expect("config");
    let (code, stdout, stderr) = signoff_gate(dir.path(), &["--config", "with-log.toml", "report", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["commits"], 10);
    assert!(report["source"]["path"].as_str().is_some_and(|p| p.ends_with("audit.jsonl")), "{stdout}");

    std::fs::write(dir.path().join("without-log.toml"), "[server]\nroster = \"roster.toml\"\n").expect("config");
    let (code, stdout, stderr) = signoff_gate(dir.path(), &["--config", "without-log.toml", "report"]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(
        stderr.contains("sets no `server.audit_log`") && stderr.contains("--audit-log FILE") && stderr.contains("--repo DIR RANGE"),
        "{stderr}"
    );

    // No configuration anywhere, nothing named.
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = signoff_gate(empty.path(), &["report"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no audit log to report on") && stderr.contains("--audit-log FILE"), "{stderr}");

    let (code, _, stderr) = signoff_gate(dir.path(), &["report", "--audit-log", "missing.jsonl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read the audit log missing.jsonl"), "{stderr}");
    let (code, _, stderr) = signoff_gate(dir.path(), &["report", "--repo", "."]);
    assert_eq!(code, 2, "a history needs a range: {stderr}");
}

// ------------------------------------------------------------------ history

/// Commits `lines` new lines in `file` at `date` (author and committer);
/// AI-assisted when `ai`; then, for each `(who, key, signed at)`, amends the
/// message with that approval (the change, and so its id, stays the same).
fn commit_at(signed: &Signed, file: &str, lines: usize, date: &str, ai: bool, approvals: &[((&str, &str), &str, i64)]) -> String {
    let work = &signed.world.work;
    std::fs::write(work.join(file), "line\n".repeat(lines)).expect("write");
    run_git(work, &["add", file]);
    let mut message = format!("Add {file}\n\n");
    if ai {
        message.push_str(CLAUDE);
        message.push('\n');
    }
    let message_file = signed.world.dir.path().join("message.txt");
    let commit = |message: &str, amend: bool| {
        std::fs::write(&message_file, message).expect("message");
        let mut command = crate::util::git(work);
        command.arg("commit").arg("--quiet");
        if amend {
            command.arg("--amend");
        }
        let output =
            command.arg("-F").arg(&message_file).env("GIT_AUTHOR_DATE", date).env("GIT_COMMITTER_DATE", date).output().expect("git commit");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    commit(&message, false);
    if !approvals.is_empty() {
        let change = change_id(work, "HEAD");
        for (who, key, at) in approvals {
            message.push_str(&signed_lines_at(work, *who, &signed.key(key), &change, Some(*at)));
        }
        commit(&message, true);
    }
    run_git(work, &["rev-parse", "HEAD"]).trim().to_owned()
}

const SAM: (&str, &str) = ("Sam Staff", "sam@corp.example");

/// A history of six commits over two ISO weeks: Alice signs two AI commits
/// (2 and 15 minutes after they were written), Sam one (2 hours after),
/// one AI commit is unapproved.
fn history() -> Signed {
    let signed = Signed::with_policy("");
    commit_at(&signed, "base.txt", 10, "2026-01-05T09:00:00Z", false, &[]);
    commit_at(&signed, "a.txt", 40, "2026-01-05T10:00:00Z", true, &[(ALICE, "alice", 1_767_607_320)]);
    commit_at(&signed, "b.txt", 60, "2026-01-05T10:30:00Z", true, &[(ALICE, "alice", 1_767_609_900)]);
    commit_at(&signed, "c.txt", 5, "2026-01-12T09:00:00Z", false, &[]);
    commit_at(&signed, "d.txt", 100, "2026-01-12T10:00:00Z", true, &[(SAM, "sam", 1_768_219_200)]);
    commit_at(&signed, "e.txt", 20, "2026-01-12T11:00:00Z", true, &[]);
    signed
}

#[test]
fn a_walked_history_gives_every_number() {
    let signed = history();
    let config = signed.world.config.to_string_lossy().into_owned();
    let work = signed.world.work.to_string_lossy().into_owned();
    let (code, stdout, stderr) =
        signoff_gate(&signed.world.work, &["--config", &config, "report", "--repo", &work, "--format", "json", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let repository = signed.world.work.canonicalize().expect("canonical").display().to_string();
    let expected = json!({
        "source": {"kind": "history", "repository": repository, "revisions": ["HEAD"]},
        "period": {"from": "2026-01-05T09:00:00Z", "to": "2026-01-12T11:00:00Z"},
        "decisions": 0, "commits": 6, "ai_commits": 4, "lines": 235, "ai_lines": 220, "break_glass_uses": 0,
        "malformed_lines": 0, "commits_without_lines": 0, "approvals_without_time": 0, "approvals_without_author_time": 0,
        "refusals_by_code": [{"code": "ai-unapproved", "count": 1}],
        "approvers": [
            {"approver": "Alice Senior", "level": "senior", "approvals": 2, "ai_commits": 2, "lines_approved": 100,
             "median_lines_per_approval": 50.0, "largest_lines_per_approval": 60,
             "timed_approvals": 2, "median_seconds_to_approval": 510.0, "share_under_5_minutes": 0.5,
             "burst_lines_60_minutes": 100, "burst_start": "2026-01-05T10:02:00Z"},
            {"approver": "Sam Staff", "level": "staff", "approvals": 1, "ai_commits": 1, "lines_approved": 100,
             "median_lines_per_approval": 100.0, "largest_lines_per_approval": 100,
             "timed_approvals": 1, "median_seconds_to_approval": 7200.0, "share_under_5_minutes": 0.0,
             "burst_lines_60_minutes": 100, "burst_start": "2026-01-12T12:00:00Z"}
        ],
        "repositories": [{
            "repository": repository, "decisions": 0, "commits": 6, "ai_commits": 4, "lines": 235, "ai_lines": 220,
            "undated_commits": 0, "break_glass_uses": 0,
            "refusals_by_code": [{"code": "ai-unapproved", "count": 1}],
            "weeks": [
                {"week": "2026-W02", "monday": "2026-01-05", "commits": 3, "ai_commits": 2, "lines": 110, "ai_lines": 100,
                 "ai_share_of_commits": 2.0 / 3.0, "ai_share_of_lines": 100.0 / 110.0},
                {"week": "2026-W03", "monday": "2026-01-12", "commits": 3, "ai_commits": 2, "lines": 125, "ai_lines": 120,
                 "ai_share_of_commits": 2.0 / 3.0, "ai_share_of_lines": 0.96}
            ]
        }]
    });
    assert_eq!(report, reparsed(&expected), "{stdout}");

    // The same numbers as text and as HTML.
    let (code, text, stderr) = signoff_gate(&signed.world.work, &["--config", &config, "report", "--repo", &work, "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.contains("0 decisions, 6 commits (4 AI-assisted, 66.7%), 235 changed lines (220 AI-assisted, 93.6%)"), "{text}");
    let alice = text.lines().find(|l| l.trim_start().starts_with("Alice Senior")).expect("Alice's row");
    let cells: Vec<&str> = alice.split_whitespace().collect();
    assert_eq!(
        cells,
        ["Alice", "Senior", "senior", "2", "2", "100", "50", "60", "8m", "30s", "50.0%", "100", "from", "2026-01-05T10:02:00Z"]
    );
    let (code, page, stderr) =
        signoff_gate(&signed.world.work, &["--config", &config, "report", "--repo", &work, "--format", "html", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(page.matches("<rect class=\"bar\"").count(), 3, "two approvers, one refusal code");
    assert_eq!(page.matches("<circle class=\"point").count(), 4, "two weeks, two series");

    // Only the second week.
    let (code, stdout, stderr) =
        signoff_gate(&signed.world.work, &["--config", &config, "report", "--repo", &work, "--format", "json", "HEAD~3..HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!((report["commits"].as_u64(), report["lines"].as_u64()), (Some(3), Some(125)));
    assert_eq!(report["approvers"].as_array().map(Vec::len), Some(1));
}

// ------------------------------------------------------------------ browser

/// Where the build's outputs go (`target/`, or `CARGO_TARGET_DIR`): this
/// test binary lives in its `debug/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors().nth(3).expect("target/<profile>/deps/<binary>").to_path_buf()
}

/// Chromium's path, or `None` when it is not installed and skipping was
/// asked for by name (`SIGNOFF_GATE_SKIP_BROWSER=1`); otherwise the test fails.
pub(crate) fn chromium(test: &str) -> Option<String> {
    let found = Command::new("sh").args(["-c", "command -v chromium"]).output().ok().filter(|o| o.status.success());
    if let Some(output) = found {
        return Some(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }
    // Never a silent pass: without the browser this test fails, unless
    // skipping was asked for by name.
    let skip = std::env::var("SIGNOFF_GATE_SKIP_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        skip,
        "{test}: chromium is not installed here; install the Debian package chromium (.ci/run does), or set SIGNOFF_GATE_SKIP_BROWSER=1 to skip the browser test"
    );
    eprintln!("SKIPPED {test}: chromium is not installed here (SIGNOFF_GATE_SKIP_BROWSER=1)");
    None
}

/// Runs headless Chromium with `args` on `page`, in a process group of its
/// own and a fresh profile, for at most a minute; the whole group is killed
/// afterwards, so no browser process outlives the test. Returns stdout.
pub(crate) fn headless(chromium: &str, page: &Path, args: &[&str]) -> String {
    use std::os::unix::process::CommandExt;
    let scratch = tempfile::tempdir().expect("tempdir");
    let stdout_path = scratch.path().join("stdout");
    let stderr_path = scratch.path().join("stderr");
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions"])
        .arg(format!("--user-data-dir={}", scratch.path().join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", scratch.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = child.id();
    let kill_group = || {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{group}")]).stderr(Stdio::null()).status();
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                kill_group();
                let _ = child.wait();
                panic!("chromium {args:?} did not finish within a minute: {}", std::fs::read_to_string(&stderr_path).unwrap_or_default());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    // Helpers it started (zygote, GPU, crashpad) go with the group.
    kill_group();
    assert!(status.success(), "chromium {args:?}: {status}: {}", std::fs::read_to_string(&stderr_path).unwrap_or_default());
    std::fs::read_to_string(&stdout_path).expect("chromium's output")
}

/// The `data-value` of every element whose start tag begins with `open`,
/// in document order.
pub(crate) fn data_values<'a>(dom: &'a str, open: &str) -> Vec<&'a str> {
    dom.match_indices(open)
        .filter_map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>')?];
            let value = tag.split("data-value=\"").nth(1)?;
            value.split('"').next()
        })
        .collect()
}

#[test]
fn the_html_report_renders_in_a_real_browser() {
    let test = "the_html_report_renders_in_a_real_browser";
    let Some(chromium) = chromium(test) else {
        return;
    };
    let dir = audit_dir();
    let (code, page, stderr) = signoff_gate(dir.path(), &["report", "--audit-log", "audit.jsonl", "--format", "html"]);
    assert_eq!(code, 0, "{stderr}");
    let file = dir.path().join("report.html");
    std::fs::write(&file, &page).expect("page");

    let dom = headless(&chromium, &file, &["--dump-dom"]);
    assert!(dom.contains("<h1>signoff-gate accountability report</h1>"), "{dom}");
    assert!(dom.contains("2026-11-16T10:00:00Z") && dom.contains("2026-11-24T15:00:00Z"), "the period");
    // The attacker's name is text, not an element.
    assert!(!dom.contains("<img"), "{dom}");
    assert!(dom.contains("Eve &lt;img src=x onerror=alert(1)&gt;"), "{dom}");
    // Lines approved per approver: one bar each, most first.
    let approvers = dom.split("<svg class=\"chart approvers\"").nth(1).and_then(|s| s.split("</svg>").next()).expect("the approver chart");
    assert_eq!(data_values(approvers, "<rect class=\"bar\""), ["810", "400", "1"]);
    // Refusals by code.
    let refusals = dom.split("<svg class=\"chart refusals\"").nth(1).and_then(|s| s.split("</svg>").next()).expect("the refusal chart");
    assert_eq!(data_values(refusals, "<rect class=\"bar\""), ["2", "1"]);
    // Weekly shares, a line chart per repository: app has two weeks, infra
    // one (and no line share: it has no lines counted).
    let weekly: Vec<&str> = dom.split("<svg class=\"chart weekly\"").skip(1).map(|s| s.split("</svg>").next().unwrap_or("")).collect();
    assert_eq!(weekly.len(), 2);
    assert_eq!(data_values(weekly[0], "<circle class=\"point commits\""), ["0.8", "1"]);
    assert_eq!(data_values(weekly[0], "<circle class=\"point lines\""), ["0.95", "1"]);
    assert_eq!(weekly[0].matches("<polyline").count(), 2, "points joined");
    assert_eq!(data_values(weekly[1], "<circle class=\"point commits\""), ["0.5"]);
    assert_eq!(data_values(weekly[1], "<circle class=\"point lines\""), Vec::<&str>::new());
    assert_eq!(dom.matches("<rect class=\"bar\"").count(), 5);
    assert_eq!(dom.matches("<circle class=\"point").count(), 5);

    let screenshot = target_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&screenshot);
    let shot_arg = format!("--screenshot={}", screenshot.display());
    headless(&chromium, &file, &[&shot_arg, "--window-size=1200,1600", "--hide-scrollbars"]);
    let png = std::fs::read(&screenshot).expect("a screenshot was written");
    assert!(png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "{} bytes", png.len());
    eprintln!("screenshot: {}", screenshot.display());
}
