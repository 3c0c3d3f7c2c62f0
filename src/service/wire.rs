//! The JSON spoken between `signoff-gate hook` and the server
//! (`POST /v1/pre-receive`). Wire structs are kept apart from domain structs
//! so either can change without the other; see README "Wire format".

use serde::{Deserialize, Serialize};

/// What the hook sends for one push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreReceiveRequest {
    /// Absolute, canonical path of the repository (its git dir).
    pub repository: String,
    /// Absolute path of the push's object quarantine (`GIT_QUARANTINE_PATH`),
    /// when git uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    /// The ref updates, as git gave them on stdin.
    pub updates: Vec<WireRefUpdate>,
    /// Push options (`git push -o …`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub push_options: Vec<String>,
    /// Who pushed, when the host says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pusher: Option<WirePusher>,
}

/// One `<old> <new> <ref>` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRefUpdate {
    /// The old object id (all zeros when the ref is created).
    pub old: String,
    /// The new object id (all zeros when the ref is deleted).
    pub new: String,
    /// The full ref name.
    #[serde(rename = "ref")]
    pub refname: String,
}

/// The pusher as the git host identifies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirePusher {
    /// The environment variable it came from, e.g. `GL_USERNAME`.
    pub source: String,
    /// The login or name.
    pub name: String,
}

/// The server's answer to a push it could decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreReceiveResponse {
    /// Whether the push may go ahead.
    pub accepted: bool,
    /// `accepted`, `refused`, `warned` (warn mode) or `break-glass`.
    #[serde(default)]
    pub outcome: String,
    /// The id under which the decision is logged and audited.
    #[serde(default)]
    pub request_id: String,
    /// The text for the pusher (may be empty); the hook prints it as is.
    pub message: String,
    /// Commits checked across the push.
    pub checked: usize,
    /// Commits refused across the push.
    pub refused: usize,
    /// Each protected ref update and its outcome.
    pub refs: Vec<WireRefOutcome>,
}

/// The outcome for one protected ref update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRefOutcome {
    /// The full ref name.
    #[serde(rename = "ref")]
    pub refname: String,
    /// Whether this update alone would be accepted.
    pub accepted: bool,
    /// Commits checked for this update.
    pub checked: usize,
    /// Commits refused for this update.
    pub refused: usize,
    /// Codes of problems with the update itself (e.g. `protected-ref-deletion`).
    pub problems: Vec<String>,
}

/// The body of every error answer (4xx and 5xx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// What went wrong; specific for 4xx, generic for 5xx.
    pub error: String,
}
