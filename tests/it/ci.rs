//! The CI jobs the README shows (GitHub Actions, GitLab CI), their check
//! steps run exactly as written against a real repository: a pull request
//! with an unapproved AI commit fails, and one that also loosens the policy
//! on its own branch fails all the same; an approved one passes.

use std::path::Path;

use crate::util::{ALICE, BIN, DEV, ROSTER, World, run_git, sh};

const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";

/// The lines of the README's fenced block that starts with `first`.
fn readme_block(first: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme.find(first).unwrap_or_else(|| panic!("the README has a block starting {first:?}"));
    let block = &readme[start..];
    let end = block.find("```").expect("the block ends");
    block[..end].lines().map(str::to_owned).collect()
}

/// The GitHub job's check step: its `run: |` script, de-indented.
fn github_script() -> String {
    let lines = readme_block("name: signoff-gate\non: pull_request");
    let step = lines.iter().position(|l| l.contains("- name: Check the pull request's commits")).expect("the check step");
    let run = step + lines[step..].iter().position(|l| l.trim() == "run: |").expect("its run script");
    let indent = lines[run + 1].len() - lines[run + 1].trim_start().len();
    lines[run + 1..]
        .iter()
        .take_while(|l| l.len() > indent && l[..indent].trim().is_empty())
        .map(|l| format!("{}\n", &l[indent..]))
        .collect()
}

/// The GitLab job's `script:` items, one command per line.
fn gitlab_script() -> String {
    let lines = readme_block("signoff-gate:\n  stage: test");
    let script = lines.iter().position(|l| l.trim() == "script:").expect("a script");
    lines[script + 1..].iter().map_while(|l| l.strip_prefix("    - ")).map(|l| format!("{l}\n")).collect()
}

/// A repository whose main holds the policy (trailer approvals, so the
/// test types them), and a pull-request branch on top; returns (base, head).
fn pull_request(world: &World, approved: bool, loosen: bool) -> (String, String) {
    let work = &world.work;
    let policy = "[server]\nroster = \".signoff-gate-roster.toml\"\n\n[policy]\napprovals = \"trailer\"\n";
    std::fs::write(work.join(".signoff-gate.toml"), policy).expect("policy");
    std::fs::write(work.join(".signoff-gate-roster.toml"), ROSTER).expect("roster");
    run_git(work, &["add", ".signoff-gate.toml", ".signoff-gate-roster.toml"]);
    run_git(work, &["commit", "--quiet", "-m", "Add the signoff-gate policy"]);
    let base = run_git(work, &["rev-parse", "HEAD"]).trim().to_owned();
    run_git(work, &["checkout", "--quiet", "-b", "feature"]);
    if loosen {
        // No built-in tools: Claude's marker would no longer count.
        std::fs::write(work.join(".signoff-gate.toml"), format!("{policy}\n[detect]\nbuiltin = false\n")).expect("loosened");
        run_git(work, &["commit", "--quiet", "-am", "Relax the policy"]);
    }
    let approval = if approved { format!("\nApproved-by: {} <{}>", ALICE.0, ALICE.1) } else { String::new() };
    world.commit(DEV, &format!("Add retries\n\n{CLAUDE}{approval}\n"));
    let head = run_git(work, &["rev-parse", "HEAD"]).trim().to_owned();
    (base, head)
}

/// Runs `script` in `dir` with the binary on PATH and `env`.
fn run(dir: &Path, script: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let bin_dir = Path::new(BIN).parent().expect("the binary's folder");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = sh(dir, &format!("set -e\n{script}"));
    command.env("PATH", path);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("sh runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_github_actions_job_fails_an_unapproved_pull_request() {
    let script = github_script();
    assert!(script.contains("check --format github \"$BASE..$HEAD\""), "{script}");
    for loosen in [false, true] {
        let world = World::new();
        world.commit(DEV, "Initial commit\n");
        let (base, head) = pull_request(&world, false, loosen);
        let temp = tempfile::tempdir().expect("runner temp");
        let env = [("BASE", base.as_str()), ("HEAD", head.as_str()), ("RUNNER_TEMP", temp.path().to_str().expect("utf-8"))];
        let (code, stdout, stderr) = run(&world.work, &script, &env);
        assert_eq!(code, 1, "loosen {loosen}: {stdout}{stderr}");
        let short = &head[..12];
        assert!(
            stdout.starts_with(&format!(
                "::error title=signoff-gate%3A {short} Add retries::ai-unapproved: no approval: needs an \"Approved-by:\""
            )),
            "{stdout}"
        );
        assert!(stdout.ends_with("refused\n"), "{stdout}");
    }
    let world = World::new();
    world.commit(DEV, "Initial commit\n");
    let (base, head) = pull_request(&world, true, false);
    let temp = tempfile::tempdir().expect("runner temp");
    let env = [("BASE", base.as_str()), ("HEAD", head.as_str()), ("RUNNER_TEMP", temp.path().to_str().expect("utf-8"))];
    let (code, stdout, stderr) = run(&world.work, &script, &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "signoff-gate: checked 1 commit: 1 AI-assisted, 1 approved, 0 refused\n");
}

#[test]
fn the_gitlab_job_writes_a_junit_report_and_fails_the_pipeline() {
    let script = gitlab_script();
    assert!(script.contains("check --format junit"), "{script}");
    let world = World::new();
    world.commit(DEV, "Initial commit\n");
    let (base, head) = pull_request(&world, false, true);
    let env = [("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str()), ("CI_COMMIT_SHA", head.as_str())];
    let (code, stdout, stderr) = run(&world.work, &script, &env);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report = std::fs::read_to_string(world.work.join("signoff-gate.xml")).expect("the JUnit report");
    assert!(
        report.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"signoff-gate\" tests=\"2\" failures=\"1\">"),
        "{report}"
    );
    let short = &head[..12];
    assert!(
        report.contains(&format!(
            "<testcase classname=\"signoff-gate.refused\" name=\"{short} Add retries\"><failure type=\"ai-unapproved\""
        )),
        "{report}"
    );
    assert!(report.contains("name=\"") && report.contains(" Relax the policy\"></testcase>"), "{report}");
    assert!(report.ends_with("</testsuite>\n</testsuites>\n"), "{report}");
}
