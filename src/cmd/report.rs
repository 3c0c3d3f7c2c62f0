//! `signoff-gate report`: the accountability report (`policy::report`)
//! over the audit log, or over a history walked and judged as `check`
//! judges it. This file reads and walks; counting and rendering are pure.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use crate::cmd::{Failure, find_config, load_gate_for};
use crate::config::{AuditLog, Config};
use crate::git::{Changes, GitRepo};
use crate::policy::facts::CommitFacts;
use crate::policy::gate::{CommitReport, Gate, MergeApproval};
use crate::policy::merge_scope::MergeScope;
use crate::policy::report::input::{Commit, Record, Text, parse_record};
use crate::policy::report::{Report, Source, Tally, html, text};
use crate::policy::rules::{ChangeSource, RuleScope};
use crate::service::audit::AuditCommit;

/// Malformed lines named one by one on stderr; the rest are counted.
const NAMED_MALFORMED_LINES: u64 = 20;

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The audit log to read [default: the configuration's `server.audit_log`]
    #[arg(long, value_name = "FILE", conflicts_with = "repo")]
    pub audit_log: Option<PathBuf>,
    /// Report on a history instead: the repository (or a folder inside it) whose RANGE to walk.
    #[arg(long, value_name = "DIR", requires = "revisions")]
    pub repo: Option<PathBuf>,
    /// With --repo: the protected ref the commits would enter, for rules that cover only some refs.
    #[arg(long = "ref", value_name = "REF", requires = "repo")]
    pub refname: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// With --repo: revisions as `git rev-list` takes them, e.g. `origin/main~200..origin/main`.
    #[arg(value_name = "RANGE", requires = "repo", allow_hyphen_values = false)]
    pub revisions: Vec<String>,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Short aligned tables.
    Text,
    /// One JSON document with every number.
    Json,
    /// One self-contained HTML page with charts.
    Html,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Nothing to read: no `--audit-log`, no `--repo`, no configuration.
    #[error(
        "no audit log to report on: name one with --audit-log FILE, or report on a history with --repo DIR RANGE \
         (no configuration was found either; looked in {looked})"
    )]
    NoInput {
        /// Where a configuration was looked for.
        looked: String,
    },
    /// The configuration sets no audit log.
    #[error(
        "{config} sets no `server.audit_log`, so there is no audit log to report on: name one with --audit-log FILE, \
         or report on a history with --repo DIR RANGE"
    )]
    NoAuditLog {
        /// The configuration file.
        config: PathBuf,
    },
    /// The configured audit log is standard output.
    #[error(
        "{config}: `server.audit_log` is \"stdout\", which report cannot read back; name the file it was saved to with --audit-log FILE"
    )]
    AuditLogIsStdout {
        /// The configuration file.
        config: PathBuf,
    },
    /// The audit log could not be read.
    #[error("cannot read the audit log {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The report could not be encoded as JSON.
    #[error("cannot encode the report as JSON")]
    Encode(#[source] serde_json::Error),
    /// The report could not be written.
    #[error("cannot write the report")]
    Write(#[source] std::io::Error),
}

/// Makes the report and prints it on stdout. Exit 0; malformed input
/// lines are named on stderr, counted in the report, and skipped.
pub fn run(config: Option<&Path>, args: &ReportArgs) -> Result<ExitCode, Failure> {
    let report = match &args.repo {
        Some(dir) => over_history(config, dir, args)?,
        None => {
            let path = match &args.audit_log {
                Some(path) => path.clone(),
                None => configured_audit_log(config)?,
            };
            over_audit_log(&path)?
        }
    };
    let rendered = match args.format {
        ReportFormat::Text => text::render(&report),
        ReportFormat::Html => html::render(&report),
        ReportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report).map_err(ReportError::Encode)?;
            json.push('\n');
            json
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match out.write_all(rendered.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        // A reader that stopped early (`| head`) is not a failure of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(error) => return Err(ReportError::Write(error).into()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The audit log the configuration (found as `check` finds it, from the
/// current folder) names.
fn configured_audit_log(config: Option<&Path>) -> Result<PathBuf, Failure> {
    let path = match find_config(config, Some(Path::new("."))) {
        Ok(path) => path,
        Err(Failure::NoConfig { looked }) => return Err(ReportError::NoInput { looked }.into()),
        Err(other) => return Err(other),
    };
    let loaded = Config::load(&path)?;
    match loaded.server.audit_log {
        Some(AuditLog::File(file)) => Ok(file),
        Some(AuditLog::Stdout) => Err(ReportError::AuditLogIsStdout { config: path }.into()),
        None => Err(ReportError::NoAuditLog { config: path }.into()),
    }
}

/// Reads the audit log line by line into one buffer (no allocation per
/// line beyond what escaped strings need), skipping what does not read.
pub fn over_audit_log(path: &Path) -> Result<Report, ReportError> {
    let read_error = |source| ReportError::Read { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut tally = Tally::default();
    let (mut line, mut number, mut malformed) = (Vec::with_capacity(64 * 1024), 0u64, 0u64);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read_error)? == 0 {
            break;
        }
        number += 1;
        let finished = line.last() == Some(&b'\n');
        let content = line.trim_ascii();
        if content.is_empty() {
            continue;
        }
        match parse_record(content) {
            Ok(record) => tally.add(&record),
            Err(error) => {
                malformed += 1;
                if !finished {
                    tracing::warn!(path = %path.display(), line = number, "the last line is unfinished (still being written?); skipped");
                } else if malformed <= NAMED_MALFORMED_LINES {
                    tracing::warn!(path = %path.display(), line = number, %error, "malformed line; skipped");
                }
            }
        }
    }
    if malformed > NAMED_MALFORMED_LINES {
        tracing::warn!(path = %path.display(), malformed, "malformed lines skipped in all (the first {NAMED_MALFORMED_LINES} named above)");
    }
    Ok(tally.finish(Source::AuditLog { path: path.display().to_string() }, malformed))
}

/// A walked commit as a worker thread hands it back: what the merge scope
/// needs, its line count, and either its audit JSON or (when a signed merge
/// above it could still approve it) the report itself.
struct Walked {
    id: String,
    parent_ids: Vec<String>,
    merge: Option<MergeApproval>,
    lines: Option<u64>,
    done: Result<Vec<u8>, Box<CommitReport>>,
}

/// A commit's report as its audit-log entry would record it, as JSON: the
/// report reads a history through the same model as the log.
fn audit_json(refname: &str, report: &CommitReport) -> Vec<u8> {
    serde_json::to_vec(&AuditCommit::new(refname, report)).unwrap_or_else(|error| {
        tracing::warn!(commit = %report.commit.id, %error, "cannot encode a commit for the report");
        b"{}".to_vec()
    })
}

fn walk_one(gate: &Gate, scope: RuleScope, refname: &str, facts: CommitFacts, changes: &mut Changes<'_>) -> Walked {
    let report = gate.evaluate_in(facts, scope, changes);
    // Every commit's lines count towards its week's share, so the walk
    // reads them where the gate did not already need them.
    let lines = report.lines.or_else(|| changes.changed_lines(&report.commit));
    let (id, parent_ids, merge) = (report.commit.id.clone(), report.commit.parent_ids.clone(), report.merge_approval.clone());
    let done = if report.wants_approval() { Err(Box::new(report)) } else { Ok(audit_json(refname, &report)) };
    Walked { id, parent_ids, merge, lines, done }
}

/// Walks `RANGE…` exactly as `check` does (children first, signed merges
/// applied to what they bring in) and counts each commit as a record of
/// its own, without a decision time.
fn over_history(config: Option<&Path>, dir: &Path, args: &ReportArgs) -> Result<Report, Failure> {
    let (_config, gate) = load_gate_for(config, Some(dir))?;
    let mut repo = GitRepo::discover(dir)?;
    repo.topological_revisions(true);
    let scope = gate.rule_scope(args.refname.as_deref());
    let refname = args.refname.clone().unwrap_or_default();
    let name = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()).display().to_string();
    let mut merges = MergeScope::default();
    let mut tally = Tally::default();
    let mut malformed = 0u64;
    repo.walk_revisions(
        &args.revisions,
        |facts, changes| walk_one(&gate, scope, &refname, facts, changes),
        |walked| {
            let facts = CommitFacts { id: walked.id, parent_ids: walked.parent_ids, ..CommitFacts::default() };
            let approving = merges.visit(&facts, walked.merge.as_ref());
            let json = match walked.done {
                Ok(json) => json,
                Err(mut report) => {
                    if !approving.is_empty() {
                        gate.apply_merge_approvals(&mut report, &approving);
                    }
                    audit_json(&refname, &report)
                }
            };
            match serde_json::from_slice::<Commit<'_>>(&json) {
                Ok(mut commit) => {
                    commit.lines = commit.lines.or(walked.lines);
                    let record = Record { repository: Some(Text::from(name.as_str())), commits: vec![commit], ..Record::default() };
                    tally.add(&record);
                }
                Err(error) => {
                    malformed += 1;
                    tracing::warn!(commit = %facts.id, %error, "cannot read a commit's record; skipped");
                }
            }
            ControlFlow::Continue(())
        },
    )?;
    let source = Source::History { repository: name.clone(), revisions: args.revisions.clone() };
    Ok(tally.finish(source, malformed))
}
