//! `signoff-gate approve REV…`: a senior signs their approval of the
//! AI-assisted commits in a range, with their own SSH key through
//! `ssh-keygen -Y sign` (so ssh-agent and hardware keys work), and either
//! rewrites the checked-out branch with the approvals, prints them for the
//! author to add (`--print`), or makes one signed approving merge
//! (`--merge BRANCH`).

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::cmd::{Failure, find_reviewer_config};
use crate::git::{ChangeStats, FileLines, GitRepo};
use crate::policy::approval::{NAMESPACE, armored_body, folded_approval, statement_at, with_trailer_lines};
use crate::policy::gate::{CommitReport, Gate, Verdict};
use crate::policy::render::{printable, shown_subject};
use crate::policy::roster::{Engineer, SigningKey};
use crate::policy::rules::RuleScope;

/// Arguments of `approve`.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The repository (or a folder inside it) [default: the current folder]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// The SSH key to sign with: a private key file, a public key file whose
    /// private half is in ssh-agent, or `key::ssh-ed25519 AAAA…` [default: git's `user.signingkey`]
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Sign without asking (needed when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Print each commit's approval lines instead of rewriting the branch.
    #[arg(long, conflicts_with = "merge")]
    pub print: bool,
    /// Approve a whole branch with one signed merge into the checked-out commit.
    #[arg(long, value_name = "BRANCH")]
    pub merge: Option<String>,
    /// The commits, as `git rev-list` takes them: `origin/main..review/x` (not with --merge).
    #[arg(value_name = "REV", required_unless_present = "merge", conflicts_with = "merge")]
    pub revisions: Vec<String>,
}

/// A signing key as `ssh-keygen -Y sign -f` takes it.
struct Signer {
    /// The file given to `-f`.
    file: PathBuf,
    /// Whether `file` was written from a literal public key (`key::…`):
    /// then `-U` tells ssh-keygen the private half is in ssh-agent, as git does.
    literal: bool,
    /// The public key.
    public: SigningKey,
    /// How git's `user.signingkey` names it (for `git merge -S`).
    for_git: String,
    /// Keeps a literal key's scratch file alive.
    _scratch: Option<tempfile::TempDir>,
}

/// Runs `approve`. Exit 0 when approvals were made (or none were needed).
pub fn run(config: Option<&Path>, args: &ApproveArgs) -> Result<ExitCode, Failure> {
    let dir = args.repo.clone().unwrap_or_else(|| ".".into());
    let (_config, gate) = crate::git::load_gate(&find_reviewer_config(config, &dir)?)?;
    let mut repo = GitRepo::discover(&dir)?;
    repo.topological_revisions(true);

    let approver = approver(&repo, &gate)?;
    let signer = signer(&repo, args.key.as_deref())?;
    match gate.roster.engineer_by_key(&signer.public.fingerprint) {
        Some(owner) if owner.email == approver.email => {}
        Some(owner) => {
            return Err(Failure::Approve(format!(
                "key {} is listed for {} on the roster, not for you ({})",
                signer.public.fingerprint, owner.name, approver.name
            )));
        }
        None => {
            return Err(Failure::Approve(format!(
                "key {} is not on the roster; ask an admin to add it to your `signing_keys` ({})",
                signer.public.fingerprint, approver.email
            )));
        }
    }

    let head = repo.head()?;
    // The branch is read once: what is listed is what is merged, even if the
    // name moves while the senior reads the list.
    let merge_tip = args.merge.as_deref().map(|branch| repo.resolve_commit(branch)).transpose()?;
    let specs = match &merge_tip {
        Some(tip) => vec![format!("^{}", head.commit), tip.clone()],
        None => args.revisions.clone(),
    };
    let range = match (&args.merge, &merge_tip) {
        (Some(branch), Some(tip)) => format!("{branch} at {tip}, not yet in HEAD"),
        _ => specs.join(" "),
    };
    let Collected { walked, reports, approved, others } = collect(&repo, &gate, &specs)?;
    // Commits that already carry this approver's valid approval need someone else's.
    let approver_email = approver.email.to_ascii_lowercase();
    let reports: Vec<CommitReport> = reports
        .into_iter()
        .filter(|r| !r.approvals.iter().any(|a| a.valid && a.engineer.as_deref() == Some(approver_email.as_str())))
        .collect();
    let (mine, theirs): (Vec<&CommitReport>, Vec<&CommitReport>) =
        reports.iter().partition(|r| r.authors.iter().any(|a| approver.owns_email(a)));

    let mut out = std::io::stdout().lock();
    let say = |out: &mut std::io::StdoutLock<'_>, text: String| out.write_all(text.as_bytes()).map_err(Failure::io("cannot write"));
    if theirs.is_empty() {
        say(&mut out, format!("signoff-gate: nothing to approve in {range}: no AI-assisted commit needs your approval\n"))?;
        list_own(&mut out, &mine)?;
        return Ok(if mine.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    say(&mut out, format!("AI-assisted commits that need your approval ({range}):\n"))?;
    let mut total = ChangeStats::default();
    for report in &theirs {
        let stats = repo.change_stats(&report.commit.id)?;
        total.files += stats.files;
        total.insertions += stats.insertions;
        total.deletions += stats.deletions;
        say(
            &mut out,
            format!(
                "  {} {}  ({}; {} file{}, +{} -{})\n",
                report.commit.short_id(),
                shown_subject(report.commit.subject()),
                printable(&report.commit.author.to_string()),
                stats.files,
                plural(stats.files),
                stats.insertions,
                stats.deletions
            ),
        )?;
    }
    say(
        &mut out,
        format!(
            "  total: {} commit{}, {} file{} changed, +{} -{}\n",
            theirs.len(),
            plural(theirs.len()),
            total.files,
            plural(total.files),
            total.insertions,
            total.deletions
        ),
    )?;
    list_own(&mut out, &mine)?;
    if args.merge.is_some() && !approved.is_empty() {
        // A merge approves everything it brings in: show what this clone
        // counts as approved already (its roster may be older than the server's).
        say(&mut out, format!("Also brought in, approved already (your merge approves them too):\n{}", approved.concat()))?;
    }
    if args.merge.is_some() && !others.is_empty() {
        // The merge approves every commit it brings in that the gate finds
        // AI-assisted; the gate's catalogue (or notes this clone has not
        // fetched) may see more than this clone does.
        let shown = others.len().min(MAX_OTHERS_SHOWN);
        let more = others.len() - shown;
        let tail = if more > 0 { format!("  … and {more} more\n") } else { String::new() };
        say(
            &mut out,
            format!(
                "Also brought in, not AI-assisted as read here (your merge approves them too, if the gate reads them as AI-assisted):\n{}{tail}",
                others[..shown].concat()
            ),
        )?;
    }
    drop(out);

    let what = match &args.merge {
        Some(branch) => format!("a signed merge of {branch} approving {} commit{}", theirs.len(), plural(theirs.len())),
        None => format!("{} approval{}", theirs.len(), plural(theirs.len())),
    };
    let question = format!("Sign {what} as {} <{}> with {}?", approver.name, approver.email, signer.public.fingerprint);
    if args.merge.is_none() {
        confirm(args.yes, &question)?;
    }

    let pushes = push_advice(&repo, &head.commit, args.merge.is_none() && !args.print);
    if let Some(branch) = &args.merge {
        let tip = merge_tip.as_deref().unwrap_or(branch);
        // What is signed is the merged tree: shown before the question, as
        // git made it (a merge driver or an attribute can make content that
        // neither side's commits hold).
        let ask = |files: &[FileLines]| -> Result<(), Failure> {
            let mut out = std::io::stdout().lock();
            out.write_all(merge_summary(files).as_bytes()).map_err(Failure::io("cannot write"))?;
            drop(out);
            confirm(args.yes, &question)
        };
        merge(&repo, &signer, approver, branch, tip, &gate.policy.approval_trailer, &ask)?;
        let mut out = std::io::stdout().lock();
        say(
            &mut out,
            format!("signoff-gate: made a signed merge of {branch} approving {} commit{}\n", theirs.len(), plural(theirs.len())),
        )?;
        say(&mut out, format!("Now push it: {}\n", pushes.unwrap_or_else(|| push_head(&repo, false))))?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut lines: HashMap<String, String> = HashMap::new();
    for report in &theirs {
        let change = repo.change_id(&report.commit.id)?;
        // The signing time is part of what is signed (format v2).
        let now = crate::git::unix_now();
        let armored = sign(&signer, &statement_at(&approver.email, &change, now))?;
        let body =
            armored_body(&armored).ok_or_else(|| Failure::Approve("ssh-keygen printed something that is not an SSH signature".into()))?;
        let line = format!(
            "{}: {} <{}>\n{}",
            gate.policy.approval_trailer,
            approver.name,
            approver.email,
            folded_approval(&change, Some(now), &body)
        );
        lines.insert(report.commit.id.clone(), line);
    }
    let mut out = std::io::stdout().lock();
    if args.print {
        for report in &theirs {
            say(&mut out, format!("\n# {} {}\n", report.commit.short_id(), shown_subject(report.commit.subject())))?;
            say(&mut out, lines[&report.commit.id].clone())?;
        }
        say(
            &mut out,
            "\nThe author adds each block as the last trailers of its commit (git commit --amend, or git rebase -i with reword).\n".into(),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut messages = HashMap::new();
    for (id, line) in &lines {
        messages.insert(id.clone(), with_trailer_lines(&repo.message(id)?, line));
    }
    let parents_first: Vec<String> = walked.into_iter().rev().collect();
    let new_head = repo.rewrite_messages(&parents_first, &messages, "signoff-gate approve: signed approvals")?;
    say(
        &mut out,
        format!(
            "signoff-gate: added {} signed approval{}; HEAD is now {}\n",
            theirs.len(),
            plural(theirs.len()),
            crate::policy::facts::short_id(&new_head)
        ),
    )?;
    say(&mut out, format!("Now push it: {}\n", pushes.unwrap_or_else(|| push_head(&repo, true))))?;
    Ok(ExitCode::SUCCESS)
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Lists AI-assisted commits the approver wrote, which they may not approve.
fn list_own(out: &mut impl Write, mine: &[&CommitReport]) -> Result<(), Failure> {
    if mine.is_empty() {
        return Ok(());
    }
    let mut text =
        format!("Not yours to approve (you are an author; another approver must sign {}):\n", if mine.len() == 1 { "it" } else { "them" });
    for report in mine {
        text.push_str(&format!("  {} {}\n", report.commit.short_id(), shown_subject(report.commit.subject())));
    }
    out.write_all(text.as_bytes()).map_err(Failure::io("cannot write"))
}

/// Who is approving: git's `user.email` here, which must be an active
/// roster engineer of the required level.
fn approver<'g>(repo: &GitRepo, gate: &'g Gate) -> Result<&'g Engineer, Failure> {
    let email = repo
        .config_string("user.email")
        .ok_or_else(|| Failure::Approve("git's user.email is not set: set it to your address on the roster".into()))?;
    let engineer = gate
        .roster
        .engineer_by_email(&email)
        .ok_or_else(|| Failure::Approve(format!("{email} (git's user.email) is not on the roster")))?;
    if !gate.can_approve(engineer) {
        return Err(Failure::Approve(format!(
            "{} cannot approve: approvals need an active engineer of level {}",
            engineer.name,
            gate.level_phrase()
        )));
    }
    Ok(engineer)
}

/// The key to sign with: `--key`, else git's `user.signingkey`.
fn signer(repo: &GitRepo, key: Option<&str>) -> Result<Signer, Failure> {
    let named = key
        .map(str::to_owned)
        .or_else(|| repo.config_string("user.signingkey"))
        .ok_or_else(|| Failure::Approve("no signing key: pass --key PATH or set git's user.signingkey to your SSH key".into()))?;
    let literal = named.strip_prefix("key::").map(str::to_owned).or_else(|| is_public_key_text(&named).then(|| named.clone()));
    if let Some(literal) = literal {
        let public = SigningKey::parse(&literal).map_err(|why| Failure::Approve(format!("the signing key: {why}")))?;
        let scratch = tempfile::tempdir().map_err(Failure::io("cannot make a scratch folder"))?;
        let file = scratch.path().join("key.pub");
        std::fs::write(&file, format!("{literal}\n")).map_err(Failure::io("cannot write the public key"))?;
        return Ok(Signer { file, literal: true, public, for_git: format!("key::{literal}"), _scratch: Some(scratch) });
    }
    let file = expand_home(&named);
    let text = std::fs::read_to_string(&file).map_err(Failure::io(format!("cannot read the signing key {}", file.display())))?;
    if is_public_key_text(&text) {
        let public = SigningKey::parse(&text).map_err(|why| Failure::Approve(format!("{}: {why}", file.display())))?;
        return Ok(Signer { for_git: file.display().to_string(), file, literal: false, public, _scratch: None });
    }
    let public_file = PathBuf::from(format!("{}.pub", file.display()));
    let public_text = match std::fs::read_to_string(&public_file) {
        Ok(text) => text,
        Err(_) => {
            let output = Command::new("ssh-keygen")
                .arg("-y")
                .arg("-f")
                .arg(&file)
                .stderr(Stdio::inherit())
                .output()
                .map_err(Failure::io("cannot run ssh-keygen (is OpenSSH installed?)"))?;
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
    };
    let public = SigningKey::parse(&public_text).map_err(|why| Failure::Approve(format!("{}: {why}", file.display())))?;
    Ok(Signer { for_git: file.display().to_string(), file, literal: false, public, _scratch: None })
}

fn is_public_key_text(text: &str) -> bool {
    let text = text.trim_start();
    ["ssh-", "ecdsa-", "sk-"].iter().any(|prefix| text.starts_with(prefix))
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Signs `text` in the approval namespace: an armored SSH signature.
fn sign(signer: &Signer, text: &str) -> Result<String, Failure> {
    let mut command = Command::new("ssh-keygen");
    command.args(["-Y", "sign", "-n", NAMESPACE, "-f"]).arg(&signer.file);
    if signer.literal {
        command.arg("-U");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Failure::io("cannot run ssh-keygen (is OpenSSH installed?)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).map_err(Failure::io("cannot hand the statement to ssh-keygen"))?;
    }
    let output = child.wait_with_output().map_err(Failure::io("ssh-keygen failed"))?;
    if !output.status.success() {
        return Err(Failure::Approve(format!("ssh-keygen could not sign: {}", String::from_utf8_lossy(&output.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Asks on the terminal, unless `--yes`.
fn confirm(yes: bool, question: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Approve("not on a terminal: add --yes to sign without being asked".into()));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(Failure::io("cannot read the answer"))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") { Ok(()) } else { Err(Failure::Approve("not signed: you said no".into())) }
}

/// Every commit of the range (children first), the AI-assisted ones that
/// are not approved yet, and those that are, as the gate sees them here.
fn collect(repo: &GitRepo, gate: &Gate, specs: &[String]) -> Result<Collected, Failure> {
    let (mut walked, mut reports, mut approved, mut others) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    repo.walk_revisions(
        specs,
        |facts, changes| gate.evaluate_in(facts, RuleScope::ALL, changes),
        |report| {
            walked.push(report.commit.id.clone());
            if report.verdict == Verdict::Rejected && report.commit.judgeable() {
                reports.push(report);
            } else if report.verdict == Verdict::Approved {
                approved.push(format!("  {} {}\n", report.commit.short_id(), shown_subject(report.commit.subject())));
            } else if report.verdict == Verdict::NotAi {
                others.push(format!(
                    "  {} {}  ({})\n",
                    report.commit.short_id(),
                    shown_subject(report.commit.subject()),
                    printable(&report.commit.author.to_string())
                ));
            }
            ControlFlow::Continue(())
        },
    )?;
    Ok(Collected { walked, reports, approved, others })
}

/// Commits a merge brings in that are not AI-assisted here, listed at most.
const MAX_OTHERS_SHOWN: usize = 20;

/// Files of a merge's change listed at most.
const MAX_FILES_SHOWN: usize = 20;

/// What a merge about to be signed changes (against HEAD), file by file.
fn merge_summary(files: &[FileLines]) -> String {
    let (added, removed) = files.iter().filter_map(|f| f.lines).fold((0, 0), |(a, r), (fa, fr)| (a + fa, r + fr));
    let mut text = format!("The merge changes HEAD by {} file{}, +{added} -{removed}:\n", files.len(), plural(files.len()));
    for file in files.iter().take(MAX_FILES_SHOWN) {
        let lines = file.lines.map_or_else(|| "binary or too large to read".to_owned(), |(a, r)| format!("+{a} -{r}"));
        text.push_str(&format!("  {}  {lines}\n", printable(&file.path)));
    }
    if files.len() > MAX_FILES_SHOWN {
        text.push_str(&format!("  … and {} more\n", files.len() - MAX_FILES_SHOWN));
    }
    text
}

/// What `approve` found in the range.
struct Collected {
    /// Every commit, children first.
    walked: Vec<String>,
    /// The AI-assisted commits that need an approval.
    reports: Vec<CommitReport>,
    /// The AI-assisted commits already approved here, as lines to show.
    approved: Vec<String>,
    /// The other commits (not AI-assisted as read here), as lines to show.
    others: Vec<String>,
}

/// `git push origin HEAD:main` when the commit we started from is a
/// remote-tracking branch's tip (with a lease when its commits were
/// rewritten).
fn push_advice(repo: &GitRepo, start: &str, rewritten: bool) -> Option<String> {
    let (remote, branch) = repo.remote_branches_at(start).into_iter().next()?;
    let lease = if rewritten { "--force-with-lease " } else { "" };
    Some(format!("git push {lease}{remote} HEAD:{branch}"))
}

/// The push for the checked-out branch (forced with a lease when its
/// commits were rewritten), with the target marked when unknown.
fn push_head(repo: &GitRepo, rewritten: bool) -> String {
    let lease = if rewritten { "--force-with-lease " } else { "" };
    match repo.head().ok().and_then(|h| h.branch) {
        Some(branch) => format!("git push {lease}origin {}", branch.trim_start_matches("refs/heads/")),
        None => format!("git push {lease}origin HEAD:<branch>"),
    }
}

/// The signed approving merge of `tip` (named `branch` in the message) into
/// HEAD: `git merge --no-ff --no-commit`, then the merge's change (the
/// merged tree against HEAD's) is signed in the approval namespace and the
/// merge committed with `git commit -S`, its message carrying the signed
/// `Approved-by:`.
fn merge(
    repo: &GitRepo,
    signer: &Signer,
    approver: &Engineer,
    branch: &str,
    tip: &str,
    trailer: &str,
    ask: &dyn Fn(&[FileLines]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    // No hook runs: once the merge has checked out the branch under review,
    // a hooks folder in the work tree (`core.hooksPath`, as husky sets it)
    // holds that branch's hooks, and `--no-verify` skips only two of them.
    // They would run as the senior, with the signing key at hand.
    let no_hooks = tempfile::tempdir().map_err(Failure::io("cannot make an empty hooks folder"))?;
    let git = |args: &[&str]| -> Result<String, Failure> {
        let output = Command::new("git")
            .current_dir(repo.work_dir())
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!("user.signingkey={}", signer.for_git))
            .arg("-c")
            .arg(format!("core.hooksPath={}", no_hooks.path().display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(Failure::io("cannot run git"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(Failure::Approve(format!(
                "git {} failed (nothing was signed into history): {}{}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&output.stdout).trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    };
    // Whatever fails from here on (a conflict, the signing, the commit)
    // leaves no merge in progress behind.
    let abort = || {
        let _ = git(&["merge", "--abort"]);
    };
    let made = git(&["merge", "--no-ff", "--no-commit", tip]).and_then(|_| {
        let tree = git(&["write-tree"])?;
        let base = git(&["rev-parse", "HEAD^{tree}"])?;
        ask(&repo.files_between(&base, &tree)?)?;
        let change = repo.change_id_between(&base, &tree)?;
        let now = crate::git::unix_now();
        let armored = sign(signer, &statement_at(&approver.email, &change, now))?;
        let body =
            armored_body(&armored).ok_or_else(|| Failure::Approve("ssh-keygen printed something that is not an SSH signature".into()))?;
        let message = format!(
            "Merge {branch} (approved)\n\n{trailer}: {} <{}>\n{}",
            approver.name,
            approver.email,
            folded_approval(&change, Some(now), &body)
        );
        let file = tempfile::NamedTempFile::new().map_err(Failure::io("cannot write the merge message"))?;
        std::fs::write(file.path(), message).map_err(Failure::io("cannot write the merge message"))?;
        git(&["commit", "--quiet", "--no-verify", "-S", "--cleanup=verbatim", "-F", &file.path().to_string_lossy()])
    });
    if made.is_err() {
        abort();
    }
    made.map(|_| ())
}
