//! `signoff-gate hook`: git's pre-receive hook client. Always answers with an
//! exit code (0 accepted, 1 refused, 2 gate error); never lets a push through
//! because something failed.

use std::io::Write;
use std::process::ExitCode;

use crate::hook::{HookOutcome, ask, gate_error_text, gather, settings_from_env};

/// Reads the push from stdin and the environment, asks the server, prints
/// its answer on stderr (git shows it as `remote:` lines).
pub fn run() -> ExitCode {
    let outcome = decide();
    ExitCode::from(outcome.code())
}

fn decide() -> HookOutcome {
    let settings = settings_from_env();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut stderr = std::io::stderr().lock();
    let request = match gather(std::io::stdin().lock(), |name| std::env::var(name).ok(), &cwd) {
        Ok(request) => request,
        Err(error) => {
            let _ = stderr.write_all(gate_error_text(&error).as_bytes());
            return HookOutcome::GateError;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(stderr, "signoff-gate: push refused: cannot start the hook client: {error}");
            return HookOutcome::GateError;
        }
    };
    match runtime.block_on(ask(&settings, &request)) {
        Ok(response) => {
            let _ = stderr.write_all(response.message.as_bytes());
            if response.accepted { HookOutcome::Accepted } else { HookOutcome::Refused }
        }
        Err(error) => {
            let _ = stderr.write_all(gate_error_text(&error).as_bytes());
            HookOutcome::GateError
        }
    }
}
