//! Characters that look like others, and characters that show nothing.
//!
//! `noreply@anthropic.com` written with a Cyrillic `о`, or with a zero-width
//! space before the `>`, reads the same to a person and differently to a
//! byte comparison. Detection therefore also looks at text folded to its
//! confusable skeleton (Unicode TR39, from the `unicode-security` crate),
//! with invisible characters dropped. ASCII is left as it is: the catalogue
//! is ASCII, and folding `1` to `l` would break GitHub's numeric ids.

use std::borrow::Cow;

/// `text` with every non-ASCII character replaced by its TR39 skeleton
/// (its confusable prototype; nothing for an invisible character). Borrowed
/// when that changes nothing (ASCII, emoji). Linear in the length of `text`.
pub fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    // Most non-ASCII text (emoji, accented names) folds to itself: look
    // before building anything.
    let mut probe = [0u8; 4];
    let mut folds_to_itself = |c: char| {
        let mut prototypes = unicode_security::skeleton(c.encode_utf8(&mut probe));
        prototypes.next() == Some(c) && prototypes.next().is_none()
    };
    if text.chars().all(|c| c.is_ascii() || folds_to_itself(c)) {
        return Cow::Borrowed(text);
    }
    let mut folded = String::with_capacity(text.len());
    let mut changed = false;
    let mut one = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c);
        } else {
            let mut same = true;
            let mut count = 0;
            for prototype in unicode_security::skeleton(c.encode_utf8(&mut one)) {
                same &= prototype == c && count == 0;
                count += 1;
                folded.push(prototype);
            }
            changed |= !same || count != 1;
        }
    }
    if changed { Cow::Owned(folded) } else { Cow::Borrowed(text) }
}

/// The first invisible character in `text`: one whose skeleton is empty
/// (zero-width spaces and joiners, direction marks and overrides, the
/// soft hyphen, the byte order mark, …).
pub fn first_invisible(text: &str) -> Option<char> {
    if text.is_ascii() {
        return None;
    }
    let mut one = [0u8; 4];
    text.chars().find(|&c| !c.is_ascii() && unicode_security::skeleton(c.encode_utf8(&mut one)).next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_look_alikes_and_drops_invisible_characters() {
        assert_eq!(fold("noreply@anthropic.com"), "noreply@anthropic.com");
        assert!(matches!(fold("plain"), Cow::Borrowed(_)));
        assert!(matches!(fold("🤖 Generated with Claude"), Cow::Borrowed(_)));
        // Cyrillic о, a zero-width space, fullwidth @, a soft hyphen.
        assert_eq!(fold("noreply@anthr\u{43e}pic.com\u{200b}"), "noreply@anthropic.com");
        assert_eq!(fold("noreply\u{ff20}anthropic.com"), "noreply@anthropic.com");
        assert_eq!(fold("Co\u{ad}-Authored-By"), "Co-Authored-By");
        // ASCII digits stay digits.
        assert_eq!(fold("175728472+Copilot\u{200d}@users.noreply.github.com"), "175728472+Copilot@users.noreply.github.com");
    }

    #[test]
    fn finds_invisible_characters() {
        assert_eq!(first_invisible("Pat Human"), None);
        assert_eq!(first_invisible("Zoë Ångström"), None);
        assert_eq!(first_invisible("Pat\u{200b}Human"), Some('\u{200b}'));
        assert_eq!(first_invisible("pat@corp.example\u{202e}"), Some('\u{202e}'));
        assert_eq!(first_invisible("\u{feff}pat"), Some('\u{feff}'));
    }
}
