//! Checking many ed25519 signatures at once. A push of a thousand approved
//! commits carries a thousand signatures; checked one by one, they cost
//! more than reading and diffing the commits. A [`Batch`] notes each one
//! (taking it as good for the moment) and checks them together with one
//! multi-scalar multiplication, about four times cheaper. Its caller must
//! act on a failed batch by checking each signature on its own
//! ([`verifies_now`]): a batch only says that all are good, or not.
//!
//! The check is the standard batch equation (as `ed25519-dalek`'s
//! `verify_batch`), with the keys' terms gathered: the signatures of one
//! approver share one key, so one point stands for all of them.
//!
//! ```text
//! [8] ( [-Σ zᵢsᵢ] B + Σ [zᵢ] Rᵢ + Σ_keys [Σ_{i by A} zᵢkᵢ] A ) = 0
//! ```
//!
//! where kᵢ = SHA-512(Rᵢ ‖ A ‖ Mᵢ) and the zᵢ are 128-bit scalars derived
//! from a hash of every input, so no one can choose signatures that fail
//! alone and cancel out together.
//!
//! One rule everywhere: a signature verifies when [8]([s]B − R − [k]A) = 0
//! (the cofactored equation, as ZIP-215 has it), s is canonical and R and A
//! are canonical encodings, whether it is checked in a batch or alone
//! ([`verifies_now`]). A batch takes the multiplication by the cofactor
//! outside the sum, so it accepts exactly what the one-by-one check accepts
//! (with certainty for good signatures, and for bad ones but with
//! negligible chance), and a commit's verdict does not depend on the
//! commits it shares a batch with. Only a key's owner can make a signature
//! that `ssh-keygen -Y verify` (which does not multiply by the cofactor)
//! reads otherwise.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};
use ssh_key::{Algorithm, PublicKey, SshSig};

/// Whether `signature`, by the key it carries, verifies over `message` in
/// `namespace` (checked now, on its own; an ed25519 one by the rule of the
/// module, any other by `ssh-key`).
pub fn verifies_now(namespace: &str, message: &[u8], signature: &SshSig) -> bool {
    match prepare(namespace, message, signature) {
        Prepared::Ed25519(noted) => noted.verifies(),
        Prepared::Other => PublicKey::from(signature.public_key().clone()).verify(namespace, message, signature).is_ok(),
        Prepared::Refused => false,
    }
}

/// A signature made ready to be checked.
enum Prepared {
    /// A plain ed25519 SSHSIG.
    Ed25519(Noted),
    /// Another kind of key or signature: `ssh-key` checks it.
    Other,
    /// It cannot verify (another namespace, a signature of the wrong size).
    Refused,
}

/// Reads what checking `signature` over `message` in `namespace` needs.
fn prepare(namespace: &str, message: &[u8], signature: &SshSig) -> Prepared {
    let Some(key) = signature.public_key().ed25519() else { return Prepared::Other };
    if signature.algorithm() != Algorithm::Ed25519 || !signature.reserved().is_empty() {
        return Prepared::Other;
    }
    if signature.namespace() != namespace {
        return Prepared::Refused;
    }
    let Ok(signed) = SshSig::signed_data(namespace, signature.hash_alg(), message) else { return Prepared::Refused };
    let Ok(bytes) = <[u8; 64]>::try_from(signature.signature_bytes()) else { return Prepared::Refused };
    let (mut r, mut s) = ([0u8; 32], [0u8; 32]);
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..]);
    let hram: [u8; 64] = Sha512::new().chain_update(r).chain_update(key.0).chain_update(&signed).finalize().into();
    Prepared::Ed25519(Noted { key: key.0, r, s, hram })
}

/// One noted signature.
struct Noted {
    /// The signer's key, as encoded.
    key: [u8; 32],
    /// R, as encoded in the signature.
    r: [u8; 32],
    /// s, as encoded in the signature.
    s: [u8; 32],
    /// SHA-512(R ‖ A ‖ M).
    hram: [u8; 64],
}

/// Ed25519 signatures noted to be checked together (see the module).
#[derive(Default)]
pub struct Batch {
    noted: Vec<Noted>,
}

impl Batch {
    /// Notes `signature` over `message` in `namespace` and takes it as good
    /// until [`Batch::verifies`]; a signature that is not a plain ed25519
    /// one is checked now.
    pub fn note(&mut self, namespace: &str, message: &[u8], signature: &SshSig) -> bool {
        match prepare(namespace, message, signature) {
            Prepared::Ed25519(noted) => {
                self.noted.push(noted);
                true
            }
            Prepared::Other => verifies_now(namespace, message, signature),
            Prepared::Refused => false,
        }
    }

    /// How many signatures were noted.
    pub fn len(&self) -> usize {
        self.noted.len()
    }

    /// Whether nothing was noted.
    pub fn is_empty(&self) -> bool {
        self.noted.is_empty()
    }

    /// Whether every noted signature verifies.
    pub fn verifies(&self) -> bool {
        if self.noted.is_empty() {
            return true;
        }
        // The weights: from a hash of every input (each hram covers R, A
        // and M; s is added).
        let mut transcript = Sha512::new_with_prefix(b"signoff-gate ed25519 batch v1");
        for noted in &self.noted {
            transcript.update(noted.hram);
            transcript.update(noted.s);
        }
        let seed = transcript.finalize();
        let mut scalars = Vec::with_capacity(self.noted.len() + 4);
        let mut points = Vec::with_capacity(self.noted.len() + 4);
        let mut base = Scalar::ZERO;
        // Each distinct key, its point and its gathered weight.
        let mut keys: Vec<([u8; 32], EdwardsPoint, Scalar)> = Vec::new();
        let mut weights = [0u8; 64];
        for (index, noted) in self.noted.iter().enumerate() {
            // Four weights from each hash of the seed and a counter.
            if index % 4 == 0 {
                weights = Sha512::new().chain_update(seed).chain_update(((index / 4) as u64).to_le_bytes()).finalize().into();
            }
            let mut weight = [0u8; 16];
            weight.copy_from_slice(&weights[16 * (index % 4)..16 * (index % 4 + 1)]);
            let z = Scalar::from(u128::from_le_bytes(weight));
            let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(noted.s)) else { return false };
            let Some(r) = point(&noted.r) else { return false };
            let k = Scalar::from_bytes_mod_order_wide(&noted.hram);
            base -= z * s;
            scalars.push(z);
            points.push(r);
            match keys.iter_mut().find(|(key, _, _)| *key == noted.key) {
                Some((_, _, gathered)) => *gathered += z * k,
                None => {
                    let Some(a) = point(&noted.key) else { return false };
                    keys.push((noted.key, a, z * k));
                }
            }
        }
        scalars.push(base);
        points.push(ED25519_BASEPOINT_POINT);
        for (_, a, gathered) in keys {
            scalars.push(gathered);
            points.push(a);
        }
        EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).mul_by_cofactor().is_identity()
    }
}

impl Noted {
    /// Whether this one signature verifies: [8]([s]B − R − [k]A) = 0.
    fn verifies(&self) -> bool {
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(self.s)) else { return false };
        let (Some(r), Some(a)) = (point(&self.r), point(&self.key)) else { return false };
        let k = Scalar::from_bytes_mod_order_wide(&self.hram);
        (EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s) - r).mul_by_cofactor().is_identity()
    }
}

/// Why an ed25519 public key cannot be an approver's, if it cannot: it is
/// not the canonical encoding of a point (so no signature verifies under
/// it), or its point is of small order, so that [8]([s]B − R − [k]A) = 0
/// holds for R = [s]B whatever the message: anyone could sign for it.
pub fn unusable_key(bytes: &[u8; 32]) -> Option<&'static str> {
    match point(bytes) {
        None => Some("is not a point on the curve (nothing verifies under it)"),
        Some(point) if point.is_small_order() => Some("is of small order: anyone can make signatures that verify under it"),
        Some(_) => None,
    }
}

/// The point `bytes` encode, when they are its one canonical encoding (a
/// one-by-one check compares encodings, so it refuses any other).
fn point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let mut y = *bytes;
    y[31] &= 0x7f;
    // y ≥ p = 2²⁵⁵ − 19: the top 31 bytes all ones, the first ≥ 0xed.
    if y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed {
        return None;
    }
    let point = CompressedEdwardsY(*bytes).decompress()?;
    // x = 0 has no sign: its encoding with the sign bit set is not canonical.
    let one = |v: &[u8; 32]| v[0] == 1 && v[1..].iter().all(|&b| b == 0);
    let minus_one = |v: &[u8; 32]| v[0] == 0xec && v[1..31].iter().all(|&b| b == 0xff) && v[31] == 0x7f;
    if bytes[31] & 0x80 != 0 && (one(&y) || minus_one(&y)) {
        return None;
    }
    Some(point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::{HashAlg, PrivateKey};

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn signed(key: &PrivateKey, message: &str) -> SshSig {
        key.sign("test-namespace", HashAlg::Sha512, message.as_bytes()).expect("sign")
    }

    /// A signature with its raw bytes replaced.
    fn with_bytes(signature: &SshSig, bytes: Vec<u8>) -> SshSig {
        let raw = ssh_key::Signature::new(Algorithm::Ed25519, bytes).expect("signature");
        SshSig::new(signature.public_key().clone(), signature.namespace(), signature.hash_alg(), raw).expect("sshsig")
    }

    #[test]
    fn a_batch_of_good_signatures_by_several_keys_verifies() {
        let (alice, sam) = (key(1), key(2));
        let mut batch = Batch::default();
        for n in 0..40 {
            let signer = if n % 3 == 0 { &sam } else { &alice };
            let message = format!("change {n}");
            assert!(batch.note("test-namespace", message.as_bytes(), &signed(signer, &message)));
        }
        assert_eq!(batch.len(), 40);
        assert!(batch.verifies());
        assert!(Batch::default().verifies(), "an empty batch has nothing wrong");
    }

    #[test]
    fn one_bad_signature_fails_the_batch() {
        let alice = key(1);
        let good: Vec<(String, SshSig)> = (0..20).map(|n| format!("change {n}")).map(|m| (m.clone(), signed(&alice, &m))).collect();
        let check = |tamper: &dyn Fn(usize, &str, &SshSig) -> (String, SshSig)| {
            let mut batch = Batch::default();
            for (index, (message, signature)) in good.iter().enumerate() {
                let (message, signature) = tamper(index, message, signature);
                // A note is taken as good until the batch is checked.
                assert!(batch.note("test-namespace", message.as_bytes(), &signature));
            }
            batch.verifies()
        };
        assert!(check(&|_, m, s| (m.to_owned(), s.clone())));
        // Another message under a good signature.
        assert!(!check(&|i, m, s| (if i == 7 { "change 70".to_owned() } else { m.to_owned() }, s.clone())));
        // Two signatures swapped: each is good for the other's message.
        assert!(!check(&|i, m, _| {
            let j = match i {
                3 => 4,
                4 => 3,
                other => other,
            };
            (m.to_owned(), good[j].1.clone())
        }));
        // A flipped bit in R, and in s.
        for byte in [5, 40] {
            assert!(!check(&|i, m, s| {
                let mut bytes = s.signature_bytes().to_vec();
                if i == 11 {
                    bytes[byte] ^= 1;
                }
                (m.to_owned(), with_bytes(s, bytes))
            }));
        }
        // s + ℓ: the same point equation, but not the one canonical s.
        assert!(!check(&|i, m, s| {
            let mut bytes = s.signature_bytes().to_vec();
            if i == 2 {
                // ℓ = 2²⁵² + 27742317777372353535851937790883648493, little-endian.
                let mut order = [0u8; 32];
                order[..16]
                    .copy_from_slice(&[0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14]);
                order[31] = 0x10;
                let mut carry = 0u16;
                for (b, o) in bytes[32..].iter_mut().zip(order) {
                    carry += u16::from(*b) + u16::from(o);
                    *b = carry as u8;
                    carry >>= 8;
                }
            }
            (m.to_owned(), with_bytes(s, bytes))
        }));
        // A signature of another key, under the right key's name.
        let eve = key(9);
        assert!(!check(&|i, m, s| {
            if i == 5 {
                let forged = signed(&eve, m);
                (
                    m.to_owned(),
                    SshSig::new(s.public_key().clone(), s.namespace(), s.hash_alg(), forged.signature().clone()).expect("sshsig"),
                )
            } else {
                (m.to_owned(), s.clone())
            }
        }));
    }

    #[test]
    fn a_signature_for_another_namespace_is_refused_at_once() {
        let alice = key(1);
        let other = alice.sign("git", HashAlg::Sha512, b"change").expect("sign");
        let mut batch = Batch::default();
        assert!(!batch.note("test-namespace", b"change", &other));
        assert!(batch.is_empty());
    }

    #[test]
    fn the_batch_agrees_with_one_by_one_checks() {
        let alice = key(1);
        for n in 0..10 {
            let message = format!("change {n}");
            let signature = signed(&alice, &message);
            let mut batch = Batch::default();
            batch.note("test-namespace", b"another change", &signature);
            assert_eq!(batch.verifies(), verifies_now("test-namespace", b"another change", &signature));
            let mut batch = Batch::default();
            batch.note("test-namespace", message.as_bytes(), &signature);
            assert_eq!(batch.verifies(), verifies_now("test-namespace", message.as_bytes(), &signature));
        }
    }

    /// A signature by `secret` whose R carries a small-order component:
    /// [s]B − R − [k]A is that component, not zero.
    fn with_torsion(secret: Scalar, message: &[u8]) -> SshSig {
        let public = (ED25519_BASEPOINT_POINT * secret).compress().to_bytes();
        let nonce = Scalar::from(123_456_789u64);
        let r = (ED25519_BASEPOINT_POINT * nonce + curve25519_dalek::constants::EIGHT_TORSION[1]).compress().to_bytes();
        let signed = SshSig::signed_data("test-namespace", HashAlg::Sha512, message).expect("signed data");
        let k =
            Scalar::from_bytes_mod_order_wide(&Sha512::new().chain_update(r).chain_update(public).chain_update(&signed).finalize().into());
        let s = nonce + k * secret;
        let mut bytes = r.to_vec();
        bytes.extend_from_slice(s.as_bytes());
        let key = ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(public));
        let raw = ssh_key::Signature::new(Algorithm::Ed25519, bytes).expect("signature");
        SshSig::new(key, "test-namespace", HashAlg::Sha512, raw).expect("sshsig")
    }

    #[test]
    fn a_signature_with_a_small_order_part_gets_one_verdict_alone_or_in_any_batch() {
        let secret = Scalar::from(987_654_321u64);
        let odd = with_torsion(secret, b"change");
        // ssh-key (no multiplication by the cofactor) refuses it; the gate's
        // one rule takes it, alone and in a batch, whatever its neighbours.
        assert!(PublicKey::from(odd.public_key().clone()).verify("test-namespace", b"change", &odd).is_err());
        assert!(verifies_now("test-namespace", b"change", &odd));
        let alice = key(1);
        for neighbours in [0, 1, 7, 30] {
            let mut batch = Batch::default();
            batch.note("test-namespace", b"change", &odd);
            for n in 0..neighbours {
                let message = format!("change {n}");
                batch.note("test-namespace", message.as_bytes(), &signed(&alice, &message));
            }
            assert!(batch.verifies(), "with {neighbours} neighbours");
        }
        // For another message it verifies nowhere.
        assert!(!verifies_now("test-namespace", b"other", &odd));
        let mut batch = Batch::default();
        batch.note("test-namespace", b"other", &odd);
        assert!(!batch.verifies());
    }

    #[test]
    fn only_canonical_point_encodings_are_read() {
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(point(&one).is_some());
        let mut negative_zero = one;
        negative_zero[31] |= 0x80;
        assert!(point(&negative_zero).is_none());
        // y = p + 1 encodes the same point as y = 1.
        let mut above = [0xffu8; 32];
        above[0] = 0xee;
        above[31] = 0x7f;
        assert!(point(&above).is_none());
    }
}
