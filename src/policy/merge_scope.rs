//! Which commits a signed merge approves: those it brings in, reachable
//! from its other parents and not from its first parent.
//!
//! Fed the commits of one walk children first (every child before its
//! parents, as pushes are judged), it labels each parent with the merges
//! above it on each side, so memory follows the walk's frontier and each
//! commit is looked at once. Commits outside the walk are already on a
//! protected ref: whatever they reach is hidden from the walk too, so
//! reachability within the walk is reachability.

use std::collections::{BTreeSet, HashMap};

use crate::policy::facts::CommitFacts;
use crate::policy::gate::MergeApproval;

/// The merges above one commit: which bring it in, which reach it
/// through their first parent.
#[derive(Debug, Clone, Default)]
struct Labels {
    brought_in_by: BTreeSet<usize>,
    first_parent_of: BTreeSet<usize>,
}

impl Labels {
    fn absorb(&mut self, other: &Labels) {
        self.brought_in_by.extend(other.brought_in_by.iter().copied());
        self.first_parent_of.extend(other.first_parent_of.iter().copied());
    }
}

/// The merge approvals met so far in one walk, and the labels still owed
/// to commits not yet seen.
#[derive(Debug, Default)]
pub struct MergeScope {
    merges: Vec<MergeApproval>,
    pending: HashMap<String, Labels>,
}

impl MergeScope {
    /// Takes the next commit of the walk (children first) and, when it is
    /// itself an approving merge, its approval; returns the approvals of
    /// the merges that bring this commit in.
    pub fn visit(&mut self, commit: &CommitFacts, own: Option<&MergeApproval>) -> Vec<MergeApproval> {
        let labels = self.pending.remove(&commit.id).unwrap_or_default();
        let applies: Vec<MergeApproval> = labels
            .brought_in_by
            .iter()
            .filter(|merge| !labels.first_parent_of.contains(merge))
            .map(|&merge| self.merges[merge].clone())
            .collect();
        let own_index = own.map(|approval| {
            self.merges.push(approval.clone());
            self.merges.len() - 1
        });
        if labels.brought_in_by.is_empty() && labels.first_parent_of.is_empty() && own_index.is_none() {
            return applies;
        }
        for (position, parent) in commit.parent_ids.iter().enumerate() {
            let entry = self.pending.entry(parent.clone()).or_default();
            entry.absorb(&labels);
            if let Some(index) = own_index {
                let side = if position == 0 { &mut entry.first_parent_of } else { &mut entry.brought_in_by };
                side.insert(index);
            }
        }
        applies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, parents: &[&str]) -> CommitFacts {
        CommitFacts { id: id.into(), parent_ids: parents.iter().map(|p| (*p).to_owned()).collect(), ..CommitFacts::default() }
    }

    fn approval(merge: &str) -> MergeApproval {
        MergeApproval { merge: merge.into(), approver: "Sam".into(), email: "sam@corp.example".into(), signed_at: 0, time_problem: None }
    }

    /// The ids each commit is approved by, walking `walk` children first.
    fn approved(walk: &[(&str, &[&str], bool)]) -> Vec<(String, Vec<String>)> {
        let mut scope = MergeScope::default();
        walk.iter()
            .map(|(id, parents, approves)| {
                let own = approves.then(|| approval(id));
                let merges = scope.visit(&commit(id, parents), own.as_ref());
                ((*id).to_owned(), merges.into_iter().map(|m| m.merge).collect())
            })
            .collect()
    }

    #[test]
    fn a_merge_approves_its_branch_not_its_mainline() {
        // M merges b2 (b2 <- b1 <- base) into m1 (m1 <- base).
        let walk: &[(&str, &[&str], bool)] =
            &[("M", &["m1", "b2"], true), ("m1", &["base"], false), ("b2", &["b1"], false), ("b1", &["base"], false), ("base", &[], false)];
        let result = approved(walk);
        let by = |id: &str| result.iter().find(|(c, _)| c == id).map(|(_, m)| m.clone()).unwrap_or_default();
        assert_eq!(by("b2"), ["M"]);
        assert_eq!(by("b1"), ["M"]);
        assert!(by("m1").is_empty());
        assert!(by("base").is_empty(), "reachable from the first parent too");
        assert!(by("M").is_empty(), "a merge does not approve itself");
    }

    #[test]
    fn an_unapproving_merge_passes_nothing_on_and_nested_merges_add_up() {
        let walk: &[(&str, &[&str], bool)] =
            &[("top", &["main", "N"], true), ("N", &["x", "y"], false), ("x", &[], false), ("y", &[], false), ("main", &[], false)];
        let result = approved(walk);
        assert_eq!(result[1].1, ["top"]);
        assert_eq!(result[2].1, ["top"]);
        assert_eq!(result[3].1, ["top"]);
        assert!(result[4].1.is_empty());
        let plain: &[(&str, &[&str], bool)] = &[("M", &["a", "b"], false), ("a", &[], false), ("b", &[], false)];
        assert!(approved(plain).iter().all(|(_, merges)| merges.is_empty()));
    }
}
