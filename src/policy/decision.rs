//! The decision for a whole push: every ref update's problems and commits,
//! gathered with bounded memory, all or nothing as git's pre-receive is.

use crate::policy::gate::{Code, CommitReport, Reason, Verdict};
use crate::policy::refs::RefUpdate;

/// How many refused commits a refusal lists; the rest are counted.
pub const MAX_LISTED: usize = 20;
/// How many approved commits an acceptance names.
pub const MAX_APPROVED_NAMED: usize = 3;

/// What the gate decided for a whole push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushDecision {
    /// One entry per protected ref update, in push order (unprotected
    /// updates are not checked and not listed).
    pub refs: Vec<RefDecision>,
    listed: usize,
    approved_named: usize,
}

/// What the gate decided for one protected ref update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefDecision {
    /// The update as pushed.
    pub update: RefUpdate,
    /// The commit the ref would point at (tags peeled), when it is one.
    pub tip_commit: Option<String>,
    /// Problems with the update itself.
    pub problems: Vec<Reason>,
    /// How many commits entering the ref were checked.
    pub checked: usize,
    /// How many of them are AI-assisted.
    pub ai_assisted: usize,
    /// The refused commits that are listed (at most [`MAX_LISTED`] per push).
    pub refused: Vec<CommitReport>,
    /// How many commits were refused, listed or not.
    pub refused_count: usize,
    /// How many of those cannot be judged at all (malformed headers, an
    /// unreadable encoding): no sign-off lets them in.
    pub unjudgeable_count: usize,
    /// How many of those do not declare whether AI was used (declaration
    /// mode): declaring, not a sign-off, lets them in.
    pub undeclared_count: usize,
    /// How many of those a blast-radius rule refuses (whatever else).
    pub rule_refused_count: usize,
    /// The rules that refuse them, each once, in the order first met.
    pub unmet_rules: Vec<String>,
    /// The oldest refused commit (last in topological order) and its first
    /// parent: where a rebase that fixes them all starts.
    pub oldest_refused: Option<(String, Option<String>)>,
    /// Whether any checked commit is a merge (a rebase must keep merges).
    pub has_merges: bool,
    /// Approved AI-assisted commits named in an acceptance: short id and
    /// approver names.
    pub approved: Vec<(String, Vec<String>)>,
    /// How many AI-assisted commits were approved.
    pub approved_count: usize,
}

impl PushDecision {
    /// Starts the decision for a protected ref update; returns its index.
    pub fn begin_ref(&mut self, update: RefUpdate) -> usize {
        self.refs.push(RefDecision {
            update,
            tip_commit: None,
            problems: Vec::new(),
            checked: 0,
            ai_assisted: 0,
            refused: Vec::new(),
            refused_count: 0,
            unjudgeable_count: 0,
            undeclared_count: 0,
            rule_refused_count: 0,
            unmet_rules: Vec::new(),
            oldest_refused: None,
            has_merges: false,
            approved: Vec::new(),
            approved_count: 0,
        });
        self.refs.len() - 1
    }

    /// Records one commit's report for ref `index`, keeping only what the
    /// answer needs.
    pub fn record(&mut self, index: usize, report: CommitReport) {
        let Some(decision) = self.refs.get_mut(index) else {
            return;
        };
        decision.checked += 1;
        decision.has_merges |= report.commit.is_merge();
        if !report.markers.is_empty() {
            decision.ai_assisted += 1;
        }
        match report.verdict {
            Verdict::NotAi => {}
            Verdict::Approved => {
                decision.approved_count += 1;
                if self.approved_named < MAX_APPROVED_NAMED {
                    self.approved_named += 1;
                    let approvers = report.approvals.iter().filter(|a| a.valid).filter_map(|a| a.approver.clone()).collect();
                    decision.approved.push((report.commit.short_id().to_owned(), approvers));
                }
            }
            Verdict::Rejected => {
                decision.refused_count += 1;
                if !report.commit.judgeable() {
                    decision.unjudgeable_count += 1;
                } else if report.reasons.iter().any(|reason| reason.code == Code::Undeclared) {
                    decision.undeclared_count += 1;
                }
                if report.reasons.iter().any(|reason| reason.code == Code::RuleUnmet) {
                    decision.rule_refused_count += 1;
                    for check in report.rules.iter().filter(|check| !check.satisfied) {
                        if !decision.unmet_rules.contains(&check.name) {
                            decision.unmet_rules.push(check.name.clone());
                        }
                    }
                }
                decision.oldest_refused = Some((report.commit.id.clone(), report.commit.parent_ids.first().cloned()));
                if self.listed < MAX_LISTED {
                    self.listed += 1;
                    decision.refused.push(report);
                }
            }
        }
    }

    /// Whether the whole push may go ahead.
    pub fn accepted(&self) -> bool {
        self.refs.iter().all(RefDecision::accepted)
    }

    /// How many commits were refused across the push.
    pub fn refused_count(&self) -> usize {
        self.refs.iter().map(|r| r.refused_count).sum()
    }

    /// How many refused commits cannot be judged at all, across the push.
    pub fn unjudgeable_count(&self) -> usize {
        self.refs.iter().map(|r| r.unjudgeable_count).sum()
    }

    /// How many refused commits do not declare AI use, across the push.
    pub fn undeclared_count(&self) -> usize {
        self.refs.iter().map(|r| r.undeclared_count).sum()
    }

    /// How many refused commits a blast-radius rule refuses, across the push.
    pub fn rule_refused_count(&self) -> usize {
        self.refs.iter().map(|r| r.rule_refused_count).sum()
    }

    /// How many commits were checked across the push.
    pub fn checked_count(&self) -> usize {
        self.refs.iter().map(|r| r.checked).sum()
    }
}

impl RefDecision {
    /// Whether this update may go ahead.
    pub fn accepted(&self) -> bool {
        self.problems.is_empty() && self.refused_count == 0
    }

    /// How many refused commits a sign-off would let in.
    pub fn needs_signoff_count(&self) -> usize {
        self.refused_count - self.unjudgeable_count - self.undeclared_count
    }
}
