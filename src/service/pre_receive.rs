//! Deciding one push: ties the git edge to the policy. Synchronous; the
//! server runs it on a blocking thread.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::config::Config;
use crate::git::{GitError, GitRepo, Stop, Tip, WithinPush};
use crate::policy::decision::PushDecision;
use crate::policy::gate::{Code, CommitReport, Gate, Reason, deletion_refused, not_a_commit, replace_ref_refused, rewrite_refused};
use crate::policy::merge_scope::MergeScope;
use crate::policy::rate::SignedApproval;
use crate::policy::refs::{Change, RefUpdate, is_object_id, is_replace_ref, is_valid_refname};
use crate::policy::roster::Roster;
use crate::policy::rules::RuleScope;
use crate::service::wire::PreReceiveRequest;

/// A push, in domain terms (validated from the wire by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The repository's path as the hook gave it.
    pub repository: PathBuf,
    /// The object quarantine, when git uses one.
    pub quarantine: Option<PathBuf>,
    /// The ref updates, in push order.
    pub updates: Vec<RefUpdate>,
}

/// Turns the wire request into a domain push, or says what is wrong with it.
pub fn push_of(request: &PreReceiveRequest, max_updates: usize) -> Result<Push, String> {
    let repository = PathBuf::from(&request.repository);
    if !repository.is_absolute() {
        return Err(format!("`repository` must be an absolute path, got {:?}", request.repository));
    }
    let quarantine = match &request.quarantine {
        Some(path) if !PathBuf::from(path).is_absolute() => {
            return Err(format!("`quarantine` must be an absolute path, got {path:?}"));
        }
        Some(path) => Some(PathBuf::from(path)),
        None => None,
    };
    if request.updates.is_empty() {
        return Err("`updates` is empty: a push updates at least one ref".to_owned());
    }
    if request.updates.len() > max_updates {
        return Err(format!("{} ref updates in one push; at most {max_updates} are accepted", request.updates.len()));
    }
    let mut updates = Vec::with_capacity(request.updates.len());
    for update in &request.updates {
        for (field, id) in [("old", &update.old), ("new", &update.new)] {
            if !is_object_id(id) {
                return Err(format!("`{field}` of {:?} is not a full hex object id: {id:?}", update.refname));
            }
        }
        if !is_valid_refname(&update.refname) {
            return Err(format!("{:?} is not a valid ref name", update.refname));
        }
        updates.push(RefUpdate {
            old: update.old.to_ascii_lowercase(),
            new: update.new.to_ascii_lowercase(),
            refname: update.refname.clone(),
        });
    }
    Ok(Push { repository, quarantine, updates })
}

/// Problems named in a refused roster push; the rest are counted.
const MAX_ROSTER_PROBLEMS: usize = 5;

/// When `push` moves the ref that holds the roster kept in git
/// (`server.roster = "git:…"`) in that repository, the roster it would put
/// in force must validate, on its own and against the configuration: an
/// admin's typo is refused at the push and never reaches the running
/// roster. Adds a `roster-invalid` problem to that ref's decision.
pub fn guard_roster(config: &Config, roots: &[PathBuf], push: &Push, decision: &mut PushDecision) -> Result<(), GitError> {
    let Some(source) = &config.server.roster_git else { return Ok(()) };
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let updates: Vec<&RefUpdate> = push.updates.iter().filter(|u| u.refname == source.refname).collect();
    if updates.is_empty() || !same(&push.repository, &source.repository) {
        return Ok(());
    }
    let repo = GitRepo::open_for_push(&push.repository, push.quarantine.as_deref(), roots)?;
    for update in updates {
        let problem = if update.change() == Change::Delete {
            Some(format!("{} holds the roster the gate runs with ({source}); it cannot be deleted", update.refname))
        } else {
            let name = std::path::PathBuf::from(format!(
                "git:{}#{}:{}",
                source.repository.display(),
                crate::policy::facts::short_id(&update.new),
                source.path
            ));
            match repo.file_at(&update.new, &source.path)? {
                None => Some(format!("this push would leave no {} on {}, where the gate reads its roster", source.path, update.refname)),
                Some(bytes) => {
                    let problems = match Roster::parse(&name, &String::from_utf8_lossy(&bytes)) {
                        Ok(roster) => config.gate(roster).err().map(|problems| problems.0),
                        Err(problems) => Some(problems.0),
                    };
                    problems.map(|problems| {
                        let mut listed: Vec<String> = problems.iter().take(MAX_ROSTER_PROBLEMS).map(ToString::to_string).collect();
                        if problems.len() > MAX_ROSTER_PROBLEMS {
                            listed.push(format!("and {} more", problems.len() - MAX_ROSTER_PROBLEMS));
                        }
                        format!(
                            "the roster this push would put in force does not validate (the running roster stays): {}",
                            listed.join("; ")
                        )
                    })
                }
            }
        };
        if let Some(message) = problem {
            let index = match decision.refs.iter().position(|r| r.update == *update) {
                Some(index) => index,
                None => decision.begin_ref(update.clone()),
            };
            decision.refs[index].problems.push(Reason { code: Code::RosterInvalid, message });
        }
    }
    Ok(())
}

/// Decides a push: opens the repository (confined to `roots`, which must be
/// canonical), checks every protected ref update, and returns the decision.
pub fn decide(gate: &Gate, roots: &[PathBuf], push: &Push) -> Result<PushDecision, GitError> {
    decide_observed(gate, roots, push, |_, _| {})
}

/// [`decide`], showing each commit's full report to `observe` (with the
/// ref it enters) before the decision keeps only what the answer needs.
pub fn decide_observed(
    gate: &Gate,
    roots: &[PathBuf],
    push: &Push,
    observe: impl FnMut(&str, &CommitReport),
) -> Result<PushDecision, GitError> {
    decide_until(gate, roots, push, &Stop::never(), false, observe)
}

/// [`decide_observed`], giving up with [`GitError::Stopped`] when `stop`
/// says so (the deadline passed, the client went away): the walk and the
/// judging end soon after, and no change id is computed past it, so the
/// permit the work holds comes back soon. With `lines`, every commit's
/// report carries its changed lines (for the audit log).
pub fn decide_until(
    gate: &Gate,
    roots: &[PathBuf],
    push: &Push,
    stop: &Stop,
    lines: bool,
    mut observe: impl FnMut(&str, &CommitReport),
) -> Result<PushDecision, GitError> {
    let repo = GitRepo::open_for_push(&push.repository, push.quarantine.as_deref(), roots)?;
    let protected = &gate.policy.protected_refs;
    let mut decision = PushDecision::default();
    let protection = repo.protection(protected)?;
    let notes = repo.notes_trees(&push.updates);
    // An update is protected by its name, or through a symbolic ref.
    let updates: Vec<(&RefUpdate, bool)> = push.updates.iter().map(|u| (u, repo.moves_protected(&protection, &u.refname))).collect();
    // A commit entering several protected refs in one push is judged once
    // for each set of rules that covers them: each walk also hides the tips
    // walked before it under the same rules or more, and one walk yields
    // each commit once, so a push with one protected update (nearly all of
    // them) keeps no set of ids.
    let several = updates.iter().filter(|(_, protected)| *protected).count() > 1;
    let mut seen: HashSet<(String, RuleScope)> = HashSet::new();
    // Each walked tip, with the rules its commits were judged under.
    let mut walked: Vec<(String, RuleScope)> = Vec::new();
    let covers = |judged: RuleScope, needed: RuleScope| judged.covers(needed);
    // The rules of every name an update of `refname` moves (a symref and
    // what it leads to, and the protected symrefs that lead there).
    let scope_of = |refname: &str| {
        repo.moved_names(&protection, refname).iter().fold(RuleScope(0), |scope, name| scope.with(gate.rule_scope(Some(name))))
    };
    // Without a rule on some refs only, every name has every rule: no
    // symref need be followed for them.
    let scoped_rules = gate.policy.rules.iter().any(|rule| rule.refs.is_some());
    let mut tips: std::collections::HashMap<String, Tip> = std::collections::HashMap::new();
    // The push's signed approvals, for the review rate.
    let mut signed: Vec<SignedApproval> = Vec::new();
    let now = crate::git::unix_now();
    for (update, is_protected) in updates {
        // A replace ref changes what every branch shows (git log, git show,
        // git archive), without a commit entering any of them.
        if is_replace_ref(&update.refname) && update.change() != Change::Delete && !gate.policy.allow_replace_refs {
            let index = decision.begin_ref(update.clone());
            decision.refs[index].problems.push(replace_ref_refused(&update.refname));
            continue;
        }
        if !is_protected {
            continue;
        }
        let index = decision.begin_ref(update.clone());
        if update.change() == Change::Delete {
            decision.refs[index].problems.push(deletion_refused(&update.refname));
            continue;
        }
        // Many updates of one push often name one tip: read it once.
        let tip = match tips.get(&update.new) {
            Some(tip) => tip.clone(),
            None => {
                let tip = repo.tip(&update.new)?;
                tips.insert(update.new.clone(), tip.clone());
                tip
            }
        };
        let scope = if scoped_rules { scope_of(&update.refname) } else { gate.rule_scope(Some(&update.refname)) };
        match tip {
            Tip::NotACommit(kind) => {
                decision.refs[index].problems.push(not_a_commit(&update.refname, &update.new, kind));
            }
            Tip::Commit(commit) if walked.iter().any(|(tip, judged)| *tip == commit && covers(*judged, scope)) => {
                // Judged already, with all its history, for an earlier update.
                decision.refs[index].tip_commit = Some(commit);
            }
            Tip::Commit(commit) => {
                decision.refs[index].tip_commit = Some(commit.clone());
                let hide: Vec<String> = walked.iter().filter(|(_, judged)| covers(*judged, scope)).map(|(tip, _)| tip.clone()).collect();
                let mut merges = MergeScope::default();
                repo.walk_entering_with(
                    update,
                    &commit,
                    &WithinPush { protection: &protection, walked: &hide, stop, notes: &notes },
                    // Workers judge nothing more once the walk must stop.
                    |facts, changes| {
                        (!stop.now()).then(|| {
                            let mut report = gate.evaluate_in(facts, scope, changes);
                            if lines && report.lines.is_none() && report.commit.judgeable() {
                                report.lines = crate::policy::rules::ChangeSource::changed_lines(changes, &report.commit);
                            }
                            report
                        })
                    },
                    |report| {
                        let Some(mut report) = report else { return };
                        let approving = merges.visit(&report.commit, report.merge_approval.as_ref());
                        if !approving.is_empty() && report.wants_approval() {
                            gate.apply_merge_approvals(&mut report, &approving);
                        }
                        if !several || seen.insert((report.commit.id.clone(), scope)) {
                            if gate.policy.review_rate.is_some() {
                                signed.extend(signed_approvals(&report, Some(index)));
                            }
                            observe(&update.refname, &report);
                            decision.record(index, report);
                        }
                    },
                )?;
                walked.push((commit, scope));
            }
        }
        // Protected history only moves forward. Asked after the walk, which
        // reads every commit the push brings within what the gate reads:
        // libgit2, which answers this, reads each commit whole.
        if update.change() == Change::Update && !gate.rewrite_allowed(&update.refname) {
            if let Some(dropped) = repo.dropped_commits(&update.old, &update.new, stop)?.filter(|&n| n > 0) {
                decision.refs[index].problems.insert(0, rewrite_refused(&update.refname, &update.old, dropped));
            }
        }
    }
    if let Some(rate) = &gate.policy.review_rate
        && !signed.is_empty()
    {
        // With the approvals already on protected refs from one window
        // before the earliest of the push's (held approvals are weighed
        // when they were signed, not when they are pushed).
        let since = crate::policy::rate::since(rate, now, &signed).saturating_sub(crate::policy::gate::MAX_CLOCK_SKEW);
        // Only commits that can carry an approval are judged (signatures,
        // diffs); the rest are passed over.
        let key = gate.policy.approval_trailer.to_ascii_lowercase();
        let judge = |facts: crate::policy::facts::CommitFacts, changes: &mut crate::git::Changes<'_>| {
            let may_approve = facts.signature.is_some() || facts.message.to_ascii_lowercase().contains(&key);
            may_approve.then(|| gate.evaluate_in(facts, RuleScope(0), changes))
        };
        let recent = crate::git::Recent { since, at_least: RECENT_AT_LEAST, limit: RECENT_LIMIT };
        repo.walk_recent(&protection, recent, stop, judge, |report| {
            if let Some(report) = report {
                signed.extend(signed_approvals(&report, None).into_iter().filter(|a| a.signed_at >= since));
            }
        })?;
        for found in crate::policy::rate::exceeded(rate, now, &signed) {
            for &index in &found.refs {
                if let Some(entry) = decision.refs.get_mut(index) {
                    entry.problems.push(crate::policy::rate::reason(&found, rate));
                }
            }
        }
    }
    Ok(decision)
}

/// The most commits on protected refs read for their approvals (the
/// review rate's window); a busier window counts only its newest ones.
const RECENT_LIMIT: usize = 10_000;

/// The commits on protected refs always read for their approvals, whatever
/// their committer dates (which the pusher sets).
const RECENT_AT_LEAST: usize = 1_000;

/// The valid signed approvals in `report` as the review rate counts them:
/// its own approvals (the commit's lines, at their signing time; with the
/// rate on, a valid signed approval has one) and, for a signed merge, the
/// approval it gives (all it brings in, at its committer date). Approvals a
/// merge gives other commits count once, with the merge.
fn signed_approvals(report: &CommitReport, pushed: Option<usize>) -> Vec<SignedApproval> {
    let lines = report.lines.unwrap_or(0);
    let mut found: Vec<SignedApproval> = report
        .approvals
        .iter()
        .filter(|a| a.valid && a.signed && !a.from_merge)
        .filter_map(|a| {
            Some(SignedApproval { email: a.engineer.clone()?, name: a.approver.clone()?, signed_at: a.signed_at?, lines, pushed })
        })
        .collect();
    if let Some(merge) = report.merge_approval.as_ref().filter(|m| m.time_problem.is_none()) {
        found.push(SignedApproval { email: merge.email.clone(), name: merge.approver.clone(), signed_at: merge.signed_at, lines, pushed });
    }
    found
}
