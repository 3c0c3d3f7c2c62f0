//! Blast-radius rules and protected history, with real keys, real
//! signatures and real pushes: a path rule that needs a principal, a mass
//! deletion, a review-size rule that needs two approvers, an approver
//! group, `applies_to = "all"`, and non-fast-forward updates of a
//! protected ref. The tree diff the rules read is held to git's own.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use signoff_gate::git::GitRepo;
use signoff_gate::policy::facts::CommitFacts;
use signoff_gate::policy::rules::{ChangeSource, EntryKind};

use crate::signed::{CLAUDE, Signed, change_id, seed, signed_lines};
use crate::util::{ALICE, Pushed, git, run_git, signoff_gate};

const SAM: (&str, &str) = ("Sam Staff", "sam@corp.example");
const OLGA: (&str, &str) = ("Olga Former", "olga@corp.example");

const RULES: &str = r#"
[[policy.rule]]
name = "infrastructure"
description = "Infrastructure deletions need a principal who owns it"
paths = ["infra/**", "**/*.tf"]
min_deleted_files = 3
min_approver_level = "principal"
approvers = ["olga@corp.example"]

[[policy.rule]]
name = "review-size"
description = "Too large for one reviewer"
min_changed_lines = 400
required_approvals = 2

[[policy.rule]]
name = "ci-workflows"
applies_to = "all"
paths = [".github/workflows/**"]
"#;

/// A signed world with `policy` (and [`RULES`] after it): Olga is an
/// active principal, and Alice may break the glass as host user `alice`.
fn world(policy: &str) -> Signed {
    let mut signed = Signed::with_policy(&format!("{policy}\n{RULES}"));
    signed.write_roster(&["alice", "sam", "mia", "dev", "olga"]);
    let roster_path = signed.world.dir.path().join("roster.toml");
    let roster = std::fs::read_to_string(&roster_path).expect("roster");
    let roster = roster.replace("active = false\n", "").replacen(
        "level = \"senior\"\n",
        "level = \"senior\"\nlogins = [\"alice\"]\nbreak_glass = true\n",
        1,
    );
    std::fs::write(&roster_path, roster).expect("roster");
    signed.serve();
    seed(&signed);
    signed
}

/// Files to write (path, content; `None` deletes).
type Files<'a> = Vec<(&'a str, Option<String>)>;

/// Writes `files` (path, content; `None` deletes) and commits them with
/// `message`; returns the commit id.
fn commit_files(dir: &Path, files: &[(&str, Option<String>)], message: &str) -> String {
    for (path, content) in files {
        let full = dir.join(path);
        match content {
            Some(text) => {
                std::fs::create_dir_all(full.parent().expect("a folder")).expect("mkdir");
                std::fs::write(&full, text).expect("write");
                run_git(dir, &["add", path]);
            }
            None => {
                run_git(dir, &["rm", "--quiet", path]);
            }
        }
    }
    let file = dir.join(".git").join("MSG");
    std::fs::write(&file, message).expect("message");
    run_git(dir, &["commit", "--quiet", "--allow-empty", "-F", file.to_str().expect("utf-8")]);
    run_git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// Adds signed approvals of HEAD's change by each of `approvers` (name,
/// email, key) to its message, as `signoff-gate approve` would.
pub(crate) fn sign_head(signed: &Signed, approvers: &[((&str, &str), &str)]) {
    let dir = &signed.world.work;
    let head = run_git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let change = change_id(dir, &head);
    let mut message = run_git(dir, &["log", "-1", "--format=%B", "HEAD"]).trim_end().to_owned();
    // Trailers are a paragraph of their own.
    message.push_str(if message.contains("\n\n") { "\n" } else { "\n\n" });
    for (who, key) in approvers {
        message.push_str(&signed_lines(dir, *who, &signed.key(key), &change));
    }
    let file = dir.join(".git").join("MSG");
    std::fs::write(&file, message).expect("message");
    run_git(dir, &["commit", "--quiet", "--amend", "--allow-empty", "-F", file.to_str().expect("utf-8")]);
}

fn push(signed: &Signed) -> Pushed {
    signed.push_from(&signed.world.work, "HEAD:refs/heads/main")
}

fn main_of(signed: &Signed) -> String {
    run_git(&signed.world.bare, &["rev-parse", "main"]).trim().to_owned()
}

#[test]
fn a_mass_deletion_under_a_path_rule_needs_its_principal() {
    let signed = world("");
    let work = &signed.world.work;
    let files: Vec<(String, Option<String>)> = (0..5).map(|n| (format!("infra/db{n}.tf"), Some(format!("resource {n}\n")))).collect();
    let added: Vec<(&str, Option<String>)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    commit_files(work, &added, "Add the database stack\n");
    assert!(push(&signed).accepted, "a human commit that adds infra is not a deletion");

    let deleted: Vec<(&str, Option<String>)> = files.iter().map(|(p, _)| (p.as_str(), None)).collect();
    let id = commit_files(work, &deleted, &format!("Delete and recreate the environment\n\n{CLAUDE}\n"));
    let pushed = push(&signed);
    assert!(!pushed.accepted, "{}", pushed.stderr);
    assert!(pushed.remote.contains("1 commit needs the approvals the blast-radius rule \"infrastructure\" asks for"), "{}", pushed.remote);
    assert!(pushed.remote.contains(&format!("  {} Delete and recreate the environment", &id[..12])), "{}", pushed.remote);
    assert!(
        pushed.remote.contains(
            "rule-unmet: rule \"infrastructure\" (Infrastructure deletions need a principal who owns it): deletes 5 files matching infra/**, **/*.tf (infra/db0.tf, infra/db1.tf, …; rule: 3 or more); needs a signed approval by Olga Former (level principal); has none"
        ),
        "{}",
        pushed.remote
    );

    // A senior's signature satisfies the base policy, not the rule.
    sign_head(&signed, &[(ALICE, "alice")]);
    let pushed = push(&signed);
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("rule-unmet: rule \"infrastructure\""), "{}", pushed.remote);
    assert!(!pushed.remote.contains("ai-unapproved"), "{}", pushed.remote);

    // The rule's own approver signs as well: accepted.
    sign_head(&signed, &[(OLGA, "olga")]);
    let pushed = push(&signed);
    assert!(pushed.accepted, "{}", pushed.remote);
    assert_eq!(main_of(&signed), run_git(work, &["rev-parse", "HEAD"]).trim());
}

#[test]
fn a_large_change_needs_two_approvers() {
    let signed = world("");
    let work = &signed.world.work;
    let big: String = (0..450).map(|n| format!("line {n}\n")).collect();
    commit_files(work, &[("src/big.rs", Some(big))], &format!("Generate the client\n\n{CLAUDE}\n"));
    sign_head(&signed, &[(ALICE, "alice")]);
    let pushed = push(&signed);
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains(
            "rule-unmet: rule \"review-size\" (Too large for one reviewer): 450 changed lines (rule: 400 or more); needs 2 signed approvals by engineers of level senior or above; has Alice Senior"
        ),
        "{}",
        pushed.remote
    );
    sign_head(&signed, &[(SAM, "sam")]);
    let pushed = push(&signed);
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("signoff-gate: ok: 1 AI-assisted commit signed off"), "{}", pushed.remote);
}

#[test]
fn a_rule_for_all_commits_catches_a_human_commit() {
    let signed = world("");
    let work = &signed.world.work;
    let id = commit_files(work, &[(".github/workflows/deploy.yml", Some("on: push\n".into()))], "Deploy on every push\n");
    let pushed = push(&signed);
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains(&format!("  {} Deploy on every push", &id[..12])), "{}", pushed.remote);
    assert!(
        pushed.remote.contains(
            "rule-unmet: rule \"ci-workflows\": changes 1 file matching .github/workflows/** (.github/workflows/deploy.yml); needs a signed approval by an engineer of level senior or above; has none"
        ),
        "{}",
        pushed.remote
    );
    // An unsigned trailer is no more an approval here than on an AI commit.
    let mut message = run_git(work, &["log", "-1", "--format=%B"]).trim_end().to_owned();
    message.push_str(&format!("\n\nApproved-by: {} <{}>\n", ALICE.0, ALICE.1));
    std::fs::write(work.join(".git/MSG"), &message).expect("message");
    run_git(work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    let pushed = push(&signed);
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("approval-unsigned"), "{}", pushed.remote);

    std::fs::write(work.join(".git/MSG"), "Deploy on every push\n").expect("message");
    run_git(work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    sign_head(&signed, &[(ALICE, "alice")]);
    let pushed = push(&signed);
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn check_explains_which_rules_apply() {
    let signed = world("");
    let work = &signed.world.work;
    let files: Vec<(String, Option<String>)> = (0..3).map(|n| (format!("infra/x{n}.tf"), Some("x\n".into()))).collect();
    commit_files(work, &files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect::<Vec<_>>(), "Add infra\n");
    commit_files(work, &files.iter().map(|(p, _)| (p.as_str(), None)).collect::<Vec<_>>(), &format!("Remove infra\n\n{CLAUDE}\n"));
    let config = signed.world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(work, &["--config", &config, "check", "--explain", "HEAD~2..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    let head = run_git(work, &["rev-parse", "--short=12", "HEAD"]);
    let first = run_git(work, &["rev-parse", "--short=12", "HEAD~"]);
    let expected = format!(
        "  {} Remove infra [refused]\n      AI-assisted (Claude Code): Co-Authored-By: Claude <noreply@anthropic.com>\n      \
         rule \"infrastructure\": applies: deletes 3 files matching infra/**, **/*.tf (infra/x0.tf, infra/x1.tf, …; rule: 3 or more); needs a signed approval by Olga Former (level principal): not met\n      \
         rule \"review-size\": does not apply: its conditions do not hold\n      \
         rule \"ci-workflows\": does not apply: its conditions do not hold\n",
        head.trim()
    );
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "  {} Add infra [not AI-assisted]\n      rule \"infrastructure\": does not apply: not AI-assisted\n      rule \"review-size\": does not apply: not AI-assisted\n      rule \"ci-workflows\": does not apply: its conditions do not hold\n",
            first.trim()
        )),
        "{stdout}"
    );

    let (code, stdout, _) = signoff_gate(work, &["--config", &config, "check", "--format", "json", "HEAD~2..HEAD"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let rules = &json["commits"][0]["rules"];
    assert_eq!(rules.as_array().map(Vec::len), Some(1), "{rules}");
    assert_eq!(rules[0]["name"], "infrastructure");
    assert_eq!(rules[0]["satisfied"], false);
    assert_eq!(rules[0]["required"], "needs a signed approval by Olga Former (level principal)");
    assert_eq!(rules[0]["triggered_by"][0], "deletes 3 files matching infra/**, **/*.tf (infra/x0.tf, infra/x1.tf, …; rule: 3 or more)");
    assert_eq!(json["commits"][1]["rules"], serde_json::json!([]));
}

#[test]
fn rules_can_cover_some_refs_only() {
    let signed = world("protected_refs = [\"refs/heads/main\", \"refs/heads/release/*\"]");
    // Replace the rules: only release branches need two approvers for any AI commit.
    let config = std::fs::read_to_string(&signed.world.config).expect("config");
    let config =
        config.replace(RULES, "\n[[policy.rule]]\nname = \"release\"\nrefs = [\"refs/heads/release/*\"]\nrequired_approvals = 2\n");
    std::fs::write(&signed.world.config, config).expect("config");
    let mut signed = signed;
    signed.serve();
    let work = &signed.world.work;
    commit_files(work, &[("a.txt", Some("a\n".into()))], &format!("AI change\n\n{CLAUDE}\n"));
    sign_head(&signed, &[(ALICE, "alice")]);
    // One push to both: main takes it, the release branch does not.
    let pushed =
        Pushed::from(git(work).args(["push", "origin", "HEAD:refs/heads/main", "HEAD:refs/heads/release/1"]).output().expect("git push"));
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("refs/heads/release/1: 1 of 1 new commit refused"), "{}", pushed.remote);
    assert!(!pushed.remote.contains("refs/heads/main: 1 of"), "{}", pushed.remote);
    assert!(signed.push_from(work, "HEAD:refs/heads/main").accepted);
    sign_head(&signed, &[(SAM, "sam")]);
    assert!(signed.push_from(work, "HEAD:refs/heads/release/1").accepted);
}

/// A rule on main alone cannot be stepped around by pushing to a symref
/// that leads to main: an update has the rules of every name it moves.
#[test]
fn a_rule_on_main_covers_a_push_through_a_symref_to_main() {
    let signed = world("protected_refs = [\"refs/heads/main\", \"refs/heads/release/*\"]");
    let config = std::fs::read_to_string(&signed.world.config).expect("config");
    let config = config.replace(
        RULES,
        "\n[[policy.rule]]\nname = \"ci-workflows\"\napplies_to = \"all\"\nrefs = [\"refs/heads/main\"]\n\
         paths = [\".github/workflows/**\"]\nmin_approver_level = \"staff\"\n",
    );
    std::fs::write(&signed.world.config, config).expect("config");
    let mut signed = signed;
    signed.serve();
    run_git(&signed.world.bare, &["symbolic-ref", "refs/heads/trunk", "refs/heads/main"]);
    let work = &signed.world.work;
    commit_files(work, &[(".github/workflows/ci.yml", Some("on: push\n".into()))], "Tweak the deploy workflow\n");
    let main = main_of(&signed);
    let unmet = |pushed: &Pushed| !pushed.accepted && pushed.remote.contains("rule-unmet: rule \"ci-workflows\"");
    let pushed = signed.push_from(work, "HEAD:refs/heads/main");
    assert!(unmet(&pushed), "{}", pushed.remote);
    let pushed = signed.push_from(work, "HEAD:refs/heads/trunk");
    assert!(unmet(&pushed), "through the symref: {}", pushed.remote);
    assert_eq!(main_of(&signed), main, "main did not move");
    // Signed by a staff engineer, it goes in.
    sign_head(&signed, &[(SAM, "sam")]);
    let pushed = signed.push_from(work, "HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn rewriting_a_protected_ref_is_refused_unless_allowed_or_broken_glass() {
    let signed = world("");
    let work = &signed.world.work;
    run_git(&signed.world.bare, &["config", "receive.advertisePushOptions", "true"]);
    commit_files(work, &[("a.txt", Some("a\n".into()))], "One\n");
    commit_files(work, &[("b.txt", Some("b\n".into()))], "Two\n");
    assert!(push(&signed).accepted);
    let before = main_of(&signed);
    run_git(work, &["reset", "--quiet", "--hard", "HEAD~2"]);
    commit_files(work, &[("c.txt", Some("c\n".into()))], "Another way\n");
    let force = |options: &[&str], user: &str| {
        let mut command = git(work);
        command.arg("push").arg("--force");
        for option in options {
            command.args(["-o", option]);
        }
        Pushed::from(command.args(["origin", "HEAD:refs/heads/main"]).env("REMOTE_USER", user).output().expect("git push"))
    };
    let pushed = force(&[], "alice");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains(&format!(
            "refs/heads/main: protected-ref-rewrite: not a fast-forward: refs/heads/main would drop 2 commits it has now (its tip is {}); protected history is not rewritten: fetch, rebase onto it (git pull --rebase) and push again",
            &before[..12]
        )),
        "{}",
        pushed.remote
    );
    assert_eq!(main_of(&signed), before);
    // Someone who may not break the glass cannot.
    let pushed = force(&["signoff-gate.break-glass=bad history on main"], "mallory");
    assert!(!pushed.accepted);
    let pushed = force(&["signoff-gate.break-glass=bad history on main"], "alice");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("BREAK-GLASS"), "{}", pushed.remote);
    assert_eq!(main_of(&signed), run_git(work, &["rev-parse", "HEAD"]).trim());
}

#[test]
fn allow_rewrite_lets_named_refs_be_rewritten() {
    let signed = world("allow_rewrite = [\"refs/heads/main\"]");
    let work = &signed.world.work;
    commit_files(work, &[("a.txt", Some("a\n".into()))], "One\n");
    assert!(push(&signed).accepted);
    run_git(work, &["commit", "--quiet", "--amend", "-m", "One, reworded"]);
    let pushed = Pushed::from(git(work).args(["push", "--force", "origin", "HEAD:refs/heads/main"]).output().expect("push"));
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// The files and line counts of each commit, as the gate reads them.
fn gate_changes(dir: &Path, specs: &[String]) -> BTreeMap<String, Vec<String>> {
    let repo = GitRepo::discover(dir).expect("repo");
    let mut all = BTreeMap::new();
    repo.walk_revisions(
        specs,
        |facts: CommitFacts, changes| {
            let mut rows = Vec::new();
            changes
                .changed_files(&facts, &|_| true, &mut |change| {
                    let kind = |k: Option<EntryKind>| match k {
                        None => "000000",
                        Some(EntryKind::File) => "100644",
                        Some(EntryKind::Executable) => "100755",
                        Some(EntryKind::Symlink) => "120000",
                        Some(EntryKind::Submodule) => "160000",
                    };
                    let lines = change.lines.map_or("-\t-".to_owned(), |l| format!("{}\t{}", l.added, l.deleted));
                    rows.push(format!("{} {} {lines}\t{}", kind(change.old), kind(change.new), String::from_utf8_lossy(change.path)));
                })
                .expect("diff");
            rows.sort();
            (facts.id, rows)
        },
        |(id, rows)| {
            all.insert(id, rows);
            ControlFlow::Continue(())
        },
    )
    .expect("walk");
    all
}

/// The same, as `git diff-tree -r --no-renames --raw --numstat` prints it.
fn git_changes(dir: &Path, ids: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    for id in ids {
        let raw = run_git(dir, &["diff-tree", "-r", "--no-renames", "--root", "--no-commit-id", "--raw", id]);
        let numstat = run_git(dir, &["diff-tree", "-r", "--no-renames", "--root", "--no-commit-id", "--numstat", id]);
        let mut rows: Vec<String> = raw
            .lines()
            .zip(numstat.lines())
            .map(|(raw, stat)| {
                let mut fields = raw.trim_start_matches(':').split_whitespace();
                let (old, new) = (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
                let (lines, path) = stat.rsplit_once('\t').expect("numstat");
                format!("{old} {new} {lines}\t{path}")
            })
            .collect();
        rows.sort();
        all.insert(id.clone(), rows);
    }
    all
}

#[test]
fn the_tree_diff_reads_what_git_diff_tree_reads() {
    let signed = world("");
    let dir = &signed.world.work;
    let text = |n: usize, seed: usize| -> String { (0..n).map(|i| format!("line {}\n", (i * 7 + seed) % 13)).collect() };
    let steps: Vec<(Files<'_>, &str)> = vec![
        (vec![("a/one.txt", Some(text(30, 1))), ("a/b/two.txt", Some(text(5, 2))), ("bin.dat", Some("x\0y\n".into()))], "Add"),
        (vec![("a/one.txt", Some(text(31, 3))), ("bin.dat", Some("x\0z\n".into()))], "Edit text and binary"),
        (vec![("a/one.txt", None), ("moved/one.txt", Some(text(31, 3)))], "Rename"),
        (vec![("a/b/two.txt", None)], "Delete"),
        (vec![("nonl.txt", Some("no newline".into()))], "No final newline"),
        (vec![("nonl.txt", Some("no newline\nnow two".into()))], "Grow it"),
    ];
    for (files, subject) in &steps {
        commit_files(dir, files, &format!("{subject}\n"));
    }
    // A mode change, a symlink, a file becoming a folder, a submodule, and an empty commit.
    run_git(dir, &["update-index", "--chmod=+x", "moved/one.txt"]);
    run_git(dir, &["commit", "--quiet", "-m", "Make it executable"]);
    std::os::unix::fs::symlink("moved/one.txt", dir.join("link")).expect("symlink");
    run_git(dir, &["add", "link"]);
    run_git(dir, &["commit", "--quiet", "-m", "Link"]);
    run_git(dir, &["rm", "--quiet", "nonl.txt"]);
    commit_files(dir, &[("nonl.txt/inside.txt", Some("now a folder\n".into()))], "File to folder\n");
    let head = run_git(dir, &["rev-parse", "HEAD"]).trim().to_owned();
    run_git(dir, &["update-index", "--add", "--cacheinfo", &format!("160000,{head},vendor/lib")]);
    run_git(dir, &["commit", "--quiet", "-m", "Submodule"]);
    run_git(dir, &["commit", "--quiet", "--allow-empty", "-m", "Empty"]);
    // Random edits of a few files: line counts as git's Myers diff counts them.
    let mut random = crate::util::Lcg(7);
    let mut contents: Vec<Vec<String>> = (0..3).map(|f| (0..40).map(|i| format!("f{f} {}", i % 9)).collect()).collect();
    for round in 0..25 {
        for lines in contents.iter_mut() {
            for _ in 0..random.next(6) {
                let at = random.next(lines.len() + 1);
                match random.next(3) {
                    0 if !lines.is_empty() => {
                        lines.remove(at.min(lines.len() - 1));
                    }
                    1 => lines.insert(at, format!("new {round} {}", random.next(5))),
                    _ if at < lines.len() => lines[at] = format!("edit {}", random.next(4)),
                    _ => lines.push("tail".to_owned()),
                }
            }
        }
        let files: Vec<(String, Option<String>)> =
            contents.iter().enumerate().map(|(f, lines)| (format!("r/{f}.txt"), Some(lines.join("\n") + "\n"))).collect();
        commit_files(dir, &files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect::<Vec<_>>(), &format!("Round {round}\n"));
    }

    let ids: Vec<String> = run_git(dir, &["rev-list", "HEAD"]).lines().map(str::to_owned).collect();
    let ours = gate_changes(dir, &["HEAD".to_owned()]);
    let git = git_changes(dir, &ids);
    assert_eq!(ours.len(), ids.len());
    for id in &ids {
        // git counts a submodule's line as changed; the gate counts none.
        let theirs: Vec<String> =
            git[id].iter().map(|row| if row.contains(" 160000 ") { row.replace("1\t0\t", "-\t-\t") } else { row.clone() }).collect();
        assert_eq!(ours[id], theirs, "commit {id}");
    }
    assert!(ours.values().any(|rows| rows.iter().any(|r| r.starts_with("100644 100755"))), "a mode change was read");
    assert!(ours.values().any(Vec::is_empty), "the empty commit changes nothing");
}

#[test]
fn the_shipped_example_rules_pass_roster_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/signoff-gate.toml")).expect("config");
    let (before, rest) = shipped.split_once("# --- example rules\n").expect("the example rules are marked");
    let (rules, after) = rest.split_once("# --- end of example rules\n").expect("and their end");
    assert!(rules.lines().all(|line| line.starts_with('#')), "the examples are off by default");
    let uncommented: String = rules.lines().map(|line| line.trim_start_matches('#').trim_start()).map(|line| format!("{line}\n")).collect();
    let config = dir.path().join("signoff-gate.toml");
    std::fs::write(&config, format!("{before}{uncommented}{after}")).expect("config");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/config/roster.toml"), dir.path().join("roster.toml")).expect("roster");
    let config = config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(dir.path(), &["--config", &config, "roster", "check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": ok: "), "{stdout}");

    // Each rule is in force: `check --explain` names all five.
    run_git(dir.path(), &["init", "--quiet", "--initial-branch=main", "repo"]);
    let repo = dir.path().join("repo");
    commit_files(&repo, &[("infra/main.tf", Some("x\n".into()))], &format!("Infra\n\n{CLAUDE}\n"));
    let (code, stdout, _) = signoff_gate(&repo, &["--config", &config, "check", "--explain", "HEAD"]);
    assert_eq!(code, 1, "{stdout}");
    for name in ["infrastructure", "mass-deletion", "ci-workflows", "migrations", "review-size"] {
        assert!(stdout.contains(&format!("rule \"{name}\": ")), "{name}: {stdout}");
    }
    assert!(stdout.contains("rule \"infrastructure\": applies: changes 1 file matching infra/**"), "{stdout}");
}

#[test]
fn moving_files_out_of_a_rules_paths_is_deleting_them_there() {
    let signed = world("");
    let work = &signed.world.work;
    let files: Vec<(String, Option<String>)> = (0..4).map(|n| (format!("infra/net{n}.tf"), Some(format!("network {n}\n")))).collect();
    commit_files(work, &files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect::<Vec<_>>(), "Add the network\n");
    assert!(push(&signed).accepted);
    // A rename is what git shows; the gate reads a deletion under infra/ and an addition elsewhere.
    std::fs::create_dir_all(work.join("attic")).expect("attic");
    for (path, _) in &files {
        run_git(work, &["mv", path, &path.replace("infra/", "attic/")]);
    }
    std::fs::write(work.join(".git/MSG"), format!("Tidy up the tree\n\n{CLAUDE}\n")).expect("message");
    run_git(work, &["commit", "--quiet", "-F", ".git/MSG"]);
    sign_head(&signed, &[(ALICE, "alice")]);
    let pushed = push(&signed);
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(
        pushed.remote.contains("rule-unmet: rule \"infrastructure\" (Infrastructure deletions need a principal who owns it): deletes 4 files matching infra/**, **/*.tf"),
        "{}",
        pushed.remote
    );
}
