//! The report as short aligned tables for a terminal.

use std::fmt::Write as _;

use super::{ApproverReport, CodeCount, Report};

/// The whole report as text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "signoff-gate report: {}", clean(&report.source.to_string()));
    match &report.period {
        Some(period) => {
            let _ = writeln!(out, "period: {} to {}", period.from, period.to);
        }
        None => out.push_str("period: no times in the input\n"),
    }
    let _ = writeln!(
        out,
        "{} decision{}, {} commit{} ({} AI-assisted, {}), {} changed line{} ({} AI-assisted, {}), {} break-glass use{}",
        report.decisions,
        plural(report.decisions),
        report.commits,
        plural(report.commits),
        report.ai_commits,
        percent(share(report.ai_commits, report.commits)),
        report.lines,
        plural(report.lines),
        report.ai_lines,
        percent(share(report.ai_lines, report.lines)),
        report.break_glass_uses,
        plural(report.break_glass_uses),
    );

    out.push_str("\nApprovers\n");
    if report.approvers.is_empty() {
        out.push_str("  no valid approvals\n");
    } else {
        let header = [
            "approver",
            "level",
            "approvals",
            "AI commits",
            "lines",
            "median lines",
            "largest",
            "median to approval",
            "under 5 min",
            "most lines in 60 min",
        ];
        let rows: Vec<Vec<String>> = report.approvers.iter().map(approver_row).collect();
        table(&mut out, &header, &rows, 2);
    }

    out.push_str("\nRefusals by code\n");
    codes(&mut out, &report.refusals_by_code);

    for repository in &report.repositories {
        let _ = writeln!(
            out,
            "\nRepository {}: {} decision{}, {} commit{} ({} AI-assisted), {} break-glass use{}{}",
            clean(&repository.repository),
            repository.decisions,
            plural(repository.decisions),
            repository.commits,
            plural(repository.commits),
            repository.ai_commits,
            repository.break_glass_uses,
            plural(repository.break_glass_uses),
            if repository.undated_commits > 0 {
                format!(", {} undated commits in no week", repository.undated_commits)
            } else {
                String::new()
            },
        );
        if repository.weeks.is_empty() {
            out.push_str("  no dated commits\n");
        } else {
            let header = ["week", "commits", "AI", "AI share", "lines", "AI lines", "AI share"];
            let rows: Vec<Vec<String>> = repository
                .weeks
                .iter()
                .map(|week| {
                    vec![
                        week.week.clone(),
                        week.commits.to_string(),
                        week.ai_commits.to_string(),
                        percent(week.ai_share_of_commits),
                        week.lines.to_string(),
                        week.ai_lines.to_string(),
                        percent(week.ai_share_of_lines),
                    ]
                })
                .collect();
            table(&mut out, &header, &rows, 1);
        }
        if report.repositories.len() > 1 && !repository.refusals_by_code.is_empty() {
            let each: Vec<String> = repository.refusals_by_code.iter().map(|c| format!("{} ({})", clean(&c.code), c.count)).collect();
            let _ = writeln!(out, "  refusals: {}", each.join(", "));
        }
    }

    let mut notes = Vec::new();
    if report.malformed_lines > 0 {
        notes.push(format!("{} malformed input line{} skipped", report.malformed_lines, plural(report.malformed_lines)));
    }
    if report.commits_without_lines > 0 {
        notes.push(format!(
            "{} commit{} had no line count (counted as 0 lines)",
            report.commits_without_lines,
            plural(report.commits_without_lines)
        ));
    }
    if report.approvals_without_time > 0 {
        notes.push(format!(
            "{} approval{} had no time (not in bursts or times to approval)",
            report.approvals_without_time,
            plural(report.approvals_without_time)
        ));
    }
    if report.approvals_without_author_time > 0 {
        notes.push(format!(
            "{} approval{} without the commit's author date (not in times to approval)",
            report.approvals_without_author_time,
            plural(report.approvals_without_author_time)
        ));
    }
    if !notes.is_empty() {
        out.push_str("\nNotes\n");
        for note in notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    out
}

fn approver_row(approver: &ApproverReport) -> Vec<String> {
    let burst = match &approver.burst_start {
        Some(start) => format!("{} from {start}", approver.burst_lines_60_minutes),
        None => "-".to_owned(),
    };
    vec![
        clean(&approver.approver),
        approver.level.as_deref().map_or_else(|| "-".to_owned(), clean),
        approver.approvals.to_string(),
        approver.ai_commits.to_string(),
        approver.lines_approved.to_string(),
        approver.median_lines_per_approval.map_or_else(|| "-".to_owned(), number),
        approver.largest_lines_per_approval.to_string(),
        approver.median_seconds_to_approval.map_or_else(|| "-".to_owned(), duration),
        percent(approver.share_under_5_minutes),
        burst,
    ]
}

fn codes(out: &mut String, codes: &[CodeCount]) {
    if codes.is_empty() {
        out.push_str("  none\n");
        return;
    }
    let rows: Vec<Vec<String>> = codes.iter().map(|c| vec![clean(&c.code), c.count.to_string()]).collect();
    table(out, &["code", "count"], &rows, 1);
}

/// Columns padded to their widest cell; the first `left` columns are
/// aligned left, the rest right.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], left: usize) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::from(" ");
        for (column, (cell, width)) in cells.zip(&widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            text.push(' ');
            if column < left {
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', pad));
            } else {
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(cell);
            }
            text.push(' ');
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
}

/// Text from commits or rosters, safe on a terminal: control characters
/// (escape sequences) are shown as `?`.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A share as a percentage with one decimal, or `-`.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

/// A count or median: whole numbers without decimals.
fn number(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") }
}

/// Seconds as `45s`, `4m 30s`, `2h 05m`, `3d 04h` (negative: an approval
/// dated before its commit).
pub fn duration(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs().round() as u64;
    let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60);
    if days > 0 {
        format!("{sign}{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{sign}{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{sign}{minutes}m {secs:02}s")
    } else {
        format!("{sign}{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_numbers() {
        let cases =
            [(0.0, "0s"), (45.0, "45s"), (270.0, "4m 30s"), (359.5, "6m 00s"), (7500.0, "2h 05m"), (273_600.0, "3d 04h"), (-30.0, "-30s")];
        for (seconds, text) in cases {
            assert_eq!(duration(seconds), text, "{seconds}");
        }
        assert_eq!((number(200.0), number(2.5)), ("200".to_owned(), "2.5".to_owned()));
        assert_eq!((percent(Some(1.0 / 3.0)), percent(None)), ("33.3%".to_owned(), "-".to_owned()));
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(clean("Eve\u{1b}[2J\r\nMallory"), "Eve?[2J??Mallory");
    }

    #[test]
    fn tables_align() {
        let mut out = String::new();
        table(&mut out, &["name", "n"], &[vec!["Zoë".to_owned(), "5".to_owned()], vec!["Al".to_owned(), "100".to_owned()]], 1);
        assert_eq!(out, "  name    n\n  Zoë     5\n  Al    100\n");
    }
}
