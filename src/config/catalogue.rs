//! The catalogue of AI tools as data: the built-in one shipped inside the
//! binary (`catalogue.toml`), and `[[detect.tool]]` tables that add tools
//! or turn built-in ones off. Both are read with the same rules, and every
//! problem is reported with file:line:col.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::config::diagnostics::{Collector, Problem};
use crate::config::is_trailer_key;
use crate::policy::detect::Tool;
use crate::policy::identity::is_valid_email;

/// The built-in catalogue's text.
pub const BUILTIN: &str = include_str!("catalogue.toml");
/// The name problems in the built-in catalogue are reported under.
const BUILTIN_NAME: &str = "<built-in catalogue>";

/// One `[[tool]]` (built in) or `[[detect.tool]]` (configured) as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTool {
    name: Option<Spanned<String>>,
    enabled: Option<Spanned<bool>>,
    emails: Option<Vec<Spanned<String>>>,
    former_emails: Option<Vec<Spanned<String>>>,
    github_logins: Option<Vec<Spanned<String>>>,
    names: Option<Vec<Spanned<String>>>,
    trailer_keys: Option<Vec<Spanned<String>>>,
    trailers: Option<Vec<Spanned<String>>>,
    body_lines: Option<Vec<Spanned<String>>>,
    session_urls: Option<Vec<Spanned<String>>>,
}

/// The `[[tool]]` tables of `document` (`what` names the array: `tool`, or
/// `detect.tool` inside `[detect]`), read one by one so each problem has its place.
pub(crate) fn raw_tools<'a>(
    collector: &mut Collector<'a>,
    table: &toml::de::DeTable<'a>,
    what: &str,
) -> Vec<(std::ops::Range<usize>, RawTool)> {
    collector.read_tables(table, "tool", what)
}

/// Validates raw tools into tools (`builtin` says where they come from);
/// a tool with `enabled = false` comes back in the second list, by name.
pub(crate) fn read_tools(
    collector: &mut Collector<'_>,
    raws: Vec<(std::ops::Range<usize>, RawTool)>,
    builtin: bool,
) -> (Vec<Tool>, Vec<String>) {
    let (mut tools, mut disabled) = (Vec::new(), Vec::new());
    for (at, raw) in raws {
        let name = match raw.name {
            None => {
                collector.at_span(&at, "a tool has no `name`");
                continue;
            }
            Some(name) if name.get_ref().trim().is_empty() => {
                collector.at_span(&name.span(), "a tool's `name` is empty");
                continue;
            }
            Some(name) => name,
        };
        if raw.enabled.as_ref().is_some_and(|enabled| !*enabled.get_ref()) {
            disabled.push(name.into_inner().trim().to_owned());
            continue;
        }
        let mut list = |values: Option<Vec<Spanned<String>>>, what: &str, valid: &dyn Fn(&str) -> bool| -> Vec<String> {
            let mut kept = Vec::new();
            for value in values.unwrap_or_default() {
                let text = value.get_ref().trim().to_owned();
                if valid(&text) {
                    kept.push(text);
                } else {
                    collector.at_span(&value.span(), format!("{what} {:?} is not valid", value.get_ref()));
                }
            }
            kept
        };
        let lower = |text: &str| text == text.to_lowercase();
        let email = |text: &str| is_valid_email(text) && lower(text);
        let login = |text: &str| !text.is_empty() && lower(text) && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_[]".contains(c));
        let phrase = |text: &str| !text.is_empty() && lower(text);
        let url = |text: &str| {
            text.len() >= 8 && lower(text) && !text.contains("://") && text.contains('.') && !text.contains(char::is_whitespace)
        };
        let trailer = |text: &str| text.split_once(':').is_some_and(|(key, value)| is_trailer_key(key.trim()) && !value.trim().is_empty());
        tools.push(Tool {
            name: name.into_inner().trim().to_owned(),
            emails: list(raw.emails, "address (lowercase)", &email),
            former_emails: list(raw.former_emails, "address (lowercase)", &email),
            github_logins: list(raw.github_logins, "GitHub login (lowercase)", &login),
            names: list(raw.names, "name (lowercase)", &phrase),
            trailer_keys: list(raw.trailer_keys, "trailer key", &is_trailer_key),
            trailers: list(raw.trailers, "trailer (\"Key: value\")", &trailer),
            body_lines: list(raw.body_lines, "body-line name (lowercase)", &phrase),
            session_urls: list(raw.session_urls, "session link (lowercase, without https://)", &url),
            builtin,
        });
    }
    (tools, disabled)
}

/// The built-in catalogue's tools.
pub fn builtin_tools() -> Result<Vec<Tool>, Vec<Problem>> {
    let path = Path::new(BUILTIN_NAME);
    let mut collector = Collector::new(path, BUILTIN);
    let tools = match collector.parse() {
        Some(document) => {
            let raws = raw_tools(&mut collector, document.get_ref(), "tool");
            read_tools(&mut collector, raws, true).0
        }
        None => Vec::new(),
    };
    let problems = collector.finish();
    if problems.is_empty() { Ok(tools) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_reads_cleanly_and_claims_nothing_twice() {
        let tools = builtin_tools().expect("the shipped catalogue is valid");
        assert!(tools.len() >= 25, "{} tools", tools.len());
        let mut claimed = std::collections::HashMap::new();
        for tool in &tools {
            let things =
                tool.emails.iter().chain(&tool.former_emails).chain(&tool.github_logins).chain(&tool.names).chain(&tool.trailer_keys);
            for thing in things {
                if let Some(other) = claimed.insert(thing.to_lowercase(), tool.name.clone()).filter(|other| *other != tool.name) {
                    panic!("{thing} is claimed by {other} and {}", tool.name);
                }
            }
        }
    }
}
