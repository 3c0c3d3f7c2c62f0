//! The text a pusher reads (as `remote:` lines) and `check` prints: which
//! commit, why, and the exact command that fixes it. This is user interface:
//! short, specific, actionable, and snapshot-tested.

use std::fmt::Write as _;

use crate::policy::decision::{PushDecision, RefDecision};
use crate::policy::facts::short_id;
use crate::policy::gate::{CommitReport, Gate, Verdict};
use crate::policy::outcome::{Outcome, Ruling};
use crate::policy::roster::Engineer;
use crate::policy::rules::RuleScope;

/// Markers shown per commit; the rest are counted.
const MAX_MARKERS_SHOWN: usize = 3;
/// Subjects longer than this are shortened.
const MAX_SUBJECT_CHARS: usize = 72;

/// What the text needs from the policy in force.
#[derive(Debug, Clone)]
pub struct Wording<'a> {
    /// The approval trailer key, e.g. `Approved-by`.
    pub approval_trailer: &'a str,
    /// Who may approve, e.g. `senior or above`.
    pub level_phrase: String,
    /// The configured closing advice (may be empty).
    pub help: &'a str,
    /// Whether approvals must be signed (the fix is `signoff-gate approve`).
    pub signed: bool,
    /// Up to [`MAX_APPROVERS_NAMED`] engineers who may approve, as
    /// `Name (level)`.
    pub approvers: Vec<String>,
    /// How many more may approve than are named.
    pub more_approvers: usize,
}

/// Engineers named in a refusal as people who may approve.
pub const MAX_APPROVERS_NAMED: usize = 5;

impl<'a> Wording<'a> {
    /// The wording of the policy in force.
    pub fn new(gate: &'a Gate) -> Wording<'a> {
        // In signed mode only those with a key on the roster can sign.
        let approvers: Vec<&Engineer> =
            gate.roster.engineers().iter().filter(|e| if gate.signed() { gate.can_sign(e) } else { gate.can_approve(e) }).collect();
        Wording {
            approval_trailer: &gate.policy.approval_trailer,
            level_phrase: gate.level_phrase(),
            help: &gate.policy.help,
            signed: gate.signed(),
            approvers: approvers
                .iter()
                .take(MAX_APPROVERS_NAMED)
                .map(|e| format!("{} ({})", e.name, gate.roster.level_name(e.level)))
                .collect(),
            more_approvers: approvers.len().saturating_sub(MAX_APPROVERS_NAMED),
        }
    }
}

/// The full answer shown to a pusher in enforce mode: a refusal with fixes,
/// or (for an accepted push with approved AI-assisted commits) one
/// confirming line. Empty when there is nothing worth saying.
pub fn push_text(decision: &PushDecision, wording: &Wording<'_>) -> String {
    if decision.accepted() {
        return acceptance(decision);
    }
    let mut out = match what_is_wrong(decision, wording) {
        Some(what) => format!("signoff-gate: push refused: {what}\n"),
        None => "signoff-gate: push refused\n".to_owned(),
    };
    out.push_str(&ref_blocks(decision, "refused"));
    let fixes = fixes(decision, wording);
    if !fixes.is_empty() {
        out.push('\n');
        out.push_str(&fixes);
    }
    push_help(&mut out, wording);
    out
}

/// The answer for a ruled push: [`push_text`] when the policy is enforced,
/// a marked warning in warn mode, the bypass when the glass was broken, and
/// a last line when a break-glass request was not used.
pub fn outcome_text(decision: &PushDecision, ruling: &Ruling, wording: &Wording<'_>) -> String {
    let mut out = match ruling.outcome {
        Outcome::Accepted | Outcome::Refused => push_text(decision, wording),
        Outcome::Warned => {
            let mut out = "signoff-gate: WARNING (warn mode): accepted, but an enforcing gate would refuse this push".to_owned();
            if let Some(what) = what_is_wrong(decision, wording) {
                let _ = write!(out, ": {what}");
            }
            out.push('\n');
            out.push_str(&ref_blocks(decision, "would be refused"));
            if wording.signed {
                let _ = write!(
                    out,
                    "\nBefore you push next time: have an engineer of level {} review and sign (signoff-gate approve)\n",
                    wording.level_phrase
                );
            } else {
                let _ = write!(
                    out,
                    "\nBefore you push next time: have an engineer of level {} review, then add \"{}: Name <email>\"\n",
                    wording.level_phrase, wording.approval_trailer
                );
            }
            push_help(&mut out, wording);
            out
        }
        Outcome::BreakGlass => {
            let mut out = "signoff-gate: BREAK-GLASS: push accepted without the required sign-off".to_owned();
            if let Some(what) = what_is_wrong(decision, wording) {
                let _ = write!(out, ": {what}");
            }
            out.push('\n');
            if let Some(used) = &ruling.break_glass {
                let who = used.engineer.as_deref().unwrap_or("the pusher");
                let _ = writeln!(out, "signoff-gate: used by {who}, reason {:?}; this bypass is recorded", used.reason);
            }
            out.push_str(&ref_blocks(decision, "let through without sign-off"));
            let _ = write!(out, "\nAfter the emergency: have these commits reviewed by an engineer of level {}\n", wording.level_phrase);
            out
        }
    };
    if let Some(request) = ruling.break_glass.as_ref().filter(|b| !b.honoured) {
        let why = request.not_honoured.as_deref().unwrap_or("not allowed");
        if ruling.outcome == Outcome::Refused {
            let _ = write!(out, "\nsignoff-gate: break-glass not honoured: {why}\n");
        } else {
            let _ = writeln!(out, "signoff-gate: break-glass not used: {why}");
        }
    }
    out
}

/// "N AI-assisted commits need a sign-off …", when commits are refused,
/// or cannot be read as git reads them.
fn what_is_wrong(decision: &PushDecision, wording: &Wording<'_>) -> Option<String> {
    let unjudgeable = decision.unjudgeable_count();
    let undeclared = decision.undeclared_count();
    let by_rules = decision.rule_refused_count();
    let mut parts = Vec::new();
    match decision.refused_count().saturating_sub(unjudgeable + undeclared + by_rules) {
        0 => {}
        1 => parts.push(format!("1 AI-assisted commit needs a sign-off from an engineer of level {}", wording.level_phrase)),
        n => parts.push(format!("{n} AI-assisted commits need a sign-off from an engineer of level {}", wording.level_phrase)),
    }
    if by_rules > 0 {
        let mut names: Vec<&str> = Vec::new();
        for name in decision.refs.iter().flat_map(|r| &r.unmet_rules) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        let rules = names.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
        let (verb, noun) = if names.len() == 1 { ("asks", "rule") } else { ("ask", "rules") };
        parts.push(format!(
            "{by_rules} commit{} need{} the approvals the blast-radius {noun} {rules} {verb} for",
            plural(by_rules),
            if by_rules == 1 { "s" } else { "" }
        ));
    }
    if undeclared > 0 {
        let verb = if undeclared == 1 { "does" } else { "do" };
        parts.push(format!(
            "{undeclared} commit{} {verb} not declare whether AI helped write {}",
            plural(undeclared),
            if undeclared == 1 { "it" } else { "them" }
        ));
    }
    if unjudgeable > 0 {
        parts.push(format!("{unjudgeable} commit{} the gate cannot read as git does", plural(unjudgeable)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Each refused ref update: its problems and its refused commits.
fn ref_blocks(decision: &PushDecision, verb: &str) -> String {
    let mut out = String::new();
    for decision in &decision.refs {
        for problem in &decision.problems {
            let _ = write!(out, "\n{}: {}: {}\n", decision.update.refname, problem.code, printable(&problem.message));
        }
        if decision.refused_count == 0 {
            continue;
        }
        let count = decision.refused_count;
        let _ =
            write!(out, "\n{}: {count} of {} new commit{} {verb}\n", decision.update.refname, decision.checked, plural(decision.checked));
        for report in &decision.refused {
            out.push_str(&commit_block(report));
        }
        let unlisted = count - decision.refused.len();
        if unlisted > 0 {
            let _ = writeln!(out, "  ... and {unlisted} more commit{} {verb}", plural(unlisted));
        }
    }
    out
}

fn push_help(out: &mut String, wording: &Wording<'_>) {
    if !wording.help.is_empty() {
        out.push('\n');
        out.push_str(wording.help);
        out.push('\n');
    }
}

/// One refused (or, for `check`, any AI-assisted) commit: id, subject, the
/// evidence, and each reason.
pub fn commit_block(report: &CommitReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  {} {}", report.commit.short_id(), shown_subject(report.commit.subject()));
    for marker in report.markers.iter().take(MAX_MARKERS_SHOWN) {
        let _ = writeln!(out, "      AI-assisted ({}): {}", marker.tool, printable(&marker.evidence));
    }
    if report.markers.len() > MAX_MARKERS_SHOWN {
        let more = report.markers.len() - MAX_MARKERS_SHOWN;
        let _ = writeln!(out, "      ... and {more} more marker{}", plural(more));
    }
    for reason in &report.reasons {
        let _ = writeln!(out, "      {}: {}", reason.code, printable(&reason.message));
    }
    out
}

/// `check --explain`: one commit, its verdict, and each blast-radius rule:
/// whether it applies, why, what it needs and whether that is met.
pub fn explain_block(gate: &Gate, scope: RuleScope, report: &CommitReport) -> String {
    let verdict = match report.verdict {
        Verdict::NotAi => "not AI-assisted",
        Verdict::Approved => "approved",
        Verdict::Rejected => "refused",
    };
    let mut out = String::new();
    let _ = writeln!(out, "  {} {} [{verdict}]", report.commit.short_id(), shown_subject(report.commit.subject()));
    for marker in report.markers.iter().take(MAX_MARKERS_SHOWN) {
        let _ = writeln!(out, "      AI-assisted ({}): {}", marker.tool, printable(&marker.evidence));
    }
    let ai = !report.markers.is_empty();
    for (index, rule) in gate.policy.rules.iter().enumerate() {
        let name = &rule.name;
        match report.rules.iter().find(|check| check.index == index) {
            Some(check) => {
                let met = if check.satisfied { "met" } else { "not met" };
                let _ = writeln!(
                    out,
                    "      rule \"{name}\": applies: {}; {}: {met}",
                    printable(&check.triggered_by.join("; ")),
                    check.required
                );
            }
            None => {
                let why = if !scope.contains(index) {
                    "not a rule of this ref"
                } else if !report.commit.judgeable() {
                    "not looked at: the commit cannot be read as git reads it"
                } else if !rule.looks_at(ai) {
                    "does not apply: not AI-assisted"
                } else {
                    "does not apply: its conditions do not hold"
                };
                let _ = writeln!(out, "      rule \"{name}\": {why}");
            }
        }
    }
    for reason in &report.reasons {
        let _ = writeln!(out, "      {}: {}", reason.code, printable(&reason.message));
    }
    out
}

/// The commands that fix the refused commits.
fn fixes(decision: &PushDecision, wording: &Wording<'_>) -> String {
    if wording.signed { signed_fixes(decision, wording) } else { trailer_fixes(decision, wording) }
}

/// The branch name a ref update targets, as a push refspec's destination
/// (`main` for `refs/heads/main`; other refs in full).
fn destination(refname: &str) -> &str {
    refname.strip_prefix("refs/heads/").unwrap_or(refname)
}

/// Signed approvals: who may sign, and the steps from here to the ref,
/// with the parts to fill in marked `<…>`.
fn signed_fixes(decision: &PushDecision, wording: &Wording<'_>) -> String {
    let refusing: Vec<&RefDecision> = decision.refs.iter().filter(|r| r.needs_signoff_count() > 0).collect();
    if refusing.is_empty() {
        return String::new();
    }
    let mut out = format!("To fix: an engineer of level {} reviews and signs", wording.level_phrase);
    if decision.rule_refused_count() > 0 {
        out.push_str(" (and whoever each rule above names)");
    }
    if wording.approvers.is_empty() {
        out.push_str(" (no one on the roster can sign an approval yet: ask an admin to add signing keys)");
    } else {
        let _ = write!(out, ": {}", wording.approvers.join(", "));
        if wording.more_approvers > 0 {
            let _ = write!(out, " or {} more (signoff-gate roster list --approvers)", wording.more_approvers);
        }
    }
    out.push('\n');
    let _ = writeln!(out, "  you:      git push origin HEAD:refs/heads/review/<topic>");
    for decision in &refusing {
        let target = destination(&decision.update.refname);
        let _ = writeln!(out, "  approver: git fetch origin && git switch --detach origin/{target}");
        let _ = writeln!(out, "            signoff-gate approve --merge origin/review/<topic>");
        let _ = writeln!(out, "            git push origin HEAD:{target}");
    }
    let _ = writeln!(out, "  (<topic>: a name for your branch)");
    out
}

/// Unsigned approvals (`approvals = "trailer"`): add the trailer.
fn trailer_fixes(decision: &PushDecision, wording: &Wording<'_>) -> String {
    let refusing: Vec<&RefDecision> = decision.refs.iter().filter(|r| r.needs_signoff_count() > 0).collect();
    if refusing.is_empty() {
        return String::new();
    }
    let trailer = format!("--trailer \"{}: Name <email>\"", wording.approval_trailer);
    let amend = format!("git commit --amend --no-edit {trailer}");
    let mut out = format!("To fix: have an engineer of level {} review, then add their approval", wording.level_phrase);

    // One refused commit at the tip of the pushed ref: amend it.
    if let [only] = refusing.as_slice() {
        let at_tip = only.refused_count == 1 && only.oldest_refused.as_ref().map(|(id, _)| id) == only.tip_commit.as_ref();
        if at_tip {
            let _ = write!(out, ":\n  {amend}\n  git push\n");
            return out;
        }
    }
    out.push_str(" to each commit:\n");
    for decision in &refusing {
        let base = match decision.oldest_refused.as_ref().and_then(|(_, parent)| parent.as_deref()) {
            Some(parent) => short_id(parent).to_owned(),
            None => "--root".to_owned(),
        };
        let merges = if decision.has_merges { " --rebase-merges" } else { "" };
        if refusing.len() > 1 {
            let _ = writeln!(out, "  # on the branch you pushed to {}", decision.update.refname);
        }
        let _ = writeln!(out, "  git rebase{merges} --exec '{amend}' {base}");
    }
    out.push_str("  git push\n");
    out
}

/// The line shown when a push with AI-assisted commits is accepted.
fn acceptance(decision: &PushDecision) -> String {
    let approved: usize = decision.refs.iter().map(|r| r.approved_count).sum();
    if approved == 0 {
        return String::new();
    }
    let named: Vec<String> = decision
        .refs
        .iter()
        .flat_map(|r| r.approved.iter())
        .map(|(id, approvers)| format!("{id} by {}", approvers.join(" and ")))
        .collect();
    let more = approved - named.len();
    let more = if more > 0 { format!(", and {more} more") } else { String::new() };
    format!("signoff-gate: ok: {approved} AI-assisted commit{} signed off ({}{more})\n", plural(approved), named.join(", "))
}

/// A span in the largest whole unit: `90 days`, `4 hours`, `30 minutes`.
pub fn duration_phrase(seconds: i64) -> String {
    let unit = |n: i64, name: &str| format!("{n} {name}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => unit(s / 86_400, "day"),
        s if s >= 3600 && s % 3600 == 0 => unit(s / 3600, "hour"),
        s if s >= 60 && s % 60 == 0 => unit(s / 60, "minute"),
        s => unit(s, "second"),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A commit's subject as a listing shows it: safe ([`printable`]) and cut
/// to one line's width, however long the commit made it.
pub fn shown_subject(subject: &str) -> String {
    shorten(subject, MAX_SUBJECT_CHARS)
}

/// `text` shown safely ([`printable`]), cut to `max` characters.
fn shorten(text: &str, max: usize) -> String {
    let text = printable(text);
    if text.chars().count() <= max {
        return text;
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

/// Text from a commit, safe to show on a terminal: control characters (a
/// subject could hold escapes that move the cursor and erase lines of a
/// refusal, or of the list a senior approves) are shown escaped, and so are the characters that
/// reorder, hide or break a line without showing themselves (bidi
/// controls, zero-width characters, line separators, blank fillers).
pub fn printable(text: &str) -> String {
    let hidden = |c: char| {
        matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
        )
    };
    text.chars().map(|c| if c.is_control() || hidden(c) { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::policy::facts::CommitFacts;
    use crate::policy::gate::{Gate, deletion_refused};
    use crate::policy::identity::Identity;
    use crate::policy::outcome::BreakGlass;
    use crate::policy::refs::RefUpdate;
    use crate::policy::roster::Roster;
    use crate::policy::roster::test_keys::public;
    use std::path::Path;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(printable("Fix\u{1b}[1A\u{1b}[2K tests\r"), "Fix\\u{1b}[1A\\u{1b}[2K tests\\r");
        assert_eq!(printable("Добавить тесты"), "Добавить тесты");
        // Bidi overrides and isolates, zero-width and invisible characters.
        assert_eq!(printable("Fix \u{202e}gnp.exe\u{2066}x\u{200b}\u{3164}"), "Fix \\u{202e}gnp.exe\\u{2066}x\\u{200b}\\u{3164}");
        assert_eq!(printable("a\u{2028}b"), "a\\u{2028}b");
    }

    /// The default policy: signed approvals.
    fn gate() -> Gate {
        gate_with("")
    }

    /// Unsigned approvals (`approvals = "trailer"`).
    fn trailer_gate() -> Gate {
        gate_with("[policy]\napprovals = \"trailer\"\n")
    }

    fn gate_with(config: &str) -> Gate {
        let config = Config::parse(Path::new("sg.toml"), config).expect("config");
        let roster = format!(
            "[[engineer]]\nname = \"Alice Senior\"\nemail = \"alice@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"{}\"]\n\n\
             [[engineer]]\nname = \"Mia Mid\"\nemail = \"mia@corp.example\"\nlevel = \"mid\"\n\n\
             [[engineer]]\nname = \"Sam Staff\"\nemail = \"sam@corp.example\"\nlevel = \"staff\"\nsigning_keys = [\"{}\"]\n\n\
             [[engineer]]\nname = \"Kim Keyless\"\nemail = \"kim@corp.example\"\nlevel = \"staff\"\n",
            public(1),
            public(2)
        );
        let roster = Roster::parse(Path::new("roster.toml"), &roster).expect("roster");
        config.gate(roster).expect("gate")
    }

    fn wording(gate: &Gate) -> Wording<'_> {
        Wording::new(gate)
    }

    fn commit(n: u8, parent: Option<u8>, message: &str) -> CommitFacts {
        let id = |n: u8| format!("{n:02x}").repeat(20);
        let author = Identity::new("Dev Eloper", "dev@corp.example");
        CommitFacts {
            id: id(n),
            parent_ids: parent.map(id).into_iter().collect(),
            committer: author.clone(),
            author_time: 0,
            committer_time: 0,
            author,
            message: message.to_owned(),
            unreadable_encoding: None,
            oversized: None,
            malformed: None,
            change_id: None,
            signature: None,
            other_readings: vec![],
            notes: vec![],
        }
    }

    fn update(refname: &str, old: u8, new: u8) -> RefUpdate {
        let id = |n: u8| if n == 0 { "0".repeat(40) } else { format!("{n:02x}").repeat(20) };
        RefUpdate { old: id(old), new: id(new), refname: refname.to_owned() }
    }

    const CLAUDE: &str = "Add retry to the deploy script\n\nRetries three times.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";

    #[test]
    fn one_unapproved_commit_at_the_tip() {
        let gate = gate();
        insta::assert_snapshot!(push_text(&refused_at_the_tip(&gate), &wording(&gate)));
    }

    /// A subject is shown escaped in a refusal: the pusher may be pushing
    /// someone else's commits, whose subjects could rewrite the lines above.
    #[test]
    fn a_refusal_shows_a_subject_with_escapes_escaped() {
        let gate = gate();
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 2));
        // The subject, the evidence of a marker and a quoted approval line
        // are all the commit's words: none reaches the terminal raw.
        let message = "Tidy\u{1b}[1A\u{1b}[2Kok: all signed off\u{202e}\n\n\
                       Co-Authored-By: Claude\u{2066} \u{1b}[1A <noreply@anthropic.com>\n\
                       Approved-by: Sam\u{1b}[2K\u{202e} Senior <sam@corp.example>\n";
        decision.record(index, gate.evaluate(commit(2, Some(1), message)));
        let text = push_text(&decision, &wording(&gate));
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{2066}'), "{text}");
        assert!(text.contains("Tidy\\u{1b}[1A\\u{1b}[2Kok: all signed off\\u{202e}"), "{text}");
        assert!(text.contains("Claude\\u{2066} \\u{1b}[1A <noreply@anthropic.com>"), "{text}");
        assert!(text.contains("Sam\\u{1b}[2K\\u{202e} Senior"), "{text}");
    }

    #[test]
    fn the_unsigned_fix_adds_a_trailer() {
        let gate = trailer_gate();
        insta::assert_snapshot!(push_text(&refused_at_the_tip(&gate), &wording(&gate)));
    }

    #[test]
    fn several_commits_with_bad_approvals() {
        let gate = gate();
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 5));
        decision.refs[index].tip_commit = Some(commit(5, Some(4), "").id);
        let messages = [
            (5, 4, "Tidy docs\n"),
            (4, 3, "Refactor env setup\n\nCo-authored-by: Codex <noreply@openai.com>\nApproved-by: Mia Mid <mia@corp.example>\n"),
            (
                3,
                2,
                "Fix flaky test\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\nApproved-by: Dev Eloper <dev@corp.example>\nApproved-by: LGTM\n",
            ),
            (2, 1, CLAUDE),
        ];
        for (id, parent, message) in messages {
            decision.record(index, gate.evaluate(commit(id, Some(parent), message)));
        }
        insta::assert_snapshot!(push_text(&decision, &wording(&gate)));
    }

    #[test]
    fn a_blast_radius_rule_and_a_rewrite() {
        let gate = gate_with(
            "[[policy.rule]]\nname = \"infrastructure\"\ndescription = \"Deleting infrastructure needs a staff engineer\"\n\
             paths = [\"infra/**\"]\nmin_deleted_files = 10\nmin_approver_level = \"staff\"\n",
        );
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 3));
        decision.refs[index].tip_commit = Some(commit(3, Some(2), "").id);
        decision.refs[index].problems.push(crate::policy::gate::rewrite_refused("refs/heads/main", &"01".repeat(20), 4));
        let message = "Delete and recreate the environment\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";
        let mut infra = crate::policy::rules::Table::of(
            (0..41).map(|n| (format!("infra/prod/{n:02}.tf"), Some(crate::policy::rules::EntryKind::File), None, None)),
        );
        let report = gate.evaluate_in(commit(3, Some(2), message), crate::policy::rules::RuleScope::ALL, &mut infra);
        decision.record(index, report);
        insta::assert_snapshot!(push_text(&decision, &wording(&gate)));
    }

    #[test]
    fn deleting_a_protected_branch() {
        let gate = gate();
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 0));
        decision.refs[index].problems.push(deletion_refused("refs/heads/main"));
        insta::assert_snapshot!(push_text(&decision, &wording(&gate)));
    }

    #[test]
    fn lists_at_most_twenty() {
        let gate = trailer_gate();
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/release/2", 0, 30));
        for n in (1..=30).rev() {
            decision.record(index, gate.evaluate(commit(n, (n > 1).then(|| n - 1), CLAUDE)));
        }
        let text = push_text(&decision, &wording(&gate));
        assert_eq!(text.matches("Add retry").count(), 20);
        assert!(text.contains("... and 10 more commits refused"), "{text}");
        assert!(text.contains("' --root\n"), "{text}");
    }

    fn refused_at_the_tip(gate: &Gate) -> PushDecision {
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 2));
        decision.refs[index].tip_commit = Some(commit(2, Some(1), "").id);
        decision.record(index, gate.evaluate(commit(2, Some(1), CLAUDE)));
        decision
    }

    #[test]
    fn warn_mode_marks_the_refusal_as_a_warning() {
        let gate = gate();
        let ruling = Ruling { outcome: Outcome::Warned, break_glass: None };
        insta::assert_snapshot!(outcome_text(&refused_at_the_tip(&gate), &ruling, &wording(&gate)));
    }

    #[test]
    fn break_glass_says_it_was_used_and_recorded() {
        let gate = gate();
        let used = BreakGlass { reason: "prod is down".into(), engineer: Some("Alice Senior".into()), honoured: true, not_honoured: None };
        let ruling = Ruling { outcome: Outcome::BreakGlass, break_glass: Some(used) };
        insta::assert_snapshot!(outcome_text(&refused_at_the_tip(&gate), &ruling, &wording(&gate)));
    }

    #[test]
    fn a_refused_break_glass_says_why() {
        let gate = gate();
        let declined = BreakGlass {
            reason: "prod is down".into(),
            engineer: Some("Mia Mid".into()),
            honoured: false,
            not_honoured: Some("Mia Mid may not break the glass (the roster does not say `break_glass = true`)".into()),
        };
        let ruling = Ruling { outcome: Outcome::Refused, break_glass: Some(declined) };
        let text = outcome_text(&refused_at_the_tip(&gate), &ruling, &wording(&gate));
        assert!(text.starts_with(&push_text(&refused_at_the_tip(&gate), &wording(&gate))), "{text}");
        assert!(
            text.ends_with(
                "\nsignoff-gate: break-glass not honoured: Mia Mid may not break the glass (the roster does not say `break_glass = true`)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_accepted_push_names_its_approvals() {
        let gate = trailer_gate();
        let mut decision = PushDecision::default();
        let index = decision.begin_ref(update("refs/heads/main", 1, 2));
        let approved = format!("{CLAUDE}Approved-by: Alice Senior <alice@corp.example>\n");
        decision.record(index, gate.evaluate(commit(2, Some(1), &approved)));
        assert_eq!(
            push_text(&decision, &wording(&gate)),
            "signoff-gate: ok: 1 AI-assisted commit signed off (020202020202 by Alice Senior)\n"
        );
        let mut quiet = PushDecision::default();
        let index = quiet.begin_ref(update("refs/heads/main", 1, 2));
        quiet.record(index, gate.evaluate(commit(2, Some(1), "Plain change\n")));
        assert_eq!(push_text(&quiet, &wording(&gate)), "");
    }
}
