//! The policy: is a commit AI-assisted, are its approvals valid, may it enter
//! a protected ref. Plain functions over plain data: no git, no HTTP, no I/O.
//!
//! A refused commit is a result ([`Verdict::Rejected`] with [`Reason`]s),
//! not an error.

use serde::Serialize;

use crate::policy::detect::{Detector, Marker};
use crate::policy::facts::CommitFacts;
use crate::policy::identity::Identity;
use crate::policy::outcome::Mode;
use crate::policy::refs::ProtectedRefs;
use crate::policy::refs::RefUpdate;
use crate::policy::roster::{Engineer, Roster};
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
    /// A push deletes a protected ref.
    ProtectedRefDeletion,
    /// A protected ref would point at something that is not a commit.
    NotACommit,
    /// The commit declares a message encoding the gate cannot read.
    UnreadableMessage,
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
            Code::ProtectedRefDeletion => "protected-ref-deletion",
            Code::NotACommit => "not-a-commit",
            Code::UnreadableMessage => "unreadable-message",
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

/// One approval trailer and what the policy made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalCheck {
    /// The trailer as written, e.g. `Approved-by: Alice <alice@example.com>`.
    pub trailer: String,
    /// The email it names, when it names one.
    pub email: Option<String>,
    /// The roster engineer the email belongs to.
    pub approver: Option<String>,
    /// Whether it counts towards the required approvals.
    pub valid: bool,
    /// Why it does not count, when it does not.
    pub code: Option<Code>,
}

/// Everything the policy decided about one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReport {
    /// The commit as the git edge described it.
    pub commit: CommitFacts,
    /// The evidence of AI assistance; empty when there is none.
    pub markers: Vec<Marker>,
    /// Every approval trailer, valid or not.
    pub approvals: Vec<ApprovalCheck>,
    /// The outcome.
    pub verdict: Verdict,
    /// Why it is refused (empty unless rejected).
    pub reasons: Vec<Reason>,
}

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
}

impl Gate {
    /// Combines the policy, the detection rules and a roster; fails (with a
    /// message) when the roster does not declare `min_approver_level`.
    pub fn new(policy: PolicyConfig, detector: Detector, roster: Roster) -> Result<Gate, String> {
        let level = &policy.min_approver_level;
        let min_rank = roster.level_rank(level).ok_or_else(|| {
            format!("`min_approver_level` = \"{level}\" is not a level of the roster (its levels are: {})", roster.levels().join(", "))
        })?;
        Ok(Gate { policy, detector, roster, min_rank })
    }

    /// "senior or above", as shown to people.
    pub fn level_phrase(&self) -> String {
        let name = self.roster.level_name(self.min_rank);
        if self.min_rank + 1 >= self.roster.levels().len() { name.to_owned() } else { format!("{name} or above") }
    }

    /// Whether an engineer's approvals count (active, level high enough).
    pub fn can_approve(&self, engineer: &Engineer) -> bool {
        engineer.active && engineer.level >= self.min_rank
    }

    /// How many people on the roster can approve.
    pub fn approver_count(&self) -> usize {
        self.roster.approver_count(self.min_rank)
    }

    /// Decides one commit.
    pub fn evaluate(&self, commit: CommitFacts) -> CommitReport {
        let trailers = trailers::parse(&commit.message);
        let detection = self.detector.detect(&commit, &trailers);
        let key = &self.policy.approval_trailer;

        let mut authors: Vec<&Identity> = vec![&commit.author];
        authors.extend(detection.human_coauthors.iter());

        let mut approvals = Vec::new();
        let mut reasons = Vec::new();
        let mut approvers: Vec<&str> = Vec::new();
        for trailer in trailers.iter().filter(|t| t.key_is(key)) {
            let line = trailer.to_string();
            let identity = Identity::parse(&trailer.value);
            let engineer = identity.as_ref().and_then(|i| self.roster.engineer_by_email(&i.email));
            let problem = match (&identity, engineer) {
                (None, _) => Some((Code::MalformedApproval, format!("\"{line}\" names no approver; write \"{key}: Name <email>\""))),
                (Some(identity), None) => Some((Code::ApproverUnknown, format!("\"{line}\": {} is not on the roster", identity.email))),
                (Some(_), Some(engineer)) if !engineer.active => {
                    Some((Code::ApproverInactive, format!("\"{line}\": {} is not active on the roster", engineer.name)))
                }
                (Some(_), Some(engineer)) if engineer.level < self.min_rank => Some((
                    Code::ApproverLevelTooLow,
                    format!(
                        "\"{line}\": {} is {}; approvals need {}",
                        engineer.name,
                        self.roster.level_name(engineer.level),
                        self.level_phrase()
                    ),
                )),
                (Some(identity), Some(engineer))
                    if authors.iter().any(|a| engineer.owns_email(&a.email) || a.email.eq_ignore_ascii_case(&identity.email)) =>
                {
                    Some((Code::SelfApproval, format!("\"{line}\": {} is an author of this commit and cannot approve it", engineer.name)))
                }
                (Some(_), Some(_)) => None,
            };
            if problem.is_none() {
                if let Some(engineer) = engineer {
                    if !approvers.contains(&engineer.email.as_str()) {
                        approvers.push(engineer.email.as_str());
                    }
                }
            }
            approvals.push(ApprovalCheck {
                trailer: line,
                email: identity.map(|i| i.email),
                approver: engineer.map(|e| e.name.clone()),
                valid: problem.is_none(),
                code: problem.as_ref().map(|(code, _)| *code),
            });
            if let Some((code, message)) = problem {
                reasons.push(Reason { code, message });
            }
        }

        let ai_assisted = !detection.markers.is_empty();
        let required = self.policy.required_approvals;
        if let Some(encoding) = &commit.unreadable_encoding {
            // Fail closed: what git shows could differ from what we read.
            let message = format!("the message is declared as {encoding}, which the gate cannot read; re-commit it in UTF-8");
            return CommitReport {
                commit,
                markers: detection.markers,
                approvals,
                verdict: Verdict::Rejected,
                reasons: vec![Reason { code: Code::UnreadableMessage, message }],
            };
        }
        let verdict = if !ai_assisted {
            Verdict::NotAi
        } else if approvers.len() >= required {
            Verdict::Approved
        } else {
            Verdict::Rejected
        };
        if verdict == Verdict::Rejected {
            // Invalid approvals explain themselves; say what is missing when
            // they do not account for every required approval, and always
            // count when more than one is required.
            if approvers.len() + reasons.len() < required || required > 1 {
                let message = if required == 1 {
                    format!(
                        "no approval: needs \"{key}: Name <email>\" of an active engineer of level {} who is not an author",
                        self.level_phrase()
                    )
                } else {
                    format!(
                        "{} of {required} required approvals: needs \"{key}:\" of {required} distinct active engineers of level {} who are not authors",
                        approvers.len(),
                        self.level_phrase()
                    )
                };
                reasons.push(Reason { code: Code::AiUnapproved, message });
            }
        } else {
            reasons.clear();
        }
        let approvals_valid = approvals;
        CommitReport { commit, markers: detection.markers, approvals: approvals_valid, verdict, reasons }
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
        let config = Config::parse(Path::new("sg.toml"), &format!("[policy]\nrequired_approvals = {required}\n")).expect("config");
        let roster = Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster");
        config.gate(roster).expect("gate")
    }

    fn commit(author: &str, message: &str) -> CommitFacts {
        let author = Identity::parse(author).expect("author");
        CommitFacts {
            id: "a".repeat(40),
            parent_ids: vec![],
            committer: author.clone(),
            author,
            message: message.into(),
            unreadable_encoding: None,
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
        ];
        for (author, trailers, verdict, codes) in cases {
            assert_eq!(outcome(&one, author, trailers), (*verdict, codes.to_vec()), "{author} {trailers:?}");
        }
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
        assert_eq!((problem.line, problem.column), (2, 22));
    }
}
