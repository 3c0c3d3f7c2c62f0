//! Counters for `GET /metrics`, written in the Prometheus text format
//! (version 0.0.4). Plain atomics: no registry, no labels beyond a few
//! fixed sets, so the cardinality stays bounded whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::policy::outcome::Outcome;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
const OUTCOMES: [Outcome; 4] = [Outcome::Accepted, Outcome::Refused, Outcome::Warned, Outcome::BreakGlass];

/// Upper bounds of the approved-lines histogram's buckets, in lines.
const LINE_BUCKETS: [u64; 10] = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 50_000];

/// The most distinct approver levels counted (the roster names them; more
/// share the label `other`).
const MAX_LEVELS: usize = 16;

/// What the service counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by endpoint and status code.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Decisions by outcome, in the order of [`OUTCOMES`].
    decisions: [AtomicU64; 4],
    /// Pushes the gate could not decide (deadline, audit log, git errors).
    undecided: AtomicU64,
    commits_checked: AtomicU64,
    commits_ai: AtomicU64,
    commits_refused: AtomicU64,
    /// Pre-receive latency: cumulative bucket counts, then +Inf.
    latency_buckets: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_micros: AtomicU64,
    /// Valid approvals in decided pushes, by the approver's roster level.
    approvals: Mutex<BTreeMap<String, u64>>,
    /// Changed lines per valid approval, where they were read: cumulative
    /// bucket counts, then +Inf.
    line_buckets: [AtomicU64; LINE_BUCKETS.len() + 1],
    lines_sum: AtomicU64,
    /// Refusals by stable code: refused commits' reasons and ref updates'
    /// problems.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
}

/// What one push's commits add to the metrics, gathered while it is
/// decided.
#[derive(Debug, Default)]
pub struct Tally {
    /// The level of each valid approval.
    levels: Vec<String>,
    /// The changed lines of each valid approval whose commit's lines were read.
    lines: Vec<u64>,
    /// The code of each reason of each refused commit.
    codes: Vec<&'static str>,
}

impl Tally {
    /// Counts one judged commit.
    pub fn commit(&mut self, report: &crate::policy::gate::CommitReport) {
        for approval in report.approvals.iter().filter(|a| a.valid) {
            self.levels.push(approval.level.clone().unwrap_or_else(|| "unknown".to_owned()));
            if let Some(lines) = report.lines {
                self.lines.push(lines);
            }
        }
        if report.verdict == crate::policy::gate::Verdict::Rejected {
            self.codes.extend(report.reasons.iter().map(|reason| reason.code.as_str()));
        }
    }
}

/// Values read elsewhere at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    /// Successful reloads since start.
    pub reloads: u64,
    /// Reloads that found files that do not validate.
    pub reload_failures: u64,
    /// The generation of the policy in force.
    pub generation: u64,
    /// Whether the files on disk are the policy in force.
    pub ready: bool,
}

/// The endpoint label of a request path; unknown paths share one label.
pub fn endpoint(path: &str) -> &'static str {
    match path {
        "/v1/pre-receive" => "pre-receive",
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        _ => "other",
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, endpoint: &'static str, status: u16, elapsed: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *requests.entry((endpoint, status)).or_default() += 1;
        }
        if endpoint == "pre-receive" {
            let seconds = elapsed.as_secs_f64();
            let bucket = BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(BUCKETS.len());
            self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
            let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
            self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Counts one decided push and its commits.
    pub fn decision(&self, outcome: Outcome, checked: usize, ai: usize, refused: usize) {
        if let Some(index) = OUTCOMES.iter().position(|o| *o == outcome) {
            self.decisions[index].fetch_add(1, Ordering::Relaxed);
        }
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.commits_checked.fetch_add(count(checked), Ordering::Relaxed);
        self.commits_ai.fetch_add(count(ai), Ordering::Relaxed);
        self.commits_refused.fetch_add(count(refused), Ordering::Relaxed);
    }

    /// Counts a decided push's approvals and refusals: `tally` from its
    /// commits, `problems` the codes of its ref updates' problems.
    pub fn tally(&self, tally: Tally, problems: impl IntoIterator<Item = &'static str>) {
        {
            let mut approvals = self.approvals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for level in tally.levels {
                let label = if approvals.contains_key(&level) || approvals.len() < MAX_LEVELS { level } else { "other".to_owned() };
                *approvals.entry(label).or_default() += 1;
            }
        }
        for lines in tally.lines {
            let bucket = LINE_BUCKETS.iter().position(|bound| lines <= *bound).unwrap_or(LINE_BUCKETS.len());
            self.line_buckets[bucket].fetch_add(1, Ordering::Relaxed);
            self.lines_sum.fetch_add(lines, Ordering::Relaxed);
        }
        let mut refusals = self.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for code in tally.codes.into_iter().chain(problems) {
            *refusals.entry(code).or_default() += 1;
        }
    }

    /// Counts a push the gate could not decide (it is refused).
    pub fn undecided(&self) {
        self.undecided.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::new();
        family(&mut out, "requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        {
            let requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for ((endpoint, status), count) in requests.iter() {
                let _ = writeln!(out, "signoff_gate_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}");
            }
        }
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        family(&mut out, "decisions_total", "counter", "Pushes decided, by outcome.");
        for (outcome, counter) in OUTCOMES.iter().zip(&self.decisions) {
            let _ = writeln!(out, "signoff_gate_decisions_total{{outcome=\"{}\"}} {}", outcome.as_str(), load(counter));
        }
        family(&mut out, "undecided_total", "counter", "Pushes refused because the gate could not decide them.");
        let _ = writeln!(out, "signoff_gate_undecided_total {}", load(&self.undecided));
        family(&mut out, "commits_checked_total", "counter", "Commits checked against the policy.");
        let _ = writeln!(out, "signoff_gate_commits_checked_total {}", load(&self.commits_checked));
        family(&mut out, "commits_ai_assisted_total", "counter", "Checked commits found AI-assisted.");
        let _ = writeln!(out, "signoff_gate_commits_ai_assisted_total {}", load(&self.commits_ai));
        family(&mut out, "commits_refused_total", "counter", "Checked commits refused by the policy.");
        let _ = writeln!(out, "signoff_gate_commits_refused_total {}", load(&self.commits_refused));

        family(&mut out, "pre_receive_duration_seconds", "histogram", "Time to answer a pre-receive request.");
        let mut cumulative = 0;
        for (bound, counter) in BUCKETS.iter().zip(&self.latency_buckets) {
            cumulative += load(counter);
            let _ = writeln!(out, "signoff_gate_pre_receive_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += load(&self.latency_buckets[BUCKETS.len()]);
        let _ = writeln!(out, "signoff_gate_pre_receive_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = load(&self.latency_sum_micros) as f64 / 1e6;
        let _ = writeln!(out, "signoff_gate_pre_receive_duration_seconds_sum {sum}");
        let _ = writeln!(out, "signoff_gate_pre_receive_duration_seconds_count {cumulative}");

        family(&mut out, "approvals_total", "counter", "Valid approvals in decided pushes, by the approver's roster level.");
        {
            let approvals = self.approvals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (level, count) in approvals.iter() {
                let _ = writeln!(out, "signoff_gate_approvals_total{{level=\"{}\"}} {count}", label_value(level));
            }
        }
        family(
            &mut out,
            "approved_lines",
            "histogram",
            "Changed lines per valid approval (read when the audit log or the review rate is on).",
        );
        let mut cumulative = 0;
        for (bound, counter) in LINE_BUCKETS.iter().zip(&self.line_buckets) {
            cumulative += load(counter);
            let _ = writeln!(out, "signoff_gate_approved_lines_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += load(&self.line_buckets[LINE_BUCKETS.len()]);
        let _ = writeln!(out, "signoff_gate_approved_lines_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "signoff_gate_approved_lines_sum {}", load(&self.lines_sum));
        let _ = writeln!(out, "signoff_gate_approved_lines_count {cumulative}");
        family(&mut out, "refusals_total", "counter", "Refusals by stable code: refused commits' reasons and ref updates' problems.");
        {
            let refusals = self.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (code, count) in refusals.iter() {
                let _ = writeln!(out, "signoff_gate_refusals_total{{code=\"{code}\"}} {count}");
            }
        }

        family(&mut out, "roster_reloads_total", "counter", "Successful reloads of the configuration and roster.");
        let _ = writeln!(out, "signoff_gate_roster_reloads_total {}", gauges.reloads);
        family(&mut out, "roster_reload_failures_total", "counter", "Reloads refused because the files do not validate.");
        let _ = writeln!(out, "signoff_gate_roster_reload_failures_total {}", gauges.reload_failures);
        family(&mut out, "roster_generation", "gauge", "Generation of the configuration and roster in force.");
        let _ = writeln!(out, "signoff_gate_roster_generation {}", gauges.generation);
        family(&mut out, "ready", "gauge", "1 when the files on disk are the policy in force, 0 while an edit does not validate.");
        let _ = writeln!(out, "signoff_gate_ready {}", u8::from(gauges.ready));
        out
    }
}

/// A label value as the text format needs it: backslash, quote and newline
/// escaped.
fn label_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The `# HELP` and `# TYPE` lines of one metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP signoff_gate_{name} {help}\n# TYPE signoff_gate_{name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let metrics = Metrics::default();
        metrics.request("pre-receive", 200, Duration::from_micros(800));
        metrics.request("pre-receive", 200, Duration::from_millis(30));
        metrics.request("healthz", 200, Duration::ZERO);
        metrics.decision(Outcome::Refused, 3, 1, 1);
        let text = metrics.render(Gauges { reloads: 2, reload_failures: 1, generation: 3, ready: true });
        for line in [
            "signoff_gate_requests_total{endpoint=\"pre-receive\",status=\"200\"} 2",
            "signoff_gate_requests_total{endpoint=\"healthz\",status=\"200\"} 1",
            "signoff_gate_decisions_total{outcome=\"refused\"} 1",
            "signoff_gate_decisions_total{outcome=\"break-glass\"} 0",
            "signoff_gate_commits_checked_total 3",
            "signoff_gate_pre_receive_duration_seconds_bucket{le=\"0.001\"} 1",
            "signoff_gate_pre_receive_duration_seconds_bucket{le=\"0.025\"} 1",
            "signoff_gate_pre_receive_duration_seconds_bucket{le=\"0.05\"} 2",
            "signoff_gate_pre_receive_duration_seconds_bucket{le=\"+Inf\"} 2",
            "signoff_gate_pre_receive_duration_seconds_count 2",
            "signoff_gate_roster_generation 3",
            "signoff_gate_ready 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }
}
