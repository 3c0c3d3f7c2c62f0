//! `[[policy.rule]]` tables and `allow_rewrite`: blast-radius rules as the
//! configuration writes them, validated with file:line:col for every
//! problem. Levels and approvers are checked against the roster by
//! `policy::gate::Gate::new`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::config::diagnostics::{Collector, line_column};
use crate::policy::identity::is_valid_email;
use crate::policy::refs::ProtectedRefs;
use crate::policy::rules::{AppliesTo, Conditions, MAX_RULES, Paths, Requirement, Rule};

/// Largest count a condition may ask for.
const MAX_COUNT: i64 = 1_000_000_000;

/// One `[[policy.rule]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    refs: Option<Vec<Spanned<String>>>,
    applies_to: Option<Spanned<String>>,
    paths: Option<Vec<Spanned<String>>>,
    min_deleted_files: Option<Spanned<i64>>,
    min_deleted_lines: Option<Spanned<i64>>,
    min_changed_lines: Option<Spanned<i64>>,
    executable_change: Option<Spanned<bool>>,
    submodule_change: Option<Spanned<bool>>,
    min_approver_level: Option<Spanned<String>>,
    required_approvals: Option<Spanned<i64>>,
    approvers: Option<Vec<Spanned<String>>>,
}

/// `allow_rewrite` as written: `true`/`false` for every protected ref, or
/// a list of ref patterns.
#[derive(Debug)]
pub(crate) enum RawAllowRewrite {
    /// `true` or `false`.
    All(bool),
    /// `["refs/heads/sandbox/*"]`.
    Refs(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawAllowRewrite {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawAllowRewrite;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false or a list of ref patterns")
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<RawAllowRewrite, E> {
                Ok(RawAllowRewrite::All(value))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawAllowRewrite, A::Error> {
                let mut refs = Vec::new();
                while let Some(pattern) = seq.next_element::<Spanned<String>>()? {
                    refs.push(pattern);
                }
                Ok(RawAllowRewrite::Refs(refs))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The protected refs whose history may be rewritten, from `allow_rewrite`.
pub(crate) fn read_allow_rewrite(collector: &mut Collector<'_>, raw: Option<Spanned<RawAllowRewrite>>) -> Option<ProtectedRefs> {
    match raw.map(Spanned::into_inner) {
        None | Some(RawAllowRewrite::All(false)) => None,
        Some(RawAllowRewrite::All(true)) => ProtectedRefs::new(&["refs/**".to_owned()]).ok(),
        Some(RawAllowRewrite::Refs(patterns)) => {
            let names: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            match ProtectedRefs::new(&names) {
                Ok(refs) => Some(refs),
                Err((index, message)) => {
                    collector.at_span(&patterns[index].span(), format!("`allow_rewrite`: {message}"));
                    None
                }
            }
        }
    }
}

/// Validates the raw rules into rules, in order.
pub(crate) fn read_rules(collector: &mut Collector<'_>, raws: Vec<(Range<usize>, RawRule)>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    if let Some((at, _)) = raws.get(MAX_RULES) {
        collector.at_span(at, format!("at most {MAX_RULES} rules may be configured"));
    }
    for (at, raw) in raws.into_iter().take(MAX_RULES) {
        let name = match raw.name {
            None => {
                collector.at_span(&at, "a rule has no `name`");
                continue;
            }
            Some(name) if name.get_ref().trim().is_empty() => {
                collector.at_span(&name.span(), "a rule's `name` is empty");
                continue;
            }
            Some(name) => name,
        };
        let label = name.get_ref().trim().to_owned();
        if rules.iter().any(|rule| rule.name.eq_ignore_ascii_case(&label)) {
            collector.at_span(&name.span(), format!("two rules are named \"{label}\"; give each its own name"));
        }
        let refs = raw.refs.and_then(|patterns| {
            let names: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            ProtectedRefs::new(&names)
                .map_err(|(index, message)| collector.at_span(&patterns[index].span(), format!("rule \"{label}\": `refs`: {message}")))
                .ok()
        });
        let applies_to = match raw.applies_to {
            None => AppliesTo::AiAssisted,
            Some(value) => match value.get_ref().as_str() {
                "ai-assisted" => AppliesTo::AiAssisted,
                "all" => AppliesTo::All,
                other => {
                    collector.at_span(
                        &value.span(),
                        format!("rule \"{label}\": `applies_to` = \"{other}\"; write \"ai-assisted\" (the default) or \"all\""),
                    );
                    AppliesTo::AiAssisted
                }
            },
        };
        let paths = raw.paths.and_then(|patterns| {
            if patterns.is_empty() {
                collector.at_span(&at, format!("rule \"{label}\": `paths` is empty; list globs, or leave the key out"));
                return None;
            }
            let names: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            Paths::new(&names)
                .map_err(|(index, message)| collector.at_span(&patterns[index].span(), format!("rule \"{label}\": {message}")))
                .ok()
        });
        let mut count = |key: &str, value: Option<Spanned<i64>>, high: i64| {
            value.and_then(|value| {
                if (1..=high).contains(value.get_ref()) {
                    u64::try_from(value.into_inner()).ok()
                } else {
                    collector
                        .at_span(&value.span(), format!("rule \"{label}\": `{key}` = {} must be between 1 and {high}", value.get_ref()));
                    None
                }
            })
        };
        let when = Conditions {
            paths,
            min_deleted_files: count("min_deleted_files", raw.min_deleted_files, MAX_COUNT),
            min_deleted_lines: count("min_deleted_lines", raw.min_deleted_lines, MAX_COUNT),
            min_changed_lines: count("min_changed_lines", raw.min_changed_lines, MAX_COUNT),
            executable_change: raw.executable_change.is_some_and(Spanned::into_inner),
            submodule_change: raw.submodule_change.is_some_and(Spanned::into_inner),
        };
        let required_span = raw.required_approvals.as_ref().map(Spanned::span);
        let required_approvals = count("required_approvals", raw.required_approvals, 16).map_or(1, |n| n as usize);
        let min_approver_level = raw.min_approver_level.and_then(|level| {
            if level.get_ref().trim().is_empty() {
                collector.at_span(&level.span(), format!("rule \"{label}\": `min_approver_level` is empty"));
                None
            } else {
                let place = line_column(collector.text(), level.span().start);
                Some((level.into_inner(), place))
            }
        });
        let mut approvers: Vec<(String, (usize, usize))> = Vec::new();
        if let Some(listed) = raw.approvers {
            if listed.is_empty() {
                collector.at_span(&at, format!("rule \"{label}\": `approvers` is empty; list roster emails, or leave the key out"));
            }
            for email in listed {
                let text = email.get_ref().trim().to_ascii_lowercase();
                if !is_valid_email(&text) {
                    collector.at_span(&email.span(), format!("rule \"{label}\": approver \"{}\" is not an email", email.get_ref()));
                } else if approvers.iter().any(|(known, _)| *known == text) {
                    collector.at_span(&email.span(), format!("rule \"{label}\": approver {text} is listed twice"));
                } else {
                    approvers.push((text, line_column(collector.text(), email.span().start)));
                }
            }
            if !approvers.is_empty() && required_approvals > approvers.len() {
                let place = required_span.clone().unwrap_or(at.clone());
                collector.at_span(
                    &place,
                    format!(
                        "rule \"{label}\": `required_approvals` = {required_approvals}, but `approvers` lists {}: it could never be met",
                        approvers.len()
                    ),
                );
            }
        }
        rules.push(Rule {
            name: label,
            description: raw.description.map(|d| d.into_inner().trim().to_owned()).filter(|d| !d.is_empty()),
            refs,
            applies_to,
            when,
            needs: Requirement { min_approver_level, required_approvals, approvers },
            at: line_column(collector.text(), at.start),
        });
    }
    rules
}
