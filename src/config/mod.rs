//! The service configuration (`signoff-gate.toml`), validated into types
//! that cannot be invalid; every problem is reported with file:line:col.

pub mod catalogue;
pub mod diagnostics;
pub mod roster;
pub mod rules;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use crate::config::diagnostics::{Collector, Problem, Problems};
use crate::policy::detect::{Catalogue, Detector};
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
    /// How many connections are open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Request bytes held at once across all requests: a request waits
    /// for its share before its body is read, and keeps it until answered.
    pub max_bytes_in_flight: usize,
    /// How long a client may take to send a request's head and body.
    pub read_timeout: std::time::Duration,
}

impl Eq for Limits {}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_updates: 10_000,
            deadline: std::time::Duration::from_secs(8),
            max_concurrent: 4,
            max_connections: 256,
            max_bytes_in_flight: 12 * 1024 * 1024,
            read_timeout: std::time::Duration::from_secs(10),
        }
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
    /// The roster file, resolved against the configuration file's folder;
    /// for a roster kept in git, its `git:` name (used in messages).
    pub roster: PathBuf,
    /// The roster kept in a git repository (`roster = "git:REPO#REF:PATH"`).
    pub roster_git: Option<GitRoster>,
    /// Folders under which repositories may be opened, resolved against the
    /// configuration file's folder.
    pub repo_roots: Vec<PathBuf>,
}

/// A roster kept in a git repository: the file `path` in the tree `refname`
/// points at, in the bare repository `repository`. Edits to it go through a
/// reviewed push like any code, and every replica reading the repository
/// sees the same roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRoster {
    /// The repository (its git dir), absolute.
    pub repository: PathBuf,
    /// The full ref name, e.g. `refs/heads/main`.
    pub refname: String,
    /// The file's path in the tree, e.g. `roster.toml`.
    pub path: String,
}

impl std::fmt::Display for GitRoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "git:{}#{}:{}", self.repository.display(), self.refname, self.path)
    }
}

impl GitRoster {
    /// Reads `git:REPO#REF:PATH` (REPO resolved with `resolve`), or says
    /// what is wrong with it.
    fn parse(text: &str, resolve: &impl Fn(&str) -> PathBuf) -> Result<GitRoster, String> {
        let form = "write it as \"git:/srv/git/admin.git#refs/heads/main:roster.toml\"";
        let rest = text.strip_prefix("git:").ok_or_else(|| format!("not a git roster; {form}"))?;
        let (repository, rest) = rest.split_once('#').ok_or_else(|| format!("`roster` = \"{text}\" names no ref; {form}"))?;
        let (refname, path) = rest.split_once(':').ok_or_else(|| format!("`roster` = \"{text}\" names no file; {form}"))?;
        if repository.trim().is_empty() {
            return Err(format!("`roster` = \"{text}\" names no repository; {form}"));
        }
        if !crate::policy::refs::is_valid_refname(refname) || !refname.starts_with("refs/") {
            return Err(format!("`roster` = \"{text}\": `{refname}` is not a full ref name; {form}"));
        }
        let path = path.trim_start_matches('/');
        if path.is_empty() || path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
            return Err(format!("`roster` = \"{text}\": `{path}` is not a file's path in the tree; {form}"));
        }
        Ok(GitRoster { repository: resolve(repository), refname: refname.to_owned(), path: path.to_owned() })
    }
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
    /// A roster kept in git could not be read from its repository.
    #[error("cannot read the roster {roster}: {reason}")]
    RosterRepository {
        /// The roster's `git:` name.
        roster: String,
        /// Why.
        reason: String,
    },
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
    /// each place they disagree (a level the roster does not declare, a
    /// rule's approver not on it).
    pub fn gate(&self, roster: Roster) -> Result<Gate, Problems> {
        Gate::new(self.policy.clone(), self.detect.clone(), roster).map_err(|misfits| {
            let roster = self.server.roster.display();
            Problems(
                misfits
                    .into_iter()
                    .map(|misfit| Problem {
                        file: self.path.clone(),
                        line: misfit.at.0,
                        column: misfit.at.1,
                        message: format!("{} (roster {roster})", misfit.message),
                    })
                    .collect(),
            )
        })
    }
}

/// Whether `key` can be a trailer key as git reads them: letters, digits
/// and `-`, not starting with `-`.
pub(crate) fn is_trailer_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('-') && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The configuration file as written: one struct per table, every key
/// optional (defaults and checks are applied by [`read`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<IgnoredAny>,
    policy: Option<IgnoredAny>,
    detect: Option<IgnoredAny>,
}

/// `[server]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    roster: Option<Spanned<String>>,
    repo_roots: Option<Vec<Spanned<String>>>,
    token_file: Option<Spanned<String>>,
    audit_log: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<i64>>,
    max_updates: Option<Spanned<i64>>,
    deadline_seconds: Option<Spanned<f64>>,
    max_concurrent: Option<Spanned<i64>>,
    max_connections: Option<Spanned<i64>>,
    max_bytes_in_flight: Option<Spanned<i64>>,
    read_timeout_seconds: Option<Spanned<f64>>,
}

/// `[policy]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    protected_refs: Option<Vec<Spanned<String>>>,
    approval_trailer: Option<Spanned<String>>,
    min_approver_level: Option<Spanned<String>>,
    required_approvals: Option<Spanned<i64>>,
    help: Option<Spanned<String>>,
    mode: Option<Spanned<String>>,
    approvals: Option<Spanned<String>>,
    plus_addressing: Option<Vec<Spanned<String>>>,
    allow_replace_refs: Option<Spanned<bool>>,
    require_declaration: Option<Spanned<bool>>,
    allow_rewrite: Option<Spanned<rules::RawAllowRewrite>>,
    max_review_rate: Option<Spanned<String>>,
    review_window: Option<Spanned<String>>,
    max_approval_age: Option<Spanned<String>>,
    /// `[[policy.rule]]`: read table by table (see `rules::read_rules`).
    #[serde(rename = "rule")]
    _rule: Option<IgnoredAny>,
}

/// `[detect]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    builtin: Option<Spanned<bool>>,
    disclosure_trailers: Option<Vec<Spanned<String>>>,
    /// `[[detect.tool]]`: read table by table (see `catalogue::raw_tools`).
    #[serde(rename = "tool")]
    _tool: Option<serde::de::IgnoredAny>,
}

/// Reads the file into its raw tables, then validates each field into the
/// configuration. Every problem is recorded in `collector`; the result is
/// only used when there are none.
fn read(collector: &mut Collector<'_>, path: &Path) -> Option<Config> {
    let document = collector.parse()?;
    let top: RawConfig = collector.read(document.get_ref(), "the config");
    let empty = toml::de::DeTable::default();
    let mut section = |name: &str, present: bool| -> toml::de::DeTable<'_> {
        let value = document.get_ref().iter().find(|(key, _)| key.get_ref().as_ref() == name).map(|(_, value)| value);
        match value.map(|value| (value, value.get_ref().as_table())) {
            Some((_, Some(table))) => table.clone(),
            Some((value, None)) if present => {
                collector.at_span(&value.span(), format!("`{name}` must be a table: write it as [{name}]"));
                empty.clone()
            }
            _ => empty.clone(),
        }
    };
    let (server_table, policy_table, detect_table) =
        (section("server", top.server.is_some()), section("policy", top.policy.is_some()), section("detect", top.detect.is_some()));
    let server: RawServer = collector.read(&server_table, "[server]");
    let policy: RawPolicy = collector.read(&policy_table, "[policy]");
    let detect: RawDetect = collector.read(&detect_table, "[detect]");
    let tools = catalogue::raw_tools(collector, &detect_table, "detect.tool");
    let rules = collector.read_tables(&policy_table, "rule", "policy.rule");
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    Some(Config {
        path: path.to_owned(),
        server: read_server(collector, server, &resolve),
        policy: read_policy(collector, policy, rules),
        detect: read_detect(collector, detect, tools),
    })
}

fn read_server(collector: &mut Collector<'_>, raw: RawServer, resolve: &impl Fn(&str) -> PathBuf) -> ServerConfig {
    let listen = match &raw.listen {
        None => DEFAULT_LISTEN.parse().map(Listen::Tcp).unwrap_or(Listen::Unix(PathBuf::new())),
        Some(listen) => match listen.get_ref().strip_prefix("unix:") {
            Some(socket) if !socket.trim().is_empty() => Listen::Unix(resolve(socket)),
            Some(_) => {
                collector.at_span(&listen.span(), "`listen` = \"unix:\" names no socket; write \"unix:/run/signoff-gate.sock\"");
                Listen::Unix(PathBuf::new())
            }
            None => listen.get_ref().parse::<SocketAddr>().map(Listen::Tcp).unwrap_or_else(|_| {
                collector.at_span(
                    &listen.span(),
                    format!(
                        "`listen` = \"{}\" is not an address and port like \"127.0.0.1:8787\" nor a socket like \"unix:/run/signoff-gate.sock\"",
                        listen.get_ref()
                    ),
                );
                Listen::Unix(PathBuf::new())
            }),
        },
    };
    let token_file = raw.token_file.and_then(|file| {
        if file.get_ref().trim().is_empty() {
            collector.at_span(&file.span(), "`token_file` is empty; name the file that holds the token, or leave the key out");
            None
        } else {
            Some(resolve(file.get_ref()))
        }
    });
    let audit_log = raw.audit_log.and_then(|log| match log.get_ref().as_str() {
        blank if blank.trim().is_empty() => {
            collector.at_span(&log.span(), "`audit_log` is empty; name a file, or \"stdout\"");
            None
        }
        "stdout" | "-" => Some(AuditLog::Stdout),
        file => Some(AuditLog::File(resolve(file))),
    });
    let defaults = Limits::default();
    let mut bounded = |key: &str, value: Option<Spanned<i64>>, low: i64, high: i64, default: usize| match value {
        Some(value) if !(low..=high).contains(value.get_ref()) => {
            collector.at_span(&value.span(), format!("`{key}` = {} must be between {low} and {high}", value.get_ref()));
            default
        }
        Some(value) => usize::try_from(value.into_inner()).unwrap_or(default),
        None => default,
    };
    let max_body_bytes = bounded("max_body_bytes", raw.max_body_bytes, 1024, 1 << 30, defaults.max_body_bytes);
    let max_updates = bounded("max_updates", raw.max_updates, 1, 1_000_000, defaults.max_updates);
    let max_concurrent = bounded("max_concurrent", raw.max_concurrent, 1, 1024, defaults.max_concurrent);
    let max_connections = bounded("max_connections", raw.max_connections, 1, 65_536, defaults.max_connections);
    let in_flight_span = raw.max_bytes_in_flight.as_ref().map(Spanned::span);
    let max_bytes_in_flight = bounded("max_bytes_in_flight", raw.max_bytes_in_flight, 1024, 1 << 32, defaults.max_bytes_in_flight);
    if max_bytes_in_flight < max_body_bytes {
        let message = format!(
            "`max_bytes_in_flight` = {max_bytes_in_flight} is below `max_body_bytes` = {max_body_bytes}: the largest request could never be read"
        );
        match in_flight_span {
            Some(span) => collector.at_span(&span, message),
            None => collector.at_span(&(0..0), message),
        }
    }
    let mut seconds = |key: &str, value: Option<Spanned<f64>>, default: std::time::Duration| match value {
        Some(value) if !(value.get_ref().is_finite() && (0.01..=3600.0).contains(value.get_ref())) => {
            collector.at_span(&value.span(), format!("`{key}` = {} must be between 0.01 and 3600", value.get_ref()));
            default
        }
        Some(value) => std::time::Duration::from_secs_f64(value.into_inner()),
        None => default,
    };
    let deadline = seconds("deadline_seconds", raw.deadline_seconds, defaults.deadline);
    let read_timeout = seconds("read_timeout_seconds", raw.read_timeout_seconds, defaults.read_timeout);
    let mut roster_git = None;
    let roster = match raw.roster {
        Some(roster) if roster.get_ref().trim().is_empty() => {
            collector.at_span(&roster.span(), "`roster` is empty; name the roster file, e.g. \"roster.toml\"");
            PathBuf::new()
        }
        Some(roster) if roster.get_ref().starts_with("git:") => match GitRoster::parse(roster.get_ref(), resolve) {
            Ok(source) => {
                let name = PathBuf::from(source.to_string());
                roster_git = Some(source);
                name
            }
            Err(message) => {
                collector.at_span(&roster.span(), message);
                PathBuf::new()
            }
        },
        Some(roster) => resolve(roster.get_ref()),
        None => resolve("roster.toml"),
    };
    let mut repo_roots = Vec::new();
    for root in raw.repo_roots.unwrap_or_default() {
        if root.get_ref().trim().is_empty() {
            collector.at_span(&root.span(), "a `repo_roots` entry is empty");
        } else {
            repo_roots.push(resolve(root.get_ref()));
        }
    }
    ServerConfig {
        listen,
        token_file,
        audit_log,
        limits: Limits { max_body_bytes, max_updates, deadline, max_concurrent, max_connections, max_bytes_in_flight, read_timeout },
        roster,
        roster_git,
        repo_roots,
    }
}

fn read_policy(collector: &mut Collector<'_>, raw: RawPolicy, rules: Vec<(std::ops::Range<usize>, rules::RawRule)>) -> PolicyConfig {
    let default_refs = || ProtectedRefs::new(&DEFAULT_PROTECTED.map(String::from)).unwrap_or_default();
    let protected_refs = match raw.protected_refs {
        Some(patterns) => {
            let names: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            ProtectedRefs::new(&names).unwrap_or_else(|(index, message)| {
                collector.at_span(&patterns[index].span(), message);
                default_refs()
            })
        }
        None => default_refs(),
    };
    let approval_trailer = match raw.approval_trailer {
        Some(key) if !is_trailer_key(key.get_ref()) => {
            collector
                .at_span(&key.span(), format!("`approval_trailer` = \"{}\" is not a trailer key (letters, digits and `-`)", key.get_ref()));
            String::new()
        }
        Some(key) => key.into_inner(),
        None => "Approved-by".to_owned(),
    };
    let (min_approver_level, min_approver_level_at) = match raw.min_approver_level {
        Some(level) if level.get_ref().trim().is_empty() => {
            collector.at_span(&level.span(), "`min_approver_level` is empty");
            (String::new(), (0, 0))
        }
        Some(level) => {
            let at = crate::config::diagnostics::line_column(collector.text(), level.span().start);
            (level.into_inner(), at)
        }
        None => ("senior".to_owned(), (1, 1)),
    };
    let required_approvals = match raw.required_approvals {
        Some(count) if !(1..=16).contains(count.get_ref()) => {
            collector.at_span(&count.span(), format!("`required_approvals` = {} must be between 1 and 16", count.get_ref()));
            1
        }
        Some(count) => usize::try_from(count.into_inner()).unwrap_or(1),
        None => 1,
    };
    let mode = match raw.mode {
        Some(mode) => match mode.get_ref().as_str() {
            "enforce" => Mode::Enforce,
            "warn" => Mode::Warn,
            other => {
                collector.at_span(&mode.span(), format!("`mode` = \"{other}\" is not a mode; write \"enforce\" or \"warn\""));
                Mode::Enforce
            }
        },
        None => Mode::Enforce,
    };
    let approvals = match raw.approvals {
        Some(kind) => match kind.get_ref().as_str() {
            "signed" => ApprovalMode::Signed,
            "trailer" => ApprovalMode::Trailer,
            other => {
                collector.at_span(
                    &kind.span(),
                    format!("`approvals` = \"{other}\" is not a kind of approval; write \"signed\" (the default) or \"trailer\""),
                );
                ApprovalMode::Signed
            }
        },
        None => ApprovalMode::Signed,
    };
    let help = raw.help.map_or_else(|| DEFAULT_HELP.to_owned(), |help| help.into_inner().trim().to_owned());
    let mut plus_addressing = Vec::new();
    for domain in raw.plus_addressing.unwrap_or_else(|| vec![Spanned::new(0..0, "*".to_owned())]) {
        let name = domain.get_ref().trim().trim_end_matches('.').to_ascii_lowercase();
        if name != "*" && (name.is_empty() || name.contains(['@', ' ', '*'])) {
            collector.at_span(
                &domain.span(),
                format!(
                    "`plus_addressing` entry \"{}\" is not a domain; write e.g. \"corp.example\", or \"*\" for every domain",
                    domain.get_ref()
                ),
            );
        } else {
            plus_addressing.push(name);
        }
    }
    let mut duration = |raw: Option<Spanned<String>>, key: &str| -> Option<i64> {
        let raw = raw?;
        crate::policy::rate::parse_duration(raw.get_ref())
            .map_err(|message| collector.at_span(&raw.span(), format!("`{key}`: {message}")))
            .ok()
    };
    let review_window = duration(raw.review_window, "review_window");
    let max_approval_age = duration(raw.max_approval_age, "max_approval_age");
    let review_rate = raw.max_review_rate.and_then(|rate| {
        crate::policy::rate::parse_rate(rate.get_ref())
            .map_err(|message| collector.at_span(&rate.span(), format!("`max_review_rate`: {message}")))
            .ok()
    });
    let review_rate = review_rate.map(|lines_per_hour| crate::policy::rate::ReviewRate {
        lines_per_hour,
        window_seconds: review_window.unwrap_or(crate::policy::rate::DEFAULT_WINDOW_SECONDS),
    });
    PolicyConfig {
        protected_refs,
        approval_trailer,
        min_approver_level,
        min_approver_level_at,
        required_approvals,
        help,
        mode,
        approvals,
        allow_replace_refs: raw.allow_replace_refs.is_some_and(Spanned::into_inner),
        require_declaration: raw.require_declaration.is_some_and(Spanned::into_inner),
        plus_addressing,
        allow_rewrite: rules::read_allow_rewrite(collector, raw.allow_rewrite),
        rules: rules::read_rules(collector, rules),
        review_rate,
        max_approval_age,
    }
}

fn read_detect(collector: &mut Collector<'_>, raw: RawDetect, tools: Vec<(std::ops::Range<usize>, catalogue::RawTool)>) -> Detector {
    let builtin = raw.builtin.is_none_or(Spanned::into_inner);
    let disclosure_trailers = match raw.disclosure_trailers {
        Some(keys) => keys
            .into_iter()
            .filter_map(|key| {
                if is_trailer_key(key.get_ref()) {
                    Some(key.into_inner())
                } else {
                    collector.at_span(
                        &key.span(),
                        format!("disclosure trailer `{}` is not a trailer key (letters, digits and `-`)", key.get_ref()),
                    );
                    None
                }
            })
            .collect(),
        None => DEFAULT_DISCLOSURES.map(String::from).to_vec(),
    };
    let (added, disabled) = catalogue::read_tools(collector, tools, false);
    let mut tools = Vec::new();
    if builtin {
        match catalogue::builtin_tools() {
            Ok(shipped) => tools = shipped,
            Err(problems) => {
                for problem in problems {
                    collector.at(0, format!("the built-in catalogue: {problem}"));
                }
            }
        }
    }
    // A configured tool with a built-in tool's name replaces it; one with
    // `enabled = false` removes it.
    let replaced: Vec<String> =
        added.iter().map(|tool| tool.name.to_lowercase()).chain(disabled.iter().map(|n| n.to_lowercase())).collect();
    tools.retain(|tool| !replaced.contains(&tool.name.to_lowercase()));
    tools.extend(added);
    Detector::new(builtin, Catalogue::new(tools), disclosure_trailers)
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
    fn reports_every_problem_in_a_configured_tool() {
        let problems = parse(
            r#"[detect]
[[detect.tool]]
name = "Acme"
emails = ["Assistant@Acme.example", "not an address"]
trailer_keys = ["Acme Session"]
trailers = ["Made-with"]
colour = "blue"

[[detect.tool]]
name = " "
"#,
        )
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:4:11: address (lowercase) \"Assistant@Acme.example\" is not valid",
                "/etc/sg/signoff-gate.toml:4:37: address (lowercase) \"not an address\" is not valid",
                "/etc/sg/signoff-gate.toml:5:17: trailer key \"Acme Session\" is not valid",
                "/etc/sg/signoff-gate.toml:6:13: trailer (\"Key: value\") \"Made-with\" is not valid",
                "/etc/sg/signoff-gate.toml:7:1: unknown key `colour` in [[detect.tool]]; expected one of `name`, `enabled`, `emails`, `former_emails`, `github_logins`, `names`, `trailer_keys`, `trailers`, `body_lines`, `session_urls`",
                "/etc/sg/signoff-gate.toml:10:8: a tool's `name` is empty",
            ]
        );
    }

    #[test]
    fn reads_rules_and_allow_rewrite() {
        let config = parse(
            r#"[policy]
allow_rewrite = ["refs/heads/sandbox/*"]

[[policy.rule]]
name = "infrastructure"
description = "Infrastructure changes need a principal"
paths = ["infra/**", "**/*.tf"]
min_deleted_files = 1
min_approver_level = "principal"

[[policy.rule]]
name = "review-size"
applies_to = "all"
refs = ["refs/heads/main"]
min_changed_lines = 400
required_approvals = 2
approvers = ["Alice@corp.example", "bob@corp.example"]
"#,
        )
        .expect("valid rules");
        let rules = &config.policy.rules;
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].needs.min_approver_level.as_ref().map(|(level, at)| (level.as_str(), *at)), Some(("principal", (9, 22))));
        assert!(rules[0].when.paths.as_ref().is_some_and(|p| p.matches(b"modules/x/main.tf")));
        assert_eq!(
            rules[1].needs.approvers.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
            ["alice@corp.example", "bob@corp.example"]
        );
        assert_eq!(rules[1].applies_to, crate::policy::rules::AppliesTo::All);
        let rewrite = config.policy.allow_rewrite.as_ref().expect("allow_rewrite");
        assert!(rewrite.matches("refs/heads/sandbox/x") && !rewrite.matches("refs/heads/main"));
        assert!(
            parse("[policy]\nallow_rewrite = true\n").expect("bool").policy.allow_rewrite.is_some_and(|r| r.matches("refs/heads/main"))
        );
        assert!(parse("[policy]\nallow_rewrite = false\n").expect("bool").policy.allow_rewrite.is_none());
    }

    #[test]
    fn reads_the_review_rate_and_approval_age_with_their_places() {
        let config = parse("[policy]\nmax_review_rate = \"500 lines/hour\"\nmax_approval_age = \"90 days\"\n").expect("valid");
        let rate = config.policy.review_rate.expect("a rate");
        assert_eq!((rate.lines_per_hour, rate.window_seconds), (500, crate::policy::rate::DEFAULT_WINDOW_SECONDS));
        assert_eq!(config.policy.max_approval_age, Some(90 * 86_400));
        let config = parse("[policy]\nmax_review_rate = \"200 lines/h\"\nreview_window = \"8 hours\"\n").expect("valid");
        assert_eq!(config.policy.review_rate.map(|r| (r.lines_per_hour, r.window_seconds)), Some((200, 8 * 3600)));
        assert!(parse("[policy]\n").expect("valid").policy.review_rate.is_none());
        let problems =
            parse("[policy]\nmax_review_rate = \"fast\"\nreview_window = \"a while\"\nmax_approval_age = 90\n").expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:2:19: `max_review_rate`: \"fast\" is not a review rate; write e.g. \"500 lines/hour\"",
                "/etc/sg/signoff-gate.toml:3:17: `review_window`: \"a while\" is not a duration; write e.g. \"4 hours\", \"90 days\" or \"30 minutes\"",
                "/etc/sg/signoff-gate.toml:4:20: `max_approval_age`: invalid type: integer `90`, expected a string",
            ]
        );
    }

    #[test]
    fn reads_a_roster_kept_in_git_and_reports_malformed_ones() {
        let config = parse("[server]\nroster = \"git:admin.git#refs/heads/main:people/roster.toml\"\n").expect("git roster");
        let source = config.server.roster_git.expect("read as git");
        assert_eq!(source.repository, PathBuf::from("/etc/sg/admin.git"));
        assert_eq!((source.refname.as_str(), source.path.as_str()), ("refs/heads/main", "people/roster.toml"));
        for (text, expected) in [
            ("git:/srv/admin.git", "names no ref"),
            ("git:/srv/admin.git#refs/heads/main", "names no file"),
            ("git:/srv/admin.git#main:roster.toml", "`main` is not a full ref name"),
            ("git:/srv/admin.git#refs/heads/main:../roster.toml", "is not a file's path in the tree"),
        ] {
            let problems = parse(&format!("[server]\nroster = {text:?}\n")).expect_err(text);
            assert!(
                problems.len() == 1 && problems[0].contains(expected) && problems[0].starts_with("/etc/sg/signoff-gate.toml:2:10: "),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn reports_every_problem_in_a_rule() {
        let problems = parse(
            r#"[policy]
allow_rewrite = "yes"

[[policy.rule]]
name = "a"
paths = ["/etc/**"]
applies_to = "humans"
min_deleted_files = 0
required_approvals = 3
approvers = ["x@corp.example", "not an email"]
colour = "red"

[[policy.rule]]
name = "A"
refs = ["heads/main"]
min_approver_level = ""

[[policy.rule]]
description = "no name"
"#,
        )
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:2:17: `allow_rewrite`: invalid type: string \"yes\", expected true, false or a list of ref patterns",
                "/etc/sg/signoff-gate.toml:6:10: rule \"a\": path pattern `/etc/**` must be relative to the repository root, e.g. \"infra/**\"",
                "/etc/sg/signoff-gate.toml:7:14: rule \"a\": `applies_to` = \"humans\"; write \"ai-assisted\" (the default) or \"all\"",
                "/etc/sg/signoff-gate.toml:8:21: rule \"a\": `min_deleted_files` = 0 must be between 1 and 1000000000",
                "/etc/sg/signoff-gate.toml:9:22: rule \"a\": `required_approvals` = 3, but `approvers` lists 1: it could never be met",
                "/etc/sg/signoff-gate.toml:10:32: rule \"a\": approver \"not an email\" is not an email",
                "/etc/sg/signoff-gate.toml:11:1: unknown key `colour` in [[policy.rule]]; expected one of `name`, `description`, `refs`, `applies_to`, `paths`, `min_deleted_files`, `min_deleted_lines`, `min_changed_lines`, `executable_change`, `submodule_change`, `min_approver_level`, `required_approvals`, `approvers`",
                "/etc/sg/signoff-gate.toml:14:8: two rules are named \"A\"; give each its own name",
                "/etc/sg/signoff-gate.toml:15:9: rule \"A\": `refs`: protected ref pattern `heads/main` must start with `refs/`",
                "/etc/sg/signoff-gate.toml:16:22: rule \"A\": `min_approver_level` is empty",
                "/etc/sg/signoff-gate.toml:18:1: a rule has no `name`",
            ]
        );
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
                "/etc/sg/signoff-gate.toml:4:1: unknown key `repo_root` in [server]; expected one of `listen`, `roster`, `repo_roots`, `token_file`, `audit_log`, `max_body_bytes`, `max_updates`, `deadline_seconds`, `max_concurrent`, `max_connections`, `max_bytes_in_flight`, `read_timeout_seconds`",
                "/etc/sg/signoff-gate.toml:7:8: `mode` = \"audit\" is not a mode; write \"enforce\" or \"warn\"",
                "/etc/sg/signoff-gate.toml:8:19: protected ref pattern `heads/main` must start with `refs/`",
                "/etc/sg/signoff-gate.toml:9:22: `required_approvals` = 0 must be between 1 and 16",
                "/etc/sg/signoff-gate.toml:10:20: `approval_trailer` = \"Approved by\" is not a trailer key (letters, digits and `-`)",
            ]
        );
    }

    #[test]
    fn reports_every_value_of_the_wrong_type_and_every_unknown_table() {
        let problems = parse(
            r#"[server]
max_body_bytes = "big"
listen = 8787
repo_roots = "/srv/git"
deadline_seconds = "soon"

[policy]
required_approvals = "one"
mode = "warn"
unknown = 1
protected_refs = ["refs/heads/main", 3]

[detect]
builtin = "yes"
disclosure_trailers = ["AI Assisted"]

[extra]
x = 1
"#,
        )
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:2:18: `max_body_bytes`: invalid type: string \"big\", expected i64",
                "/etc/sg/signoff-gate.toml:3:10: `listen`: invalid type: integer `8787`, expected a string",
                "/etc/sg/signoff-gate.toml:4:14: `repo_roots`: invalid type: string \"/srv/git\", expected a sequence",
                "/etc/sg/signoff-gate.toml:5:20: `deadline_seconds`: invalid type: string \"soon\", expected f64",
                "/etc/sg/signoff-gate.toml:8:22: `required_approvals`: invalid type: string \"one\", expected i64",
                "/etc/sg/signoff-gate.toml:10:1: unknown key `unknown` in [policy]; expected one of `protected_refs`, `approval_trailer`, `min_approver_level`, `required_approvals`, `help`, `mode`, `approvals`, `plus_addressing`, `allow_replace_refs`, `require_declaration`, `allow_rewrite`, `max_review_rate`, `review_window`, `max_approval_age`, `rule`",
                "/etc/sg/signoff-gate.toml:11:38: `protected_refs`: invalid type: integer `3`, expected a string",
                "/etc/sg/signoff-gate.toml:14:11: `builtin`: invalid type: string \"yes\", expected a boolean",
                "/etc/sg/signoff-gate.toml:15:24: disclosure trailer `AI Assisted` is not a trailer key (letters, digits and `-`)",
                "/etc/sg/signoff-gate.toml:17:2: unknown key `extra` in the config; expected one of `server`, `policy`, `detect`",
            ]
        );
        let problems = parse("server = 3\npolicy = \"x\"\n").expect_err("not tables");
        assert_eq!(
            problems,
            vec![
                "/etc/sg/signoff-gate.toml:1:10: `server` must be a table: write it as [server]",
                "/etc/sg/signoff-gate.toml:2:10: `policy` must be a table: write it as [policy]",
            ]
        );
    }
}
