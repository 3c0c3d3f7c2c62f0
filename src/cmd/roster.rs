//! `signoff-gate roster check [PATH]`: validate a roster and summarise it.

use std::path::Path;
use std::process::ExitCode;

use crate::cmd::{Failure, config_path};
use crate::config::{Config, ConfigError};
use crate::policy::Gate;
use crate::roster::{Roster, RosterError};

/// Prints a one-line summary (exit 0) or every problem with file:line:col
/// (exit 1). Without PATH, checks the roster the configuration names.
pub fn check(config: Option<&Path>, path: Option<&Path>) -> Result<ExitCode, Failure> {
    let config_file = config_path(config);
    // With an explicit roster and no configuration file, judge approvers by
    // the default policy (senior or above).
    let config = match Config::load(&config_file) {
        Ok(config) => config,
        Err(ConfigError::Read { .. }) if path.is_some() && config.is_none() => {
            Config::parse(&config_file, "").map_err(Failure::Mismatch)?
        }
        Err(error) => return Err(error.into()),
    };
    let roster_path = path.map_or_else(|| config.server.roster.clone(), Path::to_path_buf);
    let roster = match Roster::load(&roster_path) {
        Ok(roster) => roster,
        Err(RosterError::Invalid { problems, .. }) => {
            for problem in &problems.0 {
                println!("{problem}");
            }
            let count = problems.0.len();
            eprintln!("signoff-gate: {}: {count} problem{}", roster_path.display(), if count == 1 { "" } else { "s" });
            return Ok(ExitCode::from(1));
        }
        Err(error) => return Err(error.into()),
    };
    let gate = match Gate::new(&config, roster) {
        Ok(gate) => gate,
        Err(problem) => {
            println!("{problem}");
            return Ok(ExitCode::from(1));
        }
    };
    let engineers = gate.roster.engineers().len();
    println!(
        "{}: ok: {engineers} engineer{}, {} can approve (active, level {})",
        roster_path.display(),
        if engineers == 1 { "" } else { "s" },
        gate.approver_count(),
        gate.level_phrase()
    );
    Ok(ExitCode::SUCCESS)
}
