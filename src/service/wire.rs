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

/// Proof, both ways, that hook and server share the secret in
/// `token_file`, without either sending it: whoever answers on the gate's
/// address without the secret (a process that took the port while the gate
/// restarted) cannot make the hook accept a push, and learns nothing that
/// lets it pass as the hook later.
///
/// The hook sends a fresh random nonce and the time, with a MAC over both
/// (`Authorization: SignoffGate-HMAC-SHA256 <time>:<nonce>:<mac>`); the
/// server checks it before reading the body, and signs its answer: a MAC
/// over the nonce, the status and a SHA-256 of the body
/// (`X-Signoff-Gate-Answer`). The hook trusts no answer without it.
pub mod auth {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    /// The `Authorization` scheme of a hook that proves the secret.
    pub const SCHEME: &str = "SignoffGate-HMAC-SHA256";
    /// The header that carries the server's MAC over its answer.
    pub const ANSWER_HEADER: &str = "x-signoff-gate-answer";
    /// How far the hook's clock may be from the server's, in seconds.
    pub const MAX_SKEW_SECONDS: u64 = 300;

    fn mac(secret: &[u8], parts: &[&[u8]]) -> String {
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return String::new() };
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares in time that depends on the lengths only.
    fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let mut difference = u8::from(a.len() != b.len());
        for (index, byte) in b.iter().enumerate() {
            difference |= byte ^ a.get(index).copied().unwrap_or(0);
        }
        difference == 0
    }

    /// The hook's `Authorization` value for `nonce` (hex) at `time` (Unix seconds).
    pub fn request_authorization(secret: &[u8], time: u64, nonce: &str) -> String {
        let time = time.to_string();
        format!("{SCHEME} {time}:{nonce}:{}", mac(secret, &[b"signoff-gate request v1", time.as_bytes(), nonce.as_bytes()]))
    }

    /// The nonce of a valid hook `Authorization` value (`credentials` is
    /// what follows the scheme), or why it is not valid at `now`.
    pub fn check_request(secret: &[u8], credentials: &str, now: u64) -> Result<String, &'static str> {
        let mut parts = credentials.trim().splitn(3, ':');
        let (Some(time), Some(nonce), Some(given)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("the authorization is not <time>:<nonce>:<mac>");
        };
        let Ok(seconds) = time.parse::<u64>() else { return Err("the authorization's time is not a number") };
        if nonce.len() < 32 || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the authorization's nonce is not 32 to 128 hex digits");
        }
        if !same(given, &mac(secret, &[b"signoff-gate request v1", time.as_bytes(), nonce.as_bytes()])) {
            return Err("the authorization is not made with this gate's secret");
        }
        if seconds.abs_diff(now) > MAX_SKEW_SECONDS {
            return Err("the authorization's time is more than 5 minutes from the gate's clock");
        }
        Ok(nonce.to_owned())
    }

    /// The server's MAC over its answer to the request with `nonce`.
    pub fn answer_mac(secret: &[u8], nonce: &str, status: u16, body: &[u8]) -> String {
        let digest = Sha256::digest(body);
        mac(secret, &[b"signoff-gate answer v1", nonce.as_bytes(), status.to_string().as_bytes(), &digest])
    }

    /// Whether `given` is the server's MAC over this answer.
    pub fn check_answer(secret: &[u8], nonce: &str, status: u16, body: &[u8], given: &str) -> bool {
        same(given.trim(), &answer_mac(secret, nonce, status, body))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn macs_bind_the_secret_the_nonce_the_time_and_the_answer() {
            let nonce = "0123456789abcdef0123456789abcdef";
            let header = request_authorization(b"s3cret", 1_000, nonce);
            let credentials = header.strip_prefix(SCHEME).expect("scheme").trim();
            assert_eq!(check_request(b"s3cret", credentials, 1_100), Ok(nonce.to_owned()));
            assert!(check_request(b"other", credentials, 1_100).is_err());
            assert!(check_request(b"s3cret", credentials, 1_000 + MAX_SKEW_SECONDS + 1).is_err());
            assert!(check_request(b"s3cret", &credentials.replace("1000:", "1001:"), 1_000).is_err());
            assert!(!header.contains("s3cret"));

            let mac = answer_mac(b"s3cret", nonce, 200, b"{\"accepted\":true}");
            assert!(check_answer(b"s3cret", nonce, 200, b"{\"accepted\":true}", &mac));
            assert!(!check_answer(b"s3cret", nonce, 200, b"{\"accepted\":false}", &mac));
            assert!(!check_answer(b"s3cret", nonce, 201, b"{\"accepted\":true}", &mac));
            assert!(!check_answer(b"s3cret", "ffffffffffffffffffffffffffffffff", 200, b"{\"accepted\":true}", &mac));
            assert!(!check_answer(b"other", nonce, 200, b"{\"accepted\":true}", &mac));
        }
    }
}
