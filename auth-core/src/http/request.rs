//! The neutral request: what an adapter hands the auth routes, built from the
//! pieces every framework has (method, URI as received, headers, peer address,
//! body bytes), and the path rules all three adapters apply alike.
//!
//! ```
//! use auth_core::http::AuthRequest;
//! use http::{HeaderMap, Method, Uri};
//!
//! let received: Uri = "/auth/customer/emailpass?next=%2F".parse().unwrap();
//! let request = AuthRequest::received(Method::POST, &received, HeaderMap::new())
//!     .mounted_at("/auth")
//!     .from_peer(Some("192.0.2.7:50000".parse().unwrap()));
//! assert_eq!(request.path, "/customer/emailpass");
//! assert_eq!(request.url, "/auth/customer/emailpass?next=%2F");
//! assert_eq!(request.query.as_deref(), Some("next=%2F"));
//! // The module resolves the client address from the peer with its `ProxyPolicy`.
//! assert_eq!(request.peer, Some("192.0.2.7:50000".parse().unwrap()));
//! assert_eq!(request.client_addr, None);
//! ```

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri, header};
use serde_json::Value;

use crate::credentials::RequestHead;
use crate::error::AuthError;
use crate::secret::{HeaderNames, QueryNames, Redacted, url_path};

/// The largest request body the auth routes read; adapters cap bodies at this
/// size with [`read_body`](super::read_body) or [`BodyCap`](super::BodyCap).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request to an auth route, as any framework can build it. Its `Debug`
/// shows the method, the path, header and query parameter names and the body's
/// length: never a credential or a password.
#[derive(Clone)]
pub struct AuthRequest {
    /// The method.
    pub method: Method,
    /// The path below the mount point, e.g. `/customer/emailpass/register`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The URL as received (path and query), handed to providers.
    pub url: String,
    /// The connection's peer, as the server saw it (see [`from_peer`](Self::from_peer)).
    pub peer: Option<SocketAddr>,
    /// The address auth-core throttles the client by. Left `None`, the module
    /// resolves it from [`peer`](Self::peer) and the forwarding headers with
    /// its [`ProxyPolicy`](super::ProxyPolicy); set, it is used as is.
    pub client_addr: Option<IpAddr>,
}

impl AuthRequest {
    /// A request with no headers, query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let path = path.into();
        Self {
            method,
            url: path.clone(),
            path,
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            peer: None,
            client_addr: None,
        }
    }

    /// A request as the server received it: the URL and query come from
    /// `received`, the path too until [`below`](Self::below) names the part
    /// below the mount point.
    pub fn received(method: Method, received: &Uri, headers: HeaderMap) -> Self {
        let mut request = Self::new(method, received.path());
        request.url = received
            .path_and_query()
            .map_or_else(|| received.path().to_owned(), |url| url.as_str().to_owned());
        request.query = received.query().map(str::to_owned);
        request.headers = headers;
        request
    }

    /// Sets the path below the mount point (`/` when empty), still
    /// percent-encoded as received.
    pub fn below(mut self, path: &str) -> Self {
        self.path = if path.is_empty() { "/" } else { path }.to_owned();
        self
    }

    /// Keeps the path below `mount` (see [`below_mount`]), for an adapter that
    /// mounts the auth routes at a known path: `/auth/customer/emailpass`
    /// mounted at `/auth` is `/customer/emailpass`. A path not below `mount`
    /// stays whole.
    pub fn mounted_at(mut self, mount: &str) -> Self {
        if let Some(below) = below_mount(&self.path, mount) {
            self.path = below.to_owned();
        }
        self
    }

    /// Sets the connection's peer (`None` when the server did not say). The
    /// module reads the client address from it, and from `Forwarded` /
    /// `X-Forwarded-For` only when the peer is a trusted proxy of its
    /// [`ProxyPolicy`](super::ProxyPolicy): an adapter passes the peer and
    /// decides nothing.
    pub fn from_peer(mut self, peer: Option<SocketAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the client address, as already resolved (the module's
    /// [`ProxyPolicy`](super::ProxyPolicy) is then not applied).
    pub fn with_client_addr(mut self, addr: IpAddr) -> Self {
        self.client_addr = Some(addr);
        self
    }

    /// Sets the query string.
    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// The borrowed view the credential parser and policies read.
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead::new(&self.method, &self.headers, self.query.as_deref())
    }
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query.as_deref().map(QueryNames))
            .field("headers", &HeaderNames(&self.headers))
            .field("body", &Redacted::of(&self.body))
            .field("url", &url_path(&self.url))
            .field("peer", &self.peer)
            .field("client_addr", &self.client_addr)
            .finish()
    }
}

/// The JSON body of a request: `{}` when empty, `400 invalid_data` when it is
/// not JSON or too large.
pub fn parse_json_body(body: &[u8]) -> Result<Value, AuthError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(body_too_large());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|_| AuthError::InvalidData("Request body is not valid JSON".into()))
}

/// `400 invalid_data`: the body is larger than [`MAX_BODY_BYTES`].
pub(crate) fn body_too_large() -> AuthError {
    AuthError::InvalidData("Request body is too large".into())
}

/// Whether `raw_path` (as received, still percent-encoded) is the one spelling
/// a route is served under.
///
/// Only the canonical spelling is served, by every adapter: a path with a
/// trailing slash (`/store/customers/me/`) or with a percent-escaped
/// unreserved character (`/store/customers/%6De`, RFC 3986 section 2.3) is
/// another spelling and gets `404 not_found`. axum and warp match routes on
/// the raw path, so they never serve those; actix-web decodes unreserved
/// escapes before matching and warp accepts one trailing slash, so those
/// adapters apply this check.
///
/// ```
/// use auth_core::http::is_canonical_path;
///
/// assert!(is_canonical_path("/store/customers/me"));
/// assert!(is_canonical_path("/admin/api-keys/a%2Fb/revoke")); // `/` is reserved: kept encoded
/// assert!(!is_canonical_path("/store/customers/me/"));
/// assert!(!is_canonical_path("/store/customers/%6De"));
/// ```
pub fn is_canonical_path(raw_path: &str) -> bool {
    (raw_path == "/" || !raw_path.ends_with('/')) && !escapes_unreserved(raw_path)
}

/// The part of `raw_path` below `mount`, when `raw_path` is `mount` spelled
/// canonically or a path below it: `/auth/x` below `/auth` is `/x`, `/auth` is
/// `/`, while `/authx` and `/%61uth/x` are not below `/auth`.
///
/// ```
/// use auth_core::http::below_mount;
///
/// assert_eq!(below_mount("/auth/customer/emailpass", "/auth"), Some("/customer/emailpass"));
/// assert_eq!(below_mount("/auth", "/auth"), Some("/"));
/// assert_eq!(below_mount("/%61uth/customer/emailpass", "/auth"), None);
/// assert_eq!(below_mount("/authors", "/auth"), None);
/// ```
pub fn below_mount<'a>(raw_path: &'a str, mount: &str) -> Option<&'a str> {
    match raw_path.strip_prefix(mount)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// Whether a percent-escape in `path` spells an unreserved character.
fn escapes_unreserved(path: &str) -> bool {
    path.split('%').skip(1).any(|escaped| {
        let hex = escaped
            .get(..2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        hex.is_some_and(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_reserved_characters_stay_canonical() {
        assert!(is_canonical_path("/a%2Fb"));
        assert!(is_canonical_path("/a%20b"));
        assert!(!is_canonical_path("/a%7Eb"));
        assert!(!is_canonical_path("/a%2eb"));
    }
}
