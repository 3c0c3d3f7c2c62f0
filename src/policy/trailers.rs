//! Commit-message trailers, read exactly as git reads them.
//!
//! This is a port of the parts of git's `trailer.c` that
//! `git log --format='%(trailers:only,unfold)'` uses, and `tests/` compares it
//! against git itself. We do not use libgit2's `git_message_trailers`: it cuts
//! the message at any `---` line (git's `%(trailers)` does not), continues a
//! value only on a leading space (git also takes a tab), and lets an empty
//! value swallow the next line, which would let `Approved-by:` followed by a
//! `Co-Authored-By:` marker hide the marker inside the approval.
//!
//! Like git, and unlike a general text API, this works on bytes with ASCII
//! notions of "space" and "alphanumeric". The comment character is git's
//! default `#` (servers run git hermetically; `core.commentChar` is a client
//! setting that does not change stored messages).

/// One trailer: `key: value`, with the value unfolded onto one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The key as written (case preserved), e.g. `Co-Authored-By`.
    pub key: String,
    /// The value, trimmed, with continuation lines folded into single spaces.
    pub value: String,
}

impl Trailer {
    /// Whether this trailer's key is `key`, compared case-insensitively as git
    /// compares trailer tokens.
    pub fn key_is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

impl std::fmt::Display for Trailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.value)
    }
}

const COMMENT: u8 = b'#';
const CUT_LINE: &[u8] = b"# ------------------------ >8 ------------------------\n";
/// [`CUT_LINE`] where a line starts.
const CUT_LINE_AFTER_A_LINE: &[u8] = b"\n# ------------------------ >8 ------------------------\n";
const GIT_GENERATED_PREFIXES: [&[u8]; 2] = [b"Signed-off-by: ", b"(cherry picked from commit "];

/// git's `isspace`: space, tab, newline and carriage return only.
fn is_git_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Reads the trailers of a commit message the way
/// `git log --format='%(trailers:only,unfold)'` does.
pub fn parse(message: &str) -> Vec<Trailer> {
    // git works on C strings: a NUL ends the message.
    let message = message.split('\0').next().unwrap_or_default();
    // `%(trailers)` starts at the subject: leading blank lines are skipped.
    let buf = skip_blank_lines(message.as_bytes());
    let end = buf.len() - ignored_log_message_bytes(buf, buf.len());
    let start = trailer_block_start(buf, end);

    // Split the block into entries, gluing continuation lines (those starting
    // with whitespace) onto a preceding line that has a separator.
    let mut entries: Vec<&[u8]> = Vec::new();
    let mut entry_ranges: Vec<(usize, usize)> = Vec::new();
    let mut last_is_trailer = false;
    let mut line_start = start;
    while line_start < end {
        let line_end = match memchr::memchr(b'\n', &buf[line_start..end]) {
            Some(offset) => line_start + offset + 1,
            None => end,
        };
        if last_is_trailer && is_git_space(buf[line_start]) {
            if let Some(range) = entry_ranges.last_mut() {
                range.1 = line_end;
            }
        } else {
            entry_ranges.push((line_start, line_end));
            last_is_trailer = find_separator(&buf[line_start..]).is_some_and(|pos| pos >= 1);
        }
        line_start = line_end;
    }
    entries.extend(entry_ranges.iter().map(|&(from, to)| &buf[from..to]));

    entries
        .into_iter()
        .filter(|entry| entry.first() != Some(&COMMENT))
        .filter_map(|entry| {
            let separator = find_separator(entry).filter(|&pos| pos >= 1)?;
            let key = trim(&entry[..separator]);
            let value = unfold(trim(&entry[separator + 1..]));
            Some(Trailer { key: text(key), value })
        })
        .collect()
}

/// `bytes` as text: cut from a `&str` at ASCII bytes, they are UTF-8.
fn text(bytes: &[u8]) -> String {
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes).into_owned(), str::to_owned)
}

/// git's `skip_blank_lines`: drops leading lines that hold only spaces.
fn skip_blank_lines(mut buf: &[u8]) -> &[u8] {
    while !buf.is_empty() && is_blank_line(buf, 0) {
        buf = &buf[next_line(buf, 0)..];
    }
    buf
}

/// git's `strbuf_trim`.
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| !is_git_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| !is_git_space(b)).map_or(start, |p| p + 1);
    &bytes[start..end.max(start)]
}

/// git's `unfold_value`: each newline and the whitespace after it become one
/// space, then the result is trimmed.
fn unfold(value: &[u8]) -> String {
    if memchr::memchr(b'\n', value).is_none() {
        return text(trim(value));
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(newline) = memchr::memchr(b'\n', rest) {
        out.extend_from_slice(&rest[..newline]);
        out.push(b' ');
        rest = &rest[newline + 1..];
        rest = &rest[rest.iter().take_while(|&&b| is_git_space(b)).count()..];
    }
    out.extend_from_slice(rest);
    text(trim(&out))
}

/// git's `find_separator` with the default separators (`:`): the position of
/// the `:` ending a token of alphanumerics and `-`, optionally followed by
/// spaces or tabs; `None` when the line is no `token:` line.
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &byte) in line.iter().enumerate() {
        if byte == b':' {
            return Some(i);
        }
        if !whitespace_found && (byte.is_ascii_alphanumeric() || byte == b'-') {
            continue;
        }
        if i != 0 && (byte == b' ' || byte == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// git's `next_line`: the offset just past the next newline, or the end.
fn next_line(buf: &[u8], from: usize) -> usize {
    match memchr::memchr(b'\n', &buf[from..]) {
        Some(offset) => from + offset + 1,
        None => buf.len(),
    }
}

/// git's `last_line`: the start of the last line of `buf[..len]`, where a
/// final newline belongs to that line.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(memchr::memrchr(b'\n', &buf[..len - 1]).map_or(0, |p| p + 1)),
    }
}

/// git's `is_blank_line`: only spaces up to the newline or the end.
fn is_blank_line(buf: &[u8], from: usize) -> bool {
    buf[from..].iter().find(|&&b| !(is_git_space(b) && b != b'\n')).is_none_or(|&b| b == b'\n')
}

/// git's `wt_status_locate_end`: where a scissors line cuts the message.
fn locate_end(buf: &[u8], len: usize) -> usize {
    if buf.starts_with(CUT_LINE) {
        return 0;
    }
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(CUT_LINE_AFTER_A_LINE));
    let found = FINDER.find(buf);
    match found {
        Some(position) => len.min(position + 1),
        None => len,
    }
}

/// git's `ignored_log_message_bytes`: trailing comments, blank lines and an
/// old-style `Conflicts:` block. Its sentinel for "no run yet" is offset 0,
/// so a comment on the very first line never starts a run; we keep that.
fn ignored_log_message_bytes(buf: &[u8], len: usize) -> usize {
    let cutoff = locate_end(buf, len);
    let mut boc = 0;
    let mut bol = 0;
    let mut in_old_conflicts_block = false;
    while bol < cutoff {
        let next = match memchr::memchr(b'\n', &buf[bol..len]) {
            Some(offset) => bol + offset + 1,
            None => len,
        };
        if buf[bol..cutoff].first() == Some(&COMMENT) || buf[bol] == b'\n' {
            if boc == 0 {
                boc = bol;
            }
        } else if buf[bol..].starts_with(b"Conflicts:\n") {
            in_old_conflicts_block = true;
            if boc == 0 {
                boc = bol;
            }
        } else if in_old_conflicts_block && buf[bol] == b'\t' {
            // a path in the conflicts block
        } else if boc != 0 {
            boc = 0;
            in_old_conflicts_block = false;
        }
        bol = next;
    }
    if boc != 0 { len - boc } else { len - cutoff }
}

/// git's `find_trailer_block_start`: the last paragraph counts as trailers
/// when all its lines are trailers, or when it holds a git-generated one and
/// at least a quarter of its lines are trailers.
fn trailer_block_start(buf: &[u8], len: usize) -> usize {
    // The first paragraph is the title and cannot be trailers.
    let mut end_of_title = 0;
    while end_of_title < len {
        if buf[end_of_title..len].first() != Some(&COMMENT) && is_blank_line(buf, end_of_title) {
            break;
        }
        end_of_title = next_line(buf, end_of_title);
    }

    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    let mut possible_continuation_lines = 0usize;

    let mut cursor = last_line(buf, len);
    while let Some(bol) = cursor.filter(|&l| l >= end_of_title) {
        cursor = last_line(buf, bol);
        if buf[bol..len].first() == Some(&COMMENT) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(buf, bol) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines) || (trailer_lines > 0 && non_trailer_lines == 0) {
                return next_line(buf, bol);
            }
            return len;
        }
        only_spaces = false;

        if GIT_GENERATED_PREFIXES.iter().any(|prefix| buf[bol..].starts_with(prefix)) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
            continue;
        }

        let first = buf[bol];
        if find_separator(&buf[bol..]).is_some_and(|pos| pos >= 1) && !is_git_space(first) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_git_space(first) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(message: &str) -> String {
        parse(message).iter().map(|t| format!("{t}\n")).collect()
    }

    #[test]
    fn reads_trailers_like_git() {
        let cases: &[(&str, &str)] = &[
            ("subject\n\nKey: a\n", "Key: a\n"),
            ("subject\nKey: a\n", ""),
            ("Key: a\n", ""),
            ("subject\n\nbody text\nKey: a\n", ""),
            ("subject\n\nbody\n---\nfoo\n\nCo-Authored-By: C <noreply@anthropic.com>\n", "Co-Authored-By: C <noreply@anthropic.com>\n"),
            (
                "s\n\nApproved-by:\nCo-Authored-By: C <noreply@anthropic.com>\n",
                "Approved-by: \nCo-Authored-By: C <noreply@anthropic.com>\n",
            ),
            ("s\n\nKey: a\n\tcontinued\nOther: b\n  more\n", "Key: a continued\nOther: b more\n"),
            ("s\n\ntext\nmore\nSigned-off-by: x\nKey: a\nKey2: b\n", "Signed-off-by: x\nKey: a\nKey2: b\n"),
            ("s\n\nKey: a\n\n# comment\n\n", "Key: a\n"),
            ("s\n\nKey : a\nFoo Bar: b\n", ""),
            ("s\n\nKey: a\n# comment: x\nK2: b\n", "Key: a\nK2: b\n"),
            ("s\n\n---\nKey: a\n", ""),
            ("s\n\nKey: a\0\nOther: b\n", "Key: a\n"),
            ("", ""),
            ("\n  \nsubject\n\nKey: a\n", "Key: a\n"),
        ];
        for (message, expected) in cases {
            assert_eq!(render(message), *expected, "message: {message:?}");
        }
    }

    #[test]
    fn key_comparison_ignores_case() {
        let trailers = parse("s\n\nco-authored-by: x <y@z>\n");
        assert!(trailers[0].key_is("Co-Authored-By"));
    }
}
