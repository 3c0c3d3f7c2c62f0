//! The review-rate rule: no approver signs off changed lines faster than
//! anyone can read them (`policy.max_review_rate`, e.g. `"500 lines/hour"`).
//!
//! Each approver has a reading budget, measured in changed lines, that
//! fills at the configured rate up to one window's worth (`review_window`,
//! 4 hours by default: 2,000 lines at 500 lines/hour) and starts full at
//! the window's start. Every signed approval spends the changed lines of
//! what it approves, at its signing time. A budget that goes below zero
//! means the approver signed more than they could have read: the push that
//! carries that approval is refused. A large change reviewed for hours can
//! be signed at once; signing faster than reading, again and again, cannot.
//!
//! Pure: approvals in (from the push and from recent history on protected
//! refs, with their signing times), findings out.

use std::collections::BTreeMap;

/// The configured rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewRate {
    /// The most changed lines an approver reads in an hour.
    pub lines_per_hour: u64,
    /// How far back approvals count, in seconds; the budget holds at most
    /// this long's worth of lines.
    pub window_seconds: i64,
}

/// The default `review_window`: four hours.
pub const DEFAULT_WINDOW_SECONDS: i64 = 4 * 3600;

impl ReviewRate {
    /// The budget's size: the window's worth of lines.
    fn capacity(&self) -> f64 {
        self.lines_per_hour as f64 * self.window_seconds as f64 / 3600.0
    }

    /// `500 lines/hour`.
    pub fn describe(&self) -> String {
        format!("{} lines/hour", crate::policy::rules::thousands(self.lines_per_hour))
    }
}

/// Parses `"500 lines/hour"` (also `line`, `/h`).
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let bad = || format!("\"{text}\" is not a review rate; write e.g. \"500 lines/hour\"");
    let (number, unit) = text.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
    let unit: String = unit.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if !matches!(unit.as_str(), "lines/hour" | "line/hour" | "lines/h" | "line/h") {
        return Err(bad());
    }
    match number.parse::<u64>() {
        Ok(0) => Err(format!("\"{text}\": the rate must be at least 1 line/hour")),
        Ok(lines) if lines <= 1_000_000_000 => Ok(lines),
        _ => Err(bad()),
    }
}

/// Parses a duration such as `"4 hours"`, `"90 days"`, `"30 minutes"`,
/// `"600 seconds"` into seconds (at least one second, at most 100 years).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("\"{text}\" is not a duration; write e.g. \"4 hours\", \"90 days\" or \"30 minutes\"");
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let scale: i64 = match unit.as_str() {
        "s" | "sec" | "second" | "seconds" => 1,
        "m" | "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return Err(bad()),
    };
    let seconds = number.parse::<i64>().ok().and_then(|n| n.checked_mul(scale)).ok_or_else(bad)?;
    if !(1..=100 * 365 * 86_400).contains(&seconds) {
        return Err(format!("\"{text}\" is out of range (one second to 100 years)"));
    }
    Ok(seconds)
}

/// One signed approval, as the rule counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedApproval {
    /// The approver's primary email on the roster (lowercase).
    pub email: String,
    /// The approver's name on the roster.
    pub name: String,
    /// When it was signed (seconds since 1970).
    pub signed_at: i64,
    /// The changed lines it approves.
    pub lines: u64,
    /// Where it came from: `Some(index)` of the push's ref update it
    /// enters, `None` for one already on a protected ref.
    pub pushed: Option<usize>,
}

/// An approver who signed faster than the rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// The approver's name.
    pub name: String,
    /// The approver's email.
    pub email: String,
    /// Changed lines signed within the window, up to the approval that
    /// overdrew the budget.
    pub lines: u64,
    /// The first and last signing time of those approvals.
    pub from: i64,
    /// See `from`.
    pub to: i64,
    /// How many of those lines came with this push.
    pub pushed_lines: u64,
    /// The push's ref updates (indices) whose approvals overdrew it.
    pub refs: Vec<usize>,
}

/// The approvers whose budget the push's approvals overdraw, by email.
/// The budgets are followed from one window before the earliest approval
/// of the push ([`since`]): an approval is weighed at the time it was
/// signed, however long it was held before the push. Earlier approvals are
/// not counted (the caller refuses future-dated ones on their own).
/// Linear after sorting.
pub fn exceeded(rate: &ReviewRate, now: i64, approvals: &[SignedApproval]) -> Vec<Exceeded> {
    let start = since(rate, now, approvals);
    let mut by_approver: BTreeMap<&str, Vec<&SignedApproval>> = BTreeMap::new();
    for approval in approvals.iter().filter(|a| a.signed_at >= start) {
        by_approver.entry(approval.email.as_str()).or_default().push(approval);
    }
    let capacity = rate.capacity();
    let per_second = rate.lines_per_hour as f64 / 3600.0;
    let mut found = Vec::new();
    for (email, mut list) in by_approver {
        // Only a push that adds approvals can overdraw: history alone was
        // judged when it was pushed.
        if list.iter().all(|a| a.pushed.is_none()) {
            continue;
        }
        // Same time: history first, then the push, in the order given.
        list.sort_by_key(|a| (a.signed_at, a.pushed.is_some()));
        // The budget with the push's approvals, and with history alone: an
        // overdraw the push causes (at its own approval, or at a later one
        // already on a protected ref that fitted without it) is the push's.
        let (mut level, mut alone, mut at) = (capacity, capacity, start);
        let mut spent: u64 = 0;
        let mut pushed_lines: u64 = 0;
        let mut from: Option<i64> = None;
        let mut over: Option<Exceeded> = None;
        // The push's ref updates whose approvals came so far.
        let mut pushed_refs: Vec<usize> = Vec::new();
        // How many of `pushed_refs` an overdraw at history has named.
        let mut flagged = 0;
        for approval in list {
            let time = approval.signed_at.max(at);
            let refill = (time - at) as f64 * per_second;
            level = (level + refill).min(capacity);
            alone = (alone + refill).min(capacity);
            at = time;
            level -= approval.lines as f64;
            spent += approval.lines;
            match approval.pushed {
                Some(index) => {
                    pushed_lines += approval.lines;
                    if !pushed_refs.contains(&index) {
                        pushed_refs.push(index);
                    }
                }
                None => alone -= approval.lines as f64,
            }
            let from = *from.get_or_insert(approval.signed_at);
            let by_the_push = approval.pushed.is_some() || (alone >= 0.0 && !pushed_refs.is_empty());
            if level < 0.0 && by_the_push {
                let entry = over.get_or_insert_with(|| Exceeded {
                    name: approval.name.clone(),
                    email: email.to_owned(),
                    lines: 0,
                    from,
                    to: 0,
                    pushed_lines: 0,
                    refs: Vec::new(),
                });
                entry.lines = spent;
                entry.to = approval.signed_at;
                entry.pushed_lines = pushed_lines;
                // Its own update, or every update whose approvals came
                // before (each added once, however many overdraws follow).
                let refs: &[usize] = match &approval.pushed {
                    Some(index) => std::slice::from_ref(index),
                    None => &pushed_refs[flagged..],
                };
                for &index in refs {
                    if !entry.refs.contains(&index) {
                        entry.refs.push(index);
                    }
                }
                if approval.pushed.is_none() {
                    flagged = pushed_refs.len();
                }
            }
        }
        found.extend(over);
    }
    found
}

/// Where the budgets of a push's `approvals` start: one window before the
/// earliest of them that the push brings, or before `now`.
pub fn since(rate: &ReviewRate, now: i64, approvals: &[SignedApproval]) -> i64 {
    let earliest = approvals.iter().filter(|a| a.pushed.is_some()).map(|a| a.signed_at).min().unwrap_or(now);
    earliest.min(now).saturating_sub(rate.window_seconds)
}

/// The refusal for an approver who signed too fast: who, how many lines,
/// over what time, and the configured rate.
pub fn reason(found: &Exceeded, rate: &ReviewRate) -> crate::policy::gate::Reason {
    use crate::policy::calendar::utc_time;
    use crate::policy::render::duration_phrase;
    use crate::policy::rules::thousands;
    let span = if found.from == found.to {
        format!("at {}", utc_time(found.to))
    } else {
        format!("between {} and {} ({})", utc_time(found.from), utc_time(found.to), duration_phrase(found.to - found.from))
    };
    let this_push =
        if found.pushed_lines == found.lines { String::new() } else { format!(", {} of them in this push", thousands(found.pushed_lines)) };
    let message = format!(
        "{} signed approvals of {} changed lines {span}{this_push}; policy.max_review_rate allows {} (at most {} lines within {}); \
         spread the review over more time, or ask another approver",
        found.name,
        thousands(found.lines),
        rate.describe(),
        thousands(rate.capacity() as u64),
        duration_phrase(rate.window_seconds),
    );
    crate::policy::gate::Reason { code: crate::policy::gate::Code::ReviewRateExceeded, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    fn approval(at: i64, lines: u64, pushed: bool) -> SignedApproval {
        SignedApproval {
            email: "sam@corp.example".to_owned(),
            name: "Sam Senior".to_owned(),
            signed_at: at,
            lines,
            pushed: pushed.then_some(0),
        }
    }

    #[test]
    fn reads_rates_and_durations() {
        assert_eq!(parse_rate("500 lines/hour"), Ok(500));
        assert_eq!(parse_rate(" 1 line / h "), Ok(1));
        assert!(parse_rate("500").is_err());
        assert!(parse_rate("0 lines/hour").is_err());
        assert!(parse_rate("fast lines/hour").is_err());
        assert!(parse_rate("500 lines/day").is_err());
        assert_eq!(parse_duration("4 hours"), Ok(4 * HOUR));
        assert_eq!(parse_duration("90 days"), Ok(90 * 86_400));
        assert_eq!(parse_duration("30min"), Ok(1800));
        assert!(parse_duration("0 hours").is_err());
        assert!(parse_duration("hours").is_err());
        assert!(parse_duration("4 fortnights").is_err());
        assert!(parse_duration("99999999999999 days").is_err());
    }

    #[test]
    fn signing_three_thousand_lines_in_ten_minutes_overdraws_five_hundred_an_hour() {
        let rate = ReviewRate { lines_per_hour: 500, window_seconds: HOUR };
        let now = 100 * HOUR;
        let burst: Vec<SignedApproval> = (0..6).map(|k| approval(now - 600 + k * 120, 500, true)).collect();
        let found = exceeded(&rate, now, &burst);
        assert_eq!(found.len(), 1, "{found:?}");
        // The second approval overdraws: 500 (full) - 500 + 2 min of reading - 500 < 0.
        assert_eq!((found[0].lines, found[0].from, found[0].to), (3000, now - 600, now));
        assert_eq!(found[0].pushed_lines, 3000);
        // Without the rule's pressure (a far higher rate) nothing is found.
        assert!(exceeded(&ReviewRate { lines_per_hour: 100_000, window_seconds: HOUR }, now, &burst).is_empty());
    }

    #[test]
    fn approvals_spread_over_the_window_pass_and_history_counts() {
        let rate = ReviewRate { lines_per_hour: 500, window_seconds: 4 * HOUR };
        let now = 100 * HOUR;
        // 400 lines every hour for four hours: reading keeps up.
        let spread: Vec<SignedApproval> = (0..5).map(|k| approval(now - 4 * HOUR + k * HOUR, 400, k == 4)).collect();
        assert!(exceeded(&rate, now, &spread).is_empty());
        // The budget (2,000 lines) spent by history an hour ago, then a
        // 1,000-line approval now: 500 lines of reading since is not enough.
        let mut spent = vec![approval(now - HOUR, 2000, false), approval(now, 1000, true)];
        let found = exceeded(&rate, now, &spent);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].lines, found[0].pushed_lines), (3000, 1000));
        // History alone never refuses a push that adds nothing.
        spent.pop();
        spent.push(approval(now, 10_000, false));
        assert!(exceeded(&rate, now, &spent).is_empty());
        // Approvals older than the window do not count.
        let old = vec![approval(now - 5 * HOUR, 2000, false), approval(now, 2000, true)];
        assert!(exceeded(&rate, now, &old).is_empty());
    }

    #[test]
    fn approvals_held_past_the_window_are_weighed_when_they_were_signed() {
        let rate = ReviewRate { lines_per_hour: 500, window_seconds: 4 * HOUR };
        let now = 100 * HOUR;
        // Four 1,500-line approvals signed within 80 seconds, pushed five
        // hours later: the burst is what counts, not the wait.
        let held: Vec<SignedApproval> = (0..4).map(|k| approval(now - 5 * HOUR + k * 20, 1500, true)).collect();
        let found = exceeded(&rate, now, &held);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].lines, found[0].from, found[0].to), (6000, now - 5 * HOUR, now - 5 * HOUR + 60));
        assert_eq!(since(&rate, now, &held), now - 9 * HOUR);
        // One of them alone fits the budget, whenever it was signed.
        assert!(exceeded(&rate, now, &held[..1]).is_empty());
    }

    #[test]
    fn an_approval_pushed_after_a_later_one_overdraws_at_the_later_one() {
        let rate = ReviewRate { lines_per_hour: 500, window_seconds: 4 * HOUR };
        let now = 100 * HOUR;
        // B (2,000 lines, a minute after A) went in first, alone within
        // the budget; A (1,500 lines) pushed afterwards fits where it was
        // signed, but leaves B overdrawn.
        let later = vec![approval(now - 3600, 1500, true), approval(now - 3540, 2000, false)];
        let found = exceeded(&rate, now, &later);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].lines, found[0].pushed_lines, found[0].to), (3500, 1500, now - 3540));
        // History that overdrew on its own is not the push's doing.
        let already = vec![approval(now - 3600, 10, true), approval(now - 3540, 2500, false)];
        assert!(exceeded(&rate, now, &already).is_empty());
    }

    #[test]
    fn one_large_change_within_the_budget_passes_and_one_line_more_does_not() {
        let rate = ReviewRate { lines_per_hour: 500, window_seconds: 4 * HOUR };
        let now = 100 * HOUR;
        assert!(exceeded(&rate, now, &[approval(now, 2000, true)]).is_empty());
        assert_eq!(exceeded(&rate, now, &[approval(now, 2001, true)]).len(), 1);
    }
}
