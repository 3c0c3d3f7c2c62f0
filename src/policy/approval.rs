//! Signed approvals: what a senior signs, how it travels in a commit
//! message, and checking it against the roster's keys. Pure: bytes in,
//! a finding out (the git edge supplies the change's patch-id and a merge
//! commit's signed payload).
//!
//! An approval is one trailer, folded over several lines as git allows:
//!
//! ```text
//! Approved-by: Sam Senior <sam@corp.example>
//!  change=3f1c…(the commit's change id)
//!  time=1795000000(when it was signed, seconds since 1970)
//!  sig=U1NIU0lH…(an SSHSIG, base64, over the statement below)
//! ```
//!
//! The signature is `ssh-keygen -Y sign -n signoff-gate-approval` over the
//! [`statement_at`]: the approver's email, the change and the signing time
//! (format v2). Approvals of format v1 ([`statement`]: no `time=`, no time
//! in the statement) are still read; they carry no signing time. Rewording,
//! adding trailers and a clean rebase keep the change id and so the
//! approval; any change to the diff breaks it.

use ssh_encoding::Decode;
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::policy::roster::{Engineer, Roster};

/// The SSHSIG namespace of an approval: a signature made for anything else
/// (a git commit, a file) can never be taken for an approval.
pub const NAMESPACE: &str = "signoff-gate-approval";

/// The SSHSIG namespace git signs commits in (`gpg.format=ssh`).
pub const GIT_NAMESPACE: &str = "git";

/// The first line of the signed statement; a later format gets a new one.
const STATEMENT_V1: &str = "signoff-gate approval v1";

/// The first line of a statement with its signing time.
const STATEMENT_V2: &str = "signoff-gate approval v2";

/// Where the change id starts in an approval trailer's value.
const CHANGE_KEY: &str = "change=";

/// Where the signing time starts in an approval trailer's value.
const TIME_KEY: &str = "time=";

/// Where the signature starts in an approval trailer's value.
const SIG_KEY: &str = "sig=";

/// The text an approver signs: the format, their email (lowercase), and the
/// change they reviewed (the patch-id).
pub fn statement(email: &str, change_id: &str) -> String {
    format!("{STATEMENT_V1}\napprover {}\nchange {change_id}\n", email.trim().to_ascii_lowercase())
}

/// The text an approver signs (format v2): the format, their email
/// (lowercase), the change they reviewed and when they signed (seconds
/// since 1970, UTC), so the time cannot be changed after signing.
pub fn statement_at(email: &str, change_id: &str, signed_at: i64) -> String {
    format!("{STATEMENT_V2}\napprover {}\nchange {change_id}\ntime {signed_at}\n", email.trim().to_ascii_lowercase())
}

/// The statement an approval value claims: v2 with its time, else v1.
fn statement_of(email: &str, change_id: &str, signed_at: Option<i64>) -> String {
    match signed_at {
        Some(time) => statement_at(email, change_id, time),
        None => statement(email, change_id),
    }
}

/// An approval trailer's value, split into who and the signature parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalValue<'a> {
    /// `Name <email>` (or a bare email), as written.
    pub who: &'a str,
    /// The change id the approver says they signed, if given.
    pub change: Option<&'a str>,
    /// The signing time, when given (format v2); a `time=` that is not a
    /// number makes the value malformed.
    pub signed_at: Option<i64>,
    /// The signature's base64 (folding whitespace removed), if given.
    pub signature: Option<String>,
    /// Text after the approver that is neither a change nor a signature.
    pub malformed_tail: bool,
}

/// Splits an (unfolded) approval value: `who [change=HEX] [time=SECONDS]
/// [sig=BASE64…]`. One pass over the text, whatever it holds.
pub fn split_value(value: &str) -> ApprovalValue<'_> {
    // The tail starts at the first whitespace-delimited word that begins
    // with `change=`, `time=` or `sig=`.
    // Each key starts with an ASCII letter, so `at` is a char boundary.
    let starts_tail = |at: usize| {
        at > 0
            && [CHANGE_KEY, TIME_KEY, SIG_KEY].iter().any(|key| value.as_bytes()[at..].starts_with(key.as_bytes()))
            && value[..at].chars().next_back().is_some_and(char::is_whitespace)
    };
    let tail_start = memchr::memchr3_iter(b'c', b't', b's', value.as_bytes()).find(|&at| starts_tail(at)).unwrap_or(value.len());
    let who = value[..tail_start].trim();
    let tail = &value[tail_start..];
    // Its words, as `split_whitespace` finds them; in an ASCII tail (as
    // `approve` writes it) a whitespace char is one of these six bytes.
    let words: Vec<&str> = if tail.is_ascii() {
        let space = |b: &u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
        tail.as_bytes().split(space).filter(|word| !word.is_empty()).map(|word| std::str::from_utf8(word).unwrap_or_default()).collect()
    } else {
        tail.split_whitespace().collect()
    };
    let mut tokens = words.into_iter().peekable();
    let (mut change, mut signed_at, mut signature, mut malformed_tail) = (None, None, None, false);
    if let Some(token) = tokens.next_if(|t| t.starts_with(CHANGE_KEY)) {
        change = Some(&token[CHANGE_KEY.len()..]);
    }
    if let Some(token) = tokens.next_if(|t| t.starts_with(TIME_KEY)) {
        // Digits only (no sign, no `+`), as `approve` writes it.
        let digits = &token[TIME_KEY.len()..];
        match digits.parse::<i64>() {
            Ok(time) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => signed_at = Some(time),
            _ => malformed_tail = true,
        }
    }
    if let Some(token) = tokens.next_if(|t| t.starts_with(SIG_KEY)) {
        // Sized once: the tail holds the whole signature.
        let mut base64 = String::with_capacity(tail.len());
        base64.push_str(&token[SIG_KEY.len()..]);
        for more in tokens.by_ref() {
            base64.push_str(more);
        }
        signature = Some(base64);
    }
    if tokens.next().is_some() {
        malformed_tail = true;
    }
    ApprovalValue { who, change, signed_at, signature, malformed_tail }
}

/// The continuation lines that carry a signed approval, to follow
/// `Approved-by: Name <email>` (each starts with a space, as git folds a
/// trailer; base64 wrapped at 64 characters).
pub fn folded_signature(change_id: &str, signature_base64: &str) -> String {
    folded_approval(change_id, None, signature_base64)
}

/// [`folded_signature`] with the signing time of a v2 statement.
pub fn folded_approval(change_id: &str, signed_at: Option<i64>, signature_base64: &str) -> String {
    let time = signed_at.map(|time| format!(" {TIME_KEY}{time}\n")).unwrap_or_default();
    let mut text = format!(" {CHANGE_KEY}{change_id}\n{time} {SIG_KEY}");
    let compact: String = signature_base64.split_whitespace().collect();
    for (index, chunk) in compact.as_bytes().chunks(64).enumerate() {
        if index > 0 {
            text.push_str("\n ");
        }
        text.push_str(&String::from_utf8_lossy(chunk));
    }
    text.push('\n');
    text
}

/// `message` with `lines` (whole trailer lines, each ending in a newline)
/// added as its last trailers: into the trailer block when it has one,
/// else as a new paragraph.
pub fn with_trailer_lines(message: &str, lines: &str) -> String {
    let body = message.trim_end();
    let separator = if crate::policy::trailers::parse(message).is_empty() { "\n\n" } else { "\n" };
    format!("{body}{separator}{lines}")
}

/// The base64 body of an armored `-----BEGIN SSH SIGNATURE-----` block (as
/// `ssh-keygen -Y sign` prints it), checked to be one.
pub fn armored_body(armored: &str) -> Option<String> {
    let body = armored.trim().strip_prefix("-----BEGIN SSH SIGNATURE-----")?.strip_suffix("-----END SSH SIGNATURE-----")?;
    let compact: String = body.split_whitespace().collect();
    decode_signature(&compact).ok()?;
    Some(compact)
}

/// Why a signed approval does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    /// No signature at all.
    Unsigned,
    /// The signature cannot be read, is for another namespace, or does not
    /// verify.
    Invalid(String),
    /// A valid signature by that key, but for a different change.
    Stale {
        /// The change id that was signed.
        signed: String,
    },
    /// The signing key is on no one's roster entry.
    KeyUnknown {
        /// Its `SHA256:` fingerprint.
        fingerprint: String,
    },
    /// The signing key is another engineer's.
    KeyMismatch {
        /// Its `SHA256:` fingerprint.
        fingerprint: String,
        /// The name of the engineer who lists it.
        owner: String,
    },
}

/// Decodes the base64 of a raw SSHSIG blob (all of it, nothing after).
fn decode_signature(base64: &str) -> Result<SshSig, String> {
    let bytes = decode_base64(base64.as_bytes()).ok_or_else(|| "the signature is not base64".to_owned())?;
    let mut reader: &[u8] = &bytes;
    let signature = SshSig::decode(&mut reader).map_err(|error| format!("the signature cannot be read ({error})"))?;
    if !reader.is_empty() {
        return Err("the signature has bytes after its end".to_owned());
    }
    Ok(signature)
}

/// Standard base64 with padding, read as strictly as `base64ct`'s `Base64`
/// (a multiple of four characters, at most two `=` and only at the end,
/// the unused bits of the last character zero), but not in constant time:
/// a signature is public, and a push carries a thousand of them.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let padding = text.iter().rev().take(2).take_while(|&&b| b == b'=').count();
    let body = &text[..text.len() - padding];
    if body.len() % 4 == 1 {
        return None;
    }
    let sextet = |b: u8| -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut bytes = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut held, mut bits) = (0u32, 0u32);
    for &b in body {
        held = (held << 6 | sextet(b)?) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((held >> bits) as u8);
        }
    }
    (held & ((1 << bits) - 1) == 0).then_some(bytes)
}

/// The roster key that made `signature`, which must be `engineer`'s.
fn signer_key<'r>(signature: &SshSig, engineer: &Engineer, roster: &'r Roster) -> Result<&'r Engineer, SignatureProblem> {
    let owner = roster.engineer_by_key_data(signature.public_key());
    if let Some(owner) = owner.filter(|owner| owner.email == engineer.email) {
        return Ok(owner);
    }
    let fingerprint = signature.public_key().fingerprint(HashAlg::Sha256).to_string();
    match owner {
        None => Err(SignatureProblem::KeyUnknown { fingerprint }),
        Some(owner) => Err(SignatureProblem::KeyMismatch { fingerprint, owner: owner.name.clone() }),
    }
}

/// What checking an approval asks of its caller.
pub trait Evidence {
    /// The commit's change id, when it can be read; asked only once the
    /// signature has been read and its key found to be the engineer's.
    fn change_id(&mut self) -> Option<String>;

    /// Whether `signature`, by the key it carries, verifies over `message`
    /// in `namespace`; a caller that checks many at once may take it as
    /// good for now (see [`crate::policy::batch`]).
    fn verifies(&mut self, namespace: &str, message: &[u8], signature: &SshSig) -> bool;
}

/// A closure that gives the change id is evidence whose signatures are
/// checked at once.
impl<F: FnMut() -> Option<String>> Evidence for F {
    fn change_id(&mut self) -> Option<String> {
        self()
    }

    fn verifies(&mut self, namespace: &str, message: &[u8], signature: &SshSig) -> bool {
        crate::policy::batch::verifies_now(namespace, message, signature)
    }
}

/// Checks a signed approval by `email` (which is `engineer`'s) of the
/// commit's change, which `evidence` gives. A valid approval gives its
/// signing time (format v2; `None` for v1).
pub fn verify_approval(
    value: &ApprovalValue<'_>,
    email: &str,
    engineer: &Engineer,
    roster: &Roster,
    evidence: &mut dyn Evidence,
) -> Result<Option<i64>, SignatureProblem> {
    let Some(base64) = &value.signature else {
        return Err(SignatureProblem::Unsigned);
    };
    let signature = decode_signature(base64).map_err(SignatureProblem::Invalid)?;
    if signature.namespace() != NAMESPACE {
        return Err(SignatureProblem::Invalid(format!("the signature is for \"{}\", not for \"{NAMESPACE}\"", signature.namespace())));
    }
    signer_key(&signature, engineer, roster)?;
    let Some(actual) = evidence.change_id() else {
        return Err(SignatureProblem::Invalid("the commit's change could not be read".to_owned()));
    };
    let statement = statement_of(email, &actual, value.signed_at);
    // An approval that names another change is most likely stale: checked
    // at once, it does not fail a whole batch.
    let verified = if value.change.is_some_and(|claimed| claimed != actual) {
        crate::policy::batch::verifies_now(NAMESPACE, statement.as_bytes(), &signature)
    } else {
        evidence.verifies(NAMESPACE, statement.as_bytes(), &signature)
    };
    if verified {
        return Ok(value.signed_at);
    }
    let is_change_id = |text: &str| text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
    match value.change {
        Some(signed)
            if signed != actual
                && is_change_id(signed)
                && crate::policy::batch::verifies_now(NAMESPACE, statement_of(email, signed, value.signed_at).as_bytes(), &signature) =>
        {
            Err(SignatureProblem::Stale { signed: signed.to_owned() })
        }
        _ => Err(SignatureProblem::Invalid(format!("the signature does not verify for {email} and this change"))),
    }
}

/// A merge commit's own signature (git's `gpgsig` header) and what it covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitSignature {
    /// The commit object without its signature header: what was signed.
    pub payload: Vec<u8>,
    /// The header's value, unfolded: an armored signature.
    pub armored: String,
}

/// The roster engineer whose key made a commit's SSH signature, when it
/// verifies (namespace `git`, as `git commit -S` with `gpg.format=ssh`).
pub fn commit_signer<'r>(signature: &CommitSignature, roster: &'r Roster) -> Result<&'r Engineer, SignatureProblem> {
    let Some(body) = armored_body(&signature.armored) else {
        return Err(SignatureProblem::Invalid("the commit's signature is not an SSH signature".to_owned()));
    };
    let sig = decode_signature(&body).map_err(SignatureProblem::Invalid)?;
    if sig.namespace() != GIT_NAMESPACE {
        return Err(SignatureProblem::Invalid(format!("the commit is signed for \"{}\", not \"{GIT_NAMESPACE}\"", sig.namespace())));
    }
    let fingerprint = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
    let Some(owner) = roster.engineer_by_key(&fingerprint) else {
        return Err(SignatureProblem::KeyUnknown { fingerprint });
    };
    let key = PublicKey::from(sig.public_key().clone());
    key.verify(GIT_NAMESPACE, &signature.payload, &sig)
        .map_err(|_| SignatureProblem::Invalid("the commit's signature does not verify".to_owned()))?;
    Ok(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_base64_exactly_as_strictly_as_base64ct() {
        use ssh_encoding::base64::{Base64, Encoding};
        // A small deterministic generator: the cases are the same each run.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        let mut cases: Vec<Vec<u8>> =
            vec![Vec::new(), b"=".to_vec(), b"====".to_vec(), b"A===".to_vec(), b"AB=C".to_vec(), b"A=B=".to_vec()];
        for _ in 0..4000 {
            let length = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..length).map(|_| next() as u8).collect();
            let mut text = Base64::encode_string(&bytes).into_bytes();
            // Half the cases are damaged: a character swapped for any
            // byte, one cut off or one added.
            match next() % 8 {
                0 if !text.is_empty() => {
                    let at = (next() as usize) % text.len();
                    text[at] = if next() % 2 == 0 { alphabet[(next() as usize) % alphabet.len()] } else { next() as u8 };
                }
                1 => {
                    text.pop();
                }
                2 => text.push(alphabet[(next() as usize) % alphabet.len()]),
                3 if text.len() >= 2 => {
                    // The last character before the padding, swapped for
                    // any digit (most set the bits a padded end leaves spare).
                    let at = text.iter().rposition(|&b| b != b'=').unwrap_or(0);
                    text[at] = alphabet[(next() as usize) % 64];
                }
                _ => {}
            }
            cases.push(text);
        }
        let mut refused = 0;
        for text in &cases {
            let theirs = std::str::from_utf8(text).ok().and_then(|text| Base64::decode_vec(text).ok());
            assert_eq!(decode_base64(text), theirs, "{:?}", String::from_utf8_lossy(text));
            refused += usize::from(theirs.is_none());
        }
        assert!(refused > 1000 && refused < cases.len() - 1000, "both kinds are tried: {refused} of {} refused", cases.len());
    }

    #[test]
    fn splits_an_approval_value() {
        let plain = split_value("Sam Senior <sam@corp.example>");
        assert_eq!(
            (plain.who, plain.change, plain.signature.as_deref(), plain.malformed_tail),
            ("Sam Senior <sam@corp.example>", None, None, false)
        );
        let signed = split_value("Sam Senior <sam@corp.example> change=abc123 sig=U1NI SUdB QQ==");
        assert_eq!(signed.who, "Sam Senior <sam@corp.example>");
        assert_eq!(signed.change, Some("abc123"));
        assert_eq!(signed.signature.as_deref(), Some("U1NISUdBQQ=="));
        assert!(!signed.malformed_tail);
        let only_sig = split_value("sam@corp.example sig=AAAA");
        assert_eq!((only_sig.who, only_sig.change, only_sig.signature.as_deref()), ("sam@corp.example", None, Some("AAAA")));
        // Text after the approver that is not a change or signature stays with the approver.
        let prose = split_value("Sam <sam@corp.example> (after pairing)");
        assert_eq!((prose.who, prose.signature), ("Sam <sam@corp.example> (after pairing)", None));
        let reversed = split_value("Sam <sam@corp.example> sig=AAAA change=abc");
        assert_eq!(reversed.signature.as_deref(), Some("AAAAchange=abc"));
        // Words are split at whitespace of any kind, ASCII or not.
        let tabs = split_value("Sam <s@x> change=ab\u{b}time=7\u{c}sig=AA\r\nBB");
        assert_eq!((tabs.change, tabs.signed_at, tabs.signature.as_deref()), (Some("ab"), Some(7), Some("AABB")));
        let wide = split_value("Sam <s@x> change=ab\u{2003}sig=AA\u{85}BB");
        assert_eq!((wide.change, wide.signature.as_deref(), wide.malformed_tail), (Some("ab"), Some("AABB"), false));
        // The tail starts after whitespace of any kind, never at the start
        // or inside a word.
        let after_nbsp = split_value("Sam\u{a0}sig=AAAA");
        assert_eq!((after_nbsp.who, after_nbsp.signature.as_deref()), ("Sam", Some("AAAA")));
        assert_eq!(split_value("Samsig=AAAA").who, "Samsig=AAAA");
        assert_eq!((split_value("sig=AAAA").who, split_value("sig=AAAA").signature), ("sig=AAAA", None));
        assert_eq!(split_value("Sam cost=1 time=12 sig=AA").signed_at, Some(12));
    }

    #[test]
    fn the_statement_names_the_approver_and_the_change() {
        assert_eq!(statement(" Sam@Corp.Example ", "ff00"), "signoff-gate approval v1\napprover sam@corp.example\nchange ff00\n");
        assert_eq!(
            statement_at("Sam@Corp.Example", "ff00", 1_795_000_000),
            "signoff-gate approval v2\napprover sam@corp.example\nchange ff00\ntime 1795000000\n"
        );
    }

    #[test]
    fn a_signing_time_travels_between_the_change_and_the_signature() {
        let folded = folded_approval("ff00", Some(1_795_000_000), "AAAA");
        assert_eq!(folded, " change=ff00\n time=1795000000\n sig=AAAA\n");
        let unfolded = format!("Sam <sam@corp.example>{}", folded.replace('\n', ""));
        let value = split_value(&unfolded);
        assert_eq!((value.change, value.signed_at, value.signature.as_deref()), (Some("ff00"), Some(1_795_000_000), Some("AAAA")));
        assert!(!value.malformed_tail);
        // A time that is not plain digits makes the value malformed (it cannot
        // be what was signed).
        for bad in ["time=-5", "time=+5", "time=5s", "time=", "time=99999999999999999999"] {
            let text = format!("Sam <sam@corp.example> change=ff00 {bad} sig=AAAA");
            assert!(split_value(&text).malformed_tail, "{bad}");
        }
        assert_eq!(folded_signature("ff00", "AAAA"), " change=ff00\n sig=AAAA\n");
    }

    #[test]
    fn folds_the_signature_under_the_trailer() {
        let folded = folded_signature("ab", &"x".repeat(70));
        assert_eq!(folded, format!(" change=ab\n sig={}\n {}\n", "x".repeat(64), "x".repeat(6)));
        let value = format!("Sam <sam@corp.example>{}", folded.replace('\n', " "));
        assert_eq!(split_value(&value).signature.as_deref(), Some("x".repeat(70).as_str()));
    }

    #[test]
    fn adds_approval_lines_as_trailers() {
        let lines = "Approved-by: Sam <sam@corp.example>\n change=ab\n sig=AAAA\n";
        let plain = with_trailer_lines("Subject\n\nBody text.\n", lines);
        assert_eq!(plain, format!("Subject\n\nBody text.\n\n{lines}"));
        let trailed = with_trailer_lines("Subject\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n\n", lines);
        assert_eq!(trailed, format!("Subject\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n{lines}"));
        let read = crate::policy::trailers::parse(&trailed);
        assert_eq!(read.len(), 2);
        assert_eq!(split_value(&read[1].value).signature.as_deref(), Some("AAAA"));
    }

    #[test]
    fn garbage_is_an_invalid_signature_not_a_panic() {
        for garbage in ["", "!!!", "AAAA", "U1NIU0lH", "U1NIU0lHAAAAAQ=="] {
            assert!(decode_signature(garbage).is_err(), "{garbage}");
        }
        assert_eq!(armored_body("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"), None);
    }
}
