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
//! alone and cancel out together. The multiplication by the cofactor makes
//! the batch accept a signature exactly when it verifies up to a
//! small-order component; one-by-one checks are stricter there. Only a
//! key's owner can make a signature that differs between the two, so the
//! difference gives a pusher without the key nothing.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};
use ssh_key::{Algorithm, PublicKey, SshSig};

/// Whether `signature`, by the key it carries, verifies over `message` in
/// `namespace` (checked now, on its own).
pub fn verifies_now(namespace: &str, message: &[u8], signature: &SshSig) -> bool {
    PublicKey::from(signature.public_key().clone()).verify(namespace, message, signature).is_ok()
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
    /// Something noted cannot verify whatever the rest (a signature of the
    /// wrong length): the batch fails.
    broken: bool,
}

impl Batch {
    /// Notes `signature` over `message` in `namespace` and takes it as good
    /// until [`Batch::verifies`]; a signature that is not a plain ed25519
    /// one is checked now.
    pub fn note(&mut self, namespace: &str, message: &[u8], signature: &SshSig) -> bool {
        let Some(key) = signature.public_key().ed25519() else { return verifies_now(namespace, message, signature) };
        if signature.algorithm() != Algorithm::Ed25519 || !signature.reserved().is_empty() {
            return verifies_now(namespace, message, signature);
        }
        if signature.namespace() != namespace {
            return false;
        }
        let Ok(signed) = SshSig::signed_data(namespace, signature.hash_alg(), message) else { return false };
        let Ok(bytes) = <[u8; 64]>::try_from(signature.signature_bytes()) else {
            self.broken = true;
            return true;
        };
        let (mut r, mut s) = ([0u8; 32], [0u8; 32]);
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        let hram: [u8; 64] = Sha512::new().chain_update(r).chain_update(key.0).chain_update(&signed).finalize().into();
        self.noted.push(Noted { key: key.0, r, s, hram });
        true
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
        if self.broken {
            return false;
        }
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
