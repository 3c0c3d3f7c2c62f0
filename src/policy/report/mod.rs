//! The accountability report (`signoff-gate report`): who approved how
//! much AI-assisted change, how fast, and in what bursts; how much of each
//! repository's change was AI-assisted, week by week; what was refused and
//! when the glass was broken.
//!
//! Pure: [`Tally`] takes decisions one at a time (audit-log lines, or the
//! commits of a walked history turned into the same [`input::Record`]s) in
//! time linear in their size, and [`Tally::finish`] makes the [`Report`]
//! that [`text`], [`html`] and JSON (its `Serialize`) render.
//!
//! - [`input`]: the records read, every field optional.
//! - [`text`], [`html`]: the renderings.

pub mod html;
pub mod input;
pub mod text;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use self::input::{Commit, Record};
use crate::policy::calendar::{IsoWeek, format_utc, parse_rfc3339};

/// An approval signed this soon after the commit's author date counts as
/// fast (seconds).
pub const FAST_APPROVAL_SECONDS: i64 = 5 * 60;

/// The window bursts are measured in (seconds).
pub const BURST_WINDOW_SECONDS: i64 = 60 * 60;

/// A repository record without a name is filed under this.
pub const UNNAMED_REPOSITORY: &str = "(unnamed)";

/// Where the report's input came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// Lines of an audit log.
    AuditLog {
        /// The file.
        path: String,
    },
    /// The commits of a walked history, judged as `check` judges them.
    History {
        /// The repository.
        repository: String,
        /// The revisions walked.
        revisions: Vec<String>,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::AuditLog { path } => write!(f, "the audit log {path}"),
            Source::History { repository, revisions } => write!(f, "the history {} of {repository}", revisions.join(" ")),
        }
    }
}

/// What was counted, one decision at a time.
#[derive(Debug, Default)]
pub struct Tally {
    decisions: u64,
    first: Option<i64>,
    last: Option<i64>,
    commits_without_lines: u64,
    approvals_without_time: u64,
    approvals_without_author_time: u64,
    approvers: HashMap<String, ApproverTally>,
    /// (commit id, approver) of the approvals already counted: a commit
    /// pushed twice (refused, then again; or to two refs) is one approval.
    seen_approvals: HashSet<(String, String)>,
    repositories: BTreeMap<String, RepositoryTally>,
}

#[derive(Debug, Default)]
struct ApproverTally {
    level: Option<String>,
    approvals: u64,
    ai_commits: u64,
    lines: u64,
    /// Lines of each approval.
    per_approval: Vec<u64>,
    /// (approval time, lines) of each approval with a time.
    timed: Vec<(i64, u64)>,
    /// Seconds from author date to approval, where both are known.
    delays: Vec<i64>,
}

#[derive(Debug, Default)]
struct RepositoryTally {
    decisions: u64,
    break_glass_uses: u64,
    commits: Counts,
    undated_commits: u64,
    /// Commit ids already counted in this repository.
    seen: HashSet<String>,
    weeks: BTreeMap<IsoWeek, Counts>,
    refusals: HashMap<String, u64>,
}

/// Commits and lines, all and AI-assisted.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    commits: u64,
    ai_commits: u64,
    lines: u64,
    ai_lines: u64,
}

impl Counts {
    fn add(&mut self, ai: bool, lines: u64) {
        self.commits += 1;
        self.lines = self.lines.saturating_add(lines);
        if ai {
            self.ai_commits += 1;
            self.ai_lines = self.ai_lines.saturating_add(lines);
        }
    }
}

impl Tally {
    /// Counts one decision (or one walked commit, as a record without a
    /// time or outcome).
    pub fn add(&mut self, record: &Record<'_>) {
        let time = record.time.as_ref().and_then(|t| parse_rfc3339(t.as_str()));
        if let Some(time) = time {
            self.saw_time(time);
        }
        let name = record.repository.as_ref().map_or(UNNAMED_REPOSITORY, |r| r.as_str());
        if !self.repositories.contains_key(name) {
            self.repositories.insert(name.to_owned(), RepositoryTally::default());
        }
        let Some(repository) = self.repositories.get_mut(name) else {
            return;
        };
        if let Some(outcome) = &record.outcome {
            self.decisions += 1;
            repository.decisions += 1;
            if outcome.as_str() == "break-glass" {
                repository.break_glass_uses += 1;
            }
        }
        for update in &record.updates {
            for problem in &update.problems {
                repository.refused(problem.code.as_ref().map(|c| c.as_str()));
            }
        }
        for commit in &record.commits {
            self.add_commit(name, time, commit);
        }
    }

    fn saw_time(&mut self, time: i64) {
        self.first = Some(self.first.map_or(time, |first| first.min(time)));
        self.last = Some(self.last.map_or(time, |last| last.max(time)));
    }

    fn add_commit(&mut self, repository_name: &str, decided: Option<i64>, commit: &Commit<'_>) {
        let ai = commit.ai_assisted();
        let lines = commit.lines.unwrap_or(0);
        let Some(repository) = self.repositories.get_mut(repository_name) else {
            return;
        };
        if commit.refused() {
            for reason in &commit.reasons {
                repository.refused(reason.code.as_ref().map(|c| c.as_str()));
            }
        }
        let first_sighting = commit.id.as_ref().is_none_or(|id| !repository.seen.contains(id.as_str()));
        if first_sighting {
            if let Some(id) = &commit.id {
                repository.seen.insert(id.as_str().to_owned());
            }
            repository.commits.add(ai, lines);
            // A decided commit belongs to the week it was decided in; a
            // walked one to the week of its author date.
            match decided.or(commit.author_time) {
                Some(time) => {
                    repository.weeks.entry(IsoWeek::of(time)).or_default().add(ai, lines);
                    if decided.is_none() {
                        self.saw_time(time);
                    }
                }
                None => repository.undated_commits += 1,
            }
            if commit.lines.is_none() {
                self.commits_without_lines += 1;
            }
        }
        for approval in commit.approvals.iter().filter(|a| a.valid) {
            let Some(approver) = &approval.approver else {
                continue;
            };
            if let Some(id) = &commit.id {
                let key = (id.as_str().to_owned(), approver.as_str().to_owned());
                if !self.seen_approvals.insert(key) {
                    continue;
                }
            }
            let tally = match self.approvers.get_mut(approver.as_str()) {
                Some(tally) => tally,
                None => self.approvers.entry(approver.as_str().to_owned()).or_default(),
            };
            if let Some(level) = &approval.level {
                if tally.level.as_deref() != Some(level.as_str()) {
                    tally.level = Some(level.as_str().to_owned());
                }
            }
            tally.approvals += 1;
            tally.lines = tally.lines.saturating_add(lines);
            tally.per_approval.push(lines);
            if ai {
                tally.ai_commits += 1;
            }
            match approval.signed_at.or(decided) {
                Some(at) => {
                    tally.timed.push((at, lines));
                    match commit.author_time {
                        Some(authored) => tally.delays.push(at.saturating_sub(authored)),
                        None => self.approvals_without_author_time += 1,
                    }
                }
                None => self.approvals_without_time += 1,
            }
        }
    }

    /// The report, for `source`, with `malformed_lines` input lines that
    /// could not be read.
    pub fn finish(self, source: Source, malformed_lines: u64) -> Report {
        let mut approvers: Vec<ApproverReport> = self.approvers.into_iter().map(|(name, tally)| tally.finish(name)).collect();
        approvers.sort_by(|a, b| {
            b.lines_approved.cmp(&a.lines_approved).then(b.approvals.cmp(&a.approvals)).then_with(|| a.approver.cmp(&b.approver))
        });
        let mut totals = Counts::default();
        let mut all_refusals: HashMap<String, u64> = HashMap::new();
        let mut break_glass_uses = 0;
        let repositories: Vec<RepositoryReport> = self
            .repositories
            .into_iter()
            .map(|(name, tally)| {
                totals.commits += tally.commits.commits;
                totals.ai_commits += tally.commits.ai_commits;
                totals.lines = totals.lines.saturating_add(tally.commits.lines);
                totals.ai_lines = totals.ai_lines.saturating_add(tally.commits.ai_lines);
                break_glass_uses += tally.break_glass_uses;
                for (code, count) in &tally.refusals {
                    *all_refusals.entry(code.clone()).or_default() += count;
                }
                tally.finish(name)
            })
            .collect();
        Report {
            source,
            period: self.first.zip(self.last).map(|(from, to)| Period { from: format_utc(from), to: format_utc(to) }),
            decisions: self.decisions,
            commits: totals.commits,
            ai_commits: totals.ai_commits,
            lines: totals.lines,
            ai_lines: totals.ai_lines,
            break_glass_uses,
            malformed_lines,
            commits_without_lines: self.commits_without_lines,
            approvals_without_time: self.approvals_without_time,
            approvals_without_author_time: self.approvals_without_author_time,
            refusals_by_code: sorted_counts(all_refusals),
            approvers,
            repositories,
        }
    }
}

impl RepositoryTally {
    fn refused(&mut self, code: Option<&str>) {
        let code = code.unwrap_or("(no code)");
        match self.refusals.get_mut(code) {
            Some(count) => *count += 1,
            None => {
                self.refusals.insert(code.to_owned(), 1);
            }
        }
    }

    fn finish(self, repository: String) -> RepositoryReport {
        RepositoryReport {
            repository,
            decisions: self.decisions,
            commits: self.commits.commits,
            ai_commits: self.commits.ai_commits,
            lines: self.commits.lines,
            ai_lines: self.commits.ai_lines,
            undated_commits: self.undated_commits,
            break_glass_uses: self.break_glass_uses,
            refusals_by_code: sorted_counts(self.refusals),
            weeks: self
                .weeks
                .into_iter()
                .map(|(week, counts)| WeekReport {
                    week: week.to_string(),
                    monday: week.monday(),
                    commits: counts.commits,
                    ai_commits: counts.ai_commits,
                    lines: counts.lines,
                    ai_lines: counts.ai_lines,
                    ai_share_of_commits: share(counts.ai_commits, counts.commits),
                    ai_share_of_lines: share(counts.ai_lines, counts.lines),
                })
                .collect(),
        }
    }
}

impl ApproverTally {
    fn finish(mut self, approver: String) -> ApproverReport {
        let fast = self.delays.iter().filter(|&&delay| delay < FAST_APPROVAL_SECONDS).count();
        let (burst_lines, burst_start) = burst(&mut self.timed, BURST_WINDOW_SECONDS);
        ApproverReport {
            approver,
            level: self.level,
            approvals: self.approvals,
            ai_commits: self.ai_commits,
            lines_approved: self.lines,
            median_lines_per_approval: median(&mut self.per_approval),
            largest_lines_per_approval: self.per_approval.iter().copied().max().unwrap_or(0),
            timed_approvals: self.delays.len() as u64,
            median_seconds_to_approval: median(&mut self.delays),
            share_under_5_minutes: share(fast as u64, self.delays.len() as u64),
            burst_lines_60_minutes: burst_lines,
            burst_start: burst_start.map(format_utc),
        }
    }
}

/// `part / whole`, or `None` when there is no whole.
fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Counts by code, most first (then by code).
fn sorted_counts(counts: HashMap<String, u64>) -> Vec<CodeCount> {
    let mut counts: Vec<CodeCount> = counts.into_iter().map(|(code, count)| CodeCount { code, count }).collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    counts
}

/// The median: the middle value, or the mean of the two middle ones; `None`
/// for no values. Linear (selection, not a sort); reorders `values`.
pub fn median<T: Copy + Ord + Into<Median>>(values: &mut [T]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, upper, _) = values.select_nth_unstable(n / 2);
    let upper: Median = (*upper).into();
    if n % 2 == 1 {
        return Some(upper.0);
    }
    // The lower middle is the largest of the lower half.
    let lower: Median = (*below.iter().max()?).into();
    Some((lower.0 + upper.0) / 2.0)
}

/// A number a median is taken over, as a float.
#[derive(Debug, Clone, Copy)]
pub struct Median(f64);

impl From<u64> for Median {
    fn from(value: u64) -> Self {
        Median(value as f64)
    }
}

impl From<i64> for Median {
    fn from(value: i64) -> Self {
        Median(value as f64)
    }
}

/// The most lines approved within any `window` seconds (an approval at
/// `t` and one at `t + window - 1` are in one window; at `t + window` they
/// are not), and when that window opens. Sorts `timed` by time, then one
/// sliding pass.
pub fn burst(timed: &mut [(i64, u64)], window: i64) -> (u64, Option<i64>) {
    timed.sort_unstable();
    let (mut best, mut best_start, mut sum, mut start) = (0u64, None, 0u64, 0usize);
    for end in 0..timed.len() {
        // Saturating: a log can claim any numbers (the sum is then a bound).
        sum = sum.saturating_add(timed[end].1);
        while timed[end].0.saturating_sub(timed[start].0) >= window {
            sum = sum.saturating_sub(timed[start].1);
            start += 1;
        }
        if best_start.is_none() || sum > best {
            best = sum;
            best_start = Some(timed[start].0);
        }
    }
    (best, best_start)
}

/// The accountability report: every number, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Where the input came from.
    pub source: Source,
    /// The first and last time seen (decisions, or author dates of a walked
    /// history); `None` when nothing had a time.
    pub period: Option<Period>,
    /// Decisions read (audit log; 0 for a walked history).
    pub decisions: u64,
    /// Distinct commits (per repository) seen.
    pub commits: u64,
    /// Of which AI-assisted (any verdict but `not-ai`).
    pub ai_commits: u64,
    /// Changed lines of those commits.
    pub lines: u64,
    /// Changed lines of the AI-assisted ones.
    pub ai_lines: u64,
    /// Decisions whose outcome was `break-glass`.
    pub break_glass_uses: u64,
    /// Input lines that could not be read, and were skipped.
    pub malformed_lines: u64,
    /// Commits without a line count, counted as 0 lines.
    pub commits_without_lines: u64,
    /// Valid approvals with neither a signing time nor a decision time (not
    /// in bursts or times to approval).
    pub approvals_without_time: u64,
    /// Valid approvals of commits without an author date (not in times to
    /// approval).
    pub approvals_without_author_time: u64,
    /// Refusals by code across all repositories.
    pub refusals_by_code: Vec<CodeCount>,
    /// Each approver, most lines approved first.
    pub approvers: Vec<ApproverReport>,
    /// Each repository, by name.
    pub repositories: Vec<RepositoryReport>,
}

/// The time the report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first time seen (RFC 3339, UTC).
    pub from: String,
    /// The last time seen.
    pub to: String,
}

/// What one approver signed off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApproverReport {
    /// The roster engineer.
    pub approver: String,
    /// Their roster level, when the log records it.
    pub level: Option<String>,
    /// Valid approvals (one per commit approved).
    pub approvals: u64,
    /// Of which of AI-assisted commits.
    pub ai_commits: u64,
    /// Changed lines of the commits approved.
    pub lines_approved: u64,
    /// The median of lines per approval.
    pub median_lines_per_approval: Option<f64>,
    /// The largest approval, in lines.
    pub largest_lines_per_approval: u64,
    /// Approvals whose time from author date to approval is known.
    pub timed_approvals: u64,
    /// The median time from a commit's author date to its approval, in seconds.
    pub median_seconds_to_approval: Option<f64>,
    /// The share of timed approvals signed less than 5 minutes after the
    /// author date.
    pub share_under_5_minutes: Option<f64>,
    /// The most lines approved within any 60 minutes.
    pub burst_lines_60_minutes: u64,
    /// When that 60 minutes began (its first approval).
    pub burst_start: Option<String>,
}

/// One repository's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepositoryReport {
    /// The repository, as the hook named it (or the path walked).
    pub repository: String,
    /// Decisions about it.
    pub decisions: u64,
    /// Distinct commits.
    pub commits: u64,
    /// Of which AI-assisted.
    pub ai_commits: u64,
    /// Their changed lines.
    pub lines: u64,
    /// Changed lines of the AI-assisted ones.
    pub ai_lines: u64,
    /// Commits in no week (no decision time, no author date).
    pub undated_commits: u64,
    /// Decisions whose outcome was `break-glass`.
    pub break_glass_uses: u64,
    /// Each reason code of refused commits and each problem code of ref
    /// updates, with how often it was given.
    pub refusals_by_code: Vec<CodeCount>,
    /// ISO weeks, oldest first.
    pub weeks: Vec<WeekReport>,
}

/// A code and how often it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeCount {
    /// The stable code, e.g. `ai-unapproved`.
    pub code: String,
    /// How often.
    pub count: u64,
}

/// One ISO week of a repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekReport {
    /// `2026-W48`.
    pub week: String,
    /// Its Monday, `2026-11-23`.
    pub monday: String,
    /// Commits.
    pub commits: u64,
    /// Of which AI-assisted.
    pub ai_commits: u64,
    /// Changed lines.
    pub lines: u64,
    /// Changed lines of the AI-assisted commits.
    pub ai_lines: u64,
    /// `ai_commits / commits`.
    pub ai_share_of_commits: Option<f64>,
    /// `ai_lines / lines`; `None` when the week has no lines counted.
    pub ai_share_of_lines: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::input::parse_record;
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        let cases: &[(&[i64], Option<f64>)] = &[
            (&[], None),
            (&[7], Some(7.0)),
            (&[3, 1], Some(2.0)),
            (&[1, 2], Some(1.5)),
            (&[9, 1, 5], Some(5.0)),
            (&[10, 40, 20, 30], Some(25.0)),
            (&[5, 5, 5, 1], Some(5.0)),
            (&[-60, 600, 120, 30], Some(75.0)),
            (&[4, 4, 1, 1, 9, 9], Some(4.0)),
        ];
        for (values, expected) in cases {
            assert_eq!(median(&mut values.to_vec()), *expected, "{values:?}");
        }
        assert_eq!(median(&mut [3u64, 8, 1, 100]), Some(5.5));
    }

    #[test]
    fn bursts_at_the_window_edges() {
        type Case<'a> = (&'a [(i64, u64)], (u64, Option<i64>));
        let cases: &[Case<'_>] = &[
            (&[], (0, None)),
            (&[(100, 5)], (5, Some(100))),
            // 3599 s apart: one window.
            (&[(0, 10), (3599, 20)], (30, Some(0))),
            // 3600 s apart: two windows.
            (&[(0, 10), (3600, 20)], (20, Some(3600))),
            // Unsorted, several in a window, the heaviest later.
            (&[(7200, 1), (0, 50), (10_000, 40), (8000, 30), (1000, 5)], (71, Some(7200))),
            // Same second.
            (&[(60, 3), (60, 4)], (7, Some(60))),
            // The first maximum wins a tie.
            (&[(0, 10), (5000, 10)], (10, Some(0))),
        ];
        for (timed, expected) in cases {
            assert_eq!(burst(&mut timed.to_vec(), BURST_WINDOW_SECONDS), *expected, "{timed:?}");
        }
    }

    fn report(lines: &[&str]) -> Report {
        let mut tally = Tally::default();
        for line in lines {
            tally.add(&parse_record(line.as_bytes()).expect("a test line parses"));
        }
        tally.finish(Source::AuditLog { path: "test".to_owned() }, 0)
    }

    #[test]
    fn counts_approvers_commits_and_weeks() {
        let report = report(&[
            // Monday 2026-11-23 10:00: Alice signs two AI commits 2 and 10 minutes after they were written.
            r#"{"time":"2026-11-23T10:00:00Z","repository":"r","outcome":"accepted","commits":[
                {"id":"a","verdict":"approved","author_time":1795428000,"lines":100,"approvals":[{"approver":"Alice","valid":true,"level":"senior","signed_at":1795428120}]},
                {"id":"b","verdict":"approved","author_time":1795428000,"lines":300,"approvals":[{"approver":"Alice","valid":true,"signed_at":1795428600},{"approver":"Mia","valid":false}]},
                {"id":"c","verdict":"not-ai","lines":600}]}"#,
            // The same commit again (pushed to another ref): counted once.
            r#"{"time":"2026-11-23T11:00:00Z","repository":"r","outcome":"accepted","commits":[
                {"id":"a","verdict":"approved","author_time":1795428000,"lines":100,"approvals":[{"approver":"Alice","valid":true,"signed_at":1795428120}]}]}"#,
            // Sunday 2026-11-29 23:00 (still W48): refused, no line count; an approval without signed_at takes the record's time.
            r#"{"time":"2026-11-29T23:00:00Z","repository":"r","outcome":"refused","updates":[{"problems":[{"code":"protected-ref-delete"}]}],"commits":[
                {"id":"d","verdict":"rejected","reasons":[{"code":"ai-unapproved"},{"code":"self-approval"}]},
                {"id":"e","verdict":"rejected","author_time":1795993200,"lines":50,"approvals":[{"approver":"Bob","valid":true}],"reasons":[{"code":"ai-unapproved"}]}]}"#,
            // Monday 2026-11-30: W49; break-glass.
            r#"{"time":"2026-11-30T00:00:00Z","repository":"r","outcome":"break-glass","commits":[{"id":"f","verdict":"rejected","lines":10,"reasons":[{"code":"ai-unapproved"}]}]}"#,
        ]);
        assert_eq!(report.decisions, 4);
        assert_eq!((report.commits, report.ai_commits, report.lines, report.ai_lines), (6, 5, 1060, 460));
        assert_eq!((report.break_glass_uses, report.commits_without_lines), (1, 1));
        assert_eq!(report.period, Some(Period { from: "2026-11-23T10:00:00Z".into(), to: "2026-11-30T00:00:00Z".into() }));
        let alice = &report.approvers[0];
        assert_eq!((alice.approver.as_str(), alice.level.as_deref()), ("Alice", Some("senior")));
        assert_eq!((alice.approvals, alice.ai_commits, alice.lines_approved, alice.largest_lines_per_approval), (2, 2, 400, 300));
        assert_eq!(alice.median_lines_per_approval, Some(200.0));
        assert_eq!((alice.timed_approvals, alice.median_seconds_to_approval, alice.share_under_5_minutes), (2, Some(360.0), Some(0.5)));
        assert_eq!((alice.burst_lines_60_minutes, alice.burst_start.as_deref()), (400, Some("2026-11-23T10:02:00Z")));
        let bob = &report.approvers[1];
        // Signed at the record's time, 2026-11-29T23:00:00Z = author time + 0.
        assert_eq!(
            (bob.approvals, bob.lines_approved, bob.median_seconds_to_approval, bob.share_under_5_minutes),
            (1, 50, Some(0.0), Some(1.0))
        );
        assert_eq!(report.approvers.len(), 2, "Mia's approval did not count");
        let repository = &report.repositories[0];
        type Week<'a> = (&'a str, u64, u64, Option<f64>, Option<f64>);
        let weeks: Vec<Week<'_>> = repository
            .weeks
            .iter()
            .map(|w| (w.week.as_str(), w.commits, w.ai_commits, w.ai_share_of_commits, w.ai_share_of_lines))
            .collect();
        assert_eq!(weeks, [("2026-W48", 5, 4, Some(0.8), Some(450.0 / 1050.0)), ("2026-W49", 1, 1, Some(1.0), Some(1.0))]);
        let codes: Vec<(&str, u64)> = repository.refusals_by_code.iter().map(|c| (c.code.as_str(), c.count)).collect();
        assert_eq!(codes, [("ai-unapproved", 3), ("protected-ref-delete", 1), ("self-approval", 1)]);
        assert_eq!(report.refusals_by_code, repository.refusals_by_code);
    }

    #[test]
    fn a_walked_history_is_dated_by_author_and_has_no_decisions() {
        let report = report(&[
            r#"{"repository":"/w","commits":[{"id":"a","verdict":"approved","author_time":1795428000,"lines":5,"approvals":[{"approver":"Alice","valid":true}]}]}"#,
            r#"{"repository":"/w","commits":[{"id":"b","verdict":"not-ai"}]}"#,
        ]);
        assert_eq!((report.decisions, report.commits, report.approvals_without_time), (0, 2, 1));
        assert_eq!(report.repositories[0].weeks.len(), 1);
        assert_eq!(report.repositories[0].undated_commits, 1);
        assert_eq!(report.approvers[0].burst_lines_60_minutes, 0);
        assert_eq!(report.approvers[0].burst_start, None);
    }

    #[test]
    fn numbers_no_log_should_hold_do_not_panic() {
        let report = report(&[
            r#"{"time":"9999-12-31T23:59:59Z","repository":"r","outcome":"accepted","commits":[
                {"id":"a","verdict":"approved","author_time":-9223372036854775808,"lines":18446744073709551615,"approvals":[{"approver":"A","valid":true,"signed_at":9223372036854775807}]},
                {"id":"b","verdict":"approved","author_time":9223372036854775807,"lines":18446744073709551615,"approvals":[{"approver":"A","valid":true,"signed_at":-9223372036854775808}]}]}"#,
            r#"{"time":"not a time","outcome":"odd","commits":[{"verdict":"approved","approvals":[{"approver":"","valid":true}]}]}"#,
            "{}",
        ]);
        assert_eq!(report.lines, u64::MAX);
        assert_eq!(report.approvers.iter().map(|a| a.approvals).sum::<u64>(), 3);
        let a = report.approvers.iter().find(|a| a.approver == "A").expect("A");
        assert_eq!((a.burst_lines_60_minutes, a.timed_approvals), (u64::MAX, 2));
        assert_eq!(report.repositories.iter().map(|r| r.repository.as_str()).collect::<Vec<_>>(), [UNNAMED_REPOSITORY, "r"]);
    }
}
