//! Signing times and the review-rate rule, with real pushes: approvals
//! signed faster than anyone reads are refused (`review-rate-exceeded`),
//! spread-out ones pass, history on main counts, break-glass overrides it
//! (and the audit log says so), and future-dated or too-old signatures are
//! refused.

use std::path::Path;

use crate::signed::{CLAUDE, Signed, change_id, seed, signed_lines_at};
use crate::util::{ALICE, Pushed, git, run_git};

const HOUR: i64 = 3600;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

/// A served world with `policy` added, Sam (staff) allowed to break the
/// glass as the pusher `sam`, and decisions in `audit.jsonl`.
fn world(policy: &str) -> Signed {
    let mut signed = Signed::with_policy(policy);
    let roster_path = signed.world.dir.path().join("roster.toml");
    let roster = std::fs::read_to_string(&roster_path).expect("roster");
    let roster = roster.replacen("level = \"staff\"\n", "level = \"staff\"\nlogins = [\"sam\"]\nbreak_glass = true\n", 1);
    std::fs::write(&roster_path, roster).expect("roster");
    let config = std::fs::read_to_string(&signed.world.config).expect("config");
    std::fs::write(&signed.world.config, config.replace("[server]\n", "[server]\naudit_log = \"audit.jsonl\"\n")).expect("config");
    run_git(&signed.world.bare, &["config", "receive.advertisePushOptions", "true"]);
    signed.serve();
    seed(&signed);
    signed
}

/// Commits an AI-assisted file of `lines` new lines, then adds Alice's
/// approval of its change signed at `at` (the real ssh-keygen, format v2).
fn approved(signed: &Signed, file: &str, lines: usize, at: i64) -> String {
    approved_as(signed, file, lines, Some(at))
}

/// [`approved`], of format v1 (no signing time) for `None`.
fn approved_as(signed: &Signed, file: &str, lines: usize, at: Option<i64>) -> String {
    let work = &signed.world.work;
    let content: String = (0..lines).map(|n| format!("{file} line {n}\n")).collect();
    std::fs::write(work.join(file), content).expect("write");
    run_git(work, &["add", file]);
    let subject = format!("Add {file}\n\n{CLAUDE}\n");
    commit_message(work, &subject, false);
    let approval = signed_lines_at(work, ALICE, &signed.key("alice"), &change_id(work, "HEAD"), at);
    commit_message(work, &format!("{subject}{approval}"), true);
    run_git(work, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn commit_message(work: &Path, message: &str, amend: bool) {
    let file = work.join(".git").join("MSG");
    std::fs::write(&file, message).expect("message");
    let mut args = vec!["commit", "--quiet", "-F", file.to_str().expect("utf-8")];
    if amend {
        args.push("--amend");
    }
    run_git(work, &args);
}

fn push(signed: &Signed, options: &[&str], user: &str) -> Pushed {
    let mut command = git(&signed.world.work);
    command.arg("push");
    for option in options {
        command.args(["-o", option]);
    }
    Pushed::from(command.args(["origin", "HEAD:refs/heads/main"]).env("REMOTE_USER", user).output().expect("git push"))
}

/// The audit log's records.
fn audit(signed: &Signed) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(signed.world.dir.path().join("audit.jsonl")).expect("audit log");
    text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

#[test]
fn three_thousand_lines_signed_in_ten_minutes_are_refused_under_five_hundred_an_hour_and_pass_without_the_rule() {
    let signed = world("max_review_rate = \"500 lines/hour\"\nreview_window = \"1 hour\"");
    let start = now() - 600;
    for k in 0..6 {
        approved(&signed, &format!("part{k}.txt"), 500, start + k * 120);
    }
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("refs/heads/main: review-rate-exceeded: Alice Senior signed approvals of 3,000 changed lines between "),
        "{}",
        pushed.remote
    );
    assert!(
        pushed.remote.contains("(10 minutes); policy.max_review_rate allows 500 lines/hour (at most 500 lines within 1 hour)"),
        "{}",
        pushed.remote
    );
    // Each commit on its own is validly approved: the refusal is the rate.
    assert!(!pushed.remote.contains("approval-"), "{}", pushed.remote);

    // Break-glass by someone the roster allows lets it through, and the
    // audit log records that it was the rate that was overridden.
    let pushed = push(&signed, &["signoff-gate.break-glass=release blocker, reviewed in a meeting"], "sam");
    assert!(pushed.accepted, "{}", pushed.remote);
    let records = audit(&signed);
    let last = records.last().expect("a record");
    assert_eq!(last["outcome"], "break-glass", "{last}");
    assert!(last.to_string().contains("review-rate-exceeded"), "{last}");
    let commit = &last["commits"][0];
    assert_eq!(commit["lines"], 500, "{commit}");
    assert_eq!(commit["approvals"][0]["level"], "senior", "{commit}");
    assert!(commit["approvals"][0]["signed_at"].as_i64().is_some_and(|at| at >= start), "{commit}");

    // The metrics count both pushes' approvals by level, their lines, and
    // the refusals by code (the break-glass push was refused by the policy
    // too, then let through).
    let (status, text) = crate::util::http(signed.address(), "GET", "/metrics", "");
    assert_eq!(status, 200);
    for line in [
        "signoff_gate_approvals_total{level=\"senior\"} 12",
        "signoff_gate_approved_lines_bucket{le=\"250\"} 0",
        "signoff_gate_approved_lines_bucket{le=\"500\"} 12",
        "signoff_gate_approved_lines_sum 6000",
        "signoff_gate_approved_lines_count 12",
        "signoff_gate_refusals_total{code=\"review-rate-exceeded\"} 2",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }

    // The same approvals without the rule: accepted.
    let again = world("");
    for k in 0..6 {
        approved(&again, &format!("part{k}.txt"), 500, start + k * 120);
    }
    let pushed = push(&again, &[], "dev");
    assert!(
        pushed.accepted,
        "{}\n{}",
        pushed.remote,
        run_git(&again.world.work, &["log", "--graph", "--oneline", "--all", "--format=%h %cI %s"])
    );
}

/// Approvals signed in a burst do not become acceptable by being held
/// until the burst is older than the window: each is weighed at its
/// signing time, with whatever else the approver signed around it.
#[test]
fn approvals_held_past_the_window_are_weighed_when_they_were_signed() {
    let signed = world("max_review_rate = \"500 lines/hour\"\nreview_window = \"4 hours\"");
    let now = now();
    let at = now - 5 * HOUR;
    for k in 0..4 {
        approved(&signed, &format!("held{k}.txt"), 1500, at + k * 20);
    }
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("review-rate-exceeded: Alice Senior signed approvals of 6,000 changed lines between "),
        "{}",
        pushed.remote
    );
}

/// Nor by order: an approval signed just before one already on main,
/// pushed after it, overdraws the budget at that later approval.
#[test]
fn an_approval_pushed_after_a_later_one_is_weighed_before_it() {
    let signed = world("max_review_rate = \"500 lines/hour\"\nreview_window = \"4 hours\"");
    let at = now() - HOUR;
    approved(&signed, "later.txt", 2000, at + 60);
    let pushed = push(&signed, &[], "dev");
    assert!(pushed.accepted, "2,000 lines fit the budget: {}", pushed.remote);
    approved(&signed, "earlier.txt", 1500, at);
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("review-rate-exceeded: Alice Senior signed approvals of 3,500 changed lines between "),
        "{}",
        pushed.remote
    );
    assert!(pushed.remote.contains(", 1,500 of them in this push;"), "{}", pushed.remote);
}

#[test]
fn approvals_spread_over_the_window_pass_and_those_on_main_count_against_the_next_push() {
    let signed = world("max_review_rate = \"500 lines/hour\"\nreview_window = \"4 hours\"");
    let now = now();
    // 400 lines an hour for four hours: reading keeps up.
    for k in 0..4 {
        approved(&signed, &format!("spread{k}.txt"), 400, now - 3 * HOUR + k * HOUR);
    }
    let pushed = push(&signed, &[], "dev");
    assert!(pushed.accepted, "{}", pushed.remote);
    // 1,700 lines now would fit a full budget (2,000) but not what is left
    // after the approvals already on main.
    approved(&signed, "big.txt", 1700, now);
    // Another protected ref is no way around it: main's approvals count there too.
    let pushed = Pushed::from(git(&signed.world.work).args(["push", "origin", "HEAD:refs/heads/release/next"]).output().expect("git push"));
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("refs/heads/release/next: review-rate-exceeded"), "{}", pushed.remote);
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("review-rate-exceeded: Alice Senior signed approvals of 3,300 changed lines between "),
        "{}",
        pushed.remote
    );
    assert!(pushed.remote.contains(", 1,700 of them in this push;"), "{}", pushed.remote);
}

#[test]
fn future_dated_and_too_old_signatures_are_refused() {
    let signed = world("max_approval_age = \"1 day\"");
    let work = signed.world.work.clone();
    approved(&signed, "later.txt", 3, now() + HOUR);
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("approval-future"), "{}", pushed.remote);
    assert!(pushed.remote.contains("in the future"), "{}", pushed.remote);

    run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
    approved(&signed, "stale.txt", 3, now() - 2 * 86_400);
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("approval-expired"), "{}", pushed.remote);
    assert!(pushed.remote.contains("longer ago than policy.max_approval_age (1 day) allows"), "{}", pushed.remote);

    // One with no signing time (format v1) could be any age.
    run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
    approved_as(&signed, "undated.txt", 3, None);
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("approval-undated"), "{}", pushed.remote);
    assert!(pushed.remote.contains("carries no signing time, which policy.max_approval_age needs"), "{}", pushed.remote);

    // A fresh signature passes.
    run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
    approved(&signed, "fresh.txt", 3, now() - 60);
    let pushed = push(&signed, &[], "dev");
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// A branch approved with `signoff-gate approve --merge`, as a senior does
/// it: the merge's signing time is now, and it spends all the lines it
/// brings in.
#[test]
fn a_signed_merge_spends_all_the_lines_it_brings_in() {
    let signed = world("max_review_rate = \"500 lines/hour\"\nreview_window = \"1 hour\"");
    let work = &signed.world.work;
    let branch = |name: &str, lines: usize| {
        run_git(work, &["checkout", "--quiet", "-B", name, "origin/main"]);
        for k in 0..3 {
            let file = format!("{name}-{k}.txt");
            let content: String = (0..lines).map(|n| format!("{name} {k} line {n}\n")).collect();
            std::fs::write(work.join(&file), content).expect("write");
            run_git(work, &["add", &file]);
            commit_message(work, &format!("Add {file}\n\n{CLAUDE}\n"), false);
        }
        let pushed = signed.world.push(&format!("HEAD:refs/heads/review/{name}"));
        assert!(pushed.accepted, "{}", pushed.remote);
    };
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    let merge = |name: &str| {
        run_git(&alice, &["fetch", "--quiet", "origin"]);
        run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);
        let (code, stdout, stderr) = signed.approve(&alice, &["--merge", &format!("origin/review/{name}")]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        signed.push_from(&alice, "HEAD:main")
    };
    // 3 × 100 lines: within the budget.
    branch("small", 100);
    let pushed = merge("small");
    assert!(pushed.accepted, "{}", pushed.remote);
    // 3 × 200 lines more, minutes later: the budget (500 lines, refilling
    // at 500 an hour) cannot cover them.
    branch("large", 200);
    let pushed = merge("large");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("review-rate-exceeded: Alice Senior signed approvals of 900 changed lines "), "{}", pushed.remote);
    assert!(pushed.remote.contains(", 600 of them in this push;"), "{}", pushed.remote);
}

/// Approvals without a signing time (format v1) cannot be weighed: with the
/// rule on they are refused, in any number, so pushing many small batches
/// of them cannot slip past it; without the rule they still count.
#[test]
fn undated_approvals_cannot_slip_past_the_review_rate() {
    let signed = world("max_review_rate = \"500 lines/hour\"");
    for k in 0..3 {
        approved_as(&signed, &format!("old{k}.txt"), 10, None);
    }
    let pushed = push(&signed, &[], "dev");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("approval-undated"), "{}", pushed.remote);
    assert!(pushed.remote.contains("carries no signing time, which policy.max_review_rate needs"), "{}", pushed.remote);

    let without = world("");
    approved_as(&without, "old.txt", 10, None);
    let pushed = push(&without, &[], "dev");
    assert!(pushed.accepted, "{}", pushed.remote);
}
