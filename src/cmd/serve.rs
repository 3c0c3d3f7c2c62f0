//! `signoff-gate serve`: run the service with the configured policy.

use crate::cmd::{Failure, config_path};
use crate::config::Listen;
use crate::service::live::LiveGate;
use crate::service::server::{self, AppState};
use std::path::Path;
use std::process::ExitCode;

/// Loads the policy, binds the configured address and serves until SIGTERM
/// or Ctrl-C.
pub fn run(config: Option<&Path>) -> Result<ExitCode, Failure> {
    // The run's id is its start: every audit record of this run carries it.
    crate::service::audit::process_id();
    let live = LiveGate::load(&config_path(config)?)?;
    let config = live.current().config.clone();
    if config.server.repo_roots.is_empty() {
        return Err(Failure::NoRepoRoots { config: config.path.clone() });
    }
    for root in &config.server.repo_roots {
        if !root.is_dir() {
            tracing::warn!(root = %root.display(), "repo root does not exist; pushes to repositories under it will be refused");
        }
    }
    let state = AppState::new(live)?;
    let runtime = tokio::runtime::Runtime::new().map_err(Failure::io("cannot start the async runtime"))?;
    runtime.block_on(async {
        let listen = &config.server.listen;
        let cannot_listen = || Failure::io(format!("cannot listen on {listen}"));
        let log_listening = || {
            let loaded = state.live.current();
            tracing::info!(
                address = %listen,
                config = %config.path.display(),
                engineers = loaded.gate.roster.engineers().len(),
                approvers = loaded.gate.approver_count(),
                mode = loaded.config.policy.mode.as_str(),
                approvals = loaded.config.policy.approvals.as_str(),
                "signoff-gate listening"
            );
            if !loaded.gate.signed() {
                tracing::warn!("{}", crate::service::server::UNSIGNED_WARNING);
            }
            if matches!(listen, Listen::Tcp(_)) && loaded.config.server.token_file.is_none() {
                tracing::warn!("{TCP_WITHOUT_SECRET_WARNING}");
            }
        };
        match listen {
            Listen::Tcp(address) => {
                let listener = tokio::net::TcpListener::bind(address).await.map_err(cannot_listen())?;
                log_listening();
                server::run(listener, state, shutdown_signal()).await.map_err(Failure::io("the server failed"))?;
            }
            Listen::Unix(path) => {
                let listener = bind_unix(path).map_err(cannot_listen())?;
                log_listening();
                let served = server::run(listener, state, shutdown_signal()).await;
                let _ = std::fs::remove_file(path);
                served.map_err(Failure::io("the server failed"))?;
            }
        }
        tracing::info!("signoff-gate stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// What `serve` logs when it listens on TCP without a shared secret.
pub const TCP_WITHOUT_SECRET_WARNING: &str = "listening on TCP without token_file: the hook cannot tell the gate from any local process that takes this port (while the gate restarts, say), and such a process can accept every push; set token_file, or listen on a unix socket in a directory only the gate's user can write";

/// Binds a Unix socket with mode 0660 (owner and group: the git user and
/// its group). A socket file left by an earlier run is replaced; any other
/// file at that path is an error. So is a folder that others than its
/// owner may write to: someone else could put their own socket there.
#[cfg(unix)]
pub fn bind_unix(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mode = std::fs::metadata(folder)?.permissions().mode();
    if mode & 0o022 != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} may be written by others than its owner (mode {:o}); put the socket in a folder only the gate's user can write (e.g. /run/signoff-gate, mode 0750)",
                folder.display(),
                mode & 0o7777
            ),
        ));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path)?,
        Ok(_) => {
            return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file that is not a socket is in the way"));
        }
        Err(_) => {}
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
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
