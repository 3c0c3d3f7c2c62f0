//! `signoff-gate tools list`: the catalogue of AI tools in force, built-in
//! and configured, with what each is recognised by.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::cmd::{Failure, config_path};
use crate::config::Config;
use crate::policy::detect::Tool;

/// Prints every tool the configuration's detection recognises (the
/// built-in catalogue when no configuration file is there to read).
pub fn list(config: Option<&Path>) -> Result<ExitCode, Failure> {
    let path = config_path(config)?;
    let detector = if config.is_none() && !path.exists() {
        Config::parse(&path, "").map_err(Failure::Mismatch)?.detect
    } else {
        Config::load(&path)?.detect
    };
    let mut out = std::io::stdout().lock();
    let tools = detector.catalogue.tools();
    let _ = writeln!(
        out,
        "{} tools ({} built in, {} configured)",
        tools.len(),
        tools.iter().filter(|t| t.builtin).count(),
        tools.iter().filter(|t| !t.builtin).count()
    );
    for tool in tools {
        let _ = writeln!(out, "\n{}{}", tool.name, if tool.builtin { "" } else { " (configured)" });
        for (what, values) in recognised_by(tool) {
            if !values.is_empty() {
                let _ = writeln!(out, "  {what:<14} {}", values.join(", "));
            }
        }
    }
    if detector.builtin {
        let _ = writeln!(
            out,
            "\nAlso: co-authors named after a model (`Claude Opus 4.5 <…>`, `GPT-5 <…>`), author names ending in \" (aider)\", and the disclosure trailers {}.",
            detector.disclosure_trailers.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn recognised_by(tool: &Tool) -> [(&'static str, &[String]); 7] {
    [
        ("addresses", &tool.emails),
        ("former", &tool.former_emails),
        ("github logins", &tool.github_logins),
        ("names", &tool.names),
        ("trailer keys", &tool.trailer_keys),
        ("trailers", &tool.trailers),
        ("body lines", &tool.body_lines),
    ]
}
