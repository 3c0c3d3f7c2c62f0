//! `signoff-gate roster check [PATH]`: validate a roster and summarise it;
//! `signoff-gate roster list [--approvers] [PATH]`: who is on it.

use std::path::Path;
use std::process::ExitCode;

use crate::cmd::{Failure, config_path};
use crate::config::roster::RosterError;
use crate::config::{Config, ConfigError, LoadError};
use crate::policy::roster::Roster;

/// Prints a one-line summary (exit 0) or every problem with file:line:col
/// (exit 1). Without PATH, checks the roster the configuration names.
pub fn check(config: Option<&Path>, path: Option<&Path>) -> Result<ExitCode, Failure> {
    let config = config_for(config, path)?;
    let roster_path = path.map_or_else(|| config.server.roster.clone(), Path::to_path_buf);
    let loaded = match path {
        Some(path) => Roster::load(path).map_err(LoadError::from),
        None => crate::git::load_roster(&config),
    };
    let roster = match loaded {
        Ok(roster) => roster,
        Err(LoadError::Roster(RosterError::Invalid { problems, .. })) => {
            for problem in &problems.0 {
                println!("{problem}");
            }
            let count = problems.0.len();
            eprintln!("signoff-gate: {}: {count} problem{}", roster_path.display(), if count == 1 { "" } else { "s" });
            return Ok(ExitCode::from(1));
        }
        Err(error) => return Err(error.into()),
    };
    let gate = match config.gate(roster) {
        Ok(gate) => gate,
        Err(problems) => {
            for problem in &problems.0 {
                println!("{problem}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    // What `serve` needs beyond valid files: a problem here would stop it.
    let unmet = serve_needs(&config);
    for problem in &unmet {
        println!("{}: {problem}", config.path.display());
    }
    if !unmet.is_empty() {
        return Ok(ExitCode::from(1));
    }
    let engineers = gate.roster.engineers().len();
    println!(
        "{}: ok: {engineers} engineer{}, {} can approve (active, level {})",
        roster_path.display(),
        if engineers == 1 { "" } else { "s" },
        gate.approver_count(),
        gate.level_phrase()
    );
    for root in config.server.repo_roots.iter().filter(|root| !root.is_dir()) {
        println!(
            "{}: warning: server.repo_roots: {} is not a folder here; pushes to repositories under it would be refused",
            config.path.display(),
            root.display()
        );
    }
    if gate.signed() {
        let keyless: Vec<&str> =
            gate.roster.engineers().iter().filter(|e| gate.can_approve(e) && !gate.can_sign(e)).map(|e| e.name.as_str()).collect();
        if !keyless.is_empty() {
            println!(
                "{}: warning: {} can approve but {} no signing_keys, so {} cannot sign an approval: {}",
                roster_path.display(),
                keyless.len(),
                if keyless.len() == 1 { "has" } else { "have" },
                if keyless.len() == 1 { "that engineer" } else { "they" },
                keyless.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `serve` would fail on at start: an audit log it cannot append to, a
/// token file it cannot read. (Nothing is changed to find out: a probe file
/// is made and removed in the audit log's folder when the log is new.)
fn serve_needs(config: &Config) -> Vec<String> {
    let mut unmet = Vec::new();
    if let Some(crate::config::AuditLog::File(path)) = &config.server.audit_log {
        let writable = if path.exists() {
            std::fs::OpenOptions::new().append(true).open(path).map(drop)
        } else {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            tempfile::NamedTempFile::new_in(folder).map(drop)
        };
        if let Err(error) = writable {
            unmet.push(format!("server.audit_log: cannot append to {} ({error}); serve would not start", path.display()));
        }
    }
    if let Some(path) = &config.server.token_file {
        if let Err(error) = std::fs::read(path) {
            unmet.push(format!("server.token_file: cannot read {} ({error}); serve would not start", path.display()));
        }
    }
    unmet
}

/// The configuration that judges approvers. With an explicit roster and no
/// configuration file, the default policy (senior or above) judges.
fn config_for(config: Option<&Path>, roster: Option<&Path>) -> Result<Config, Failure> {
    let config_file = match config_path(config) {
        Ok(path) => path,
        Err(Failure::NoConfig { .. }) if roster.is_some() => return Config::parse(Path::new("<defaults>"), "").map_err(Failure::Mismatch),
        Err(error) => return Err(error),
    };
    match Config::load(&config_file) {
        Ok(config) => Ok(config),
        Err(ConfigError::Read { .. }) if roster.is_some() && config.is_none() => Config::parse(&config_file, "").map_err(Failure::Mismatch),
        Err(error) => Err(error.into()),
    }
}

/// Prints one line per engineer (or per approver): name, email, level,
/// whether active, whether their approval counts, whether they may break
/// glass, and their signing keys' `SHA256:` fingerprints (as `ssh-keygen -l`
/// prints them); then a count. An invalid roster is an error (use `roster check`).
pub fn list(config: Option<&Path>, path: Option<&Path>, approvers_only: bool) -> Result<ExitCode, Failure> {
    let config = config_for(config, path)?;
    let roster_path = path.map_or_else(|| config.server.roster.clone(), Path::to_path_buf);
    let roster = match path {
        Some(path) => Roster::load(path)?,
        None => crate::git::load_roster(&config)?,
    };
    let gate = config.gate(roster)?;
    let yes_no = |flag: bool| if flag { "yes" } else { "no" };
    let rows: Vec<[String; 7]> = gate
        .roster
        .engineers()
        .iter()
        .filter(|engineer| !approvers_only || gate.can_approve(engineer))
        .map(|engineer| {
            [
                engineer.name.clone(),
                engineer.email.clone(),
                gate.roster.level_name(engineer.level).to_owned(),
                yes_no(engineer.active).to_owned(),
                yes_no(gate.can_approve(engineer)).to_owned(),
                yes_no(engineer.break_glass).to_owned(),
                if engineer.signing_keys.is_empty() {
                    "-".to_owned()
                } else {
                    engineer.signing_keys.iter().map(|k| k.fingerprint.as_str()).collect::<Vec<_>>().join(", ")
                },
            ]
        })
        .collect();
    let header = ["NAME", "EMAIL", "LEVEL", "ACTIVE", "APPROVES", "BREAK-GLASS", "SIGNING KEYS"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let count = rows.len();
    let what = if approvers_only { "approver" } else { "engineer" };
    out.push_str(&format!(
        "{}: {count} {what}{}; approvals need an active engineer of level {}\n",
        roster_path.display(),
        if count == 1 { "" } else { "s" },
        gate.level_phrase()
    ));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
