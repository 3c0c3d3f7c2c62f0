//! The HTTP edge: the only module that knows axum. It turns requests into
//! calls to [`pre_receive::decide`] on a blocking thread and answers JSON.
//!
//! Errors: a 4xx carries the specific reason (the hook shows it to the
//! pusher); a 5xx says only that the gate failed, while the detail is logged.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::config::Limits;
use crate::error_chain;
use crate::git::{GitError, canonical_roots};
use crate::policy::decision::PushDecision;
use crate::policy::outcome::{self, Outcome, Ruling};
use crate::policy::refs::RefUpdate;
use crate::policy::render::{Wording, outcome_text};
use crate::service::audit::{AuditCommit, AuditError, AuditLog, PushFacts};
use crate::service::live::{Health, LiveGate, Loaded};
use crate::service::metrics::{self, Gauges, Metrics, Tally};
use crate::service::pre_receive::{self, Push};
use crate::service::wire::{self, ErrorResponse, PreReceiveRequest, PreReceiveResponse, WireRefOutcome};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The policy in force, reloaded when its files change.
    pub live: Arc<LiveGate>,
    /// Canonical repository roots: nothing outside them is opened.
    pub roots: Arc<Vec<PathBuf>>,
    /// The shared secret `/v1/*` requests must present, when configured.
    pub token: Option<Arc<Vec<u8>>>,
    /// Request limits (fixed at start).
    pub limits: Limits,
    /// Permits for deciding pushes: a burst queues instead of exhausting memory.
    pub permits: Arc<Semaphore>,
    /// One permit per request byte read and not yet answered.
    pub bytes_in_flight: Arc<Semaphore>,
    /// Where decisions are recorded, when configured.
    pub audit: Option<Arc<AuditLog>>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Request ids: a per-process prefix and a counter.
    request_ids: Arc<(u32, AtomicU64)>,
}

/// Why the server state could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The token file could not be read.
    #[error("cannot read token_file {path}")]
    TokenUnreadable {
        /// The token file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The token file holds no token.
    #[error("token_file {path} is empty; put the shared secret in it")]
    TokenEmpty {
        /// The token file.
        path: PathBuf,
    },
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl AppState {
    /// The state for the configuration `live` was loaded from: its
    /// repository roots (canonicalised once), token and limits.
    pub fn new(live: LiveGate) -> Result<AppState, StateError> {
        let loaded = live.current();
        let server = &loaded.config.server;
        let roots = canonical_roots(&server.repo_roots);
        let token = match &server.token_file {
            None => None,
            Some(path) => Some(Arc::new(read_token(path)?)),
        };
        let limits = server.limits;
        let audit = server.audit_log.as_ref().map(AuditLog::open).transpose()?.map(Arc::new);
        let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let instance = started.subsec_nanos() ^ std::process::id().rotate_left(16);
        Ok(AppState {
            live: Arc::new(live),
            roots: Arc::new(roots),
            token,
            limits,
            permits: Arc::new(Semaphore::new(limits.max_concurrent)),
            bytes_in_flight: Arc::new(Semaphore::new(limits.max_bytes_in_flight.min(Semaphore::MAX_PERMITS))),
            audit,
            metrics: Arc::new(Metrics::default()),
            request_ids: Arc::new((instance, AtomicU64::new(0))),
        })
    }

    /// A new request id, unique within this process and unlikely to repeat
    /// across replicas: `<instance>-<counter>`.
    fn request_id(&self) -> String {
        let (instance, counter) = &*self.request_ids;
        format!("{instance:08x}-{}", counter.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// Reads a shared secret: the file's content without surrounding whitespace.
pub fn read_token(path: &std::path::Path) -> Result<Vec<u8>, StateError> {
    let text = std::fs::read(path).map_err(|source| StateError::TokenUnreadable { path: path.to_owned(), source })?;
    let token = text.trim_ascii().to_vec();
    if token.is_empty() {
        return Err(StateError::TokenEmpty { path: path.to_owned() });
    }
    Ok(token)
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (index, byte) in expected.iter().enumerate() {
        difference |= byte ^ given.get(index).copied().unwrap_or(0);
    }
    difference == 0
}

/// Refuses `/v1/*` requests that do not prove the configured secret,
/// before any of the body is read: by the hook's MAC (see
/// [`wire::auth`]; its answer is then signed) or, for other clients, a
/// bearer token.
async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.token.clone() else {
        return next.run(request).await;
    };
    let given = request.headers().get(AUTHORIZATION).map(|value| value.as_bytes().to_vec()).unwrap_or_default();
    if let Some(token) = given.strip_prefix(b"Bearer ") {
        if !same_secret(token.trim_ascii(), &expected) {
            return AppError::Unauthorized("the bearer token is not this gate's".to_owned()).into_response();
        }
        return next.run(request).await;
    }
    let scheme = format!("{} ", wire::auth::SCHEME);
    if let Some(credentials) = given.strip_prefix(scheme.as_bytes()) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let credentials = String::from_utf8_lossy(credentials);
        return match wire::auth::check_request(&expected, &credentials, now) {
            Ok(nonce) => sign_answer(next.run(request).await, &expected, &nonce).await,
            Err(why) => AppError::Unauthorized(why.to_owned()).into_response(),
        };
    }
    AppError::Unauthorized("this gate requires its secret (see SIGNOFF_GATE_TOKEN_FILE)".to_owned()).into_response()
}

/// Adds the MAC that lets the hook trust this answer.
async fn sign_answer(response: Response, secret: &[u8], nonce: &str) -> Response {
    use http_body_util::BodyExt;
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return AppError::Internal("cannot read the answer to sign it".to_owned()).into_response();
    };
    let bytes = collected.to_bytes();
    let mac = wire::auth::answer_mac(secret, nonce, parts.status.as_u16(), &bytes);
    if let Ok(value) = HeaderValue::from_str(&mac) {
        parts.headers.insert(wire::auth::ANSWER_HEADER, value);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Counts every answered request by endpoint and status, with its latency.
async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let endpoint = metrics::endpoint(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.request(endpoint, response.status().as_u16(), started.elapsed());
    response
}

/// The router; tests can drive it directly.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/pre-receive", post(pre_receive_handler))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .fallback(|| async { AppError::NotFound("no such endpoint; see README \"Wire format\"".to_owned()) })
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .with_state(state)
}

/// Serves `app(state)` on an already-bound listener until `shutdown`
/// completes, then lets requests in flight finish. Meanwhile the
/// configuration and roster are watched and reloaded.
pub async fn run<L>(listener: L, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let watcher = tokio::spawn(Arc::clone(&state.live).watch(std::future::pending()));
    let limits = state.limits;
    let served = serve_bounded(listener, app(state), limits, shutdown).await;
    watcher.abort();
    served
}

/// Serves HTTP/1 connections from `listener` with bounds a slow or
/// hostile client cannot push past: at most `max_connections` open (more
/// wait in the listen queue), and a request head must arrive within
/// `read_timeout` (the body is bounded in [`read_body`]). On `shutdown` it
/// stops accepting and lets requests in flight finish.
async fn serve_bounded<L>(
    mut listener: L,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (io, address) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        tracing::trace!(?address, "connection accepted");
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut http = hyper::server::conn::http1::Builder::new();
        // A small read buffer: what a connection holds before its body is
        // taken is bounded per connection, not by how fast a client sends.
        http.timer(TokioTimer::new()).header_read_timeout(limits.read_timeout).max_buf_size(CONNECTION_BUFFER_BYTES);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "alive" }))
}

/// What `/readyz` and the start-up log say when approvals are not signed.
pub const UNSIGNED_WARNING: &str = "approvals = \"trailer\": a typed Approved-by line counts, and anyone can type one; set approvals = \"signed\" to require SSH-signed approvals";

/// 200 when the files on disk are the policy in force; 503 with every
/// problem while an edit that does not validate waits to be fixed (pushes are
/// still decided with the last good version meanwhile).
async fn readyz(State(state): State<AppState>) -> Response {
    let loaded = state.live.current();
    let gate = &loaded.gate;
    let mut body = json!({
        "status": "ready",
        "generation": loaded.generation,
        "roster": loaded.config.server.roster.display().to_string(),
        "engineers": gate.roster.engineers().len(),
        "approvers": gate.approver_count(),
        "min_approver_level": gate.policy.min_approver_level,
        "required_approvals": gate.policy.required_approvals,
        "protected_refs": gate.policy.protected_refs.patterns(),
        "approvals": gate.policy.approvals.as_str(),
        "approvers_with_keys": gate.roster.engineers().iter().filter(|e| gate.can_sign(e)).count(),
    });
    if !gate.signed() {
        body["warning"] = json!(UNSIGNED_WARNING);
    }
    match &*state.live.health() {
        Health::Ready => (StatusCode::OK, Json(body)).into_response(),
        Health::Stale { problems } => {
            body["status"] = json!("stale");
            body["problems"] = json!(problems);
            body["note"] = json!("the files on disk do not validate; pushes are decided with the last good version (this generation)");
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// The counters in the Prometheus text format.
async fn metrics_handler(State(state): State<AppState>) -> Response {
    let gauges = Gauges {
        reloads: state.live.reloads(),
        reload_failures: state.live.reload_failures(),
        generation: state.live.current().generation,
        ready: matches!(*state.live.health(), Health::Ready),
    };
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render(gauges)).into_response()
}

async fn pre_receive_handler(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    // The token was checked before any of the body was read (require_token).
    let (parts, body) = request.into_parts();
    let is_json = parts.headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
    });
    if !is_json {
        return Err(AppError::BadRequest("Expected request with `Content-Type: application/json`".to_owned()));
    }
    // Held until the answer is sent: the bytes of every request read and
    // not yet answered stay within `max_bytes_in_flight`.
    let (bytes, _held) = read_body(&state, &parts.headers, body).await?;
    let request: PreReceiveRequest = serde_json::from_slice(&bytes).map_err(|error| {
        AppError::BadRequest(match error.classify() {
            serde_json::error::Category::Data => format!("Failed to deserialize the JSON body into the target type: {error}"),
            _ => format!("Failed to parse the request body as JSON: {error}"),
        })
    })?;
    drop(bytes);
    let push = validate(&request, state.limits.max_updates)?;
    let started = Instant::now();
    let request_id = state.request_id();
    // One version of the policy for the whole request, whatever reloads meanwhile.
    let loaded = state.live.current();
    let updates = push.updates.clone();
    let decided = decide(&state, push, Arc::clone(&loaded)).await;
    let gate = &loaded.gate;
    let audit = Audit { state: &state, request: &request, request_id: &request_id, loaded: &loaded, updates: &updates, started };
    let (decision, commits, tally) = match decided {
        Ok(decided) => decided,
        Err(error) => {
            state.metrics.undecided();
            audit.record(None, None, Vec::new(), Some(&error)).await?;
            return Err(error);
        }
    };

    let pusher = request.pusher.as_ref().map(|p| p.name.as_str());
    let ruling = outcome::rule(&decision, gate.policy.mode, &request.push_options, pusher, &gate.roster);
    if let Err(error) = audit.record(Some(&decision), Some(&ruling), commits, None).await {
        state.metrics.undecided();
        return Err(error);
    }
    let ai: usize = decision.refs.iter().map(|r| r.ai_assisted).sum();
    state.metrics.decision(ruling.outcome, decision.checked_count(), ai, decision.refused_count());
    state.metrics.tally(tally, decision.refs.iter().flat_map(|r| r.problems.iter().map(|p| p.code.as_str())));

    let wording = Wording::new(gate);
    let response = PreReceiveResponse {
        accepted: ruling.outcome.accepted(),
        outcome: ruling.outcome.as_str().to_owned(),
        request_id: request_id.clone(),
        message: outcome_text(&decision, &ruling, &wording),
        checked: decision.checked_count(),
        refused: decision.refused_count(),
        refs: decision
            .refs
            .iter()
            .map(|r| WireRefOutcome {
                refname: r.update.refname.clone(),
                accepted: r.accepted(),
                checked: r.checked,
                refused: r.refused_count,
                problems: r.problems.iter().map(|p| p.code.to_string()).collect(),
            })
            .collect(),
    };
    let repository = request.repository.as_str();
    let outcome = ruling.outcome.as_str();
    if ruling.outcome == Outcome::BreakGlass {
        let reason = ruling.break_glass.as_ref().map(|b| b.reason.as_str());
        tracing::warn!(request_id, repository, pusher, reason, refused = response.refused, "break-glass used");
    }
    tracing::info!(
        request_id,
        repository,
        pusher,
        updates = request.updates.len(),
        checked = response.checked,
        refused = response.refused,
        outcome,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "push decided"
    );
    let mut answer = Json(response).into_response();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        answer.headers_mut().insert("x-request-id", value);
    }
    Ok(answer)
}

/// The most a connection buffers before the handler takes the bytes.
const CONNECTION_BUFFER_BYTES: usize = 64 * 1024;

/// Request bytes that need no share of `max_bytes_in_flight`.
const FREE_BODY_BYTES: usize = 32 * 1024;

/// Reads a request body within the limits: at most `max_body_bytes`, all
/// of it within `read_timeout`, and past its first [`FREE_BODY_BYTES`]
/// only with a share of the bytes in flight (the whole declared length at
/// once, else chunk by chunk), which the caller keeps until it has answered.
async fn read_body(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<(Vec<u8>, tokio::sync::OwnedSemaphorePermit), AppError> {
    use http_body_util::BodyExt;
    let limit = state.limits.max_body_bytes;
    let too_large = || AppError::TooLarge(format!("the request is larger than {limit} bytes"));
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let budget = Arc::clone(&state.bytes_in_flight);
    let closed = || AppError::Internal("the byte budget is closed".to_owned());
    // The first FREE_BODY_BYTES of each request (a hook's request is a few
    // hundred bytes) need no share, so large or slow bodies never make a
    // push wait; they are bounded by `max_connections` instead.
    let share = |bytes: u64| u32::try_from(bytes.saturating_sub(FREE_BODY_BYTES as u64)).map_err(|_| too_large());
    let read = async move {
        let mut held = Arc::clone(&budget).acquire_many_owned(0).await.map_err(|_| closed())?;
        if let Some(length) = declared.map(share).transpose()?.filter(|&share| share > 0) {
            held.merge(Arc::clone(&budget).acquire_many_owned(length).await.map_err(|_| closed())?);
        }
        let mut body = body;
        let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| AppError::BadRequest(format!("cannot read the request body: {error}")))?;
            let Ok(chunk) = frame.into_data() else { continue };
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            let needed = share((bytes.len() + chunk.len()) as u64)?.saturating_sub(u32::try_from(held.num_permits()).unwrap_or(u32::MAX));
            if needed > 0 {
                held.merge(Arc::clone(&budget).acquire_many_owned(needed).await.map_err(|_| closed())?);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, held))
    };
    let timeout = state.limits.read_timeout;
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| AppError::Timeout(format!("the request was not received within {} s; it is refused", timeout.as_secs_f64())))?
}

/// Decides `push` with the policy in `loaded` on a blocking thread, within
/// the deadline and a permit; with every commit's audit record when the
/// audit log is on, and what its commits add to the metrics.
async fn decide(state: &AppState, push: Push, loaded: Arc<Loaded>) -> Result<(PushDecision, Vec<AuditCommit>, Tally), AppError> {
    let roots = Arc::clone(&state.roots);
    let deadline = state.limits.deadline;
    let permits = Arc::clone(&state.permits);
    let collect = state.audit.is_some();
    // Waiting for a permit counts against the deadline: a push that cannot
    // be decided in time is refused, never accepted.
    let until = std::time::Instant::now() + deadline;
    // Set when this future ends for any reason (answered, timed out, or
    // dropped because the client went away): the blocking work then stops.
    let cancelled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _cancel = CancelOnDrop(Arc::clone(&cancelled));
    let stop = crate::git::Stop::at(until, cancelled);
    let decided = tokio::time::timeout(deadline, async move {
        let permit = permits.acquire_owned().await.map_err(|_| AppError::Internal("the permits are closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            // Held until the git work ends, even if the deadline gave up on
            // it: the cap is on work, not on waiting answers.
            let _permit = permit;
            let mut commits = Vec::new();
            let mut tally = Tally::default();
            let decision = pre_receive::decide_until(&loaded.gate, &roots, &push, &stop, collect, |refname, report| {
                tally.commit(report);
                if collect {
                    commits.push(AuditCommit::new(refname, report));
                }
            })
            .and_then(|mut decision| pre_receive::guard_roster(&loaded.config, &roots, &push, &mut decision).map(|()| decision));
            decision.map(|decision| (decision, commits, tally)).map_err(|error| match error {
                // The work saw the deadline before the timer below did.
                GitError::Stopped => too_late(deadline),
                error => AppError::from_git(error, &push.repository.display().to_string()),
            })
        })
        .await
        .map_err(|error| AppError::Internal(format!("decision task failed: {error}")))?
    })
    .await;
    decided.map_err(|_| too_late(deadline))?
}

/// The answer to a push not decided within `deadline`.
fn too_late(deadline: std::time::Duration) -> AppError {
    AppError::Unavailable(format!("the push could not be decided within {} s; it is refused, try again", deadline.as_secs_f64()))
}

/// Sets its flag when dropped.
struct CancelOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What an audit record is made of, besides the decision.
struct Audit<'a> {
    state: &'a AppState,
    request: &'a PreReceiveRequest,
    request_id: &'a str,
    loaded: &'a Loaded,
    updates: &'a [RefUpdate],
    started: Instant,
}

impl Audit<'_> {
    /// Appends the record of a decided push, or of one that could not be
    /// decided (`error`), when the audit log is on. A push whose decision
    /// cannot be recorded is refused.
    async fn record(
        &self,
        decision: Option<&PushDecision>,
        ruling: Option<&Ruling>,
        commits: Vec<AuditCommit>,
        error: Option<&AppError>,
    ) -> Result<(), AppError> {
        let Some(log) = &self.state.audit else {
            return Ok(());
        };
        let facts = PushFacts {
            request: self.request,
            request_id: self.request_id,
            gate: &self.loaded.gate,
            generation: self.loaded.generation,
            updates: self.updates,
            started: self.started,
        };
        let record = facts.record(decision, ruling, commits, error.map(AppError::audit_text));
        let line = AuditLog::line(&record).map_err(|error| AppError::Internal(error_chain(&error)))?;
        let log = Arc::clone(log);
        let written = tokio::task::spawn_blocking(move || log.write_line(&line))
            .await
            .map_err(|error| AppError::Internal(format!("audit task failed: {error}")))?;
        written.map_err(|error| {
            tracing::error!(error = %error_chain(&error), "cannot record a decision; the push is refused");
            AppError::Unavailable("the gate cannot record its decision in the audit log; the push is refused".to_owned())
        })
    }
}

/// Turns the wire request into a domain push, or a 400 saying what is wrong
/// (public for the fuzz target).
pub fn validate(request: &PreReceiveRequest, max_updates: usize) -> Result<Push, AppError> {
    pre_receive::push_of(request, max_updates).map_err(AppError::BadRequest)
}

/// An error answer.
#[derive(Debug)]
pub enum AppError {
    /// 400: the request is malformed; the text says how.
    BadRequest(String),
    /// 422: a commit the push brings cannot be read (malformed, or larger
    /// than the gate reads); the text says which and why.
    Unprocessable(String),
    /// 413: the body is larger than `max_body_bytes`.
    TooLarge(String),
    /// 408: the request did not arrive within `read_timeout_seconds`.
    Timeout(String),
    /// 401: the bearer token is missing or wrong.
    Unauthorized(String),
    /// 503: the push could not be decided in time, or its decision could
    /// not be recorded.
    Unavailable(String),
    /// 403: the request names something the gate may not open.
    Forbidden(String),
    /// 404: no such repository or endpoint.
    NotFound(String),
    /// 500: something failed inside; the text is logged, not sent.
    Internal(String),
}

impl AppError {
    fn from_git(error: GitError, repository: &str) -> AppError {
        let chain = error_chain(&error);
        match error {
            GitError::OutsideRoots { .. } | GitError::QuarantineOutside { .. } => AppError::Forbidden(chain),
            GitError::NoSuchPath { .. } => AppError::NotFound(chain),
            GitError::NotARepository { .. } | GitError::MissingObject { .. } | GitError::BadRevision { .. } => AppError::BadRequest(chain),
            GitError::BadCommit { .. } | GitError::TooLarge { .. } => AppError::Unprocessable(chain),
            GitError::Stopped => {
                AppError::Unavailable(format!("{repository}: the push could not be decided in time; it is refused, try again"))
            }
            GitError::Git { .. } | GitError::History { .. } => AppError::Internal(format!("{repository}: {chain}")),
        }
    }
}

impl AppError {
    /// The text the audit log keeps for a push that could not be decided.
    fn audit_text(&self) -> String {
        match self {
            AppError::BadRequest(text)
            | AppError::Unprocessable(text)
            | AppError::TooLarge(text)
            | AppError::Timeout(text)
            | AppError::Unauthorized(text)
            | AppError::Unavailable(text)
            | AppError::Forbidden(text)
            | AppError::NotFound(text)
            | AppError::Internal(text) => text.clone(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            AppError::Unprocessable(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
            AppError::Unauthorized(message) => (StatusCode::UNAUTHORIZED, message),
            AppError::TooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, message),
            AppError::Timeout(message) => (StatusCode::REQUEST_TIMEOUT, message),
            AppError::Unavailable(message) => {
                tracing::warn!(error = %message, "push not decided");
                (StatusCode::SERVICE_UNAVAILABLE, message)
            }
            AppError::Forbidden(message) => (StatusCode::FORBIDDEN, message),
            AppError::NotFound(message) => (StatusCode::NOT_FOUND, message),
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error in the gate; the server log has the details".to_owned())
            }
        };
        if status.is_client_error() {
            tracing::warn!(%status, %error, "request refused");
        }
        (status, Json(ErrorResponse { error })).into_response()
    }
}
