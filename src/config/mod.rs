//! The service configuration (`signoff-gate.toml`), validated into types
//! that cannot be invalid; every problem is reported with file:line:col.

pub mod diagnostics;
pub mod roster;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::diagnostics::{Collector, Problem, Problems};
use crate::policy::detect::Detector;
use crate::policy::gate::{ApprovalMode, Gate, PolicyConfig};
use crate::policy::outcome::Mode;
use crate::policy::refs::ProtectedRefs;
use crate::policy::roster::Roster;

/// Where the configuration is looked for when neither `--config` nor
/// `SIGNOFF_GATE_CONFIG` names it.
pub const DEFAULT_CONFIG_PATH: &str = "config/signoff-gate.toml";

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The configuration file it was read from.
    pub path: PathBuf,
    /// The `[server]` table.
    pub server: ServerConfig,
    /// The `[policy]` table.
    pub policy: PolicyConfig,
    /// The `[detect]` table.
    pub detect: Detector,
}

/// Where the service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address and port.
    Tcp(SocketAddr),
    /// A Unix socket (`unix:/path/to.sock`), created with mode 0660.
    Unix(PathBuf),
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Tcp(address) => write!(f, "{address}"),
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Where decisions are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLog {
    /// One JSON line per decision on standard output.
    Stdout,
    /// One JSON line per decision appended to this file.
    File(PathBuf),
}

/// Limits that keep one request or a burst from hurting the service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Most ref updates in one request.
    pub max_updates: usize,
    /// How long one push may take to decide; past it the push is refused.
    pub deadline: std::time::Duration,
    /// How many pushes are decided at once; the rest wait their turn.
    pub max_concurrent: usize,
}

impl Eq for Limits {}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body_bytes: 4 * 1024 * 1024, max_updates: 10_000, deadline: std::time::Duration::from_secs(8), max_concurrent: 4 }
    }
}

/// The `[server]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen: TCP or a Unix socket.
    pub listen: Listen,
    /// A file holding the shared secret every `/v1/*` request must present.
    pub token_file: Option<PathBuf>,
    /// Where each decision is recorded.
    pub audit_log: Option<AuditLog>,
    /// Request limits.
    pub limits: Limits,
    /// The roster file, resolved against the configuration file's folder.
    pub roster: PathBuf,
    /// Folders under which repositories may be opened, resolved against the
    /// configuration file's folder.
    pub repo_roots: Vec<PathBuf>,
}

/// Why the policy in force (configuration and roster) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The roster is unreadable or invalid.
    #[error(transparent)]
    Roster(#[from] roster::RosterError),
    /// Configuration and roster disagree.
    #[error("invalid config: {0}")]
    Mismatch(Problems),
}

impl LoadError {
    /// Each problem as one `file:line:col: message` line (one line with the
    /// whole error when it is not about the files' contents).
    pub fn problem_lines(&self) -> Vec<String> {
        let each = |problems: &Problems| problems.0.iter().map(ToString::to_string).collect();
        match self {
            LoadError::Config(ConfigError::Invalid { problems, .. })
            | LoadError::Roster(roster::RosterError::Invalid { problems, .. })
            | LoadError::Mismatch(problems) => each(problems),
            other => vec![crate::error_chain(other)],
        }
    }
}

/// Loads the configuration at `path` and the roster it names into the
/// policy in force.
pub fn load_gate(path: &Path) -> Result<(Config, Gate), LoadError> {
    let config = Config::load(path)?;
    let roster = Roster::load(&config.server.roster)?;
    let gate = config.gate(roster).map_err(|problem| LoadError::Mismatch(Problems(vec![problem])))?;
    Ok((config, gate))
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The configuration path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not valid.
    #[error("invalid config {path}: {problems}")]
    Invalid {
        /// The configuration path.
        path: PathBuf,
        /// Every problem, with line and column.
        problems: Problems,
    },
}

const TOP_KEYS: &[&str] = &["server", "policy", "detect"];
const SERVER_KEYS: &[&str] =
    &["listen", "roster", "repo_roots", "token_file", "audit_log", "max_body_bytes", "max_updates", "deadline_seconds", "max_concurrent"];
const POLICY_KEYS: &[&str] =
    &["protected_refs", "approval_trailer", "min_approver_level", "required_approvals", "help", "mode", "approvals"];
const DETECT_KEYS: &[&str] = &["builtin", "disclosure_trailers"];

const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
const DEFAULT_PROTECTED: [&str; 3] = ["refs/heads/main", "refs/heads/master", "refs/heads/release/*"];
const DEFAULT_HELP: &str = "How a senior approves: see the signoff-gate README.";
const DEFAULT_DISCLOSURES: [&str; 3] = ["AI-Assisted", "Assisted-by", "Generated-by"];

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Config::parse(path, &text).map_err(|problems| ConfigError::Invalid { path: path.to_owned(), problems })
    }

    /// Validates configuration text; relative paths resolve against the
    /// folder of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Problems> {
        let mut collector = Collector::new(path, text);
        let config = read(&mut collector, path);
        let problems = collector.finish();
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(Problems(problems)),
        }
    }

    /// The policy in force: this configuration with `roster`; a problem at
    /// `min_approver_level` when the roster does not declare that level.
    pub fn gate(&self, roster: Roster) -> Result<Gate, Problem> {
        Gate::new(self.policy.clone(), self.detect.clone(), roster)
            .map_err(|message| self.problem_at_min_level(format!("{message} (roster {})", self.server.roster.display())))
    }

    /// A problem located at `min_approver_level`, for cross-file checks.
    pub fn problem_at_min_level(&self, message: String) -> Problem {
        let (line, column) = self.policy.min_approver_level_at;
        Problem { file: self.path.clone(), line, column, message }
    }
}

/// Whether `key` can be a trailer key as git reads them: letters, digits
/// and `-`, not starting with `-`.
fn is_trailer_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('-') && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn read(collector: &mut Collector<'_>, path: &Path) -> Option<Config> {
    let document = collector.parse()?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    let top = collector.table(document.get_ref(), "the config", TOP_KEYS);
    let mut ok = true;

    let empty = toml::de::DeTable::default();
    let section = |collector: &mut Collector<'_>, name: &str| match top.raw(name) {
        None => Some(&empty),
        Some(value) => {
            let table = value.get_ref().as_table();
            if table.is_none() {
                collector.at_span(&value.span(), format!("`{name}` must be a table: write it as [{name}]"));
            }
            table
        }
    };
    let server_table = section(collector, "server");
    let policy_table = section(collector, "policy");
    let detect_table = section(collector, "detect");
    let (Some(server_table), Some(policy_table), Some(detect_table)) = (server_table, policy_table, detect_table) else {
        return None;
    };

    // [server]
    let server = collector.table(server_table, "[server]", SERVER_KEYS);
    let listen = match server.get::<String>(collector, "listen") {
        Some(listen) => match listen.get_ref().strip_prefix("unix:") {
            Some(socket) if !socket.trim().is_empty() => Some(Listen::Unix(resolve(socket))),
            Some(_) => {
                collector.at_span(&listen.span(), "`listen` = \"unix:\" names no socket; write \"unix:/run/signoff-gate.sock\"");
                None
            }
            None => match listen.get_ref().parse::<SocketAddr>() {
                Ok(address) => Some(Listen::Tcp(address)),
                Err(_) => {
                    collector.at_span(
                        &listen.span(),
                        format!(
                            "`listen` = \"{}\" is not an address and port like \"127.0.0.1:8787\" nor a socket like \"unix:/run/signoff-gate.sock\"",
                            listen.get_ref()
                        ),
                    );
                    None
                }
            },
        },
        None if server.raw("listen").is_some() => None,
        None => DEFAULT_LISTEN.parse().ok().map(Listen::Tcp),
    };
    let token_file = match server.get::<String>(collector, "token_file") {
        Some(file) if file.get_ref().trim().is_empty() => {
            collector.at_span(&file.span(), "`token_file` is empty; name the file that holds the token, or leave the key out");
            ok = false;
            None
        }
        Some(file) => Some(resolve(file.get_ref())),
        None => {
            ok &= server.raw("token_file").is_none();
            None
        }
    };
    let audit_log = match server.get::<String>(collector, "audit_log") {
        Some(log) if log.get_ref().trim().is_empty() => {
            collector.at_span(&log.span(), "`audit_log` is empty; name a file, or \"stdout\"");
            ok = false;
            None
        }
        Some(log) if log.get_ref() == "stdout" || log.get_ref() == "-" => Some(AuditLog::Stdout),
        Some(log) => Some(AuditLog::File(resolve(log.get_ref()))),
        None => {
            ok &= server.raw("audit_log").is_none();
            None
        }
    };
    let defaults = Limits::default();
    let mut bounded = |key: &str, low: i64, high: i64, default: usize| -> usize {
        match server.get::<i64>(collector, key) {
            Some(value) if !(low..=high).contains(value.get_ref()) => {
                collector.at_span(&value.span(), format!("`{key}` = {} must be between {low} and {high}", value.get_ref()));
                ok = false;
                default
            }
            Some(value) => usize::try_from(value.into_inner()).unwrap_or(default),
            None => {
                ok &= server.raw(key).is_none();
                default
            }
        }
    };
    let max_body_bytes = bounded("max_body_bytes", 1024, 1 << 30, defaults.max_body_bytes);
    let max_updates = bounded("max_updates", 1, 1_000_000, defaults.max_updates);
    let max_concurrent = bounded("max_concurrent", 1, 1024, defaults.max_concurrent);
    let deadline = match server.get::<f64>(collector, "deadline_seconds") {
        Some(value) if !(value.get_ref().is_finite() && (0.01..=3600.0).contains(value.get_ref())) => {
            collector.at_span(&value.span(), format!("`deadline_seconds` = {} must be between 0.01 and 3600", value.get_ref()));
            ok = false;
            defaults.deadline
        }
        Some(value) => std::time::Duration::from_secs_f64(value.into_inner()),
        None => {
            ok &= server.raw("deadline_seconds").is_none();
            defaults.deadline
        }
    };
    let limits = Limits { max_body_bytes, max_updates, deadline, max_concurrent };
    let roster = match server.get::<String>(collector, "roster") {
        Some(roster) if roster.get_ref().trim().is_empty() => {
            collector.at_span(&roster.span(), "`roster` is empty; name the roster file, e.g. \"roster.toml\"");
            None
        }
        Some(roster) => Some(resolve(roster.get_ref())),
        None if server.raw("roster").is_some() => None,
        None => Some(resolve("roster.toml")),
    };
    let mut repo_roots = Vec::new();
    if let Some(roots) = server.get::<Vec<toml::Spanned<String>>>(collector, "repo_roots") {
        for root in roots.into_inner() {
            if root.get_ref().trim().is_empty() {
                collector.at_span(&root.span(), "a `repo_roots` entry is empty");
                ok = false;
            } else {
                repo_roots.push(resolve(root.get_ref()));
            }
        }
    }

    // [policy]
    let policy = collector.table(policy_table, "[policy]", POLICY_KEYS);
    let protected_refs = match policy.get::<Vec<toml::Spanned<String>>>(collector, "protected_refs") {
        Some(patterns) => {
            let patterns = patterns.into_inner();
            let names: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            match ProtectedRefs::new(&names) {
                Ok(refs) => Some(refs),
                Err((index, message)) => {
                    collector.at_span(&patterns[index].span(), message);
                    None
                }
            }
        }
        None if policy.raw("protected_refs").is_some() => None,
        None => ProtectedRefs::new(&DEFAULT_PROTECTED.map(String::from)).ok(),
    };
    let approval_trailer = match policy.get::<String>(collector, "approval_trailer") {
        Some(key) if !is_trailer_key(key.get_ref()) => {
            collector
                .at_span(&key.span(), format!("`approval_trailer` = \"{}\" is not a trailer key (letters, digits and `-`)", key.get_ref()));
            None
        }
        Some(key) => Some(key.into_inner()),
        None if policy.raw("approval_trailer").is_some() => None,
        None => Some("Approved-by".to_owned()),
    };
    let (min_approver_level, min_approver_level_at) = match policy.get::<String>(collector, "min_approver_level") {
        Some(level) if level.get_ref().trim().is_empty() => {
            collector.at_span(&level.span(), "`min_approver_level` is empty");
            (None, (0, 0))
        }
        Some(level) => {
            let at = crate::config::diagnostics::line_column(collector.text(), level.span().start);
            (Some(level.into_inner()), at)
        }
        None if policy.raw("min_approver_level").is_some() => (None, (0, 0)),
        None => (Some("senior".to_owned()), (1, 1)),
    };
    let required_approvals = match policy.get::<i64>(collector, "required_approvals") {
        Some(count) if !(1..=16).contains(count.get_ref()) => {
            collector.at_span(&count.span(), format!("`required_approvals` = {} must be between 1 and 16", count.get_ref()));
            None
        }
        Some(count) => usize::try_from(count.into_inner()).ok(),
        None if policy.raw("required_approvals").is_some() => None,
        None => Some(1),
    };
    let mode = match policy.get::<String>(collector, "mode") {
        Some(mode) => match mode.get_ref().as_str() {
            "enforce" => Some(Mode::Enforce),
            "warn" => Some(Mode::Warn),
            other => {
                collector.at_span(&mode.span(), format!("`mode` = \"{other}\" is not a mode; write \"enforce\" or \"warn\""));
                None
            }
        },
        None if policy.raw("mode").is_some() => None,
        None => Some(Mode::Enforce),
    };
    let approvals = match policy.get::<String>(collector, "approvals") {
        Some(mode) => match mode.get_ref().as_str() {
            "signed" => Some(ApprovalMode::Signed),
            "trailer" => Some(ApprovalMode::Trailer),
            other => {
                collector.at_span(
                    &mode.span(),
                    format!("`approvals` = \"{other}\" is not a kind of approval; write \"signed\" (the default) or \"trailer\""),
                );
                None
            }
        },
        None if policy.raw("approvals").is_some() => None,
        None => Some(ApprovalMode::Signed),
    };
    let help = match policy.get::<String>(collector, "help") {
        Some(help) => Some(help.into_inner().trim().to_owned()),
        None if policy.raw("help").is_some() => None,
        None => Some(DEFAULT_HELP.to_owned()),
    };

    // [detect]
    let detect = collector.table(detect_table, "[detect]", DETECT_KEYS);
    let builtin = match detect.get::<bool>(collector, "builtin") {
        Some(builtin) => Some(builtin.into_inner()),
        None if detect.raw("builtin").is_some() => None,
        None => Some(true),
    };
    let disclosure_trailers = match detect.get::<Vec<toml::Spanned<String>>>(collector, "disclosure_trailers") {
        Some(keys) => {
            let mut valid = Vec::new();
            for key in keys.into_inner() {
                if is_trailer_key(key.get_ref()) {
                    valid.push(key.into_inner());
                } else {
                    collector.at_span(
                        &key.span(),
                        format!("disclosure trailer `{}` is not a trailer key (letters, digits and `-`)", key.get_ref()),
                    );
                    ok = false;
                }
            }
            Some(valid)
        }
        None if detect.raw("disclosure_trailers").is_some() => None,
        None => Some(DEFAULT_DISCLOSURES.map(String::from).to_vec()),
    };

    let (
        Some(listen),
        Some(roster),
        Some(protected_refs),
        Some(approval_trailer),
        Some(min_approver_level),
        Some(required_approvals),
        Some(help),
        Some(mode),
        Some(approvals),
        Some(builtin),
        Some(disclosure_trailers),
        true,
    ) = (
        listen,
        roster,
        protected_refs,
        approval_trailer,
        min_approver_level,
        required_approvals,
        help,
        mode,
        approvals,
        builtin,
        disclosure_trailers,
        ok,
    )
    else {
        return None;
    };
    Some(Config {
        path: path.to_owned(),
        server: ServerConfig { listen, token_file, audit_log, limits, roster, repo_roots },
        policy: PolicyConfig {
            protected_refs,
            approval_trailer,
            min_approver_level,
            min_approver_level_at,
            required_approvals,
            help,
            mode,
            approvals,
        },
        detect: Detector { builtin, disclosure_trailers },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<String>> {
        Config::parse(Path::new("/etc/sg/signoff-gate.toml"), text).map_err(|p| p.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reads_the_documented_example() {
        let config = parse(
            r#"
[server]
listen = "127.0.0.1:8787"
roster = "roster.toml"
repo_roots = ["/srv/git"]

[policy]
protected_refs = ["refs/heads/main", "refs/heads/master", "refs/heads/release/*"]
approval_trailer = "Approved-by"
min_approver_level = "senior"
required_approvals = 1
help = "Ask a senior engineer to review, then add their Approved-by trailer."

[detect]
builtin = true
disclosure_trailers = ["AI-Assisted", "Assisted-by", "Generated-by"]
"#,
        )
        .expect("valid config");
        assert_eq!(config.server.roster, PathBuf::from("/etc/sg/roster.toml"));
        assert_eq!(config.server.repo_roots, vec![PathBuf::from("/srv/git")]);
        assert!(config.policy.protected_refs.matches("refs/heads/release/2"));
        assert_eq!(config.policy.min_approver_level_at, (10, 22));
    }

    #[test]
    fn an_empty_file_gives_sane_defaults() {
        let config = parse("").expect("defaults");
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(config.policy.approval_trailer, "Approved-by");
        assert_eq!(config.policy.required_approvals, 1);
        assert!(config.detect.builtin);
    }

    #[test]
    fn reports_every_problem() {
        let problems = parse(
            r#"[server]
listen = "localhost"
roster = ""
repo_root = ["/srv/git"]

[policy]
mode = "audit"
protected_refs = ["heads/main"]
required_approvals = 0
approval_trailer = "Approved by"
"#,
        )
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:2:10: `listen` = \"localhost\" is not an address and port like \"127.0.0.1:8787\" nor a socket like \"unix:/run/signoff-gate.sock\"",
                "/etc/sg/signoff-gate.toml:3:10: `roster` is empty; name the roster file, e.g. \"roster.toml\"",
                "/etc/sg/signoff-gate.toml:4:1: unknown key `repo_root` in [server]; expected one of `listen`, `roster`, `repo_roots`, `token_file`, `audit_log`, `max_body_bytes`, `max_updates`, `deadline_seconds`, `max_concurrent`",
                "/etc/sg/signoff-gate.toml:7:8: `mode` = \"audit\" is not a mode; write \"enforce\" or \"warn\"",
                "/etc/sg/signoff-gate.toml:8:19: protected ref pattern `heads/main` must start with `refs/`",
                "/etc/sg/signoff-gate.toml:9:22: `required_approvals` = 0 must be between 1 and 16",
                "/etc/sg/signoff-gate.toml:10:20: `approval_trailer` = \"Approved by\" is not a trailer key (letters, digits and `-`)",
            ]
        );
    }
}
