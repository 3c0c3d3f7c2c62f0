//! Which commits are AI-assisted, and the evidence for it.
//!
//! Detection matches what tools really write: their bot addresses and
//! logins, their own trailers and body lines, co-authors that name a model,
//! and disclosure trailers. It never matches a display name alone where a
//! person could carry it: "Claude Dubois <claude@corp.example>" is a person.

use crate::policy::facts::CommitFacts;
use crate::policy::identity::{Identity, emails_in};
use crate::policy::lookalike;
use crate::policy::trailers::{self, Trailer};
use std::collections::HashMap;

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
    /// Whether a disclosure trailer declares that no AI was used
    /// (`AI-Assisted: no`). It never clears a marker.
    pub declared_none: bool,
}

/// The detection rules in force: the catalogue of tools (built-in and
/// configured) and the configured disclosure trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detector {
    /// Whether the built-in rules are used: co-authors that name a model,
    /// and aider's ` (aider)` names (the shipped tools are in `catalogue`
    /// unless `[detect] builtin = false`).
    pub builtin: bool,
    /// The tools recognised.
    pub catalogue: Catalogue,
    /// Trailer keys by which authors disclose AI use (compared ignoring case).
    pub disclosure_trailers: Vec<String>,
    /// Every key any rule reads, folded (see [`fold_key_into`]): a `Key:`
    /// line whose key is not here is skipped with one lookup.
    keys: FoldedKeys,
    /// The disclosure keys among them, folded.
    disclosure_keys: FoldedKeys,
}

/// Folded keys (see [`fold_key_into`]).
type FoldedKeys = std::collections::HashSet<Vec<u8>, std::hash::BuildHasherDefault<Fnv>>;

/// One AI tool and what it writes that no person writes.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Tool {
    /// The tool's name, e.g. `Claude Code`.
    pub name: String,
    /// Addresses only this tool writes (lowercase).
    pub emails: Vec<String>,
    /// Addresses it wrote in earlier releases (lowercase).
    pub former_emails: Vec<String>,
    /// GitHub logins (lowercase), matched in `users.noreply.github.com`
    /// addresses and, for `[bot]` logins, as names.
    pub github_logins: Vec<String>,
    /// Names no person carries (lowercase), e.g. `copilot autofix powered by ai`.
    pub names: Vec<String>,
    /// Trailer keys only this tool writes, with any value.
    pub trailer_keys: Vec<String>,
    /// Exact trailers (`Key: value`, both compared ignoring case).
    pub trailers: Vec<String>,
    /// Names (lowercase) this tool signs body lines with:
    /// `🤖 Generated with [<name>](…)`.
    pub body_lines: Vec<String>,
    /// Links to the tool's sessions or tasks (lowercase, without the
    /// scheme), anywhere in a line: `claude.ai/code/session_`.
    pub session_urls: Vec<String>,
    /// Whether it comes with the binary (else from the configuration).
    pub builtin: bool,
}

/// The tools recognised, indexed so that a lookup costs the same however
/// many tools there are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    tools: Vec<Tool>,
    by_email: FastMap<String, usize>,
    by_login: FastMap<String, usize>,
    by_name: FastMap<String, usize>,
    by_key: FastMap<String, usize>,
    by_trailer: FastMap<String, Vec<(String, usize)>>,
}

/// A map for keys only the configuration writes (tool addresses, names,
/// keys): lookups of any text are quick, and no pushed text is ever
/// inserted, so its weak hash cannot be made to collide.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// FNV-1a: a few cycles per byte for the short strings looked up per commit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Catalogue {
    /// Indexes `tools`; where two claim the same thing, the first wins.
    pub fn new(tools: Vec<Tool>) -> Catalogue {
        let mut catalogue = Catalogue { tools, ..Catalogue::default() };
        for (index, tool) in catalogue.tools.iter().enumerate() {
            for email in tool.emails.iter().chain(&tool.former_emails) {
                catalogue.by_email.entry(email.to_lowercase()).or_insert(index);
            }
            for login in &tool.github_logins {
                catalogue.by_login.entry(login.to_lowercase()).or_insert(index);
            }
            for name in &tool.names {
                catalogue.by_name.entry(name.to_lowercase()).or_insert(index);
            }
            for key in &tool.trailer_keys {
                catalogue.by_key.entry(key.to_ascii_lowercase()).or_insert(index);
            }
            for trailer in &tool.trailers {
                if let Some((key, value)) = trailer.split_once(':') {
                    catalogue.by_trailer.entry(key.trim().to_ascii_lowercase()).or_default().push((value.trim().to_lowercase(), index));
                }
            }
        }
        catalogue
    }

    /// Every tool, in catalogue order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    fn name(&self, index: usize) -> &str {
        &self.tools[index].name
    }

    /// The tool an address alone belongs to: one of its addresses, or a
    /// GitHub noreply address of one of its logins (never a domain alone).
    pub fn tool_of_address(&self, email: &str) -> Option<&str> {
        let email = lowercase(email);
        if let Some(&index) = self.by_email.get(email.as_ref()) {
            return Some(self.name(index));
        }
        github_noreply_login(&email).and_then(|login| self.by_login.get(login)).map(|&index| self.name(index))
    }

    /// The tool an identity belongs to: by its address, or by a name no
    /// person carries (a `…[bot]` login, a catalogue name).
    pub fn tool_of_identity(&self, identity: &Identity) -> Option<&str> {
        if let Some(tool) = self.tool_of_address(&identity.email) {
            return Some(tool);
        }
        let name = lowercase(identity.name.trim());
        let by_bot_login = if name.ends_with("[bot]") { self.by_login.get(name.as_ref()) } else { None };
        by_bot_login.or_else(|| self.by_name.get(name.as_ref())).map(|&index| self.name(index))
    }

    /// The tool a trailer belongs to, by its key or by the whole trailer.
    fn tool_of_trailer(&self, key: &str, value: &str) -> Option<&str> {
        // Lowercased on the stack: this runs for every `Key:` line.
        let mut buffer = [0u8; 64];
        let bytes = buffer.get_mut(..key.len())?;
        bytes.copy_from_slice(key.as_bytes());
        bytes.make_ascii_lowercase();
        let key = std::str::from_utf8(bytes).ok()?;
        if let Some(&index) = self.by_key.get(key) {
            return Some(self.name(index));
        }
        let values = self.by_trailer.get(key)?;
        let value = value.trim();
        values.iter().find(|(wanted, _)| wanted.eq_ignore_ascii_case(value)).map(|&(_, index)| self.name(index))
    }

    /// The tool whose session link `line` holds.
    fn tool_of_link(&self, line: &str) -> Option<&str> {
        // A link has a `/`; most lines have none, and cost nothing here.
        if !line.contains('/') {
            return None;
        }
        let lower = line.to_ascii_lowercase();
        self.tools.iter().find(|tool| tool.session_urls.iter().any(|url| lower.contains(url.as_str()))).map(|tool| tool.name.as_str())
    }

    /// The tool whose body-line name starts `rest` (lowercase) and passes
    /// `accept` (what follows the name).
    fn tool_of_body_name(&self, rest: &str, accept: impl Fn(&str) -> bool) -> Option<&str> {
        self.tools
            .iter()
            .find(|tool| tool.body_lines.iter().any(|name| rest.strip_prefix(name.as_str()).is_some_and(&accept)))
            .map(|tool| tool.name.as_str())
    }
}

/// Up to how many trailers a loose line is compared with, to be read once
/// (past it, each is read again: the same answer, at a linear cost).
const MAX_COMPARED_TRAILERS: usize = 16;

/// Trailer keys that credit someone with writing the commit: a co-author
/// or a pair (compared ignoring case). The people they name cannot approve it.
const AUTHORSHIP_KEYS: &[&str] = &["Co-authored-by", "Co-developed-by", "Paired-with", "Pair-programmed-with", "Pairing-with"];

/// Disclosure keys people write besides the configured ones (compared
/// folded, see [`fold_key_into`]).
const DISCLOSURE_KEY_VARIANTS: &[&str] = &[
    "aiassisted",
    "aiassistedby",
    "aigenerated",
    "aigeneratedby",
    "llmassisted",
    "llmassistedby",
    "llmgenerated",
    "assistedby",
    "generatedby",
    "aitool",
    "aitools",
    "aiused",
];

/// Product names that, as a whole display name (`Generated-by: Claude
/// <someone@corp.example>`) or as a word in a disclosure (`none except
/// Copilot autocomplete`), name an AI tool (lowercase).
const ASSISTANT_WORDS: &[&str] = &[
    "claude", "copilot", "codex", "chatgpt", "gpt", "gemini", "cursor", "aider", "devin", "windsurf", "cline", "junie", "kiro", "qwen",
    "amp", "crush", "opencode",
];

/// `text` in lowercase, borrowed when it already is.
fn lowercase(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `key` with case, `-`, `_` and spaces set aside, owned.
fn fold_key(key: &str) -> Option<Vec<u8>> {
    let mut buffer = [0u8; 64];
    fold_key_into(key, &mut buffer).map(<[u8]>::to_vec)
}

/// `key` with case, `-`, `_` and spaces set aside, into `buffer`; `None`
/// for a key too long to be any rule's.
fn fold_key_into<'b>(key: &str, buffer: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let mut length = 0;
    for byte in key.bytes().filter(u8::is_ascii_alphanumeric) {
        *buffer.get_mut(length)? = byte.to_ascii_lowercase();
        length += 1;
    }
    Some(&buffer[..length])
}

/// The model a name carries in a parenthesised suffix, after any provider
/// prefix: `aider (openai/gpt-4.1)` → `gpt-4.1`, `Jane Roe
/// (claude-sonnet-4-20250514)`. Only a name that is a model counts.
fn model_in_parentheses(name: &str) -> Option<String> {
    let inner = name.trim().strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let model = inner[open + 1..].rsplit('/').next()?.trim();
    names_a_model(model).then(|| model.to_owned())
}

/// Whether a disclosure value says no AI was used (`no`, `none (tests by
/// hand)`); a value that also names a tool never gets here.
fn declares_none(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    let first_word = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '/').next().unwrap_or("");
    NEGATIVE_DISCLOSURES.contains(&lower.as_str()) || NEGATIVE_DISCLOSURES.contains(&first_word)
}

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
    /// The rules: the built-in ones when `builtin`, the tools of
    /// `catalogue`, and the disclosure trailer keys.
    pub fn new(builtin: bool, catalogue: Catalogue, disclosure_trailers: Vec<String>) -> Detector {
        let folded = |keys: &mut Vec<&str>| -> FoldedKeys { keys.drain(..).filter_map(fold_key).collect() };
        let mut disclosure: Vec<&str> = disclosure_trailers.iter().map(String::as_str).collect();
        if builtin {
            disclosure.extend(DISCLOSURE_KEY_VARIANTS);
        }
        let disclosure_keys = folded(&mut disclosure);
        let mut others: Vec<&str> = AUTHORSHIP_KEYS.to_vec();
        others.push("Author");
        for tool in catalogue.tools() {
            others.extend(tool.trailer_keys.iter().map(String::as_str));
            others.extend(tool.trailers.iter().filter_map(|trailer| trailer.split_once(':')).map(|(key, _)| key));
        }
        let mut keys = folded(&mut others);
        keys.extend(disclosure_keys.iter().cloned());
        Detector { builtin, catalogue, disclosure_trailers, keys, disclosure_keys }
    }

    /// Whether any rule reads `key`.
    fn reads_key(&self, key: &str) -> bool {
        let mut buffer = [0u8; 64];
        fold_key_into(key, &mut buffer).is_some_and(|folded| self.keys.contains(folded))
    }

    /// Whether `key` discloses AI use: a configured disclosure trailer, or
    /// (built-in rules) a variant people write by hand: `AI-Generated`,
    /// `LLM-Assisted`, `AI-assisted-by`, `AI Assisted` (case, `-`, `_` and
    /// spaces do not matter).
    fn is_disclosure_key(&self, key: &str) -> bool {
        let mut buffer = [0u8; 64];
        fold_key_into(key, &mut buffer).is_some_and(|folded| self.disclosure_keys.contains(folded))
    }

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
        self.detect_in([&commit.author, &commit.committer], &commit.message, trailers, &mut detection);
        for reading in &commit.other_readings {
            self.detect_in([&reading.author, &reading.committer], &reading.message, &trailers::parse(&reading.message), &mut detection);
        }
        // Each reading again with look-alike characters folded and invisible
        // ones dropped: a Cyrillic `о` or a zero-width space hides no marker.
        // Notes only ever add markers.
        for (notes_ref, text) in &commit.notes {
            if let Some(marker) = crate::policy::notes::marker(notes_ref, text) {
                if detection.markers.len() < MAX_MARKERS && !detection.markers.contains(&marker) {
                    detection.markers.push(marker);
                }
            }
        }
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
        let folded_message = lookalike::fold(message);
        let folded: Vec<_> = texts.iter().map(|text| lookalike::fold(text)).collect();
        // Nothing looked like anything else (emoji, accents kept): done.
        let changed = |text: &std::borrow::Cow<'_, str>| matches!(text, std::borrow::Cow::Owned(_));
        if !changed(&folded_message) && !folded.iter().any(changed) {
            return;
        }
        let author = Identity::new(folded[0].as_ref(), folded[1].as_ref());
        let committer = Identity::new(folded[2].as_ref(), folded[3].as_ref());
        self.detect_in([&author, &committer], &folded_message, &trailers::parse(&folded_message), detection);
    }

    /// Adds what one reading of a commit shows to `detection`.
    fn detect_in(&self, [author, committer]: [&Identity; 2], message: &str, trailers: &[Trailer], detection: &mut Detection) {
        let mut coauthor_emails: std::collections::HashSet<String> =
            detection.human_coauthors.iter().map(|identity| identity.email.clone()).collect();
        let add = |markers: &mut Vec<Marker>, tool: &str, evidence: String| {
            let evidence = shorten(evidence);
            if markers.len() < MAX_MARKERS && !markers.iter().any(|m| m.tool == tool && m.evidence == evidence) {
                markers.push(Marker { tool: tool.to_owned(), evidence });
            }
        };

        for (role, identity) in [("author", author), ("committer", committer)] {
            if let Some(tool) = self.tool_of_person(identity) {
                add(&mut detection.markers, &tool, format!("{role}: {identity}"));
            }
        }
        // One pass over the lines: footers, links, and `Key: value` lines
        // anywhere (kept for below, after the trailer block's own).
        let mut loose: Vec<(&str, &str)> = Vec::new();
        for line in message.lines() {
            // Most lines are prose: no `Key:`, no link, no `|`.
            if memchr::memchr3(b':', b'/', b'|', line.as_bytes()).is_none() {
                if let Some(tool) = self.tool_of_body_line(line) {
                    add(&mut detection.markers, tool, line.trim().to_owned());
                }
                continue;
            }
            // Footers joined on one line: `*Generated with Crush* | *Assisted-by: …*`.
            for segment in line.split('|') {
                if let Some(tool) = self.tool_of_body_line(segment) {
                    add(&mut detection.markers, tool, line.trim().to_owned());
                }
                if let Some(pair) = loose_trailer(segment) {
                    loose.push(pair);
                }
            }
            if let Some(tool) = self.catalogue.tool_of_link(line) {
                add(&mut detection.markers, tool, line.trim().to_owned());
            }
        }
        // aider's optional `aider: ` subject prefix.
        let subject = message.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
        if self.builtin && subject.trim_start().starts_with("aider: ") {
            add(&mut detection.markers, "Aider", subject.trim().to_owned());
        }

        // The trailer block's lines come again as loose lines: each is read
        // once (what a line shows depends on its key and value alone).
        let in_block = |&(key, value): &(&str, &str)| {
            trailers.len() <= MAX_COMPARED_TRAILERS && trailers.iter().any(|t| t.key == key && t.value == value)
        };
        let loose = loose.into_iter().filter(|pair| !in_block(pair));
        for (key, value) in trailers.iter().map(|t| (t.key.as_str(), t.value.as_str())).chain(loose) {
            // `Signed-off-by:`, `Note:`, …: no rule reads them.
            if !self.reads_key(key) {
                continue;
            }
            let key_is = |wanted: &str| key.eq_ignore_ascii_case(wanted);
            let evidence = || format!("{key}: {value}");
            if AUTHORSHIP_KEYS.iter().any(|wanted| key_is(wanted)) {
                let identity = Identity::parse(value);
                let emails = emails_in(value);
                if let Some(tool) = self.tool_of_coauthor(value, identity.as_ref(), &emails) {
                    add(&mut detection.markers, &tool, evidence());
                }
                // Every address a co-author line names that is no tool's is
                // a person who co-wrote the commit, and cannot approve it,
                // however the line is written (`A <a@x> (pairing)`, a model
                // name with a person's address, several people on one line).
                for email in emails {
                    if self.catalogue.tool_of_address(&email).is_none() && coauthor_emails.insert(email.clone()) {
                        let name = identity.as_ref().filter(|i| i.email.eq_ignore_ascii_case(&email)).map(|i| i.name.clone());
                        detection.human_coauthors.push(Identity::new(name.unwrap_or_default(), email));
                    }
                }
                continue;
            }
            if key_is("Author") {
                // `git merge --squash` lists each squashed commit's author.
                if let Some(tool) = Identity::parse(value).and_then(|identity| self.tool_of_person(&identity)) {
                    add(&mut detection.markers, &tool, evidence());
                }
                continue;
            }
            if let Some(tool) = self.catalogue.tool_of_trailer(key, value) {
                add(&mut detection.markers, tool, evidence());
                continue;
            }
            if self.is_disclosure_key(key) {
                match self.tool_of_disclosure(value) {
                    Some(tool) => add(&mut detection.markers, &tool, evidence()),
                    None => detection.declared_none |= declares_none(value),
                }
            }
        }
    }
}

/// A `Key: value` line anywhere in a message, once indentation, quoting
/// (`>`) and list bullets are set aside: the key is letters, digits and
/// `-`, right before the `:`. `None` for any other line.
fn loose_trailer(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '>' | '-' | '*' | '+' | '|' | '_'));
    let line = line.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '_'));
    let (key, value) = line.split_once(':')?;
    let key = key.trim_end_matches([' ', '\t']);
    // Spaces too (`AI Assisted: yes`): only known keys are ever matched.
    let is_key = !key.is_empty()
        && key.len() <= 40
        && key.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b' ');
    is_key.then(|| (key, value.trim()))
}

impl Detector {
    /// The tool an author, committer or squashed author belongs to: by the
    /// catalogue, or (built-in rules) aider's convention of a name ending
    /// in ` (aider)`.
    fn tool_of_person(&self, identity: &Identity) -> Option<String> {
        if let Some(tool) = self.catalogue.tool_of_identity(identity) {
            return Some(tool.to_owned());
        }
        if !self.builtin {
            return None;
        }
        let name = identity.name.trim();
        let suffix = " (aider)";
        if name.len() >= suffix.len()
            && name.is_char_boundary(name.len() - suffix.len())
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        {
            return Some("Aider".to_owned());
        }
        // `Jane Roe (claude-sonnet-4-20250514)`: a model id appended the way
        // aider appends ` (aider)`.
        model_in_parentheses(&identity.name)
    }

    /// The tool a `Co-authored-by` value names: a catalogue identity (also
    /// when the value carries more than one address or extra text), or (by
    /// the built-in rules) a model named as the co-author (`Claude Opus 4.5
    /// <…>`, `GPT-5 <…>`).
    fn tool_of_body_line(&self, line: &str) -> Option<&str> {
        tool_of_body_line_in(&self.catalogue, line)
    }

    fn tool_of_disclosure(&self, value: &str) -> Option<String> {
        tool_of_disclosure_in(&self.catalogue, value)
    }

    fn tool_of_coauthor(&self, value: &str, identity: Option<&Identity>, emails: &[String]) -> Option<String> {
        if let Some(tool) = identity.and_then(|identity| self.catalogue.tool_of_identity(identity)) {
            return Some(tool.to_owned());
        }
        if let Some(tool) = emails.iter().find_map(|email| self.catalogue.tool_of_address(email)) {
            return Some(tool.to_owned());
        }
        if !self.builtin {
            return None;
        }
        let name = identity.map_or_else(|| value.split('<').next().unwrap_or(value), |identity| identity.name.as_str()).trim();
        if names_a_model(name) {
            return Some(name.to_owned());
        }
        let is_tool_name = |text: &str| {
            self.catalogue.tools().iter().any(|tool| tool.name.eq_ignore_ascii_case(text))
                || ASSISTANT_WORDS.contains(&text.to_lowercase().as_str())
        };
        // `Co-authored-by: Copilot` with no address at all.
        if !value.contains('@') && is_tool_name(name) {
            return Some(name.to_owned());
        }

        // `aider (openai/gpt-4.1) <…>`: a model after the tool's name.
        model_in_parentheses(name)
    }
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
fn tool_of_body_line_in<'c>(catalogue: &'c Catalogue, line: &str) -> Option<&'c str> {
    let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '>' | '-' | '*' | '+' | '_'));
    let decorated = trimmed.starts_with(|c: char| !c.is_ascii());
    let trimmed = trimmed.trim_start_matches(|c: char| c.is_whitespace() || !c.is_ascii());
    // Every footer starts with a verb below or a link: most lines do not.
    if !trimmed.bytes().next().is_some_and(|b| matches!(b.to_ascii_lowercase(), b'g' | b'w' | b'c' | b'm' | b'a' | b'[')) {
        return None;
    }
    // A line that is only a link to a tool: `[GitHub Copilot](…)`.
    if let Some(link) = trimmed.strip_prefix('[') {
        let rest = link.to_ascii_lowercase();
        return catalogue.tool_of_body_name(&rest, |after| after.starts_with("]("));
    }
    // Most body lines are prose: look at two words before collecting any.
    let mut words = trimmed.split_whitespace();
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return None;
    };
    let verbs = ["generated", "written", "created", "made", "authored", "co-authored"];
    if !verbs.iter().any(|w| first.eq_ignore_ascii_case(w)) || !["with", "using", "by"].iter().any(|w| second.eq_ignore_ascii_case(w)) {
        return None;
    }
    let rest = words.collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let linked = rest.starts_with('[');
    let rest = rest.trim_start_matches('[');
    catalogue.tool_of_body_name(rest, |after| {
        let boundary = after.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
        let closed_link = linked && after.starts_with("](");
        // The footer is a sentence of its own: `Generated by Mistral Vibe. …`.
        let sentence = after.starts_with(". ") || after.starts_with("! ");
        let bare = after.trim().trim_matches(|c: char| c.is_ascii_punctuation()).is_empty();
        boundary && (decorated || closed_link || sentence || bare)
    })
}

/// The tool a disclosure trailer names, or `None` when it declares no AI or
/// credits a person (`Assisted-by: Name <email>` with an address that is no
/// tool's: a long-standing way to thank a human helper).
fn tool_of_disclosure_in(catalogue: &Catalogue, value: &str) -> Option<String> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let first_word = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '/').next().unwrap_or("");
    if value.is_empty() || NEGATIVE_DISCLOSURES.contains(&lower.as_str()) || NEGATIVE_DISCLOSURES.contains(&first_word) {
        // "No" does not cancel a tool the value names: `none except Copilot
        // autocomplete`, `n/a (Claude wrote the tests)`.
        return assistant_named_in(catalogue, value);
    }
    if POSITIVE_DISCLOSURES.contains(&lower.as_str()) {
        return Some("AI (disclosed)".to_owned());
    }
    let emails = emails_in(value);
    if !emails.is_empty() {
        // A person credited by address, unless the address is a tool's, the
        // name is a model's (`Claude Opus 4.5 <claude@corp.example>`), or the
        // whole name is a tool's (`Claude <claude@corp.example>`).
        if let Some(tool) = emails.iter().find_map(|email| catalogue.tool_of_address(email)) {
            return Some(tool.to_owned());
        }
        let name = value.split('<').next().unwrap_or(value).trim();
        let is_tool = catalogue.tools().iter().any(|tool| tool.name.eq_ignore_ascii_case(name))
            || ASSISTANT_WORDS.contains(&name.to_ascii_lowercase().as_str());
        return (is_tool || names_a_model(name)).then(|| name.to_owned());
    }
    // `Assisted-by: AGENT:MODEL [TOOL…]` as the Linux kernel writes it.
    let agent = value.split(':').next().unwrap_or(value).trim();
    Some(if agent.is_empty() { value.to_owned() } else { agent.to_owned() })
}

/// A tool or assistant named by a word of `value`, as written.
fn assistant_named_in(catalogue: &Catalogue, value: &str) -> Option<String> {
    let words = value.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|word| !word.is_empty());
    for word in words {
        let lower = word.to_lowercase();
        let is_tool =
            ASSISTANT_WORDS.contains(&lower.as_str()) || catalogue.tools().iter().any(|tool| tool.name.eq_ignore_ascii_case(word));
        if is_tool || names_a_model(word) {
            return Some(word.to_owned());
        }
    }
    None
}

/// Shortens evidence for display, on a character boundary.
fn shorten(evidence: String) -> String {
    if evidence.len() <= MAX_EVIDENCE_CHARS || evidence.chars().count() <= MAX_EVIDENCE_CHARS {
        return evidence;
    }
    let mut short: String = evidence.chars().take(MAX_EVIDENCE_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        let config = crate::config::Config::parse(std::path::Path::new("sg.toml"), "").expect("the default configuration");
        config.detect
    }

    fn commit(author: &str, message: &str) -> CommitFacts {
        let author = Identity::parse(author).expect("test author parses");
        CommitFacts {
            id: "0".repeat(40),
            parent_ids: vec![],
            committer: author.clone(),
            author_time: 0,
            committer_time: 0,
            author,
            message: message.to_owned(),
            unreadable_encoding: None,
            oversized: None,
            malformed: None,
            change_id: None,
            signature: None,
            other_readings: vec![],
            notes: vec![],
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
            // The tools of 2026, and older spellings.
            (HUMAN, "Fix\n\nMade-with: Cursor\n", &["Cursor"]),
            ("Kiro Agent <244629292+kiro-agent@users.noreply.github.com>", "Fix\n", &["Kiro"]),
            ("kiro-agent[bot] <kiro@corp.example>", "Fix\n", &["Kiro"]),
            ("amazon-q-developer[bot] <208079219+amazon-q-developer[bot]@users.noreply.github.com>", "Fix\n", &["Amazon Q Developer"]),
            (HUMAN, "Fix\n\nCo-authored-by: Qwen-Coder <qwen-coder@alibabacloud.com>\n", &["Qwen Code"]),
            (HUMAN, "Fix\n\nGenerated by Mistral Vibe.\nCo-Authored-By: Mistral Vibe <vibe@mistral.ai>\n", &["Mistral Vibe"]),
            (HUMAN, "Fix\n\n💘 Generated with Crush\n\nCo-Authored-By: Crush <crush@charm.land>\n", &["Crush"]),
            (HUMAN, "Fix\n\nCo-authored-by: opencode <noreply@opencode.ai>\n", &["opencode"]),
            ("opencode-agent[bot] <opencode-agent[bot]@users.noreply.github.com>", "Fix\n", &["opencode"]),
            (HUMAN, "Fix\n\nReplit-Commit-Author: Agent\nReplit-Commit-Session-Id: 1f2e\n", &["Replit Agent"]),
            ("lovable-dev[bot] <lovable-dev[bot]@users.noreply.github.com>", "Fix\n", &["Lovable"]),
            ("v0[bot] <v0[bot]@users.noreply.github.com>", "Fix\n", &["v0"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Warp <agent@warp.dev>\n", &["Warp"]),
            (HUMAN, "Fix\n\nCo-Authored-By: Oz <oz-agent@warp.dev>\n", &["Warp"]),
            ("kiloconnect[bot] <kiloconnect[bot]@users.noreply.github.com>", "Fix\n", &["Kilo Code"]),
            ("roomote[bot] <roomote@roocode.com>", "Fix\n", &["Roo Code"]),
            (HUMAN, "Fix\n\nEntire-Session: 2026-01-01-abc\nEntire-Checkpoint: 3\n", &["Entire"]),
            (HUMAN, "Fix\n\nCo-authored-by: aider (openai/gpt-4.1) <noreply@aider.chat>\n", &["Aider"]),
            (HUMAN, "Fix\n\nCo-authored-by: aider (vertex_ai/gemini-2.5-pro-exp-03-25) <noreply@aider.dev>\n", &["Aider"]),
            // Model names where tools put them.
            (HUMAN, "Fix\n\nCo-authored-by: aider (openai/gpt-4.1) <bot@corp.example>\n", &["gpt-4.1"]),
            ("Jane Roe (claude-sonnet-4-20250514) <jane@corp.example>", "Fix\n", &["claude-sonnet-4-20250514"]),
            // Disclosures written by hand.
            (HUMAN, "Fix\n\nAI-Assisted: none except Copilot autocomplete\n", &["Copilot"]),
            (HUMAN, "Fix\n\nAI-Assisted: n/a (Claude wrote the tests)\n", &["Claude"]),
            (HUMAN, "Fix\n\nAI-Generated: yes\n", &["AI (disclosed)"]),
            (HUMAN, "Fix\n\nLLM-Assisted: yes\n", &["AI (disclosed)"]),
            (HUMAN, "Fix\n\nAI-assisted-by: Claude\n", &["Claude"]),
            (HUMAN, "Fix\n\nAI Assisted: yes\n", &["AI (disclosed)"]),
            (HUMAN, "Fix\n\nGenerated-by: Claude <claude@corp.example>\n", &["Claude"]),
            (HUMAN, "Fix\n\n🤖 Generated with Claude\n", &["Claude Code"]),
            (HUMAN, "Fix\n\n🤖 Generated with [Cursor](https://cursor.com)\n", &["Cursor"]),
            (HUMAN, "Fix\n\n[GitHub Copilot](https://github.com/features/copilot)\n", &["GitHub Copilot"]),
            (HUMAN, "Fix\n\n[Codex](https://openai.com/codex)\n", &["OpenAI Codex"]),
            (HUMAN, "Fix\n\nWritten by Claude Code\n", &["Claude Code"]),
            (HUMAN, "aider: Fix the retry loop\n", &["Aider"]),
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
            // Disclosures of no AI, and people thanked.
            (HUMAN, "Fix\n\nAI-Assisted: no AI was used\n"),
            (HUMAN, "Fix\n\nAssisted-by: Claude Dubois <claude@corp.example>\n"),
            (HUMAN, "Fix\n\nWritten by Claude Dubois on a train\n"),
            ("Jane Roe (on leave) <jane@corp.example>", "Fix\n"),
            (HUMAN, "Fix\n\nSee [the docs](https://example.com) first.\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Claude <claude@corp.example>\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Devin (pairing) <devin@corp.example>\n"),
            (HUMAN, "Fix\n\nGenerated with Claude Code removed. It was noise.\n"),
            // People who share a tool's name.
            ("Devin Smith <devin@corp.example>", "Fix\n"),
            ("Jules Martin <jules@corp.example>", "Fix\n"),
            ("Kiro Tanaka <kiro@corp.example>", "Fix\n"),
            ("Raider Aiden <raider.aider@corp.example>", "Fix\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Warp Speed <warp@corp.example>\nMade-with: love\n"),
            (HUMAN, "Fix\n\nCo-authored-by: Kiro <kiro-agent@corp.example>\n"),
            (HUMAN, "Fix\n\nGenerated with crushed ice from the freezer\n"),
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
        let detector = crate::config::Config::parse(std::path::Path::new("sg.toml"), "[detect]\nbuiltin = false\n").expect("config").detect;
        let commit = commit(HUMAN, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAI-Assisted: true\n");
        let markers = detector.detect(&commit, &trailers::parse(&commit.message)).markers;
        assert_eq!(markers.len(), 1);
        assert_eq!(markers[0].evidence, "AI-Assisted: true");
    }
}
