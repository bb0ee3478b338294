//! Strict JSON for token headers, claims and JWKs.
//!
//! `serde_json` silently keeps the last of two members with the same name, so
//! `{"exp":1,"exp":9999999999}` could mean different things to different
//! parsers. The seeds here reject duplicate members at every depth and bound
//! the nesting depth. A [`Reason`] cell carries the precise [`TokenError`] out of
//! serde, whose own errors are strings.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::TokenError;

/// Deepest accepted nesting of objects and arrays (the claims object is depth 1).
pub(crate) const MAX_DEPTH: usize = 16;

/// Where a visitor records why it refused its input.
pub(crate) type Reason = Cell<Option<TokenError>>;

/// Records `reason` and returns a serde error that aborts parsing.
pub(crate) fn refuse<E: de::Error>(cell: &Reason, reason: TokenError) -> E {
    cell.set(Some(reason));
    E::custom("refused")
}

/// Parses `bytes` as one JSON document with `seed`. On failure the recorded
/// reason wins; otherwise syntax errors are [`TokenError::Malformed`] and type
/// errors `type_error`.
pub(crate) fn parse<'de, S>(
    bytes: &'de [u8],
    cell: &Reason,
    seed: S,
    type_error: TokenError,
) -> Result<S::Value, TokenError>
where
    S: DeserializeSeed<'de>,
{
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = seed
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    result.map_err(|error| {
        cell.take().unwrap_or(if error.is_data() {
            type_error
        } else {
            TokenError::Malformed
        })
    })
}

/// Deserializes any JSON value, refusing duplicate members and deep nesting.
pub(crate) struct StrictValue<'a> {
    pub(crate) depth: usize,
    pub(crate) cell: &'a Reason,
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(refuse(self.cell, TokenError::TooDeep));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue {
            depth,
            cell: self.cell,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        strict_object(self.depth, self.cell, map).map(Value::Object)
    }
}

/// Reads the members of an object at `depth - 1` into a map, refusing duplicates.
pub(crate) fn strict_object<'de, A: MapAccess<'de>>(
    depth: usize,
    cell: &Reason,
    mut map: A,
) -> Result<Map<String, Value>, A::Error> {
    let depth = depth + 1;
    if depth > MAX_DEPTH {
        return Err(refuse(cell, TokenError::TooDeep));
    }
    let mut object = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        let value = map.next_value_seed(StrictValue { depth, cell })?;
        if object.insert(key, value).is_some() {
            return Err(refuse(cell, TokenError::DuplicateMember));
        }
    }
    Ok(object)
}

/// Deserializes a JSON object (or `null`, read as empty) with [`strict_object`].
pub(crate) struct StrictObject<'a> {
    pub(crate) depth: usize,
    pub(crate) cell: &'a Reason,
}

impl<'de> DeserializeSeed<'de> for StrictObject<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictObject<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        strict_object(self.depth, self.cell, map)
    }
}

/// Parses a whole document into a [`Value`] with duplicate and depth checks.
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, TokenError> {
    let cell = Reason::default();
    parse(
        bytes,
        &cell,
        StrictValue {
            depth: 0,
            cell: &cell,
        },
        TokenError::Malformed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_member_is_refused_at_any_depth() {
        for doc in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":1}}"#,
            r#"[{"x":[{"y":1,"y":2}]}]"#,
        ] {
            assert_eq!(
                parse_value(doc.as_bytes()),
                Err(TokenError::DuplicateMember),
                "{doc}"
            );
        }
    }

    #[test]
    fn escaped_duplicate_member_is_refused() {
        assert_eq!(
            parse_value(br#"{"exp":1,"\u0065xp":2}"#),
            Err(TokenError::DuplicateMember)
        );
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse_value(deep.as_bytes()), Err(TokenError::TooDeep));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_value(ok.as_bytes()).is_ok());
    }

    #[test]
    fn trailing_content_is_malformed() {
        assert_eq!(parse_value(br#"{"a":1} x"#), Err(TokenError::Malformed));
    }
}
