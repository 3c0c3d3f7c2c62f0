//! The history walk against git itself: the same commits as `git rev-list`,
//! in the same order, on tangled histories with clock skew and equal dates,
//! with no commit-graph, a stale one and a full one, and in a shallow clone.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Stdio;

use signoff_gate::git::GitRepo;
use signoff_gate::policy::refs::{ProtectedRefs, RefUpdate, ZERO_ID};

use crate::util::{git, run_git};

/// A small deterministic random source (no dependency needed for tests).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Feeds `stream` to `git fast-import` in `bare`.
fn fast_import(bare: &Path, stream: &str) {
    let mut import = git(bare).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("fast-import");
    std::io::Write::write_all(&mut import.stdin.take().expect("stdin"), stream.as_bytes()).expect("stream");
    assert!(import.wait().expect("fast-import").success());
}

/// Adds `count` commits to `bare` with `git fast-import`, over four branches
/// (`b0`…`b3`) with merges between them; dates mostly rise, some go
/// backwards (clock skew) and some repeat.
fn grow(bare: &Path, rng: &mut Lcg, first: u64, count: u64) {
    let mut stream = String::new();
    let mut time = 1_700_000_000 + first * 100;
    // A branch that exists but that this import has not touched yet is
    // named with `^0`, or fast-import would start it afresh.
    let existing: Vec<bool> = (0..4)
        .map(|b| git(bare).args(["rev-parse", "--verify", "--quiet", &format!("refs/heads/b{b}")]).output().expect("git").status.success())
        .collect();
    let mut touched = [false; 4];
    let name = |b: u64, touched: &[bool; 4]| -> Option<String> {
        let b = b as usize;
        if touched[b] {
            Some(format!("refs/heads/b{b}"))
        } else if existing[b] {
            Some(format!("refs/heads/b{b}^0"))
        } else {
            None
        }
    };
    for k in first..first + count {
        let branch = rng.below(4);
        let from = name(branch, &touched).filter(|_| !touched[branch as usize]);
        let merge = if rng.below(6) == 0 { name((branch + 1 + rng.below(3)) % 4, &touched) } else { None };
        touched[branch as usize] = true;
        time = match rng.below(10) {
            0 => time - rng.below(5_000),
            1 => time,
            _ => time + 1 + rng.below(100),
        };
        let message = format!("Change {k}\n");
        stream.push_str(&format!(
            "commit refs/heads/b{branch}\nmark :{}\ncommitter Dev Eloper <dev@corp.example> {time} +0000\ndata {}\n{message}",
            k + 1,
            message.len()
        ));
        if let Some(from) = from {
            stream.push_str(&format!("from {from}\n"));
        }
        if let Some(merge) = merge {
            stream.push_str(&format!("merge {merge}\n"));
        }
        stream.push('\n');
    }
    fast_import(bare, &stream);
}

/// Commit ids as `walk_revisions` lists them in `git rev-list`'s order.
fn ours(dir: &Path, specs: &[String]) -> Vec<String> {
    walked(dir, specs, false)
}

/// Commit ids as `walk_revisions` lists them, children first when
/// `topological` (as `check` judges them).
fn walked(dir: &Path, specs: &[String], topological: bool) -> Vec<String> {
    let mut repo = GitRepo::discover(dir).expect("open");
    repo.topological_revisions(topological);
    let mut ids = Vec::new();
    repo.walk_revisions(
        specs,
        |facts, _| facts.id,
        |id| {
            ids.push(id);
            ControlFlow::Continue(())
        },
    )
    .expect("walk");
    ids
}

fn rev_list(dir: &Path, args: &[String]) -> Vec<String> {
    let args: Vec<&str> = std::iter::once("rev-list").chain(args.iter().map(String::as_str)).collect();
    run_git(dir, &args).lines().map(str::to_owned).collect()
}

fn specs(bare: &Path) -> Vec<Vec<String>> {
    let at = |rev: &str| run_git(bare, &["rev-parse", rev]).trim().to_owned();
    let s = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        s(&["b0"]),
        s(&["b1", "b2"]),
        s(&["b0", "^b1"]),
        s(&["b1..b2"]),
        s(&["b2...b3"]),
        s(&["b0", "b3", "^b1", "^b2"]),
        vec![at("b0"), format!("^{}", at("b0~7"))],
        vec![format!("{}..b3", at("b3~40"))],
    ]
}

fn compare_all(bare: &Path, state: &str) {
    let mut sizes = Vec::new();
    for specs in specs(bare) {
        let expected = rev_list(bare, &specs);
        let walked = ours(bare, &specs);
        assert_eq!(walked, expected, "{state}: check {specs:?} must list what git rev-list lists, in its order");
        sizes.push(expected.len());
    }
    // The cases must not be trivial: most list something, some a lot.
    assert!(sizes.iter().filter(|&&n| n > 0).count() >= 6 && sizes.iter().any(|&n| n > 100), "{state}: {sizes:?}");
}

#[test]
fn check_walks_what_git_rev_list_walks_with_and_without_a_commit_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("tangle.git");
    run_git(dir.path(), &["init", "--quiet", "--bare", "tangle.git"]);
    let mut rng = Lcg(0x5eed);
    grow(&bare, &mut rng, 0, 700);
    compare_all(&bare, "no commit-graph");

    run_git(&bare, &["commit-graph", "write", "--reachable"]);
    assert!(bare.join("objects/info/commit-graph").exists());
    compare_all(&bare, "full commit-graph");

    // Newer commits the graph does not know, on top of ones it does.
    grow(&bare, &mut rng, 700, 300);
    compare_all(&bare, "stale commit-graph");
}

/// `ids` hold what `git rev-list` lists, each once, and no commit comes
/// after one of its parents.
fn assert_topological(bare: &Path, specs: &[String], ids: &[String], state: &str) {
    let mut expected = rev_list(bare, specs);
    let mut sorted = ids.to_vec();
    expected.sort();
    sorted.sort();
    assert_eq!(sorted, expected, "{state}: check {specs:?} must judge what git rev-list lists");
    let position: std::collections::HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let parents_args: Vec<String> =
        ["--parents".to_owned(), "--no-walk=unsorted".to_owned()].into_iter().chain(ids.iter().cloned()).collect();
    for line in rev_list(bare, &parents_args) {
        let mut fields = line.split(' ');
        let child = fields.next().expect("id");
        for parent in fields {
            if let (Some(c), Some(p)) = (position.get(child), position.get(parent)) {
                assert!(c < p, "{state}: {child} is judged after its parent {parent}");
            }
        }
    }
}

/// Without a commit-graph, `check` judges commits while it reads them (in
/// date order, which clock skew breaks) and hands them on children first:
/// the same commits and order constraints as with a graph.
#[test]
fn check_judges_children_before_parents_with_and_without_a_commit_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("tangle.git");
    run_git(dir.path(), &["init", "--quiet", "--bare", "tangle.git"]);
    let mut rng = Lcg(0x7090);
    grow(&bare, &mut rng, 0, 900);
    let every = [vec!["b0".to_owned()], vec!["b1".to_owned(), "b2".to_owned(), "b3".to_owned()], vec!["b0".to_owned(), "^b1".to_owned()]];
    let mut skewed = 0;
    for specs in &every {
        let ids = walked(&bare, specs, true);
        assert_topological(&bare, specs, &ids, "no commit-graph");
        // The tangle must have a parent dated after a child, or this shows nothing.
        skewed += usize::from(rev_list(&bare, specs) != rev_list(&bare, &[vec!["--topo-order".to_owned()], specs.clone()].concat()));
    }
    assert!(skewed > 0, "the history has no clock skew that date order gets wrong");
    run_git(&bare, &["commit-graph", "write", "--reachable"]);
    for specs in &every {
        assert_topological(&bare, specs, &walked(&bare, specs, true), "full commit-graph");
    }
    // Newer commits outside the graph on top of ones inside it: a limited
    // walk judges those outside while it paints, those inside after.
    grow(&bare, &mut rng, 900, 300);
    for specs in &every {
        assert_topological(&bare, specs, &walked(&bare, specs, true), "stale commit-graph");
    }
}

#[test]
fn a_push_walks_exactly_what_the_protected_refs_do_not_have() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let bare = root.join("tangle.git");
    run_git(&root, &["init", "--quiet", "--bare", "tangle.git"]);
    let mut rng = Lcg(0xfeed);
    grow(&bare, &mut rng, 0, 600);
    run_git(&bare, &["commit-graph", "write", "--reachable"]);
    grow(&bare, &mut rng, 600, 200);

    let protected = ProtectedRefs::new(&["refs/heads/b0".to_owned(), "refs/heads/b1".to_owned()]).expect("patterns");
    let at = |rev: &str| run_git(&bare, &["rev-parse", rev]).trim().to_owned();
    // (old, new) of a push to b0: fast-forward, new branch, rewind onto other history.
    let cases = [(at("b0~30"), at("b0")), (ZERO_ID.to_owned(), at("b2")), (at("b0"), at("b3~5")), (at("b1"), at("b3"))];
    let repo = GitRepo::open_for_push(&bare, None, std::slice::from_ref(&root)).expect("open");
    for (old, new) in cases {
        let update = RefUpdate { old: old.clone(), new: new.clone(), refname: "refs/heads/b0".to_owned() };
        let mut walked: Vec<(String, Vec<String>)> = Vec::new();
        repo.walk_entering(&update, &new, &protected, |facts, _| (facts.id, facts.parent_ids), |item| walked.push(item)).expect("walk");

        let mut args = vec![new.clone(), "^b0".to_owned(), "^b1".to_owned()];
        if old != ZERO_ID {
            args.push(format!("^{old}"));
        }
        let mut expected = rev_list(&bare, &args);
        let mut got: Vec<String> = walked.iter().map(|(id, _)| id.clone()).collect();
        // Never a parent before its child.
        let position: std::collections::HashMap<&str, usize> = got.iter().enumerate().map(|(n, id)| (id.as_str(), n)).collect();
        for (n, (id, parents)) in walked.iter().enumerate() {
            for parent in parents {
                if let Some(&p) = position.get(parent.as_str()) {
                    assert!(p > n, "{id} is walked after its parent {parent}");
                }
            }
        }
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "push {old}..{new}: the commits new to the protected refs, each once");
    }
}

#[test]
fn check_in_a_shallow_clone_stops_where_the_history_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("tangle.git");
    run_git(dir.path(), &["init", "--quiet", "--bare", "tangle.git"]);
    let mut rng = Lcg(0xbeef);
    grow(&bare, &mut rng, 0, 300);
    let url = format!("file://{}", bare.display());
    run_git(dir.path(), &["clone", "--quiet", "--depth", "12", "--branch", "b0", &url, "shallow"]);
    let shallow = dir.path().join("shallow");
    assert!(shallow.join(".git/shallow").exists());
    let specs = vec!["HEAD".to_owned()];
    let expected = rev_list(&shallow, &specs);
    assert!(expected.len() >= 12, "{expected:?}");
    assert_eq!(ours(&shallow, &specs), expected);
}

/// Imports `commits` (mark, branch, parent mark, committer time) as given.
fn import(bare: &Path, commits: &[(u32, &str, Option<&str>, i64)]) {
    let mut stream = String::new();
    for (mark, branch, from, time) in commits {
        let message = format!("Commit {mark}\n");
        stream.push_str(&format!(
            "commit refs/heads/{branch}\nmark :{mark}\ncommitter Dev Eloper <dev@corp.example> {time} +0000\ndata {}\n{message}",
            message.len()
        ));
        if let Some(from) = from {
            stream.push_str(&format!("from {from}\n"));
        }
        stream.push('\n');
    }
    fast_import(bare, &stream);
}

/// base: X. hid: X <- T <- S1 … Sn (dated long before X) <- H. vis: X <- V.
/// Painting by date reaches X from V long before it gets from H through the
/// old-dated S commits down to X. With `graph`, a commit-graph holds only an
/// unrelated commit: everything here is newer than it, as after a push.
fn skewed(root: &Path, name: &str, old_dated: u32, graph: bool) -> (std::path::PathBuf, String) {
    let bare = root.join(name);
    run_git(root, &["init", "--quiet", "--bare", name]);
    if graph {
        import(&bare, &[(1, "other", None, 1_600_000_000)]);
        run_git(&bare, &["commit-graph", "write", "--reachable"]);
    }
    let mut commits: Vec<(u32, &str, Option<&str>, i64)> = vec![(2, "base", None, 1_700_000_050), (3, "hid", Some(":2"), 1_700_000_150)];
    for s in 0..old_dated {
        commits.push((4 + s, "hid", None, 1_700_000_010 - i64::from(s)));
    }
    commits.push((100, "hid", None, 1_700_000_200));
    commits.push((101, "vis", Some(":2"), 1_700_000_100));
    import(&bare, &commits);
    let v = run_git(&bare, &["rev-parse", "vis"]).trim().to_owned();
    (bare, v)
}

#[test]
fn clock_skew_does_not_let_protected_history_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let specs = vec!["vis".to_owned(), "^hid".to_owned()];

    // More old-dated commits than git's date rule looks past: exact only
    // because a commit-graph exists and everything outside it is painted.
    let (bare, v) = skewed(&root, "exact.git", 7, true);
    assert_eq!(ours(&bare, &specs), vec![v.clone()], "X is on hid: only V is new");
    let protected = ProtectedRefs::new(&["refs/heads/hid".to_owned(), "refs/heads/release/*".to_owned()]).expect("patterns");
    let update = RefUpdate { old: ZERO_ID.to_owned(), new: v.clone(), refname: "refs/heads/release/1".to_owned() };
    let repo = GitRepo::open_for_push(&bare, None, std::slice::from_ref(&root)).expect("open");
    let mut walked = Vec::new();
    repo.walk_entering(&update, &v, &protected, |facts, _| facts.id, |id| walked.push(id)).expect("walk");
    assert_eq!(walked, vec![v.clone()], "a push of vis to a protected ref brings only V");
    // With every commit in the graph, generation numbers decide alone.
    run_git(&bare, &["commit-graph", "write", "--reachable"]);
    assert_eq!(ours(&bare, &specs), vec![v.clone()]);

    // No commit-graph at all: git's date rule, which looks a few commits
    // past the point where nothing new is waiting.
    let (bare, v) = skewed(&root, "dated.git", 3, false);
    assert_eq!(rev_list(&bare, &specs), vec![v.clone()]);
    assert_eq!(ours(&bare, &specs), vec![v]);
}

#[test]
fn kept_object_stores_follow_new_packs_repacks_and_rewritten_graphs() {
    // The object store and commit-graph are kept between requests: after
    // the repository gains packs, is repacked (old packs deleted) and gets
    // a new commit-graph, walks must still see exactly git's answer.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let bare = root.join("kept.git");
    run_git(&root, &["init", "--quiet", "--bare", "kept.git"]);
    let mut rng = Lcg(0xcafe);
    grow(&bare, &mut rng, 0, 200);
    run_git(&bare, &["repack", "-adq"]);
    run_git(&bare, &["commit-graph", "write", "--reachable"]);
    let protected = ProtectedRefs::new(&["refs/heads/b0".to_owned()]).expect("patterns");
    let walk = |old: &str, new: &str| -> Vec<String> {
        let repo = GitRepo::open_for_push(&bare, None, std::slice::from_ref(&root)).expect("open");
        let update = RefUpdate { old: old.to_owned(), new: new.to_owned(), refname: "refs/heads/b1".to_owned() };
        let mut ids = Vec::new();
        repo.walk_entering(&update, new, &protected, |facts, _| facts.id, |id| ids.push(id)).expect("walk");
        ids.sort();
        ids
    };
    let expected = |old: &str, new: &str| -> Vec<String> {
        let mut ids = rev_list(&bare, &[new.to_owned(), format!("^{old}"), "^b0".to_owned()]);
        ids.sort();
        ids
    };
    let at = |rev: &str| run_git(&bare, &["rev-parse", rev]).trim().to_owned();
    let (old, new) = (at("b1~5"), at("b1"));
    assert_eq!(walk(&old, &new), expected(&old, &new));

    for round in 0..3 {
        grow(&bare, &mut rng, 200 + round * 100, 100);
        if round >= 1 {
            run_git(&bare, &["repack", "-adq"]);
        }
        if round >= 2 {
            run_git(&bare, &["commit-graph", "write", "--reachable"]);
        }
        let (old, new) = (at("b1~30"), at("b1"));
        let walked = walk(&old, &new);
        assert!(!walked.is_empty());
        assert_eq!(walked, expected(&old, &new), "round {round}");
    }
}

#[test]
fn symmetric_ranges_over_unrelated_histories_list_both_sides_in_gits_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("two.git");
    run_git(dir.path(), &["init", "--quiet", "--bare", "two.git"]);
    // Equal dates: only the order the sides are taken in decides.
    import(&bare, &[(1, "left", None, 1_700_000_000), (2, "left", None, 1_700_000_000), (3, "right", None, 1_700_000_000)]);
    for specs in [["left...right"], ["right...left"]] {
        let specs: Vec<String> = specs.iter().map(|s| (*s).to_owned()).collect();
        let expected = rev_list(&bare, &specs);
        assert_eq!(expected.len(), 3);
        assert_eq!(ours(&bare, &specs), expected, "{specs:?}");
    }
}
