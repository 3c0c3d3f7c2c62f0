//! Reading the roster: TOML validated into a [`Roster`] that cannot be invalid:
//! every email is well formed and belongs to exactly one engineer, every level
//! is one of the declared levels.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use crate::config::diagnostics::{Collector, Problems};
use crate::policy::identity::is_valid_email;
use crate::policy::roster::{DEFAULT_LEVELS, Engineer, Roster, SigningKey};

/// Why a roster could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// The file could not be read.
    #[error("cannot read roster {path}")]
    Read {
        /// The roster path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid roster.
    #[error("invalid roster {path}: {problems}")]
    Invalid {
        /// The roster path.
        path: PathBuf,
        /// Every problem, with line and column.
        problems: Problems,
    },
}

/// The roster file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoster {
    levels: Option<Spanned<Vec<Spanned<String>>>>,
    engineer: Option<IgnoredAny>,
}

/// One `[[engineer]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngineer {
    name: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    aliases: Option<Vec<Spanned<String>>>,
    level: Option<Spanned<String>>,
    active: Option<Spanned<bool>>,
    logins: Option<Vec<Spanned<String>>>,
    break_glass: Option<Spanned<bool>>,
    signing_keys: Option<Vec<Spanned<String>>>,
}

/// Whether a table has `key` (whatever its value).
fn has_key(table: &toml::de::DeTable<'_>, key: &str) -> bool {
    table.iter().any(|(k, _)| k.get_ref().as_ref() == key)
}

impl Roster {
    /// Reads and validates a roster file.
    pub fn load(path: &Path) -> Result<Roster, RosterError> {
        let text = std::fs::read_to_string(path).map_err(|source| RosterError::Read { path: path.to_owned(), source })?;
        Roster::parse(path, &text).map_err(|problems| RosterError::Invalid { path: path.to_owned(), problems })
    }

    /// Validates roster text; `file` is only used in problem reports.
    pub fn parse(file: &Path, text: &str) -> Result<Roster, Problems> {
        let mut collector = Collector::new(file, text);
        let roster = read(&mut collector, text);
        let problems = collector.finish();
        match roster {
            Some(roster) if problems.is_empty() => Ok(roster),
            _ => Err(Problems(problems)),
        }
    }
}

fn read(collector: &mut Collector<'_>, text: &str) -> Option<Roster> {
    let document = collector.parse()?;
    let top: RawRoster = collector.read(document.get_ref(), "the roster");

    let levels = match top.levels {
        Some(levels) => {
            let span = levels.span();
            let levels = levels.into_inner();
            if levels.is_empty() {
                collector.at_span(&span, "`levels` is empty; list the levels lowest first, e.g. [\"junior\", \"mid\", \"senior\"]");
            }
            let mut seen: Vec<&str> = Vec::new();
            for level in &levels {
                let name = level.get_ref().as_str();
                if name.trim().is_empty() {
                    collector.at_span(&level.span(), "a level name is empty");
                } else if seen.contains(&name) {
                    collector.at_span(&level.span(), format!("level `{name}` is listed twice"));
                }
                seen.push(name);
            }
            levels.into_iter().map(Spanned::into_inner).collect()
        }
        None if has_key(document.get_ref(), "levels") => return None,
        None => DEFAULT_LEVELS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
    };

    let mut engineers = Vec::new();
    // Where each address was first seen, for duplicate reports.
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut first_login: HashMap<String, usize> = HashMap::new();
    let mut first_key: HashMap<String, usize> = HashMap::new();

    let raw_engineers = document.get_ref().iter().find(|(key, _)| key.get_ref().as_ref() == "engineer").map(|(_, value)| value);
    let Some(raw_engineers) = raw_engineers.filter(|_| top.engineer.is_some()) else {
        return Some(Roster::new(levels, engineers));
    };
    let Some(array) = raw_engineers.get_ref().as_array() else {
        collector.at_span(&raw_engineers.span(), "`engineer` must be an array of tables: write each one as [[engineer]]");
        return None;
    };
    for entry in array.iter() {
        let Some(table) = entry.get_ref().as_table() else {
            collector.at_span(&entry.span(), "each `engineer` must be a table with name, email and level");
            continue;
        };
        let at = entry.span();
        let RawEngineer { name, email, aliases, level, active, logins, break_glass, signing_keys: keys } =
            collector.read(table, "[[engineer]]");
        for key in ["name", "email", "level"] {
            if !has_key(table, key) {
                collector.at_span(&at, format!("[[engineer]] is missing `{key}`"));
            }
        }
        if let Some(name) = &name {
            if name.get_ref().trim().is_empty() {
                collector.at_span(&name.span(), "`name` is empty");
            }
        }
        let rank = level.as_ref().and_then(|level| {
            let rank = levels.iter().position(|l| l == level.get_ref());
            if rank.is_none() {
                collector
                    .at_span(&level.span(), format!("unknown level `{}`; the roster's levels are: {}", level.get_ref(), levels.join(", ")));
            }
            rank
        });

        let mut addresses: Vec<Spanned<String>> = Vec::new();
        addresses.extend(email.clone());
        addresses.extend(aliases.clone().unwrap_or_default());
        let mut all_valid = true;
        for address in &addresses {
            let value = address.get_ref();
            if !is_valid_email(value) {
                all_valid = false;
                collector.at_span(&address.span(), format!("`{value}` is not a valid email address"));
                continue;
            }
            let key = value.to_ascii_lowercase();
            if let Some(&first) = first_seen.get(&key) {
                all_valid = false;
                let (line, _) = crate::config::diagnostics::line_column(text, first);
                collector.at_span(
                    &address.span(),
                    format!("email `{value}` is already used on line {line}; each address must belong to one engineer"),
                );
                continue;
            }
            first_seen.insert(key.clone(), address.span().start);
        }
        let logins: Vec<String> = logins
            .unwrap_or_default()
            .into_iter()
            .filter_map(|login| {
                let value = login.get_ref().trim();
                let key = value.to_ascii_lowercase();
                if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    all_valid = false;
                    collector.at_span(&login.span(), format!("`{}` is not a login (no spaces, not empty)", login.get_ref()));
                    None
                } else if let Some(&first) = first_login.get(&key) {
                    all_valid = false;
                    let (line, _) = crate::config::diagnostics::line_column(text, first);
                    collector.at_span(
                        &login.span(),
                        format!("login `{value}` is already used on line {line}; each login must belong to one engineer"),
                    );
                    None
                } else {
                    first_login.insert(key, login.span().start);
                    Some(value.to_owned())
                }
            })
            .collect();

        let mut signing_keys = Vec::new();
        for line in keys.unwrap_or_default() {
            match SigningKey::parse(line.get_ref()) {
                Err(message) => {
                    all_valid = false;
                    collector.at_span(&line.span(), format!("signing key: {message}"));
                }
                Ok(key) => {
                    if let Some(&first) = first_key.get(&key.fingerprint) {
                        all_valid = false;
                        let (line_number, _) = crate::config::diagnostics::line_column(text, first);
                        collector.at_span(
                            &line.span(),
                            format!(
                                "signing key {} is already listed on line {line_number}; each key must belong to one engineer",
                                key.fingerprint
                            ),
                        );
                    } else {
                        first_key.insert(key.fingerprint.clone(), line.span().start);
                        signing_keys.push(key);
                    }
                }
            }
        }

        if let (Some(name), Some(email), Some(rank), true) = (name, email, rank, all_valid) {
            engineers.push(Engineer {
                name: name.into_inner(),
                email: email.into_inner(),
                aliases: aliases.unwrap_or_default().into_iter().map(Spanned::into_inner).collect(),
                level: rank,
                active: active.is_none_or(Spanned::into_inner),
                logins,
                break_glass: break_glass.is_some_and(Spanned::into_inner),
                signing_keys,
            });
        }
    }
    Some(Roster::new(levels, engineers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Roster, Vec<String>> {
        Roster::parse(Path::new("roster.toml"), text).map_err(|p| p.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reads_a_good_roster() {
        let roster = parse(
            r#"
levels = ["junior", "mid", "senior", "staff", "principal"]

[[engineer]]
name = "Alice Example"
email = "alice@example.com"
aliases = ["alice@users.noreply.example.com"]
level = "senior"

[[engineer]]
name = "Bob"
email = "bob@example.com"
level = "mid"
active = false
"#,
        )
        .expect("valid roster");
        assert_eq!(roster.engineers().len(), 2);
        let alice = roster.engineer_by_email("ALICE@users.noreply.example.com").expect("alias resolves");
        assert_eq!(alice.name, "Alice Example");
        assert_eq!(roster.level_name(alice.level), "senior");
        assert!(!roster.engineer_by_email("bob@example.com").expect("bob").active);
        assert_eq!(roster.approver_count(2), 1);
    }

    #[test]
    fn reports_every_problem_with_its_place() {
        let problems = parse(
            r#"levels = ["junior", "mid", "senior"]

[[engineer]]
name = "Alice"
email = "alice@example.com"
level = "senior"
team = "infra"

[[engineer]]
name = "Bob"
email = "bob.example.com"
level = "seniour"

[[engineer]]
name = "Carol"
email = "ALICE@example.com"
level = "mid"
"#,
        )
        .expect_err("invalid roster");
        assert_eq!(
            problems,
            vec![
                "roster.toml:7:1: unknown key `team` in [[engineer]]; expected one of `name`, `email`, `aliases`, `level`, `active`, `logins`, `break_glass`, `signing_keys`",
                "roster.toml:11:9: `bob.example.com` is not a valid email address",
                "roster.toml:12:9: unknown level `seniour`; the roster's levels are: junior, mid, senior",
                "roster.toml:16:9: email `ALICE@example.com` is already used on line 5; each address must belong to one engineer",
            ]
        );
    }

    #[test]
    fn reports_syntax_errors_and_missing_fields() {
        let problems = parse("[[engineer]]\nname = \"A\"\n").expect_err("missing fields");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("missing `email`"), "{problems:?}");
        let problems = parse("levels = [\"a\"\n").expect_err("syntax");
        assert!(problems[0].starts_with("roster.toml:"), "{problems:?}");
        let problems = parse("levels = []\n").expect_err("empty levels");
        assert!(problems[0].contains("`levels` is empty"), "{problems:?}");
    }

    #[test]
    fn reports_every_value_of_the_wrong_type() {
        let problems = parse(
            r#"levels = ["junior", "mid", "senior"]

[[engineer]]
name = 3
email = "a@x.example"
level = "senior"
active = "yes"
logins = "al"

[[engineer]]
email = "b.x.example"
level = "seniour"
aliases = [1]
signing_keys = ["nope"]
"#,
        )
        .expect_err("invalid roster");
        assert_eq!(
            problems,
            vec![
                "roster.toml:4:8: `name`: invalid type: integer `3`, expected a string",
                "roster.toml:7:10: `active`: invalid type: string \"yes\", expected a boolean",
                "roster.toml:8:10: `logins`: invalid type: string \"al\", expected a sequence",
                "roster.toml:10:1: [[engineer]] is missing `name`",
                "roster.toml:11:9: `b.x.example` is not a valid email address",
                "roster.toml:12:9: unknown level `seniour`; the roster's levels are: junior, mid, senior",
                "roster.toml:13:12: `aliases`: invalid type: integer `1`, expected a string",
                "roster.toml:14:17: signing key: not a public SSH key: length invalid",
            ]
        );
        let problems = parse("levels = \"a\"\n[[engineer]]\nname = \"A\"\nemail = \"a@x.example\"\nlevel = \"x\"\n").expect_err("levels");
        assert_eq!(problems, vec!["roster.toml:1:10: `levels`: invalid type: string \"a\", expected a sequence"]);
        let problems = parse("engineer = [1]\n").expect_err("not a table");
        assert_eq!(problems, vec!["roster.toml:1:13: each `engineer` must be a table with name, email and level"]);
    }
}
