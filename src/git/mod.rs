//! The git edge: the only module that uses git2. It opens repositories
//! (confined to the configured roots, with a push's quarantine as an
//! alternate object directory), reads protected tips and revision syntax,
//! and has [`crate::git::history`] walk the commits that a ref update brings in
//! and turn each into plain [`CommitFacts`].
//!
//! A `git2::Repository` is `Send` but not `Sync`, and one that had an
//! alternate added must not be reused: open one per request, on a blocking
//! thread, and hand back owned data only.

mod error;
pub mod history;
mod one_place;
pub mod patch_id;

use error::git_error;
pub use error::{GitError, LargeKind};

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, RepositoryOpenFlags};

use crate::git::history::{History, Order};
use crate::policy::facts::CommitFacts;
use crate::policy::refs::{ProtectedRefs, RefUpdate, is_zero};

/// Why a revision did not resolve, in words for people rather than
/// libgit2's (`git_object_t=1`, `class=Object (11)`).
fn revision_reason(error: &git2::Error) -> String {
    match (error.code(), error.class()) {
        (git2::ErrorCode::NotFound, _) => "unknown revision: not a branch, tag or commit of this repository".to_owned(),
        (git2::ErrorCode::Ambiguous, _) if error.message().contains("too short") => {
            "unknown revision: not a branch, tag or commit of this repository".to_owned()
        }
        (git2::ErrorCode::Ambiguous, _) => "ambiguous: more than one object starts with it; give more of the id".to_owned(),
        (git2::ErrorCode::Peel, _) | (_, git2::ErrorClass::Object) if error.message().contains("peel") => {
            "names a tree or a blob, not a commit".to_owned()
        }
        (git2::ErrorCode::InvalidSpec, _) => {
            "not a revision this command understands: use `A..B`, `A...B`, `^A B`, a branch, tag or commit".to_owned()
        }
        _ => error.message().trim_end_matches('.').to_owned(),
    }
}

/// What a pushed tip is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tip {
    /// A commit, or a tag that peels to one.
    Commit(String),
    /// Some other object (a tree or blob, or a tag of one): `(kind, id)`.
    NotACommit(&'static str),
}

/// An open repository.
pub struct GitRepo {
    repo: Repository,
    /// Whether [`GitRepo::walk_revisions`] lists children before parents
    /// (as pushes are judged) instead of in `git rev-list`'s date order.
    topological: bool,
    /// The push's quarantine (also added to `repo` as an alternate).
    quarantine: Option<PathBuf>,
    /// The history reader, opened by the first walk.
    history: std::cell::OnceCell<History>,
}

/// `path` with `.` and `..` resolved lexically (no filesystem access).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Sets libgit2's process-wide options once, before the first repository
/// is opened:
///
/// - no object cache: history is read once, front to back, so a cache only
///   costs memory (libgit2's default keeps up to 256 MiB per repository);
/// - no hash check of every object read: git verified the objects when they
///   were received (`index-pack`), and `git log` does not re-check them
///   either; checking again made every commit read a SHA-1 computation.
fn configure_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::enable_caching(false);
        git2::opts::strict_hash_verification(false);
    });
}

/// The literal start of each ref pattern (up to its first glob character),
/// without prefixes that another one already covers.
fn literal_prefixes(patterns: &[String]) -> Vec<String> {
    let mut prefixes: Vec<String> =
        patterns.iter().map(|p| p.find(['*', '?', '[', '{', '\\']).map_or(p.as_str(), |glob| &p[..glob]).to_owned()).collect();
    prefixes.sort();
    prefixes.dedup_by(|later, earlier| later.starts_with(earlier.as_str()));
    prefixes
}

/// Adds the names of loose ref files under `<common>/<folder>` that start
/// with `prefix` (lock files and anything unreadable are skipped).
fn collect_loose_refs(common: &Path, folder: &str, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(common.join(folder)) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        let name = if folder.is_empty() { file_name.clone() } else { format!("{folder}/{file_name}") };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name.starts_with(prefix) || prefix.starts_with(&format!("{name}/")) {
                collect_loose_refs(common, &name, prefix, out);
            }
        } else if name.starts_with(prefix) && !file_name.ends_with(".lock") {
            out.insert(name);
        }
    }
}

/// The `(id, name)` entries of a `packed-refs` file whose names start with
/// `prefix`. git writes the file sorted (its header says `sorted`): then the
/// range is found by binary search; otherwise every line is looked at.
fn packed_refs_with_prefix<'a>(packed: &'a [u8], prefix: &str) -> Vec<(&'a str, &'a str)> {
    let entry = |line: &'a [u8]| -> Option<(&'a str, &'a str)> {
        let line = std::str::from_utf8(line).ok()?;
        let (id, name) = line.split_once(' ')?;
        (id.len() >= 40 && !line.starts_with(['#', '^'])).then_some((id, name.trim_end_matches('\r')))
    };
    let sorted = packed.starts_with(b"# pack-refs with:")
        && packed.split(|b| *b == b'\n').next().is_some_and(|header| header.split(|b| *b == b' ').any(|word| word == b"sorted"));
    // The first line start at or after `offset`.
    let line_start = |offset: usize| -> usize {
        let mut at = offset.min(packed.len());
        while at > 0 && at < packed.len() && packed[at - 1] != b'\n' {
            at += 1;
        }
        at
    };
    let line_end = |start: usize| packed[start..].iter().position(|b| *b == b'\n').map_or(packed.len(), |n| start + n);
    let mut start = 0;
    if sorted {
        // Bisect on line starts for the first entry whose name is >= prefix.
        // Entries before `low` are < prefix; the entry at `high` (if any) is not.
        let (mut low, mut high) = (0, packed.len());
        while low < high {
            let middle = line_start(low + (high - low) / 2);
            if middle >= high {
                high = low + (high - low) / 2;
                continue;
            }
            // A header or peeled (`^`) line is judged by the entry after it:
            // if that one is still before the prefix, so is everything up to it.
            let mut probe = middle;
            let mut judged = None;
            while probe < packed.len() {
                let end = line_end(probe);
                if let Some((_, name)) = entry(&packed[probe..end]) {
                    judged = Some((name < prefix, end));
                    break;
                }
                probe = end + 1;
            }
            match judged {
                Some((true, end)) => low = end + 1,
                _ => high = middle,
            }
        }
        start = line_start(low);
    }
    let mut found = Vec::new();
    for line in packed[start..].split(|b| *b == b'\n') {
        let Some((id, name)) = entry(line) else {
            continue;
        };
        if name.starts_with(prefix) {
            found.push((id, name));
        } else if sorted && name > prefix {
            break;
        }
    }
    found
}

/// Alternates git follows from one object store (git's own limit).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// Checks with `inside` every object store `objects/info/alternates` names,
/// and theirs in turn, as git would follow them.
fn check_alternates(objects: &Path, inside: &dyn Fn(&Path) -> Result<PathBuf, GitError>, depth: usize) -> Result<(), GitError> {
    let text = match std::fs::read(objects.join("info").join("alternates")) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) => return Err(GitError::NoSuchPath { path: objects.join("info").join("alternates") }),
    };
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return Err(GitError::NoSuchPath { path: PathBuf::from(String::from_utf8_lossy(line).into_owned()) });
        };
        // git unquotes a line in double quotes; a relative path is from
        // the object store that names it.
        let path = objects.join(line.trim_matches('"'));
        let alternate = inside(&path)?;
        if depth + 1 < MAX_ALTERNATE_DEPTH {
            check_alternates(&alternate, inside, depth + 1)?;
        }
    }
    Ok(())
}

fn add_alternate(repo: &Repository, objects: &Path) -> Result<(), GitError> {
    let odb = repo.odb().map_err(git_error("cannot open the object database"))?;
    odb.add_disk_alternate(&objects.to_string_lossy()).map_err(git_error(format!("cannot read the quarantine {}", objects.display())))
}

/// A commit's change as the policy asks for it (see
/// [`crate::policy::rules::ChangeSource`]), read through the walking
/// thread's own reader.
pub struct Changes<'a> {
    reader: &'a mut crate::git::history::Reader,
    /// Where ed25519 signatures are noted, to be checked together; `None`:
    /// each is checked at once.
    batch: Option<&'a mut crate::policy::batch::Batch>,
    stop: &'a Stop,
    /// When the walk started (seconds since 1970): signing times are
    /// checked against it.
    now: i64,
}

/// `work` of each of a chunk of commits, their ed25519 signatures checked
/// as one batch. When the batch fails, the chunk is judged again with each
/// signature checked on its own: a bad signature costs a second pass over
/// its chunk, never a wrong answer. Gives up with [`GitError::Stopped`]
/// once `stop` says so.
fn judge_chunk<T>(
    chunk: &mut crate::git::history::Chunk<'_>,
    stop: &Stop,
    now: i64,
    work: &impl Fn(CommitFacts, &mut Changes<'_>) -> T,
) -> Result<Vec<T>, GitError> {
    let mut batch = crate::policy::batch::Batch::default();
    let judged = judge_each(chunk, stop, |facts, reader| work(facts, &mut Changes { reader, batch: Some(&mut batch), stop, now }))?;
    if batch.verifies() {
        return Ok(judged);
    }
    tracing::debug!(signatures = batch.len(), "a batch of signatures failed; checking each on its own");
    drop(judged);
    chunk.rewind();
    judge_each(chunk, stop, |facts, reader| work(facts, &mut Changes { reader, batch: None, stop, now }))
}

/// `work` of each commit of `chunk`, until `stop` says so.
fn judge_each<T>(
    chunk: &mut crate::git::history::Chunk<'_>,
    stop: &Stop,
    mut work: impl FnMut(CommitFacts, &mut crate::git::history::Reader) -> T,
) -> Result<Vec<T>, GitError> {
    let mut judged = Vec::with_capacity(chunk.remaining());
    while let Some(facts) = chunk.next_facts() {
        if stop.now() {
            return Err(GitError::Stopped);
        }
        judged.push(work(facts?, chunk.reader()));
    }
    Ok(judged)
}

/// Now, in seconds since 1970.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl crate::policy::rules::ChangeSource for Changes<'_> {
    fn change_id(&mut self, commit: &str) -> Option<String> {
        if self.stop.now() {
            return None;
        }
        let id = Oid::from_str(commit).ok().and_then(|oid| crate::git::history::object_id(oid.as_bytes()));
        let change_id = match id {
            Some(id) => commit_change_id(self.reader, &id),
            None => Err(GitError::MissingObject { id: commit.to_owned() }),
        };
        change_id
            .map_err(|error| tracing::warn!(commit = %commit, error = %crate::error_chain(&error), "cannot compute the change id"))
            .ok()
    }

    fn now(&self) -> Option<i64> {
        Some(self.now)
    }

    fn verifies(&mut self, namespace: &str, message: &[u8], signature: &ssh_key::SshSig) -> bool {
        match &mut self.batch {
            Some(batch) => batch.note(namespace, message, signature),
            None => crate::policy::batch::verifies_now(namespace, message, signature),
        }
    }

    fn changed_files(
        &mut self,
        commit: &CommitFacts,
        lines_for: &dyn Fn(&[u8]) -> bool,
        visit: &mut dyn FnMut(&crate::policy::rules::FileChange<'_>),
    ) -> Result<(), String> {
        let id = Oid::from_str(&commit.id).ok().and_then(|oid| crate::git::history::object_id(oid.as_bytes()));
        let id = id.ok_or_else(|| format!("{} is not an object id", commit.id))?;
        self.reader.changed_files(&id, lines_for, visit, self.stop).map_err(|error| {
            tracing::warn!(commit = %commit.id, error = %crate::error_chain(&error), "cannot diff a commit for the rules");
            crate::error_chain(&error)
        })
    }
}

/// When long work must stop: a deadline, and a flag its asker sets when it
/// goes away. The walk and the judging look at it as they go, so work no
/// one waits for ends soon and gives back what it holds.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    until: Option<std::time::Instant>,
    cancelled: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Stop {
    /// Never stops.
    pub fn never() -> Stop {
        Stop::default()
    }

    /// Stops at `until`, or once `cancelled` is set.
    pub fn at(until: std::time::Instant, cancelled: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Stop {
        Stop { until: Some(until), cancelled: Some(cancelled) }
    }

    /// Whether to stop now.
    pub fn now(&self) -> bool {
        self.cancelled.as_ref().is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
            || self.until.is_some_and(|until| std::time::Instant::now() >= until)
    }
}

/// The protected refs of a repository as one push finds them (see
/// [`GitRepo::protection`]).
#[derive(Debug, Clone)]
pub struct Protection {
    patterns: ProtectedRefs,
    /// The commits the protected refs point at (not through symrefs).
    tips: Vec<Oid>,
    /// Each protected symref and the refs it leads to.
    symref_chains: Vec<Vec<String>>,
}

/// How far [`GitRepo::walk_recent`] reads.
#[derive(Debug, Clone, Copy)]
pub struct Recent {
    /// Commits dated before this (seconds since 1970) end the walk…
    pub since: i64,
    /// …once this many were read, whatever their dates: committer dates are
    /// the pusher's to set, so a few backdated commits cannot end it.
    pub at_least: usize,
    /// The most commits read.
    pub limit: usize,
}

/// What one walk of a push shares with the push's other walks.
#[derive(Debug, Clone, Copy)]
pub struct WithinPush<'a> {
    /// The protected refs, read once for the push.
    pub protection: &'a Protection,
    /// The tips the push's earlier walks started from.
    pub walked: &'a [String],
    /// When to give up.
    pub stop: &'a Stop,
    /// The notes trees whose notes the commits get (see [`GitRepo::notes_trees`]).
    pub notes: &'a [(String, crate::git::history::ObjectId)],
}

/// Symbolic links followed from one ref, as git's `SYMREF_MAXDEPTH`.
const MAX_SYMREF_DEPTH: usize = 5;

/// How many tags deep a pushed tip is peeled. Content-addressed objects
/// cannot form a cycle, so only this bounds a chain of tags on tags (what
/// `git tag` makes is one deep); a deeper one counts as a tag, not a commit.
const MAX_TAG_DEPTH: usize = 32;

/// Blobs larger than this are treated as binary when computing change ids.
pub const MAX_TEXT_DIFF_BYTES: u64 = 1 << 20;

/// The patch-id and change id of commit `id`'s change: its diff against
/// its first parent (against nothing for a root commit); `None` when it
/// changes nothing.
fn commit_digests(
    reader: &mut crate::git::history::Reader,
    id: &crate::git::history::ObjectId,
) -> Result<Option<patch_id::Digests>, GitError> {
    let (old, new) = reader.change_trees(id)?;
    let text = tree_patch(reader, old.as_ref(), &new)?;
    Ok(patch_id::digests(text.split_inclusive(|&b| b == b'\n'), patch_id::Whitespace::Verbatim))
}

/// The change id of commit `id`'s change (see [`commit_digests`]).
fn commit_change_id(reader: &mut crate::git::history::Reader, id: &crate::git::history::ObjectId) -> Result<String, GitError> {
    let (old, new) = reader.change_trees(id)?;
    tree_change_id(reader, old.as_ref(), &new)
}

/// The change id between two trees (see [`tree_patch`]).
fn tree_change_id(
    reader: &mut crate::git::history::Reader,
    old: Option<&crate::git::history::ObjectId>,
    new: &crate::git::history::ObjectId,
) -> Result<String, GitError> {
    let text = tree_patch(reader, old, new)?;
    Ok(patch_id::change_id(text.split_inclusive(|&b| b == b'\n')).unwrap_or_else(|| patch_id::EMPTY_CHANGE.to_owned()))
}

/// The diff between two trees, rendered as `git diff-tree -p --no-renames
/// --full-index` prints it (each line ending in a newline). The files come
/// from the reader; each one's lines are diffed by libgit2's xdiff (git's
/// own), from the bytes alone: no `.gitattributes` (checked out, in a
/// clone's index, global or system) can make a senior's `approve` see
/// another change than the gate sees in the bare repository, and binary
/// files are told by their content.
fn tree_patch(
    reader: &mut crate::git::history::Reader,
    old: Option<&crate::git::history::ObjectId>,
    new: &crate::git::history::ObjectId,
) -> Result<Vec<u8>, GitError> {
    let mut options = git2::DiffOptions::new();
    options.indent_heuristic(true);
    let mut text: Vec<u8> = Vec::with_capacity(4096);
    reader.file_diffs(old, new, MAX_TEXT_DIFF_BYTES, &mut |file| render_file(&mut text, file, &mut options))?;
    Ok(text)
}

/// Appends `parts` and a newline to `text`.
fn push_line(text: &mut Vec<u8>, parts: &[&[u8]]) {
    for part in parts {
        text.extend_from_slice(part);
    }
    text.push(b'\n');
}

/// Appends `index OLD..NEW` (full ids).
fn push_index(text: &mut Vec<u8>, old: &crate::git::history::ObjectId, new: &crate::git::history::ObjectId) {
    let mut hex = [0u8; 40];
    text.extend_from_slice(b"index ");
    text.extend_from_slice(old.hex_to_buf(&mut hex).as_bytes());
    text.extend_from_slice(b"..");
    text.extend_from_slice(new.hex_to_buf(&mut hex).as_bytes());
}

/// What one side of a file's change compares line by line: nothing for an
/// absent side, `None` for a blob too large to read (it counts as binary).
fn contents<'a>(side: &Option<crate::git::history::FileSide<'a>>) -> Option<&'a [u8]> {
    side.as_ref().map_or(Some(&[][..]), |s| s.text)
}

/// `prefix` and `path` as a patch header names them: quoted, as git and
/// libgit2 quote, when the path has a quote, a backslash or a byte that is
/// not printable ASCII.
fn header_path(prefix: &str, path: &[u8]) -> Vec<u8> {
    let mut whole = prefix.as_bytes().to_vec();
    whole.extend_from_slice(path);
    if !whole.iter().any(|&b| b == b'"' || b == b'\\' || !(b' '..=b'~').contains(&b)) {
        return whole;
    }
    let mut quoted = vec![b'"'];
    for &b in &whole {
        match b {
            0x07..=0x0d => quoted.extend_from_slice(&[b'\\', b"abtnvfr"[usize::from(b - 0x07)]]),
            b'"' | b'\\' => quoted.extend_from_slice(&[b'\\', b]),
            b' '..=b'~' => quoted.push(b),
            _ => quoted.extend_from_slice(format!("\\{b:03o}").as_bytes()),
        }
    }
    quoted.push(b'"');
    quoted
}

/// Appends one file's part of the patch to `text`, each line ending in a
/// newline, as libgit2 prints it (`git_diff_delta__format_file_header`),
/// but without `---`/`+++` when no hunk follows (an empty file added or
/// deleted, a binary file), as git prints it.
fn render_file(text: &mut Vec<u8>, file: &crate::git::history::FileDiff<'_>, options: &mut git2::DiffOptions) -> Result<(), GitError> {
    use std::io::Write as _;
    let zero = crate::git::history::null_id();
    let side = |side: &Option<crate::git::history::FileSide<'_>>| side.as_ref().map_or((0, zero), |s| (s.mode, s.id));
    let ((old_mode, old_id), (new_mode, new_id)) = (side(&file.old), side(&file.new));
    // As libgit2 decides it: both ids zero, or the same id on no submodule
    // (a mode of exactly 160000).
    let (old_zero, new_zero) = (old_id.is_null(), new_id.is_null());
    let submodule = |mode: u32| mode == 0o160_000;
    let unchanged = (old_zero && new_zero) || (!submodule(old_mode) && !submodule(new_mode) && old_id == new_id);
    let (a, b) = (header_path("a/", file.path), header_path("b/", file.path));
    push_line(text, &[b"diff --git ", &a, b" ", &b]);
    // Writing to a Vec cannot fail.
    if unchanged {
        if old_mode != new_mode {
            let _ = write!(text, "old mode {old_mode:o}\nnew mode {new_mode:o}\n");
        }
    } else if old_mode == new_mode {
        push_index(text, &old_id, &new_id);
        let _ = writeln!(text, " {old_mode:o}");
    } else {
        if old_mode == 0 {
            let _ = writeln!(text, "new file mode {new_mode:o}");
        } else if new_mode == 0 {
            let _ = writeln!(text, "deleted file mode {old_mode:o}");
        } else {
            let _ = write!(text, "old mode {old_mode:o}\nnew mode {new_mode:o}\n");
        }
        push_index(text, &old_id, &new_id);
        text.push(b'\n');
    }
    let old_path: &[u8] = if old_zero { b"/dev/null" } else { &a };
    let new_path: &[u8] = if new_zero { b"/dev/null" } else { &b };
    // Binary as libgit2 tells it without attributes: a side too large to
    // read, or a NUL in either side's first 8,000 bytes (an absent side,
    // or one at the zero id, reads as empty).
    let old_text = if old_zero { Some(&[][..]) } else { contents(&file.old) };
    let new_text = if new_zero { Some(&[][..]) } else { contents(&file.new) };
    let (old, new) = match (old_text, new_text) {
        (Some(old), Some(new)) if !crate::git::history::is_binary(old) && !crate::git::history::is_binary(new) => (old, new),
        _ => {
            push_line(text, &[b"Binary files ", old_path, b" and ", new_path, b" differ"]);
            return Ok(());
        }
    };
    if old == new {
        return Ok(());
    }
    // libgit2 names the files again only in a header that is not
    // `unchanged`; git, only when a hunk follows.
    let mark = text.len();
    if !unchanged {
        push_line(text, &[b"--- ", old_path]);
        push_line(text, &[b"+++ ", new_path]);
    }
    let body = text.len();
    hunks(text, old, new, options).map_err(|error| git_error(format!("cannot diff {}", String::from_utf8_lossy(file.path)))(error))?;
    if text.len() == body {
        text.truncate(mark);
    }
    Ok(())
}

/// Appends the hunks of `old` to `new` as xdiff prints them: a change in
/// one place without running a diff ([`one_place`]), any other by libgit2.
fn hunks(text: &mut Vec<u8>, old: &[u8], new: &[u8], options: &mut git2::DiffOptions) -> Result<(), git2::Error> {
    match one_place::find(old, new) {
        Some(place) => {
            place.render(text);
            Ok(())
        }
        None => hunks_by_libgit2(text, old, new, options),
    }
}

/// Appends the hunks libgit2's xdiff finds between `old` and `new`.
fn hunks_by_libgit2(text: &mut Vec<u8>, old: &[u8], new: &[u8], options: &mut git2::DiffOptions) -> Result<(), git2::Error> {
    let patch = git2::Patch::from_buffers(old, None, new, None, Some(options))?;
    for hunk in 0..patch.num_hunks() {
        let (header, count) = patch.hunk(hunk)?;
        text.extend_from_slice(header.header());
        if !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        for index in 0..count {
            let diff_line = patch.line_in_hunk(hunk, index)?;
            match diff_line.origin() {
                origin @ ('+' | '-' | ' ') => {
                    text.push(origin as u8);
                    text.extend_from_slice(diff_line.content());
                    if !text.ends_with(b"\n") {
                        text.push(b'\n');
                    }
                }
                // The end of a file without a final newline: git prints its
                // marker line, which `--verbatim` hashes.
                _ => text.extend_from_slice(b"\\ No newline at end of file\n"),
            }
        }
    }
    Ok(())
}

/// The roster the configuration names: its file, or the file at a ref of a
/// repository (`roster = "git:REPO#REF:PATH"`), whose problems are reported
/// under that name.
pub fn load_roster(config: &crate::config::Config) -> Result<crate::policy::roster::Roster, crate::config::LoadError> {
    use crate::config::LoadError;
    use crate::config::roster::RosterError;
    use crate::policy::roster::Roster;
    let Some(source) = &config.server.roster_git else {
        return Ok(Roster::load(&config.server.roster)?);
    };
    let unreadable = |reason: String| LoadError::RosterRepository { roster: source.to_string(), reason };
    let repo = GitRepo::open_exact(&source.repository).map_err(|error| unreadable(crate::error_chain(&error)))?;
    let text = repo.file_at(&source.refname, &source.path).map_err(|error| unreadable(crate::error_chain(&error)))?;
    let text = text.ok_or_else(|| unreadable(format!("{} has no file {}", source.refname, source.path)))?;
    let name = PathBuf::from(source.to_string());
    Roster::parse(&name, &String::from_utf8_lossy(&text))
        .map_err(|problems| LoadError::Roster(RosterError::Invalid { path: name, problems }))
}

/// Loads the configuration at `path` and the roster it names (a file, or
/// a file in a git repository) into the policy in force.
pub fn load_gate(path: &Path) -> Result<(crate::config::Config, crate::policy::gate::Gate), crate::config::LoadError> {
    let config = crate::config::Config::load(path)?;
    let roster = load_roster(&config)?;
    let gate = config.gate(roster).map_err(crate::config::LoadError::Mismatch)?;
    Ok((config, gate))
}

/// Canonical repository roots, ready for containment checks.
pub fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter_map(|root| root.canonicalize().ok()).collect()
}

impl GitRepo {
    /// Opens the repository at `path` for a push: the canonical path must lie
    /// under one of `roots` (already canonical), and `quarantine`, when given,
    /// must lie inside the repository's `objects/` directory; it is added as
    /// an alternate so the pushed objects can be read.
    pub fn open_for_push(path: &Path, quarantine: Option<&Path>, roots: &[PathBuf]) -> Result<GitRepo, GitError> {
        // Judge the path before touching it, so answers do not reveal what
        // exists outside the roots; then again once symlinks are resolved.
        let lexical = normalize(path);
        if !roots.iter().any(|root| lexical.starts_with(root)) {
            return Err(GitError::OutsideRoots { path: lexical });
        }
        let canonical = path.canonicalize().map_err(|_| GitError::NoSuchPath { path: path.to_owned() })?;
        if !roots.iter().any(|root| canonical.starts_with(root)) {
            return Err(GitError::OutsideRoots { path: canonical });
        }
        configure_libgit2();
        let repo = Repository::open_ext(&canonical, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|source| GitError::NotARepository { path: canonical.clone(), source })?;
        // The git dir itself must be inside the roots too (a `.git` file
        // could point elsewhere).
        let git_dir = repo.path().canonicalize().map_err(|_| GitError::NoSuchPath { path: repo.path().to_owned() })?;
        if !roots.iter().any(|root| git_dir.starts_with(root)) {
            return Err(GitError::OutsideRoots { path: git_dir });
        }
        // So must every other place git would read it from: the common dir
        // (a `commondir` file), its object store, and the alternates.
        let inside = |path: &Path| -> Result<PathBuf, GitError> {
            let canonical = path.canonicalize().map_err(|_| GitError::NoSuchPath { path: path.to_owned() })?;
            if roots.iter().any(|root| canonical.starts_with(root)) {
                Ok(canonical)
            } else {
                Err(GitError::OutsideRoots { path: canonical })
            }
        };
        let common = inside(repo.commondir())?;
        let objects = inside(&common.join("objects"))?;
        check_alternates(&objects, &inside, 0)?;
        if let Some(quarantine) = quarantine {
            let objects = git_dir.join("objects");
            let resolved = quarantine.canonicalize().unwrap_or_else(|_| quarantine.to_owned());
            if !resolved.starts_with(&objects) || resolved == objects || !resolved.is_dir() {
                return Err(GitError::QuarantineOutside { path: resolved, objects });
            }
            add_alternate(&repo, &resolved)?;
            return Ok(GitRepo::new(repo, Some(resolved)));
        }
        Ok(GitRepo::new(repo, None))
    }

    fn new(repo: Repository, quarantine: Option<PathBuf>) -> GitRepo {
        GitRepo { repo, topological: false, quarantine, history: std::cell::OnceCell::new() }
    }

    /// Makes [`GitRepo::walk_revisions`] list children before parents, as a
    /// push is judged: a signed merge must be seen before what it brings in,
    /// and rewriting history must meet every parent first.
    pub fn topological_revisions(&mut self, on: bool) {
        self.topological = on;
    }

    /// The change id of one commit (see [`patch_id`]).
    pub fn change_id(&self, id: &str) -> Result<String, GitError> {
        let oid = self.object_id(id)?;
        commit_change_id(&mut self.history()?.reader(), &oid)
    }

    /// The change id and git's patch-id of one commit's change; `None` when
    /// it changes nothing.
    pub fn change_digests(&self, id: &str) -> Result<Option<patch_id::Digests>, GitError> {
        let oid = self.object_id(id)?;
        commit_digests(&mut self.history()?.reader(), &oid)
    }

    /// The change id between two trees (for a merge about to be made: its
    /// first parent's tree and the merged tree).
    pub fn change_id_between(&self, old_tree: &str, new_tree: &str) -> Result<String, GitError> {
        let (old, new) = (self.object_id(old_tree)?, self.object_id(new_tree)?);
        tree_change_id(&mut self.history()?.reader(), Some(&old), &new)
    }

    /// Each file that differs between two trees, in git's path order, with
    /// its lines added and removed (`None`: binary, or too large to read),
    /// read from the bytes alone: what a merge about to be made changes.
    pub fn files_between(&self, old_tree: &str, new_tree: &str) -> Result<Vec<FileLines>, GitError> {
        let (old, new) = (self.object_id(old_tree)?, self.object_id(new_tree)?);
        let mut files = Vec::new();
        self.history()?.reader().file_diffs(Some(&old), &new, MAX_TEXT_DIFF_BYTES, &mut |file| {
            let lines = match (contents(&file.old), contents(&file.new)) {
                (Some(old), Some(new)) => crate::git::history::count_lines(old, new).map(|l| (l.added, l.deleted)),
                _ => None,
            };
            files.push(FileLines { path: String::from_utf8_lossy(file.path).into_owned(), lines });
            Ok(())
        })?;
        Ok(files)
    }

    /// `id` (full hex) as the history reader names objects.
    fn object_id(&self, id: &str) -> Result<crate::git::history::ObjectId, GitError> {
        Oid::from_str(id)
            .ok()
            .and_then(|oid| crate::git::history::object_id(oid.as_bytes()))
            .ok_or_else(|| GitError::MissingObject { id: id.to_owned() })
    }

    /// The history reader, opened once.
    fn history(&self) -> Result<&History, GitError> {
        if let Some(history) = self.history.get() {
            return Ok(history);
        }
        let history = History::open(self.repo.commondir(), self.quarantine.as_deref())?;
        Ok(self.history.get_or_init(|| history))
    }

    /// Opens the repository containing `dir`, as git would from there (for
    /// `check`, which runs in a working copy or a bare repository).
    pub fn discover(dir: &Path) -> Result<GitRepo, GitError> {
        configure_libgit2();
        let repo = Repository::discover(dir).map_err(|source| GitError::NotARepository { path: dir.to_owned(), source })?;
        Ok(GitRepo::new(repo, None))
    }

    /// Opens exactly the repository at `path` (its git dir, or a working
    /// copy's top folder), without searching upwards; for `install-hook`.
    pub fn open_exact(path: &Path) -> Result<GitRepo, GitError> {
        if !path.exists() {
            return Err(GitError::NoSuchPath { path: path.to_owned() });
        }
        let repo = Repository::open_ext(path, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|source| GitError::NotARepository { path: path.to_owned(), source })?;
        Ok(GitRepo::new(repo, None))
    }

    /// The git dir (for a bare repository, the repository itself).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Where git runs this repository's hooks from: `core.hooksPath` when set
    /// (relative to the git dir, as git resolves it for a bare repository;
    /// relative to the working copy otherwise), else `<git dir>/hooks`.
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let config = self.repo.config().map_err(git_error("cannot read the repository's config"))?;
        match config.get_path("core.hooksPath") {
            Ok(path) if path.is_absolute() => Ok(path),
            Ok(path) => Ok(self.repo.workdir().unwrap_or_else(|| self.repo.path()).join(path)),
            Err(_) => Ok(self.repo.path().join("hooks")),
        }
    }

    /// Sets `key` in the repository's own config file.
    pub fn set_local_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        let config = self.repo.config().map_err(git_error("cannot read the repository's config"))?;
        let mut local = config.open_level(git2::ConfigLevel::Local).map_err(git_error("cannot open the repository's config file"))?;
        local.set_str(key, value).map_err(git_error(format!("cannot set {key}")))
    }

    /// What the object `id` is: a commit (tags are peeled) or not.
    pub fn tip(&self, id: &str) -> Result<Tip, GitError> {
        let oid = Oid::from_str(id).map_err(|_| GitError::MissingObject { id: id.to_owned() })?;
        Ok(match self.peel_bounded(oid)? {
            Ok(commit) => Tip::Commit(commit.to_string()),
            Err(kind) => Tip::NotACommit(match kind {
                ObjectType::Tree => "a tree",
                ObjectType::Blob => "a blob",
                ObjectType::Tag => "a tag",
                _ => "an object",
            }),
        })
    }

    /// The commit `oid` is, or peels to through tags (`Err`: the kind it
    /// peels to instead). Each object's size is read from its header
    /// first: a commit or tag over [`history::MAX_COMMIT_BYTES`] is refused
    /// unread, as the walk refuses it (libgit2 would inflate it whole).
    fn peel_bounded(&self, mut oid: Oid) -> Result<Result<Oid, ObjectType>, GitError> {
        let odb = self.repo.odb().map_err(git_error("cannot open the object database"))?;
        for _ in 0..MAX_TAG_DEPTH {
            let (size, kind) = odb.read_header(oid).map_err(|_| GitError::MissingObject { id: oid.to_string() })?;
            let bytes = size as u64;
            if matches!(kind, ObjectType::Commit | ObjectType::Tag) && bytes > history::MAX_COMMIT_BYTES {
                let kind = if kind == ObjectType::Tag { LargeKind::Tag } else { LargeKind::Commit };
                return Err(GitError::TooLarge { kind, id: oid.to_string(), bytes, limit: history::MAX_COMMIT_BYTES });
            }
            match kind {
                ObjectType::Commit => return Ok(Ok(oid)),
                ObjectType::Tag => {
                    let tag = self.repo.find_tag(oid).map_err(|_| GitError::MissingObject { id: oid.to_string() })?;
                    oid = tag.target_id();
                }
                other => return Ok(Err(other)),
            }
        }
        Ok(Err(ObjectType::Tag))
    }

    /// Calls `visit` for each commit reachable from `new_commit` that is
    /// neither reachable from the update's old tip nor from the current tip of
    /// any protected ref, newest first in topological order. Only those few
    /// tips are hidden, never all refs: hiding every ref costs seconds on
    /// large repositories.
    pub fn walk_entering<T: Send>(
        &self,
        update: &RefUpdate,
        new_commit: &str,
        protected: &ProtectedRefs,
        work: impl Fn(CommitFacts, &mut Changes<'_>) -> T + Sync,
        visit: impl FnMut(T),
    ) -> Result<(), GitError> {
        let within = WithinPush { protection: &self.protection(protected)?, walked: &[], stop: &Stop::never(), notes: &[] };
        self.walk_entering_with(update, new_commit, &within, work, visit)
    }

    /// [`GitRepo::walk_entering`] with the protected tips read once per
    /// push, also hiding `walked`: the tips of this push's earlier updates,
    /// whose commits were judged already (a thousand refs created at one
    /// tip walk its history once).
    pub fn walk_entering_with<T: Send>(
        &self,
        update: &RefUpdate,
        new_commit: &str,
        within: &WithinPush<'_>,
        work: impl Fn(CommitFacts, &mut Changes<'_>) -> T + Sync,
        mut visit: impl FnMut(T),
    ) -> Result<(), GitError> {
        let WithinPush { protection, walked, stop, notes } = within;
        let new = Oid::from_str(new_commit).ok().and_then(|oid| crate::git::history::object_id(oid.as_bytes()));
        let new = new.ok_or_else(|| GitError::MissingObject { id: new_commit.to_owned() })?;
        let mut hidden = Vec::new();
        if !is_zero(&update.old) {
            // A missing old tip (a corrupt repository) only means more is checked.
            hidden.extend(Oid::from_str(&update.old).ok().and_then(|oid| self.peel_commit(oid)));
        }
        hidden.extend(protection.tips.iter().copied());
        hidden.extend(walked.iter().filter_map(|id| Oid::from_str(id).ok()));
        let hidden: Vec<_> = hidden.iter().filter_map(|oid| crate::git::history::object_id(oid.as_bytes())).collect();
        let history = self.history()?;
        let walk = history.walk_until(&[new], &hidden, Order::Topological, stop)?.with_notes(notes.to_vec());
        let mut stopped = false;
        let now = unix_now();
        let work = |chunk: &mut crate::git::history::Chunk<'_>| judge_chunk(chunk, stop, now, &work);
        history.drain(walk, &work, &mut |item| {
            if stop.now() {
                stopped = true;
                return ControlFlow::Break(());
            }
            visit(item);
            ControlFlow::Continue(())
        })?;
        if stopped { Err(GitError::Stopped) } else { Ok(()) }
    }

    /// How many commits a ref moving from `old` to `new` would lose: those
    /// reachable from `old` but not from `new` (0 for a fast-forward), as
    /// `git rev-list --count new..old` counts them; `None` when `old` is not
    /// a commit (nothing of its history to lose).
    pub fn dropped_commits(&self, old: &str, new: &str, stop: &Stop) -> Result<Option<usize>, GitError> {
        let Some(old) = Oid::from_str(old).ok().and_then(|oid| self.peel_commit(oid)) else { return Ok(None) };
        let new =
            Oid::from_str(new).ok().and_then(|oid| self.peel_commit(oid)).ok_or_else(|| GitError::MissingObject { id: new.to_owned() })?;
        // A fast-forward drops nothing. Asked exactly first: without a
        // commit-graph the count below stops by git's date heuristic, which
        // a child dated before its parent misleads.
        if old == new || self.repo.graph_descendant_of(new, old).unwrap_or(false) {
            return Ok(Some(0));
        }
        let id = |oid: Oid| crate::git::history::object_id(oid.as_bytes()).ok_or_else(|| GitError::MissingObject { id: oid.to_string() });
        let history = self.history()?;
        let mut count = 0;
        for item in history.walk_until(&[id(old)?], &[id(new)?], Order::Date, stop)? {
            item?;
            count += 1;
            if count % 1024 == 0 && stop.now() {
                return Err(GitError::Stopped);
            }
        }
        Ok(Some(count))
    }

    /// Calls `visit` for each commit `git rev-list SPEC…` would list, as the
    /// walk produces them (nothing is held), in git's default order, until
    /// `visit` breaks.
    pub fn walk_revisions<T: Send>(
        &self,
        specs: &[String],
        work: impl Fn(CommitFacts, &mut Changes<'_>) -> T + Sync,
        mut visit: impl FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), GitError> {
        let (mut tips, mut hidden) = (Vec::new(), Vec::new());
        for spec in specs {
            self.refuse_ambiguous(spec)?;
            let bad = |source: git2::Error| GitError::BadRevision { spec: spec.clone(), reason: revision_reason(&source) };
            if let Some(name) = spec.strip_prefix('^') {
                let commit = self.repo.revparse_single(name).and_then(|o| o.peel_to_commit()).map_err(bad)?;
                hidden.push(commit.id());
            } else if spec.contains("..") {
                let range = self.repo.revparse(spec).map_err(bad)?;
                let peel = |object: Option<&git2::Object<'_>>| -> Result<Oid, GitError> {
                    let object = object.ok_or_else(|| bad(git2::Error::from_str("incomplete range")))?;
                    object.peel_to_commit().map(|c| c.id()).map_err(bad)
                };
                let from = peel(range.from())?;
                let to = peel(range.to())?;
                if range.mode().contains(git2::RevparseMode::MERGE_BASE) {
                    // git takes the left side first (it matters for equal dates).
                    tips.push(from);
                    tips.push(to);
                    match self.repo.merge_bases(from, to) {
                        Ok(bases) => hidden.extend(bases.iter().copied()),
                        Err(error) if error.code() == git2::ErrorCode::NotFound => {}
                        Err(error) => return Err(bad(error)),
                    }
                } else {
                    tips.push(to);
                    hidden.push(from);
                }
            } else {
                let commit = self.repo.revparse_single(spec).and_then(|o| o.peel_to_commit()).map_err(bad)?;
                tips.push(commit.id());
            }
        }
        let ids = |oids: Vec<Oid>| -> Vec<_> { oids.iter().filter_map(|oid| crate::git::history::object_id(oid.as_bytes())).collect() };
        let history = self.history()?;
        // Children first must be exact: which commits a signed merge
        // approves depends on meeting every child before its parents, and
        // committer dates can be skewed on purpose. (A date-ordered walk
        // hands each commit's bytes on as it reads them.)
        let order = if self.topological { Order::Topological } else { Order::Date };
        let walk = history.walk(&ids(tips), &ids(hidden), order)?.with_notes(self.notes_trees(&[]));
        let (stop, now) = (Stop::never(), unix_now());
        let work = |chunk: &mut crate::git::history::Chunk<'_>| judge_chunk(chunk, &stop, now, &work);
        history.drain(walk, &work, &mut visit)
    }

    /// Hands `work` of the newest commits on the protected refs, in date
    /// order, to `visit`, as far as `recent` says, until `stop` says so:
    /// what was approved recently is there.
    pub fn walk_recent<T: Send>(
        &self,
        protection: &Protection,
        recent: Recent,
        stop: &Stop,
        work: impl Fn(CommitFacts, &mut Changes<'_>) -> T + Sync,
        mut visit: impl FnMut(T),
    ) -> Result<(), GitError> {
        let Recent { since, at_least, limit } = recent;
        let tips: Vec<_> = protection.tips.iter().filter_map(|oid| crate::git::history::object_id(oid.as_bytes())).collect();
        if tips.is_empty() {
            return Ok(());
        }
        let history = self.history()?;
        let walk = history.walk_until(&tips, &[], Order::Date, stop)?;
        let now = unix_now();
        let work = |facts: CommitFacts, changes: &mut Changes<'_>| (facts.committer_time, work(facts, changes));
        let work = |chunk: &mut crate::git::history::Chunk<'_>| judge_chunk(chunk, stop, now, &work);
        let mut seen = 0;
        history.drain(walk, &work, &mut |(time, item)| {
            seen += 1;
            if seen > limit || (seen > at_least && time < since) || stop.now() {
                return ControlFlow::Break(());
            }
            visit(item);
            ControlFlow::Continue(())
        })
    }

    /// The commit `oid` peels to. Whole, whatever its size: for tips the
    /// repository has (an old tip: a commit over what the gate reads must
    /// not hide a rewrite); a pushed tip is peeled by [`GitRepo::tip`].
    fn peel_commit(&self, oid: Oid) -> Option<Oid> {
        self.repo.find_object(oid, None).ok()?.peel_to_commit().ok().map(|c| c.id())
    }

    /// The trees of the notes refs detection reads, as the repository has
    /// them and as `updates` (a push) would set them: a push may bring the
    /// notes of its commits along. Notes only add markers, so both count.
    pub fn notes_trees(&self, updates: &[RefUpdate]) -> Vec<(String, crate::git::history::ObjectId)> {
        let mut trees = Vec::new();
        for notes_ref in crate::policy::notes::NOTES_REFS {
            let current =
                self.repo.find_reference(notes_ref).ok().and_then(|reference| reference.peel_to_commit().ok()).map(|c| c.tree_id());
            let pushed = updates
                .iter()
                .filter(|update| update.refname == notes_ref && !is_zero(&update.new))
                .filter_map(|update| Oid::from_str(&update.new).ok().and_then(|oid| self.peel_bounded(oid).ok()?.ok()))
                .filter_map(|oid| self.repo.find_commit(oid).ok().map(|c| c.tree_id()));
            for tree in current.into_iter().chain(pushed) {
                if let Some(id) = crate::git::history::object_id(tree.as_bytes()) {
                    if !trees.iter().any(|(name, known)| name == notes_ref && *known == id) {
                        trees.push((notes_ref.to_owned(), id));
                    }
                }
            }
        }
        trees
    }

    /// What a push needs to know about the protected refs, read once: their
    /// tips (the history already protected) and their symbolic links.
    pub fn protection(&self, protected: &ProtectedRefs) -> Result<Protection, GitError> {
        let common = self.repo.commondir().to_owned();
        let mut loose = std::collections::BTreeSet::new();
        for prefix in literal_prefixes(protected.patterns()) {
            let folder = prefix.rfind('/').map_or("", |slash| &prefix[..slash]);
            collect_loose_refs(&common, folder, &prefix, &mut loose);
        }
        // Symrefs are loose files (packed-refs holds none).
        let symref_chains = loose
            .iter()
            .filter(|name| protected.matches(name))
            .map(|name| self.symref_chain(name))
            .filter(|chain| chain.len() > 1)
            .collect();
        Ok(Protection { patterns: protected.clone(), tips: self.protected_tips(protected, &loose)?, symref_chains })
    }

    /// The names an update of `refname` moves: `refname`, the refs its
    /// symbolic links lead to, and every protected symref whose chain
    /// shares a link with them (pushing `main` moves `trunk -> main`).
    pub fn moved_names(&self, protection: &Protection, refname: &str) -> Vec<String> {
        let mut names = self.symref_chain(refname);
        for theirs in &protection.symref_chains {
            if theirs.iter().any(|link| names.contains(link)) {
                for link in theirs {
                    if !names.contains(link) {
                        names.push(link.clone());
                    }
                }
            }
        }
        names
    }

    /// Whether an update of `refname` moves a protected ref: `refname`
    /// itself is protected, or it is a symref whose chain reaches a
    /// protected ref, or a protected symref's chain reaches it (the push
    /// then moves that protected name too).
    pub fn moves_protected(&self, protection: &Protection, refname: &str) -> bool {
        let chain = self.symref_chain(refname);
        chain.iter().any(|name| protection.patterns.matches(name))
            || protection.symref_chains.iter().any(|theirs| theirs.iter().any(|link| chain.contains(link)))
    }

    /// `refname` and the refs its symbolic links lead to, in order (at
    /// most [`MAX_SYMREF_DEPTH`] links, as git allows).
    fn symref_chain(&self, refname: &str) -> Vec<String> {
        let mut chain = vec![refname.to_owned()];
        while chain.len() <= MAX_SYMREF_DEPTH {
            let Some(target) = chain
                .last()
                .and_then(|name| self.repo.find_reference(name).ok())
                .and_then(|reference| reference.symbolic_target_bytes().map(|target| String::from_utf8_lossy(target).into_owned()))
            else {
                break;
            };
            if chain.contains(&target) {
                break;
            }
            chain.push(target);
        }
        chain
    }

    /// The current commit of every protected ref.
    ///
    /// Only the refs under each pattern's literal prefix are looked at: the
    /// loose ref files below that folder, and the matching range of the
    /// sorted `packed-refs` file (found by binary search). libgit2 would
    /// parse every packed ref (and match every ref against a glob) on each
    /// push, which costs tens of milliseconds in a repository with 50,000
    /// refs.
    fn protected_tips(&self, protected: &ProtectedRefs, loose: &std::collections::BTreeSet<String>) -> Result<Vec<Oid>, GitError> {
        let common = self.repo.commondir().to_owned();
        let prefixes = literal_prefixes(protected.patterns());
        let mut tips = Vec::new();
        for name in loose.iter().filter(|name| protected.matches(name)) {
            // A protected symref's target may be any ref, written by anyone
            // who may push there: its commits are no protected history. A
            // protected target is counted under its own name.
            if let Ok(reference) = self.repo.find_reference(name) {
                if reference.kind() == Some(git2::ReferenceType::Direct) {
                    tips.extend(reference.peel_to_commit().ok().map(|c| c.id()));
                }
            }
        }
        let packed = match std::fs::read(common.join("packed-refs")) {
            Ok(packed) => packed,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => {
                return Err(GitError::Git {
                    context: "cannot read packed-refs".to_owned(),
                    source: git2::Error::from_str(&error.to_string()),
                });
            }
        };
        for prefix in &prefixes {
            for (id, name) in packed_refs_with_prefix(&packed, prefix) {
                if loose.contains(name) || !protected.matches(name) {
                    continue;
                }
                if let Some(commit) = Oid::from_str(id).ok().and_then(|oid| self.peel_commit(oid)) {
                    tips.push(commit);
                }
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }
}

#[cfg(test)]
mod change_reference;

#[cfg(test)]
mod tests {
    use super::*;

    /// A hunk header without the function name xdiff adds after it.
    fn without_function_names(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in text.split_inclusive(|&b| b == b'\n') {
            match line.strip_prefix(b"@@ ").and_then(|rest| rest.windows(3).position(|w| w == b" @@")) {
                Some(end) => {
                    out.extend_from_slice(&line[..3 + end + 3]);
                    out.push(b'\n');
                }
                None => out.extend_from_slice(line),
            }
        }
        out
    }

    #[test]
    fn a_change_in_one_place_renders_as_libgit2_renders_it() {
        // Small files from a few lines (some alike but for whitespace or a
        // carriage return, one without its newline at the end), each
        // changed at random: every
        // one the fast path takes must come out as libgit2's xdiff has it.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let lines: [&[u8]; 7] = [b"a\n", b"b\n", b"c\n", b"\n", b" a\n", b"}\n", b"a\r\n"];
        let file = |next: &mut dyn FnMut(usize) -> usize, most: usize| {
            let mut text: Vec<u8> = (0..next(most + 1)).flat_map(|_| lines[next(lines.len())].to_vec()).collect();
            if next(4) == 0 {
                text.extend_from_slice([&b"a"[..], b"d", b" a", b"\r"][next(4)]);
            }
            text
        };
        let mut options = git2::DiffOptions::new();
        options.indent_heuristic(true);
        let (mut taken, mut left) = (0, 0);
        for round in 0..20_000 {
            let most = if round % 4 == 0 { 16 } else { 7 };
            let old = file(&mut next, most);
            let new = if round % 3 == 0 {
                file(&mut next, most)
            } else {
                // The old file with one block replaced.
                let records: Vec<&[u8]> = old.split_inclusive(|&b| b == b'\n').collect();
                let start = next(records.len() + 1);
                let end = start + next(records.len() - start + 1);
                let block = file(&mut next, 3);
                let mut new: Vec<u8> = records[..start].concat();
                new.extend_from_slice(&block);
                new.extend(records[end..].concat());
                new
            };
            if old == new {
                continue;
            }
            let mut expected = Vec::new();
            hunks_by_libgit2(&mut expected, &old, &new, &mut options).expect("libgit2 diffs");
            match one_place::find(&old, &new) {
                Some(place) => {
                    let mut rendered = Vec::new();
                    place.render(&mut rendered);
                    assert_eq!(
                        String::from_utf8_lossy(&rendered),
                        String::from_utf8_lossy(&without_function_names(&expected)),
                        "old {:?}, new {:?}",
                        String::from_utf8_lossy(&old),
                        String::from_utf8_lossy(&new)
                    );
                    taken += 1;
                }
                None => left += 1,
            }
        }
        // Both ways were tried, often.
        assert!(taken > 5_000 && left > 2_000, "{taken} taken, {left} left to libgit2");
        // Blocks too large to compare line by line with every line.
        let numbered = |prefix: &str, range: std::ops::Range<usize>| -> Vec<u8> {
            range.flat_map(|n| format!("{prefix}{n}\n").into_bytes()).collect()
        };
        let frame = |middle: &[u8]| [&b"fn main() {\n"[..], middle, b"}\n"].concat();
        let (old, new) = (frame(&numbered("x", 0..100)), frame(&numbered("y", 0..100)));
        let mut expected = Vec::new();
        hunks_by_libgit2(&mut expected, &old, &new, &mut options).expect("libgit2 diffs");
        let mut rendered = Vec::new();
        one_place::find(&old, &new).expect("one place").render(&mut rendered);
        assert_eq!(rendered, without_function_names(&expected));
        let shares_one = frame(&[numbered("y", 0..99), b"x50\n".to_vec()].concat());
        assert!(one_place::find(&old, &shares_one).is_none());
    }

    /// A packed-refs file as git writes it: sorted, some tags peeled.
    fn packed(names: &[String], sorted: bool) -> Vec<u8> {
        let header = if sorted { "# pack-refs with: peeled fully-peeled sorted \n" } else { "# pack-refs with: peeled \n" };
        let mut text = header.to_owned();
        for (n, name) in names.iter().enumerate() {
            text.push_str(&format!("{:040x} {name}\n", n + 1));
            if name.starts_with("refs/tags/") && n % 2 == 0 {
                text.push_str(&format!("^{:040x}\n", n + 1000));
            }
        }
        text.into_bytes()
    }

    #[test]
    fn finds_packed_refs_by_prefix_like_a_full_scan() {
        let mut names: Vec<String> = (0..500)
            .map(|n| match n % 5 {
                0 => format!("refs/heads/feature/{n:04}"),
                1 => format!("refs/tags/v{n}"),
                2 => format!("refs/heads/release/{}", n % 37),
                3 => format!("refs/heads/release-notes/{n}"),
                _ => format!("refs/remotes/origin/r{n}"),
            })
            .collect();
        names.extend(["refs/heads/main".to_owned(), "refs/heads/master".to_owned(), "refs/heads/mainline".to_owned()]);
        names.sort();
        names.dedup();
        let prefixes = [
            "refs/heads/main",
            "refs/heads/release/",
            "refs/heads/release",
            "refs/tags/",
            "refs/",
            "refs/heads/zzz",
            "a",
            "refs/heads/feature/0400",
            "",
        ];
        for sorted in [true, false] {
            let file = packed(&names, sorted);
            for prefix in prefixes {
                let found: Vec<&str> = packed_refs_with_prefix(&file, prefix).into_iter().map(|(_, name)| name).collect();
                let expected: Vec<&str> = names.iter().map(String::as_str).filter(|name| name.starts_with(prefix)).collect();
                assert_eq!(found, expected, "prefix {prefix:?}, sorted {sorted}");
            }
        }
        assert!(packed_refs_with_prefix(b"", "refs/").is_empty());
        assert!(packed_refs_with_prefix(b"# pack-refs with: sorted \n", "refs/").is_empty());
    }

    #[test]
    fn literal_prefixes_cover_each_pattern_once() {
        let patterns = ["refs/heads/main", "refs/heads/release/*", "refs/heads/master", "refs/heads/**"].map(String::from);
        assert_eq!(literal_prefixes(&patterns), vec!["refs/heads/"]);
        let patterns = ["refs/heads/main", "refs/heads/release/*", "refs/tags/v[0-9]*"].map(String::from);
        assert_eq!(literal_prefixes(&patterns), vec!["refs/heads/main", "refs/heads/release/", "refs/tags/v"]);
    }
}

/// One file a change touches, and its lines (`(added, removed)`; `None`:
/// binary, or too large to read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLines {
    /// Its path (not valid UTF-8 shown lossily).
    pub path: String,
    /// Lines added and removed.
    pub lines: Option<(u64, u64)>,
}

/// How much a commit changes, for people deciding whether to approve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeStats {
    /// Files changed.
    pub files: usize,
    /// Lines added.
    pub insertions: usize,
    /// Lines removed.
    pub deletions: usize,
}

/// What is checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The commit HEAD points at.
    pub commit: String,
    /// The branch (`refs/heads/…`), unless HEAD is detached.
    pub branch: Option<String>,
}

impl GitRepo {
    /// A configuration value as git would read it here (repository, then
    /// global and system files), if set.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config().ok()?.get_string(key).ok().filter(|value| !value.trim().is_empty())
    }

    /// The folder commands run in: the working tree, or the git dir of a
    /// bare repository.
    pub fn work_dir(&self) -> &Path {
        self.repo.workdir().unwrap_or_else(|| self.repo.path())
    }

    /// Files and lines a commit changes against its first parent.
    /// Read from the bytes alone, as the gate reads them: no attributes
    /// file (a `* -diff` in the branch under review would make every
    /// change count no lines in the list a senior approves).
    pub fn change_stats(&self, id: &str) -> Result<ChangeStats, GitError> {
        let missing = || GitError::MissingObject { id: id.to_owned() };
        let oid = Oid::from_str(id).ok().and_then(|oid| crate::git::history::object_id(oid.as_bytes())).ok_or_else(missing)?;
        let mut reader = self.history()?.reader();
        let mut stats = ChangeStats::default();
        let mut last: Option<Vec<u8>> = None;
        let mut count = |file: &crate::policy::rules::FileChange<'_>| {
            // A change of type comes as a deletion and an addition: one file.
            if last.as_deref() != Some(file.path) {
                stats.files += 1;
                last = Some(file.path.to_vec());
            }
            if let Some(lines) = file.lines {
                stats.insertions += usize::try_from(lines.added).unwrap_or(usize::MAX);
                stats.deletions += usize::try_from(lines.deleted).unwrap_or(usize::MAX);
            }
        };
        reader.changed_files(&oid, &|_| true, &mut count, &Stop::never())?;
        Ok(stats)
    }

    /// The bytes of the file at `path` in the tree of `rev` (a ref or a
    /// commit id); `None` when the tree has no such file.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let bad = |source: git2::Error| GitError::BadRevision { spec: rev.to_owned(), reason: revision_reason(&source) };
        let commit = self.repo.revparse_single(rev).and_then(|object| object.peel_to_commit()).map_err(bad)?;
        let tree = commit.tree().map_err(git_error(format!("cannot read the tree of {rev}")))?;
        let Ok(entry) = tree.get_path(Path::new(path)) else { return Ok(None) };
        let object = entry.to_object(&self.repo).map_err(git_error(format!("cannot read {path} at {rev}")))?;
        Ok(object.as_blob().map(|blob| blob.content().to_vec()))
    }

    /// What is checked out.
    pub fn head(&self) -> Result<Head, GitError> {
        let head = self.repo.head().map_err(git_error("cannot read HEAD (nothing checked out?)"))?;
        let commit = head.peel_to_commit().map_err(git_error("HEAD is not a commit"))?.id().to_string();
        let branch = if head.is_branch() { head.name().ok().map(str::to_owned) } else { None };
        Ok(Head { commit, branch })
    }

    /// The full id of the commit `spec` names (a branch, tag, id or
    /// revision expression).
    pub fn resolve_commit(&self, spec: &str) -> Result<String, GitError> {
        self.refuse_ambiguous(spec)?;
        let bad = |source: git2::Error| GitError::BadRevision { spec: spec.to_owned(), reason: revision_reason(&source) };
        let commit = self.repo.revparse_single(spec).and_then(|o| o.peel_to_commit()).map_err(bad)?;
        Ok(commit.id().to_string())
    }

    /// Refuses a revision naming a ref that git would warn is ambiguous
    /// ("refname is ambiguous") and libgit2 takes silently: a name that more
    /// than one of git's rules (`NAME`, `refs/NAME`, `refs/tags/NAME`,
    /// `refs/heads/NAME`, `refs/remotes/NAME`, `refs/remotes/NAME/HEAD`)
    /// finds, or an id that is also a ref's name. Anyone who can push a tag
    /// can otherwise make `origin/review/x` name another commit than the
    /// branch a reviewer means, since the tag is found first.
    fn refuse_ambiguous(&self, spec: &str) -> Result<(), GitError> {
        let spec_text = spec.strip_prefix('^').unwrap_or(spec);
        for part in spec_text.split("...").flat_map(|part| part.split("..")) {
            // The name before any `~N`, `^N`, `^{…}`, `@{…}` or `:path`.
            let name = part.split(['~', '^', '@', ':']).next().unwrap_or("");
            if name.is_empty() {
                continue;
            }
            let rules = [
                name.to_owned(),
                format!("refs/{name}"),
                format!("refs/tags/{name}"),
                format!("refs/heads/{name}"),
                format!("refs/remotes/{name}"),
                format!("refs/remotes/{name}/HEAD"),
            ];
            let found: Vec<&String> = rules.iter().filter(|refname| self.repo.find_reference(refname).is_ok()).collect();
            let hex = name.len() >= 4 && name.bytes().all(|b| b.is_ascii_hexdigit());
            // An object whose id starts with the name, besides the ref.
            let also_an_id = hex
                && !found.is_empty()
                && git2::Oid::from_str(name)
                    .ok()
                    .zip(self.repo.odb().ok())
                    .is_some_and(|(oid, odb)| odb.exists_prefix(oid, name.len()).is_ok());
            if found.len() > 1 || also_an_id {
                let names: Vec<&str> = found.iter().map(|refname| refname.as_str()).collect();
                let what = if also_an_id { format!("a commit id and {}", names.join(" and ")) } else { names.join(" and ") };
                return Err(GitError::BadRevision {
                    spec: spec.to_owned(),
                    reason: format!(
                        "`{name}` is ambiguous: it names {what}; name the one you mean in full (a full ref name or a full commit id)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The remote-tracking branches at `commit`, as `(remote, branch)`
    /// (e.g. `("origin", "main")` for `refs/remotes/origin/main`).
    pub fn remote_branches_at(&self, commit: &str) -> Vec<(String, String)> {
        let Ok(references) = self.repo.references_glob("refs/remotes/*") else {
            return Vec::new();
        };
        references
            .flatten()
            .filter(|r| r.peel_to_commit().is_ok_and(|c| c.id().to_string() == commit))
            .filter_map(|r| {
                let name = r.name().ok()?.strip_prefix("refs/remotes/")?.to_owned();
                let (remote, branch) = name.split_once('/')?;
                (branch != "HEAD").then(|| (remote.to_owned(), branch.to_owned()))
            })
            .collect()
    }

    /// The raw message of a commit, as stored.
    pub fn message(&self, id: &str) -> Result<String, GitError> {
        let oid = Oid::from_str(id).map_err(|_| GitError::MissingObject { id: id.to_owned() })?;
        let commit = self.repo.find_commit(oid).map_err(|_| GitError::MissingObject { id: id.to_owned() })?;
        let not_utf8 = || GitError::BadCommit { id: id.to_owned(), reason: "its message is not UTF-8; re-commit it in UTF-8" };
        let encoding = commit.message_encoding().map_err(|_| not_utf8())?;
        if encoding.is_some_and(|e| !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8")) {
            return Err(not_utf8());
        }
        commit.message_raw().map(str::to_owned).map_err(|_| not_utf8())
    }

    /// Rewrites `commits` (each listed after all its parents that are also
    /// listed) with the new messages in `messages`, keeping each tree, author
    /// and committer; commits whose parents and message do not change are
    /// kept as they are. Moves HEAD (its branch, or itself when detached),
    /// which must be one of `commits`, to its rewritten commit; returns it.
    pub fn rewrite_messages(
        &self,
        commits: &[String],
        messages: &std::collections::HashMap<String, String>,
        reflog: &str,
    ) -> Result<String, GitError> {
        let head = self.head()?;
        if !commits.contains(&head.commit) {
            return Err(GitError::BadRevision {
                spec: "HEAD".to_owned(),
                reason: "the commits to approve must end at the checked-out commit: check out the branch, or use --print".to_owned(),
            });
        }
        let mut rewritten: std::collections::HashMap<Oid, Oid> = std::collections::HashMap::new();
        for id in commits {
            let oid = Oid::from_str(id).map_err(|_| GitError::MissingObject { id: id.clone() })?;
            let commit = self.repo.find_commit(oid).map_err(|_| GitError::MissingObject { id: id.clone() })?;
            let parents: Vec<Oid> = commit.parent_ids().map(|p| rewritten.get(&p).copied().unwrap_or(p)).collect();
            let message = messages.get(id);
            if message.is_none() && parents.iter().eq(commit.parent_ids().collect::<Vec<_>>().iter()) {
                continue;
            }
            let message = match message {
                Some(message) => message.clone(),
                None => self.message(id)?,
            };
            let context = || format!("cannot rewrite commit {id}");
            let parent_commits =
                parents.iter().map(|p| self.repo.find_commit(*p)).collect::<Result<Vec<_>, _>>().map_err(git_error(context()))?;
            let parent_refs: Vec<&git2::Commit<'_>> = parent_commits.iter().collect();
            let tree = commit.tree().map_err(git_error(context()))?;
            let new = self
                .repo
                .commit(None, &commit.author(), &commit.committer(), &message, &tree, &parent_refs)
                .map_err(git_error(context()))?;
            rewritten.insert(oid, new);
        }
        let old = Oid::from_str(&head.commit).map_err(|_| GitError::MissingObject { id: head.commit.clone() })?;
        let new = rewritten.get(&old).copied().unwrap_or(old);
        match &head.branch {
            Some(branch) => {
                // Only from the commit read above: a commit made to the
                // branch meanwhile (another terminal, an editor) is not lost.
                self.repo
                    .reference_matching(branch, new, true, old, reflog)
                    .map_err(git_error(format!("cannot update {branch} (did it move while you approved? run approve again)")))?;
            }
            None => self.repo.set_head_detached(new).map_err(git_error("cannot update HEAD"))?,
        }
        Ok(new.to_string())
    }
}
