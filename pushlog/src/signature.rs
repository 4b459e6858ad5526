//! GitHub webhook signatures: checking `X-Hub-Signature-256` against the shared secret, and
//! making one (for tests and benchmarks that post events as GitHub would).
//!
//! The header is `sha256=` and the hex HMAC-SHA256 of the raw body under the webhook's
//! secret. The comparison is constant-time (`hmac`'s `verify_slice`), so a forger learns
//! nothing from how long a refusal takes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";
const DIGEST_BYTES: usize = 32;

/// Why a request's signature is refused. `Missing` and `Malformed` say the sender is not
/// configured for signatures; `Mismatch` that the secret or the body differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no X-Hub-Signature-256 header")]
    Missing,
    #[error("malformed X-Hub-Signature-256 header: {0}")]
    Malformed(&'static str),
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Checks the `X-Hub-Signature-256` header (`None` when the request had none) of `body`.
pub fn verify_github_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed("expected sha256=<hex>"))?;
    if hex.len() != 2 * DIGEST_BYTES {
        return Err(SignatureError::Malformed("expected 64 hexadecimal digits"));
    }
    let expected =
        decode_hex(hex).ok_or(SignatureError::Malformed("expected 64 hexadecimal digits"))?;
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` header value GitHub would send with `body`.
pub fn sign_github_body(secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut header = String::with_capacity(PREFIX.len() + 2 * DIGEST_BYTES);
    header.push_str(PREFIX);
    for byte in digest {
        header.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        header.push(char::from(HEX_DIGITS[usize::from(byte & 0xf)]));
    }
    header
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn mac(secret: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC hashes a key longer than the block and pads a shorter one: any length works.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Hex digits (either case) to bytes; `None` for an odd length or a non-hex character.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }
    let digits = hex.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ffA0"), Some(vec![0, 255, 160]));
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("é0"), None);
    }
}
