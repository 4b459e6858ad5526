//! A changeset revision: 40 hexadecimal digits (hg node or git SHA-1), kept in lower case.

use std::fmt;
use std::str::FromStr;

/// A full 40-hex-digit revision, normalised to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Revision(String);

/// A text that is not 40 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a revision (expected 40 hexadecimal digits)")]
pub struct InvalidRevision(pub String);

impl Revision {
    pub const LEN: usize = 40;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for Revision {
    type Err = InvalidRevision;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.len() == Self::LEN && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Revision(value.to_ascii_lowercase()))
        } else {
            Err(InvalidRevision(value.to_owned()))
        }
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_forty_hex_digits_in_any_case() {
        let r: Revision = "ABCDEF0123456789abcdef0123456789ABCDEF01".parse().unwrap();
        assert_eq!(r.as_str(), "abcdef0123456789abcdef0123456789abcdef01");
    }

    #[test]
    fn refuses_short_long_and_non_hex() {
        for bad in ["abc", &"a".repeat(41), &"g".repeat(40), ""] {
            assert!(bad.parse::<Revision>().is_err(), "{bad}");
        }
    }
}
