//! The report as one self-contained HTML page: inline CSS and inline SVG
//! charts, no script, and a content security policy that forbids every
//! request (no fonts, images, styles or scripts from anywhere). Every text
//! from commits, rosters or the log is escaped: commit authors are chosen
//! by whoever pushes.
//!
//! Chart elements carry stable classes and their numbers, for people and
//! tests alike: `<rect class="bar" data-label="…" data-value="…">` and
//! `<circle class="point" data-series="commits|lines" data-week="…" data-value="…">`.

use std::fmt::Write as _;

use super::text::duration;
use super::{Report, RepositoryReport};

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2430;background:#fff;margin:2rem auto;max-width:1100px;padding:0 1.5rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}h3{font-size:1rem;margin:1.4rem 0 .4rem}
p.meta{color:#4a5568;margin:.2rem 0}
div.wide{overflow-x:auto}table{border-collapse:collapse;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums;font-size:.93rem}
th,td{padding:.25rem .5rem;border-bottom:1px solid #e6e9ef;text-align:right;white-space:nowrap}th{white-space:normal;vertical-align:bottom}td.level{text-align:left}small{color:#6b7585}
th{background:#f3f5f8;font-weight:600}th:first-child,td:first-child{text-align:left}
td.name span{display:inline-block;max-width:15rem;overflow:hidden;text-overflow:ellipsis;vertical-align:bottom}
.summary{display:flex;flex-wrap:wrap;gap:.6rem;padding:0;list-style:none}
.summary li{background:#f3f5f8;border-radius:6px;padding:.4rem .8rem}.summary b{font-size:1.15rem;display:block}
svg.chart{display:block;margin:.4rem 0 1rem;background:#fbfcfd;border:1px solid #e6e9ef;border-radius:6px}
svg text{font:12px system-ui,sans-serif;fill:#1d2430}svg text.axis{fill:#6b7585}
rect.bar{fill:#3b6fd8}svg.refusals rect.bar{fill:#d0563b}
.grid{stroke:#e1e5eb;stroke-width:1}
polyline.line{fill:none;stroke-width:2.5}polyline.commits{stroke:#3b6fd8}polyline.lines{stroke:#e39b21;stroke-dasharray:6 4}
circle.point{stroke:#fff;stroke-width:1.5}circle.commits{fill:#3b6fd8}circle.lines{fill:#e39b21}
.legend span{display:inline-block;margin-right:1.2rem}.legend i{display:inline-block;width:1.4rem;height:.25rem;vertical-align:middle;margin-right:.35rem}
p.empty{color:#6b7585;font-style:italic}ul.notes{color:#4a5568}
";

/// Width of every chart, in SVG units.
const WIDTH: f64 = 900.0;

/// The whole report as one HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing may be fetched: not even by a name or path someone pushed.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>signoff-gate accountability report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>signoff-gate accountability report</h1>\n");
    let _ = writeln!(out, "<p class=\"meta source\">From {}.</p>", escape(&report.source.to_string()));
    match &report.period {
        Some(period) => {
            let _ = writeln!(
                out,
                "<p class=\"meta period\">Period: <time>{}</time> to <time>{}</time> (UTC).</p>",
                escape(&period.from),
                escape(&period.to)
            );
        }
        None => out.push_str("<p class=\"meta period\">Period: no times in the input.</p>\n"),
    }
    summary(&mut out, report);
    approvers(&mut out, report);

    out.push_str("<h2>Lines approved per approver</h2>\n");
    let bars: Vec<(String, u64)> = report.approvers.iter().map(|a| (a.approver.clone(), a.lines_approved)).collect();
    bar_chart(&mut out, "approvers", "lines approved", &bars, "No valid approvals in this period.");

    out.push_str("<h2>Refusals by code</h2>\n");
    let bars: Vec<(String, u64)> = report.refusals_by_code.iter().map(|c| (c.code.clone(), c.count)).collect();
    bar_chart(&mut out, "refusals", "refusals", &bars, "Nothing was refused in this period.");

    out.push_str("<h2>Weekly AI-assisted share</h2>\n");
    out.push_str(
        "<p class=\"legend\"><span><i style=\"background:#3b6fd8\"></i>share of commits</span><span><i style=\"background:#e39b21\"></i>share of changed lines</span></p>\n",
    );
    if report.repositories.is_empty() {
        out.push_str("<p class=\"empty\">No repositories in the input.</p>\n");
    }
    for repository in &report.repositories {
        weekly(&mut out, repository);
    }
    notes(&mut out, report);
    out.push_str("</body>\n</html>\n");
    out
}

fn summary(out: &mut String, report: &Report) {
    out.push_str("<ul class=\"summary\">\n");
    let items = [
        ("decisions", report.decisions.to_string()),
        ("commits", report.commits.to_string()),
        ("AI-assisted commits", format!("{} ({})", report.ai_commits, percent(share(report.ai_commits, report.commits)))),
        ("AI-assisted changed lines", format!("{} ({})", report.ai_lines, percent(share(report.ai_lines, report.lines)))),
        ("approvers", report.approvers.len().to_string()),
        ("break-glass uses", report.break_glass_uses.to_string()),
    ];
    for (label, value) in items {
        let _ = writeln!(out, "<li><b>{}</b>{}</li>", escape(&value), escape(label));
    }
    out.push_str("</ul>\n");
}

fn approvers(out: &mut String, report: &Report) {
    out.push_str("<h2>Approvers</h2>\n");
    if report.approvers.is_empty() {
        out.push_str("<p class=\"empty\">No valid approvals in this period.</p>\n");
        return;
    }
    out.push_str(
        "<div class=\"wide\"><table class=\"approvers\">\n<thead><tr><th>approver</th><th>level</th><th>approvals</th><th>AI commits</th><th>lines approved</th>\
         <th>median lines</th><th>largest</th><th>median to approval</th><th>under 5 min</th><th>most lines in 60 min</th></tr></thead>\n<tbody>\n",
    );
    for approver in &report.approvers {
        let burst = match &approver.burst_start {
            Some(start) => format!("{}<br><small>from {}</small>", approver.burst_lines_60_minutes, escape(start)),
            None => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"name\" title=\"{name}\"><span>{name}</span></td><td class=\"level\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{burst}</td></tr>",
            escape(approver.level.as_deref().unwrap_or("-")),
            approver.approvals,
            approver.ai_commits,
            approver.lines_approved,
            approver.median_lines_per_approval.map_or_else(|| "-".to_owned(), |m| format!("{m}")),
            approver.largest_lines_per_approval,
            approver.median_seconds_to_approval.map_or_else(|| "-".to_owned(), duration),
            percent(approver.share_under_5_minutes),
            name = escape(&approver.approver),
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// A horizontal bar chart, one bar per `(label, value)`, scaled to the
/// largest value.
fn bar_chart(out: &mut String, class: &str, unit: &str, bars: &[(String, u64)], empty: &str) {
    if bars.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", escape(empty));
        return;
    }
    let (label_width, row, top) = (240.0, 28.0, 10.0);
    let area = WIDTH - label_width - 90.0;
    let height = top * 2.0 + row * bars.len() as f64;
    let largest = bars.iter().map(|(_, value)| *value).max().unwrap_or(0).max(1) as f64;
    let _ = writeln!(
        out,
        "<svg class=\"chart {class}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(unit)
    );
    for (index, (label, value)) in bars.iter().enumerate() {
        let y = top + row * index as f64;
        let width = if *value == 0 { 0.0 } else { (*value as f64 / largest * area).max(1.0) };
        let shown = escape(&shorten(label, 34));
        let label = escape(label);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{shown}</text>\
             <rect class=\"bar\" data-label=\"{label}\" data-value=\"{value}\" x=\"{label_width}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\" rx=\"2\"><title>{label}: {value} {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{value}</text>",
            label_width - 8.0,
            y + row * 0.62,
            y + 4.0,
            row - 8.0,
            escape(unit),
            label_width + width + 6.0,
            y + row * 0.62,
        );
    }
    out.push_str("</svg>\n");
}

/// One repository's weekly shares as a line chart (points joined), and
/// its table.
fn weekly(out: &mut String, repository: &RepositoryReport) {
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<p class=\"meta\">{} commits, {} AI-assisted; {} break-glass use{}.</p>",
        escape(&repository.repository),
        repository.commits,
        repository.ai_commits,
        repository.break_glass_uses,
        if repository.break_glass_uses == 1 { "" } else { "s" }
    );
    if repository.weeks.is_empty() {
        out.push_str("<p class=\"empty\">No dated commits.</p>\n");
        return;
    }
    let (left, right, top, bottom, height) = (56.0, 44.0, 16.0, 56.0, 280.0);
    let (plot_width, plot_height) = (WIDTH - left - right, height - top - bottom);
    let count = repository.weeks.len();
    let x = |index: usize| if count == 1 { left + plot_width / 2.0 } else { left + plot_width * index as f64 / (count - 1) as f64 };
    let y = |share: f64| top + plot_height * (1.0 - share.clamp(0.0, 1.0));
    let _ = writeln!(
        out,
        "<svg class=\"chart weekly\" data-repository=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"weekly AI-assisted share\">",
        escape(&repository.repository)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>",
            left + plot_width,
            y(tick),
            y(tick),
            left - 6.0,
            y(tick) + 4.0,
            tick * 100.0
        );
    }
    out.push('\n');
    // At most about 12 week labels.
    let step = count.div_ceil(12).max(1);
    for (index, week) in repository.weeks.iter().enumerate() {
        if index % step == 0 || index + 1 == count {
            let _ = write!(
                out,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(index),
                height - bottom + 18.0,
                escape(&week.week)
            );
        }
    }
    out.push('\n');
    for (series, share_of) in [("commits", 0usize), ("lines", 1)] {
        let points: Vec<(usize, &str, f64)> = repository
            .weeks
            .iter()
            .enumerate()
            .filter_map(|(index, week)| {
                let share = if share_of == 0 { week.ai_share_of_commits } else { week.ai_share_of_lines };
                share.map(|share| (index, week.week.as_str(), share))
            })
            .collect();
        if points.len() > 1 {
            let joined: Vec<String> = points.iter().map(|&(index, _, share)| format!("{:.1},{:.1}", x(index), y(share))).collect();
            let _ = writeln!(out, "<polyline class=\"line {series}\" points=\"{}\"/>", joined.join(" "));
        }
        for (index, week, share) in points {
            let _ = writeln!(
                out,
                "<circle class=\"point {series}\" data-series=\"{series}\" data-week=\"{}\" data-value=\"{share}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.5\"><title>{}: {} of {series} AI-assisted</title></circle>",
                escape(week),
                x(index),
                y(share),
                escape(week),
                percent(Some(share)),
            );
        }
    }
    let _ = writeln!(
        out,
        "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">ISO week (by decision time; a walked history by author date)</text>",
        left + plot_width / 2.0,
        height - 10.0
    );
    out.push_str("</svg>\n");

    out.push_str(
        "<table class=\"weeks\">\n<thead><tr><th>week</th><th>from</th><th>commits</th><th>AI-assisted</th><th>share</th><th>changed lines</th><th>AI-assisted lines</th><th>share</th></tr></thead>\n<tbody>\n",
    );
    for week in &repository.weeks {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&week.week),
            escape(&week.monday),
            week.commits,
            week.ai_commits,
            percent(week.ai_share_of_commits),
            week.lines,
            week.ai_lines,
            percent(week.ai_share_of_lines)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if !repository.refusals_by_code.is_empty() {
        let codes: Vec<String> = repository.refusals_by_code.iter().map(|c| format!("{} × {}", escape(&c.code), c.count)).collect();
        let _ = writeln!(out, "<p class=\"meta\">Refusals: {}.</p>", codes.join(", "));
    }
}

fn notes(out: &mut String, report: &Report) {
    let mut notes = Vec::new();
    if report.malformed_lines > 0 {
        notes.push(format!("{} malformed input lines were skipped.", report.malformed_lines));
    }
    if report.commits_without_lines > 0 {
        notes.push(format!("{} commits had no line count and are counted as 0 lines.", report.commits_without_lines));
    }
    if report.approvals_without_time > 0 {
        notes.push(format!("{} approvals had no time and are in no burst or time to approval.", report.approvals_without_time));
    }
    if report.approvals_without_author_time > 0 {
        notes.push(format!(
            "{} approvals are of commits without an author date and are in no time to approval.",
            report.approvals_without_author_time
        ));
    }
    out.push_str("<h2>How to read this</h2>\n<ul class=\"notes\">\n");
    out.push_str(
        "<li>An approval is a valid approval by a roster engineer, counted once per commit. Lines are lines added and deleted against the first parent.</li>\n\
         <li>Time to approval runs from the commit's author date to the approval's signing time (or, without one, the decision's time).</li>\n\
         <li>Most lines in 60 minutes: the largest total of lines approved by one approver within any 60 minutes.</li>\n",
    );
    for note in notes {
        let _ = writeln!(out, "<li>{}</li>", escape(&note));
    }
    out.push_str("</ul>\n");
}

/// Text as HTML character data or an attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `limit` characters, ending in `…` when cut.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |share| format!("{:.1}%", share * 100.0))
}

#[cfg(test)]
mod tests {
    use super::super::input::parse_record;
    use super::super::{Source, Tally};
    use super::*;

    #[test]
    fn escapes_what_an_attacker_writes() {
        assert_eq!(escape("<script>alert('x')</script> & \"q\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        assert_eq!(escape("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn charts_carry_their_numbers_and_nothing_is_fetched() {
        let mut tally = Tally::default();
        let evil = r#"<img src=http://evil.example/x onerror=alert(1)>"#;
        let line = format!(
            r#"{{"time":"2026-11-23T10:00:00Z","repository":"<b>r</b>","outcome":"refused","commits":[
                {{"id":"a","verdict":"approved","lines":10,"approvals":[{{"approver":{evil:?},"valid":true}}]}},
                {{"id":"b","verdict":"rejected","lines":30,"reasons":[{{"code":"ai-unapproved"}}]}},
                {{"id":"c","verdict":"not-ai","lines":60}}]}}"#
        );
        tally.add(&parse_record(line.as_bytes()).expect("parses"));
        tally.add(&parse_record(br#"{"time":"2026-12-01T10:00:00Z","repository":"<b>r</b>","outcome":"accepted","commits":[{"id":"d","verdict":"not-ai","lines":5}]}"#).expect("parses"));
        let page = render(&tally.finish(Source::AuditLog { path: "/var/log/a&b.jsonl".to_owned() }, 0));
        assert!(!page.contains("<img") && !page.contains("<b>r"), "{page}");
        assert!(page.contains("&lt;img src=http://evil.example/x onerror=alert(1)&gt;") && page.contains("a&amp;b.jsonl"));
        assert!(!page.contains("<script") && !page.contains("src=\"") && !page.contains("href=") && !page.contains("url("), "{page}");
        assert_eq!(page.matches("<rect class=\"bar\"").count(), 2);
        assert!(page.contains("data-label=\"ai-unapproved\" data-value=\"1\""));
        assert!(page.contains("data-value=\"10\""));
        assert_eq!(page.matches("<circle class=\"point commits\"").count(), 2);
        assert_eq!(page.matches("<circle class=\"point lines\"").count(), 2);
        assert!(page.contains("data-series=\"commits\" data-week=\"2026-W48\" data-value=\"0.6666666666666666\""), "{page}");
        assert!(page.contains("data-series=\"lines\" data-week=\"2026-W48\" data-value=\"0.4\""));
        assert!(page.contains("data-week=\"2026-W49\" data-value=\"0\""));
        assert_eq!(page.matches("<polyline").count(), 2);
    }
}
