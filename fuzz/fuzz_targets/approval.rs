//! Signed approvals and change ids: an approval trailer's value, a merge's
//! armored signature and payload, and patch text, for any bytes. Nothing may
//! panic, and nothing but a real signature by a roster key may verify.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signoff_gate::git::patch_id::{Whitespace, patch_id};
use signoff_gate::policy::approval::{CommitSignature, armored_body, commit_signer, split_value, verify_approval};
use signoff_gate::policy::roster::Roster;

const ROSTER: &str = r#"
[[engineer]]
name = "Alice Senior"
email = "alice@corp.example"
level = "senior"
signing_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHkWjnl0SZhnH91p+kmkxH3cMesZKFUS08MSLJvMkKa alice@laptop"]
"#;

fn roster() -> &'static Roster {
    static ROSTER_READ: OnceLock<Roster> = OnceLock::new();
    ROSTER_READ.get_or_init(|| Roster::parse(Path::new("roster.toml"), ROSTER).expect("roster"))
}

fuzz_target!(|data: &[u8]| {
    let roster = roster();
    let alice = roster.engineer_by_email("alice@corp.example").expect("alice");
    let text = String::from_utf8_lossy(data);
    let value = split_value(&text);
    // Random bytes never sign this change (the seed's signature is for the zero change).
    let other = || Some("1111111111111111111111111111111111111111111111111111111111111111".to_owned());
    let verified = verify_approval(&value, "alice@corp.example", alice, roster, &mut { other });
    assert!(verified.is_err(), "{text:?} verified");
    let _ = verify_approval(&value, "alice@corp.example", alice, roster, &mut || None);
    let _ = armored_body(&text);
    let _ = commit_signer(&CommitSignature { payload: data.to_vec(), armored: text.clone().into_owned() }, roster);
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let _ = patch_id(lines.iter().copied(), Whitespace::Verbatim);
    let _ = patch_id(lines, Whitespace::Stripped);
});
