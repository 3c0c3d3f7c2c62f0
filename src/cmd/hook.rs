//! `signoff-gate hook`: git's pre-receive hook client. Always answers with an
//! exit code (0 accepted, 1 refused, 2 gate error); never lets a push through
//! because something failed.

use std::io::Write;
use std::process::ExitCode;

use crate::hook::{HookError, HookMode, HookOutcome, ask, for_gitlab, gate_error_text, gather, mode_from_env};

/// Reads the push from stdin and the environment, asks the server, prints
/// its answer on stderr (git shows it as `remote:` lines).
pub fn run() -> ExitCode {
    let outcome = decide();
    ExitCode::from(outcome.code())
}

fn decide() -> HookOutcome {
    let (outcome, text) = answer();
    // GitLab shows hook output in its web UI only for lines it recognises.
    let under_gitlab = std::env::var_os("GL_ID").is_some_and(|id| !id.is_empty());
    let text = if under_gitlab && outcome != HookOutcome::Accepted { for_gitlab(&text) } else { text };
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    outcome
}

/// The outcome and the text for the pusher.
fn answer() -> (HookOutcome, String) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let request = match gather(std::io::stdin().lock(), |name| std::env::var(name).ok(), &cwd) {
        Ok(request) => request,
        Err(error) => return (HookOutcome::GateError, gate_error_text(&error)),
    };
    let settings = match mode_from_env(std::path::Path::new(&request.repository)) {
        Ok(HookMode::Server(settings)) => settings,
        Ok(HookMode::Local { config, timeout }) => {
            // Decided here, with the server's own code (service::local).
            return match crate::service::local::decide(&config, &request, timeout) {
                Ok(answer) => (if answer.accepted { HookOutcome::Accepted } else { HookOutcome::Refused }, answer.text),
                Err(error) => (HookOutcome::GateError, gate_error_text(&HookError::Local(crate::error_chain(&error)))),
            };
        }
        Err(error) => return (HookOutcome::GateError, gate_error_text(&error)),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            return (HookOutcome::GateError, format!("signoff-gate: push refused: cannot start the hook client: {error}\n"));
        }
    };
    match runtime.block_on(ask(&settings, &request)) {
        Ok(response) => {
            let outcome = if response.accepted { HookOutcome::Accepted } else { HookOutcome::Refused };
            (outcome, response.message)
        }
        Err(error) => (HookOutcome::GateError, gate_error_text(&error)),
    }
}
