//! signoff-gate keeps AI-assisted commits off protected branches until a
//! senior engineer has signed off on them.
//!
//! # Layout
//!
//! Folders are layers; imports only run down this list.
//!
//! - [`cmd`]: the command line, one file per subcommand.
//! - [`hook`]: the hook client, the only code that knows git's hook environment.
//! - [`service`]: the HTTP service (the only user of axum), live reload,
//!   audit log, metrics, the JSON wire format, and deciding one push.
//! - [`git`]: the git edge: git2 for repositories and diffs, gitoxide for
//!   history; turns a push into plain [`policy::facts::CommitFacts`].
//! - [`config`]: TOML → validated types, every problem with file:line:col.
//! - [`policy`]: the pure core (no git2, no axum, no I/O): trailers,
//!   detection, approvals and their signatures, verdicts, the pusher's text.

pub mod cmd;
pub mod config;
pub mod git;
pub mod hook;
pub mod policy;
pub mod service;

/// An error and its sources on one line, each cause said once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
