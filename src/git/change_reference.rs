//! The change id as it was computed before the gate read diffs through
//! its own reader: libgit2's tree-to-tree diff, printed. Kept to hold the
//! two to the same ids, byte for byte, over every kind of change (an
//! approval signed before must stay valid).

use std::path::Path;

use git2::Repository;

use super::{GitError, MAX_TEXT_DIFF_BYTES, git_error, patch_id};

fn open_for_diffs(common: &Path, quarantine: Option<&Path>) -> Result<Repository, GitError> {
    let objects = common.join("objects");
    let odb = git2::Odb::new().map_err(git_error("cannot make an object database"))?;
    odb.add_disk_alternate(&objects.to_string_lossy()).map_err(git_error(format!("cannot read the objects in {}", objects.display())))?;
    if let Some(quarantine) = quarantine {
        odb.add_disk_alternate(&quarantine.to_string_lossy())
            .map_err(git_error(format!("cannot read the quarantine {}", quarantine.display())))?;
    }
    Repository::from_odb(odb).map_err(git_error(format!("cannot open the objects of {}", common.display())))
}

/// The patch-id and change id of the diff between two trees, rendered as
/// `git diff-tree -p --no-renames --full-index` prints it; `None` when they
/// are the same.
fn digests_of_trees(repo: &Repository, old: Option<&git2::Tree<'_>>, new: &git2::Tree<'_>) -> Result<Option<patch_id::Digests>, GitError> {
    let context = || format!("cannot diff tree {}", new.id());
    let mut options = git2::DiffOptions::new();
    // A blob over 1 MiB counts as binary: its ids are hashed instead of its
    // lines, so one commit cannot make the gate diff megabytes of text (any
    // change to it still changes the id).
    options.id_abbrev(40).indent_heuristic(true).max_size(MAX_TEXT_DIFF_BYTES as i64);
    let diff = repo.diff_tree_to_tree(old, Some(new), Some(&mut options)).map_err(git_error(context()))?;
    let mut lines: Vec<Vec<u8>> = Vec::new();
    // A file's header is held until we know whether hunks follow: libgit2
    // writes `---`/`+++` for a file without hunks (an empty file added or
    // deleted, a binary file), git does not. Only header lines are ever
    // dropped, never a line of content.
    let mut header: Option<Vec<u8>> = None;
    let flush_header = |header: &mut Option<Vec<u8>>, lines: &mut Vec<Vec<u8>>, hunks_follow: bool| {
        if let Some(text) = header.take() {
            for line in text.split_inclusive(|&b| b == b'\n') {
                if hunks_follow || !(line.starts_with(b"--- ") || line.starts_with(b"+++ ")) {
                    lines.push(line.to_vec());
                }
            }
        }
    };
    diff.print(git2::DiffFormat::Patch, |_, _, line| {
        match line.origin() {
            'F' => {
                flush_header(&mut header, &mut lines, false);
                header = Some(line.content().to_vec());
            }
            'H' => {
                flush_header(&mut header, &mut lines, true);
                lines.extend(line.content().split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec));
            }
            '+' | '-' | ' ' => {
                let mut text = vec![line.origin() as u8];
                text.extend_from_slice(line.content());
                if !text.ends_with(b"\n") {
                    text.push(b'\n');
                }
                lines.push(text);
            }
            // The end of a file without a final newline: git prints its
            // marker line, which `--verbatim` hashes.
            '=' | '>' | '<' => lines.push(b"\\ No newline at end of file\n".to_vec()),
            _ => {
                flush_header(&mut header, &mut lines, false);
                lines.extend(line.content().split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec));
            }
        }
        true
    })
    .map_err(git_error(context()))?;
    flush_header(&mut header, &mut lines, false);
    Ok(patch_id::digests(&lines, patch_id::Whitespace::Verbatim))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) -> String {
        let output = std::process::Command::new("sh")
            .current_dir(dir)
            .args(["-c", script])
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .output()
            .expect("sh");
        assert!(output.status.success(), "{script}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Every commit of a history made to hold every kind of change has the
    /// same patch-id and change id both ways.
    #[test]
    fn the_reader_and_libgit2_give_the_same_change_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path();
        sh(
            work,
            r#"set -e
            git init -q -b main .
            printf 'a\nb\nc\n' > text.txt; printf '\000\001bin' > blob.bin; : > empty.txt
            mkdir -p d/e; printf 'x\n' > d/e/f.txt; printf 'y\n' > a.txt; printf 'z\n' > a-b; printf 'w\n' > a0
            git add .; git commit -q -m root
            printf 'a\nB\nc\n' > text.txt; printf '\000\002bin' > blob.bin; git commit -q -am edits
            chmod +x text.txt; git commit -q -am mode-only
            chmod -x text.txt; printf 'a\nB\nc\nd\n' > text.txt; git commit -q -am mode-and-content
            git rm -q empty.txt; : > empty2.txt; git add empty2.txt; git commit -q -m empty-files
            ln -s text.txt link; git add link; git commit -q -m symlink
            ln -sf a.txt link; git commit -q -am symlink-target
            rm link; printf 'now a file\n' > link; git add link; git commit -q -m symlink-to-file
            rm a.txt; ln -s d a.txt; git add -A; git commit -q -m file-to-symlink
            git update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,sub; git commit -q -m submodule
            git update-index --cacheinfo 160000,89abcdef0123456789abcdef0123456789abcdef,sub; git commit -q -m submodule-moves
            git rm -q --cached sub; printf 'sub\n' > sub; git add sub; git commit -q -m submodule-to-file
            git rm -q a0; mkdir a0; printf 'in\n' > a0/x; git add a0; git commit -q -m file-to-dir
            git rm -q -r d; printf 'd\n' > d; git add d; git commit -q -m dir-to-file
            printf 'q\n' > 'sp ace.txt'; printf 'q\n' > 'quo"te'; printf 'q\n' > 'back\slash'; printf 'q\n' > "$(printf 'tab\there')"
            printf 'q\n' > "$(printf 'new\nline')"; printf 'q\n' > "$(printf 'caf\303\251')"; printf 'q\n' > "$(printf 'del\177')"
            printf 'q\n' > '!bang'; git add .; git commit -q -m odd-names
            printf 'r\n' >> "$(printf 'caf\303\251')"; printf 'r\n' >> 'quo"te'; git commit -q -am odd-names-edited
            printf 'no newline' > nl.txt; git add nl.txt; git commit -q -m no-newline
            printf 'no newline\n' > nl.txt; git commit -q -am newline-added
            printf 'other' > nl.txt; git commit -q -am newline-removed
            printf '\000text' > blob.bin; printf 'now text\n' > blob.bin; git commit -q -am binary-to-text
            printf 'text\000' > text.txt; git commit -q -am text-to-binary
            chmod +x text.txt; git commit -q -am binary-mode-only
            awk 'BEGIN { for (i = 0; i < 120000; i++) print "line " i }' > big.txt; git add big.txt; git commit -q -m big
            printf 'more\n' >> big.txt; git commit -q -am big-edited
            awk 'BEGIN { for (i = 0; i < 3000; i++) print "row " i % 7 }' > rows.txt; git add rows.txt; git commit -q -m rows
            awk 'BEGIN { for (i = 0; i < 3000; i++) print "row " (i * 3) % 11 }' > rows.txt; git commit -q -am rows-shuffled
            printf 'if a:\n    b()\n\nif c:\n    d()\n' > py.txt; git add py.txt; git commit -q -m slider-base
            printf 'if a:\n    b()\n\nif x:\n    y()\n\nif c:\n    d()\n' > py.txt; git commit -q -am slider
            git checkout -q -b side HEAD~3; printf 'side\n' > side.txt; git add side.txt; git commit -q -m side
            git checkout -q main; git merge -q --no-ff -m merge side
            git commit -q --allow-empty -m empty
            git rm -q -r --cached . > /dev/null; git commit -q -m everything-deleted
            "#,
        );
        // A tree with a mode git no longer writes (old gits wrote 100664).
        let blob = sh(work, "printf 'old mode\\n' | git hash-object -w --stdin").trim().to_owned();
        let odd_tree = sh(work, &format!("printf '100664 blob {blob}\\tgroup-writable\\n' | git mktree --missing")).trim().to_owned();
        let odd = sh(work, &format!("git commit-tree {odd_tree} -p HEAD -m odd-mode")).trim().to_owned();
        let plain_tree = sh(work, &format!("printf '100644 blob {blob}\\tgroup-writable\\n' | git mktree")).trim().to_owned();
        let back = sh(work, &format!("git commit-tree {plain_tree} -p {odd} -m odd-mode-back")).trim().to_owned();
        // An entry git's own tools never write but a pushed tree may hold: a
        // submodule at the zero id. (A submodule mode with odd low bits,
        // 160755, libgit2 cannot diff at all.)
        let mut tip = back;
        for entries in [
            format!("100644 blob {blob}\\tgroup-writable\\n160000 commit 0000000000000000000000000000000000000000\\tzero-sub\\n"),
            format!("100644 blob {blob}\\tgroup-writable\\n160000 commit 0123456789abcdef0123456789abcdef01234567\\tzero-sub\\n"),
            format!("100644 blob {blob}\\tgroup-writable\\n"),
        ] {
            let tree = sh(work, &format!("printf '{entries}' | git mktree --missing")).trim().to_owned();
            tip = sh(work, &format!("git commit-tree {tree} -p {tip} -m crafted")).trim().to_owned();
        }
        sh(work, &format!("git update-ref refs/heads/odd {tip}"));
        let ids: Vec<String> = sh(work, "git rev-list --all").lines().map(str::to_owned).collect();
        assert!(ids.len() >= 33, "{}", ids.len());
        let repo = crate::git::GitRepo::discover(work).expect("repo");
        let reference = open_for_diffs(&work.join(".git"), None).expect("objects");
        let mut changed = 0;
        for id in &ids {
            let commit = reference.find_commit(git2::Oid::from_str(id).expect("id")).expect("commit");
            let parent = commit.parent(0).ok().map(|p| p.tree().expect("tree"));
            let expected = digests_of_trees(&reference, parent.as_ref(), &commit.tree().expect("tree")).expect("libgit2 digests");
            let actual = repo.change_digests(id).expect("digests");
            assert_eq!(actual, expected, "commit {id}: {:?}", commit.summary());
            changed += usize::from(actual.is_some());
        }
        assert!(changed >= 30, "{changed}");
    }
}
