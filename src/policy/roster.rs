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
    /// `SHA256:` fingerprint of each signing key -> index into `engineers`.
    by_key: HashMap<String, usize>,
    /// Each signing key itself -> index into `engineers` (the same map as
    /// `by_key`: a key's fingerprint is a hash of its encoding).
    by_key_data: HashMap<ssh_key::public::KeyData, usize>,
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
    /// The public SSH keys this engineer signs approvals with.
    pub signing_keys: Vec<SigningKey>,
}

/// A public SSH key from the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key.
    pub key: ssh_key::PublicKey,
    /// Its fingerprint as `ssh-keygen -l` prints it: `SHA256:…`.
    pub fingerprint: String,
}

impl SigningKey {
    /// Reads one `ssh-ed25519 AAAA… comment` line; refuses kinds the gate
    /// cannot verify, RSA keys under 2048 bits and ed25519 keys anyone could
    /// sign for (small order) or no one could (not a point).
    pub fn parse(line: &str) -> Result<SigningKey, String> {
        let key = ssh_key::PublicKey::from_openssh(line.trim()).map_err(|error| format!("not a public SSH key: {error}"))?;
        let ed25519 = match key.key_data() {
            ssh_key::public::KeyData::Ed25519(ed25519) => Some(ed25519.0),
            ssh_key::public::KeyData::SkEd25519(sk) => Some(sk.public_key().0),
            _ => None,
        };
        if let Some(why) = ed25519.as_ref().and_then(crate::policy::batch::unusable_key) {
            return Err(format!("this ed25519 key {why}; use a key made by ssh-keygen"));
        }
        match key.key_data() {
            ssh_key::public::KeyData::Ed25519(_)
            | ssh_key::public::KeyData::Ecdsa(_)
            | ssh_key::public::KeyData::SkEd25519(_)
            | ssh_key::public::KeyData::SkEcdsaSha2NistP256(_) => {}
            ssh_key::public::KeyData::Rsa(rsa) => {
                let bits = modulus_bits(rsa.n.as_bytes());
                if bits < 2048 {
                    return Err(format!("an RSA key of {bits} bits is too weak; use ed25519, or RSA of at least 2048 bits"));
                }
                if bits > 4096 {
                    return Err(format!(
                        "an RSA key of {bits} bits cannot be verified here (at most 4096); use ed25519, or RSA of 2048 to 4096 bits"
                    ));
                }
            }
            _ => return Err(format!("{} keys are not accepted; use ed25519, ecdsa or RSA (2048 bits or more)", key.algorithm())),
        }
        let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
        Ok(SigningKey { key, fingerprint })
    }

    /// The key kind, e.g. `ssh-ed25519`.
    pub fn kind(&self) -> String {
        self.key.algorithm().to_string()
    }
}

/// Bits in a big-endian unsigned integer (as SSH encodes an RSA modulus,
/// possibly with a leading zero byte).
fn modulus_bits(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|&b| b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    bytes.len() * 8 - bytes[0].leading_zeros() as usize
}

impl Roster {
    /// A roster of `engineers` ranked by `levels` (lowest first). Emails
    /// and aliases are looked up ignoring case; the reader has already
    /// refused an address listed twice.
    pub fn new(levels: Vec<String>, engineers: Vec<Engineer>) -> Roster {
        let (mut by_email, mut by_key, mut by_key_data) = (HashMap::new(), HashMap::new(), HashMap::new());
        for (index, engineer) in engineers.iter().enumerate() {
            for address in std::iter::once(&engineer.email).chain(&engineer.aliases) {
                by_email.entry(address.to_ascii_lowercase()).or_insert(index);
            }
            for key in &engineer.signing_keys {
                by_key.entry(key.fingerprint.clone()).or_insert(index);
                by_key_data.entry(key.key.key_data().clone()).or_insert(index);
            }
        }
        Roster { levels, engineers, by_email, by_key, by_key_data }
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

    /// The engineer who lists the key with this `SHA256:` fingerprint.
    pub fn engineer_by_key(&self, fingerprint: &str) -> Option<&Engineer> {
        self.by_key.get(fingerprint).map(|&index| &self.engineers[index])
    }

    /// The engineer who listed `key` (found without hashing it, as each
    /// approval of a push asks).
    pub fn engineer_by_key_data(&self, key: &ssh_key::public::KeyData) -> Option<&Engineer> {
        self.by_key_data.get(key).map(|&index| &self.engineers[index])
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

/// Keys made from fixed seeds, for the core's tests (pure: no ssh-keygen).
#[cfg(test)]
pub(crate) mod test_keys {
    use ssh_key::PrivateKey;
    use ssh_key::private::Ed25519Keypair;

    /// The ed25519 key made from `seed`.
    pub(crate) fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    /// Its public key line, as a roster lists it.
    pub(crate) fn public(seed: u8) -> String {
        key(seed).public_key().to_openssh().expect("an ed25519 public key encodes")
    }
}
