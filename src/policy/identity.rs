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
/// `A <a@x>, B <b@x>`, `<mailto:a@x>`), lowercase, in order, each once.
pub fn emails_in(value: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let separators = |c: char| c.is_whitespace() || "<>,;()[]\"'".contains(c);
    for token in value.split(separators) {
        let token = token.strip_prefix("mailto:").unwrap_or(token);
        let token = token.trim_matches(|c: char| c == '.' || c == ':');
        // `[bot]` logins were split at the brackets: rejoin them.
        let candidate = token.to_ascii_lowercase();
        if candidate.contains('@') && is_valid_email(&candidate) && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    // GitHub bot addresses carry `[bot]` in the local part, which the split
    // above cut apart; find them whole.
    let lower = value.to_ascii_lowercase();
    for (at, _) in lower.match_indices("[bot]@") {
        let start = lower[..at].rfind(|c: char| c.is_whitespace() || "<>,;()\"'".contains(c)).map_or(0, |i| i + 1);
        let end = lower[at..].find(|c: char| c.is_whitespace() || "<>,;()\"'".contains(c)).map_or(lower.len(), |i| at + i);
        let candidate = lower[start..end].trim_start_matches("mailto:").to_owned();
        if is_valid_email(&candidate) && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
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
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>,;\"'()[]\\@".contains(c);
    // GitHub bot logins put `[bot]` in the local part of noreply addresses.
    let local_ok = !local.is_empty() && !local.replace("[bot]", "").chars().any(forbidden);
    let domain_ok = !domain.is_empty() && !domain.chars().any(forbidden) && domain.split('.').all(|label| !label.is_empty());
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_email_in_a_value() {
        let cases: [(&str, &[&str]); 6] = [
            ("Claude <noreply@anthropic.com> (claude-opus-4-5)", &["noreply@anthropic.com"]),
            ("Claude <noreply@anthropic.com>, Pat <PAT@corp.example>", &["noreply@anthropic.com", "pat@corp.example"]),
            ("Claude <mailto:noreply@anthropic.com>", &["noreply@anthropic.com"]),
            (
                "bot <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
                &["158243242+devin-ai-integration[bot]@users.noreply.github.com"],
            ),
            ("Alice Example", &[]),
            ("a@x.example a@x.example.", &["a@x.example"]),
        ];
        for (value, expected) in cases {
            assert_eq!(emails_in(value), expected, "value: {value:?}");
        }
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
