//! signoff-gate keeps AI-assisted commits off protected branches until a
//! senior engineer has signed off on them.
//!
//! # Layout
//!
//! The policy core is pure (no git2, no axum, no I/O):
//!
//! - [`trailers`]: commit-message trailers, read exactly as git reads them.
//! - [`identity`]: `Name <email>` values.
//! - [`detect`]: which commits are AI-assisted, with evidence.
//! - [`policy`]: approvals, verdicts and their stable codes.
//! - [`refs`]: protected ref patterns and ref updates.
//! - [`facts`]: the plain commit facts the git edge hands to the policy.
//!
//! Configuration:
//!
//! - [`diagnostics`]: problems with file:line:col, collected, not stopped at.
//! - [`config`]: `signoff-gate.toml`.
//! - [`roster`]: who the engineers are and their levels.

pub mod config;
pub mod detect;
pub mod diagnostics;
pub mod facts;
pub mod identity;
pub mod policy;
pub mod refs;
pub mod roster;
pub mod trailers;
pub mod decision;
pub mod git;
pub mod render;
pub mod cli;
pub mod cmd;
pub mod hook;
pub mod pre_receive;
pub mod server;
pub mod wire;
