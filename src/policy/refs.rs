//! Protected refs and ref updates: which updates the gate looks at.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// git's all-zero object id, meaning "no object" in hook input.
pub const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// The set of protected ref patterns (`*` matches within one path segment,
/// `**` across segments).
#[derive(Debug, Clone)]
pub struct ProtectedRefs {
    patterns: Vec<String>,
    set: GlobSet,
}

impl PartialEq for ProtectedRefs {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for ProtectedRefs {}

impl Default for ProtectedRefs {
    /// No protected refs.
    fn default() -> Self {
        ProtectedRefs { patterns: Vec::new(), set: GlobSet::empty() }
    }
}

impl ProtectedRefs {
    /// Compiles patterns; the error names the pattern that is not valid.
    pub fn new(patterns: &[String]) -> Result<ProtectedRefs, (usize, String)> {
        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in patterns.iter().enumerate() {
            if !pattern.starts_with("refs/") {
                return Err((index, format!("protected ref pattern `{pattern}` must start with `refs/`")));
            }
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|error| (index, format!("protected ref pattern `{pattern}`: {}", error.kind())))?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|error| (0, format!("protected ref patterns: {error}")))?;
        Ok(ProtectedRefs { patterns: patterns.to_vec(), set })
    }

    /// Whether `refname` is protected.
    pub fn matches(&self, refname: &str) -> bool {
        self.set.is_match(refname)
    }

    /// The patterns as configured.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// What a ref update does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The ref did not exist.
    Create,
    /// The ref moves from one object to another.
    Update,
    /// The ref is removed.
    Delete,
}

/// One `<old> <new> <ref>` line of pre-receive input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The object the ref pointed to, or [`ZERO_ID`].
    pub old: String,
    /// The object the ref will point to, or [`ZERO_ID`].
    pub new: String,
    /// The full ref name, e.g. `refs/heads/main`.
    pub refname: String,
}

impl RefUpdate {
    /// What this update does.
    pub fn change(&self) -> Change {
        if is_zero(&self.new) {
            Change::Delete
        } else if is_zero(&self.old) {
            Change::Create
        } else {
            Change::Update
        }
    }
}

/// Whether an object id is all zeros (git's "no object").
pub fn is_zero(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// Whether `refname` is a replace ref (`refs/replace/<id>`): it makes git
/// show another object wherever the replaced one is named, on every branch.
pub fn is_replace_ref(refname: &str) -> bool {
    refname.starts_with("refs/replace/")
}

/// Whether `id` is a full hex object id (SHA-1 or SHA-256 length).
pub fn is_object_id(id: &str) -> bool {
    (id.len() == 40 || id.len() == 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `name` is a ref name git would accept in a push: it starts with
/// `refs/`, and has no `..`, control characters, spaces, `~^:?*[\`, no
/// component starting with `.` or ending with `.lock`, and no `@{`.
pub fn is_valid_refname(name: &str) -> bool {
    name.starts_with("refs/")
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.contains("@{")
        && !name.contains("//")
        && !name.bytes().any(|b| b < 0x20 || b == 0x7f || b" ~^:?*[\\".contains(&b))
        && name.split('/').all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_within_one_segment() {
        let refs = ProtectedRefs::new(&["refs/heads/main".into(), "refs/heads/release/*".into()]).expect("valid patterns");
        for (name, protected) in [
            ("refs/heads/main", true),
            ("refs/heads/main2", false),
            ("refs/heads/release/1.0", true),
            ("refs/heads/release/1.0/hotfix", false),
            ("refs/heads/release", false),
            ("refs/heads/feature", false),
            ("refs/tags/main", false),
        ] {
            assert_eq!(refs.matches(name), protected, "{name}");
        }
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(ProtectedRefs::new(&["heads/main".into()]).is_err());
        assert!(ProtectedRefs::new(&["refs/heads/[".into()]).is_err());
    }

    #[test]
    fn classifies_updates() {
        let update = |old: &str, new: &str| RefUpdate { old: old.into(), new: new.into(), refname: "refs/heads/main".into() };
        let id = "1".repeat(40);
        assert_eq!(update(ZERO_ID, &id).change(), Change::Create);
        assert_eq!(update(&id, &id).change(), Change::Update);
        assert_eq!(update(&id, ZERO_ID).change(), Change::Delete);
    }

    #[test]
    fn validates_names_and_ids() {
        assert!(is_valid_refname("refs/heads/feature/x-1"));
        for bad in ["main", "refs/heads/a..b", "refs/heads/a b", "refs/heads/.x", "refs/heads/x.lock", "refs/heads/", "refs/heads/a@{1}"] {
            assert!(!is_valid_refname(bad), "{bad}");
        }
        assert!(is_object_id(&"a".repeat(40)));
        assert!(!is_object_id("abc"));
        assert!(!is_object_id(&"g".repeat(40)));
    }
}
