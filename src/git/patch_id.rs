//! The change a commit makes, as one id. git's `patch-id --verbatim` (the
//! stable patch-id, whitespace kept) is ported line for line from
//! `builtin/patch-id.c` (`get_one_patchid`) and run over patch text rendered
//! as libgit2's xdiff prints it; the change id is a SHA-256 over the pieces that
//! patch-id hashes (see [`Digests`] for why not git's sum itself), and one
//! more: the `diff --git` line of a file right after a binary one, which
//! git skips, and which alone names that file.
//!
//! The reference for the pieces is
//! `git diff-tree -p --no-renames --full-index PARENT COMMIT | git patch-id --verbatim`
//! (`--root COMMIT` for a root commit): `tests/it/signed.rs` holds the
//! patch-id to it, so the change id reads the same lines. Line numbers do not count, so a
//! rebase that leaves each hunk's lines and context alone keeps the id;
//! every added or removed line, its whitespace (indentation is code in
//! some languages, so `--stable`'s whitespace stripping would let a block
//! be moved out of an `if` after review), a mode change, and (through the
//! full blob ids git hashes for them) the content of a binary file change
//! it. libgit2's own `git_diff_patchid` ignores binary content and strips
//! whitespace, so it is not used.

use sha1::{Digest, Sha1};
use sha2::Sha256;

/// The change id of an empty change (a commit that changes nothing).
pub const EMPTY_CHANGE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What one patch hashes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// git's patch-id: the per-file SHA-1s summed, as `git patch-id` prints it.
    pub patch_id: String,
    /// The change id an approval signs: SHA-256 over what git's patch-id
    /// hashes, in order, each piece length-prefixed and each file's end
    /// marked, with the `diff --git` line git skips after a binary file. git's sum of per-file hashes lets anyone who adds files
    /// steer the sum (a generalised birthday attack finds junk files that
    /// make any diff sum to an approved one); an ordered SHA-256 does not.
    pub change_id: String,
}

/// Both hashes at once, fed the same pieces (git's only when asked for).
struct Hashes {
    /// git's running sum of per-file SHA-1s, and the current file's SHA-1.
    git: Option<([u8; 20], Sha1)>,
    /// The whole patch, length-prefixed pieces and file ends.
    change: Sha256,
}

impl Hashes {
    fn new(with_patch_id: bool) -> Hashes {
        Hashes { git: with_patch_id.then(|| ([0; 20], Sha1::new())), change: Sha256::new() }
    }

    fn update(&mut self, piece: &[u8]) {
        if let Some((_, file)) = &mut self.git {
            file.update(piece);
        }
        self.update_change(piece);
    }

    /// Adds `piece` to the change id alone (git's patch-id skips it).
    fn update_change(&mut self, piece: &[u8]) {
        self.change.update([1u8]);
        self.change.update((piece.len() as u64).to_le_bytes());
        self.change.update(piece);
    }

    /// Ends one file: adds its hash into git's sum (a byte-wise sum with
    /// carry, as `--stable` does) and marks the end in the change id.
    fn flush(&mut self) {
        if let Some((sum, file)) = &mut self.git {
            let digest = std::mem::take(file).finalize();
            let mut carry: u16 = 0;
            for (sum, byte) in sum.iter_mut().zip(digest.iter()) {
                carry += u16::from(*sum) + u16::from(*byte);
                *sum = carry as u8;
                carry >>= 8;
            }
        }
        self.change.update([2u8]);
    }

    /// git's patch-id (when asked for) and the change id, in hex.
    fn finish(self) -> (Option<String>, String) {
        (self.git.map(|(sum, _)| hex(&sum)), hex(&self.change.finalize()))
    }
}

/// `bytes` in lowercase hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    text
}

/// The line without C's `isspace` bytes.
fn strip_space(line: &[u8]) -> Vec<u8> {
    line.iter().copied().filter(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).collect()
}

/// The old and new line counts of `@@ -a[,b] +c[,d] @@` (1 when omitted).
fn hunk_counts(line: &[u8]) -> (i64, i64) {
    let text = String::from_utf8_lossy(line);
    let mut fields = text.split(' ').skip(1);
    let count = |field: Option<&str>| -> i64 {
        match field.and_then(|f| f.get(1..)).map(|f| f.split_once(',')) {
            Some(Some((_, n))) => n.parse().unwrap_or(0),
            _ => 1,
        }
    };
    (count(fields.next()), count(fields.next()))
}

/// Whether whitespace inside lines counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whitespace {
    /// `git patch-id --verbatim`: lines are hashed as they are.
    Verbatim,
    /// `git patch-id --stable`: whitespace is stripped first.
    Stripped,
}

/// `git patch-id --verbatim` or `--stable` of one patch given as lines
/// (each ending in a newline), and the change id over the same pieces;
/// `None` when the patch has no content (git prints nothing).
pub fn digests<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>, whitespace: Whitespace) -> Option<Digests> {
    match hash_patch(lines, whitespace, true) {
        Some((Some(patch_id), change_id)) => Some(Digests { patch_id, change_id }),
        _ => None,
    }
}

/// The change id of one patch given as lines (see [`digests`]), without
/// git's patch-id; `None` when the patch has no content.
pub fn change_id<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>) -> Option<String> {
    hash_patch(lines, Whitespace::Verbatim, false).map(|(_, change_id)| change_id)
}

/// git's patch-id (`with_patch_id`) and the change id of one patch.
fn hash_patch<L: AsRef<[u8]>>(
    lines: impl IntoIterator<Item = L>,
    whitespace: Whitespace,
    with_patch_id: bool,
) -> Option<(Option<String>, String)> {
    let verbatim = whitespace == Whitespace::Verbatim;
    let mut hashes = Hashes::new(with_patch_id);
    let (mut before, mut after): (i64, i64) = (-1, -1);
    let mut patch_len = 0usize;
    let mut is_binary = false;
    let (mut pre, mut post): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
    for line in lines {
        let line = line.as_ref();
        if patch_len == 0 && !line.starts_with(b"diff ") {
            continue;
        }
        if before == -1 {
            if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files") {
                is_binary = true;
                before = 0;
                hashes.update(&pre);
                hashes.update(&post);
                hashes.flush();
                continue;
            } else if let Some(rest) = line.strip_prefix(b"index ") {
                let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
                if let Some(dots) = rest.windows(2).position(|w| w == b"..") {
                    pre = rest[..dots].to_vec();
                    let tail = &rest[dots + 2..];
                    post = tail.split(|&c| c == b' ').next().unwrap_or(tail).to_vec();
                }
                continue;
            } else if line.starts_with(b"--- ") {
                before = 1;
                after = 1;
            } else if !line.first().is_some_and(u8::is_ascii_alphabetic) {
                break;
            }
        }
        // The marker after an incomplete last line.
        if line.starts_with(b"\\ ") && line.len() > 12 {
            if verbatim {
                hashes.update(line);
            }
            continue;
        }
        if is_binary {
            // git's quirk: the `diff --git` line after a binary file is not
            // hashed. It is the only line that names a binary file, a mode
            // change or an empty file, so the change id hashes it (else an
            // approval of a fixture after a logo is one of the same bytes
            // at any other path after that logo); git's patch-id does not.
            if line.starts_with(b"diff ") {
                is_binary = false;
                before = -1;
                if verbatim {
                    hashes.update_change(line);
                } else {
                    hashes.update_change(&strip_space(line));
                }
            }
            continue;
        }
        if before == 0 && after == 0 {
            if line.starts_with(b"@@ -") {
                (before, after) = hunk_counts(line);
                continue;
            }
            if !line.starts_with(b"diff ") {
                break;
            }
            hashes.flush();
            before = -1;
            after = -1;
        }
        match line.first() {
            Some(b'-') => before -= 1,
            Some(b'+') => after -= 1,
            Some(b' ') => {
                before -= 1;
                after -= 1;
            }
            _ => {}
        }
        if verbatim {
            patch_len += line.len();
            hashes.update(line);
        } else {
            let stripped = strip_space(line);
            patch_len += stripped.len();
            hashes.update(&stripped);
        }
    }
    hashes.flush();
    (patch_len > 0).then(|| hashes.finish())
}

/// `git patch-id --verbatim` or `--stable` of one patch (see [`digests`]).
pub fn patch_id<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>, whitespace: Whitespace) -> Option<String> {
    digests(lines, whitespace).map(|d| d.patch_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_does_not_panic() {
        for text in
            ["", "diff", "diff --git a/x b/x\n@@ -\n", "diff --git a b\n--- a\n+++ b\n@@ - + @@\n+x\n", "diff \nindex ..\nBinary files\n"]
        {
            let _ = patch_id(text.split_inclusive('\n'), Whitespace::Verbatim);
            let _ = patch_id(text.split_inclusive('\n'), Whitespace::Stripped);
        }
        assert_eq!(patch_id(["not a patch\n"], Whitespace::Verbatim), None);
    }

    #[test]
    fn a_file_after_a_binary_file_is_named_in_the_change_id_alone() {
        let two = |second: &str| {
            format!(
                "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1111111\nBinary files /dev/null and b/logo.png differ\n\
                 diff --git a/{second} b/{second}\nnew file mode 100644\nindex 0000000..2222222\nBinary files /dev/null and b/{second} differ\n"
            )
        };
        let (fixture, trusted) = (two("tests/ca.der"), two("etc/ssl/ca.der"));
        let digests = |text: &str| digests(text.split_inclusive('\n'), Whitespace::Verbatim).expect("a patch");
        assert_eq!(digests(&fixture).patch_id, digests(&trusted).patch_id, "git's patch-id skips the second path");
        assert_ne!(digests(&fixture).change_id, digests(&trusted).change_id);
        assert_eq!(digests(&fixture).change_id, digests(&fixture).change_id);
    }

    #[test]
    fn line_numbers_never_count_whitespace_only_when_stripped() {
        let a = "diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n";
        let b = "diff --git a/f b/f\nindex 3..4 100644\n--- a/f\n+++ b/f\n@@ -10,2 +10,2 @@\n a\n-b\n+  c \n";
        let c = "diff --git a/f b/f\nindex 3..4 100644\n--- a/f\n+++ b/f\n@@ -10,2 +10,2 @@\n a\n-b\n+d\n";
        let moved = "diff --git a/f b/f\nindex 3..4 100644\n--- a/f\n+++ b/f\n@@ -20,2 +20,2 @@\n a\n-b\n+c\n";
        let stripped = |text: &str| patch_id(text.split_inclusive('\n'), Whitespace::Stripped);
        let verbatim = |text: &str| patch_id(text.split_inclusive('\n'), Whitespace::Verbatim);
        assert_eq!(stripped(a), stripped(b));
        assert_ne!(stripped(a), stripped(c));
        assert_ne!(verbatim(a), verbatim(b), "indentation is code");
        assert_eq!(verbatim(a), verbatim(moved));
        assert_eq!(verbatim(a).map(|s| s.len()), Some(40));
    }
}
