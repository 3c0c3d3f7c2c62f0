//! Configuration and roster reading: any text as `signoff-gate.toml` and as
//! `roster.toml`. Nothing may panic, a refusal names at least one problem,
//! and every problem points at a line and column inside the text.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use signoff_gate::config::Config;
use signoff_gate::config::diagnostics::Problems;
use signoff_gate::policy::roster::Roster;

fn check(text: &str, problems: &Problems) {
    assert!(!problems.0.is_empty());
    let lines = text.split('\n').count();
    for problem in &problems.0 {
        assert!(problem.line >= 1 && problem.line <= lines, "{problem} in {lines} lines");
        assert!(problem.column >= 1, "{problem}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = Config::parse(Path::new("signoff-gate.toml"), text) {
        check(text, &problems);
    }
    if let Err(problems) = Roster::parse(Path::new("roster.toml"), text) {
        check(text, &problems);
    }
});
