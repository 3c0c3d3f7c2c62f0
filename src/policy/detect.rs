//! Which commits are AI-assisted, and the evidence for it.
//!
//! Detection matches what tools really write: their bot addresses and
//! logins, their own trailers and body lines, co-authors that name a model,
//! and disclosure trailers. It never matches a display name alone where a
//! person could carry it: "Claude Dubois <claude@corp.example>" is a person.

use crate::policy::facts::{CommitFacts, Reading};
use crate::policy::identity::{Identity, emails_in};
use crate::policy::lookalike;
use crate::policy::trailers::{self, Trailer};

/// One reason to call a commit AI-assisted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Marker {
    /// The tool, e.g. `Claude Code`, or what a disclosure trailer names.
    pub tool: String,
    /// The exact evidence: the trailer line, `author: Name <email>`, the body line.
    pub evidence: String,
}

/// What detection found in one commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detection {
    /// Every marker found; empty when the commit is not AI-assisted.
    pub markers: Vec<Marker>,
    /// Co-authors that are people (not tools): they count as authors when
    /// deciding whether an approval is a self-approval.
    pub human_coauthors: Vec<Identity>,
}

/// The detection rules in force: the built-in catalogue and the configured
/// disclosure trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detector {
    /// Whether the built-in catalogue of known tools is used.
    pub builtin: bool,
    /// Trailer keys by which authors disclose AI use (compared ignoring case).
    pub disclosure_trailers: Vec<String>,
}

/// A tool of the built-in catalogue.
struct Tool {
    name: &'static str,
    /// Addresses only this tool writes (lowercase).
    emails: &'static [&'static str],
    /// GitHub logins (lowercase), matched in `users.noreply.github.com`
    /// addresses and, for `[bot]` logins, as names.
    github_logins: &'static [&'static str],
    /// Names no person carries (lowercase), e.g. `copilot autofix powered by ai`.
    names: &'static [&'static str],
    /// Trailer keys only this tool writes.
    trailer_keys: &'static [&'static str],
    /// Names (lowercase) this tool signs body lines with:
    /// `🤖 Generated with [<name>](…)`.
    body_lines: &'static [&'static str],
}

const CATALOGUE: &[Tool] = &[
    Tool {
        name: "Claude Code",
        emails: &["noreply@anthropic.com"],
        github_logins: &["claude[bot]"],
        names: &[],
        trailer_keys: &["Claude-Session"],
        body_lines: &["claude code"],
    },
    Tool {
        name: "GitHub Copilot",
        emails: &["copilot@github.com"],
        github_logins: &["copilot", "copilot-swe-agent[bot]", "copilot-swe-agent", "github-advanced-security[bot]"],
        names: &["copilot autofix powered by ai"],
        trailer_keys: &["Agent-Logs-Url"],
        body_lines: &[],
    },
    Tool {
        name: "OpenAI Codex",
        emails: &["noreply@openai.com", "codex@openai.com"],
        github_logins: &["chatgpt-codex-connector[bot]"],
        names: &[],
        trailer_keys: &[],
        body_lines: &[],
    },
    Tool {
        name: "Cursor",
        emails: &["cursoragent@cursor.com"],
        github_logins: &["cursor[bot]"],
        names: &[],
        trailer_keys: &[],
        body_lines: &[],
    },
    Tool {
        name: "Devin",
        emails: &[],
        github_logins: &["devin-ai-integration[bot]"],
        names: &[],
        trailer_keys: &[],
        body_lines: &["devin"],
    },
    Tool {
        name: "Aider",
        emails: &["aider@aider.chat", "aider@aider.dev"],
        github_logins: &[],
        names: &[],
        trailer_keys: &[],
        body_lines: &[],
    },
    Tool {
        name: "Amp",
        emails: &["amp@ampcode.com"],
        github_logins: &[],
        names: &[],
        trailer_keys: &["Amp-Thread-ID", "Amp-Thread"],
        body_lines: &[],
    },
    Tool {
        name: "OpenHands",
        emails: &["openhands@all-hands.dev"],
        github_logins: &["openhands-agent", "openhands-ai[bot]"],
        names: &[],
        trailer_keys: &[],
        body_lines: &[],
    },
    Tool { name: "Google Jules", emails: &[], github_logins: &["google-labs-jules[bot]"], names: &[], trailer_keys: &[], body_lines: &[] },
    Tool {
        name: "Gemini Code Assist",
        emails: &[],
        github_logins: &["gemini-code-assist[bot]"],
        names: &[],
        trailer_keys: &[],
        body_lines: &[],
    },
    Tool { name: "Factory", emails: &[], github_logins: &["factory-droid[bot]"], names: &[], trailer_keys: &[], body_lines: &[] },
    Tool { name: "Sweep", emails: &[], github_logins: &["sweep-ai[bot]"], names: &[], trailer_keys: &[], body_lines: &[] },
];

/// Trailer keys that credit someone with writing the commit: a co-author
/// or a pair (compared ignoring case). The people they name cannot approve it.
const AUTHORSHIP_KEYS: &[&str] = &["Co-authored-by", "Co-developed-by", "Paired-with", "Pair-programmed-with", "Pairing-with"];

/// Disclosure values that declare no AI was used.
const NEGATIVE_DISCLOSURES: &[&str] = &["no", "none", "false", "n", "0", "n/a"];
/// Disclosure values that say "yes" without naming a tool.
const POSITIVE_DISCLOSURES: &[&str] = &["yes", "true", "y", "1"];

/// Evidence longer than this is shortened: it is shown to people.
const MAX_EVIDENCE_CHARS: usize = 160;

/// Markers kept per commit: they are shown to people, and one is enough to
/// call a commit AI-assisted. A bound keeps a message of many distinct
/// markers linear to judge.
const MAX_MARKERS: usize = 16;

impl Detector {
    /// Finds every marker of AI assistance in one commit.
    ///
    /// Trailers count where git reads them (the trailer block, `trailers`),
    /// and co-author, pairing, tool and disclosure lines count anywhere in
    /// the message, indented, quoted or listed: a squash, `git merge
    /// --squash` or a line of prose after the block moves them out of the
    /// block without making the commit any less AI-assisted. A line must
    /// start with its key: prose that mentions a tool or an address is not
    /// a marker.
    pub fn detect(&self, commit: &CommitFacts, trailers: &[Trailer]) -> Detection {
        let mut detection = Detection::default();
        let primary = Reading { author: commit.author.clone(), committer: commit.committer.clone(), message: String::new() };
        self.detect_in(&primary, &commit.message, trailers, &mut detection);
        for reading in &commit.other_readings {
            self.detect_in(reading, &reading.message, &trailers::parse(&reading.message), &mut detection);
        }
        // Each reading again with look-alike characters folded and invisible
        // ones dropped: a Cyrillic `о` or a zero-width space hides no marker.
        self.detect_folded(&commit.author, &commit.committer, &commit.message, &mut detection);
        for reading in &commit.other_readings {
            self.detect_folded(&reading.author, &reading.committer, &reading.message, &mut detection);
        }
        detection
    }

    /// Adds what one reading shows once look-alikes are folded, unless it
    /// is ASCII (then folding changes nothing).
    fn detect_folded(&self, author: &Identity, committer: &Identity, message: &str, detection: &mut Detection) {
        let texts = [&author.name, &author.email, &committer.name, &committer.email];
        if message.is_ascii() && texts.iter().all(|text| text.is_ascii()) {
            return;
        }
        let fold = |identity: &Identity| Identity::new(lookalike::fold(&identity.name), lookalike::fold(&identity.email));
        let message = lookalike::fold(message);
        let folded = Reading { author: fold(author), committer: fold(committer), message: String::new() };
        self.detect_in(&folded, &message, &trailers::parse(&message), detection);
    }

    /// Adds what one reading of a commit shows to `detection`.
    fn detect_in(&self, reading: &Reading, message: &str, trailers: &[Trailer], detection: &mut Detection) {
        let mut coauthor_emails: std::collections::HashSet<String> =
            detection.human_coauthors.iter().map(|identity| identity.email.clone()).collect();
        let add = |markers: &mut Vec<Marker>, tool: &str, evidence: String| {
            let marker = Marker { tool: tool.to_owned(), evidence: shorten(&evidence) };
            if markers.len() < MAX_MARKERS && !markers.contains(&marker) {
                markers.push(marker);
            }
        };

        if self.builtin {
            for (role, identity) in [("author", &reading.author), ("committer", &reading.committer)] {
                if let Some(tool) = tool_of_identity(identity, true) {
                    add(&mut detection.markers, tool, format!("{role}: {identity}"));
                }
            }
            for line in message.lines() {
                if let Some(tool) = tool_of_body_line(line) {
                    add(&mut detection.markers, tool, line.trim().to_owned());
                }
            }
        }

        let loose = message.lines().filter_map(loose_trailer);
        for (key, value) in trailers.iter().map(|t| (t.key.as_str(), t.value.as_str())).chain(loose) {
            let key_is = |wanted: &str| key.eq_ignore_ascii_case(wanted);
            let evidence = || format!("{key}: {value}");
            if AUTHORSHIP_KEYS.iter().any(|wanted| key_is(wanted)) {
                let identity = Identity::parse(value);
                let emails = emails_in(value);
                if self.builtin {
                    if let Some(tool) = tool_of_coauthor(value, identity.as_ref(), &emails) {
                        add(&mut detection.markers, &tool, evidence());
                    }
                }
                // Every address a co-author line names that is no tool's is
                // a person who co-wrote the commit, and cannot approve it,
                // however the line is written (`A <a@x> (pairing)`, a model
                // name with a person's address, several people on one line).
                for email in emails {
                    if tool_of_address(&email).is_none() && coauthor_emails.insert(email.clone()) {
                        let name = identity.as_ref().filter(|i| i.email.eq_ignore_ascii_case(&email)).map(|i| i.name.clone());
                        detection.human_coauthors.push(Identity::new(name.unwrap_or_default(), email));
                    }
                }
                continue;
            }
            if self.builtin && key_is("Author") {
                // `git merge --squash` lists each squashed commit's author.
                if let Some(tool) = Identity::parse(value).and_then(|identity| tool_of_identity(&identity, true)) {
                    add(&mut detection.markers, tool, evidence());
                }
                continue;
            }
            if self.builtin {
                if let Some(tool) = CATALOGUE.iter().find(|tool| tool.trailer_keys.iter().any(|wanted| key_is(wanted))) {
                    add(&mut detection.markers, tool.name, evidence());
                    continue;
                }
            }
            if self.disclosure_trailers.iter().any(|wanted| key_is(wanted)) {
                if let Some(tool) = tool_of_disclosure(value) {
                    add(&mut detection.markers, &tool, evidence());
                }
            }
        }
    }
}

/// A `Key: value` line anywhere in a message, once indentation, quoting
/// (`>`) and list bullets are set aside: the key is letters, digits and
/// `-`, right before the `:`. `None` for any other line.
fn loose_trailer(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '>' | '-' | '*' | '+' | '|'));
    let (key, value) = line.split_once(':')?;
    let key = key.trim_end_matches([' ', '\t']);
    let is_key = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    is_key.then(|| (key, value.trim()))
}

/// The catalogue tool an identity belongs to. `by_name` also accepts the
/// aider convention of a name ending in ` (aider)` (used for authors and
/// committers, which aider rewrites).
fn tool_of_identity(identity: &Identity, by_name: bool) -> Option<&'static str> {
    let email = identity.email_key();
    let name = identity.name.trim().to_ascii_lowercase();
    let login = github_noreply_login(&email);
    let tool = CATALOGUE.iter().find(|tool| {
        tool.emails.contains(&email.as_str())
            || login.is_some_and(|login| tool.github_logins.contains(&login))
            || tool.names.contains(&name.as_str())
            || (name.ends_with("[bot]") && tool.github_logins.contains(&name.as_str()))
    });
    if let Some(tool) = tool {
        return Some(tool.name);
    }
    (by_name && name.ends_with(" (aider)")).then_some("Aider")
}

/// The tool a `Co-authored-by` value names: a catalogue identity (also when
/// the value carries more than one address or extra text), or a model named
/// as the co-author (`Claude Opus 4.5 <…>`, `GPT-5 <…>`).
fn tool_of_coauthor(value: &str, identity: Option<&Identity>, emails: &[String]) -> Option<String> {
    if let Some(tool) = identity.and_then(|identity| tool_of_identity(identity, false)) {
        return Some(tool.to_owned());
    }
    if let Some(tool) = emails.iter().find_map(|email| tool_of_address(email)) {
        return Some(tool.to_owned());
    }
    let name = identity.map_or_else(|| value.split('<').next().unwrap_or(value), |identity| identity.name.as_str()).trim();
    names_a_model(name).then(|| name.to_owned())
}

/// The catalogue tool an address alone belongs to.
fn tool_of_address(email: &str) -> Option<&'static str> {
    tool_of_identity(&Identity::new("", email), false)
}

/// The login in a GitHub noreply address: `[id+]login@users.noreply.github.com`.
fn github_noreply_login(email: &str) -> Option<&str> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    Some(match local.split_once('+') {
        Some((id, login)) if id.bytes().all(|b| b.is_ascii_digit()) => login,
        _ => local,
    })
}

/// Whether a co-author name names an AI model rather than a person: a model
/// family followed by a version or a tier (`Claude Sonnet 4`, `GPT-4o`,
/// `Gemini 2.5 Pro`, `o3`). A family word alone (`Claude`, `Gemini`) is not
/// enough: people carry those names.
pub fn names_a_model(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    let mut tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '_' | '/' | '(' | ')' | ','))
        .filter(|token| !token.is_empty())
        .collect();
    // A vendor before the model: `OpenAI GPT-5`, `Google Gemini 2.5 Pro`.
    while tokens.len() > 1 && ["openai", "google", "anthropic", "meta", "mistralai", "xai", "alibaba"].contains(&tokens[0]) {
        tokens.remove(0);
    }
    let Some(first) = tokens.first().copied() else {
        return false;
    };
    let second = tokens.get(1).copied();
    let starts_with_digit = |token: &str| token.bytes().next().is_some_and(|b| b.is_ascii_digit());
    // A family, then a version either glued on (`gpt4o`, `qwen3`) or as the
    // next token, or one of the family's tier words.
    let versioned = |family: &str, tiers: &[&str]| match first.strip_prefix(family) {
        Some("") => second.is_some_and(|next| starts_with_digit(next) || tiers.contains(&next)),
        Some(rest) => starts_with_digit(rest),
        None => false,
    };
    match first {
        "chatgpt" | "codestral" | "devstral" => return true,
        _ => {}
    }
    // OpenAI's o-series: `o1`, `o3`, `o4-mini`; not a person called `O2 Lee`.
    let o_series = first.len() >= 2 && first.starts_with('o') && first[1..].bytes().all(|b| b.is_ascii_digit());
    if o_series && second.is_none_or(|next| ["mini", "pro", "preview", "high", "medium", "low"].contains(&next)) {
        return true;
    }
    versioned("claude", &["opus", "sonnet", "haiku", "instant", "code"])
        || versioned("opus", &[])
        || versioned("sonnet", &[])
        || versioned("haiku", &[])
        || versioned("gpt", &["oss"])
        || versioned("gemini", &["pro", "flash", "ultra", "nano", "code", "cli"])
        || versioned("llama", &[])
        || versioned("qwen", &["coder"])
        || versioned("deepseek", &["coder", "chat", "reasoner", "r1", "v2", "v3"])
        || versioned("mistral", &["large", "medium", "nemo"])
        || versioned("grok", &["code"])
        || versioned("glm", &[])
        || versioned("kimi", &["k2"])
}

/// The tool a body line announces: `🤖 Generated with [Claude Code](…)`,
/// also quoted (`> `), listed (`- `) or with odd spacing. Either the tool's
/// emoji or its link form must be there, and the tool's name must end at a
/// word boundary, so a sentence such as "Generated with Claude Code removed"
/// or "Generated with Devinator" is not a marker.
fn tool_of_body_line(line: &str) -> Option<&'static str> {
    let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '>' | '-' | '*' | '+'));
    let decorated = trimmed.starts_with(|c: char| !c.is_ascii());
    let trimmed = trimmed.trim_start_matches(|c: char| c.is_whitespace() || !c.is_ascii());
    // Most body lines are prose: look at two words before collecting any.
    let mut words = trimmed.split_whitespace();
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return None;
    };
    if !first.eq_ignore_ascii_case("generated") || !["with", "using", "by"].iter().any(|w| second.eq_ignore_ascii_case(w)) {
        return None;
    }
    let rest = words.collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let linked = rest.starts_with('[');
    let rest = rest.trim_start_matches('[');
    CATALOGUE
        .iter()
        .find(|tool| {
            tool.body_lines.iter().any(|name| {
                let Some(after) = rest.strip_prefix(name) else {
                    return false;
                };
                let boundary = after.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
                let closed_link = linked && after.starts_with("](");
                boundary && (decorated || closed_link || after.trim_matches(|c: char| c.is_ascii_punctuation()).is_empty())
            })
        })
        .map(|tool| tool.name)
}

/// The tool a disclosure trailer names, or `None` when it declares no AI or
/// credits a person (`Assisted-by: Name <email>` with an address that is no
/// tool's: a long-standing way to thank a human helper).
fn tool_of_disclosure(value: &str) -> Option<String> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let first_word = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '/').next().unwrap_or("");
    if value.is_empty() || NEGATIVE_DISCLOSURES.contains(&lower.as_str()) || NEGATIVE_DISCLOSURES.contains(&first_word) {
        return None;
    }
    if POSITIVE_DISCLOSURES.contains(&lower.as_str()) {
        return Some("AI (disclosed)".to_owned());
    }
    let emails = emails_in(value);
    if !emails.is_empty() {
        // A person credited by address, unless the address is a tool's or
        // the name is a model's (`Claude Opus 4.5 <claude@corp.example>`).
        if let Some(tool) = emails.iter().find_map(|email| tool_of_address(email)) {
            return Some(tool.to_owned());
        }
        let name = value.split('<').next().unwrap_or(value).trim();
        return names_a_model(name).then(|| name.to_owned());
    }
    // `Assisted-by: AGENT:MODEL [TOOL…]` as the Linux kernel writes it.
    let agent = value.split(':').next().unwrap_or(value).trim();
    Some(if agent.is_empty() { value.to_owned() } else { agent.to_owned() })
}

/// Shortens evidence for display, on a character boundary.
fn shorten(evidence: &str) -> String {
    if evidence.chars().count() <= MAX_EVIDENCE_CHARS {
        return evidence.to_owned();
    }
    let mut short: String = evidence.chars().take(MAX_EVIDENCE_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        Detector { builtin: true, disclosure_trailers: vec!["AI-Assisted".into(), "Assisted-by".into(), "Generated-by".into()] }
    }

    fn commit(author: &str, message: &str) -> CommitFacts {
        let author = Identity::parse(author).expect("test author parses");
        CommitFacts {
            id: "0".repeat(40),
            parent_ids: vec![],
            committer: author.clone(),
            author,
            message: message.to_owned(),
            unreadable_encoding: None,
            malformed: None,
            change_id: None,
            signature: None,
            other_readings: vec![],
        }
    }

    fn tools(author: &str, message: &str) -> Vec<String> {
        let commit = commit(author, message);
        let trailers = trailers::parse(&commit.message);
        let mut tools: Vec<String> = detector().detect(&commit, &trailers).markers.into_iter().map(|m| m.tool).collect();
        tools.dedup();
        tools
    }

    const HUMAN: &str = "Pat Human <pat@corp.example>";

    #[test]
    fn recognises_the_catalogue() {
        let cases: &[(&str, &str, &[&str])] = &[
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n", &["Claude Code"]),
            (HUMAN, "Fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nClaude-Session: abc123\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n", &["GitHub Copilot"]),
            (
                HUMAN,
                "Fix\n\nCo-authored-by: Copilot Autofix powered by AI <62310815+github-advanced-security[bot]@users.noreply.github.com>\n",
                &["GitHub Copilot"],
            ),
            ("copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", "Fix\n", &["GitHub Copilot"]),
            (HUMAN, "Fix\n\nAgent-Logs-Url: https://github.com/o/r/sessions/1\n", &["GitHub Copilot"]),
            (HUMAN, "Fix\n\nCo-authored-by: Codex <noreply@openai.com>\n", &["OpenAI Codex"]),
            (HUMAN, "Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n", &["Cursor"]),
            ("devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "Fix\n", &["Devin"]),
            (
                HUMAN,
                "Fix\n\nCo-authored-by: devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>\n",
                &["Devin"],
            ),
            (HUMAN, "Fix\n\nGenerated with [Devin](https://devin.ai/)\n", &["Devin"]),
            (HUMAN, "Fix\n\nCo-authored-by: aider (openai/gpt-4o) <aider@aider.chat>\n", &["Aider"]),
            (HUMAN, "Fix\n\nCo-authored-by: aider (sonnet) <aider@aider.dev>\n", &["Aider"]),
            ("Pat Human (aider) <pat@corp.example>", "Fix\n", &["Aider"]),
            (HUMAN, "Fix\n\nCo-authored-by: Amp <amp@ampcode.com>\nAmp-Thread-ID: https://ampcode.com/threads/T-1\n", &["Amp"]),
            (HUMAN, "Fix\n\nCo-authored-by: openhands <openhands@all-hands.dev>\n", &["OpenHands"]),
            ("google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>", "Fix\n", &["Google Jules"]),
            ("factory-droid[bot] <138933559+factory-droid[bot]@users.noreply.github.com>", "Fix\n", &["Factory"]),
            (HUMAN, "Fix\n\nCo-authored-by: Claude Opus 4.5 <assistant@corp.example>\n", &["Claude Opus 4.5"]),
            (HUMAN, "Fix\n\nCo-authored-by: GPT-5 <bot@corp.example>\n", &["GPT-5"]),
            (HUMAN, "Fix\n\nCo-authored-by: Gemini 2.5 Pro <bot@corp.example>\n", &["Gemini 2.5 Pro"]),
            (HUMAN, "Fix\n\nAI-Assisted: yes\n", &["AI (disclosed)"]),
            (HUMAN, "Fix\n\nAI-Assisted: Cursor\n", &["Cursor"]),
            (HUMAN, "Fix\n\nAssisted-by: Claude:claude-3-opus coccinelle sparse\n", &["Claude"]),
            (HUMAN, "Fix\n\nGenerated-by: GitHub Copilot\n", &["GitHub Copilot"]),
            (HUMAN, "Fix\n\nAssisted-by: Claude <noreply@anthropic.com>\n", &["Claude Code"]),
            // Extra text around a tool's address does not hide it.
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com> (claude-opus-4-5)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>, Pat <pat@corp.example>\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <mailto:noreply@anthropic.com>\n", &["Claude Code"]),
            // Model names, with a vendor, in parentheses, or a bare tier.
            (HUMAN, "Fix\n\nAssisted-by: Claude Opus 4.5 <claude@corp.example>\n", &["Claude Opus 4.5"]),
            (HUMAN, "Fix\n\nCo-authored-by: OpenAI GPT-5 <bot@corp.example>\n", &["OpenAI GPT-5"]),
            (HUMAN, "Fix\n\nCo-authored-by: Google Gemini 2.5 Pro <bot@corp.example>\n", &["Google Gemini 2.5 Pro"]),
            (HUMAN, "Fix\n\nCo-authored-by: Claude (Opus 4.5) <bot@corp.example>\n", &["Claude (Opus 4.5)"]),
            (HUMAN, "Fix\n\nCo-authored-by: Sonnet 4.5 <bot@corp.example>\n", &["Sonnet 4.5"]),
            // The footer quoted, listed, or spaced oddly.
            (HUMAN, "Fix\n\n> 🤖 Generated with [Claude Code](https://claude.com/claude-code)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\n- 🤖 Generated  with [Claude Code](https://claude.com/claude-code)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\n🤖 Generated\twith [Claude Code](https://claude.com/claude-code)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nGenerated using [Claude Code](https://claude.com/claude-code)\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nGenerated with Claude Code.\n", &["Claude Code"]),
            // Co-author lines moved out of the trailer block: a line of prose
            // after it, a squash, `git merge --squash` (indented), quoted.
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nReviewed in standup\n", &["Claude Code"]),
            (
                HUMAN,
                "Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n\nFix a typo\n\nSigned-off-by: Pat <pat@corp.example>\n",
                &["Cursor"],
            ),
            (
                HUMAN,
                "Squashed commit of the following:\n\ncommit 0123\nAuthor: Pat Human <pat@corp.example>\n\n    Add x\n    \n    Co-authored-by: Codex <noreply@openai.com>\n",
                &["OpenAI Codex"],
            ),
            (
                HUMAN,
                "Squashed commit of the following:\n\ncommit 0123\nAuthor: Copilot <175728472+Copilot@users.noreply.github.com>\n\n    Add x\n",
                &["GitHub Copilot"],
            ),
            (HUMAN, "Fix\n\n> Co-authored-by: Cursor <cursoragent@cursor.com>\n> more\n\nok\n", &["Cursor"]),
            (HUMAN, "Fix\n\n  - Claude-Session: abc\n\nok\n", &["Claude Code"]),
            // Look-alike and invisible characters.
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthr\u{43e}pic.com>\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com\u{200b}>\n", &["Claude Code"]),
            (HUMAN, "Fix\n\nCo\u{2010}Authored\u{2010}By: Claude <noreply@anthropic.com>\n", &["Claude Code"]),
            ("Claude <noreply@\u{430}nthropic.com>", "Fix\n", &["Claude Code"]),
        ];
        for (author, message, expected) in cases {
            assert_eq!(tools(author, message), *expected, "author {author:?} message {message:?}");
        }
    }

    #[test]
    fn does_not_flag_people() {
        let cases: &[(&str, &str)] = &[
            ("Claude Dubois <claude@corp.example>", "Fix\n\nSigned-off-by: Claude Dubois <claude@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Jules Verne <jules@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Claude Dubois <claude@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Gemini Jones <gemini@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Devin Booker <devin@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Kimi Räikkönen <kimi@corp.example>\n"),
            ("Copilot Fan <copilot@corp.example>", "Fix\n"),
            ("Aider Smith <aider@corp.example>", "Fix\n"),
            (HUMAN, "Fix\n\nAssisted-by: Jane Doe <jane@corp.example>\n"),
            (HUMAN, "Fix\n\nAI-Assisted: no\n"),
            (HUMAN, "Fix\n\nAI-Assisted: none\n"),
            (HUMAN, "Fix the Generated with Claude Code note\n"),
            (HUMAN, "Generated with claude code removed from templates\n"),
            (HUMAN, "Fix\n\nGenerated with Devinator script\n"),
            (HUMAN, "Fix\n\nAI-Assisted: No (tests by hand)\n"),
            (HUMAN, "Fix\n\nCo-authored-by: DeepSeek Chen <ds@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: O2 Lee <o2@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Mistral Small <ms@corp.example>\n"),
            (HUMAN, "Fix\n\nThe tool said: Co-Authored-By: Claude <noreply@anthropic.com> in a sentence.\n"),
            (HUMAN, "Fix\n\nWe no longer add Co-authored-by: Codex <noreply@openai.com> lines.\n\nDone.\n"),
            (HUMAN, "Fix\n\nMail to noreply@anthropic.com bounced; see cursoragent@cursor.com.\n\nDone.\n"),
            (HUMAN, "Fix\n\nNote: Co-authored-by: Codex <noreply@openai.com> was removed.\n\nDone.\n"),
        ];
        for (author, message) in cases {
            assert_eq!(tools(author, message), Vec::<String>::new(), "author {author:?} message {message:?}");
        }
    }

    #[test]
    fn collects_human_coauthors() {
        let simple = commit(HUMAN, "Fix\n\nCo-authored-by: Jo <jo@corp.example>\nCo-authored-by: Codex <noreply@openai.com>\n");
        let detection = detector().detect(&simple, &trailers::parse(&simple.message));
        assert_eq!(detection.human_coauthors, vec![Identity::new("Jo", "jo@corp.example")]);

        // However the line is written, a person's address makes them a co-author.
        let mixed = commit(
            HUMAN,
            "Fix\n\nCo-authored-by: Al <al@corp.example> (pairing)\nCo-authored-by: Claude Opus 4.5 <bo@corp.example>\n\
             Co-authored-by: Cy <cy@corp.example>, Claude <noreply@anthropic.com>\n",
        );
        let detection = detector().detect(&mixed, &trailers::parse(&mixed.message));
        let emails: Vec<&str> = detection.human_coauthors.iter().map(|i| i.email.as_str()).collect();
        assert_eq!(emails, ["al@corp.example", "bo@corp.example", "cy@corp.example"]);

        // A pair is an author; so is a co-author named outside the trailer block.
        let paired = commit(HUMAN, "Fix\n\nprose\n  Co-authored-by: Al <al@corp.example>\nprose\n\nPaired-with: Sam <sam@corp.example>\n");
        let detection = detector().detect(&paired, &trailers::parse(&paired.message));
        let emails: Vec<&str> = detection.human_coauthors.iter().map(|i| i.email.as_str()).collect();
        assert_eq!(emails, ["sam@corp.example", "al@corp.example"]);
    }

    #[test]
    fn builtin_off_keeps_only_disclosures() {
        let detector = Detector { builtin: false, ..detector() };
        let commit = commit(HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAI-Assisted: true\n");
        let markers = detector.detect(&commit, &trailers::parse(&commit.message)).markers;
        assert_eq!(markers.len(), 1);
        assert_eq!(markers[0].evidence, "AI-Assisted: true");
    }
}
