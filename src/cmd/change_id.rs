//! `signoff-gate change-id REV…`: the change id an approval of each commit
//! signs (to check or make an approval by hand).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::Failure;
use crate::git::GitRepo;

/// Arguments of `change-id`.
#[derive(Debug, clap::Args)]
pub struct ChangeIdArgs {
    /// The repository (or a folder inside it) [default: the current folder]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Commits (a branch, tag or id each).
    #[arg(required = true, value_name = "COMMIT")]
    pub commits: Vec<String>,
}

/// Prints `<change id> <commit id>` for each commit.
pub fn run(args: &ChangeIdArgs) -> Result<ExitCode, Failure> {
    let repo = GitRepo::discover(&args.repo.clone().unwrap_or_else(|| ".".into()))?;
    let mut out = String::new();
    for spec in &args.commits {
        let id = repo.resolve_commit(spec)?;
        out.push_str(&format!("{} {id}\n", repo.change_id(&id)?));
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
