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
