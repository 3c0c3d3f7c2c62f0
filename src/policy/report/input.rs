//! What the report reads: one audit-log decision (or one commit of a walked
//! history) as plain data. Every field may be missing and unknown fields
//! are ignored, so logs written by older and newer versions of the gate
//! both read; strings borrow from the line whenever they hold no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// A string read from JSON: borrowed from the input when it can be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text(Cow::Borrowed(text))
    }
}

impl From<String> for Text<'_> {
    fn from(text: String) -> Self {
        Text(Cow::Owned(text))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// One decision as the report reads it (see `service::audit::AuditRecord`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Record<'a> {
    /// When the decision was made (RFC 3339). A walked history has none.
    #[serde(borrow)]
    pub time: Option<Text<'a>>,
    /// The repository.
    #[serde(borrow)]
    pub repository: Option<Text<'a>>,
    /// `accepted`, `refused`, `warned` or `break-glass`. A walked history
    /// has none: its commits were never decided.
    #[serde(borrow)]
    pub outcome: Option<Text<'a>>,
    /// The push's ref updates.
    #[serde(borrow)]
    pub updates: Vec<Update<'a>>,
    /// The checked commits.
    #[serde(borrow)]
    pub commits: Vec<Commit<'a>>,
}

/// One ref update: only its problems matter here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Update<'a> {
    /// Problems with the update itself (e.g. a protected-ref deletion).
    #[serde(borrow)]
    pub problems: Vec<Coded<'a>>,
}

/// A reason or problem: only its code matters here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Coded<'a> {
    /// The stable code, e.g. `ai-unapproved`.
    #[serde(borrow)]
    pub code: Option<Text<'a>>,
}

/// One checked commit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Commit<'a> {
    /// The full object id.
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    /// `not-ai`, `approved` or `rejected`.
    #[serde(borrow)]
    pub verdict: Option<Text<'a>>,
    /// The author date, in Unix seconds.
    pub author_time: Option<i64>,
    /// Lines added and deleted against the first parent (`git diff --numstat`).
    pub lines: Option<u64>,
    /// Every approval and whether it counted.
    #[serde(borrow)]
    pub approvals: Vec<Approval<'a>>,
    /// Why it was refused.
    #[serde(borrow)]
    pub reasons: Vec<Coded<'a>>,
}

impl Commit<'_> {
    /// AI-assisted: any verdict but `not-ai` (a commit without a verdict is
    /// not counted as AI-assisted).
    pub fn ai_assisted(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| v.as_str() != "not-ai")
    }

    /// Refused by the policy (whatever became of the push).
    pub fn refused(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| v.as_str() == "rejected")
    }
}

/// One approval of a commit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Approval<'a> {
    /// The roster engineer who approved, when the approval names one.
    #[serde(borrow)]
    pub approver: Option<Text<'a>>,
    /// Whether it counted.
    pub valid: bool,
    /// When it was signed, in Unix seconds (absent for older approvals).
    pub signed_at: Option<i64>,
    /// The approver's roster level.
    #[serde(borrow)]
    pub level: Option<Text<'a>>,
}

/// Reads one line of the audit log: a JSON object (serde would also take
/// an array for a struct; a log line never is one).
pub fn parse_record(line: &[u8]) -> Result<Record<'_>, serde_json::Error> {
    if line.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b != b'{') {
        return Err(serde::de::Error::custom("a line of the audit log must be a JSON object"));
    }
    serde_json::from_slice(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_is_there_and_ignores_the_rest() {
        let line = br#"{"time":"2026-11-25T12:40:02.117Z","repository":"/srv/git/a.git","outcome":"refused","future":{"x":[1,2]},
            "updates":[{"ref":"refs/heads/main","problems":[{"code":"protected-ref-delete","message":"m"}]}],
            "commits":[{"id":"c1","verdict":"approved","author_time":1795600000,"lines":12,"markers":[{"tool":"Claude Code"}],
                        "approvals":[{"trailer":"Approved-by: A","approver":"Al \"the\" Senior","valid":true,"signed_at":1795610000,"level":"senior"},
                                     {"approver":null,"valid":false,"code":"approver-unknown"}]},
                       {"id":"c2"}]}"#;
        let record = parse_record(line).expect("parses");
        assert_eq!(record.time.as_ref().map(Text::as_str), Some("2026-11-25T12:40:02.117Z"));
        assert!(matches!(record.repository.as_ref().map(|t| &t.0), Some(Cow::Borrowed("/srv/git/a.git"))));
        assert_eq!(record.updates[0].problems[0].code.as_ref().map(Text::as_str), Some("protected-ref-delete"));
        let commit = &record.commits[0];
        assert!(commit.ai_assisted() && !commit.refused());
        assert_eq!((commit.author_time, commit.lines), (Some(1_795_600_000), Some(12)));
        let approval = &commit.approvals[0];
        // An escaped string is read, owned.
        assert!(matches!(approval.approver.as_ref().map(|t| &t.0), Some(Cow::Owned(name)) if name == "Al \"the\" Senior"));
        assert_eq!((approval.valid, approval.signed_at), (true, Some(1_795_610_000)));
        assert!(!commit.approvals[1].valid && commit.approvals[1].approver.is_none());
        let bare = &record.commits[1];
        assert!(!bare.ai_assisted() && bare.lines.is_none() && bare.approvals.is_empty());
    }

    #[test]
    fn bad_lines_are_errors_not_panics() {
        for line in [&b"{\"time\":"[..], b"", b"[]", b"{\"commits\":{}}", b"{\"commits\":[{\"lines\":-1}]}", b"\xff\xfe"] {
            assert!(parse_record(line).is_err(), "{}", String::from_utf8_lossy(line));
        }
        assert!(parse_record(b"{}").is_ok());
    }
}
