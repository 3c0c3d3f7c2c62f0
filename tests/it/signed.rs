//! Signed approvals with real keys (`ssh-keygen`), real signatures and
//! real pushes: forgeries, stale and misplaced signatures, keys that do not
//! count, signed merges, and `signoff-gate approve` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{ALICE, BIN, DEV, Pushed, ROSTER, TestServer, World, code_and_output, git, run_git, sh, signoff_gate};

pub(crate) const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";
const NAMESPACE: &str = "signoff-gate-approval";

/// Makes a key pair without a passphrase; returns the private key's path.
pub(crate) fn keygen(dir: &Path, name: &str, kind: &[&str]) -> PathBuf {
    let file = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", name])
        .args(kind)
        .arg("-f")
        .arg(&file)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen {kind:?}");
    file
}

fn public(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub")).expect("public key").trim().to_owned()
}

/// A world whose roster lists SSH keys: Alice (senior, ed25519), Sam
/// (staff, ecdsa), Mia (mid, rsa), Dev (junior, ed25519), Olga (inactive
/// principal, ed25519); Eve's key is on no one's entry.
pub(crate) struct Signed {
    pub(crate) world: World,
    keys: PathBuf,
    server: Option<TestServer>,
}

impl Signed {
    fn new() -> Signed {
        Signed::with_policy("")
    }

    /// [`Signed::new`], with `extra` appended to the configuration's `[policy]`.
    pub(crate) fn with_policy(extra: &str) -> Signed {
        let world = World::with_config(extra);
        let keys = world.dir.path().join("keys");
        std::fs::create_dir(&keys).expect("keys dir");
        for (name, kind) in [
            ("alice", &["-t", "ed25519"][..]),
            ("sam", &["-t", "ecdsa", "-b", "256"][..]),
            ("mia", &["-t", "rsa", "-b", "2048"][..]),
            ("dev", &["-t", "ed25519"][..]),
            ("olga", &["-t", "ed25519"][..]),
            ("eve", &["-t", "ed25519"][..]),
        ] {
            keygen(&keys, name, kind);
        }
        let signed = Signed { world, keys, server: None };
        signed.write_roster(&["alice", "sam", "mia", "dev", "olga"]);
        signed
    }

    /// [`Signed::new`], served, with `main` seeded by a first commit.
    pub(crate) fn seeded() -> Signed {
        let mut signed = Signed::new();
        signed.serve();
        seed(&signed);
        signed
    }

    /// The running gate's address.
    pub(crate) fn address(&self) -> std::net::SocketAddr {
        let url = self.server.as_ref().expect("served").url();
        url.trim_start_matches("http://").parse().expect("an address")
    }

    pub(crate) fn key(&self, name: &str) -> PathBuf {
        self.keys.join(name)
    }

    /// Writes the roster with the keys of `with_keys` only.
    pub(crate) fn write_roster(&self, with_keys: &[&str]) {
        let mut roster = String::new();
        for block in ROSTER.split("\n[[engineer]]") {
            roster.push_str(if roster.is_empty() { "" } else { "\n[[engineer]]" });
            roster.push_str(block);
            let email = block.lines().find_map(|l| l.strip_prefix("email = \"")).map(|e| e.trim_end_matches('"'));
            if let Some(name) = email.and_then(|e| e.split('@').next()).filter(|n| with_keys.contains(n)) {
                if !roster.ends_with('\n') {
                    roster.push('\n');
                }
                roster.push_str(&format!("signing_keys = [\"{}\"]\n", public(&self.key(name))));
            }
        }
        std::fs::write(self.world.dir.path().join("roster.toml"), roster).expect("roster");
    }

    /// (Re)starts the gate with the roster as it is now.
    pub(crate) fn serve(&mut self) {
        self.server = None;
        let server = TestServer::start(&self.world.config);
        self.world.connect(&server.url(), 20);
        self.server = Some(server);
    }

    /// A clone for `who` (`("Name", "email")`), signing with `key`.
    pub(crate) fn clone_for(&self, folder: &str, who: (&str, &str), key: &Path) -> PathBuf {
        let base = self.world.dir.path();
        run_git(base, &["clone", "--quiet", self.world.bare.to_str().expect("utf-8"), folder]);
        let dir = base.join(folder);
        run_git(&dir, &["config", "user.name", who.0]);
        run_git(&dir, &["config", "user.email", who.1]);
        run_git(&dir, &["config", "user.signingkey", key.to_str().expect("utf-8")]);
        dir
    }

    /// `signoff-gate approve ARGS…` in `dir`, as the person configured there.
    pub(crate) fn approve(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        let config = self.world.config.to_string_lossy().into_owned();
        let mut all = vec!["--config", config.as_str(), "approve", "--yes"];
        all.extend_from_slice(args);
        as_configured(dir, &all)
    }

    pub(crate) fn push_from(&self, dir: &Path, refspec: &str) -> Pushed {
        Pushed::from(git(dir).args(["push", "origin", refspec]).output().expect("git push"))
    }
}

/// The binary in `dir` with git identities from that clone's config (no
/// `GIT_AUTHOR_*` from the test environment).
fn as_configured(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("SIGNOFF_GATE_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    code_and_output(&output)
}

/// git's own patch-id of a commit's change (stable, whitespace kept): the
/// reference for the gate's.
fn git_patch_id(dir: &Path, commit: &str) -> String {
    let script = format!(
        "if git rev-parse -q --verify {commit}^ >/dev/null; then git diff-tree -p --no-renames --full-index {commit}^ {commit}; \
         else git diff-tree -p --no-renames --full-index --root {commit}; fi | git patch-id --verbatim"
    );
    let output = sh(dir, &script).output().expect("sh");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or("0000000000000000000000000000000000000000").to_owned()
}

/// The change id an approval of `commit` signs, as `signoff-gate change-id`
/// prints it.
pub(crate) fn change_id(dir: &Path, commit: &str) -> String {
    let output = Command::new(BIN).current_dir(dir).args(["change-id", commit]).output().expect("change-id");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let id = text.split_whitespace().next().expect("a change id").to_owned();
    assert_eq!(id.len(), 64, "{text}");
    id
}

/// The approval lines for `commit` signed by `key` as `who`, made with the
/// real ssh-keygen over `signoff-gate change-id`, independently of `approve`.
pub(crate) fn signed_lines(dir: &Path, who: (&str, &str), key: &Path, change: &str) -> String {
    signed_lines_at(dir, who, key, change, None)
}

/// [`signed_lines`] of format v2, signed at `at` (seconds since 1970), or
/// of format v1 (no signing time) for `None`.
pub(crate) fn signed_lines_at(dir: &Path, who: (&str, &str), key: &Path, change: &str, at: Option<i64>) -> String {
    let statement = match at {
        Some(at) => format!("signoff-gate approval v2\napprover {}\nchange {change}\ntime {at}\n", who.1),
        None => format!("signoff-gate approval v1\napprover {}\nchange {change}\n", who.1),
    };
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(statement.as_bytes()).expect("statement");
    let output = child.wait_with_output().expect("signed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let armored = String::from_utf8_lossy(&output.stdout);
    let body: String = armored.lines().filter(|l| !l.starts_with("-----")).collect();
    let time = at.map(|at| format!(" time={at}\n")).unwrap_or_default();
    format!("Approved-by: {} <{}>\n change={change}\n{time} sig={body}\n", who.0, who.1)
}

/// Commits an AI-assisted change to `file` in `dir` with `message_tail`
/// after the marker; returns the id.
fn ai_commit(dir: &Path, file: &str, content: &str, subject: &str, tail: &str) -> String {
    std::fs::write(dir.join(file), content).expect("write");
    run_git(dir, &["add", file]);
    let message = format!("{subject}\n\nWritten with an assistant.\n\n{CLAUDE}\n{tail}");
    let file = dir.join(".git").join("MSG");
    std::fs::write(&file, message).expect("message");
    run_git(dir, &["commit", "--quiet", "-F", file.to_str().expect("utf-8")]);
    run_git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

pub(crate) fn seed(signed: &Signed) {
    signed.world.commit(DEV, "Initial commit\n");
    assert!(signed.world.push("HEAD:refs/heads/main").accepted);
}

#[test]
fn a_forged_trailer_is_refused_as_unsigned() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    ai_commit(work, "retry.sh", "retry\n", "Retry deploys", &format!("Approved-by: {} <{}>\n", ALICE.0, ALICE.1));
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("approval-unsigned: \"Approved-by: Alice Senior <alice@corp.example>\" is not signed"),
        "{}",
        pushed.remote
    );
    assert!(pushed.remote.contains("signoff-gate approve --merge origin/review/<topic>"), "{}", pushed.remote);
}

#[test]
fn approvals_bind_the_change_rebase_and_rewording_keep_it_a_changed_line_breaks_it() {
    let signed = Signed::seeded();
    let work = signed.world.work.clone();
    let commit = ai_commit(&work, "retry.sh", "retry 1\nretry 2\n", "Retry deploys", "");
    let change = change_id(&work, &commit);
    let lines = signed_lines(&work, ALICE, &signed.key("alice"), &change);
    // The author adds the approval lines they were sent.
    let message = format!("{}{lines}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end().to_owned() + "\n");
    std::fs::write(work.join(".git/MSG"), &message).expect("msg");
    run_git(&work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    // git keeps the folded approval as one whole trailer.
    let parsed = sh(&work, "git log -1 --format=%B | git interpret-trailers --parse").output().expect("parse");
    let parsed = String::from_utf8_lossy(&parsed.stdout).into_owned();
    let approvals: Vec<&str> = parsed.lines().filter(|l| l.starts_with("Approved-by:")).collect();
    assert_eq!(approvals.len(), 1, "{parsed}");
    assert!(approvals[0].contains(&format!("change={change} sig=")), "{parsed}");

    // Meanwhile main moves on; a clean rebase keeps the patch-id and so the approval.
    run_git(&work, &["branch", "approved"]);
    run_git(&work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    signed.world.commit(DEV, "Unrelated human change\n");
    assert!(signed.world.push("HEAD:refs/heads/main").accepted);
    run_git(&work, &["checkout", "--quiet", "approved"]);
    run_git(&work, &["rebase", "--quiet", "main"]);
    // Rewording the subject and adding a trailer keep it too.
    run_git(&work, &["commit", "--quiet", "--amend", "--no-edit", "--trailer", "Reviewed-in: standup"]);
    let after = run_git(&work, &["log", "-1", "--format=%(trailers:key=Approved-by,unfold)"]);
    assert_eq!(after.trim(), approvals[0].trim(), "rebase and amend leave the approval intact");
    // So does a cherry-pick (onto a scratch branch here).
    let approved_tip = run_git(&work, &["rev-parse", "HEAD"]).trim().to_owned();
    run_git(&work, &["checkout", "--quiet", "-b", "picked", "main"]);
    run_git(&work, &["cherry-pick", &approved_tip]);
    let picked = run_git(&work, &["log", "-1", "--format=%(trailers:key=Approved-by,unfold)"]);
    assert_eq!(picked.trim(), approvals[0].trim(), "cherry-pick leaves the approval intact");
    assert_eq!(change_id(&work, "HEAD"), change, "and the change id with it");
    run_git(&work, &["checkout", "--quiet", "approved"]);
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ok: 1 AI-assisted commit signed off"), "{}", pushed.remote);

    // The same approval on a commit whose diff differs by one line: stale.
    let tail = &lines;
    ai_commit(&work, "retry.sh", "retry 1\nretry 2\nretry 3\n", "Retry deploys", "");
    let message = format!("{}\n{tail}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end());
    std::fs::write(work.join(".git/MSG"), message).expect("msg");
    run_git(&work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("approval-stale: \"Approved-by: Alice Senior <alice@corp.example>\" was signed for another change"),
        "{}",
        pushed.remote
    );
}

#[test]
fn an_approved_commit_changed_by_one_line_after_review_is_stale() {
    let signed = Signed::seeded();
    let work = signed.world.work.clone();
    let commit = ai_commit(&work, "retry.sh", "retry\n", "Retry deploys", "");
    let lines = signed_lines(&work, ALICE, &signed.key("alice"), &change_id(&work, &commit));
    let message = format!("{}\n{lines}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end());
    std::fs::write(work.join(".git/MSG"), message).expect("msg");
    run_git(&work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    // The author changes the code after the review, keeping the message.
    std::fs::write(work.join("retry.sh"), "retry\nrm -rf /srv/env\n").expect("write");
    run_git(&work, &["commit", "--quiet", "-a", "--amend", "--no-edit"]);
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("approval-stale"), "{}", pushed.remote);

    // Whitespace is code too: moving a line out of an `if` block after review.
    run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
    let commit = ai_commit(&work, "job.py", "if dry_run:\n    delete_environment()\n", "Guard the cleanup", "");
    let lines = signed_lines(&work, ALICE, &signed.key("alice"), &change_id(&work, &commit));
    std::fs::write(work.join("job.py"), "if dry_run:\ndelete_environment()\n").expect("write");
    let message = format!("{}\n{lines}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end());
    std::fs::write(work.join(".git/MSG"), message).expect("msg");
    run_git(&work, &["commit", "--quiet", "-a", "--amend", "-F", ".git/MSG"]);
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted, "an indentation change breaks the approval");
    assert!(pushed.remote.contains("approval-stale"), "{}", pushed.remote);
}

#[test]
fn keys_that_do_not_count_are_refused() {
    let mut signed = Signed::seeded();
    let work = signed.world.work.clone();
    let cases = [
        ("eve", ALICE, "approval-key-unknown"),
        ("dev", DEV, "approver-level-too-low"),
        ("dev", ALICE, "approval-key-mismatch"),
        ("mia", ("Mia Mid", "mia@corp.example"), "approver-level-too-low"),
        ("olga", ("Olga Former", "olga@corp.example"), "approver-inactive"),
    ];
    for (key, who, code) in cases {
        run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
        let commit = ai_commit(&work, "change.txt", &format!("{key} {}\n", who.1), "AI change", "");
        let lines = signed_lines(&work, who, &signed.key(key), &change_id(&work, &commit));
        let message = format!("{}\n{lines}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end());
        std::fs::write(work.join(".git/MSG"), message).expect("msg");
        run_git(&work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
        let pushed = signed.world.push("HEAD:refs/heads/main");
        assert!(!pushed.accepted, "{key} as {who:?}");
        assert!(pushed.remote.contains(&format!("{code}: ")), "{key} as {who:?}: {}", pushed.remote);
    }

    // Sam's approval counts; after his key leaves the roster, the same push does not.
    run_git(&work, &["reset", "--quiet", "--hard", "origin/main"]);
    let commit = ai_commit(&work, "change.txt", "sam\n", "AI change", "");
    let lines = signed_lines(&work, ("Sam Staff", "sam@corp.example"), &signed.key("sam"), &change_id(&work, &commit));
    let message = format!("{}\n{lines}", run_git(&work, &["log", "-1", "--format=%B"]).trim_end());
    std::fs::write(work.join(".git/MSG"), message).expect("msg");
    run_git(&work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    signed.write_roster(&["alice", "mia", "dev", "olga"]);
    signed.serve();
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(!pushed.accepted);
    assert!(
        pushed.remote.contains("approval-key-unknown: \"Approved-by: Sam Staff <sam@corp.example>\" is signed with key SHA256:"),
        "{}",
        pushed.remote
    );
    signed.write_roster(&["alice", "sam", "mia", "dev", "olga"]);
    signed.serve();
    let pushed = signed.world.push("HEAD:refs/heads/main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// A review branch of three AI-assisted commits by Dev (and, when `own`,
/// one by Alice), pushed; returns nothing, the branch is `review/x`.
fn review_branch(signed: &Signed, own: bool) {
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    for n in 1..=3 {
        ai_commit(work, &format!("part-{n}.txt"), &format!("part {n}\n"), &format!("Part {n}"), "");
    }
    if own {
        std::fs::write(work.join("alice.txt"), "alice\n").expect("write");
        run_git(work, &["add", "alice.txt"]);
        let output = git(work)
            .args(["commit", "--quiet", "-m", &format!("Alice's part\n\n{CLAUDE}")])
            .env("GIT_AUTHOR_NAME", ALICE.0)
            .env("GIT_AUTHOR_EMAIL", ALICE.1)
            .output()
            .expect("commit");
        assert!(output.status.success());
    }
    let pushed = signed.world.push("HEAD:refs/heads/review/x");
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// Merges `origin/review/x` into main in `dir` as the configured person:
/// git-signed when `sign`, its `Approved-by` for `approver` signed with
/// `trailer_key` (over the merge's change) or typed when `None`.
fn merge_review(dir: &Path, sign: bool, approver: (&str, &str), trailer_key: Option<&Path>) {
    merge_review_at(dir, sign, approver, trailer_key, None);
}

/// [`merge_review`], committed at `date` (the merge's signing time) when given.
fn merge_review_at(dir: &Path, sign: bool, approver: (&str, &str), trailer_key: Option<&Path>, date: Option<&str>) {
    let git_here = |args: &[&str]| {
        let mut command = Command::new("git");
        command
            .current_dir(dir)
            .args(["-c", "gpg.format=ssh"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", dir);
        if let Some(date) = date {
            command.env("GIT_COMMITTER_DATE", date);
        }
        let output = command.output().expect("git");
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    git_here(&["fetch", "--quiet", "origin"]);
    git_here(&["switch", "--quiet", "--detach", "origin/main"]);
    git_here(&["merge", "--quiet", "--no-ff", "-m", "Merge review/x", "origin/review/x"]);
    // A merge's change (against its first parent) does not depend on its
    // message or signature, so it can be signed after the merge is made.
    let approval = match trailer_key {
        Some(key) => signed_lines(dir, approver, key, &change_id(dir, "HEAD")),
        None => format!("Approved-by: {} <{}>\n", approver.0, approver.1),
    };
    std::fs::write(dir.join(".git/MERGE_MSG_APPROVED"), format!("Merge review/x\n\n{approval}")).expect("message");
    let mut amend = vec!["commit", "--quiet", "--amend", "--cleanup=verbatim", "-F", ".git/MERGE_MSG_APPROVED"];
    if sign {
        amend.push("-S");
    }
    git_here(&amend);
}

#[test]
fn a_signed_merge_approves_the_branch_it_brings_in() {
    let signed = Signed::seeded();
    review_branch(&signed, false);
    let refused = |pushed: &Pushed, why: &str| {
        assert!(!pushed.accepted, "{why}");
        assert!(pushed.remote.contains("3 of 4 new commits refused"), "{why}: {}", pushed.remote);
    };

    let mia = signed.clone_for("mia", ("Mia Mid", "mia@corp.example"), &signed.key("mia"));
    merge_review(&mia, true, ("Mia Mid", "mia@corp.example"), Some(&signed.key("mia")));
    refused(&signed.push_from(&mia, "HEAD:main"), "a mid-level engineer's signed merge approves nothing");

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    merge_review(&alice, false, ALICE, Some(&signed.key("alice")));
    refused(&signed.push_from(&alice, "HEAD:main"), "a merge without git's signature approves nothing");

    // git's signature on a merge whose message someone else wrote (a senior's
    // `git rebase -r`, `git merge <tag>`) is not an approval.
    merge_review(&alice, true, ALICE, None);
    refused(&signed.push_from(&alice, "HEAD:main"), "a git-signed merge with a typed Approved-by approves nothing");

    merge_review(&alice, true, ALICE, Some(&signed.key("alice")));
    let verified = run_git(&alice, &["-c", "gpg.ssh.allowedSignersFile=/dev/null", "log", "-1", "--format=%G?"]);
    assert_ne!(verified.trim(), "N", "git sees a signature on the merge");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ok: 3 AI-assisted commits signed off"), "{}", pushed.remote);
}

/// A change id is the same wherever it is computed: `.gitattributes` that
/// make a file binary for diffs (`-diff`, `binary`) are read by git and
/// libgit2 in a clone (checked out, and from its index) but not in the
/// bare repository the gate reads, so they must not count. An approval
/// made with `approve` in such a clone is accepted at the gate.
#[test]
fn change_ids_do_not_depend_on_gitattributes_in_a_clone() {
    let signed = Signed::seeded();
    let work = signed.world.work.clone();
    std::fs::write(work.join(".gitattributes"), "*.dat -diff\n*.lock binary\n").expect("attributes");
    std::fs::write(work.join("data.dat"), "one\n").expect("write");
    std::fs::write(work.join("deps.lock"), "a = 1\n").expect("write");
    run_git(&work, &["add", "."]);
    run_git(&work, &["commit", "--quiet", "-m", "Data files"]);
    assert!(signed.world.push("HEAD:refs/heads/main").accepted);
    std::fs::write(work.join("data.dat"), "one\ntwo\n").expect("write");
    std::fs::write(work.join("deps.lock"), "a = 2\n").expect("write");
    run_git(&work, &["add", "data.dat", "deps.lock"]);
    let commit = ai_commit(&work, "notes.txt", "notes\n", "Update data", "");
    // git itself sees the change differently in the clone and in the bare repository.
    let in_clone = run_git(&work, &["diff-tree", "-p", "HEAD~", "HEAD"]);
    assert!(in_clone.contains("Binary files"), "{in_clone}");
    assert!(signed.world.push("HEAD:refs/heads/review/data").accepted);
    let in_bare = run_git(&signed.world.bare, &["diff-tree", "-p", &format!("{commit}~"), &commit]);
    assert!(!in_bare.contains("Binary files"), "{in_bare}");
    assert_eq!(change_id(&work, &commit), change_id(&signed.world.bare, &commit));

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["checkout", "--quiet", "-b", "review", "origin/review/data"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The lines listed are read from the bytes too: the clone's attributes
    // would count the two data files as binary, with no lines.
    assert!(stdout.contains("Update data  (Dev Eloper <dev@corp.example>; 3 files, +3 -1)"), "{stdout}");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// A merge's signing time is its committer date, which git's signature
/// covers: one dated in the future approves nothing.
#[test]
fn a_signed_merge_dated_in_the_future_approves_nothing() {
    let signed = Signed::seeded();
    review_branch(&signed, false);
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    let tomorrow = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() + 86_400;
    merge_review_at(&alice, true, ALICE, Some(&signed.key("alice")), Some(&format!("@{tomorrow} +0000")));
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("approval-future: \"signed merge "), "{}", pushed.remote);
    assert!(pushed.remote.contains("in the future"), "{}", pushed.remote);
    // Dated now, the same merge approves the branch.
    merge_review(&alice, true, ALICE, Some(&signed.key("alice")));
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

#[test]
fn a_signed_merge_does_not_approve_the_signers_own_commit() {
    let signed = Signed::seeded();
    review_branch(&signed, true);
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    merge_review(&alice, true, ALICE, Some(&signed.key("alice")));
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(!pushed.accepted);
    assert!(pushed.remote.contains("1 of 5 new commits refused"), "{}", pushed.remote);
    assert!(pushed.remote.contains("Alice's part"), "{}", pushed.remote);
    assert!(pushed.remote.contains("self-approval: signed merge"), "{}", pushed.remote);
}

#[test]
fn approve_rewrites_the_branch_or_merges_with_a_key_file() {
    let signed = Signed::seeded();
    review_branch(&signed, true);
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));

    // Rewriting: every AI commit of the branch gets Alice's signed approval; her own is not hers to approve.
    run_git(&alice, &["checkout", "--quiet", "-b", "review", "origin/review/x"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("total: 3 commits, 3 files changed, +3 -0"), "{stdout}");
    assert!(stdout.contains("Not yours to approve"), "{stdout}");
    assert!(stdout.contains("Now push it: git push --force-with-lease origin HEAD:review/x"), "{stdout}");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(!pushed.accepted, "Alice's own commit still needs another approver");
    assert!(pushed.remote.contains("1 of 4 new commits refused") && pushed.remote.contains("Alice's part"), "{}", pushed.remote);

    // Sam approves Alice's commit the same way; then the branch goes in.
    let sam = signed.clone_for("sam", ("Sam Staff", "sam@corp.example"), &signed.key("sam"));
    run_git(&alice, &["push", "--quiet", "--force", "origin", "HEAD:refs/heads/review/x"]);
    run_git(&sam, &["fetch", "--quiet", "origin"]);
    run_git(&sam, &["switch", "--quiet", "--detach", "origin/main"]);
    // Not on a terminal and without --yes: shown, not signed, nothing left behind.
    let config = signed.world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = as_configured(&sam, &["--config", &config, "approve", "--merge", "origin/review/x"]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("The merge changes HEAD by 4 files, +4 -0:\n  alice.txt  +1 -0\n"), "{stdout}");
    assert!(stderr.contains("add --yes"), "{stderr}");
    assert!(!git(&sam).args(["rev-parse", "-q", "--verify", "MERGE_HEAD"]).status().expect("git").success(), "a merge is left in progress");
    assert_eq!(run_git(&sam, &["rev-parse", "HEAD"]), run_git(&sam, &["rev-parse", "origin/main"]));
    let (code, stdout, stderr) = signed.approve(&sam, &["--merge", "origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("total: 1 commit,"), "{stdout}");
    assert!(stdout.contains("Also brought in, approved already (your merge approves them too):"), "{stdout}");
    assert_eq!(stdout.matches(" Part ").count(), 3, "the three Alice approved are shown: {stdout}");
    let pushed = signed.push_from(&sam, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ok: 4 AI-assisted commits signed off"), "{}", pushed.remote);
}

/// `approve --merge` checks out the branch under review and commits with
/// the senior's key at hand: hooks from that branch must not run. Here the
/// repository keeps its hooks in the work tree (`core.hooksPath`, as husky
/// and `.githooks` set-ups do), and the branch brings a `prepare-commit-msg`
/// and a `post-commit` hook, neither of which `--no-verify` skips.
#[test]
fn approve_merge_runs_no_hook_from_the_branch_it_reviews() {
    use std::os::unix::fs::PermissionsExt;
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    std::fs::create_dir(work.join(".githooks")).expect("hooks dir");
    for hook in ["prepare-commit-msg", "post-commit", "post-merge", "pre-merge-commit"] {
        let path = work.join(".githooks").join(hook);
        std::fs::write(&path, format!("#!/bin/sh\ntouch \"$(git rev-parse --show-toplevel)/ran-{hook}\"\n")).expect("hook");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    run_git(work, &["add", ".githooks"]);
    run_git(work, &["commit", "--quiet", "-m", "Add the team's hooks"]);
    ai_commit(work, "part.txt", "part\n", "Part", "");
    assert!(signed.world.push("HEAD:refs/heads/review/x").accepted);

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["config", "core.hooksPath", ".githooks"]);
    run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["--merge", "origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The merge approves every commit it brings in that the gate reads as
    // AI-assisted: the listing shows the others too, and the tip in full.
    let tip = run_git(&alice, &["rev-parse", "origin/review/x"]);
    assert!(stdout.contains(&format!("(origin/review/x at {}, not yet in HEAD)", tip.trim())), "{stdout}");
    assert!(
        stdout.contains(
            "Also brought in, not AI-assisted as read here (your merge approves them too, if the gate reads them as AI-assisted):"
        ) && stdout.contains("Add the team's hooks  (Dev Eloper <dev@corp.example>)"),
        "{stdout}"
    );
    let ran: Vec<String> = std::fs::read_dir(&alice)
        .expect("clone")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("ran-"))
        .collect();
    assert!(ran.is_empty(), "hooks from the reviewed branch ran while the senior's key was at hand: {ran:?}");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
}

/// A tag named like the remote-tracking branch a reviewer types is found
/// first (git warns "refname is ambiguous", libgit2 does not): pushed by
/// the junior at a look-alike commit, and brought in by a plain `git
/// fetch`, it would have `approve --merge origin/review/x` sign that
/// commit. Such a name is refused, and so is one in a range.
#[test]
fn approve_refuses_a_name_a_tag_makes_ambiguous() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    ai_commit(work, "retry.txt", "retry on timeout\n", "Retry deploys on timeout", "");
    assert!(signed.world.push("HEAD:refs/heads/review/x").accepted);
    run_git(work, &["checkout", "--quiet", "-b", "other", "origin/main"]);
    let look_alike = ai_commit(work, "retry.txt", "backdoor = 1\n", "Retry deploys on timeout", "");
    assert!(signed.world.push("HEAD:refs/heads/review/y").accepted);
    assert!(signed.world.push(&format!("{look_alike}:refs/tags/origin/review/x")).accepted, "tags are not protected here");

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["fetch", "--quiet", "origin"]);
    assert_eq!(run_git(&alice, &["rev-parse", "refs/tags/origin/review/x"]).trim(), look_alike, "the fetch brought the tag");
    run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);
    for args in [&["--merge", "origin/review/x"][..], &["--print", "origin/main..origin/review/x"][..]] {
        let (code, stdout, stderr) = signed.approve(&alice, args);
        assert_ne!(code, 0, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("`origin/review/x` is ambiguous: it names refs/tags/origin/review/x and refs/remotes/origin/review/x"),
            "{args:?}: {stderr}"
        );
        assert!(!stdout.contains("sig="), "{args:?}: nothing is signed: {stdout}");
    }
    // A tag named like the short id of the reviewed commit is refused too.
    let reviewed = run_git(&alice, &["rev-parse", "refs/remotes/origin/review/x"]).trim().to_owned();
    let short = &reviewed[..12];
    assert!(signed.world.push(&format!("{look_alike}:refs/tags/{short}")).accepted);
    run_git(&alice, &["fetch", "--quiet", "--tags", "origin"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["--print", &format!("origin/main..{short}")]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains(&format!("`{short}` is ambiguous: it names a commit id and refs/tags/{short}")), "{stderr}");
    assert!(!stdout.contains("sig="), "{stdout}");
    // Named in full, the branch is what gets approved.
    let (code, stdout, stderr) = signed.approve(&alice, &["--merge", "refs/remotes/origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert_eq!(run_git(&alice, &["show", "HEAD:retry.txt"]), "retry on timeout\n");
}

/// A subject of any length is listed on one line, cut: a commit cannot
/// push the rest of the listing (or the question) off the senior's screen.
#[test]
fn approve_lists_a_long_subject_cut_to_one_line() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    let subject = format!("Retry deploys {} END", "x".repeat(5_000));
    ai_commit(work, "retry.txt", "retry on timeout\n", &subject, "");
    assert!(signed.world.push("HEAD:refs/heads/review/x").accepted);
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["fetch", "--quiet", "origin"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["--print", "origin/main..origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("Retry deploys xxx"), "{all}");
    assert!(!all.contains("END"), "the subject was shown whole");
    let longest = all.lines().filter(|line| !line.contains("sig=")).map(|line| line.chars().count()).max().unwrap_or(0);
    assert!(longest < 200, "a line of {longest} characters");
}

/// `approve` reads no policy from the work tree: there, the branch under
/// review could bring a `.signoff-gate.toml` that turns a detector off (so
/// a commit the server sees as AI-assisted is not listed, yet approved by
/// the merge) or renames the approval trailer (so the senior signs a
/// `Signed-off-by:`).
#[test]
fn approve_reads_no_policy_from_the_work_tree() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    let config = std::fs::read_to_string(&signed.world.config).expect("config");
    let roster = signed.world.dir.path().join("roster.toml");
    let planted = config
        .replace("[policy]\n", "[policy]\napproval_trailer = \"Signed-off-by\"\n")
        .replace("roster = \"roster.toml\"", &format!("roster = {:?}", roster.display().to_string()));
    assert!(planted.contains("Signed-off-by") && planted != config);
    std::fs::write(work.join(".signoff-gate.toml"), planted).expect("planted config");
    run_git(work, &["add", ".signoff-gate.toml"]);
    run_git(work, &["commit", "--quiet", "-m", "Add a policy file"]);
    ai_commit(work, "part.txt", "part\n", "Part", "");
    assert!(signed.world.push("HEAD:refs/heads/review/x").accepted);

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["checkout", "--quiet", "-b", "review", "origin/review/x"]);
    let approve = |dir: &Path| as_configured(dir, &["approve", "--yes", "--print", "origin/main..HEAD"]);
    let (code, stdout, stderr) = approve(&alice);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("never from the work tree"), "{stderr}");
    assert!(!stdout.contains("sig="), "{stdout}");

    run_git(&alice, &["config", "signoff-gate.config", ".signoff-gate.toml"]);
    let (code, stdout, stderr) = approve(&alice);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("names a file in the work tree"), "{stderr}");

    // A copy outside the work tree, named by git configuration, is read.
    run_git(&alice, &["config", "signoff-gate.config", signed.world.config.to_str().expect("utf-8")]);
    let (code, stdout, stderr) = approve(&alice);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Approved-by: Alice Senior <alice@corp.example>"), "{stdout}");
    assert!(!stdout.contains("Signed-off-by: Alice"), "{stdout}");
}

/// A merge that stops on a conflict leaves nothing in progress behind
/// (no `MERGE_HEAD`, a clean work tree), so a later run starts afresh.
#[test]
fn approve_merge_leaves_no_merge_behind_when_it_fails() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    ai_commit(work, "conflict.txt", "from the branch\n", "Branch side", "");
    assert!(signed.world.push("HEAD:refs/heads/review/x").accepted);
    run_git(work, &["checkout", "--quiet", "-B", "main", "origin/main"]);
    std::fs::write(work.join("conflict.txt"), "from main\n").expect("write");
    run_git(work, &["add", "conflict.txt"]);
    run_git(work, &["commit", "--quiet", "-m", "Main side"]);
    assert!(signed.world.push("HEAD:refs/heads/main").accepted);

    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["--merge", "origin/review/x"]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("git merge failed (nothing was signed into history)"), "{stderr}");
    assert!(
        !git(&alice).args(["rev-parse", "-q", "--verify", "MERGE_HEAD"]).status().expect("git").success(),
        "a merge is left in progress"
    );
    assert_eq!(run_git(&alice, &["status", "--porcelain"]), "", "the work tree is clean");
}

#[test]
fn approve_rewrite_print_and_merge_with_the_key_in_ssh_agent() {
    let signed = Signed::seeded();
    review_branch(&signed, false);
    let socket = signed.world.dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent").arg("-D").arg("-a").arg(&socket).stdout(Stdio::null()).spawn().expect("ssh-agent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        assert!(std::time::Instant::now() < deadline, "ssh-agent did not start");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let added = Command::new("ssh-add").arg(signed.key("alice")).env("SSH_AUTH_SOCK", &socket).output().expect("ssh-add");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    // Only the public half on disk: the private key is in the agent.
    let public_only = signed.world.dir.path().join("alice-public.pub");
    std::fs::copy(signed.key("alice").with_extension("pub"), &public_only).expect("copy");
    let alice = signed.clone_for("alice", ALICE, &public_only);
    run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);
    let config = signed.world.config.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let output = Command::new(BIN)
            .current_dir(&alice)
            .args(["--config", &config, "approve", "--yes"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &alice)
            .env("SSH_AUTH_SOCK", &socket)
            .output()
            .expect("approve");
        code_and_output(&output)
    };

    // --print: the lines for the author, signed through the agent (a literal key:: too).
    let literal = format!("key::{}", public(&signed.key("alice")));
    let (code, stdout, stderr) = run(&["--key", &literal, "--print", "origin/main..origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.matches("Approved-by: Alice Senior <alice@corp.example>\n change=").count(), 3, "{stdout}");
    // Each carries its signing time (format v2), now by this clock.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let times: Vec<i64> = stdout.lines().filter_map(|l| l.strip_prefix(" time=")).map(|t| t.parse().expect("seconds")).collect();
    assert_eq!(times.len(), 3, "{stdout}");
    assert!(times.iter().all(|t| (now - 300..=now).contains(t)), "{times:?} vs {now}");

    // Rewriting through the agent: `check` sees every commit approved.
    run_git(&alice, &["checkout", "--quiet", "-b", "review", "origin/review/x"]);
    let (code, stdout, stderr) = run(&["origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = as_configured(&alice, &["--config", &config, "check", "origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("3 AI-assisted, 3 approved, 0 refused"), "{stdout}");
    run_git(&alice, &["switch", "--quiet", "--detach", "origin/main"]);

    let (code, stdout, stderr) = run(&["--merge", "origin/review/x"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Now push it: git push origin HEAD:main"), "{stdout}");
    let merge_message = run_git(&alice, &["log", "-1", "--format=%B"]);
    assert!(merge_message.contains("\n time="), "the merge's approval carries its time too: {merge_message}");
    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ok: 3 AI-assisted commits signed off"), "{}", pushed.remote);
    let _ = agent.kill();
    let _ = agent.wait();
}

#[test]
fn approve_refuses_keys_and_people_that_cannot_approve() {
    let signed = Signed::new();
    let config = signed.world.config.to_string_lossy().into_owned();
    let mia = signed.clone_for("mia", ("Mia Mid", "mia@corp.example"), &signed.key("mia"));
    let (code, _, stderr) = as_configured(&mia, &["--config", &config, "approve", "--yes", "HEAD"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Mia Mid cannot approve: approvals need an active engineer of level senior or above"), "{stderr}");
    let alice = signed.clone_for("alice", ALICE, &signed.key("eve"));
    let (code, _, stderr) = as_configured(&alice, &["--config", &config, "approve", "--yes", "HEAD"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not on the roster; ask an admin to add it to your `signing_keys`"), "{stderr}");
    let (code, _, stderr) =
        as_configured(&alice, &["--config", &config, "approve", "--yes", "--key", signed.key("sam").to_str().expect("utf-8"), "HEAD"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is listed for Sam Staff on the roster, not for you (Alice Senior)"), "{stderr}");
}

#[test]
fn change_ids_read_what_gits_patch_id_reads() {
    let world = World::new();
    let work = &world.work;
    let commits = sh(
        work,
        r#"set -e
        printf 'a\nb\nc\n' > text.txt; printf '\000\001bin' > blob.bin; : > empty.txt; git add .; git commit -q -m root
        printf 'a\nB\nc\n' > text.txt; git commit -q -am edit
        printf '\000\002bin' > blob.bin; git commit -q -am binary
        printf '\000\003bin' > blob.bin; git commit -q -am binary-again
        chmod +x text.txt; git commit -q -am mode
        git mv text.txt moved.txt; git commit -q -m rename
        git rm -q empty.txt; git commit -q -m delete-empty
        printf 'x  y\n' > ws.txt; git add ws.txt; git commit -q -m new-file
        printf 'x y \n' > ws.txt; git commit -q -am whitespace
        printf 'no newline' > nl.txt; git add nl.txt; git commit -q -m no-newline
        printf 'no newline\n' > nl.txt; git commit -q -am newline-added
        printf 'if a:\n    b()\n\nif c:\n    d()\n' > py.txt; git add py.txt; git commit -q -m slider-base
        printf 'if a:\n    b()\n\nif x:\n    y()\n\nif c:\n    d()\n' > py.txt; git commit -q -am slider
        git checkout -q -b side HEAD~3; printf 'side\n' > side.txt; git add side.txt; git commit -q -m side
        git checkout -q -; git merge -q --no-ff -m merge side
        git commit -q --allow-empty -m empty
        printf 'a\n-- 1\nb\n' > dash.txt; git add dash.txt; git commit -q -m dashes
        printf 'a\n++ 2\nb\n' > dash.txt; git commit -q -am pluses
        printf 'a\n++ 3\n@@ -1 +1 @@\ndiff --git x y\nb\n' > dash.txt; git commit -q -am headers-as-content
        printf 'a\n-- 1\nb\n' > dash.txt; git commit -q -am dashes-again
        printf 'a\n++ 4\nb\n' > dash.txt; git commit -q -am pluses-again
        git rev-list --reverse HEAD"#,
    )
    .output()
    .expect("sh");
    assert!(commits.status.success(), "{}", String::from_utf8_lossy(&commits.stderr));
    let ids: Vec<String> = String::from_utf8_lossy(&commits.stdout).lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), 21);
    let repo = signoff_gate::git::GitRepo::discover(work).expect("repo");
    for id in &ids {
        let subject = run_git(work, &["log", "-1", "--format=%s", id]);
        let ours = repo.change_digests(id).expect("digests").map(|d| d.patch_id).unwrap_or_default();
        let merge_parent = format!("{id}^1");
        let reference = if subject.trim() == "merge" {
            let output = sh(work, &format!("git diff-tree -p --no-renames --full-index {merge_parent} {id} | git patch-id --verbatim"))
                .output()
                .expect("sh");
            String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_owned()
        } else {
            git_patch_id(work, id)
        };
        let reference = if reference == "0000000000000000000000000000000000000000" { String::new() } else { reference };
        assert_eq!(ours, reference, "{}", subject.trim());
    }
    // Binary content counts: two commits that change only the binary differ.
    let binary: Vec<String> = ids[2..4].iter().map(|id| repo.change_id(id).expect("id")).collect();
    assert_ne!(binary[0], binary[1]);
    // Content that looks like patch headers is content: `-- 1` made `++ 2` changes the id.
    let dashes: Vec<String> = ids[ids.len() - 2..].iter().map(|id| repo.change_id(id).expect("id")).collect();
    assert_ne!(dashes[0], dashes[1]);
}

/// The identity point as an ed25519 key: every [s]B is a signature under it.
const SMALL_ORDER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
/// y ≥ p: no point's canonical encoding.
const NOT_A_POINT: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7///////////////////////////////////////9/";

#[test]
fn roster_check_reports_bad_keys_and_roster_list_shows_fingerprints() {
    let signed = Signed::new();
    let keys = &signed.keys;
    keygen(keys, "weak", &["-t", "rsa", "-b", "1024"]);
    let alice = public(&signed.key("alice"));
    let roster = format!(
        "[[engineer]]\nname = \"A\"\nemail = \"a@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"ssh-ed25519 AAAAnotbase64\", \"{alice}\"]\n\n\
         [[engineer]]\nname = \"B\"\nemail = \"b@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"{}\", \"{alice}\"]\n\n\
         [[engineer]]\nname = \"C\"\nemail = \"c@corp.example\"\nlevel = \"senior\"\nsigning_keys = [\"{SMALL_ORDER}\", \"{NOT_A_POINT}\"]\n",
        public(&keys.join("weak"))
    );
    let file = signed.world.dir.path().join("keys-roster.toml");
    std::fs::write(&file, roster).expect("roster");
    let config = signed.world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = signoff_gate(&signed.world.work, &["--config", &config, "roster", "check", file.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].ends_with("keys-roster.toml:5:17: signing key: not a public SSH key: Base64 encoding error: invalid Base64 encoding"),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with(
            "keys-roster.toml:11:17: signing key: an RSA key of 1024 bits is too weak; use ed25519, or RSA of at least 2048 bits"
        ),
        "{stdout}"
    );
    assert!(
        lines[2].contains("keys-roster.toml:11:")
            && lines[2].ends_with("is already listed on line 5; each key must belong to one engineer"),
        "{stdout}"
    );
    assert!(
        lines[3].ends_with(
            "keys-roster.toml:17:17: signing key: this ed25519 key is of small order: anyone can make signatures that verify under it; \
             use a key made by ssh-keygen"
        ),
        "{stdout}"
    );
    assert!(lines[4].contains("keys-roster.toml:17:") && lines[4].contains("is not a point on the curve"), "{stdout}");

    let (code, stdout, stderr) = signoff_gate(&signed.world.work, &["--config", &config, "roster", "list"]);
    assert_eq!(code, 0, "{stderr}");
    for name in ["alice", "sam", "mia"] {
        let printed = Command::new("ssh-keygen").arg("-lf").arg(signed.key(name).with_extension("pub")).output().expect("ssh-keygen -l");
        let fingerprint = String::from_utf8_lossy(&printed.stdout).split_whitespace().nth(1).expect("fingerprint").to_owned();
        assert!(fingerprint.starts_with("SHA256:"));
        assert!(stdout.contains(&fingerprint), "{name} {fingerprint}: {stdout}");
    }
}

#[test]
fn past_the_deadline_or_when_cancelled_the_decision_stops() {
    use signoff_gate::git::{GitError, Stop};
    use signoff_gate::policy::refs::RefUpdate;
    use signoff_gate::service::pre_receive::{Push, decide_until};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let mut signed = Signed::new();
    signed.serve();
    let work = &signed.world.work.clone();
    let commit = ai_commit(work, "retry.sh", "retry\n", "Retry deploys", "");
    let lines = signed_lines(work, ALICE, &signed.key("alice"), &change_id(work, &commit));
    let message = format!("{}\n{lines}", run_git(work, &["log", "-1", "--format=%B"]).trim_end());
    std::fs::write(work.join(".git/MSG"), message).expect("msg");
    run_git(work, &["commit", "--quiet", "--amend", "-F", ".git/MSG"]);
    let approved = run_git(work, &["rev-parse", "HEAD"]).trim().to_owned();
    assert!(signed.world.push("HEAD:refs/heads/topic").accepted, "an unprotected branch takes it");
    let (_, gate) = signoff_gate::git::load_gate(&signed.world.config).expect("policy");
    let roots = vec![signed.world.root.clone()];
    let push = Push {
        repository: signed.world.bare.clone(),
        quarantine: None,
        updates: vec![RefUpdate { old: "0".repeat(40), new: approved, refname: "refs/heads/main".into() }],
    };
    let decided = |stop: &Stop| decide_until(&gate, &roots, &push, stop, false, |_, _| {});
    assert!(decided(&Stop::never()).expect("decided").accepted());
    let now = std::time::Instant::now();
    let past = now.checked_sub(std::time::Duration::from_secs(1)).expect("a second ago");
    assert!(matches!(decided(&Stop::at(past, Arc::new(AtomicBool::new(false)))), Err(GitError::Stopped)));
    let later = now + std::time::Duration::from_secs(600);
    assert!(matches!(decided(&Stop::at(later, Arc::new(AtomicBool::new(true)))), Err(GitError::Stopped)));
}

#[test]
fn a_large_text_file_is_bound_by_its_blob_ids() {
    let world = World::new();
    let work = &world.work;
    let big: String = (0..40_000).map(|n| format!("line {n} of a generated file\n")).collect();
    assert!(big.len() > 1 << 20);
    std::fs::write(work.join("big.txt"), &big).expect("write");
    run_git(work, &["add", "big.txt"]);
    run_git(work, &["commit", "--quiet", "-m", "big"]);
    let mut edited = big.clone();
    edited.push_str("one more line\n");
    std::fs::write(work.join("big.txt"), &edited).expect("write");
    run_git(work, &["commit", "--quiet", "-am", "edit one"]);
    let first = change_id(work, "HEAD");
    run_git(work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    edited.push_str("and another\n");
    std::fs::write(work.join("big.txt"), &edited).expect("write");
    run_git(work, &["commit", "--quiet", "-am", "edit two"]);
    assert_ne!(first, change_id(work, "HEAD"), "any change to a large file changes the id");
}

/// git's patch-id does not hash the `diff --git` line of a file that comes
/// right after a binary one, so a file's path went unbound there: an
/// approval of a commit adding a logo and a test fixture was valid for one
/// adding the same logo and the same bytes as a trusted CA certificate.
/// The change id hashes that line; git's patch-id is left as git has it.
#[test]
fn a_file_after_a_binary_file_is_bound_by_its_path() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    let add = |files: &[(&str, &[u8])], subject: &str| {
        for (path, bytes) in files {
            let path = work.join(path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
            std::fs::write(path, bytes).expect("write");
        }
        run_git(work, &["add", "--all"]);
        let message = work.join(".git").join("MSG");
        std::fs::write(&message, format!("{subject}\n\n{CLAUDE}\n")).expect("message");
        run_git(work, &["commit", "--quiet", "-F", message.to_str().expect("utf-8")]);
        run_git(work, &["rev-parse", "HEAD"]).trim().to_owned()
    };
    let logo: &[u8] = b"\x89PNG\0\x01logo";
    let certificate: &[u8] = b"0\x82\0\x01attacker's CA";

    // What the senior reviews on the review branch: a logo and a test fixture.
    run_git(work, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    let reviewed = add(&[("docs/logo.png", logo), ("tests/fixtures/untrusted-ca.der", certificate)], "Add a logo and a fixture");
    // What is pushed to main: the same logo, and the same bytes as a trusted CA.
    run_git(work, &["checkout", "--quiet", "-B", "main", "origin/main"]);
    let pushed = add(&[("docs/logo.png", logo), ("etc/ssl/trusted/root-ca.der", certificate)], "Add a logo and a CA");
    assert_eq!(git_patch_id(work, &reviewed), git_patch_id(work, &pushed), "git's patch-id reads the two alike");
    let approved = change_id(work, &reviewed);
    assert_ne!(approved, change_id(work, &pushed), "the change id tells the paths apart");

    // The reviewed commit's approval, copied onto the other: stale.
    let lines = signed_lines(work, ALICE, &signed.key("alice"), &approved);
    let message = work.join(".git").join("MSG");
    std::fs::write(&message, format!("Add a logo and a CA\n\n{CLAUDE}\n{lines}")).expect("message");
    run_git(work, &["commit", "--quiet", "--amend", "-F", message.to_str().expect("utf-8")]);
    let refused = signed.world.push("HEAD:main");
    assert!(!refused.accepted, "{}", refused.remote);
    assert!(refused.remote.contains("approval-stale"), "{}", refused.remote);

    // On the commit it was made for, the same approval counts.
    run_git(work, &["checkout", "--quiet", "review"]);
    std::fs::write(&message, format!("Add a logo and a fixture\n\n{CLAUDE}\n{lines}")).expect("message");
    run_git(work, &["commit", "--quiet", "--amend", "-F", message.to_str().expect("utf-8")]);
    let accepted = signed.world.push("HEAD:main");
    assert!(accepted.accepted, "{}", accepted.remote);
}

/// Rewriting meets every parent before its children even where committer
/// dates are skewed and there is no commit-graph (date order would take a
/// later-dated parent first, and leave its child pointing at the old one).
#[test]
fn approve_rewrites_parents_first_under_skewed_dates() {
    let signed = Signed::seeded();
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["checkout", "--quiet", "-b", "review", "origin/main"]);
    let commit_at = |date: &str, file: &str, subject: &str| {
        std::fs::write(alice.join(file), format!("{subject}\n")).expect("write");
        run_git(&alice, &["add", file]);
        let output = git(&alice)
            .args(["commit", "--quiet", "-m", &format!("{subject}\n\n{CLAUDE}\n")])
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("commit");
        assert!(output.status.success());
        run_git(&alice, &["rev-parse", "HEAD"]).trim().to_owned()
    };
    // X is dated after its child P; the merge M has both as parents.
    let x = commit_at("2026-01-10T00:00:00Z", "x.txt", "Add x");
    let p = commit_at("2026-01-02T00:00:00Z", "p.txt", "Add p");
    let tree = run_git(&alice, &["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    let merge = git(&alice)
        .args(["commit-tree", &tree, "-p", &p, "-p", &x, "-m", &format!("Merge x\n\n{CLAUDE}\n")])
        .env("GIT_COMMITTER_DATE", "2026-01-03T00:00:00Z")
        .output()
        .expect("commit-tree");
    assert!(merge.status.success());
    run_git(&alice, &["reset", "--quiet", "--hard", String::from_utf8_lossy(&merge.stdout).trim()]);
    let (code, stdout, stderr) = signed.approve(&alice, &["origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The same three commits, each rewritten once, each approved.
    let range: Vec<String> = run_git(&alice, &["rev-list", "origin/main..HEAD"]).lines().map(str::to_owned).collect();
    assert_eq!(range.len(), 3, "{range:?}");
    let config = signed.world.config.to_string_lossy().into_owned();
    let (code, stdout, stderr) = as_configured(&alice, &["--config", &config, "check", "origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("3 AI-assisted, 3 approved, 0 refused"), "{stdout}");
}

/// Eighty approved commits are checked in batches (a chunk of the walk at
/// a time): one signature that does not verify, in the middle of a batch,
/// refuses its commit and no other; untouched, all eighty go in.
#[test]
fn one_bad_signature_among_many_refuses_its_commit_alone() {
    let signed = Signed::seeded();
    let work = &signed.world.work;
    run_git(work, &["checkout", "--quiet", "-b", "bulk", "origin/main"]);
    for n in 1..=80 {
        ai_commit(work, &format!("part-{n}.txt"), &format!("part {n}\n"), &format!("Part {n}"), "");
    }
    assert!(signed.world.push("HEAD:refs/heads/review/bulk").accepted);
    let alice = signed.clone_for("alice", ALICE, &signed.key("alice"));
    run_git(&alice, &["checkout", "--quiet", "-b", "bulk", "origin/review/bulk"]);
    let (code, stdout, stderr) = signed.approve(&alice, &["origin/main..HEAD"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("total: 80 commits"), "{stdout}");
    let approved = run_git(&alice, &["rev-parse", "HEAD"]).trim().to_owned();

    // Part 40: one base64 digit of its signature's last bytes changed (it
    // still reads as a signature by Alice's key; it no longer verifies).
    let target = run_git(&alice, &["log", "--format=%H", "--grep=^Part 40$", "HEAD"]).trim().to_owned();
    let message = run_git(&alice, &["log", "-1", "--format=%B", &target]);
    let last_sig_line = message.lines().rfind(|l| l.starts_with(' ') && !l.contains('=')).expect("a signature line").to_owned();
    let mut tampered_line = last_sig_line.clone().into_bytes();
    let at = tampered_line.len() - 5;
    tampered_line[at] = if tampered_line[at] == b'A' { b'B' } else { b'A' };
    let tampered = message.replacen(&last_sig_line, &String::from_utf8(tampered_line).expect("ascii"), 1);
    assert_ne!(tampered, message);
    let file = alice.join(".git").join("TAMPERED");
    std::fs::write(&file, tampered).expect("message");
    let filter = format!("if [ \"$GIT_COMMIT\" = {target} ]; then cat {}; else cat; fi", file.display());
    let output = git(&alice)
        .args(["filter-branch", "-f", "--msg-filter", &filter, "origin/main..HEAD"])
        .env("FILTER_BRANCH_SQUELCH_WARNING", "1")
        .output()
        .expect("filter-branch");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let part_40 = run_git(&alice, &["log", "--format=%H", "--grep=^Part 40$", "HEAD"]).trim().to_owned();
    assert_ne!(part_40, target);

    let pushed = signed.push_from(&alice, "HEAD:main");
    assert!(!pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("1 of 80 new commits refused"), "{}", pushed.remote);
    assert_eq!(pushed.remote.matches("approval-signature-invalid").count(), 1, "{}", pushed.remote);
    assert!(pushed.remote.contains(&part_40[..12]) && pushed.remote.contains("Part 40"), "{}", pushed.remote);

    let pushed = signed.push_from(&alice, &format!("{approved}:refs/heads/main"));
    assert!(pushed.accepted, "{}", pushed.remote);
    assert!(pushed.remote.contains("ok: 80 AI-assisted commits signed off"), "{}", pushed.remote);
}

/// A global attributes file (`core.attributesfile` in the gate user's or
/// a senior's `~/.gitconfig`) changes nothing either: libgit2 read it even
/// for a repository of objects alone, and `* -diff` there changed every id.
#[test]
fn change_ids_do_not_depend_on_a_global_attributes_file() {
    let world = World::new();
    let work = &world.work;
    std::fs::write(work.join("f.txt"), "a\n").expect("write");
    run_git(work, &["add", "f.txt"]);
    run_git(work, &["commit", "--quiet", "-m", "one"]);
    std::fs::write(work.join("f.txt"), "b\n").expect("write");
    run_git(work, &["commit", "--quiet", "-am", "two"]);
    let home = world.dir.path().join("home-with-attributes");
    std::fs::create_dir(&home).expect("home");
    let attributes = home.join("attributes");
    std::fs::write(&attributes, "* -diff\n").expect("attributes");
    std::fs::write(home.join(".gitconfig"), format!("[core]\n\tattributesfile = {}\n", attributes.display())).expect("gitconfig");
    let id_with_home = |home: &Path| {
        let output = Command::new(BIN).current_dir(work).args(["change-id", "HEAD"]).env("HOME", home).output().expect("change-id");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).split_whitespace().next().expect("an id").to_owned()
    };
    let plain = world.dir.path().join("plain-home");
    std::fs::create_dir(&plain).expect("home");
    assert_eq!(id_with_home(&home), id_with_home(&plain));
    assert_eq!(id_with_home(&plain), change_id(work, "HEAD"));
}
