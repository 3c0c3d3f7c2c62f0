//! The invariants of ARCHITECTURE.md that can be read off the source: the
//! policy core does no I/O, each outside world has one module, and imports
//! run one way, down the layers.

use std::path::{Path, PathBuf};

/// The layers, lowest first: a file may import its own layer and those below.
const LAYERS: [&str; 6] = ["policy", "config", "git", "service", "hook", "cmd"];

/// Paths the core must never name.
const FORBIDDEN_IN_CORE: [&str; 9] = ["git2::", "gix_", "axum", "tokio", "hyper", "std::fs", "std::env", "std::process", "std::net"];

/// Every `.rs` file under `src/`, as (path relative to `src/`, text).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable src folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            (name, std::fs::read_to_string(&path).expect("readable source"))
        })
        .collect()
}

/// The layer a file belongs to: its folder, or its own name at the top.
fn layer_of(name: &str) -> Option<usize> {
    let first = name.split('/').next().expect("a name").trim_end_matches(".rs");
    LAYERS.iter().position(|layer| *layer == first)
}

/// Code lines only, before the file's tests: comments and doc comments may
/// mention anything, and tests may build what they need.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(index, line)| (index + 1, line))
}

#[test]
fn the_policy_core_does_no_io() {
    let mut found = Vec::new();
    let mut core_files = 0;
    for (name, text) in sources().iter().filter(|(name, _)| name.starts_with("policy/")) {
        core_files += 1;
        for (number, line) in code_lines(text) {
            for forbidden in FORBIDDEN_IN_CORE {
                if line.contains(forbidden) {
                    found.push(format!("src/{name}:{number}: {forbidden}: {}", line.trim()));
                }
            }
        }
    }
    assert!(core_files >= 10, "found the core's files");
    assert!(found.is_empty(), "the policy core must not do I/O:\n{}", found.join("\n"));
}

#[test]
fn each_outside_world_has_one_module() {
    // (what, the files where it may appear)
    let owners = [
        ("git2::", &["git/mod.rs", "git/error.rs", "git/change_reference.rs"][..]),
        ("gix_", &["git/history.rs"][..]),
        ("axum::", &["service/server.rs"][..]),
        ("GIT_QUARANTINE_PATH", &["hook.rs"][..]),
    ];
    let files = sources();
    let mut found = Vec::new();
    for (name, text) in &files {
        for (what, allowed) in owners {
            if allowed.contains(&name.as_str()) {
                continue;
            }
            for (number, line) in code_lines(text) {
                if line.contains(what) {
                    found.push(format!("src/{name}:{number}: {what} outside {allowed:?}"));
                }
            }
        }
    }
    assert!(files.len() > 25, "found the sources: {}", files.len());
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn imports_run_down_the_layers() {
    let mut found = Vec::new();
    for (name, text) in sources() {
        let Some(own) = layer_of(&name) else {
            continue;
        };
        for (number, line) in code_lines(&text) {
            for (rank, layer) in LAYERS.iter().enumerate().skip(own + 1) {
                if line.contains(&format!("crate::{layer}::")) || line.contains(&format!("crate::{layer};")) {
                    found.push(format!("src/{name}:{number}: {} imports the higher layer `{layer}` ({rank} > {own})", LAYERS[own]));
                }
            }
        }
    }
    assert!(found.is_empty(), "imports must run down {LAYERS:?}:\n{}", found.join("\n"));
}
