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
pub mod report;
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
    /// No configuration was named and none was found where one is looked for.
    #[error(
        "no signoff-gate configuration found (looked in {looked}); name one, in this order of precedence:\n  \
         --config PATH\n  \
         SIGNOFF_GATE_CONFIG=PATH\n  \
         git config signoff-gate.config PATH   (in the repository checked)\n  \
         .signoff-gate.toml at the repository's root\n  \
         {DEFAULT_CONFIG_PATH} in the current folder"
    )]
    NoConfig {
        /// Where it was looked for.
        looked: String,
    },
    /// `approve` found no policy outside the work tree.
    #[error(
        "no configuration to approve with: `approve` reads the policy from\n  \
         --config PATH\n  \
         SIGNOFF_GATE_CONFIG=PATH\n  \
         git config signoff-gate.config PATH   (outside the work tree)\n  \
         {DEFAULT_CONFIG_PATH} in the current folder   (outside the work tree)\n\
         never from the work tree ({work_tree}), which the branch under review can change; keep a copy of the server's configuration and roster elsewhere"
    )]
    NoReviewerConfig {
        /// The repository's work tree.
        work_tree: String,
    },
    /// `approve` was pointed, by git configuration, at a policy in the work tree.
    #[error(
        "{path}: `git config signoff-gate.config` names a file in the work tree, which the branch under review can change; \
         `approve` does not read its policy from there: name a copy outside it (or pass --config)"
    )]
    ConfigInWorkTree {
        /// The file named.
        path: String,
    },
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
    /// `report` could not read its input or write the report.
    #[error(transparent)]
    Report(#[from] crate::cmd::report::ReportError),
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
/// clap), else the default path when it exists; else an error that says
/// where a configuration can be named.
pub fn config_path(config: Option<&Path>) -> Result<PathBuf, Failure> {
    find_config(config, None)
}

/// Where the policy is, in order: `--config` or `SIGNOFF_GATE_CONFIG`;
/// for a repository at `dir`, its `git config signoff-gate.config`
/// (relative to its root) and a `.signoff-gate.toml` at its root; then
/// `config/signoff-gate.toml` in the current folder. A path named
/// explicitly is used as named (an unreadable one is an error of its own).
pub fn find_config(config: Option<&Path>, dir: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(path) = config {
        return Ok(path.to_path_buf());
    }
    let mut looked = Vec::new();
    if let Some(repo) = dir.and_then(|dir| crate::git::GitRepo::discover(dir).ok()) {
        if let Some(path) = configured_path(&repo) {
            return Ok(path);
        }
        let dotfile = repo.work_dir().join(".signoff-gate.toml");
        if dotfile.is_file() {
            return Ok(dotfile);
        }
        looked.push(dotfile.display().to_string());
    }
    let default = PathBuf::from(DEFAULT_CONFIG_PATH);
    if default.is_file() {
        return Ok(default);
    }
    let here = std::env::current_dir().map(|dir| dir.join(DEFAULT_CONFIG_PATH)).unwrap_or(default);
    looked.push(here.display().to_string());
    Err(Failure::NoConfig { looked: looked.join(", ") })
}

/// The repository's `git config signoff-gate.config`, relative to its root.
fn configured_path(repo: &crate::git::GitRepo) -> Option<PathBuf> {
    let path = PathBuf::from(repo.config_string("signoff-gate.config")?.trim());
    Some(if path.is_absolute() { path } else { repo.work_dir().join(path) })
}

/// Where `approve` reads its policy: `--config` or `SIGNOFF_GATE_CONFIG`;
/// the repository's `git config signoff-gate.config`; then
/// `config/signoff-gate.toml` in the current folder; any but a path named
/// explicitly only outside the work tree at `dir`. The work tree holds the
/// branch under review, whose own `.signoff-gate.toml` could hide commits
/// from the listing or rename the trailer the senior signs.
pub fn find_reviewer_config(config: Option<&Path>, dir: &Path) -> Result<PathBuf, Failure> {
    if let Some(path) = config {
        return Ok(path.to_path_buf());
    }
    let repo = crate::git::GitRepo::discover(dir)?;
    let root = repo.work_dir().to_path_buf();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.clone());
    let git_dir = repo.git_dir().canonicalize().unwrap_or_else(|_| repo.git_dir().to_path_buf());
    let in_work_tree = |path: &Path| {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        path.starts_with(&canonical_root) && !path.starts_with(&git_dir)
    };
    if let Some(path) = configured_path(&repo) {
        if in_work_tree(&path) {
            return Err(Failure::ConfigInWorkTree { path: path.display().to_string() });
        }
        return Ok(path);
    }
    let default = std::env::current_dir().map(|here| here.join(DEFAULT_CONFIG_PATH)).unwrap_or_else(|_| PathBuf::from(DEFAULT_CONFIG_PATH));
    if default.is_file() && !in_work_tree(&default) {
        return Ok(default);
    }
    Err(Failure::NoReviewerConfig { work_tree: root.display().to_string() })
}

/// Loads the configuration (looked for as [`find_config`] does, for the
/// repository at `dir` when given) and its roster into the policy in force.
pub fn load_gate_for(config: Option<&Path>, dir: Option<&Path>) -> Result<(Config, Gate), Failure> {
    Ok(crate::git::load_gate(&find_config(config, dir)?)?)
}
