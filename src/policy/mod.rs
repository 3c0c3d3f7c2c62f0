//! The pure policy core: plain functions over plain data. Nothing here
//! imports git2, gitoxide, axum, tokio or does I/O (`tests/it/architecture.rs`
//! holds it to that).
//!
//! - [`trailers`] reads commit-message trailers exactly as git does.
//! - [`identity`] parses `Name <email>` values.
//! - [`detect`] decides which commits are AI-assisted, with evidence.
//! - [`lookalike`] folds look-alike characters and finds invisible ones.
//! - [`notes`] reads AI attribution kept in git notes (git-ai, Qwen Code).
//! - [`roster`] who the engineers are, their levels and signing keys.
//! - [`approval`] signed approvals: the statement, its trailer, verifying it.
//! - [`batch`] checks many ed25519 signatures at once.
//! - [`rules`] blast-radius rules: conditions on a commit's change.
//! - [`gate`] checks approvals and gives verdicts with stable codes.
//! - [`merge_scope`] which commits a signed merge approves.
//! - [`decision`] gathers a whole push's verdicts with bounded memory.
//! - [`outcome`] rules on a judged push: enforce, warn mode, break-glass.
//! - [`rate`] the review-rate rule: no one signs faster than they can read.
//! - [`report`] the accountability report: who approved how much, how fast.
//! - [`calendar`] UTC dates and times, ISO weeks.
//! - [`render`] writes the text a pusher reads.
//! - [`refs`] matches protected refs and classifies ref updates.
//! - [`facts`] holds the plain commit facts the git edge hands over.

pub mod approval;
pub mod batch;
pub mod calendar;
pub mod decision;
pub mod detect;
pub mod facts;
pub mod gate;
pub mod identity;
pub mod lookalike;
pub mod merge_scope;
pub mod notes;
pub mod outcome;
pub mod rate;
pub mod refs;
pub mod render;
pub mod report;
pub mod roster;
pub mod rules;
pub mod trailers;
