//! Declaration mode on the developer's side: `signoff-gate commit-msg FILE`
//! (git's commit-msg hook) refuses a commit message that neither carries a
//! tool's marker nor declares AI use either way, with the text the server
//! would give; `signoff-gate install-commit-hook` puts that hook in a
//! clone. It asks: it never writes a declaration for the developer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::{Failure, find_config};
use crate::config::Config;
use crate::git::GitRepo;
use crate::policy::facts::CommitFacts;
use crate::policy::identity::Identity;
use crate::policy::trailers;

/// The commit-msg hook this binary installs; `{bin}` is its path.
const COMMIT_MSG_HOOK: &str = "#!/bin/sh\n\
# signoff-gate: refuses a commit that does not declare whether AI helped\n\
# write it (see signoff-gate's README, \"Declaration mode\").\n\
exec '{bin}' commit-msg \"$1\"\n";

/// Checks the message in `file` (git's commit-msg hook): exit 0 when it
/// carries a tool's marker or a declaration, 1 (with the text) when not.
pub fn commit_msg(config: Option<&Path>, file: &Path) -> Result<ExitCode, Failure> {
    // Without a configuration anywhere, the built-in defaults declare.
    let config = match find_config(config, Some(Path::new("."))) {
        Ok(path) => Config::load(&path)?,
        Err(Failure::NoConfig { .. }) => Config::parse(Path::new("<defaults>"), "").map_err(Failure::Mismatch)?,
        Err(other) => return Err(other),
    };
    let text = std::fs::read(file).map_err(Failure::io(format!("cannot read the commit message {}", file.display())))?;
    // git strips comment lines after this hook runs; a comment declares nothing.
    let message: String =
        String::from_utf8_lossy(&text).lines().filter(|line| !line.starts_with('#')).map(|line| format!("{line}\n")).collect();
    let author = author_identity();
    let facts = CommitFacts { committer: author.clone(), author, message: message.clone(), ..CommitFacts::default() };
    let detection = config.detect.detect(&facts, &trailers::parse(&message));
    if !detection.markers.is_empty() || detection.declared_none {
        return Ok(ExitCode::SUCCESS);
    }
    let key = config.detect.disclosure_trailers.first().map_or("AI-Assisted", String::as_str);
    let _ = write!(
        std::io::stderr().lock(),
        "signoff-gate: commit refused: it does not say whether AI helped write it.\n\
         This repository asks every commit to, so that leaving it out is never an accident.\n\
         Add a trailer to the message, either way:\n  \
         {key}: no\n  \
         {key}: yes            (or the tool, e.g. \"{key}: Copilot\"; a senior then signs off)\n\
         e.g. git commit --trailer \"{key}: no\" …\n"
    );
    Ok(ExitCode::from(1))
}

/// The author git will record: `git var GIT_AUTHOR_IDENT`, without its date.
fn author_identity() -> Identity {
    let output = std::process::Command::new("git").args(["var", "GIT_AUTHOR_IDENT"]).output();
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    match text.rsplit_once('>').and_then(|(head, _)| head.rsplit_once('<')) {
        Some((name, email)) => Identity::new(name.trim(), email.trim()),
        None => Identity::default(),
    }
}

/// Installs the commit-msg hook into the clone at `repo` (its hooks folder,
/// `core.hooksPath` included); an existing, different hook is kept aside.
pub fn install(repo: &Path) -> Result<ExitCode, Failure> {
    let binary = std::env::current_exe()
        .and_then(|path| path.canonicalize())
        .map_err(Failure::io("cannot tell where this signoff-gate binary is"))?;
    let git = GitRepo::discover(repo)?;
    let hooks = git.hooks_dir()?;
    std::fs::create_dir_all(&hooks).map_err(Failure::io(format!("cannot create {}", hooks.display())))?;
    let hook = hooks.join("commit-msg");
    let script = COMMIT_MSG_HOOK.replace("{bin}", &binary.display().to_string().replace('\'', "'\\''"));
    let mut stdout = std::io::stdout().lock();
    match std::fs::read(&hook) {
        Ok(existing) if existing == script.as_bytes() => {
            let _ = writeln!(stdout, "{} is already the signoff-gate commit-msg hook", hook.display());
            return Ok(ExitCode::SUCCESS);
        }
        Ok(_) => {
            let kept = PathBuf::from(format!("{}.before-signoff-gate", hook.display()));
            std::fs::rename(&hook, &kept).map_err(Failure::io(format!("cannot move the existing {} aside", hook.display())))?;
            let _ = writeln!(stdout, "kept the existing commit-msg hook as {}; it no longer runs", kept.display());
        }
        Err(_) => {}
    }
    std::fs::write(&hook, script).map_err(Failure::io(format!("cannot write {}", hook.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .map_err(Failure::io(format!("cannot make {} executable", hook.display())))?;
    }
    let _ = writeln!(stdout, "installed {}: commits must now declare whether AI helped write them", hook.display());
    Ok(ExitCode::SUCCESS)
}
