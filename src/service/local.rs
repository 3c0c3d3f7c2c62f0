//! Deciding a push in the hook's own process (`signoff-gate hook` in local
//! mode): for hosts where no service can read the push (GitHub Enterprise
//! Server runs pre-receive hooks in a chroot, and a push's objects are
//! private to it), and for installs that want no daemon. The same steps as
//! the server's handler, in the same order and with the same code: validate
//! the request, decide it within a time budget, rule on it, record it in the
//! audit log (when one is set) before answering, and word the answer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::LoadError;
use crate::git::load_gate;
use crate::git::{GitError, Stop, canonical_roots};
use crate::policy::outcome;
use crate::policy::render::{Wording, outcome_text};
use crate::service::audit::{AuditCommit, AuditError, AuditLog, PushFacts};
use crate::service::pre_receive::{decide_until, guard_roster, push_of};
use crate::service::wire::PreReceiveRequest;

/// What the pusher is told, and whether the push may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAnswer {
    /// Whether git may go ahead.
    pub accepted: bool,
    /// The text for the pusher.
    pub text: String,
}

/// Why the push could not be decided here (it is refused).
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The configuration or roster could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The hook's input is not a push.
    #[error("{0}")]
    Request(String),
    /// The repository could not be read.
    #[error(transparent)]
    Git(GitError),
    /// The push took longer than its budget.
    #[error("the push could not be decided within {0:.1} s")]
    Deadline(f64),
    /// The decision could not be recorded.
    #[error("the decision could not be recorded in the audit log")]
    Audit(#[source] AuditError),
}

/// Decides `request` with the policy at `config`, within `budget` (and the
/// configuration's own `deadline_seconds`, whichever is shorter). With no
/// `repo_roots` configured, the repository the hook runs in is the only
/// root: nothing outside it (its quarantine, its alternates) is read.
pub fn decide(config: &Path, request: &PreReceiveRequest, budget: Duration) -> Result<LocalAnswer, LocalError> {
    let started = Instant::now();
    let (config, gate) = load_gate(config)?;
    let push = push_of(request, config.server.limits.max_updates).map_err(LocalError::Request)?;
    let roots = if config.server.repo_roots.is_empty() {
        canonical_roots(std::slice::from_ref(&push.repository))
    } else {
        canonical_roots(&config.server.repo_roots)
    };
    let budget = budget.min(config.server.limits.deadline);
    let stop = Stop::at(started + budget, std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let audit = config.server.audit_log.as_ref().map(AuditLog::open).transpose().map_err(LocalError::Audit)?;
    let mut commits = Vec::new();
    let decided = decide_until(&gate, &roots, &push, &stop, audit.is_some(), |refname, report| {
        if audit.is_some() {
            commits.push(AuditCommit::new(refname, report));
        }
    })
    .and_then(|mut decision| guard_roster(&config, &roots, &push, &mut decision).map(|()| decision));
    let request_id = format!("local-{}-{}", std::process::id(), crate::service::audit::now_rfc3339());
    let facts = PushFacts { request, request_id: &request_id, gate: &gate, generation: 0, updates: &push.updates, started };
    let decision = match decided {
        Ok(decision) => decision,
        Err(error) => {
            let error = match error {
                GitError::Stopped => LocalError::Deadline(budget.as_secs_f64()),
                other => LocalError::Git(other),
            };
            if let Some(audit) = &audit {
                let line = AuditLog::line(&facts.record(None, None, Vec::new(), Some(crate::error_chain(&error))));
                line.and_then(|line| audit.write_line(&line)).map_err(LocalError::Audit)?;
            }
            return Err(error);
        }
    };
    let pusher = request.pusher.as_ref().map(|p| p.name.as_str());
    let ruling = outcome::rule(&decision, gate.policy.mode, &request.push_options, pusher, &gate.roster);
    if let Some(audit) = &audit {
        let line = AuditLog::line(&facts.record(Some(&decision), Some(&ruling), commits, None));
        line.and_then(|line| audit.write_line(&line)).map_err(LocalError::Audit)?;
    }
    Ok(LocalAnswer { accepted: ruling.outcome.accepted(), text: outcome_text(&decision, &ruling, &Wording::new(&gate)) })
}

/// The configuration a local-mode hook reads, as configured (a relative
/// path is taken from the repository).
pub fn config_path(configured: Option<String>, repository: &Path) -> Option<PathBuf> {
    let path = configured.filter(|v| !v.trim().is_empty())?;
    let path = PathBuf::from(path.trim());
    Some(if path.is_absolute() { path } else { repository.join(path) })
}
