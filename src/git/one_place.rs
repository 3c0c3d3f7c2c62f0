//! The patch of a file changed in one place, rendered without running a
//! diff: what xdiff (git's and libgit2's) prints for it, found in one pass.
//!
//! Most changes to a file are one block of lines replaced by another: a
//! line edited, a block rewritten, a file added or deleted. When the lines
//! taken out share no line with the lines put in, and neither block could
//! slide up or down (its first line differs from the line after it, its
//! last line from the line before it), xdiff's answer is fixed: the common
//! lines before and after are context, then every line taken out, then
//! every line put in. xdiff trims the same common lines first, marks every
//! line of two blocks that share none as changed, and its compaction moves
//! only a block that can slide. Anything else is left to xdiff: [`find`]
//! says `None`. `tests` hold this to libgit2's output on many small files.

/// Lines, each with its newline (the last may have none), as xdiff splits a
/// file into records.
fn records(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

/// Lines of context around a change, as `git diff` and the patch-id keep.
const CONTEXT: usize = 3;

/// A file's change in one place: the lines both sides share before and after.
pub struct OnePlace<'a> {
    old: Vec<&'a [u8]>,
    new: Vec<&'a [u8]>,
    /// Lines the same at the start of both sides.
    before: usize,
    /// Lines the same at the end of both sides (not counting `before`).
    after: usize,
}

/// Whether two blocks share a line.
fn share_a_line(old: &[&[u8]], new: &[&[u8]]) -> bool {
    if old.len().saturating_mul(new.len()) <= 4096 {
        return old.iter().any(|line| new.contains(line));
    }
    let taken: std::collections::HashSet<&[u8]> = old.iter().copied().collect();
    new.iter().any(|line| taken.contains(line))
}

/// Whether the changed block `lines[start..end]` could slide up or down
/// (xdiff's compaction would move it); an empty block does not move.
fn can_slide(lines: &[&[u8]], start: usize, end: usize) -> bool {
    start < end && ((start > 0 && lines[start - 1] == lines[end - 1]) || (end < lines.len() && lines[start] == lines[end]))
}

/// `old` to `new` as one place changed, when xdiff's answer for it is fixed
/// (see the module); `None` otherwise, or when nothing changed.
pub fn find<'a>(old: &'a [u8], new: &'a [u8]) -> Option<OnePlace<'a>> {
    let (old, new) = (records(old), records(new));
    let shortest = old.len().min(new.len());
    let before = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let after = old.iter().rev().zip(new.iter().rev()).take(shortest - before).take_while(|(a, b)| a == b).count();
    let (old_end, new_end) = (old.len() - after, new.len() - after);
    if (before == old_end && before == new_end)
        || share_a_line(&old[before..old_end], &new[before..new_end])
        || can_slide(&old, before, old_end)
        || can_slide(&new, before, new_end)
    {
        return None;
    }
    Some(OnePlace { old, new, before, after })
}

impl OnePlace<'_> {
    /// Appends the hunk as xdiff prints it, without a function name after
    /// the header (which no hash reads), each line ending in a newline and
    /// one without its own followed by git's marker.
    pub fn render(&self, text: &mut Vec<u8>) {
        use std::io::Write as _;
        let (old_end, new_end) = (self.old.len() - self.after, self.new.len() - self.after);
        let first = self.before - self.before.min(CONTEXT);
        let last_old = old_end + self.after.min(CONTEXT);
        let last_new = new_end + self.after.min(CONTEXT);
        let (old_count, new_count) = (last_old - first, last_new - first);
        // `-START,COUNT` (no count when 1); an empty side starts at the
        // line before.
        let side = |text: &mut Vec<u8>, sign: char, count: usize| {
            let start = if count == 0 { first } else { first + 1 };
            // Writing to a Vec cannot fail.
            let _ = if count == 1 { write!(text, "{sign}{start}") } else { write!(text, "{sign}{start},{count}") };
        };
        text.extend_from_slice(b"@@ ");
        side(text, '-', old_count);
        text.push(b' ');
        side(text, '+', new_count);
        text.extend_from_slice(b" @@\n");
        let mut line = |origin: u8, content: &[u8]| {
            text.push(origin);
            text.extend_from_slice(content);
            if !content.ends_with(b"\n") {
                text.extend_from_slice(b"\n\\ No newline at end of file\n");
            }
        };
        for content in &self.old[first..self.before] {
            line(b' ', content);
        }
        for content in &self.old[self.before..old_end] {
            line(b'-', content);
        }
        for content in &self.new[self.before..new_end] {
            line(b'+', content);
        }
        for content in &self.old[old_end..last_old] {
            line(b' ', content);
        }
    }
}
