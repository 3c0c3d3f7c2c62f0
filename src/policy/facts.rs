//! Plain facts about a commit, as the git edge hands them to the policy.

use crate::policy::approval::CommitSignature;
use crate::policy::identity::Identity;
use crate::policy::lookalike;

/// Length of the abbreviated object ids shown to people (git's own choice for
/// large repositories).
pub const SHORT_ID_LEN: usize = 12;

/// The longest message the gate reads. Judging a message costs time in
/// proportion to its lines, and a commit is judged as one step that a
/// deadline cannot cut short; a message of millions of lines (they pack
/// small) would hold a worker, and the push's turn, long after its answer.
/// A longer message is not read: the commit is refused, unjudged.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// How many bytes of a message over [`MAX_MESSAGE_BYTES`] are kept, to name
/// the commit by its subject.
pub const OVERSIZED_MESSAGE_KEPT_BYTES: usize = 256;

/// The longest author or committer (name and address together) the gate
/// reads. Each character of an identity is folded for look-alikes (about
/// 150 ns), in the one step a deadline cannot cut: an author line of
/// megabytes would cost a second. A longer one is not read; the commit is
/// refused.
pub const MAX_IDENTITY_BYTES: usize = 4096;

/// How many bytes of the name and of the address of an identity over
/// [`MAX_IDENTITY_BYTES`] are kept, to show it.
pub const OVERSIZED_IDENTITY_KEPT_BYTES: usize = 64;

/// A part of a commit longer than the gate reads (the commit is then
/// refused unjudged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversized {
    /// The message, of this many bytes (over [`MAX_MESSAGE_BYTES`]).
    Message(usize),
    /// The author or the committer (`role`), of this many bytes of name
    /// and address (over [`MAX_IDENTITY_BYTES`]).
    Identity {
        /// `"author"` or `"committer"`.
        role: &'static str,
        /// Its name's and address's bytes.
        bytes: usize,
    },
}

/// What the policy needs to know about one commit; owned, no git2 types.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitFacts {
    /// Full hex object id.
    pub id: String,
    /// Full hex object ids of the parents, first parent first.
    pub parent_ids: Vec<String>,
    /// The author as recorded in the commit.
    pub author: Identity,
    /// The committer as recorded in the commit.
    pub committer: Identity,
    /// The author date (seconds since 1970; 0 when unreadable).
    pub author_time: i64,
    /// The committer date (seconds since 1970; 0 when unreadable): for a
    /// signed merge, when its approval was signed.
    pub committer_time: i64,
    /// The whole message, decoded from the commit's declared encoding (UTF-8
    /// when none is declared; invalid bytes replaced).
    pub message: String,
    /// The encoding the commit declares when it is one the gate cannot
    /// decode (e.g. UTF-7): git would show a different text than `message`,
    /// so the commit cannot be judged.
    pub unreadable_encoding: Option<String>,
    /// Why the commit's headers could be read two ways (two author lines,
    /// an identity with two addresses, …), when they could: git and the
    /// gate might then see different people, so it cannot be judged.
    pub malformed: Option<String>,
    /// The first part of the commit longer than the gate reads, if any:
    /// `message` (or the identity) then holds only its start, and the
    /// commit cannot be judged.
    pub oversized: Option<Oversized>,
    /// The change as `git patch-id --stable` identifies it, when the git
    /// edge computed it (for commits that carry a signed approval).
    pub change_id: Option<String>,
    /// The commit's own SSH signature, when the git edge read it (for
    /// merge commits, which can approve the commits they bring in).
    pub signature: Option<CommitSignature>,
    /// Other ways the same bytes can be read, when the commit declares an
    /// encoding other than UTF-8: each line decoded on its own (a stateful
    /// encoding cannot swallow a newline) and the raw bytes as UTF-8 (what
    /// git shows when it cannot convert them). Markers count in any
    /// reading: git and the gate must never disagree in the pusher's favour.
    pub other_readings: Vec<Reading>,
    /// The commit's notes on the notes refs detection reads
    /// ([`crate::policy::notes::NOTES_REFS`]): the ref and the note's text.
    pub notes: Vec<(String, String)>,
}

/// One reading of a commit's text (see [`CommitFacts::other_readings`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reading {
    /// The author, read this way.
    pub author: Identity,
    /// The committer, read this way.
    pub committer: Identity,
    /// The message, read this way.
    pub message: String,
}

impl CommitFacts {
    /// The first line of the message.
    pub fn subject(&self) -> &str {
        self.message.lines().find(|line| !line.trim().is_empty()).unwrap_or("").trim()
    }

    /// The abbreviated id shown to people.
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    /// Whether the policy can judge the commit at all: its text decodes,
    /// was read whole, and its headers are well formed.
    pub fn judgeable(&self) -> bool {
        self.unreadable_encoding.is_none() && self.oversized.is_none() && self.malformed.is_none() && self.invisible_in_identity().is_none()
    }

    /// The first identity (`author` or `committer`) that holds an invisible
    /// character, and the character: it shows as someone it is not.
    pub fn invisible_in_identity(&self) -> Option<(&'static str, char)> {
        [("author", &self.author), ("committer", &self.committer)].into_iter().find_map(|(role, identity)| {
            lookalike::first_invisible(&identity.name).or_else(|| lookalike::first_invisible(&identity.email)).map(|c| (role, c))
        })
    }

    /// Whether the commit has more than one parent.
    pub fn is_merge(&self) -> bool {
        self.parent_ids.len() > 1
    }
}

/// The abbreviated form of a hex object id.
pub fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID_LEN).unwrap_or(id)
}
