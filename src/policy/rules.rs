//! Blast-radius rules (`[[policy.rule]]`): more, or higher, approvals for a
//! commit whose change is risky: it touches infrastructure paths, deletes
//! many files or lines, is too large to review in one sitting, flips an
//! executable bit or moves a submodule.
//!
//! Pure: the git edge streams a commit's changed files (its tree diff
//! against the first parent, no rename detection) through a
//! [`ChangeSource`]; a rule only tallies them. Line counts are asked for
//! only for the files a line condition looks at.

use std::fmt::Write as _;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::policy::facts::CommitFacts;
use crate::policy::refs::ProtectedRefs;

/// Most rules a configuration may hold (a rule set is a 64-bit mask).
pub const MAX_RULES: usize = 64;
/// Example paths named per condition in a refusal.
const MAX_EXAMPLES: usize = 2;

/// Which commits a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    /// Only AI-assisted commits (the default).
    AiAssisted,
    /// Every commit entering the ref, by a human or not.
    All,
}

/// Path globs matched against a changed file's whole path from the
/// repository root: `*` stays within one folder, `**` crosses folders, and
/// a pattern also matches everything under it (`infra` is `infra/**` too).
#[derive(Debug, Clone)]
pub struct Paths {
    patterns: Vec<String>,
    set: GlobSet,
}

impl PartialEq for Paths {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for Paths {}

impl Paths {
    /// Compiles patterns; the error names the pattern that is not valid.
    pub fn new(patterns: &[String]) -> Result<Paths, (usize, String)> {
        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let trimmed = pattern.trim_end_matches('/');
            if trimmed.is_empty() || trimmed.starts_with('/') {
                return Err((index, format!("path pattern `{pattern}` must be relative to the repository root, e.g. \"infra/**\"")));
            }
            for glob in [trimmed.to_owned(), format!("{trimmed}/**")] {
                let glob = GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|error| (index, format!("path pattern `{pattern}`: {}", error.kind())))?;
                builder.add(glob);
            }
        }
        let set = builder.build().map_err(|error| (0, format!("path patterns: {error}")))?;
        Ok(Paths { patterns: patterns.to_vec(), set })
    }

    /// Whether a changed file's path matches.
    pub fn matches(&self, path: &[u8]) -> bool {
        self.set.is_match(String::from_utf8_lossy(path).as_ref())
    }

    /// The patterns, as people read them: `infra/**, **/*.tf`.
    pub fn describe(&self) -> String {
        self.patterns.join(", ")
    }
}

/// What a commit's change must show for a rule to apply; all that are set
/// must hold, and `paths` narrows the others to the files it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Changed paths (either side of the change) to look at.
    pub paths: Option<Paths>,
    /// At least this many files deleted.
    pub min_deleted_files: Option<u64>,
    /// At least this many lines deleted.
    pub min_deleted_lines: Option<u64>,
    /// At least this many lines added and deleted together.
    pub min_changed_lines: Option<u64>,
    /// A file that stays becomes, or stops being, executable.
    pub executable_change: bool,
    /// A submodule is added, removed or moved to another commit.
    pub submodule_change: bool,
}

impl Conditions {
    /// Whether any condition needs the commit's diff at all (a rule with
    /// none applies to every commit it covers).
    pub fn needs_diff(&self) -> bool {
        self.paths.is_some() || self.min_deleted_files.is_some() || self.needs_lines() || self.executable_change || self.submodule_change
    }

    /// Whether a condition counts lines (which costs blob diffs).
    pub fn needs_lines(&self) -> bool {
        self.min_deleted_lines.is_some() || self.min_changed_lines.is_some()
    }

    /// Whether the file at `path` is one the conditions look at.
    fn covers(&self, path: &[u8]) -> bool {
        self.paths.as_ref().is_none_or(|paths| paths.matches(path))
    }
}

/// What a rule asks for, on top of the base policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The lowest level that counts (the base policy's when not set), and
    /// where it was written.
    pub min_approver_level: Option<(String, (usize, usize))>,
    /// Distinct approvers needed.
    pub required_approvals: usize,
    /// When set, only these engineers (roster emails, lowercase) count, and
    /// where each was written.
    pub approvers: Vec<(String, (usize, usize))>,
}

/// One `[[policy.rule]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The name shown to pushers and in the JSON output.
    pub name: String,
    /// Why the rule exists, shown to pushers.
    pub description: Option<String>,
    /// The protected refs it covers (all of them when not set).
    pub refs: Option<ProtectedRefs>,
    /// AI-assisted commits only, or every commit.
    pub applies_to: AppliesTo,
    /// What the change must show.
    pub when: Conditions,
    /// What it then needs.
    pub needs: Requirement,
    /// Where the rule starts in the configuration.
    pub at: (usize, usize),
}

/// The kind of a tree entry on one side of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (100644).
    File,
    /// An executable file (100755).
    Executable,
    /// A symbolic link (120000).
    Symlink,
    /// A submodule commit (160000).
    Submodule,
}

/// Lines a file's change adds and deletes, as `git diff --numstat` counts
/// them (none for a binary file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lines {
    /// Lines added.
    pub added: u64,
    /// Lines deleted.
    pub deleted: u64,
}

/// One file a commit changes (trees are never listed, only what is in them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileChange<'a> {
    /// The path from the repository root, as the tree records it.
    pub path: &'a [u8],
    /// What it was; `None` when the commit adds it.
    pub old: Option<EntryKind>,
    /// What it is now; `None` when the commit deletes it.
    pub new: Option<EntryKind>,
    /// Its lines, when they were asked for and it is text.
    pub lines: Option<Lines>,
}

/// Where a commit's change comes from: the git edge, or a table in tests.
pub trait ChangeSource {
    /// The commit's change id (see `policy::approval`), when it can be made.
    fn change_id(&mut self, commit: &str) -> Option<String>;

    /// Calls `visit` for each file `commit` changes against its recorded
    /// first parent (a root commit: against nothing), with line counts for
    /// the files `lines_for` accepts. An error says why the change could
    /// not be read (the rules then apply, failing closed).
    fn changed_files(
        &mut self,
        commit: &CommitFacts,
        lines_for: &dyn Fn(&[u8]) -> bool,
        visit: &mut dyn FnMut(&FileChange<'_>),
    ) -> Result<(), String>;

    /// Now, in seconds since 1970, to check signing times against; `None`
    /// where no time applies (they are then not checked).
    fn now(&self) -> Option<i64> {
        None
    }

    /// Whether `signature`, by the key it carries, verifies over `message`
    /// in `namespace`: checked now, unless the source checks a batch.
    fn verifies(&mut self, namespace: &str, message: &[u8], signature: &ssh_key::SshSig) -> bool {
        crate::policy::batch::verifies_now(namespace, message, signature)
    }

    /// The lines `commit` adds and deletes against its first parent (a
    /// binary file counts none), when its change can be read.
    fn changed_lines(&mut self, commit: &CommitFacts) -> Option<u64> {
        let mut lines = 0u64;
        self.changed_files(commit, &|_| true, &mut |file| lines += file.lines.map_or(0, |l| l.added + l.deleted)).ok()?;
        Some(lines)
    }
}

/// A closure that gives change ids is a source without diffs.
impl<F: FnMut(&str) -> Option<String>> ChangeSource for F {
    fn change_id(&mut self, commit: &str) -> Option<String> {
        self(commit)
    }

    fn changed_files(&mut self, _: &CommitFacts, _: &dyn Fn(&[u8]) -> bool, _: &mut dyn FnMut(&FileChange<'_>)) -> Result<(), String> {
        Err("no diff is available here".to_owned())
    }
}

/// Which rules cover a ref: a bit per rule, in configuration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleScope(pub u64);

impl RuleScope {
    /// Every rule.
    pub const ALL: RuleScope = RuleScope(u64::MAX);

    /// The rules of `rules` that cover `refname` (every rule when it is
    /// `None`: `check` without `--ref` is as strict as any ref).
    pub fn of(rules: &[Rule], refname: Option<&str>) -> RuleScope {
        let mut bits = 0u64;
        for (index, rule) in rules.iter().enumerate().take(MAX_RULES) {
            let covers = match (&rule.refs, refname) {
                (Some(refs), Some(refname)) => refs.matches(refname),
                _ => true,
            };
            if covers {
                bits |= 1 << index;
            }
        }
        RuleScope(bits)
    }

    /// The rules of either scope.
    pub fn with(self, other: RuleScope) -> RuleScope {
        RuleScope(self.0 | other.0)
    }

    /// Whether every rule of `needed` is in this scope.
    pub fn covers(self, needed: RuleScope) -> bool {
        needed.0 & !self.0 == 0
    }

    /// Whether rule `index` is in scope.
    pub fn contains(self, index: usize) -> bool {
        index < MAX_RULES && self.0 & (1 << index) != 0
    }
}

/// What one rule found in one commit's change, and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCheck {
    /// The rule's name.
    pub name: String,
    /// What in the change made it apply, in words.
    pub triggered_by: Vec<String>,
    /// What satisfies it, in words.
    pub required: String,
    /// Whether the commit's valid approvals satisfy it.
    pub satisfied: bool,
    /// The rule's index in the configuration.
    #[serde(skip)]
    pub index: usize,
}

/// A rule's counts over one commit's change.
#[derive(Debug, Clone, Default)]
struct Tally {
    files: u64,
    deleted_files: u64,
    added_lines: u64,
    deleted_lines: u64,
    examples: Vec<String>,
    deleted_examples: Vec<String>,
    executable: Option<(String, bool)>,
    submodule: Option<String>,
}

fn example(list: &mut Vec<String>, path: &[u8]) {
    if list.len() < MAX_EXAMPLES {
        list.push(String::from_utf8_lossy(path).into_owned());
    }
}

impl Tally {
    fn add(&mut self, change: &FileChange<'_>) {
        self.files += 1;
        example(&mut self.examples, change.path);
        if change.new.is_none() {
            self.deleted_files += 1;
            example(&mut self.deleted_examples, change.path);
        }
        if let Some(lines) = change.lines {
            self.added_lines += lines.added;
            self.deleted_lines += lines.deleted;
        }
        if let (Some(old), Some(new)) = (change.old, change.new) {
            let (was, is) = (old == EntryKind::Executable, new == EntryKind::Executable);
            if was != is && self.executable.is_none() {
                self.executable = Some((String::from_utf8_lossy(change.path).into_owned(), is));
            }
        }
        if (change.old == Some(EntryKind::Submodule) || change.new == Some(EntryKind::Submodule)) && self.submodule.is_none() {
            self.submodule = Some(String::from_utf8_lossy(change.path).into_owned());
        }
    }
}

/// `1,240`: numbers as people read them.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn files(n: u64) -> String {
    format!("{} file{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn lines(n: u64) -> String {
    format!("{} line{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn examples(list: &[String], total: u64) -> String {
    let mut out = list.join(", ");
    if total > list.len() as u64 {
        out.push_str(", …");
    }
    out
}

impl Rule {
    /// Whether the rule looks at a commit with (`ai`) or without AI markers.
    pub fn looks_at(&self, ai: bool) -> bool {
        ai || self.applies_to == AppliesTo::All
    }

    /// What in `tally` makes the rule apply, or `None` when a condition
    /// does not hold.
    fn triggered(&self, tally: &Tally) -> Option<Vec<String>> {
        let when = &self.when;
        let mut why = Vec::new();
        // With paths, each count names them; alone, they say what changed.
        let matching = when.paths.as_ref().map(|paths| format!(" matching {}", paths.describe())).unwrap_or_default();
        if when.paths.is_some() && tally.files == 0 {
            return None;
        }
        if let Some(min) = when.min_deleted_files {
            if tally.deleted_files < min {
                return None;
            }
            why.push(format!(
                "deletes {}{matching} ({}; rule: {} or more)",
                files(tally.deleted_files),
                examples(&tally.deleted_examples, tally.deleted_files),
                thousands(min)
            ));
        }
        let in_files = if when.paths.is_some() { format!(" in files{matching}") } else { String::new() };
        if let Some(min) = when.min_deleted_lines {
            if tally.deleted_lines < min {
                return None;
            }
            why.push(format!("deletes {}{in_files} (rule: {} or more)", lines(tally.deleted_lines), thousands(min)));
        }
        if let Some(min) = when.min_changed_lines {
            let changed = tally.added_lines + tally.deleted_lines;
            if changed < min {
                return None;
            }
            why.push(format!("{} changed lines{in_files} (rule: {} or more)", thousands(changed), thousands(min)));
        }
        if when.executable_change {
            let (path, now) = tally.executable.as_ref()?;
            why.push(if *now { format!("makes {path} executable") } else { format!("makes {path} no longer executable") });
        }
        if when.submodule_change {
            let path = tally.submodule.as_ref()?;
            why.push(format!("changes submodule {path}"));
        }
        if why.is_empty() {
            why.push(match &when.paths {
                Some(_) => format!("changes {}{matching} ({})", files(tally.files), examples(&tally.examples, tally.files)),
                None if self.applies_to == AppliesTo::AiAssisted => "an AI-assisted commit".to_owned(),
                None => "any commit".to_owned(),
            });
        }
        Some(why)
    }
}

/// Which of `rules` (those in `candidates`, each looking at the commit)
/// apply to `commit`, and why: one pass over its changed files, with line
/// counts only for files a line condition looks at. When the change cannot
/// be read, every candidate that needs it applies (fail closed).
pub fn matching(rules: &[Rule], candidates: &[usize], commit: &CommitFacts, source: &mut dyn ChangeSource) -> Vec<(usize, Vec<String>)> {
    let mut tallies: Vec<Tally> = vec![Tally::default(); candidates.len()];
    let diffing: Vec<usize> = candidates.iter().copied().filter(|&index| rules[index].when.needs_diff()).collect();
    let mut unreadable = None;
    if !diffing.is_empty() {
        let lines_for = |path: &[u8]| diffing.iter().any(|&index| rules[index].when.needs_lines() && rules[index].when.covers(path));
        let mut visit = |change: &FileChange<'_>| {
            for (tally, &index) in tallies.iter_mut().zip(candidates) {
                if rules[index].when.needs_diff() && rules[index].when.covers(change.path) {
                    tally.add(change);
                }
            }
        };
        if let Err(why) = source.changed_files(commit, &lines_for, &mut visit) {
            unreadable = Some(why);
        }
    }
    let mut matched = Vec::new();
    for (tally, &index) in tallies.iter().zip(candidates) {
        let rule = &rules[index];
        match &unreadable {
            Some(why) if rule.when.needs_diff() => matched.push((index, vec![format!("its change could not be read ({why})")])),
            _ => {
                if let Some(why) = rule.triggered(tally) {
                    matched.push((index, why));
                }
            }
        }
    }
    matched
}

/// "a signed approval" / "2 approvals", for the requirement's sentence.
pub fn approvals_phrase(count: usize, signed: bool) -> String {
    let mut out = String::new();
    let kind = if signed { "signed approval" } else { "approval" };
    if count == 1 {
        let _ = write!(out, "{} {kind}", if signed { "a" } else { "an" });
    } else {
        let _ = write!(out, "{count} {kind}s");
    }
    out
}

/// One file of a [`Table`]: its path, what it was and is, and its lines
/// (added, deleted) when it is text.
#[cfg(test)]
type Row = (String, Option<EntryKind>, Option<EntryKind>, Option<(u64, u64)>);

/// A commit's change given as a table, for tests of the rules and of what
/// uses them. It keeps the paths whose lines were asked for.
#[cfg(test)]
pub(crate) struct Table {
    rows: Vec<Row>,
    /// The paths `lines_for` accepted, in order.
    pub(crate) asked: Vec<String>,
}

#[cfg(test)]
impl Table {
    /// The table of `rows`.
    pub(crate) fn of<P: Into<String>>(
        rows: impl IntoIterator<Item = (P, Option<EntryKind>, Option<EntryKind>, Option<(u64, u64)>)>,
    ) -> Table {
        Table { rows: rows.into_iter().map(|(path, old, new, lines)| (path.into(), old, new, lines)).collect(), asked: Vec::new() }
    }
}

#[cfg(test)]
impl ChangeSource for Table {
    fn change_id(&mut self, _: &str) -> Option<String> {
        None
    }

    fn changed_files(
        &mut self,
        _: &CommitFacts,
        lines_for: &dyn Fn(&[u8]) -> bool,
        visit: &mut dyn FnMut(&FileChange<'_>),
    ) -> Result<(), String> {
        for (path, old, new, counted) in &self.rows {
            let wanted = lines_for(path.as_bytes());
            if wanted {
                self.asked.push(path.clone());
            }
            let lines = counted.filter(|_| wanted).map(|(added, deleted)| Lines { added, deleted });
            visit(&FileChange { path: path.as_bytes(), old: *old, new: *new, lines });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntryKind::*;

    fn paths(patterns: &[&str]) -> Paths {
        Paths::new(&patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>()).expect("patterns")
    }

    fn rule(when: Conditions) -> Rule {
        Rule {
            name: "r".into(),
            description: None,
            refs: None,
            applies_to: AppliesTo::AiAssisted,
            when,
            needs: Requirement { min_approver_level: None, required_approvals: 1, approvers: vec![] },
            at: (1, 1),
        }
    }

    fn matched(when: Conditions, table: Table) -> Option<Vec<String>> {
        let rules = [rule(when)];
        let mut table = table;
        matching(&rules, &[0], &CommitFacts::default(), &mut table).pop().map(|(_, why)| why)
    }

    #[test]
    fn path_patterns_match_as_documented() {
        let set = paths(&["infra/**", "**/*.tf", "deploy", ".github/workflows/**", "**/migrations/**"]);
        for yes in [
            "infra/a",
            "infra/x/y.yaml",
            "main.tf",
            "a/b/c.tf",
            "deploy/run.sh",
            "deploy",
            ".github/workflows/ci.yml",
            "db/migrations/1.sql",
        ] {
            assert!(set.matches(yes.as_bytes()), "{yes}");
        }
        for no in ["infrastructure/a", "a.tfvars", "deployment/x", ".github/CODEOWNERS", "src/migrations.rs", "Infra/a"] {
            assert!(!set.matches(no.as_bytes()), "{no}");
        }
        // `*` stays within a folder.
        assert!(!paths(&["*.tf"]).matches(b"a/b.tf"));
        // Names that are not UTF-8 still match by their readable parts.
        assert!(set.matches(b"infra/\xff.yaml"));
        assert!(Paths::new(&["/abs".into()]).is_err());
        assert!(Paths::new(&["a/[".into()]).is_err());
    }

    #[test]
    fn conditions_hold_together_and_paths_narrow_the_counts() {
        let deletes = |min| Conditions { paths: Some(paths(&["infra/**"])), min_deleted_files: Some(min), ..Conditions::default() };
        let table = || {
            Table::of(vec![
                ("infra/a.tf", Some(File), None, Some((0, 10))),
                ("infra/b.tf", Some(File), None, Some((0, 5))),
                ("src/c.rs", Some(File), None, Some((0, 100))),
                ("infra/d.tf", Some(File), Some(File), Some((1, 1))),
            ])
        };
        assert_eq!(
            matched(deletes(2), table()),
            Some(vec!["deletes 2 files matching infra/** (infra/a.tf, infra/b.tf; rule: 2 or more)".to_owned()])
        );
        let only_paths = Conditions { paths: Some(paths(&["infra/**"])), ..Conditions::default() };
        assert_eq!(matched(only_paths, table()), Some(vec!["changes 3 files matching infra/** (infra/a.tf, infra/b.tf, …)".to_owned()]));
        assert_eq!(matched(deletes(3), table()), None, "src/c.rs is outside the paths");
        let lines = |min| Conditions { paths: Some(paths(&["infra/**"])), min_deleted_lines: Some(min), ..Conditions::default() };
        assert!(matched(lines(16), table()).is_some());
        assert_eq!(matched(lines(17), table()), None);
        let changed = Conditions { min_changed_lines: Some(117), ..Conditions::default() };
        assert_eq!(matched(changed, table()), Some(vec!["117 changed lines (rule: 117 or more)".to_owned()]));
        let changed = Conditions { min_changed_lines: Some(118), ..Conditions::default() };
        assert_eq!(matched(changed, table()), None);
    }

    #[test]
    fn renames_binaries_modes_submodules_and_empty_commits() {
        // A rename is a deletion and an addition (no rename detection): it
        // matches on either path and counts as a deleted file.
        let rename = || Table::of(vec![("infra/old.tf", Some(File), None, Some((0, 3))), ("app/new.tf", None, Some(File), Some((3, 0)))]);
        let under = |p: &[&str]| Conditions { paths: Some(paths(p)), ..Conditions::default() };
        assert!(matched(under(&["infra"]), rename()).is_some());
        assert!(matched(under(&["app/**"]), rename()).is_some());
        assert!(matched(Conditions { min_deleted_files: Some(1), ..Conditions::default() }, rename()).is_some());
        assert!(matched(Conditions { min_changed_lines: Some(6), ..Conditions::default() }, rename()).is_some());

        // A binary file counts as a file, not as lines.
        let binary = || Table::of(vec![("logo.png", Some(File), None, None)]);
        assert!(matched(Conditions { min_deleted_files: Some(1), ..Conditions::default() }, binary()).is_some());
        assert_eq!(matched(Conditions { min_deleted_lines: Some(1), ..Conditions::default() }, binary()), None);

        // The executable bit, both ways; a new executable file is not a mode change.
        let exec = Conditions { executable_change: true, ..Conditions::default() };
        let flipped = Table::of(vec![("run.sh", Some(File), Some(Executable), Some((0, 0)))]);
        assert_eq!(matched(exec.clone(), flipped), Some(vec!["makes run.sh executable".to_owned()]));
        let cleared = Table::of(vec![("run.sh", Some(Executable), Some(File), Some((0, 0)))]);
        assert_eq!(matched(exec.clone(), cleared), Some(vec!["makes run.sh no longer executable".to_owned()]));
        assert_eq!(matched(exec.clone(), Table::of(vec![("new.sh", None, Some(Executable), Some((1, 0)))])), None);
        assert_eq!(matched(exec, Table::of(vec![("a.rs", Some(File), Some(File), Some((1, 1)))])), None);

        // A submodule added, moved or removed.
        let sub = Conditions { submodule_change: true, ..Conditions::default() };
        for (old, new) in
            [(None, Some(Submodule)), (Some(Submodule), Some(Submodule)), (Some(Submodule), None), (Some(File), Some(Submodule))]
        {
            assert_eq!(
                matched(sub.clone(), Table::of(vec![("vendor/lib", old, new, None)])),
                Some(vec!["changes submodule vendor/lib".to_owned()])
            );
        }
        assert_eq!(matched(sub, Table::of(vec![("vendor/lib", Some(File), Some(File), Some((1, 0)))])), None);

        // An empty commit changes nothing: no condition on its change holds.
        for when in [
            under(&["**"]),
            Conditions { min_deleted_files: Some(1), ..Conditions::default() },
            Conditions { min_changed_lines: Some(1), ..Conditions::default() },
        ] {
            assert_eq!(matched(when, Table::of(Vec::<(&str, _, _, _)>::new())), None);
        }
        // A rule with no condition applies to every commit it looks at.
        assert_eq!(
            matched(Conditions::default(), Table::of(Vec::<(&str, _, _, _)>::new())),
            Some(vec!["an AI-assisted commit".to_owned()])
        );
    }

    #[test]
    fn an_unreadable_change_applies_the_rule() {
        let rules = [rule(Conditions { min_deleted_files: Some(1), ..Conditions::default() })];
        let mut no_diff = |_: &str| None;
        let found = matching(&rules, &[0], &CommitFacts::default(), &mut no_diff);
        assert_eq!(found, vec![(0, vec!["its change could not be read (no diff is available here)".to_owned()])]);
    }

    #[test]
    fn lines_are_counted_only_where_a_condition_looks() {
        let rules = [
            rule(Conditions { paths: Some(paths(&["infra"])), min_changed_lines: Some(1), ..Conditions::default() }),
            rule(Conditions { paths: Some(paths(&["src"])), ..Conditions::default() }),
        ];
        let mut asked =
            Table::of([("infra/a.tf", Some(File), Some(File), Some((1, 1))), ("src/b.rs", Some(File), Some(File), Some((1, 1)))]);
        matching(&rules, &[0, 1], &CommitFacts::default(), &mut asked);
        assert_eq!(asked.asked, ["infra/a.tf"]);
    }

    #[test]
    fn scopes_follow_each_rules_refs() {
        let mut release = rule(Conditions::default());
        release.refs = Some(ProtectedRefs::new(&["refs/heads/release/*".to_owned()]).expect("refs"));
        let rules = [rule(Conditions::default()), release];
        assert_eq!(RuleScope::of(&rules, Some("refs/heads/main")), RuleScope(0b01));
        assert_eq!(RuleScope::of(&rules, Some("refs/heads/release/1")), RuleScope(0b11));
        assert_eq!(RuleScope::of(&rules, None), RuleScope(0b11));
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1240), "1,240");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
