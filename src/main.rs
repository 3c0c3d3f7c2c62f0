//! The `signoff-gate` binary: parse the command line, run, map to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    signoff_gate::cmd::cli::run()
}
