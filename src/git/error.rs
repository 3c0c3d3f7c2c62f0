//! What can go wrong reading a repository; shared by both halves of the git
//! edge (git2 in `git`, gitoxide in `git::history`).

use std::path::PathBuf;

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
    /// A commit whose text does not parse (git would not have written it).
    #[error("commit {id} cannot be read: {reason}")]
    BadCommit {
        /// The commit id.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A commit or tag too large to read (see `history::MAX_COMMIT_BYTES`).
    #[error(
        "{kind} {id} is {} bytes, more than the {} the gate reads; {}",
        crate::policy::rules::thousands(*.bytes),
        crate::policy::rules::thousands(*.limit),
        kind.remedy()
    )]
    TooLarge {
        /// What it is.
        kind: LargeKind,
        /// Its id.
        id: String,
        /// Its size in bytes (from its header, for a pushed tip).
        bytes: u64,
        /// The most the gate reads.
        limit: u64,
    },
    /// Reading history (the object store or the commit-graph) failed.
    #[error("{context}")]
    History {
        /// What we were doing.
        context: String,
        /// What the reader said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The work was stopped: its deadline passed or its asker went away.
    #[error("stopped: the deadline passed or the client went away")]
    Stopped,
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

pub(crate) fn git_error(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

/// The kinds of object the gate reads whole, and refuses past a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LargeKind {
    /// A commit, read by the walk or while peeling a pushed tip.
    Commit,
    /// An annotated tag, read while peeling a pushed tip.
    Tag,
}

impl LargeKind {
    /// How the pusher makes one small enough.
    fn remedy(self) -> &'static str {
        match self {
            LargeKind::Commit => "shorten its message (git commit --amend, or reword in git rebase -i)",
            LargeKind::Tag => "shorten its message (git tag -f -a NAME)",
        }
    }
}

impl std::fmt::Display for LargeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LargeKind::Commit => "commit",
            LargeKind::Tag => "tag",
        })
    }
}
