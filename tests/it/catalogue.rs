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
