//! The policy: is a commit AI-assisted, are its approvals valid, may it enter
//! a protected ref. Plain functions over plain data: no git, no HTTP, no I/O.
//!
//! A refused commit is a result ([`Verdict::Rejected`] with [`Reason`]s),
//! not an error.

use serde::Serialize;

use crate::policy::approval::{self, SignatureProblem};
use crate::policy::detect::{Detector, Marker};
use crate::policy::facts::CommitFacts;
use crate::policy::identity::{self, Identity};
use crate::policy::outcome::Mode;
use crate::policy::rate::ReviewRate;
use crate::policy::refs::ProtectedRefs;
use crate::policy::refs::RefUpdate;
use crate::policy::roster::{Engineer, Roster};
use crate::policy::rules::{self, ChangeSource, Rule, RuleCheck, RuleScope};
use crate::policy::trailers;

/// The `[policy]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Refs whose incoming commits are checked.
    pub protected_refs: ProtectedRefs,
    /// The trailer key that carries an approval, e.g. `Approved-by`.
    pub approval_trailer: String,
    /// The lowest roster level that may approve.
    pub min_approver_level: String,
    /// Where `min_approver_level` was written, to report it if the roster
    /// does not declare that level.
    pub min_approver_level_at: (usize, usize),
    /// How many distinct valid approvers an AI-assisted commit needs.
    pub required_approvals: usize,
    /// A line of advice shown at the end of every refusal.
    pub help: String,
    /// Enforce refusals, or only warn.
    pub mode: Mode,
    /// How an approval is proven: signed (the default) or a plain trailer.
    pub approvals: ApprovalMode,
    /// Whether pushes may create or move replace refs (`refs/replace/*`).
    pub allow_replace_refs: bool,
    /// Whether every new commit must declare AI use either way (a marker,
    /// or a disclosure trailer such as `AI-Assisted: no`).
    pub require_declaration: bool,
    /// Domains whose addresses take a `+tag` (`*`: every domain), lowercase:
    /// `sam+ai@corp.example` is then Sam when deciding who is an author.
    pub plus_addressing: Vec<String>,
    /// Blast-radius rules, in configuration order (at most
    /// [`rules::MAX_RULES`]).
    pub rules: Vec<Rule>,
    /// The protected refs whose history a push may rewrite (a
    /// non-fast-forward update); none unless configured.
    pub allow_rewrite: Option<ProtectedRefs>,
    /// The review-rate rule (`max_review_rate`, `review_window`); off
    /// unless configured.
    pub review_rate: Option<ReviewRate>,
    /// How old a signed approval may be, in seconds (`max_approval_age`);
    /// any age unless configured.
    pub max_approval_age: Option<i64>,
}

/// How far in the future a signing time may be (the signer's clock may run
/// ahead of the gate's), in seconds.
pub const MAX_CLOCK_SKEW: i64 = 300;

/// How approvals are proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalMode {
    /// Each approval carries the approver's SSH signature over the change,
    /// made with a key the roster lists for them.
    Signed,
    /// A plain `Approved-by:` trailer counts. Anyone can type one: this
    /// stops honest mistakes, not a pusher who forges an approval.
    Trailer,
}

impl ApprovalMode {
    /// The name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Signed => "signed",
            ApprovalMode::Trailer => "trailer",
        }
    }
}

/// A stable code for each kind of finding; shown to pushers and in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// An AI-assisted commit has fewer valid approvals than required.
    AiUnapproved,
    /// The approver's email is not on the roster.
    ApproverUnknown,
    /// The approver is on the roster but not active.
    ApproverInactive,
    /// The approver's level is below `min_approver_level`.
    ApproverLevelTooLow,
    /// The approver is an author or human co-author of the commit.
    SelfApproval,
    /// The approval trailer holds no `Name <email>` or email.
    MalformedApproval,
    /// An approval without a signature, where signatures are required.
    ApprovalUnsigned,
    /// An approval signature that cannot be read or does not verify.
    ApprovalSignatureInvalid,
    /// A valid signature by the approver's key, but for a different change.
    ApprovalStale,
    /// An approval signed with a key that is on no one's roster entry.
    ApprovalKeyUnknown,
    /// An approval signed with a key the roster lists for someone else.
    ApprovalKeyMismatch,
    /// An approval whose signing time is in the future.
    ApprovalFuture,
    /// An approval signed longer ago than `max_approval_age`.
    ApprovalExpired,
    /// An approval without a signing time (format v1) where the review
    /// rate needs one.
    ApprovalUndated,
    /// An approver signed off more changed lines than `max_review_rate`
    /// allows in the time.
    ReviewRateExceeded,
    /// A push deletes a protected ref.
    ProtectedRefDeletion,
    /// A protected ref would point at something that is not a commit.
    NotACommit,
    /// The commit declares a message encoding the gate cannot read.
    UnreadableMessage,
    /// The commit's identity headers are malformed or ambiguous.
    MalformedCommit,
    /// A push creates or moves a replace ref (`refs/replace/*`).
    ReplaceRef,
    /// The commit's author or committer holds an invisible character.
    InvisibleCharacters,
    /// In declaration mode, the commit neither carries a marker nor
    /// declares whether AI was used.
    Undeclared,
    /// A blast-radius rule applies and its approvals are missing.
    RuleUnmet,
    /// A push rewrites a protected ref's history (not a fast-forward).
    ProtectedRefRewrite,
    /// A push to the ref that holds the roster would put an invalid one in force.
    RosterInvalid,
}

impl Code {
    /// The kebab-case code, e.g. `self-approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::AiUnapproved => "ai-unapproved",
            Code::ApproverUnknown => "approver-unknown",
            Code::ApproverInactive => "approver-inactive",
            Code::ApproverLevelTooLow => "approver-level-too-low",
            Code::SelfApproval => "self-approval",
            Code::MalformedApproval => "malformed-approval",
            Code::ApprovalUnsigned => "approval-unsigned",
            Code::ApprovalSignatureInvalid => "approval-signature-invalid",
            Code::ApprovalStale => "approval-stale",
            Code::ApprovalKeyUnknown => "approval-key-unknown",
            Code::ApprovalKeyMismatch => "approval-key-mismatch",
            Code::ApprovalFuture => "approval-future",
            Code::ApprovalExpired => "approval-expired",
            Code::ApprovalUndated => "approval-undated",
            Code::ReviewRateExceeded => "review-rate-exceeded",
            Code::ProtectedRefDeletion => "protected-ref-deletion",
            Code::NotACommit => "not-a-commit",
            Code::UnreadableMessage => "unreadable-message",
            Code::MalformedCommit => "malformed-commit",
            Code::ReplaceRef => "replace-ref",
            Code::InvisibleCharacters => "invisible-characters",
            Code::Undeclared => "undeclared",
            Code::RuleUnmet => "rule-unmet",
            Code::ProtectedRefRewrite => "protected-ref-rewrite",
            Code::RosterInvalid => "roster-invalid",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why something is refused: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The stable code.
    pub code: Code,
    /// What is wrong, specifically.
    pub message: String,
}

/// The outcome for one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No AI marker: nothing to approve.
    NotAi,
    /// AI-assisted and validly approved.
    Approved,
    /// AI-assisted without enough valid approvals.
    Rejected,
}

/// One approval (a trailer, or a signed merge that brings the commit in)
/// and what the policy made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalCheck {
    /// The trailer as written, e.g. `Approved-by: Alice <alice@example.com>`
    /// (without its signature), or `signed merge <id>`.
    pub trailer: String,
    /// The email it names, when it names one.
    pub email: Option<String>,
    /// The roster engineer the email belongs to.
    pub approver: Option<String>,
    /// Whether it counts towards the required approvals.
    pub valid: bool,
    /// Why it does not count, when it does not.
    pub code: Option<Code>,
    /// Whether it carried a signature.
    pub signed: bool,
    /// Why it does not count, in words.
    #[serde(skip)]
    pub message: Option<String>,
    /// The approving engineer's primary email, to count distinct approvers.
    #[serde(skip)]
    pub engineer: Option<String>,
    /// When it was signed (seconds since 1970): a v2 approval's signed
    /// time, or a signed merge's committer date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<i64>,
    /// The approver's roster level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Whether a signed merge gives it (the merge's own report counts its
    /// lines for the review rate).
    #[serde(skip)]
    pub from_merge: bool,
}

/// A signed merge commit that approves the commits it brings in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeApproval {
    /// The merge commit's id.
    pub merge: String,
    /// The approver's name on the roster.
    pub approver: String,
    /// The approver's primary email on the roster.
    pub email: String,
    /// The merge's committer date, which its signature covers.
    pub signed_at: i64,
    /// Why its time does not count (in the future, or too old).
    #[serde(skip)]
    pub time_problem: Option<(Code, String)>,
}

/// Everything the policy decided about one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReport {
    /// The commit as the git edge described it.
    pub commit: CommitFacts,
    /// The evidence of AI assistance; empty when there is none.
    pub markers: Vec<Marker>,
    /// Every approval, valid or not.
    pub approvals: Vec<ApprovalCheck>,
    /// The outcome.
    pub verdict: Verdict,
    /// Why it is refused (empty unless rejected).
    pub reasons: Vec<Reason>,
    /// When this is a signed merge by an approver: the approval it gives
    /// the commits it brings in.
    pub merge_approval: Option<MergeApproval>,
    /// The author's and human co-authors' emails (who may not approve it).
    pub authors: Vec<String>,
    /// Whether the message declares that no AI was used.
    pub declared_none: bool,
    /// The blast-radius rules that apply to the commit, and whether its
    /// approvals satisfy each.
    pub rules: Vec<RuleCheck>,
    /// Changed lines against the first parent, when something needed them
    /// (the review rate, the audit log).
    pub lines: Option<u64>,
}

impl CommitReport {
    /// Whether anything here could use a merge's approval: AI-assisted,
    /// readable, and not yet approved.
    pub fn wants_approval(&self) -> bool {
        self.verdict == Verdict::Rejected && self.commit.judgeable()
    }
}

/// Approval lines read per commit; more are refused unread (each can cost a
/// signature check).
pub const MAX_APPROVALS_READ: usize = 16;

/// The policy in force: configuration and roster, checked against each other.
#[derive(Debug, Clone)]
pub struct Gate {
    /// The `[policy]` table.
    pub policy: PolicyConfig,
    /// The detection rules.
    pub detector: Detector,
    /// Who may approve.
    pub roster: Roster,
    min_rank: usize,
    /// Each rule's lowest counting level and approver group, resolved
    /// against the roster (in `policy.rules` order).
    rule_needs: Vec<RuleNeeds>,
}

/// A rule's requirement, resolved against the roster.
#[derive(Debug, Clone)]
struct RuleNeeds {
    min_rank: usize,
    /// Primary roster emails (lowercase) of the engineers who count; empty
    /// when anyone who may approve counts.
    group: Vec<String>,
}

/// A place in the configuration where it disagrees with the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// Line and column in the configuration.
    pub at: (usize, usize),
    /// What is wrong.
    pub message: String,
}

/// What checking one commit's approvals asks of the edge: its change id,
/// read at most once, and signature checks.
struct CommitEvidence<'a> {
    source: &'a mut dyn ChangeSource,
    commit: &'a str,
    known: Option<Option<String>>,
}

impl approval::Evidence for CommitEvidence<'_> {
    fn change_id(&mut self) -> Option<String> {
        if self.known.is_none() {
            self.known = Some(self.source.change_id(self.commit));
        }
        self.known.clone().flatten()
    }

    fn verifies(&mut self, namespace: &str, message: &[u8], signature: &ssh_key::SshSig) -> bool {
        self.source.verifies(namespace, message, signature)
    }
}

impl Gate {
    /// Combines the policy, the detection rules and a roster; fails with
    /// every place where they disagree: a level the roster does not declare
    /// (`min_approver_level`, a rule's), a rule's approver not on it.
    pub fn new(policy: PolicyConfig, detector: Detector, roster: Roster) -> Result<Gate, Vec<Misfit>> {
        let mut misfits = Vec::new();
        let rank_of = |level: &str, at: (usize, usize), misfits: &mut Vec<Misfit>| {
            let rank = roster.level_rank(level);
            if rank.is_none() {
                let message = format!(
                    "`min_approver_level` = \"{level}\" is not a level of the roster (its levels are: {})",
                    roster.levels().join(", ")
                );
                misfits.push(Misfit { at, message });
            }
            rank.unwrap_or(0)
        };
        let min_rank = rank_of(&policy.min_approver_level, policy.min_approver_level_at, &mut misfits);
        let mut rule_needs = Vec::new();
        for rule in &policy.rules {
            let rank = match &rule.needs.min_approver_level {
                Some((level, at)) => rank_of(level, *at, &mut misfits).max(min_rank),
                None => min_rank,
            };
            let mut group = Vec::new();
            for (email, at) in &rule.needs.approvers {
                match roster.engineer_by_email(email) {
                    Some(engineer) => group.push(engineer.email.to_ascii_lowercase()),
                    None => {
                        misfits.push(Misfit { at: *at, message: format!("rule \"{}\": approver {email} is not on the roster", rule.name) })
                    }
                }
            }
            rule_needs.push(RuleNeeds { min_rank: rank, group });
        }
        if misfits.is_empty() { Ok(Gate { policy, detector, roster, min_rank, rule_needs }) } else { Err(misfits) }
    }

    /// "senior or above", as shown to people.
    pub fn level_phrase(&self) -> String {
        self.level_phrase_of(self.min_rank)
    }

    /// "principal", "staff or above": a rank as shown to people.
    fn level_phrase_of(&self, rank: usize) -> String {
        let name = self.roster.level_name(rank);
        if rank + 1 >= self.roster.levels().len() { name.to_owned() } else { format!("{name} or above") }
    }

    /// The rules that cover `refname` (every rule for `None`).
    pub fn rule_scope(&self, refname: Option<&str>) -> RuleScope {
        RuleScope::of(&self.policy.rules, refname)
    }

    /// Whether a push may rewrite the history of protected ref `refname`.
    pub fn rewrite_allowed(&self, refname: &str) -> bool {
        self.policy.allow_rewrite.as_ref().is_some_and(|refs| refs.matches(refname))
    }

    /// Whether an engineer's approvals count (active, level high enough).
    pub fn can_approve(&self, engineer: &Engineer) -> bool {
        engineer.active && engineer.level >= self.min_rank
    }

    /// Whether an engineer can sign an approval: can approve, and has a
    /// signing key on the roster.
    pub fn can_sign(&self, engineer: &Engineer) -> bool {
        self.can_approve(engineer) && !engineer.signing_keys.is_empty()
    }

    /// How many people on the roster can approve.
    pub fn approver_count(&self) -> usize {
        self.roster.approver_count(self.min_rank)
    }

    /// Whether approvals must be signed.
    pub fn signed(&self) -> bool {
        self.policy.approvals == ApprovalMode::Signed
    }

    /// The disclosure trailer commits declare themselves with.
    pub fn declaration_key(&self) -> &str {
        self.detector.disclosure_trailers.first().map_or("AI-Assisted", String::as_str)
    }

    /// Why an undeclared commit is refused, and how to declare it.
    fn undeclared_message(&self) -> String {
        let key = self.declaration_key();
        format!(
            "it does not say whether AI helped write it; declare it either way: \"{key}: no\", or \"{key}: yes\" or the tool (then a senior signs off), e.g. git commit --amend --no-edit --trailer \"{key}: no\""
        )
    }

    /// The mailbox an address delivers to (see [`identity::mailbox`]).
    pub fn mailbox(&self, email: &str) -> String {
        identity::mailbox(email, &self.policy.plus_addressing)
    }

    /// Whether `engineer`, approving as `email`, is one of `authors`
    /// (mailboxes): by the approval's address, their roster address or an
    /// alias, compared as mailboxes.
    fn is_author(&self, engineer: &Engineer, email: &str, authors: &[String]) -> bool {
        let mut theirs =
            std::iter::once(email).chain(std::iter::once(engineer.email.as_str())).chain(engineer.aliases.iter().map(String::as_str));
        theirs.any(|address| authors.contains(&self.mailbox(address)))
    }

    /// Why `engineer` cannot approve at all (inactive, level too low).
    fn approver_problem(&self, engineer: &Engineer, line: &str) -> Option<(Code, String)> {
        if !engineer.active {
            Some((Code::ApproverInactive, format!("\"{line}\": {} is not active on the roster", engineer.name)))
        } else if engineer.level < self.min_rank {
            Some((
                Code::ApproverLevelTooLow,
                format!(
                    "\"{line}\": {} is {}; approvals need {}",
                    engineer.name,
                    self.roster.level_name(engineer.level),
                    self.level_phrase()
                ),
            ))
        } else {
            None
        }
    }

    /// Decides one commit from its own content (its trailers, and for a
    /// merge its signature), under every rule, without diffs;
    /// [`Gate::apply_merge_approvals`] adds what merges above it give.
    /// Signed approvals are checked against `commit.change_id`.
    pub fn evaluate(&self, commit: CommitFacts) -> CommitReport {
        self.evaluate_with(commit, |_| None)
    }

    /// [`Gate::evaluate`], asking `change_id` for the commit's change id.
    pub fn evaluate_with(&self, commit: CommitFacts, mut change_id: impl FnMut(&str) -> Option<String>) -> CommitReport {
        self.evaluate_in(commit, RuleScope::ALL, &mut change_id)
    }

    /// Decides one commit entering a ref covered by the rules in `scope`,
    /// asking `source` for the commit's change only when something needs
    /// it. The change id, when a signature needs it: one that decodes, is
    /// in the approval namespace and was made by a roster key of the
    /// engineer it names, on an AI-assisted commit (or one a rule applies
    /// to) in signed mode, or on a merge; each commit is diffed for it at
    /// most once. The changed files, when a rule in scope looks at the
    /// commit (AI-assisted, or `applies_to = "all"`) and has a condition
    /// on its change. Text alone costs no diff.
    pub fn evaluate_in(&self, commit: CommitFacts, scope: RuleScope, source: &mut dyn ChangeSource) -> CommitReport {
        let trailers = trailers::parse(&commit.message);
        let detection = self.detector.detect(&commit, &trailers);
        let ai = !detection.markers.is_empty();
        let rules = &self.policy.rules;
        let candidates: Vec<usize> = if !rules.is_empty() && commit.judgeable() {
            (0..rules.len()).filter(|&index| scope.contains(index) && rules[index].looks_at(ai)).collect()
        } else {
            Vec::new()
        };
        let matched = if candidates.is_empty() { Vec::new() } else { rules::matching(rules, &candidates, &commit, source) };
        let rule_checks: Vec<RuleCheck> = matched
            .into_iter()
            .map(|(index, triggered_by)| RuleCheck {
                name: rules[index].name.clone(),
                triggered_by,
                required: self.rule_requirement(index),
                satisfied: false,
                index,
            })
            .collect();

        let key = &self.policy.approval_trailer;
        let now = source.now();
        let mut evidence = CommitEvidence { source, commit: &commit.id, known: commit.change_id.clone().map(Some) };

        let mut authors: Vec<String> = vec![self.mailbox(&commit.author.email)];
        if !detection.human_coauthors.is_empty() {
            let mut known: std::collections::HashSet<String> = authors.iter().cloned().collect();
            for coauthor in &detection.human_coauthors {
                let mailbox = self.mailbox(&coauthor.email);
                if known.insert(mailbox.clone()) {
                    authors.push(mailbox);
                }
            }
        }
        let is_author = |engineer: &Engineer, email: &str| self.is_author(engineer, email, &authors);
        let check_signatures = self.signed() && (ai || !rule_checks.is_empty());

        let mut approvals = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for trailer in trailers.iter().filter(|t| t.key_is(key)) {
            // The same line twice is one approval; past a bound, more lines
            // are not looked at (each could cost a signature check).
            if seen.contains(&trailer.value.as_str()) {
                continue;
            }
            seen.push(&trailer.value);
            let value = approval::split_value(&trailer.value);
            let line = format!("{}: {}", trailer.key, value.who);
            if approvals.len() == MAX_APPROVALS_READ {
                approvals.push(ApprovalCheck {
                    trailer: line,
                    email: None,
                    approver: None,
                    valid: false,
                    code: Some(Code::MalformedApproval),
                    signed: value.signature.is_some(),
                    message: Some(format!("more than {MAX_APPROVALS_READ} approval lines; the rest are not read")),
                    engineer: None,
                    signed_at: None,
                    level: None,
                    from_merge: false,
                });
                break;
            }
            let mut signed_at = None;
            let identity = if value.malformed_tail { None } else { Identity::parse(value.who) };
            let engineer = identity.as_ref().and_then(|i| self.roster.engineer_by_email(&i.email));
            let problem = match (&identity, engineer) {
                (None, _) => Some((Code::MalformedApproval, format!("\"{line}\" names no approver; write \"{key}: Name <email>\""))),
                (Some(identity), None) => Some((Code::ApproverUnknown, format!("\"{line}\": {} is not on the roster", identity.email))),
                (Some(identity), Some(engineer)) => self
                    .approver_problem(engineer, &line)
                    .or_else(|| {
                        is_author(engineer, &identity.email).then(|| {
                            (Code::SelfApproval, format!("\"{line}\": {} is an author of this commit and cannot approve it", engineer.name))
                        })
                    })
                    .or_else(|| {
                        if !check_signatures {
                            return None;
                        }
                        match approval::verify_approval(&value, &identity.email, engineer, &self.roster, &mut evidence) {
                            Ok(Some(time)) => {
                                signed_at = Some(time);
                                self.time_problem(time, now, &line)
                            }
                            // An approval of format v1 cannot be placed in
                            // time: the review rate could not weigh it, and
                            // its age is unknown (so it could be any age).
                            Ok(None) if self.policy.review_rate.is_some() || self.policy.max_approval_age.is_some() => {
                                let needs =
                                    if self.policy.review_rate.is_some() { "policy.max_review_rate" } else { "policy.max_approval_age" };
                                Some((
                                    Code::ApprovalUndated,
                                    format!(
                                        "\"{line}\" carries no signing time, which {needs} needs; sign it again with signoff-gate approve"
                                    ),
                                ))
                            }
                            Ok(None) => None,
                            Err(problem) => Some(signature_reason(problem, &line, engineer)),
                        }
                    }),
            };
            approvals.push(ApprovalCheck {
                trailer: line,
                email: identity.map(|i| i.email),
                approver: engineer.map(|e| e.name.clone()),
                valid: problem.is_none(),
                code: problem.as_ref().map(|(code, _)| *code),
                signed: value.signature.is_some(),
                message: problem.map(|(_, message)| message),
                engineer: engineer.map(|e| e.email.to_ascii_lowercase()),
                signed_at,
                level: engineer.map(|e| self.roster.level_name(e.level).to_owned()),
                from_merge: false,
            });
        }

        let merge_approval = self.merge_approval(&commit, &trailers, now, &mut evidence);
        // The review rate counts the lines of what is approved: an
        // AI-assisted commit's own, or all a signed merge brings in.
        let lines = if self.policy.review_rate.is_some() && (ai || merge_approval.is_some()) && commit.judgeable() {
            source.changed_lines(&commit)
        } else {
            None
        };
        let mut report = CommitReport {
            commit,
            markers: detection.markers,
            approvals,
            verdict: Verdict::NotAi,
            reasons: Vec::new(),
            merge_approval,
            authors,
            declared_none: detection.declared_none,
            rules: rule_checks,
            lines,
        };
        self.conclude(&mut report);
        report
    }

    /// Why a signing time does not count: in the future (beyond
    /// [`MAX_CLOCK_SKEW`]) or older than `max_approval_age`. Unchecked
    /// when the time of the check is unknown.
    fn time_problem(&self, signed_at: i64, now: Option<i64>, line: &str) -> Option<(Code, String)> {
        let now = now?;
        let when = crate::policy::calendar::utc_time(signed_at);
        if signed_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Some((
                Code::ApprovalFuture,
                format!(
                    "\"{line}\" is signed at {when}, in the future (the gate's clock reads {}); sign it again with a correct clock",
                    crate::policy::calendar::utc_time(now)
                ),
            ));
        }
        let age = self.policy.max_approval_age?;
        (now.saturating_sub(signed_at) > age).then(|| {
            (
                Code::ApprovalExpired,
                format!(
                    "\"{line}\" was signed at {when}, longer ago than policy.max_approval_age ({}) allows; ask for a fresh review",
                    crate::policy::render::duration_phrase(age)
                ),
            )
        })
    }

    /// What satisfies rule `index`, in words: "needs 2 signed approvals by
    /// engineers of level principal".
    fn rule_requirement(&self, index: usize) -> String {
        let (rule, needs) = (&self.policy.rules[index], &self.rule_needs[index]);
        let count = rule.needs.required_approvals;
        let what = rules::approvals_phrase(count, self.signed());
        if needs.group.is_empty() {
            let whom = if count == 1 { "an engineer" } else { "engineers" };
            format!("needs {what} by {whom} of level {}", self.level_phrase_of(needs.min_rank))
        } else {
            let names: Vec<&str> =
                needs.group.iter().filter_map(|email| self.roster.engineer_by_email(email)).map(|e| e.name.as_str()).collect();
            let of = if count == 1 && names.len() > 1 {
                "one of"
            } else if count < names.len() {
                "any of"
            } else {
                ""
            };
            let of = if of.is_empty() { String::new() } else { format!("{of} ") };
            format!("needs {what} by {of}{} (level {})", names.join(", "), self.level_phrase_of(needs.min_rank))
        }
    }

    /// Decides each rule that applies from the approvals that count, and
    /// gives the reasons of those not satisfied.
    fn check_rules(&self, report: &mut CommitReport, approvers: &[&str]) -> Vec<Reason> {
        let mut unmet = Vec::new();
        for check in &mut report.rules {
            let (rule, needs) = (&self.policy.rules[check.index], &self.rule_needs[check.index]);
            let counting: Vec<&Engineer> = approvers
                .iter()
                .filter_map(|email| self.roster.engineer_by_email(email))
                .filter(|engineer| engineer.level >= needs.min_rank)
                .filter(|engineer| needs.group.is_empty() || needs.group.contains(&engineer.email.to_ascii_lowercase()))
                .collect();
            check.satisfied = counting.len() >= rule.needs.required_approvals;
            if check.satisfied {
                continue;
            }
            let has = if counting.is_empty() {
                "has none".to_owned()
            } else {
                format!("has {}", counting.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", "))
            };
            let about = rule.description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default();
            let message = format!("rule \"{}\"{about}: {}; {}; {has}", rule.name, check.triggered_by.join("; "), check.required);
            unmet.push(Reason { code: Code::RuleUnmet, message });
        }
        unmet
    }

    /// The approval a merge commit gives the commits it brings in. It needs
    /// both: an `Approved-by:` signed (in the approval namespace, as
    /// `signoff-gate approve --merge` makes it) over the merge's own change,
    /// everything it brings to its first parent; and git's own commit
    /// signature by the same approver's roster key. git's signature alone is
    /// not consent: a senior's `git rebase -r` or `git merge <tag>` signs
    /// merge messages someone else wrote.
    fn merge_approval(
        &self,
        commit: &CommitFacts,
        trailers: &[trailers::Trailer],
        now: Option<i64>,
        evidence: &mut dyn approval::Evidence,
    ) -> Option<MergeApproval> {
        let signature = commit.signature.as_ref().filter(|_| commit.is_merge())?;
        let key = &self.policy.approval_trailer;
        let mut approver: Option<&Engineer> = None;
        for trailer in trailers.iter().filter(|t| t.key_is(key)).take(MAX_APPROVALS_READ) {
            let value = approval::split_value(&trailer.value);
            if value.signature.is_none() || value.malformed_tail {
                continue;
            }
            let Some(identity) = Identity::parse(value.who) else { continue };
            let Some(engineer) = self.roster.engineer_by_email(&identity.email).filter(|e| self.can_approve(e)) else { continue };
            if approval::verify_approval(&value, &identity.email, engineer, &self.roster, evidence).is_ok() {
                approver = Some(engineer);
                break;
            }
        }
        let approver = approver?;
        let signer = approval::commit_signer(signature, &self.roster).ok()?;
        let line = format!("signed merge {}", crate::policy::facts::short_id(&commit.id));
        (signer.email == approver.email).then(|| MergeApproval {
            merge: commit.id.clone(),
            approver: signer.name.clone(),
            email: signer.email.to_ascii_lowercase(),
            signed_at: commit.committer_time,
            time_problem: self.time_problem(commit.committer_time, now, &line),
        })
    }

    /// Adds the approvals of signed merges that bring this commit in, and
    /// decides again.
    pub fn apply_merge_approvals(&self, report: &mut CommitReport, merges: &[MergeApproval]) {
        for merge in merges {
            let line = format!("signed merge {} by {}", crate::policy::facts::short_id(&merge.merge), merge.approver);
            let engineer = self.roster.engineer_by_email(&merge.email);
            let own = engineer.is_some_and(|e| self.is_author(e, &merge.email, &report.authors));
            let problem = match engineer {
                None => Some((Code::ApproverUnknown, format!("{line}: {} is not on the roster", merge.email))),
                Some(engineer) if own => {
                    Some((Code::SelfApproval, format!("{line}: {} is an author of this commit and cannot approve it", engineer.name)))
                }
                Some(engineer) => self.approver_problem(engineer, &line).or_else(|| merge.time_problem.clone()),
            };
            report.approvals.push(ApprovalCheck {
                trailer: line,
                email: Some(merge.email.clone()),
                approver: Some(merge.approver.clone()),
                valid: problem.is_none(),
                code: problem.as_ref().map(|(code, _)| *code),
                signed: true,
                message: problem.map(|(_, message)| message),
                engineer: Some(merge.email.clone()),
                signed_at: Some(merge.signed_at),
                level: engineer.map(|e| self.roster.level_name(e.level).to_owned()),
                from_merge: true,
            });
        }
        self.conclude(report);
    }

    /// Sets the verdict and reasons from the markers and approvals.
    fn conclude(&self, report: &mut CommitReport) {
        let key = &self.policy.approval_trailer;
        report.reasons.clear();
        if let Some(problem) = &report.commit.malformed {
            // Fail closed: git could show other people than we read.
            let message = format!(
                "the commit has {problem}, which git and the gate could read as different people; re-create it with git (git commit --amend --reset-author)"
            );
            report.verdict = Verdict::Rejected;
            report.reasons.push(Reason { code: Code::MalformedCommit, message });
            return;
        }
        if let Some((role, invisible)) = report.commit.invisible_in_identity() {
            // Fail closed: it looks like someone it is not.
            let message = format!(
                "the {role} holds an invisible character (U+{:04X}), so it looks like an identity it is not; re-create it with a plain identity (git commit --amend --reset-author)",
                u32::from(invisible)
            );
            report.verdict = Verdict::Rejected;
            report.reasons.push(Reason { code: Code::InvisibleCharacters, message });
            return;
        }
        if let Some(encoding) = &report.commit.unreadable_encoding {
            // Fail closed: what git shows could differ from what we read.
            let message = format!("the message is declared as {encoding}, which the gate cannot read; re-commit it in UTF-8");
            report.verdict = Verdict::Rejected;
            report.reasons.push(Reason { code: Code::UnreadableMessage, message });
            return;
        }
        if let Some(oversized) = report.commit.oversized {
            // Fail closed: the part not read could hold a marker.
            use crate::policy::facts::{MAX_IDENTITY_BYTES, MAX_MESSAGE_BYTES, Oversized};
            use crate::policy::rules::thousands;
            let (code, message) = match oversized {
                Oversized::Message(bytes) => (
                    Code::UnreadableMessage,
                    format!(
                        "the message is {} bytes, more than the {} the gate reads, so it cannot be judged; shorten it (git commit --amend, or reword in git rebase -i)",
                        thousands(bytes as u64),
                        thousands(MAX_MESSAGE_BYTES as u64)
                    ),
                ),
                Oversized::Identity { role, bytes } => (
                    Code::MalformedCommit,
                    format!(
                        "the {role} is {} bytes, more than the {} the gate reads, so the commit cannot be judged; re-create it with a plain identity (git commit --amend --reset-author)",
                        thousands(bytes as u64),
                        thousands(MAX_IDENTITY_BYTES as u64)
                    ),
                ),
            };
            report.verdict = Verdict::Rejected;
            report.reasons.push(Reason { code, message });
            return;
        }
        let mut approvers: Vec<&str> = Vec::new();
        for engineer in report.approvals.iter().filter(|a| a.valid).filter_map(|a| a.engineer.as_deref()) {
            if !approvers.contains(&engineer) {
                approvers.push(engineer);
            }
        }
        let approvers: Vec<String> = approvers.into_iter().map(str::to_owned).collect();
        let approvers: Vec<&str> = approvers.iter().map(String::as_str).collect();
        let unmet = self.check_rules(report, &approvers);
        let required = self.policy.required_approvals;
        let count = approvers.len();
        let ai = !report.markers.is_empty();
        let base_unmet = ai && count < required;
        report.verdict = if base_unmet || !unmet.is_empty() {
            Verdict::Rejected
        } else if ai {
            Verdict::Approved
        } else {
            Verdict::NotAi
        };
        if !ai && report.verdict == Verdict::NotAi {
            // Declaration mode: silence is not an answer (merges bring in
            // commits that declare themselves).
            if self.policy.require_declaration && !report.declared_none && !report.commit.is_merge() {
                report.verdict = Verdict::Rejected;
                report.reasons.push(Reason { code: Code::Undeclared, message: self.undeclared_message() });
            }
            return;
        }
        if report.verdict != Verdict::Rejected {
            return;
        }
        for check in report.approvals.iter().filter(|a| !a.valid) {
            if let (Some(code), Some(message)) = (check.code, &check.message) {
                report.reasons.push(Reason { code, message: message.clone() });
            }
        }
        // Invalid approvals explain themselves; say what is missing when
        // they do not account for every required approval, and always
        // count when more than one is required.
        let how = if self.signed() { "a signed" } else { "an" };
        if base_unmet && (count + report.reasons.len() < required || required > 1) {
            let message = if required == 1 {
                format!("no approval: needs {how} \"{key}:\" of an active engineer of level {} who is not an author", self.level_phrase())
            } else {
                format!(
                    "{count} of {required} required approvals: needs {how} \"{key}:\" of {required} distinct active engineers of level {} who are not authors",
                    self.level_phrase()
                )
            };
            report.reasons.push(Reason { code: Code::AiUnapproved, message });
        }
        report.reasons.extend(unmet);
    }
}

/// The code and sentence for a signature that does not count.
fn signature_reason(problem: SignatureProblem, line: &str, engineer: &Engineer) -> (Code, String) {
    match problem {
        SignatureProblem::Unsigned => (
            Code::ApprovalUnsigned,
            format!("\"{line}\" is not signed: anyone can type it; {} must sign it (signoff-gate approve)", engineer.name),
        ),
        SignatureProblem::Invalid(why) => (Code::ApprovalSignatureInvalid, format!("\"{line}\": {why}")),
        SignatureProblem::Stale { signed } => (
            Code::ApprovalStale,
            format!(
                "\"{line}\" was signed for another change ({}); the diff changed since {} approved it",
                crate::policy::facts::short_id(&signed),
                engineer.name
            ),
        ),
        SignatureProblem::KeyUnknown { fingerprint } => {
            (Code::ApprovalKeyUnknown, format!("\"{line}\" is signed with key {fingerprint}, which is not on the roster"))
        }
        SignatureProblem::KeyMismatch { fingerprint, owner } => (
            Code::ApprovalKeyMismatch,
            format!("\"{line}\" is signed with key {fingerprint}, which the roster lists for {owner}, not {}", engineer.name),
        ),
    }
}

/// What the gate decided for one ref update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefReport {
    /// The update as pushed.
    pub update: RefUpdate,
    /// Problems with the update itself (deleting a protected ref, a
    /// non-commit tip).
    pub problems: Vec<Reason>,
    /// Each commit entering the ref, newest first in topological order.
    pub commits: Vec<CommitReport>,
}

impl RefReport {
    /// Whether this update may go ahead.
    pub fn accepted(&self) -> bool {
        self.problems.is_empty() && self.commits.iter().all(|c| c.verdict != Verdict::Rejected)
    }
}

/// The reason for deleting a protected ref.
pub fn deletion_refused(refname: &str) -> Reason {
    Reason { code: Code::ProtectedRefDeletion, message: format!("{refname} is protected and cannot be deleted") }
}

/// The reason for a non-fast-forward update of a protected ref that would
/// lose `dropped` commits it points at now (`old` is its tip now).
pub fn rewrite_refused(refname: &str, old: &str, dropped: usize) -> Reason {
    let commits = if dropped == 1 { "1 commit".to_owned() } else { format!("{} commits", rules::thousands(dropped as u64)) };
    Reason {
        code: Code::ProtectedRefRewrite,
        message: format!(
            "not a fast-forward: {refname} would drop {commits} it has now (its tip is {}); protected history is not rewritten: fetch, rebase onto it (git pull --rebase) and push again",
            crate::policy::facts::short_id(old)
        ),
    }
}

/// The reason for creating or moving a replace ref.
pub fn replace_ref_refused(refname: &str) -> Reason {
    Reason {
        code: Code::ReplaceRef,
        message: format!(
            "{refname} would make git show another object in place of {} on every branch, protected ones too; replace refs are not allowed (policy.allow_replace_refs)",
            crate::policy::facts::short_id(refname.trim_start_matches("refs/replace/"))
        ),
    }
}

/// The reason for pointing a protected ref at a non-commit.
pub fn not_a_commit(refname: &str, id: &str, kind: &str) -> Reason {
    Reason { code: Code::NotACommit, message: format!("{refname} would point at {kind} {id}, not at a commit") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    const ROSTER: &str = r#"
levels = ["junior", "mid", "senior", "staff", "principal"]
[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
aliases = ["alice@users.noreply.example.com"]
level = "senior"
[[engineer]]
name = "Sam Staff"
email = "sam@corp.example"
level = "staff"
[[engineer]]
name = "Mia Mid"
email = "mia@corp.example"
level = "mid"
[[engineer]]
name = "Olga Gone"
email = "olga@corp.example"
level = "principal"
active = false
"#;

    fn gate(required: usize) -> Gate {
        let config = Config::parse(Path::new("sg.toml"), &format!("[policy]\nrequired_approvals = {required}\napprovals = \"trailer\"\n"))
            .expect("config");
        let roster = Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster");
        config.gate(roster).expect("gate")
    }

    fn commit(author: &str, message: &str) -> CommitFacts {
        // As a commit header holds it: any address git takes.
        let (name, email) = author.split_once(" <").expect("Name <email>");
        let author = Identity::new(name, email.trim_end_matches('>'));
        CommitFacts {
            id: "a".repeat(40),
            parent_ids: vec![],
            committer: author.clone(),
            author_time: 0,
            committer_time: 0,
            author,
            message: message.into(),
            unreadable_encoding: None,
            oversized: None,
            malformed: None,
            change_id: None,
            signature: None,
            other_readings: vec![],
            notes: vec![],
        }
    }

    const AI: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";
    const DEV: &str = "Dev Eloper <dev@corp.example>";

    fn outcome(gate: &Gate, author: &str, trailers: &[&str]) -> (Verdict, Vec<Code>) {
        let message = format!("Change things\n\nBody.\n\n{}\n", trailers.join("\n"));
        let report = gate.evaluate(commit(author, &message));
        (report.verdict, report.reasons.iter().map(|r| r.code).collect())
    }

    #[test]
    fn decides_approvals() {
        use Code::*;
        let one = gate(1);
        let cases: &[(&str, &[&str], Verdict, &[Code])] = &[
            (DEV, &["Signed-off-by: Dev <dev@corp.example>"], Verdict::NotAi, &[]),
            (DEV, &[AI], Verdict::Rejected, &[AiUnapproved]),
            (DEV, &[AI, "Approved-by: Alice Senior <alice@corp.example>"], Verdict::Approved, &[]),
            (DEV, &[AI, "Approved-by: ALICE@users.noreply.example.com"], Verdict::Approved, &[]),
            (DEV, &[AI, "Approved-by: Mia <mia@corp.example>"], Verdict::Rejected, &[ApproverLevelTooLow]),
            (DEV, &[AI, "Approved-by: Olga <olga@corp.example>"], Verdict::Rejected, &[ApproverInactive]),
            (DEV, &[AI, "Approved-by: Eve <eve@elsewhere.example>"], Verdict::Rejected, &[ApproverUnknown]),
            (DEV, &[AI, "Approved-by: LGTM"], Verdict::Rejected, &[MalformedApproval]),
            (
                "Alice <alice@users.noreply.example.com>",
                &[AI, "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
            (
                DEV,
                &[AI, "Co-authored-by: Alice <alice@corp.example>", "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
            (DEV, &[AI, "Approved-by: Mia <mia@corp.example>", "Approved-by: Sam <sam@corp.example>"], Verdict::Approved, &[]),
            (DEV, &["Approved-by:", AI], Verdict::Rejected, &[MalformedApproval]),
            // A co-author line with more than `Name <email>` still makes its people authors.
            (
                DEV,
                &[AI, "Co-authored-by: Alice <alice@corp.example> (pairing)", "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
            (
                DEV,
                &["Co-authored-by: Claude Opus 4.5 <alice@corp.example>", "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
            // Two people on one approval line is not an approval by the last of them.
            (DEV, &[AI, "Approved-by: Mia <mia@corp.example>, Alice <alice@corp.example>"], Verdict::Rejected, &[MalformedApproval]),
            // The author's address written another way is still the approver's.
            ("Alice <alice@corp.example.>", &[AI, "Approved-by: Alice Senior <alice@corp.example>"], Verdict::Rejected, &[SelfApproval]),
            ("Alice <Alice+ai@corp.example>", &[AI, "Approved-by: Alice Senior <alice@corp.example>"], Verdict::Rejected, &[SelfApproval]),
            (
                "Alice <alice+x@users.noreply.example.com>",
                &[AI, "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
            // A pair is an author.
            (
                DEV,
                &[AI, "Paired-with: Alice <alice@corp.example>", "Approved-by: Alice Senior <alice@corp.example>"],
                Verdict::Rejected,
                &[SelfApproval],
            ),
        ];
        for (author, trailers, verdict, codes) in cases {
            assert_eq!(outcome(&one, author, trailers), (*verdict, codes.to_vec()), "{author} {trailers:?}");
        }
    }

    #[test]
    fn plus_addressing_follows_the_config() {
        let config = Config::parse(Path::new("sg.toml"), "[policy]\napprovals = \"trailer\"\nplus_addressing = [\"other.example\"]\n")
            .expect("config");
        let narrow = config.gate(Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster")).expect("gate");
        let approval = "Approved-by: Alice Senior <alice@corp.example>";
        // corp.example is not listed: alice+ai@ is someone else's mailbox there.
        assert_eq!(outcome(&narrow, "Alice <alice+ai@corp.example>", &[AI, approval]), (Verdict::Approved, vec![]));
        assert_eq!(outcome(&narrow, "Alice <alice@corp.example.>", &[AI, approval]).1, [Code::SelfApproval]);
    }

    #[test]
    fn counts_distinct_approvers() {
        use Code::*;
        let two = gate(2);
        let alice = "Approved-by: Alice Senior <alice@corp.example>";
        let alias = "Approved-by: alice@users.noreply.example.com";
        let sam = "Approved-by: Sam <sam@corp.example>";
        assert_eq!(outcome(&two, DEV, &[AI, alice, alias]), (Verdict::Rejected, vec![AiUnapproved]));
        assert_eq!(outcome(&two, DEV, &[AI, alice, sam]), (Verdict::Approved, vec![]));
        assert_eq!(outcome(&two, DEV, &[AI, alice]), (Verdict::Rejected, vec![AiUnapproved]));
        // One valid and one invalid: the invalid one explains itself, and the count is said.
        let mia = "Approved-by: Mia <mia@corp.example>";
        let report = two.evaluate(commit(DEV, &format!("Change\n\n{AI}\n{alice}\n{mia}\n")));
        let codes: Vec<Code> = report.reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, [ApproverLevelTooLow, AiUnapproved]);
        assert!(report.reasons[1].message.starts_with("1 of 2 required approvals"), "{}", report.reasons[1].message);
    }

    #[test]
    fn an_unreadable_encoding_is_refused() {
        let gate = gate(1);
        let mut facts = commit(DEV, "Change\n");
        facts.unreadable_encoding = Some("UTF-7".to_owned());
        let report = gate.evaluate(facts);
        assert_eq!(report.verdict, Verdict::Rejected);
        assert_eq!(report.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [Code::UnreadableMessage]);
    }

    #[test]
    fn a_message_too_long_to_read_is_refused_unjudged() {
        let gate = gate(1);
        // The part read is approved; the rest could say anything.
        let mut facts = commit(DEV, &format!("Change\n\n{AI}\nApproved-by: Alice Senior <alice@corp.example>\n"));
        facts.oversized = Some(crate::policy::facts::Oversized::Message(2_000_000));
        let report = gate.evaluate(facts);
        assert_eq!(report.verdict, Verdict::Rejected);
        assert!(!report.commit.judgeable());
        assert_eq!(report.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [Code::UnreadableMessage]);
        assert!(
            report.reasons[0].message.starts_with("the message is 2,000,000 bytes, more than the 1,048,576 the gate reads"),
            "{}",
            report.reasons[0].message
        );
    }

    #[test]
    fn an_identity_too_long_to_read_is_refused_unjudged() {
        let gate = gate(1);
        let mut facts = commit(DEV, "Change\n");
        facts.oversized = Some(crate::policy::facts::Oversized::Identity { role: "author", bytes: 8_000_052 });
        let report = gate.evaluate(facts);
        assert_eq!(report.verdict, Verdict::Rejected);
        assert_eq!(report.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [Code::MalformedCommit]);
        assert!(
            report.reasons[0].message.starts_with("the author is 8,000,052 bytes, more than the 4,096 the gate reads"),
            "{}",
            report.reasons[0].message
        );
    }

    #[test]
    fn the_committer_may_approve() {
        let gate = gate(1);
        let mut facts = commit(DEV, &format!("Change\n\n{AI}\nApproved-by: Alice Senior <alice@corp.example>\n"));
        facts.committer = Identity::new("Alice Senior", "alice@corp.example");
        assert_eq!(gate.evaluate(facts).verdict, Verdict::Approved);
    }

    #[test]
    fn min_level_must_exist_in_the_roster() {
        let config = Config::parse(Path::new("sg.toml"), "[policy]\nmin_approver_level = \"lead\"\n").expect("config");
        let roster = Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster");
        let problem = config.gate(roster).expect_err("unknown level");
        assert_eq!((problem.0[0].line, problem.0[0].column), (2, 22));
    }

    /// Blast-radius rules over a change given as a table.
    mod rules {
        use super::*;
        use crate::policy::rules::{EntryKind, Table};

        /// `n` files deleted under `infra/`, 10 lines each.
        fn deletes(n: usize) -> Table {
            Table::of((0..n).map(|n| (format!("infra/{n}.tf"), Some(EntryKind::File), None, Some((0, 10)))))
        }

        fn gate_with(rules: &str) -> Gate {
            let config = Config::parse(Path::new("sg.toml"), &format!("[policy]\napprovals = \"trailer\"\n{rules}")).expect("config");
            config.gate(Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster")).expect("gate")
        }

        fn judge(gate: &Gate, author: &str, lines: &[&str], deleted: usize) -> (Verdict, Vec<Code>, Vec<bool>) {
            let message = format!("Change things\n\n{}\n", lines.join("\n"));
            let report = gate.evaluate_in(commit(author, &message), RuleScope::ALL, &mut deletes(deleted));
            (report.verdict, report.reasons.iter().map(|r| r.code).collect(), report.rules.iter().map(|r| r.satisfied).collect())
        }

        const INFRA: &str = "[[policy.rule]]\nname = \"infra\"\ndescription = \"Infra needs staff\"\npaths = [\"infra\"]\nmin_deleted_files = 3\nmin_approver_level = \"staff\"\n";
        const ALICE: &str = "Approved-by: Alice Senior <alice@corp.example>";
        const SAM: &str = "Approved-by: Sam <sam@corp.example>";

        #[test]
        fn a_rule_asks_for_more_than_the_base_policy() {
            let gate = gate_with(INFRA);
            assert_eq!(judge(&gate, DEV, &[AI, ALICE], 2), (Verdict::Approved, vec![], vec![]));
            assert_eq!(judge(&gate, DEV, &[AI, ALICE], 3), (Verdict::Rejected, vec![Code::RuleUnmet], vec![false]));
            assert_eq!(judge(&gate, DEV, &[AI, ALICE, SAM], 3), (Verdict::Approved, vec![], vec![true]));
            // Not AI-assisted: the rule does not look.
            assert_eq!(judge(&gate, DEV, &[], 30), (Verdict::NotAi, vec![], vec![]));
            let report = gate.evaluate_in(commit(DEV, &format!("Drop infra\n\n{AI}\n{ALICE}\n")), RuleScope::ALL, &mut deletes(41));
            assert_eq!(
                report.reasons[0].message,
                "rule \"infra\" (Infra needs staff): deletes 41 files matching infra (infra/0.tf, infra/1.tf, …; rule: 3 or more); needs an approval by an engineer of level staff or above; has none"
            );
        }

        #[test]
        fn groups_counts_and_applies_to_all() {
            let gate = gate_with(
                "[[policy.rule]]\nname = \"two\"\napplies_to = \"all\"\nmin_deleted_lines = 20\nrequired_approvals = 2\n\
                 [[policy.rule]]\nname = \"owners\"\nmin_deleted_files = 1\napprovers = [\"sam@corp.example\"]\n",
            );
            // A human commit: only the rule that applies to all looks at it.
            assert_eq!(judge(&gate, DEV, &[], 2), (Verdict::Rejected, vec![Code::RuleUnmet], vec![false]));
            assert_eq!(judge(&gate, DEV, &[ALICE], 2), (Verdict::Rejected, vec![Code::RuleUnmet], vec![false]));
            assert_eq!(judge(&gate, DEV, &[ALICE, SAM], 2), (Verdict::NotAi, vec![], vec![true]));
            assert_eq!(judge(&gate, DEV, &[], 1), (Verdict::NotAi, vec![], vec![]));
            // AI-assisted: both rules; Alice is not in the owners group.
            assert_eq!(judge(&gate, DEV, &[AI, ALICE], 1), (Verdict::Rejected, vec![Code::RuleUnmet], vec![false]));
            assert_eq!(judge(&gate, DEV, &[AI, SAM], 1), (Verdict::Approved, vec![], vec![true]));
            assert_eq!(judge(&gate, DEV, &[AI, SAM], 2), (Verdict::Rejected, vec![Code::RuleUnmet], vec![false, true]));
            // The group member cannot approve their own commit.
            assert_eq!(
                judge(&gate, "Sam <sam@corp.example>", &[AI, SAM, ALICE], 1),
                (Verdict::Rejected, vec![Code::SelfApproval, Code::RuleUnmet], vec![false])
            );
        }

        #[test]
        fn levels_and_approvers_must_be_on_the_roster() {
            let config = Config::parse(
                Path::new("sg.toml"),
                "[[policy.rule]]\nname = \"x\"\nmin_approver_level = \"lead\"\napprovers = [\"eve@corp.example\"]\n",
            )
            .expect("config");
            let problems = config.gate(Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster")).expect_err("misfits");
            let lines: Vec<String> = problems.0.iter().map(ToString::to_string).collect();
            assert_eq!(
                lines,
                [
                    "sg.toml:3:22: `min_approver_level` = \"lead\" is not a level of the roster (its levels are: junior, mid, senior, staff, principal) (roster roster.toml)",
                    "sg.toml:4:14: rule \"x\": approver eve@corp.example is not on the roster (roster roster.toml)",
                ]
            );
        }
    }

    /// Signed approvals, with keys made from fixed seeds (pure: no ssh-keygen).
    mod signed {
        use super::*;
        use crate::policy::approval::{NAMESPACE, folded_signature, statement};
        use crate::policy::roster::test_keys::{key, public};
        use ssh_encoding::Encode;
        use ssh_encoding::base64::{Base64, Encoding};

        /// Alice (senior, key 1), Sam (staff, key 2), Mia (mid, key 3); key 9 is no one's.
        fn gate() -> Gate {
            let roster = format!(
                "{ROSTER_LEVELS}\n[[engineer]]\nname = \"Alice Senior\"\nemail = \"alice@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"{}\"]\n\
                 [[engineer]]\nname = \"Sam Staff\"\nemail = \"sam@corp.example\"\nlevel = \"staff\"\nsigning_keys = [\"{}\"]\n\
                 [[engineer]]\nname = \"Mia Mid\"\nemail = \"mia@corp.example\"\nlevel = \"mid\"\nsigning_keys = [\"{}\"]\n",
                public(1),
                public(2),
                public(3)
            );
            let config = Config::parse(Path::new("sg.toml"), "").expect("config");
            config.gate(Roster::parse(Path::new("roster.toml"), &roster).expect("roster")).expect("gate")
        }

        const ROSTER_LEVELS: &str = "levels = [\"junior\", \"mid\", \"senior\", \"staff\"]";
        const CHANGE: &str = "1111111111111111111111111111111111111111111111111111111111111111";
        const OTHER: &str = "2222222222222222222222222222222222222222222222222222222222222222";

        /// The approval lines `who` signs with `seed` for `email` and `change`, in `namespace`.
        fn approval(who: &str, email: &str, seed: u8, change: &str, namespace: &str) -> String {
            let signature = key(seed).sign(namespace, ssh_key::HashAlg::Sha512, statement(email, change).as_bytes()).expect("sign");
            let mut raw = Vec::new();
            signature.encode(&mut raw).expect("encode");
            format!("Approved-by: {who} <{email}>\n{}", folded_signature(change, &Base64::encode_string(&raw)))
        }

        fn judge(author: &str, approval_lines: &str, change: &str) -> (Verdict, Vec<Code>) {
            let mut facts = commit(author, &format!("Change things\n\n{AI}\n{approval_lines}"));
            facts.change_id = Some(change.to_owned());
            let report = gate().evaluate(facts);
            (report.verdict, report.reasons.iter().map(|r| r.code).collect())
        }

        #[test]
        fn decides_signed_approvals() {
            use Code::*;
            let alice = |seed, change| approval("Alice Senior", "alice@corp.example", seed, change, NAMESPACE);
            let cases: Vec<(String, &str, Verdict, Vec<Code>)> = vec![
                (alice(1, CHANGE), CHANGE, Verdict::Approved, vec![]),
                ("Approved-by: Alice Senior <alice@corp.example>\n".into(), CHANGE, Verdict::Rejected, vec![ApprovalUnsigned]),
                (alice(1, OTHER), CHANGE, Verdict::Rejected, vec![ApprovalStale]),
                // A signature for OTHER that claims to be for CHANGE: does not verify at all.
                (alice(1, OTHER).replace(OTHER, CHANGE), CHANGE, Verdict::Rejected, vec![ApprovalSignatureInvalid]),
                (alice(9, CHANGE), CHANGE, Verdict::Rejected, vec![ApprovalKeyUnknown]),
                (alice(2, CHANGE), CHANGE, Verdict::Rejected, vec![ApprovalKeyMismatch]),
                (
                    approval("Alice Senior", "alice@corp.example", 1, CHANGE, "git"),
                    CHANGE,
                    Verdict::Rejected,
                    vec![ApprovalSignatureInvalid],
                ),
                (approval("Mia Mid", "mia@corp.example", 3, CHANGE, NAMESPACE), CHANGE, Verdict::Rejected, vec![ApproverLevelTooLow]),
                // Signed for Sam's email with Alice's key, and the other way round.
                (approval("Sam Staff", "sam@corp.example", 1, CHANGE, NAMESPACE), CHANGE, Verdict::Rejected, vec![ApprovalKeyMismatch]),
                (alice(1, CHANGE).replace("sig=", "sig=AAAA"), CHANGE, Verdict::Rejected, vec![ApprovalSignatureInvalid]),
            ];
            for (lines, change, verdict, codes) in cases {
                assert_eq!(judge(DEV, &lines, change), (verdict, codes), "{lines}");
            }
            // Alice's approval signed for her email does not count as Sam's.
            let moved = alice(1, CHANGE).replace("Alice Senior <alice@corp.example>", "Sam Staff <sam@corp.example>");
            assert_eq!(judge(DEV, &moved, CHANGE), (Verdict::Rejected, vec![ApprovalKeyMismatch]));
        }

        #[test]
        fn a_signed_self_approval_is_still_a_self_approval() {
            let lines = approval("Alice Senior", "alice@corp.example", 1, CHANGE, NAMESPACE);
            assert_eq!(judge("Alice <alice@corp.example>", &lines, CHANGE), (Verdict::Rejected, vec![Code::SelfApproval]));
        }

        #[test]
        fn a_signature_needs_the_change_to_verify() {
            let mut facts =
                commit(DEV, &format!("Change\n\n{AI}\n{}", approval("Alice Senior", "alice@corp.example", 1, CHANGE, NAMESPACE)));
            facts.change_id = None;
            let report = gate().evaluate(facts);
            assert_eq!(report.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [Code::ApprovalSignatureInvalid]);
        }

        #[test]
        fn merge_approvals_count_once_and_not_for_authors() {
            let gate = gate();
            let sam = MergeApproval {
                merge: "m".repeat(40),
                approver: "Sam Staff".into(),
                email: "sam@corp.example".into(),
                signed_at: 0,
                time_problem: None,
            };
            let mut report = gate.evaluate(commit(DEV, &format!("Change\n\n{AI}\n")));
            assert_eq!(report.verdict, Verdict::Rejected);
            gate.apply_merge_approvals(&mut report, std::slice::from_ref(&sam));
            assert_eq!((report.verdict, report.reasons.len()), (Verdict::Approved, 0));
            let mut own = gate.evaluate(commit("Sam <sam@corp.example>", &format!("Change\n\n{AI}\n")));
            gate.apply_merge_approvals(&mut own, &[sam]);
            assert_eq!(own.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [Code::SelfApproval]);
        }
    }
}
