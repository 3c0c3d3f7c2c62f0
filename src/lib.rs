//! signoff-gate keeps AI-assisted commits off protected branches until a
//! senior engineer has signed off on them.
//!
//! # Layout
//!
//! The policy core is pure (no git2, no axum, no I/O):
//!
//! - [`trailers`] reads commit-message trailers exactly as git does.
//! - [`identity`] parses `Name <email>` values.
//! - [`detect`] decides which commits are AI-assisted, with evidence.
//! - [`policy`] checks approvals and gives verdicts with stable codes.
//! - [`decision`] gathers a whole push's verdicts with bounded memory.
//! - [`outcome`] rules on a judged push: enforce, warn mode, break-glass.
//! - [`render`] writes the text a pusher reads.
//! - [`refs`] matches protected refs and classifies ref updates.
//! - [`facts`] holds the plain commit facts the git edge hands over.
//!
//! Configuration, validated with file:line:col for every problem:
//!
//! - [`diagnostics`] collects problems instead of stopping at the first.
//! - [`config`] reads `signoff-gate.toml`.
//! - [`roster`] reads who the engineers are and their levels.
//! - [`live`] holds the policy in force and reloads it when its files change.
//!
//! The edges, each the only module that knows its outside world:
//!
//! - [`git`] is the only user of git2: repositories, quarantine, history walks.
//! - [`pre_receive`] decides one push by joining the git edge to the policy.
//! - [`server`] is the only user of axum: HTTP in, JSON out.
//! - [`wire`] holds the JSON structs spoken between hook and server.
//! - [`audit`] appends one JSON line per decision; [`metrics`] counts for `/metrics`.
//! - [`hook`] is the only code that knows git's hook environment.
//! - [`cli`] and [`cmd`] hold the command line, one file per subcommand.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod decision;
pub mod detect;
pub mod diagnostics;
pub mod facts;
pub mod git;
pub mod history;
pub mod hook;
pub mod identity;
pub mod live;
pub mod metrics;
pub mod outcome;
pub mod policy;
pub mod pre_receive;
pub mod refs;
pub mod render;
pub mod roster;
pub mod server;
pub mod trailers;
pub mod wire;
