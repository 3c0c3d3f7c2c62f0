//! The audit log: one JSON line per decision, appended to a file (or written
//! to standard output), never rewritten.
//!
//! Each line is built whole in memory and handed to the kernel in one
//! `write` on a file opened with `O_APPEND`, under a lock: lines from
//! concurrent requests never interleave, and a crash of this process cannot
//! leave half a line. Only a crash of the machine mid-write can; then the
//! next start ends that partial line first, so every later record is still a
//! line of its own.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::AuditLog as AuditTarget;
use crate::policy::calendar::civil_from_days;
use crate::policy::decision::PushDecision;
use crate::policy::detect::Marker;
use crate::policy::gate::Gate;
use crate::policy::gate::{ApprovalCheck, CommitReport, Reason, Verdict};
use crate::policy::outcome::Mode;
use crate::policy::outcome::Ruling;
use crate::policy::outcome::{BreakGlass, Outcome};
use crate::policy::refs::RefUpdate;
use crate::service::wire::PreReceiveRequest;

/// Where audit records go.
#[derive(Debug)]
pub struct AuditLog {
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Stdout,
    File { path: PathBuf, file: Mutex<File> },
}

/// Why the audit log could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be opened for appending.
    #[error("cannot open the audit log {path} for appending")]
    Open {
        /// The audit log.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A record could not be encoded as JSON.
    #[error("cannot encode an audit record")]
    Encode {
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A record could not be written.
    #[error("cannot write to the audit log {target}")]
    Write {
        /// The file, or `stdout`.
        target: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl AuditLog {
    /// Opens the configured target: a file is created if missing (mode
    /// 0640) and always appended to.
    pub fn open(target: &AuditTarget) -> Result<AuditLog, AuditError> {
        let path = match target {
            AuditTarget::Stdout => return Ok(AuditLog { sink: Sink::Stdout }),
            AuditTarget::File(path) => path,
        };
        let open_error = |source| AuditError::Open { path: path.clone(), source };
        let mut options = OpenOptions::new();
        options.append(true).create(true).read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let mut file = options.open(path).map_err(open_error)?;
        end_partial_line(&mut file, path).map_err(open_error)?;
        Ok(AuditLog { sink: Sink::File { path: path.clone(), file: Mutex::new(file) } })
    }

    /// Appends one record as one line.
    pub fn append(&self, record: &AuditRecord<'_>) -> Result<(), AuditError> {
        self.write_line(&AuditLog::line(record)?)
    }

    /// A record as one JSON line, ending in a newline.
    pub fn line(record: &AuditRecord<'_>) -> Result<Vec<u8>, AuditError> {
        let mut line = serde_json::to_vec(record).map_err(|error| AuditError::Encode { source: error })?;
        line.push(b'\n');
        Ok(line)
    }

    /// Writes a line made by [`AuditLog::line`] in one `write`.
    pub fn write_line(&self, line: &[u8]) -> Result<(), AuditError> {
        let written = match &self.sink {
            Sink::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(line).and_then(|()| stdout.flush())
            }
            Sink::File { file, .. } => {
                let file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                (&*file).write_all(line)
            }
        };
        written.map_err(|source| AuditError::Write { target: self.target(), source })
    }

    fn target(&self) -> String {
        match &self.sink {
            Sink::Stdout => "stdout".to_owned(),
            Sink::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Ends a last line left unfinished by a machine crash, so the next record
/// starts on a line of its own.
fn end_partial_line(file: &mut File, path: &Path) -> std::io::Result<()> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(());
    }
    file.seek(SeekFrom::Start(length - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        tracing::warn!(path = %path.display(), "the audit log ends in an unfinished line (a crash mid-write?); ending it");
        file.write_all(b"\n")?;
    }
    Ok(())
}

/// One decision, as the audit log records it.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    /// When the decision was made (RFC 3339, UTC).
    pub time: String,
    /// The request id, also sent to the hook as `X-Request-Id`.
    pub request_id: &'a str,
    /// The repository as the hook named it.
    pub repository: &'a str,
    /// The pusher as the git host named them, when it did.
    pub pusher: Option<AuditPusher<'a>>,
    /// The push options, in order.
    pub push_options: &'a [String],
    /// Enforce or warn.
    pub mode: Mode,
    /// The roster and configuration generation the push was decided with.
    pub generation: u64,
    /// This process's run (see [`process_id`]): with `request_id`, unique
    /// across restarts and replicas.
    pub process: &'static str,
    /// What became of the push.
    pub outcome: Outcome,
    /// Why the gate could not decide, when it could not (the push is refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The break-glass request and what came of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<&'a BreakGlass>,
    /// Commits checked across the push.
    pub checked: usize,
    /// Commits refused across the push (before warn mode or break-glass).
    pub refused: usize,
    /// Every ref update of the push.
    pub updates: Vec<AuditUpdate>,
    /// Every checked commit.
    pub commits: Vec<AuditCommit>,
    /// How long deciding took, in milliseconds.
    pub duration_ms: f64,
}

/// What a push's audit record is made of, besides its decision.
pub struct PushFacts<'a> {
    /// The request as the hook sent it.
    pub request: &'a PreReceiveRequest,
    /// The request id.
    pub request_id: &'a str,
    /// The policy the push was decided with.
    pub gate: &'a Gate,
    /// Its generation.
    pub generation: u64,
    /// The push's ref updates, in order.
    pub updates: &'a [RefUpdate],
    /// When deciding started.
    pub started: std::time::Instant,
}

impl<'a> PushFacts<'a> {
    /// The record of a decided push, or of one that could not be decided
    /// (`error`: the push is refused).
    pub fn record(
        &self,
        decision: Option<&PushDecision>,
        ruling: Option<&'a Ruling>,
        commits: Vec<AuditCommit>,
        error: Option<String>,
    ) -> AuditRecord<'a> {
        let protected = &self.gate.policy.protected_refs;
        // The decided refs are the protected updates (by name or through a
        // symref), in push order.
        let mut decided = decision.map(|d| d.refs.iter()).into_iter().flatten().peekable();
        let updates = self
            .updates
            .iter()
            .map(|update| match decided.next_if(|r| r.update == *update) {
                Some(decided) => AuditUpdate::new(update, true, decided.problems.clone()),
                None => AuditUpdate::new(update, decision.is_none() && protected.matches(&update.refname), Vec::new()),
            })
            .collect();
        AuditRecord {
            time: now_rfc3339(),
            request_id: self.request_id,
            repository: &self.request.repository,
            pusher: self.request.pusher.as_ref().map(|p| AuditPusher { source: &p.source, name: &p.name }),
            push_options: &self.request.push_options,
            mode: self.gate.policy.mode,
            generation: self.generation,
            process: process_id(),
            outcome: ruling.map_or(Outcome::Refused, |r| r.outcome),
            error,
            break_glass: ruling.and_then(|r| r.break_glass.as_ref()),
            checked: decision.map_or(0, PushDecision::checked_count),
            refused: decision.map_or(0, PushDecision::refused_count),
            updates,
            commits,
            // Whole microseconds, so the number prints as e.g. 0.692.
            duration_ms: u32::try_from(self.started.elapsed().as_micros()).map_or(f64::MAX, f64::from) / 1000.0,
        }
    }
}

/// Who pushed, as the git host said.
#[derive(Debug, Serialize)]
pub struct AuditPusher<'a> {
    /// The environment variable the hook read, e.g. `GL_USERNAME`.
    pub source: &'a str,
    /// The login.
    pub name: &'a str,
}

/// One ref update and what the policy made of it.
#[derive(Debug, Serialize)]
pub struct AuditUpdate {
    /// The full ref name.
    #[serde(rename = "ref")]
    pub refname: String,
    /// The old object id.
    pub old: String,
    /// The new object id.
    pub new: String,
    /// Whether the ref is protected (only protected refs are checked).
    pub protected: bool,
    /// Problems with the update itself, e.g. a protected-ref deletion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Reason>,
}

impl AuditUpdate {
    /// An update, with its problems when it was checked.
    pub fn new(update: &RefUpdate, protected: bool, problems: Vec<Reason>) -> AuditUpdate {
        AuditUpdate { refname: update.refname.clone(), old: update.old.clone(), new: update.new.clone(), protected, problems }
    }
}

/// One checked commit: its evidence, approvals and verdict.
#[derive(Debug, Serialize)]
pub struct AuditCommit {
    /// The full object id.
    pub id: String,
    /// The protected ref it entered.
    #[serde(rename = "ref")]
    pub refname: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// The author date (seconds since 1970); absent when it could not be
    /// read (git's parser then says 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_time: Option<i64>,
    /// Lines added and deleted against the first parent (binary files
    /// count none), when they were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<u64>,
    /// The verdict.
    pub verdict: Verdict,
    /// The evidence of AI assistance.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    /// Every approval trailer and whether it counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<ApprovalCheck>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// The blast-radius rules that applied, and whether each was met.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<crate::policy::rules::RuleCheck>,
}

impl AuditCommit {
    /// The record of `report` for a commit entering `refname`.
    pub fn new(refname: &str, report: &CommitReport) -> AuditCommit {
        AuditCommit {
            id: report.commit.id.clone(),
            refname: refname.to_owned(),
            author: report.commit.author.to_string(),
            author_time: (report.commit.author_time != 0).then_some(report.commit.author_time),
            lines: report.lines,
            verdict: report.verdict,
            markers: report.markers.clone(),
            approvals: report.approvals.clone(),
            reasons: report.reasons.clone(),
            rules: report.rules.clone(),
        }
    }
}

/// An id for this process's run: its start time (nanoseconds since the
/// epoch, hex) and process id, fixed at first use.
pub fn process_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("{nanos:x}-{}", std::process::id())
    })
}

/// Now, as RFC 3339 in UTC with milliseconds: `2026-11-25T09:30:00.123Z`.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX / 86_400));
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rest / 3600, rest % 3600 / 60, rest % 60, since.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_times_as_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_123)), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_609_845)), "2026-11-25T12:30:45.000Z");
    }

    #[test]
    fn appends_whole_lines_and_ends_a_partial_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n{\"cut\":").expect("seed");
        let log = AuditLog::open(&AuditTarget::File(path.clone())).expect("open");
        let record = AuditRecord {
            time: now_rfc3339(),
            request_id: "r1",
            repository: "/srv/git/r.git",
            pusher: Some(AuditPusher { source: "GL_USERNAME", name: "alice" }),
            push_options: &[],
            mode: Mode::Enforce,
            generation: 1,
            process: process_id(),
            outcome: Outcome::Accepted,
            error: None,
            break_glass: None,
            checked: 0,
            refused: 0,
            updates: Vec::new(),
            commits: Vec::new(),
            duration_ms: 0.5,
        };
        log.append(&record).expect("append");
        log.append(&record).expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[1], "{\"cut\":");
        for line in &lines[2..] {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            assert_eq!(value["outcome"], "accepted");
            assert_eq!(value["pusher"]["name"], "alice");
        }
    }
}
