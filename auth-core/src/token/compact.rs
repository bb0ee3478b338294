//! The JWS compact form: three canonical base64url segments, and the header.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use super::TokenError;
use super::json::{Reason, StrictValue, parse, refuse};

/// A token split at its two dots. Nothing has been decoded yet.
pub(crate) struct Compact<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

const INVALID: u8 = 0;
const BASE64URL: u8 = 1;
const DOT: u8 = 2;

/// What each byte may be in a compact JWS: one table lookup per byte keeps the
/// scan of a 500-byte token cheap.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            table[byte] = BASE64URL;
        } else if b == b'.' {
            table[byte] = DOT;
        }
        byte += 1;
    }
    table
};

/// Splits a compact JWS in one pass without allocating: exactly two dots, three
/// non-empty segments, only `[A-Za-z0-9_-]`. It stops at the third dot, so a
/// token made of dots costs no more than a short one. JWE (five segments), the
/// JSON serialization, padding and whitespace all fail here.
pub(crate) fn split(token: &str) -> Result<Compact<'_>, TokenError> {
    let bytes = token.as_bytes();
    let mut dots = [0usize; 2];
    let mut count = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        match BYTE_CLASS[usize::from(byte)] {
            BASE64URL => {}
            DOT if count < 2 => {
                dots[count] = index;
                count += 1;
            }
            _ => return Err(TokenError::Malformed),
        }
    }
    let [first, second] = dots;
    if count != 2 || first == 0 || second == first + 1 || second + 1 == bytes.len() {
        return Err(TokenError::Malformed);
    }
    Ok(Compact {
        header: &token[..first],
        payload: &token[first + 1..second],
        signature: &token[second + 1..],
        signing_input: &token[..second],
    })
}

/// Decodes one segment as canonical unpadded base64url: padding is refused, and
/// so are non-zero trailing bits (`...Q` vs `...R` for the same bytes).
pub(crate) fn decode(segment: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Malformed)
}

/// Encodes bytes as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends unpadded base64url of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// The JOSE header: only `alg`, `typ` and `kid` are accepted.
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub(crate) alg: String,
    pub(crate) typ: Option<String>,
    pub(crate) kid: Option<String>,
}

impl Header {
    /// Parses the decoded header; any other member, a duplicate member or a
    /// non-string value is refused.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Header, TokenError> {
        let cell = Reason::default();
        parse(bytes, &cell, HeaderSeed(&cell), TokenError::Malformed)
    }
}

/// Header members that are refused by name; any other unknown member is
/// reported as `"unknown"` so that no token text reaches an error message.
const REFUSED_MEMBERS: &[&str] = &[
    "crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "b64", "enc", "zip", "cty", "epk",
    "apu", "apv", "iv", "tag", "p2s", "p2c", "url", "nonce",
];

struct HeaderSeed<'a>(&'a Reason);

impl<'de> DeserializeSeed<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Header, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let cell = self.0;
        let (mut alg, mut typ, mut kid) = (None, None, None);
        while let Some(name) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            let slot = match &*name {
                "alg" => &mut alg,
                "typ" => &mut typ,
                "kid" => &mut kid,
                other => {
                    // Still parse the value so a duplicate or deep value is reported
                    // consistently, then refuse the member itself.
                    map.next_value_seed(StrictValue { depth: 1, cell })?;
                    let known = REFUSED_MEMBERS.iter().find(|m| **m == other);
                    return Err(refuse(
                        cell,
                        TokenError::UnsupportedHeader(known.copied().unwrap_or("unknown")),
                    ));
                }
            };
            if slot.is_some() {
                return Err(refuse(cell, TokenError::DuplicateMember));
            }
            *slot = Some(map.next_value::<String>()?);
        }
        Ok(Header {
            alg: alg.ok_or_else(|| refuse(cell, TokenError::Malformed))?,
            typ,
            kid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_three_segments() {
        let parts = split("aaa.bbb.ccc").unwrap();
        assert_eq!(
            (parts.header, parts.payload, parts.signature),
            ("aaa", "bbb", "ccc")
        );
        assert_eq!(parts.signing_input, "aaa.bbb");
    }

    #[test]
    fn split_refuses_empty_segments_and_wrong_counts() {
        for token in [
            "",
            ".",
            "..",
            "a..c",
            ".b.c",
            "a.b.",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "a b.c.d",
            "a=.b.c",
        ] {
            assert!(split(token).is_err(), "{token:?}");
        }
    }

    #[test]
    fn decode_refuses_non_canonical_trailing_bits() {
        assert_eq!(decode("QQ").unwrap(), b"A");
        assert!(decode("QR").is_err());
        assert!(decode("QQ==").is_err());
        assert!(decode("Q").is_err());
    }
}
