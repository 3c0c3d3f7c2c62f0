//! `signoff-gate serve`: run the service with the configured policy.

use crate::cmd::{Failure, config_path};
use crate::live::LiveGate;
use crate::server::{self, AppState};
use std::path::Path;
use std::process::ExitCode;

/// Loads the policy, binds the configured address and serves until SIGTERM
/// or Ctrl-C.
pub fn run(config: Option<&Path>) -> Result<ExitCode, Failure> {
    let live = LiveGate::load(&config_path(config))?;
    let config = live.current().config.clone();
    if config.server.repo_roots.is_empty() {
        return Err(Failure::NoRepoRoots { config: config.path.clone() });
    }
    for root in &config.server.repo_roots {
        if !root.is_dir() {
            tracing::warn!(root = %root.display(), "repo root does not exist; pushes to repositories under it will be refused");
        }
    }
    let state = AppState::new(live);
    let runtime = tokio::runtime::Runtime::new().map_err(Failure::io("cannot start the async runtime"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .map_err(Failure::io(format!("cannot listen on {}", config.server.listen)))?;
        tracing::info!(
            address = %config.server.listen,
            config = %config.path.display(),
            engineers = state.live.current().gate.roster.engineers().len(),
            approvers = state.live.current().gate.approver_count(),
            "signoff-gate listening"
        );
        server::run(listener, state, shutdown_signal()).await.map_err(Failure::io("the server failed"))?;
        tracing::info!("signoff-gate stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
