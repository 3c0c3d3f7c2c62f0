//! The invariants of ARCHITECTURE.md that can be read off the source: the
//! policy core does no I/O, and each outside world has one module.

use std::path::Path;

/// The pure core: plain functions over plain data.
const CORE: [&str; 9] = ["trailers", "identity", "detect", "policy", "decision", "outcome", "render", "refs", "facts"];

/// Paths the core must never name.
const FORBIDDEN_IN_CORE: [&str; 9] = ["git2::", "gix_", "axum", "tokio", "hyper", "std::fs", "std::env", "std::process", "std::net"];

fn source(module: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(format!("{module}.rs"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Code lines only: comments and doc comments may mention anything.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with("//")).map(|(index, line)| (index + 1, line))
}

#[test]
fn the_policy_core_does_no_io() {
    let mut found = Vec::new();
    for module in CORE {
        let text = source(module);
        for (number, line) in code_lines(&text) {
            for forbidden in FORBIDDEN_IN_CORE {
                if line.contains(forbidden) {
                    found.push(format!("src/{module}.rs:{number}: {forbidden}: {}", line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "the policy core must not do I/O:\n{}", found.join("\n"));
}

#[test]
fn each_outside_world_has_one_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&src).expect("src").chain(std::fs::read_dir(src.join("cmd")).expect("src/cmd")) {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    // (what, where it may appear)
    let owners = [
        ("git2::", &["git.rs"][..]),
        ("gix_", &["history.rs"][..]),
        ("axum::", &["server.rs"][..]),
        ("GIT_QUARANTINE_PATH", &["hook.rs"][..]),
    ];
    let mut found = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_owned();
        let text = std::fs::read_to_string(path).expect("readable source");
        for (what, allowed) in owners {
            if allowed.contains(&name.as_str()) {
                continue;
            }
            for (number, line) in code_lines(&text) {
                if line.contains(what) {
                    found.push(format!("{}:{number}: {what} outside {allowed:?}", path.display()));
                }
            }
        }
    }
    assert!(files.len() > 10, "found the sources: {files:?}");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
