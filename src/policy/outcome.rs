//! What becomes of a push once the policy has judged it: accepted, refused,
//! accepted with a warning (warn mode), or let through by break-glass.
//! Plain functions over plain data: no git, no HTTP, no I/O.

use serde::Serialize;

use crate::policy::decision::PushDecision;
use crate::policy::roster::Roster;

/// Whether refusals are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Refused pushes are refused.
    Enforce,
    /// Refused pushes are accepted with a warning (for roll-out).
    Warn,
}

impl Mode {
    /// The name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
        }
    }
}

/// The push option that asks for break-glass: `-o signoff-gate.break-glass=<reason>`.
pub const BREAK_GLASS_OPTION: &str = "signoff-gate.break-glass";

/// The outcome of a push, as the pusher sees it and the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The policy found nothing to refuse.
    Accepted,
    /// The policy refused the push, and the push is refused.
    Refused,
    /// The policy would refuse the push, but warn mode accepts it.
    Warned,
    /// The policy refused the push, and an allowed engineer broke the glass.
    BreakGlass,
}

impl Outcome {
    /// Whether git may go ahead with the push.
    pub fn accepted(self) -> bool {
        self != Outcome::Refused
    }

    /// The kebab-case name, e.g. `break-glass`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::Warned => "warned",
            Outcome::BreakGlass => "break-glass",
        }
    }
}

/// A break-glass request and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlass {
    /// The reason given (trimmed; may be empty).
    pub reason: String,
    /// The roster engineer the pusher is, when they are one.
    pub engineer: Option<String>,
    /// Whether the bypass was used.
    pub honoured: bool,
    /// Why it was not used, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_honoured: Option<String>,
}

/// The outcome for a push and, when break-glass was asked for, what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruling {
    /// What happens to the push.
    pub outcome: Outcome,
    /// The break-glass request, when the push carried one.
    pub break_glass: Option<BreakGlass>,
}

/// The break-glass reason among the push options, when one asks for it
/// (the last one wins, as with repeated options elsewhere in git). A bare
/// `signoff-gate.break-glass` gives an empty reason.
pub fn break_glass_reason(push_options: &[String]) -> Option<String> {
    push_options.iter().rev().find_map(|option| {
        if option == BREAK_GLASS_OPTION {
            return Some(String::new());
        }
        option.strip_prefix(BREAK_GLASS_OPTION)?.strip_prefix('=').map(|reason| reason.trim().to_owned())
    })
}

/// Rules on a judged push: `mode` from the policy, the push options, the
/// pusher as the git host names them, and the roster that says who may
/// break the glass.
pub fn rule(decision: &PushDecision, mode: Mode, push_options: &[String], pusher: Option<&str>, roster: &Roster) -> Ruling {
    let reason = break_glass_reason(push_options);
    let engineer = pusher.and_then(|pusher| roster.engineer_by_pusher(pusher));
    let declined = |why: String| BreakGlass {
        reason: reason.clone().unwrap_or_default(),
        engineer: engineer.map(|e| e.name.clone()),
        honoured: false,
        not_honoured: Some(why),
    };
    let not_needed = |why: &str| reason.as_ref().map(|_| declined(why.to_owned()));

    if decision.accepted() {
        return Ruling { outcome: Outcome::Accepted, break_glass: not_needed("the push passes the gate; nothing was bypassed") };
    }
    if mode == Mode::Warn {
        return Ruling { outcome: Outcome::Warned, break_glass: not_needed("warn mode accepts this push anyway") };
    }
    let Some(reason) = reason.as_deref() else {
        return Ruling { outcome: Outcome::Refused, break_glass: None };
    };
    let refusal = match (pusher, engineer) {
        (None, _) => Some("the git host did not say who is pushing, so the roster cannot be asked".to_owned()),
        (Some(pusher), None) => Some(format!("the pusher {pusher:?} is not an engineer on the roster")),
        (Some(_), Some(engineer)) if !engineer.active => Some(format!("{} is not active on the roster", engineer.name)),
        (Some(_), Some(engineer)) if !engineer.break_glass => {
            Some(format!("{} may not break the glass (the roster does not say `break_glass = true`)", engineer.name))
        }
        (Some(_), Some(_)) if reason.is_empty() => {
            Some(format!("a reason is required: git push -o {BREAK_GLASS_OPTION}=\"<what is on fire>\""))
        }
        (Some(_), Some(_)) => None,
    };
    match refusal {
        Some(why) => Ruling { outcome: Outcome::Refused, break_glass: Some(declined(why)) },
        None => Ruling {
            outcome: Outcome::BreakGlass,
            break_glass: Some(BreakGlass {
                reason: reason.to_owned(),
                engineer: engineer.map(|e| e.name.clone()),
                honoured: true,
                not_honoured: None,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::gate::deletion_refused;
    use crate::policy::refs::RefUpdate;
    use std::path::Path;

    fn roster() -> Roster {
        Roster::parse(
            Path::new("roster.toml"),
            r#"
[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
level = "senior"
logins = ["alice"]
break_glass = true

[[engineer]]
name = "Bob Senior"
email = "bob@corp.example"
level = "senior"
logins = ["bob"]

[[engineer]]
name = "Olga Former"
email = "olga@corp.example"
level = "senior"
logins = ["olga"]
active = false
break_glass = true
"#,
        )
        .expect("roster")
    }

    fn refused() -> PushDecision {
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(RefUpdate { old: "1".repeat(40), new: "0".repeat(40), refname: "refs/heads/main".into() });
        decision.refs[index].problems.push(deletion_refused("refs/heads/main"));
        decision
    }

    fn options(reason: &str) -> Vec<String> {
        vec!["ci.skip".to_owned(), format!("{BREAK_GLASS_OPTION}={reason}")]
    }

    #[test]
    fn reads_the_reason_from_push_options() {
        assert_eq!(break_glass_reason(&[]), None);
        assert_eq!(break_glass_reason(&["signoff-gate.break-glassy=x".into()]), None);
        assert_eq!(break_glass_reason(&[BREAK_GLASS_OPTION.into()]), Some(String::new()));
        assert_eq!(break_glass_reason(&options("  prod is down ")), Some("prod is down".into()));
    }

    #[test]
    fn enforce_refuses_and_warn_accepts() {
        let roster = roster();
        assert_eq!(rule(&refused(), Mode::Enforce, &[], Some("bob"), &roster).outcome, Outcome::Refused);
        assert_eq!(rule(&refused(), Mode::Warn, &[], Some("bob"), &roster).outcome, Outcome::Warned);
        assert_eq!(rule(&PushDecision::default(), Mode::Enforce, &[], None, &roster).outcome, Outcome::Accepted);
    }

    #[test]
    fn only_allowed_engineers_with_a_reason_break_the_glass() {
        let roster = roster();
        let honoured = rule(&refused(), Mode::Enforce, &options("prod down"), Some("ALICE"), &roster);
        assert_eq!(honoured.outcome, Outcome::BreakGlass);
        assert_eq!(honoured.break_glass.as_ref().and_then(|b| b.engineer.as_deref()), Some("Alice Senior"));

        let why = |reason: &str, pusher: Option<&str>| {
            let ruling = rule(&refused(), Mode::Enforce, &options(reason), pusher, &roster);
            assert_eq!(ruling.outcome, Outcome::Refused);
            ruling.break_glass.and_then(|b| b.not_honoured).expect("a reason it was not honoured")
        };
        assert!(why("prod down", None).contains("did not say who is pushing"));
        assert!(why("prod down", Some("mallory")).contains("\"mallory\" is not an engineer"));
        assert!(why("prod down", Some("olga")).contains("not active"));
        assert!(why("prod down", Some("bob")).contains("may not break the glass"));
        assert!(why("   ", Some("alice")).contains("a reason is required"));
    }

    #[test]
    fn break_glass_is_not_used_when_nothing_needs_bypassing() {
        let roster = roster();
        let accepted = rule(&PushDecision::default(), Mode::Enforce, &options("x"), Some("alice"), &roster);
        assert_eq!(accepted.outcome, Outcome::Accepted);
        assert_eq!(accepted.break_glass.map(|b| b.honoured), Some(false));
        let warned = rule(&refused(), Mode::Warn, &options("x"), Some("alice"), &roster);
        assert_eq!(warned.outcome, Outcome::Warned);
        assert_eq!(warned.break_glass.map(|b| b.honoured), Some(false));
    }
}
