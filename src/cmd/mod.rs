//! One file per subcommand; what they share (loading the policy, the error
//! type) lives here.

pub mod approve;
pub mod change_id;
pub mod check;
pub mod cli;
pub mod declare;
pub mod demo;
pub mod hook;
pub mod install_hook;
pub mod roster;
pub mod serve;
pub mod tools;

use std::path::{Path, PathBuf};

use crate::config::diagnostics::Problems;
use crate::config::roster::RosterError;
use crate::config::{Config, ConfigError, DEFAULT_CONFIG_PATH, LoadError};
use crate::git::GitError;
use crate::policy::gate::Gate;

/// Why a subcommand could not do its work (a refused push or commit is not
/// an error: it is an exit code).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The configuration or roster is unreadable or invalid, or they disagree.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The configuration is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The roster is unreadable or invalid.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// Configuration and roster disagree.
    #[error("invalid config: {0}")]
    Mismatch(Problems),
    /// `serve` without any repository root.
    #[error("{config}: `server.repo_roots` is empty, so every repository would be refused; list the folders that hold them")]
    NoRepoRoots {
        /// The configuration file.
        config: PathBuf,
    },
    /// The server could not be set up (e.g. its token file).
    #[error(transparent)]
    State(#[from] crate::service::server::StateError),
    /// A repository could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Some other I/O failed.
    #[error("{context}")]
    Io {
        /// What we were doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `approve` cannot sign.
    #[error("{0}")]
    Approve(String),
    /// The demo saw something other than what it shows.
    #[error("demo: {0}")]
    Demo(String),
}

impl Failure {
    /// Wraps an I/O error with what we were doing.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Failure {
        let context = context.into();
        move |source| Failure::Io { context, source }
    }
}

impl From<Problems> for Failure {
    fn from(problems: Problems) -> Self {
        Failure::Mismatch(problems)
    }
}

/// The configuration path: `--config`, else `SIGNOFF_GATE_CONFIG` (both via
/// clap), else the default.
pub fn config_path(config: Option<&Path>) -> PathBuf {
    config.map_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH), Path::to_path_buf)
}

/// Loads the configuration and its roster into the policy in force.
pub fn load_gate(config: Option<&Path>) -> Result<(Config, Gate), Failure> {
    Ok(crate::config::load_gate(&config_path(config))?)
}
