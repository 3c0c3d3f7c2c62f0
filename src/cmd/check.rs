//! `signoff-gate check REV…`: the push policy on local history, for CI and
//! for engineers before they push. Streams: one commit at a time, whatever
//! the history's size.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;

use crate::cmd::{Failure, load_gate_for};
use crate::git::{Changes, GitRepo};
use crate::policy::detect::Marker;
use crate::policy::facts::CommitFacts;
use crate::policy::gate::{ApprovalCheck, CommitReport, Gate, MergeApproval, Reason, Verdict};
use crate::policy::merge_scope::MergeScope;
use crate::policy::render::{commit_block, explain_block};
use crate::policy::rules::{RuleCheck, RuleScope};

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The repository (or a folder inside it) [default: the current folder]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The protected ref the commits would enter, for rules that cover only
    /// some refs [default: every rule applies]
    #[arg(long = "ref", value_name = "REF")]
    pub refname: Option<String>,
    /// Show, for every commit, which blast-radius rules apply and why.
    #[arg(long)]
    pub explain: bool,
    /// Revisions as `git rev-list` takes them: `origin/main..HEAD`, `HEAD`, `^old new`.
    #[arg(required = true, value_name = "REV", allow_hyphen_values = false)]
    pub revisions: Vec<String>,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Refused commits and a summary, for people.
    Text,
    /// Every commit, as one JSON document.
    Json,
    /// GitHub Actions workflow commands: an error annotation per refused
    /// commit, then the summary.
    Github,
    /// A JUnit report: a test case per commit, failed when refused.
    Junit,
}

/// One commit in the JSON output.
#[derive(Serialize)]
struct CommitJson<'a> {
    sha: &'a str,
    subject: &'a str,
    ai_assisted: bool,
    markers: &'a [Marker],
    approvals: &'a [ApprovalCheck],
    verdict: Verdict,
    reasons: &'a [Reason],
    rules: &'a [RuleCheck],
}

/// Counts over everything checked.
#[derive(Debug, Default, Serialize)]
struct Summary {
    commits: usize,
    ai_assisted: usize,
    approved: usize,
    rejected: usize,
    not_ai: usize,
}

impl Summary {
    fn add(&mut self, (verdict, ai_assisted): (Verdict, bool)) {
        self.commits += 1;
        match verdict {
            Verdict::NotAi => self.not_ai += 1,
            Verdict::Approved => self.approved += 1,
            Verdict::Rejected => self.rejected += 1,
        }
        if ai_assisted {
            self.ai_assisted += 1;
        }
    }
}

/// What the summary counts of one report.
fn counted(report: &CommitReport) -> (Verdict, bool) {
    (report.verdict, !report.markers.is_empty())
}

/// One judged commit as a worker thread hands it back: what the merge
/// scope needs, and either its finished output or (when a signed merge
/// above it could still approve it) the report itself.
struct Judged<T> {
    id: String,
    parent_ids: Vec<String>,
    merge: Option<MergeApproval>,
    done: Result<((Verdict, bool), T), Box<CommitReport>>,
}

/// Judges one commit on a worker thread; `render` makes its output.
fn judge<T>(
    gate: &Gate,
    scope: RuleScope,
    facts: CommitFacts,
    changes: &mut Changes<'_>,
    render: impl Fn(&CommitReport) -> T,
) -> Judged<T> {
    let report = gate.evaluate_in(facts, scope, changes);
    let (id, parent_ids, merge) = (report.commit.id.clone(), report.commit.parent_ids.clone(), report.merge_approval.clone());
    let done = if report.wants_approval() { Err(Box::new(report)) } else { Ok((counted(&report), render(&report))) };
    Judged { id, parent_ids, merge, done }
}

/// Finishes a judged commit in walk order: a refused one may still be
/// approved by a signed merge seen above it.
fn finish<T>(gate: &Gate, scope: &mut MergeScope, judged: Judged<T>, render: impl Fn(&CommitReport) -> T) -> ((Verdict, bool), T) {
    let facts = CommitFacts { id: judged.id, parent_ids: judged.parent_ids, ..CommitFacts::default() };
    let approving = scope.visit(&facts, judged.merge.as_ref());
    match judged.done {
        Ok(done) => done,
        Err(mut report) => {
            if !approving.is_empty() {
                gate.apply_merge_approvals(&mut report, &approving);
            }
            (counted(&report), render(&report))
        }
    }
}

fn json_of(report: &CommitReport) -> serde_json::Result<String> {
    serde_json::to_string(&CommitJson {
        sha: &report.commit.id,
        subject: report.commit.subject(),
        ai_assisted: !report.markers.is_empty(),
        markers: &report.markers,
        approvals: &report.approvals,
        verdict: report.verdict,
        reasons: &report.reasons,
        rules: &report.rules,
    })
}

fn text_of(report: &CommitReport) -> Option<String> {
    (report.verdict == Verdict::Rejected).then(|| commit_block(report))
}

/// A GitHub Actions error annotation for a refused commit: its id and
/// subject as the title, its reasons as the message.
fn github_annotation(report: &CommitReport) -> Option<String> {
    (report.verdict == Verdict::Rejected).then(|| {
        let title = format!("signoff-gate: {} {}", report.commit.short_id(), report.commit.subject());
        let lines: Vec<String> = report.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect();
        format!("::error title={}::{}\n", workflow_property(&title), workflow_data(&lines.join("\n")))
    })
}

/// A workflow command's message, escaped as GitHub's toolkit does.
fn workflow_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value, escaped as GitHub's toolkit does.
fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text as XML character data or an attribute value: the five special
/// characters escaped, characters XML cannot hold replaced.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One commit as a JUnit test case, failed when refused.
fn junit_case(report: &CommitReport) -> String {
    let name = xml(&format!("{} {}", report.commit.short_id(), report.commit.subject()));
    let kind = match report.verdict {
        Verdict::NotAi => "not-ai",
        Verdict::Approved => "approved",
        Verdict::Rejected => "refused",
    };
    let mut case = format!("  <testcase classname=\"signoff-gate.{kind}\" name=\"{name}\">");
    if report.verdict == Verdict::Rejected {
        let codes: Vec<&str> = report.reasons.iter().map(|r| r.code.as_str()).collect();
        let _ = write!(case, "<failure type=\"{}\" message=\"{}\">", xml(&codes.join(", ")), xml(&codes.join(", ")));
        case.push_str(&xml(&commit_block(report)));
        case.push_str("</failure>");
    }
    case.push_str("</testcase>\n");
    case
}

/// The JUnit document around `cases`.
fn junit_document(summary: &Summary, cases: &[String]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"signoff-gate\" tests=\"{0}\" failures=\"{1}\">\n<testsuite name=\"signoff-gate check\" tests=\"{0}\" failures=\"{1}\" errors=\"0\" skipped=\"0\">",
        summary.commits, summary.rejected
    );
    for case in cases {
        out.push_str(case);
    }
    out.push_str("</testsuite>\n</testsuites>\n");
    out
}

/// Checks every commit `git rev-list REV…` lists as if it entered a
/// protected ref, children before parents as a push is judged. Exit 0 when
/// none is refused, 1 otherwise.
pub fn run(config: Option<&Path>, args: &CheckArgs) -> Result<ExitCode, Failure> {
    let dir = args.repo.clone().unwrap_or_else(|| ".".into());
    let (_config, gate) = load_gate_for(config, Some(&dir))?;
    let mut repo = GitRepo::discover(&dir)?;
    repo.topological_revisions(true);
    let scope = gate.rule_scope(args.refname.as_deref());
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let mut write_error: Option<std::io::Error> = None;
    let mut merges = MergeScope::default();

    let mut emit = |result: std::io::Result<()>| match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(error) => {
            write_error = Some(error);
            ControlFlow::Break(())
        }
    };

    match args.format {
        Format::Json => {
            // The document starts with the first commit (or at the end), so a
            // revision that does not resolve leaves stdout empty, not half a
            // document.
            const HEAD: &str = "{\"commits\":[";
            let mut started = false;
            // Each commit is judged and encoded where it is read (a worker
            // thread for a long history); this thread only writes.
            repo.walk_revisions(
                &args.revisions,
                |facts, changes| judge(&gate, scope, facts, changes, json_of),
                |judged| {
                    let (counts, json) = finish(&gate, &mut merges, judged, json_of);
                    let separator: &[u8] = if started { b",\n" } else { b"\n" };
                    let head = if started { "" } else { HEAD };
                    started = true;
                    summary.add(counts);
                    emit(
                        json.map_err(std::io::Error::from)
                            .and_then(|json| out.write_all(head.as_bytes()).map(|()| json))
                            .and_then(|json| out.write_all(separator).map(|()| json))
                            .and_then(|json| out.write_all(json.as_bytes())),
                    )
                },
            )?;
            let tail = serde_json::to_string(&summary).map_err(|e| Failure::io("cannot encode the summary")(e.into()))?;
            let head = if started { "" } else { HEAD };
            let _ = emit(out.write_all(format!("{head}\n],\"summary\":{tail}}}\n").as_bytes()));
        }
        Format::Junit => {
            // Every commit is a test case; the suite's counts come first,
            // so the cases are kept until the walk ends.
            let mut cases = Vec::new();
            repo.walk_revisions(
                &args.revisions,
                |facts, changes| judge(&gate, scope, facts, changes, junit_case),
                |judged| {
                    let (counts, case) = finish(&gate, &mut merges, judged, junit_case);
                    summary.add(counts);
                    cases.push(case);
                    ControlFlow::Continue(())
                },
            )?;
            let _ = emit(out.write_all(junit_document(&summary, &cases).as_bytes()));
        }
        Format::Text | Format::Github => {
            let (explain, github) = (args.explain, args.format == Format::Github);
            let text_of = |report: &CommitReport| {
                if github {
                    github_annotation(report)
                } else if explain {
                    Some(explain_block(&gate, scope, report))
                } else {
                    text_of(report)
                }
            };
            repo.walk_revisions(
                &args.revisions,
                |facts, changes| judge(&gate, scope, facts, changes, text_of),
                |judged| {
                    let (counts, block) = finish(&gate, &mut merges, judged, text_of);
                    summary.add(counts);
                    match block {
                        Some(block) => emit(out.write_all(block.as_bytes())),
                        None => ControlFlow::Continue(()),
                    }
                },
            )?;
            let line = format!(
                "signoff-gate: checked {} commit{}: {} AI-assisted, {} approved, {} refused\n",
                summary.commits,
                if summary.commits == 1 { "" } else { "s" },
                summary.ai_assisted,
                summary.approved,
                summary.rejected
            );
            let _ = emit(out.write_all(line.as_bytes()));
        }
    }
    let flushed = out.flush();
    match write_error.map_or(flushed, Err) {
        Ok(()) => {}
        // A reader that stopped early (`| head`) is not a failure of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(error) => return Err(Failure::io("cannot write the report")(error)),
    }
    Ok(if summary.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_and_xml_are_escaped() {
        assert_eq!(workflow_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(workflow_property("a: b, c"), "a%3A b%2C c");
        assert_eq!(xml("<a href=\"x\">&'\u{1}\t"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}\t");
    }
}
