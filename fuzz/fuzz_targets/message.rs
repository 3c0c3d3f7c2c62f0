//! Commit-message reading: trailers, identities, AI markers, approvals and
//! the pusher's text, for any message and any author. Nothing may panic, and
//! the verdict must agree with its reasons.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signoff_gate::config::Config;
use signoff_gate::policy::facts::CommitFacts;
use signoff_gate::policy::identity::{Identity, emails_in};
use signoff_gate::policy::gate::{Gate, Verdict};
use signoff_gate::policy::render::commit_block;
use signoff_gate::policy::roster::Roster;
use signoff_gate::policy::trailers;

const ROSTER: &str = r#"
[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
aliases = ["alice@users.noreply.github.com"]
level = "senior"

[[engineer]]
name = "Mia Mid"
email = "mia@corp.example"
level = "mid"
"#;

fn gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(|| {
        let config = Config::parse(Path::new("signoff-gate.toml"), "").expect("default config");
        let roster = Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster");
        config.gate(roster).expect("gate")
    })
}

fuzz_target!(|data: &[u8]| {
    // The first line is the author ("Name <email>"), the rest the message.
    let text = String::from_utf8_lossy(data);
    let (author, message) = text.split_once('\n').unwrap_or(("", &text));
    for trailer in trailers::parse(message) {
        let _ = Identity::parse(&trailer.value);
        let _ = emails_in(&trailer.value);
    }
    let author = Identity::parse(author).unwrap_or_else(|| Identity::new(author, ""));
    let commit = CommitFacts {
        id: "1".repeat(40),
        parent_ids: vec!["2".repeat(40)],
        author: author.clone(),
        committer: author,
        author_time: 0,
        committer_time: 0,
        message: message.to_owned(),
        unreadable_encoding: None,
        oversized: None,
        malformed: None,
        change_id: None,
        signature: None,
        other_readings: vec![],
        notes: vec![],
    };
    let report = gate().evaluate(commit);
    match report.verdict {
        Verdict::NotAi => assert!(report.markers.is_empty() && report.reasons.is_empty()),
        Verdict::Approved => assert!(!report.markers.is_empty() && report.reasons.is_empty()),
        Verdict::Rejected => assert!(!report.reasons.is_empty()),
    }
    let _ = commit_block(&report);
});
