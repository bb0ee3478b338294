//! The body cap: a request body is read up to [`MAX_BODY_BYTES`] and no
//! further, and a larger one is refused with the core's `400 invalid_data`
//! (never a framework's own `413` page), without buffering the rest.
//!
//! [`read_body`] reads any [`http_body::Body`] (axum's, hyper's) through
//! `http-body-util`'s [`Limited`]; [`BodyCap`] takes the chunks of a framework
//! whose body is a stream of its own (actix-web's payload, warp's stream).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::http::{BodyCap, MAX_BODY_BYTES, read_body};
//! use http_body_util::Full;
//!
//! let body = read_body(Full::new(bytes::Bytes::from_static(b"{}"))).await.unwrap();
//! assert_eq!(body, "{}");
//!
//! let mut cap = BodyCap::default();
//! cap.push(&[b' '; MAX_BODY_BYTES]).unwrap();
//! let refused = cap.push(b"!").unwrap_err();
//! assert_eq!(refused.status(), 400);
//! # });
//! ```

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::request::body_too_large;
use super::{MAX_BODY_BYTES, Redacted, Rejection};

/// Reads `body` whole if it is at most [`MAX_BODY_BYTES`] long; else refuses it
/// with `400 invalid_data` ("Request body is too large"), and a body that
/// cannot be read with `400 invalid_data` too.
pub async fn read_body<B>(body: B) -> Result<Bytes, Rejection>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(Rejection::plain(body_too_large())),
        Err(error) => Err(Rejection::unreadable_body(&error)),
    }
}

/// A body collected chunk by chunk, refused as soon as it passes
/// [`MAX_BODY_BYTES`]: for a body that arrives as a stream of chunks (actix-web,
/// warp) rather than as an [`http_body::Body`] (see [`read_body`]).
#[derive(Default)]
pub struct BodyCap {
    collected: BytesMut,
}

/// Shows how much is collected, never the content: a login body holds a password.
impl std::fmt::Debug for BodyCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyCap")
            .field("collected", &Redacted::of(&self.collected))
            .finish()
    }
}

impl BodyCap {
    /// Adds a chunk; refuses the body once it is larger than the cap.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Rejection> {
        if chunk.len() > MAX_BODY_BYTES - self.collected.len() {
            return Err(Rejection::plain(body_too_large()));
        }
        self.collected.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub fn finish(self) -> Bytes {
        self.collected.freeze()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::Full;

    use super::*;

    #[tokio::test]
    async fn body_one_byte_over_the_cap_is_refused() {
        let body = Full::new(Bytes::from(vec![b' '; MAX_BODY_BYTES + 1]));
        let refused = read_body(body).await.unwrap_err();
        assert_eq!(
            refused.response().body().as_ref(),
            br#"{"type":"invalid_data","message":"Request body is too large"}"#
        );
    }

    #[test]
    fn debug_of_a_collected_body_shows_its_length_not_its_content() {
        let mut cap = BodyCap::default();
        cap.push(br#"{"password":"correct horse"}"#).unwrap();
        let printed = format!("{cap:?}");
        assert!(!printed.contains("correct horse"), "{printed}");
        assert!(printed.contains("28 bytes"), "{printed}");
    }

    #[tokio::test]
    async fn body_at_the_cap_is_read_whole() {
        let body = Full::new(Bytes::from(vec![b' '; MAX_BODY_BYTES]));
        assert_eq!(read_body(body).await.unwrap().len(), MAX_BODY_BYTES);
    }
}
