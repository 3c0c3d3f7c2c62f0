//! The hook client: the only code that knows git's hook environment. It
//! reads the pre-receive input and environment, asks the server, prints the
//! answer for the pusher, and fails closed: if the server cannot be reached
//! or answers an error within the time bound, the push is refused.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixStream};

use crate::service::wire::{ErrorResponse, PreReceiveRequest, PreReceiveResponse, WirePusher, WireRefUpdate, auth};

/// The server URL when neither `SIGNOFF_GATE_URL` nor
/// `git config signoff-gate.url` names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8787";
/// How long the hook waits for an answer when nothing else is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Variables by which git hosts name the pusher, most specific first.
/// (`GL_USER` is gitolite's, over ssh with a key per user.)
const PUSHER_VARIABLES: [&str; 5] = ["GITHUB_USER_LOGIN", "GL_USERNAME", "GL_USER", "GITEA_PUSHER_NAME", "REMOTE_USER"];

/// How the hook ends: git reads the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOutcome {
    /// Exit 0: the push may go ahead.
    Accepted,
    /// Exit 1: the policy refused the push.
    Refused,
    /// Exit 2: the gate could not decide; the push is refused.
    GateError,
}

impl HookOutcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            HookOutcome::Accepted => 0,
            HookOutcome::Refused => 1,
            HookOutcome::GateError => 2,
        }
    }
}

/// Where and how long to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    /// The server's base URL (`http://host:port[/prefix]` or `unix:/path`).
    pub url: String,
    /// The bound on connecting and answering together.
    pub timeout: Duration,
    /// The file holding the shared secret, when the gate requires one.
    pub token_file: Option<PathBuf>,
}

/// Why the gate could not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The hook input or environment is not what git provides.
    #[error("{0}")]
    Input(String),
    /// The URL is not one the hook can use.
    #[error("unsupported server URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No connection or no answer in time.
    #[error("could not reach the signoff-gate server at {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// An answer that does not prove the shared secret: something other
    /// than the gate may be answering at the URL.
    #[error("the answer from {url} is not signed with the gate's secret; something other than the gate may be answering there")]
    Unauthenticated {
        /// The URL.
        url: String,
    },
    /// The gate could not decide in this process (local mode).
    #[error("the gate could not decide this push: {0}")]
    Local(String),
    /// The server answered with an error status.
    #[error("the signoff-gate server at {url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's reason.
        message: String,
    },
}

/// How the hook decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookMode {
    /// Ask the server (the default).
    Server(HookSettings),
    /// Decide in this process, with the configuration at `config`, within
    /// `timeout` (`signoff-gate.mode = local`).
    Local {
        /// The configuration file.
        config: PathBuf,
        /// The time budget.
        timeout: Duration,
    },
}

/// Settings from the environment and the repository's git config:
/// `SIGNOFF_GATE_URL` or `signoff-gate.url`; `SIGNOFF_GATE_TIMEOUT` or
/// `signoff-gate.timeout` (seconds).
pub fn settings_from_env() -> HookSettings {
    settings_with(&mut Lookup::new())
}

/// The mode, from `SIGNOFF_GATE_MODE` or `signoff-gate.mode` (`server`,
/// the default, or `local`); in local mode the configuration comes from
/// `SIGNOFF_GATE_CONFIG` or `signoff-gate.config` (relative to the
/// repository). An unknown mode, or local mode without a configuration, is
/// an error: the push is refused.
pub fn mode_from_env(repository: &Path) -> Result<HookMode, HookError> {
    let mut lookup = Lookup::new();
    let settings = settings_with(&mut lookup);
    match lookup.get("SIGNOFF_GATE_MODE", "signoff-gate.mode").as_deref().map(str::trim) {
        None | Some("server") => Ok(HookMode::Server(settings)),
        Some("local") => {
            let config = crate::service::local::config_path(lookup.get("SIGNOFF_GATE_CONFIG", "signoff-gate.config"), repository)
                .ok_or_else(|| {
                    HookError::Input(
                        "signoff-gate.mode is local, but no configuration is named: set git config signoff-gate.config (or SIGNOFF_GATE_CONFIG)"
                            .to_owned(),
                    )
                })?;
            Ok(HookMode::Local { config, timeout: settings.timeout })
        }
        Some(other) => Err(HookError::Input(format!("signoff-gate.mode is {other:?}; write \"server\" (the default) or \"local\""))),
    }
}

/// Reads a setting from its environment variable, else from the
/// repository's git config, which is read once for all keys and only if a
/// variable is unset: the hook sits on every push.
struct Lookup {
    git: Option<std::collections::HashMap<String, String>>,
}

impl Lookup {
    fn new() -> Lookup {
        Lookup { git: None }
    }

    fn get(&mut self, variable: &str, key: &str) -> Option<String> {
        std::env::var(variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.git.get_or_insert_with(git_config_section).get(&key.to_ascii_lowercase()).cloned())
    }
}

fn settings_with(lookup: &mut Lookup) -> HookSettings {
    let url = lookup.get("SIGNOFF_GATE_URL", "signoff-gate.url").unwrap_or_else(|| DEFAULT_URL.to_owned());
    let timeout = lookup
        .get("SIGNOFF_GATE_TIMEOUT", "signoff-gate.timeout")
        .and_then(|seconds| seconds.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
    let token_file = lookup.get("SIGNOFF_GATE_TOKEN_FILE", "signoff-gate.tokenFile").map(|path| PathBuf::from(path.trim()));
    HookSettings { url: url.trim().to_owned(), timeout, token_file }
}

/// Every `signoff-gate.*` key of the repository's git config, with the
/// lowercase names git reports (last value wins, as `git config --get` does).
fn git_config_section() -> std::collections::HashMap<String, String> {
    let output = Command::new("git").args(["config", "--get-regexp", r"^signoff-gate\."]).output();
    let Ok(output) = output else {
        return std::collections::HashMap::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(key, value)| (key.to_owned(), value.trim().to_owned()))
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

/// Builds the request from pre-receive's stdin and environment.
pub fn gather(stdin: impl BufRead, env: impl Fn(&str) -> Option<String>, cwd: &Path) -> Result<PreReceiveRequest, HookError> {
    let mut updates = Vec::new();
    for line in stdin.lines() {
        let line = line.map_err(|error| HookError::Input(format!("cannot read the ref updates on stdin: {error}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(old), Some(new), Some(refname), None) = (fields.next(), fields.next(), fields.next(), fields.next()) else {
            return Err(HookError::Input(format!("unexpected pre-receive input line {line:?}; expected \"<old> <new> <ref>\"")));
        };
        updates.push(WireRefUpdate { old: old.to_owned(), new: new.to_owned(), refname: refname.to_owned() });
    }
    if updates.is_empty() {
        return Err(HookError::Input("no ref updates on stdin; run `signoff-gate hook` from a pre-receive hook".to_owned()));
    }

    let absolute = |path: &str| -> PathBuf {
        let path = cwd.join(path);
        path.canonicalize().unwrap_or(path)
    };
    let repository = absolute(&env("GIT_DIR").unwrap_or_else(|| ".".to_owned()));
    let quarantine = env("GIT_QUARANTINE_PATH").or_else(|| env("GIT_OBJECT_DIRECTORY")).map(|path| absolute(&path));

    let count = env("GIT_PUSH_OPTION_COUNT").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    let push_options = (0..count).filter_map(|i| env(&format!("GIT_PUSH_OPTION_{i}"))).collect();
    let pusher = PUSHER_VARIABLES.iter().find_map(|variable| {
        env(variable).filter(|name| !name.trim().is_empty()).map(|name| WirePusher { source: (*variable).to_owned(), name })
    });

    Ok(PreReceiveRequest {
        repository: repository.to_string_lossy().into_owned(),
        quarantine: quarantine.map(|path| path.to_string_lossy().into_owned()),
        updates,
        push_options,
        pusher,
    })
}

/// Asks the server, bounded by `settings.timeout` overall.
pub async fn ask(settings: &HookSettings, request: &PreReceiveRequest) -> Result<PreReceiveResponse, HookError> {
    let body = serde_json::to_vec(request).map_err(|error| HookError::Input(format!("cannot encode the request: {error}")))?;
    let proof = match &settings.token_file {
        None => None,
        Some(path) => {
            let text = std::fs::read(path)
                .map_err(|error| HookError::Input(format!("cannot read the gate's token file {}: {error}", path.display())))?;
            let secret = text.trim_ascii().to_vec();
            let nonce = nonce().map_err(|error| HookError::Input(format!("cannot draw a random nonce: {error}")))?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let authorization = auth::request_authorization(&secret, now, &nonce);
            Some(Proof { secret, nonce, authorization })
        }
    };
    let url = settings.url.clone();
    match tokio::time::timeout(settings.timeout, post(&url, "/v1/pre-receive", body, proof.as_ref())).await {
        Ok(result) => result,
        Err(_) => Err(HookError::Unreachable { url, reason: format!("no answer within {} s", settings.timeout.as_secs_f64()) }),
    }
}

/// What proves the shared secret on one request, and checks the answer.
struct Proof {
    secret: Vec<u8>,
    nonce: String,
    authorization: String,
}

/// 32 random bytes from the kernel, as hex.
fn nonce() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    /// `http://host:port/prefix`: the address, and the path prefix.
    Tcp { authority: String, prefix: String },
    /// `unix:/path/to.sock`.
    Unix(PathBuf),
}

/// Reads `http://host:port[/prefix]` or `unix:/absolute/path.sock`.
fn parse_url(url: &str) -> Result<Endpoint, HookError> {
    let bad = |reason| HookError::Url { url: url.to_owned(), reason };
    if let Some(path) = url.strip_prefix("unix:") {
        let path = PathBuf::from(path);
        if !path.is_absolute() {
            return Err(bad("expected unix:/absolute/path/to.sock"));
        }
        return Ok(Endpoint::Unix(path));
    }
    let rest =
        url.strip_prefix("http://").ok_or_else(|| bad("only http:// and unix: URLs are supported (run the gate beside the git server)"))?;
    let (authority, prefix) = match rest.find('/') {
        Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("expected http://host:port"));
    }
    Ok(Endpoint::Tcp { authority: authority.to_owned(), prefix: prefix.to_owned() })
}

async fn post(url: &str, path: &str, body: Vec<u8>, proof: Option<&Proof>) -> Result<PreReceiveResponse, HookError> {
    let unreachable = |reason: String| HookError::Unreachable { url: url.to_owned(), reason };
    let (mut sender, host, prefix) = match parse_url(url)? {
        Endpoint::Tcp { authority, prefix } => {
            let address = if authority.contains(':') { authority.clone() } else { format!("{authority}:80") };
            let stream = TcpStream::connect(&address).await.map_err(|error| unreachable(error.to_string()))?;
            (handshake(stream).await.map_err(unreachable)?, authority, prefix)
        }
        Endpoint::Unix(socket) => {
            let stream = UnixStream::connect(&socket).await.map_err(|error| unreachable(error.to_string()))?;
            (handshake(stream).await.map_err(unreachable)?, "localhost".to_owned(), String::new())
        }
    };
    let mut request = Request::post(format!("{prefix}{path}")).header(HOST, &host).header(CONTENT_TYPE, "application/json");
    // The secret itself is never sent: only a MAC over a fresh nonce.
    if let Some(proof) = proof {
        request = request.header(AUTHORIZATION, &proof.authorization);
    }
    let request =
        request.body(Full::new(Bytes::from(body))).map_err(|error| HookError::Input(format!("cannot build the request: {error}")))?;
    let response = sender.send_request(request).await.map_err(|error| unreachable(error.to_string()))?;
    let status = response.status();
    let signature = response.headers().get(auth::ANSWER_HEADER).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = response.into_body().collect().await.map_err(|error| unreachable(error.to_string()))?.to_bytes();
    if let Some(proof) = proof.filter(|_| status.is_success()) {
        let signed = signature.is_some_and(|given| auth::check_answer(&proof.secret, &proof.nonce, status.as_u16(), &body, &given));
        if !signed {
            return Err(HookError::Unauthenticated { url: url.to_owned() });
        }
    }
    if !status.is_success() {
        let message = serde_json::from_slice::<ErrorResponse>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(300).collect());
        return Err(HookError::Status { url: url.to_owned(), status: status.as_u16(), message });
    }
    serde_json::from_slice(&body).map_err(|error| unreachable(format!("the answer is not the expected JSON: {error}")))
}

/// An HTTP/1 connection over `stream`, driven in the background.
async fn handshake<S>(stream: S) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|error| error.to_string())?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection to the gate ended");
        }
    });
    Ok(sender)
}

/// What the pusher reads when the gate could not decide.
pub fn gate_error_text(error: &HookError) -> String {
    let advice = match error {
        HookError::Status { status: 401, .. } => "the hook's token does not match the gate's; ask your git administrator",
        HookError::Status { status: 422, .. } => "the gate cannot read a commit or tag of this push; fix it as said above and push again",
        HookError::Status { status, .. } if (400..500).contains(status) => {
            "the gate could not accept this push's request; ask your git administrator"
        }
        HookError::Input(_) => "the hook cannot run as installed; ask your git administrator",
        _ => "the gate fails closed: no push to this repository can land until it is back; ask your git administrator",
    };
    format!("signoff-gate: push refused: {error}\nsignoff-gate: {advice}\n")
}

/// Every line prefixed with `GL-HOOK-ERR: `, the prefix GitLab looks for
/// to show a hook's refusal in its web UI.
pub fn for_gitlab(text: &str) -> String {
    text.lines().map(|line| format!("GL-HOOK-ERR: {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn gathers_input_and_environment() {
        let env: HashMap<&str, &str> = HashMap::from([
            ("GIT_DIR", "."),
            ("GIT_QUARANTINE_PATH", "/srv/git/r.git/./objects/incoming-x"),
            ("GIT_PUSH_OPTION_COUNT", "2"),
            ("GIT_PUSH_OPTION_0", "ci.skip"),
            ("GIT_PUSH_OPTION_1", "signoff-gate.break-glass=outage"),
            ("GL_USERNAME", "alice"),
            ("REMOTE_USER", "ignored"),
        ]);
        let stdin = format!("{} {} refs/heads/main\n", "a".repeat(40), "b".repeat(40));
        let request = gather(stdin.as_bytes(), |k| env.get(k).map(|v| (*v).to_owned()), Path::new("/srv/git/r.git")).expect("valid input");
        assert_eq!(request.repository, "/srv/git/r.git/.");
        assert_eq!(request.quarantine.as_deref(), Some("/srv/git/r.git/./objects/incoming-x"));
        assert_eq!(request.push_options, vec!["ci.skip", "signoff-gate.break-glass=outage"]);
        assert_eq!(request.pusher, Some(WirePusher { source: "GL_USERNAME".into(), name: "alice".into() }));
        // gitolite, over ssh: GL_USER names the pusher (break-glass needs it).
        let gitolite: HashMap<&str, &str> = HashMap::from([("GL_USER", "bob"), ("REMOTE_USER", "ignored")]);
        let request_gitolite =
            gather(stdin.as_bytes(), |k| gitolite.get(k).map(|v| (*v).to_owned()), Path::new("/srv/git/r.git")).expect("valid input");
        assert_eq!(request_gitolite.pusher, Some(WirePusher { source: "GL_USER".into(), name: "bob".into() }));
        assert_eq!(request.updates[0].refname, "refs/heads/main");
    }

    #[test]
    fn refuses_odd_input() {
        let env = |_: &str| None;
        assert!(gather("".as_bytes(), env, Path::new("/")).is_err());
        assert!(gather("a b\n".as_bytes(), env, Path::new("/")).is_err());
    }

    #[test]
    fn prefixes_every_line_for_gitlab() {
        assert_eq!(for_gitlab("a\n\nb\n"), "GL-HOOK-ERR: a\nGL-HOOK-ERR: \nGL-HOOK-ERR: b\n");
        assert_eq!(for_gitlab(""), "");
    }

    #[test]
    fn parses_urls() {
        let tcp = |authority: &str, prefix: &str| Endpoint::Tcp { authority: authority.into(), prefix: prefix.into() };
        assert_eq!(parse_url("http://127.0.0.1:8787").expect("ok"), tcp("127.0.0.1:8787", ""));
        assert_eq!(parse_url("http://gate:9/prefix/").expect("ok"), tcp("gate:9", "/prefix"));
        assert_eq!(parse_url("unix:/run/gate.sock").expect("ok"), Endpoint::Unix("/run/gate.sock".into()));
        assert!(parse_url("unix:gate.sock").is_err());
        assert!(parse_url("https://gate").is_err());
        assert!(parse_url("http://").is_err());
    }
}
