//! Who the engineers are: their emails, levels, logins and signing keys.
//! Plain data; reading and validating the TOML is `config::roster`.

use std::collections::HashMap;

/// The levels used when a roster declares none, lowest first.
pub const DEFAULT_LEVELS: [&str; 5] = ["junior", "mid", "senior", "staff", "principal"];

/// A validated roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    levels: Vec<String>,
    engineers: Vec<Engineer>,
    /// Lowercase email or alias -> index into `engineers`.
    by_email: HashMap<String, usize>,
}

/// One engineer on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engineer {
    /// Display name.
    pub name: String,
    /// Primary email, as written.
    pub email: String,
    /// Other emails that are this engineer's (e.g. a noreply address).
    pub aliases: Vec<String>,
    /// Rank of the level: index into the roster's levels, lowest first.
    pub level: usize,
    /// Whether the engineer may approve at all.
    pub active: bool,
    /// Logins by which git hosts name this engineer as a pusher
    /// (`GL_USERNAME`, `GITHUB_USER_LOGIN`, …), compared ignoring case.
    pub logins: Vec<String>,
    /// Whether this engineer may bypass the gate in an emergency.
    pub break_glass: bool,
}

impl Roster {
    /// A roster of `engineers` ranked by `levels` (lowest first). Emails
    /// and aliases are looked up ignoring case; the reader has already
    /// refused an address listed twice.
    pub fn new(levels: Vec<String>, engineers: Vec<Engineer>) -> Roster {
        let mut by_email = HashMap::new();
        for (index, engineer) in engineers.iter().enumerate() {
            for address in std::iter::once(&engineer.email).chain(&engineer.aliases) {
                by_email.entry(address.to_ascii_lowercase()).or_insert(index);
            }
        }
        Roster { levels, engineers, by_email }
    }

    /// The levels, lowest first.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The rank of a level name, if the roster declares it.
    pub fn level_rank(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|level| level == name)
    }

    /// The name of a level rank.
    pub fn level_name(&self, rank: usize) -> &str {
        self.levels.get(rank).map_or("unknown", String::as_str)
    }

    /// Every engineer, in roster order.
    pub fn engineers(&self) -> &[Engineer] {
        &self.engineers
    }

    /// The engineer an email (or alias) belongs to, compared ignoring case.
    pub fn engineer_by_email(&self, email: &str) -> Option<&Engineer> {
        self.by_email.get(&email.to_ascii_lowercase()).map(|&index| &self.engineers[index])
    }

    /// The engineer a git host's pusher name belongs to: one of their
    /// logins, or their email or an alias, compared ignoring case.
    pub fn engineer_by_pusher(&self, pusher: &str) -> Option<&Engineer> {
        let pusher = pusher.trim();
        self.engineers
            .iter()
            .find(|e| e.logins.iter().any(|login| login.eq_ignore_ascii_case(pusher)))
            .or_else(|| self.engineer_by_email(pusher))
    }

    /// How many active engineers are at `min_rank` or above.
    pub fn approver_count(&self, min_rank: usize) -> usize {
        self.engineers.iter().filter(|e| e.active && e.level >= min_rank).count()
    }
}

impl Engineer {
    /// Whether `email` is this engineer's primary email or an alias.
    pub fn owns_email(&self, email: &str) -> bool {
        self.email.eq_ignore_ascii_case(email) || self.aliases.iter().any(|alias| alias.eq_ignore_ascii_case(email))
    }
}
