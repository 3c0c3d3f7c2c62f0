//! Our trailer reading against git's own `%(trailers:only,unfold)`, on the
//! messages git's reader and libgit2's disagree on, and on a few hundred
//! generated ones.

use std::io::Write;
use std::ops::ControlFlow;
use std::process::Stdio;

use signoff_gate::git::GitRepo;
use signoff_gate::policy::trailers;

use crate::util::{Lcg, git, run_git};

const CURATED: &[&str] = &[
    "subject\n\nKey: a\n",
    // libgit2 cuts at `---`; git's %(trailers) does not.
    "subject\n\nbody\n---\nmore body\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
    // libgit2 continues only on a space; git also on a tab.
    "subject\n\nKey: a\n\tcontinued\nOther: b\n  more\n",
    // libgit2 lets an empty value swallow the next line: an evasion.
    "subject\n\nApproved-by:\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
    "subject\n\nApproved-by: \nCo-Authored-By: Claude <noreply@anthropic.com>\n",
    "subject\n\nsome text\nKey: a\n",
    "subject\n\ntext\nmore\nSigned-off-by: x\nKey: a\nKey2: b\n",
    "subject\n\nKey: a\n\n# comment\n\n",
    "subject\nKey: a\n",
    "Key: a\n",
    "subject\n\nKey : a\nFoo Bar: b\n",
    "subject\n\nKey: a\n# comment: x\nK2: b\n",
    "subject\n\n---\nKey: a\n",
    "subject\n\nbody\n\nKey: a\n\n\n",
    "subject\n\nbody\n\nKey: a",
    "subject\n\n(cherry picked from commit 0123456789abcdef)\nnot a trailer\nnot one either\nnor this\nSigned-off-by: A <a@b>\n",
    "subject\n\nConflicts:\n\tfile.c\n\nKey: a\n",
    "subject\n\nKey: a\n\nConflicts:\n\tfile.c\n",
    "subject\n\nKey: a\n# ------------------------ >8 ------------------------\nOther: b\n",
    "subject\n\nKey:a\nK-2:  spaced value  \n",
    "subject\n\n-dash: x\n",
    "subject\n\n  \n\nKey: a\n",
    "subject\n\nKey: a\n   \n",
    "\n\nsubject\n\nKey: a\n",
    "subject\r\n\r\nKey: a\r\n",
    "subject\n\nCo-authored-by: A <a@b>\n Co-authored-by: B <b@c>\n",
    "🤖 subject\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
];

const POOL: &[&str] = &[
    "Body text here.",
    "",
    "",
    "Key: value",
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "Approved-by:",
    "Approved-by: Alice <alice@corp.example>",
    "\tcontinued with a tab",
    "  continued with spaces",
    "---",
    "# a comment",
    "# comment: with colon",
    "Signed-off-by: Dev <dev@corp.example>",
    "(cherry picked from commit 0123456789abcdef)",
    "Foo Bar: not a trailer",
    "Key : spaced key",
    "Key:no-space",
    "Conflicts:",
    "\tpath/file.c",
    "-dash: x",
    "Kéy: x",
    "http://example.com: x",
    "Key:",
    "   ",
    "Closes #12",
    "[tag]: thing",
    "Reviewed-by: R <r@corp.example>",
    "Link: https://example.com/a/b",
    "Assisted-by: Claude:claude-3-opus coccinelle",
    "🤖 Generated with [Claude Code](https://claude.com/claude-code)",
];

fn generated(count: usize) -> Vec<String> {
    let mut random = Lcg(0x5eed);
    (0..count)
        .map(|i| {
            let mut message = format!("Subject {i}\n");
            if random.next(4) != 0 {
                message.push('\n');
            }
            for _ in 0..random.next(8) {
                message.push_str(POOL[random.next(POOL.len())]);
                message.push('\n');
            }
            // Most real messages end in a block of trailer-like lines.
            if random.next(3) != 0 {
                message.push('\n');
                for _ in 0..1 + random.next(4) {
                    message.push_str(POOL[3 + random.next(POOL.len() - 3)]);
                    message.push('\n');
                }
            }
            if random.next(4) == 0 {
                message.pop();
            }
            message
        })
        .collect()
}

#[test]
fn our_trailers_match_gits_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    run_git(repo, &["init", "--quiet", "--bare"]);
    let mut messages: Vec<String> = CURATED.iter().map(|s| (*s).to_owned()).collect();
    messages.extend(generated(400));

    // fast-import stores each message byte for byte.
    let mut stream = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        write!(
            stream,
            "commit refs/heads/main\nmark :{}\ncommitter Dev <dev@corp.example> {} +0000\ndata {}\n",
            i + 1,
            1_700_000_000 + i,
            message.len()
        )
        .expect("write");
        stream.extend_from_slice(message.as_bytes());
        stream.push(b'\n');
        if i > 0 {
            writeln!(stream, "from :{i}").expect("write");
        }
        stream.push(b'\n');
    }
    let mut child = git(repo).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    child.stdin.take().expect("stdin").write_all(&stream).expect("feed fast-import");
    assert!(child.wait().expect("fast-import ends").success());

    let log = run_git(repo, &["log", "--format=%H%x01%(trailers:only,unfold)%x02", "main"]);
    let gits: std::collections::HashMap<String, String> = log
        .split('\x02')
        .filter_map(|record| record.trim_start_matches('\n').split_once('\x01'))
        .map(|(id, trailers)| (id.to_owned(), trailers.to_owned()))
        .collect();
    assert_eq!(gits.len(), messages.len());

    let mut compared = 0;
    let mut mismatches = Vec::new();
    GitRepo::discover(repo)
        .expect("open")
        .walk_revisions(
            &["main".to_owned()],
            |facts, _| facts,
            |facts| {
                let ours: String = trailers::parse(&facts.message).iter().map(|t| format!("{t}\n")).collect();
                let expected = gits.get(&facts.id).expect("git listed this commit");
                if &ours != expected {
                    mismatches.push(format!("message {:?}\n  git:  {expected:?}\n  ours: {ours:?}", facts.message));
                }
                compared += 1;
                ControlFlow::Continue(())
            },
        )
        .expect("walk");
    assert_eq!(compared, messages.len());
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    // The generator must produce trailers at all, or the comparison proves little.
    let with_trailers = gits.values().filter(|t| !t.trim().is_empty()).count();
    assert!(with_trailers > messages.len() / 3, "only {with_trailers} messages had trailers");
}
