//! People as commits and trailers name them: `Name <email>` or a bare email.

/// A name and an email, as in a commit's author line or a trailer value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The display name; may be empty.
    pub name: String,
    /// The email as written; compare with [`Identity::email_key`].
    pub email: String,
}

impl Identity {
    /// Builds an identity from its parts.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Identity { name: name.into(), email: email.into() }
    }

    /// Parses a trailer value: `Name <email>`, `<email>` or a bare `email`.
    /// Returns `None` when the value holds no well-formed email.
    pub fn parse(value: &str) -> Option<Identity> {
        let value = value.trim();
        if let Some(open) = value.rfind('<') {
            let rest = &value[open + 1..];
            let close = rest.find('>')?;
            if !rest[close + 1..].trim().is_empty() {
                return None;
            }
            let email = rest[..close].trim();
            let name = value[..open].trim();
            // `Bob <bob@x>, Alice <alice@x>` is two people, not one named
            // `Bob <bob@x>, Alice`: git forbids angle brackets in names.
            if name.contains(['<', '>']) {
                return None;
            }
            return is_valid_email(email).then(|| Identity::new(name, email));
        }
        is_valid_email(value).then(|| Identity::new("", value))
    }

    /// The email in the form used for comparison: lowercase.
    pub fn email_key(&self) -> String {
        self.email.to_ascii_lowercase()
    }
}

/// Every email in a free-form value (`Claude <noreply@anthropic.com> (opus)`,
/// `A <a@x>, B <b@x>`, `<mailto:a@x>`, `[a@x]`), lowercase, in order, each
/// once. One pass over the value: its cost grows linearly with its length.
pub fn emails_in(value: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    // Past a few addresses, a set keeps each one's check constant.
    let mut seen: Option<std::collections::HashSet<String>> = None;
    let mut add = |candidate: &str| {
        let candidate = candidate.strip_prefix("mailto:").unwrap_or(candidate);
        let candidate = candidate.trim_matches(|c: char| c == '.' || c == ':');
        if !candidate.contains('@') || !is_valid_email(candidate) {
            return;
        }
        let new = match &mut seen {
            Some(seen) => seen.insert(candidate.to_owned()),
            None => !found.iter().any(|email| email == candidate),
        };
        if new {
            found.push(candidate.to_owned());
            if seen.is_none() && found.len() == FEW_EMAILS {
                seen = Some(found.iter().cloned().collect());
            }
        }
    };
    let lower = if value.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(value.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(value)
    };
    // Tokens end at spaces and punctuation, but not at square brackets:
    // GitHub bot addresses carry `[bot]` in the local part. A token that
    // brackets an address (`[a@x]`) is also read without its brackets.
    let separators = |c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')' | '"' | '\'');
    for token in lower.split(separators) {
        if !token.contains('@') {
            continue;
        }
        add(token);
        if token.contains(['[', ']']) {
            for part in token.split(['[', ']']) {
                add(part);
            }
        }
    }
    found
}

/// Up to how many addresses [`emails_in`] compares each new one with.
const FEW_EMAILS: usize = 8;

/// The mailbox an address delivers to, for telling whether two addresses
/// are one person: lowercase, without a trailing dot on the domain (DNS's
/// root), look-alike characters folded (see [`crate::policy::lookalike`]),
/// and without a `+tag` in the local part where the domain uses
/// plus-addressing (`plus_domains` lists those domains, lowercase; `*` is
/// every domain). `sam+ai@corp.example.` is `sam@corp.example`.
pub fn mailbox(email: &str, plus_domains: &[String]) -> String {
    let mut email = crate::policy::lookalike::fold(email.trim()).to_lowercase();
    let Some(at) = email.rfind('@') else {
        return email;
    };
    let domain_end = email.trim_end_matches('.').len().max(at + 1);
    email.truncate(domain_end);
    let plus = plus_domains.iter().any(|d| d == "*" || d.trim_end_matches('.') == &email[at + 1..]);
    if let Some(tag) = email[..at].find('+').filter(|_| plus) {
        email.replace_range(tag..at, "");
    }
    email
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() { write!(f, "<{}>", self.email) } else { write!(f, "{} <{}>", self.name, self.email) }
    }
}

/// A deliberately plain email check: one `@`, a non-empty local part, a
/// domain of non-empty dot-separated labels, and no spaces, brackets, commas
/// or quotes anywhere.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let forbidden = |c: char| {
        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"' | '\'' | '(' | ')' | '[' | ']' | '\\' | '@')
    };
    // GitHub bot logins put `[bot]` in the local part of noreply addresses:
    // the local part is read without them.
    let person = || local.split("[bot]");
    let local_ok = person().any(|part| !part.is_empty()) && !person().any(|part| part.chars().any(forbidden));
    let domain_ok = !domain.is_empty() && !domain.chars().any(forbidden) && domain.split('.').all(|label| !label.is_empty());
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_email_in_a_value() {
        let cases: [(&str, &[&str]); 9] = [
            ("Claude <noreply@anthropic.com> (claude-opus-4-5)", &["noreply@anthropic.com"]),
            ("Claude <noreply@anthropic.com>, Pat <PAT@corp.example>", &["noreply@anthropic.com", "pat@corp.example"]),
            ("Claude <mailto:noreply@anthropic.com>", &["noreply@anthropic.com"]),
            (
                "bot <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
                &["158243242+devin-ai-integration[bot]@users.noreply.github.com"],
            ),
            ("Alice Example", &[]),
            ("a@x.example a@x.example.", &["a@x.example"]),
            ("[a@x.example] (b@x.example)", &["a@x.example", "b@x.example"]),
            // Non-ASCII spaces end a token (and never split a character).
            ("Helper\u{a0}helper[bot]@corp.example", &["helper[bot]@corp.example"]),
            ("x\u{2003}[bot]@y.example\u{a0}", &[]),
        ];
        for (value, expected) in cases {
            assert_eq!(emails_in(value), expected, "value: {value:?}");
        }
    }

    #[test]
    fn one_mailbox_however_written() {
        let every = ["*".to_owned()];
        let corp = ["corp.example".to_owned()];
        assert_eq!(mailbox("Sam@Corp.Example.", &[]), "sam@corp.example");
        assert_eq!(mailbox("sam+ai@corp.example", &every), "sam@corp.example");
        assert_eq!(mailbox("sam+ai@corp.example.", &corp), "sam@corp.example");
        assert_eq!(mailbox("sam+ai@other.example", &corp), "sam+ai@other.example");
        assert_eq!(mailbox("sam+ai@corp.example", &[]), "sam+ai@corp.example");
        assert_eq!(mailbox("not an address", &every), "not an address");
        assert_eq!(mailbox("\u{430}lice\u{200b}@corp.example", &[]), "alice@corp.example");
    }

    #[test]
    fn parses_trailer_values() {
        let cases = [
            ("Alice Example <alice@example.com>", Some(("Alice Example", "alice@example.com"))),
            ("<alice@example.com>", Some(("", "alice@example.com"))),
            ("alice@example.com", Some(("", "alice@example.com"))),
            ("Copilot <175728472+Copilot@users.noreply.github.com>", Some(("Copilot", "175728472+Copilot@users.noreply.github.com"))),
            (
                "devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
                Some(("devin-ai-integration[bot]", "158243242+devin-ai-integration[bot]@users.noreply.github.com")),
            ),
            ("Alice Example", None),
            ("Alice <alice>", None),
            ("Alice <alice@example.com> trailing", None),
            ("Alice <alice@example.com", None),
            ("", None),
            ("a@b@c", None),
            ("alice@example..com", None),
            ("Bob <bob@example.com>, Alice <alice@example.com>", None),
        ];
        for (value, expected) in cases {
            let parsed = Identity::parse(value);
            let parsed = parsed.as_ref().map(|i| (i.name.as_str(), i.email.as_str()));
            assert_eq!(parsed, expected, "value: {value:?}");
        }
    }
}
