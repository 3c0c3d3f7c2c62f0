//! The catalogue of AI tools as data: tools an admin adds or turns off in
//! the configuration take effect on real pushes, without a rebuild.

use crate::util::{BIN, DEV, TestServer, World, run_git};

fn serve(world: World) -> (World, TestServer) {
    let server = TestServer::start(&world.config);
    world.connect(&server.url(), 10);
    (world, server)
}

fn with_detect(world: &World, detect: &str) {
    let text = std::fs::read_to_string(&world.config).expect("config");
    std::fs::write(&world.config, format!("{text}\n[detect]\n{detect}\n")).expect("config");
}

#[test]
fn an_in_house_tool_added_in_the_config_is_detected_on_a_push() {
    let world = World::new();
    with_detect(
        &world,
        "[[detect.tool]]\nname = \"Acme Assistant\"\nemails = [\"assistant@acme.example\"]\ntrailer_keys = [\"Acme-Session\"]\n",
    );
    let (world, _server) = serve(world);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    for message in ["Retry\n\nCo-authored-by: Acme <assistant@acme.example>\n", "Retry\n\nAcme-Session: 42\n"] {
        world.commit(DEV, message);
        let pushed = world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "{}", pushed.remote);
        assert!(pushed.remote.contains("AI-assisted (Acme Assistant)"), "{}", pushed.remote);
        run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    }
    // And `tools list` shows it, marked as configured.
    let output = std::process::Command::new(BIN).arg("--config").arg(&world.config).args(["tools", "list"]).output().expect("runs");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(listed.contains("Acme Assistant (configured)"), "{listed}");
}

#[test]
fn a_built_in_tool_turned_off_in_the_config_is_not_detected() {
    let world = World::new();
    with_detect(&world, "[[detect.tool]]\nname = \"Cursor\"\nenabled = false\n");
    let (world, _server) = serve(world);
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    world.commit(DEV, "Retry\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n");
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    // The others still are.
    world.commit(DEV, "Retry\n\nCo-authored-by: Codex <noreply@openai.com>\n");
    assert!(!world.push("HEAD:refs/heads/main").accepted);
}

#[test]
fn every_tool_the_detection_issue_names_is_listed() {
    let output = std::process::Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config", "config/signoff-gate.toml", "tools", "list"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let listed = String::from_utf8_lossy(&output.stdout);
    for tool in [
        "Claude Code",
        "GitHub Copilot",
        "OpenAI Codex",
        "Cursor",
        "Devin",
        "Aider",
        "Kiro",
        "Amazon Q Developer",
        "Qwen Code",
        "Mistral Vibe",
        "Crush",
        "opencode",
        "Replit Agent",
        "Lovable",
        "v0",
        "Warp",
        "Kilo Code",
        "Roo Code",
        "Entire",
        "noreply@aider.chat",
        "Made-with: Cursor",
    ] {
        assert!(listed.contains(tool), "{tool} missing from:\n{listed}");
    }
}

/// The examples gathered from public sources (`tests/data/tool-messages`):
/// each block is a `# source:` line, the message (or the lines a tool
/// writes), optional `# author:` / `# committer:` lines, and `# ---`.
fn gathered() -> Vec<Example> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tool-messages");
    let mut blocks = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&folder).expect("examples").flatten().map(|entry| entry.path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "txt")) {
        let tool = file.file_stem().expect("name").to_string_lossy().into_owned();
        // git-ai notes are not commit messages (notes are the next step).
        if tool == "git-ai" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("example file");
        let mut example = Example::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# source:") {
                example = Example { tool: tool.clone(), source: rest.trim().to_owned(), ..Example::default() };
            } else if let Some(identity) = line.strip_prefix("# author:") {
                example.authors.push(identity.trim().to_owned());
            } else if let Some(identity) = line.strip_prefix("# committer:") {
                example.committers.push(identity.trim().to_owned());
            } else if line.starts_with("# ---") {
                if !example.source.is_empty() {
                    blocks.push(std::mem::take(&mut example));
                }
            } else if !line.starts_with('#') || line.starts_with("#!") {
                example.message.push_str(line);
                example.message.push('\n');
            }
        }
    }
    blocks
}

/// One gathered example.
#[derive(Debug, Default)]
struct Example {
    tool: String,
    source: String,
    authors: Vec<String>,
    committers: Vec<String>,
    message: String,
}

/// `Name <email>`, or a name alone, as a commit header would hold it.
fn identity(text: &str) -> signoff_gate::policy::identity::Identity {
    use signoff_gate::policy::identity::Identity;
    match text.trim().strip_suffix('>').and_then(|rest| rest.rsplit_once('<')) {
        Some((name, email)) => Identity::new(name.trim(), email.trim()),
        None => Identity::new(text.trim(), ""),
    }
}

/// Examples that are no evidence in a commit, with why (the gathered
/// files keep them for the record).
const NOT_COMMIT_EVIDENCE: &[(&str, &str)] = &[
    ("aider/website/docs/git.md", "a sentence of aider's docs, not a commit line"),
    ("HISTORY.md v0.41.0", "a changelog sentence"),
    ("Amazon Q dev branches", "a branch name"),
    ("verification note", "a commit id, not its text"),
    ("user-chosen format, NOT Codex default", "a project's own co-author format"),
    ("notes on AI review bots", "a reviewer identity, not a commit's"),
    ("Initial plan", "\"Initial plan\" is also what people write"),
    ("agent commit body", "the marker is the commit's author, which the source does not show"),
    ("Replit-Commit-Author: Deployment", "a deployment, not the agent's work"),
    ("Saved progress at the end of the loop", "a subject alone"),
    ("GitHub app id of v0[bot]", "an app id, not a commit"),
    ("aiCharsAdded", "a Qwen Code note (notes are read in a later step)"),
];
#[test]
fn every_gathered_example_of_a_tool_is_flagged() {
    use signoff_gate::policy::facts::CommitFacts;
    use signoff_gate::policy::identity::Identity;
    use signoff_gate::policy::trailers;
    let detector = signoff_gate::config::Config::parse(std::path::Path::new("sg.toml"), "").expect("defaults").detect;
    let blocks = gathered();
    assert!(blocks.len() > 150, "{} examples", blocks.len());
    let mut missed = Vec::new();
    let mut counts: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
    for example in &blocks {
        if let Some((_, why)) =
            NOT_COMMIT_EVIDENCE.iter().find(|(source, _)| example.source.contains(source) || example.message.contains(source))
        {
            eprintln!("skipped ({why}): {}", example.source);
            continue;
        }
        let person = Identity::new("Pat Human", "pat@corp.example");
        let authors: Vec<Identity> =
            if example.authors.is_empty() { vec![person.clone()] } else { example.authors.iter().map(|a| identity(a)).collect() };
        let committer = example.committers.first().map_or_else(|| person.clone(), |c| identity(c));
        // A block that starts with its subject is a whole message.
        let first = example.message.lines().next().unwrap_or("");
        let whole = example.message.lines().nth(1).is_some_and(|line| line.trim().is_empty()) || first.starts_with("aider: ");
        let message = if whole { example.message.clone() } else { format!("Change things\n\n{}", example.message) };
        let flagged = authors.iter().any(|author| {
            let facts =
                CommitFacts { author: author.clone(), committer: committer.clone(), message: message.clone(), ..CommitFacts::default() };
            !detector.detect(&facts, &trailers::parse(&message)).markers.is_empty()
        });
        let count = counts.entry(example.tool.clone()).or_default();
        count.0 += 1;
        if flagged {
            count.1 += 1;
        } else {
            missed.push(format!("{}: {}\n{:?} {:?}\n{message}", example.tool, example.source, example.authors, example.committers));
        }
    }
    let summary: Vec<String> = counts.iter().map(|(tool, (all, flagged))| format!("{tool} {flagged}/{all}")).collect();
    eprintln!("gathered examples flagged: {}", summary.join(", "));
    assert!(missed.is_empty(), "{} of {} gathered examples not flagged:\n\n{}", missed.len(), blocks.len(), missed.join("\n---\n"));
}

const GIT_AI_NOTE: &str = "a.txt\n  abcd1234abcd1234 1-3\n---\n{\"schema_version\":\"authorship/3.0.0\",\"git_ai_version\":\"1.3.4\",\"base_commit_sha\":\"x\",\"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"x\",\"model\":\"claude-4.5-opus\"},\"accepted_lines\":3,\"overriden_lines\":0}}}\n";

#[test]
fn a_note_pushed_with_the_branch_marks_its_commit() {
    let (world, _server) = serve(World::new());
    world.commit(DEV, "Initial commit\n");
    assert!(world.push("HEAD:refs/heads/main").accepted);
    // A commit whose message says nothing, with git-ai's note about it.
    world.commit(DEV, "Add a\n");
    run_git(&world.work, &["notes", "--ref=ai", "add", "-m", GIT_AI_NOTE]);
    let output = crate::util::git(&world.work)
        .args(["push", "origin", "HEAD:refs/heads/main", "refs/notes/ai:refs/notes/ai"])
        .output()
        .expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("refs/notes/ai: cursor (claude-4.5-opus), 3 lines"), "{}", pushed.remote);

    // A note already on the server (pushed on its own) counts too, and so
    // does Qwen Code's.
    assert!(world.push("refs/notes/ai:refs/notes/ai").accepted);
    let pushed = world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted && pushed.remote.contains("refs/notes/ai:"), "{}", pushed.remote);
    run_git(&world.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    world.commit(DEV, "Add b\n");
    let qwen = r#"{"version":1,"generator":"Qwen-Coder","files":{"b.txt":{"aiCharsAdded":12}},"summary":{"totalAiCharsAdded":12}}"#;
    run_git(&world.work, &["notes", "--ref=ai-attribution", "add", "-m", qwen]);
    let output = crate::util::git(&world.work)
        .args(["push", "origin", "HEAD:refs/heads/main", "refs/notes/ai-attribution:refs/notes/ai-attribution"])
        .output()
        .expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(!pushed.accepted && pushed.remote.contains("refs/notes/ai-attribution: Qwen-Coder, 12 characters"), "{}", pushed.remote);
    // A note that credits nothing to AI changes nothing.
    run_git(&world.work, &["notes", "--ref=ai-attribution", "add", "-f", "-m", r#"{"files":{},"summary":{"totalAiCharsAdded":0}}"#]);
    let output = crate::util::git(&world.work)
        .args(["push", "--force", "origin", "HEAD:refs/heads/main", "refs/notes/ai-attribution:refs/notes/ai-attribution"])
        .output()
        .expect("push");
    let pushed = crate::util::Pushed::from(output);
    assert!(pushed.accepted, "{}", pushed.remote);
}
