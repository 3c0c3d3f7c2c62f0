//! The git edge: the only module that uses git2. It opens repositories
//! (confined to the configured roots, with a push's quarantine as an
//! alternate object directory), walks the commits that a ref update brings
//! in, and turns each into plain [`CommitFacts`].
//!
//! A `git2::Repository` is `Send` but not `Sync`, and one that had an
//! alternate added must not be reused: open one per request, on a blocking
//! thread, and hand back owned data only.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, RepositoryOpenFlags, Revwalk, Sort};

use crate::facts::CommitFacts;
use crate::identity::Identity;
use crate::refs::{ProtectedRefs, RefUpdate, is_zero};

/// What went wrong talking to a repository.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository path does not exist or cannot be resolved.
    #[error("repository {path} does not exist")]
    NoSuchPath {
        /// The path as given.
        path: PathBuf,
    },
    /// The repository is not under any configured root.
    #[error("repository {path} is outside the configured repo_roots")]
    OutsideRoots {
        /// The canonical path.
        path: PathBuf,
    },
    /// The path is not a git repository.
    #[error("{path} is not a git repository")]
    NotARepository {
        /// The path.
        path: PathBuf,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// The quarantine directory is not inside the repository's objects.
    #[error("quarantine {path} is not inside {objects}")]
    QuarantineOutside {
        /// The quarantine path, canonical when it exists.
        path: PathBuf,
        /// The repository's object directory.
        objects: PathBuf,
    },
    /// An object the push names is not in the repository or its quarantine.
    #[error("object {id} is not in the repository")]
    MissingObject {
        /// The object id.
        id: String,
    },
    /// A revision given to `check` does not resolve to a commit.
    #[error("revision `{spec}`: {reason}")]
    BadRevision {
        /// The revision as given.
        spec: String,
        /// Why, in words for people.
        reason: String,
    },
    /// Any other libgit2 failure, with what we were doing.
    #[error("{context}")]
    Git {
        /// What we were doing.
        context: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
}

fn git_error(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

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
        let repo = Repository::open_ext(&canonical, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|source| GitError::NotARepository { path: canonical.clone(), source })?;
        // The git dir itself must be inside the roots too (a `.git` file
        // could point elsewhere).
        let git_dir = repo.path().canonicalize().map_err(|_| GitError::NoSuchPath { path: repo.path().to_owned() })?;
        if !roots.iter().any(|root| git_dir.starts_with(root)) {
            return Err(GitError::OutsideRoots { path: git_dir });
        }
        if let Some(quarantine) = quarantine {
            let objects = git_dir.join("objects");
            let resolved = quarantine.canonicalize().unwrap_or_else(|_| quarantine.to_owned());
            if !resolved.starts_with(&objects) || resolved == objects || !resolved.is_dir() {
                return Err(GitError::QuarantineOutside { path: resolved, objects });
            }
            let odb = repo.odb().map_err(git_error("cannot open the object database"))?;
            odb.add_disk_alternate(&resolved.to_string_lossy())
                .map_err(git_error(format!("cannot read the quarantine {}", resolved.display())))?;
        }
        Ok(GitRepo { repo })
    }

    /// Opens the repository containing `dir`, as git would from there (for
    /// `check`, which runs in a working copy or a bare repository).
    pub fn discover(dir: &Path) -> Result<GitRepo, GitError> {
        let repo = Repository::discover(dir).map_err(|source| GitError::NotARepository { path: dir.to_owned(), source })?;
        Ok(GitRepo { repo })
    }

    /// Opens exactly the repository at `path` (its git dir, or a working
    /// copy's top folder), without searching upwards; for `install-hook`.
    pub fn open_exact(path: &Path) -> Result<GitRepo, GitError> {
        if !path.exists() {
            return Err(GitError::NoSuchPath { path: path.to_owned() });
        }
        let repo = Repository::open_ext(path, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|source| GitError::NotARepository { path: path.to_owned(), source })?;
        Ok(GitRepo { repo })
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
        let object = self.repo.find_object(oid, None).map_err(|_| GitError::MissingObject { id: id.to_owned() })?;
        match object.peel(ObjectType::Commit) {
            Ok(commit) => Ok(Tip::Commit(commit.id().to_string())),
            Err(_) => {
                let kind = object.peel(ObjectType::Any).ok().and_then(|o| o.kind()).or(object.kind());
                Ok(Tip::NotACommit(match kind {
                    Some(ObjectType::Tree) => "a tree",
                    Some(ObjectType::Blob) => "a blob",
                    Some(ObjectType::Tag) => "a tag",
                    _ => "an object",
                }))
            }
        }
    }

    /// Calls `visit` for each commit reachable from `new_commit` that is
    /// neither reachable from the update's old tip nor from the current tip of
    /// any protected ref, newest first in topological order. Only those few
    /// tips are hidden, never all refs: hiding every ref costs seconds on
    /// large repositories.
    pub fn walk_entering(
        &self,
        update: &RefUpdate,
        new_commit: &str,
        protected: &ProtectedRefs,
        mut visit: impl FnMut(CommitFacts),
    ) -> Result<(), GitError> {
        let mut walk = self.repo.revwalk().map_err(git_error("cannot start a history walk"))?;
        walk.set_sorting(Sort::TOPOLOGICAL).map_err(git_error("cannot sort the history walk"))?;
        let new = Oid::from_str(new_commit).map_err(|_| GitError::MissingObject { id: new_commit.to_owned() })?;
        walk.push(new).map_err(|_| GitError::MissingObject { id: new_commit.to_owned() })?;
        if !is_zero(&update.old) {
            if let Some(old) = Oid::from_str(&update.old).ok().and_then(|oid| self.peel_commit(oid)) {
                // A missing old tip (a corrupt repository) only means more is checked.
                let _ = walk.hide(old);
            }
        }
        for tip in self.protected_tips(protected)? {
            let _ = walk.hide(tip);
        }
        self.drain(walk, &mut |facts| {
            visit(facts);
            ControlFlow::Continue(())
        })
    }

    /// Calls `visit` for each commit `git rev-list SPEC…` would list, as the
    /// walk produces them (nothing is held), in git's default order, until
    /// `visit` breaks.
    pub fn walk_revisions(&self, specs: &[String], mut visit: impl FnMut(CommitFacts) -> ControlFlow<()>) -> Result<(), GitError> {
        let mut walk = self.repo.revwalk().map_err(git_error("cannot start a history walk"))?;
        walk.set_sorting(Sort::NONE).map_err(git_error("cannot sort the history walk"))?;
        for spec in specs {
            let bad = |source: git2::Error| GitError::BadRevision { spec: spec.clone(), reason: revision_reason(&source) };
            if let Some(hidden) = spec.strip_prefix('^') {
                let commit = self.repo.revparse_single(hidden).and_then(|o| o.peel_to_commit()).map_err(bad)?;
                walk.hide(commit.id()).map_err(bad)?;
            } else if spec.contains("..") {
                let range = self.repo.revparse(spec).map_err(bad)?;
                let peel = |object: Option<&git2::Object<'_>>| -> Result<Oid, GitError> {
                    let object = object.ok_or_else(|| bad(git2::Error::from_str("incomplete range")))?;
                    object.peel_to_commit().map(|c| c.id()).map_err(bad)
                };
                let from = peel(range.from())?;
                let to = peel(range.to())?;
                walk.push(to).map_err(bad)?;
                if range.mode().contains(git2::RevparseMode::MERGE_BASE) {
                    walk.push(from).map_err(bad)?;
                    let bases = self.repo.merge_bases(from, to).map_err(bad)?;
                    for base in bases.iter() {
                        walk.hide(*base).map_err(bad)?;
                    }
                } else {
                    walk.hide(from).map_err(bad)?;
                }
            } else {
                let commit = self.repo.revparse_single(spec).and_then(|o| o.peel_to_commit()).map_err(bad)?;
                walk.push(commit.id()).map_err(bad)?;
            }
        }
        self.drain(walk, &mut visit)
    }

    fn drain(&self, walk: Revwalk<'_>, visit: &mut impl FnMut(CommitFacts) -> ControlFlow<()>) -> Result<(), GitError> {
        for oid in walk {
            let oid = oid.map_err(git_error("history walk failed"))?;
            if visit(self.facts(oid)?).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn peel_commit(&self, oid: Oid) -> Option<Oid> {
        self.repo.find_object(oid, None).ok()?.peel_to_commit().ok().map(|c| c.id())
    }

    /// The current commit of every protected ref.
    fn protected_tips(&self, protected: &ProtectedRefs) -> Result<Vec<Oid>, GitError> {
        let mut tips = Vec::new();
        for pattern in protected.patterns() {
            let is_glob = pattern.contains(['*', '?', '[', '{']);
            if !is_glob {
                if let Ok(reference) = self.repo.find_reference(pattern) {
                    tips.extend(reference.peel_to_commit().ok().map(|c| c.id()));
                }
                continue;
            }
            let references = self.repo.references_glob(pattern).map_err(git_error("cannot list refs"))?;
            for reference in references.flatten() {
                let matches = reference.name().is_ok_and(|name| protected.matches(name));
                if matches {
                    tips.extend(reference.peel_to_commit().ok().map(|c| c.id()));
                }
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// Reads one commit into plain facts.
    pub fn facts(&self, oid: Oid) -> Result<CommitFacts, GitError> {
        let commit = self.repo.find_commit(oid).map_err(|_| GitError::MissingObject { id: oid.to_string() })?;
        // git shows a message (and names) in the encoding the commit
        // declares; read them the same way, or the text git shows and the
        // text we judge could differ (a UTF-7 message hides its markers).
        let declared = match commit.message_encoding() {
            Ok(label) => label.map(str::to_owned),
            Err(_) => Some("a label that is not UTF-8".to_owned()),
        };
        let (encoding, unreadable_encoding) =
            match declared.as_deref().map(|label| (label, encoding_rs::Encoding::for_label(label.as_bytes()))) {
                None => (encoding_rs::UTF_8, None),
                Some((_, Some(encoding)))
                    if encoding != encoding_rs::REPLACEMENT && encoding != encoding_rs::UTF_16LE && encoding != encoding_rs::UTF_16BE =>
                {
                    (encoding, None)
                }
                Some((label, _)) => (encoding_rs::UTF_8, Some(label.to_owned())),
            };
        let decode = |bytes: &[u8]| encoding.decode_without_bom_handling(bytes).0.into_owned();
        let identity = |signature: git2::Signature<'_>| Identity::new(decode(signature.name_bytes()), decode(signature.email_bytes()));
        Ok(CommitFacts {
            id: oid.to_string(),
            parent_ids: commit.parent_ids().map(|id| id.to_string()).collect(),
            author: identity(commit.author()),
            committer: identity(commit.committer()),
            message: decode(commit.message_raw_bytes()),
            unreadable_encoding,
        })
    }
}
