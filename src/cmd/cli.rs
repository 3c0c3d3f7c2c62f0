//! The command line: arguments, logging set-up, and dispatch to `cmd::*`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::cmd;
use crate::cmd::approve::ApproveArgs;
use crate::cmd::change_id::ChangeIdArgs;
use crate::cmd::check::CheckArgs;
use crate::cmd::install_hook::InstallHookArgs;
use crate::cmd::report::ReportArgs;
use crate::error_chain;

/// Keeps AI-assisted commits off protected branches until a senior engineer
/// has signed off on them.
#[derive(Debug, Parser)]
#[command(name = "signoff-gate", version, about, propagate_version = true)]
pub struct Cli {
    /// The configuration file [default: config/signoff-gate.toml]
    #[arg(long, global = true, env = "SIGNOFF_GATE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// How logs are written on stderr (`RUST_LOG` filters them).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service that decides pushes.
    Serve,
    /// Run as git's pre-receive hook: forward this push to the service (used by hooks/pre-receive).
    Hook,
    /// Check commits locally with the same policy, e.g. `check origin/main..HEAD`.
    Check(CheckArgs),
    /// Sign your approval of the AI-assisted commits in a range, e.g. `approve origin/main..review/x`, or of a branch with `--merge`.
    Approve(ApproveArgs),
    /// Print the change id an approval of each commit signs.
    ChangeId(ChangeIdArgs),
    /// Who approved how much, how fast and in what bursts; AI share per week; refusals and break-glass: over the audit log, or a history with `--repo DIR RANGE`.
    Report(ReportArgs),
    /// Work with the roster.
    Roster {
        /// What to do with it.
        #[command(subcommand)]
        command: RosterCommand,
    },
    /// Work with the catalogue of AI tools.
    Tools {
        /// What to do with it.
        #[command(subcommand)]
        command: ToolsCommand,
    },
    /// Check a commit message as git's commit-msg hook: it must carry a tool's marker or declare AI use.
    CommitMsg {
        /// The message file git passes to the hook.
        file: PathBuf,
    },
    /// Install the commit-msg hook into a clone, so undeclared commits are refused at commit time.
    InstallCommitHook {
        /// The clone [default: the current directory]
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
    /// Install the pre-receive hook into bare repositories and turn on push options.
    InstallHook(InstallHookArgs),
    /// Show a real push accepted, refused, and accepted after approval, then keep serving.
    Demo,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Subcommands of `tools`.
#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// List the AI tools detection recognises (built in and configured) and by what.
    List,
}

/// Subcommands of `roster`.
#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Validate a roster: a one-line summary, or every problem with file:line:col.
    Check {
        /// The roster file [default: the one the configuration names]
        path: Option<PathBuf>,
    },
    /// List who is on the roster and who can approve.
    List {
        /// Only the engineers whose approvals count.
        #[arg(long)]
        approvers: bool,
        /// The roster file [default: the one the configuration names]
        path: Option<PathBuf>,
    },
}

/// Parses the command line, runs it, and returns the exit code. Errors are
/// printed once, with their chain.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let verbose = matches!(cli.command, Command::Serve);
    init_logging(verbose, cli.log_format);
    // A reader that goes away (`signoff-gate roster list | head -1`) makes
    // the next write to stdout panic in std: not a bug, so no report of one.
    let report_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !panic_text(info.payload()).is_some_and(is_closed_stdout) {
            report_panic(info);
        }
    }));
    // A panic is a bug; it must still end as a refusal (exit 2, like every
    // other failure), never as Rust's exit 101 that a script may not expect.
    let outcome = std::panic::catch_unwind(move || dispatch(cli));
    outcome.unwrap_or_else(|payload| {
        if !panic_text(payload.as_ref()).is_some_and(is_closed_stdout) {
            eprintln!("signoff-gate: internal error (a bug, please report it); nothing was accepted");
        }
        ExitCode::from(2)
    })
}

/// A panic's message, when it has one.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied())
}

/// Whether a panic's message is std's for a write to a closed stdout.
fn is_closed_stdout(message: &str) -> bool {
    message.starts_with("failed printing to stdout") && message.contains("Broken pipe")
}

fn dispatch(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve => cmd::serve::run(cli.config.as_deref()),
        Command::Hook => Ok(cmd::hook::run()),
        Command::Check(args) => cmd::check::run(cli.config.as_deref(), &args),
        Command::Approve(args) => cmd::approve::run(cli.config.as_deref(), &args),
        Command::ChangeId(args) => cmd::change_id::run(&args),
        Command::Report(args) => cmd::report::run(cli.config.as_deref(), &args),
        Command::Roster { command: RosterCommand::Check { path } } => cmd::roster::check(cli.config.as_deref(), path.as_deref()),
        Command::Roster { command: RosterCommand::List { approvers, path } } => {
            cmd::roster::list(cli.config.as_deref(), path.as_deref(), approvers)
        }
        Command::Tools { command: ToolsCommand::List } => cmd::tools::list(cli.config.as_deref()),
        Command::CommitMsg { file } => cmd::declare::commit_msg(cli.config.as_deref(), &file),
        Command::InstallCommitHook { repo } => cmd::declare::install(&repo),
        Command::InstallHook(args) => cmd::install_hook::run(
            &args.repos,
            &cmd::install_hook::InstallOptions { url: args.url, token_file: args.token_file, config: cli.config.clone() },
        ),
        Command::Demo => cmd::demo::run(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("signoff-gate: error: {}", error_chain(&error));
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr; `RUST_LOG` filters them. The service logs `info` by
/// default; the hook and `check` only warnings, so pushers see just the answer.
fn init_logging(verbose: bool, format: LogFormat) {
    let default = if verbose { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only on a terminal (a file or journald gets plain text), and
    // never when NO_COLOR is set.
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().flatten_event(true).try_init(),
    };
}
