//! AI attribution kept in git notes, as evidence: git-ai's authorship notes
//! on `refs/notes/ai` (the Git AI Standard v3: file line ranges, a `---`
//! line, then JSON with `"schema_version": "authorship/3.0.0"`) and Qwen
//! Code's on `refs/notes/ai-attribution` (JSON). A note can only add a
//! marker: an unreadable note, or one that attributes nothing, changes
//! nothing, so a note cannot be used to evade.

use serde_json::Value;

use crate::policy::detect::Marker;

/// The notes refs read, and whose notes they are.
pub const NOTES_REFS: [&str; 2] = ["refs/notes/ai", "refs/notes/ai-attribution"];

/// Notes longer than this are not read (they add nothing then).
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// The marker a note gives its commit, when it attributes work to AI.
pub fn marker(notes_ref: &str, text: &str) -> Option<Marker> {
    if text.len() > MAX_NOTE_BYTES {
        return None;
    }
    match notes_ref {
        "refs/notes/ai" => {
            git_ai(text).map(|(tool, lines)| Marker { tool: tool.clone(), evidence: format!("{notes_ref}: {tool}, {lines} lines") })
        }
        "refs/notes/ai-attribution" => {
            qwen(text).map(|(tool, chars)| Marker { tool: tool.clone(), evidence: format!("{notes_ref}: {tool}, {chars} characters") })
        }
        _ => None,
    }
}

/// git-ai: the tool (and model) of the prompts the attestation credits,
/// and how many lines it credits them with.
fn git_ai(text: &str) -> Option<(String, u64)> {
    let (attestation, metadata) = match text.split_once("\n---\n") {
        Some((attestation, metadata)) => (attestation, metadata),
        None => text.strip_prefix("---\n").map_or(("", text), |metadata| ("", metadata)),
    };
    let json: Value = serde_json::from_str(metadata.trim()).ok()?;
    if !json.get("schema_version")?.as_str()?.starts_with("authorship/") {
        return None;
    }
    let prompts = json.get("prompts")?.as_object()?;
    // Lines the attestation credits to each prompt (`  <id> 1-10,15`).
    let mut credited: u64 = 0;
    for line in attestation.lines().filter(|line| line.starts_with(' ')) {
        let mut parts = line.split_whitespace();
        let (Some(id), Some(ranges)) = (parts.next(), parts.next()) else { continue };
        if prompts.contains_key(id) {
            credited = credited.saturating_add(count_lines(ranges));
        }
    }
    let accepted: u64 = prompts.values().filter_map(|prompt| prompt.get("accepted_lines")?.as_u64()).fold(0, u64::saturating_add);
    let lines = credited.max(accepted);
    if lines == 0 {
        return None;
    }
    let first = prompts.values().find_map(|prompt| prompt.get("agent_id"))?;
    let tool = first.get("tool").and_then(Value::as_str).unwrap_or("an AI tool");
    let name = match first.get("model").and_then(Value::as_str) {
        Some(model) => format!("{tool} ({model})"),
        None => tool.to_owned(),
    };
    Some((name, lines))
}

/// `1-10,15,20-21` → 13.
fn count_lines(ranges: &str) -> u64 {
    ranges
        .split(',')
        .filter_map(|range| match range.split_once('-') {
            Some((from, to)) => Some(to.trim().parse::<u64>().ok()?.saturating_sub(from.trim().parse().ok()?).saturating_add(1)),
            None => range.trim().parse::<u64>().ok().map(|_| 1),
        })
        .fold(0, u64::saturating_add)
}

/// Qwen Code: the generator and the AI characters it added.
fn qwen(text: &str) -> Option<(String, u64)> {
    let json: Value = serde_json::from_str(text.trim()).ok()?;
    let summary = json.get("summary").and_then(|summary| summary.get("totalAiCharsAdded")).and_then(Value::as_u64);
    let per_file = json
        .get("files")
        .and_then(Value::as_object)
        .map(|files| files.values().filter_map(|file| file.get("aiCharsAdded")?.as_u64()).fold(0, u64::saturating_add));
    let chars = summary.unwrap_or(0).max(per_file.unwrap_or(0));
    if chars == 0 {
        return None;
    }
    let tool = json.get("generator").and_then(Value::as_str).unwrap_or("Qwen Code");
    Some((tool.to_owned(), chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = "src/main.rs\n  abcd1234abcd1234 1-10,15-20\n  efgh5678efgh5678 25,30-35\nsrc/lib.rs\n  abcd1234abcd1234 1-50\n---\n{\n  \"schema_version\": \"authorship/3.0.0\",\n  \"git_ai_version\": \"1.0.23\",\n  \"base_commit_sha\": \"7734793b756b3921c88db5375a8c156e9532447b\",\n  \"prompts\": {\n    \"abcd1234abcd1234\": {\n      \"agent_id\": {\"tool\": \"cursor\", \"id\": \"6ef2\", \"model\": \"claude-4.5-opus\"},\n      \"accepted_lines\": 20, \"overriden_lines\": 0\n    },\n    \"efgh5678efgh5678\": {\n      \"agent_id\": {\"tool\": \"cursor\", \"id\": \"a1b2\", \"model\": \"claude-3-sonnet\"},\n      \"accepted_lines\": 6\n    }\n  }\n}\n";

    #[test]
    fn reads_git_ai_notes() {
        let found = marker("refs/notes/ai", SPEC_EXAMPLE).expect("AI lines");
        assert_eq!(found.tool, "cursor (claude-4.5-opus)");
        assert_eq!(found.evidence, "refs/notes/ai: cursor (claude-4.5-opus), 73 lines");
        // Human-only lines, or no prompts: nothing.
        let human = "test.json\n  h_dca485b1adf836 3-4\n---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{},\"humans\":{\"h_dca485b1adf836\":{}}}";
        assert_eq!(marker("refs/notes/ai", human), None);
        assert_eq!(marker("refs/notes/ai", "{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{}}"), None);
        assert_eq!(marker("refs/notes/ai", "not json at all"), None);
        assert_eq!(marker("refs/notes/ai", "a\n---\n{\"schema_version\":\"other/1\",\"prompts\":{}}"), None);
    }

    #[test]
    fn reads_qwen_notes() {
        let note =
            r#"{"version":1,"generator":"Qwen-Coder","files":{"src/main.ts":{"aiCharsAdded":150}},"summary":{"totalAiCharsAdded":195}}"#;
        let found = marker("refs/notes/ai-attribution", note).expect("AI characters");
        assert_eq!(found.evidence, "refs/notes/ai-attribution: Qwen-Coder, 195 characters");
        assert_eq!(marker("refs/notes/ai-attribution", r#"{"files":{},"summary":{"totalAiCharsAdded":0}}"#), None);
        assert_eq!(marker("refs/notes/other", note), None);
    }
}
