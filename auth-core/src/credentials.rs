//! Reading credentials from request headers, without any web framework.
//!
//! [`Credentials::from_head`] looks at the `Authorization` header (Bearer tokens,
//! and Basic for secret API keys), the query string (where tokens are refused)
//! and the `Cookie` header (for sessions), and either returns what the request
//! carries or refuses a malformed request with [`AuthError::InvalidRequest`].
//!
//! ```
//! use auth_core::credentials::{Credentials, RequestHead};
//! use http::{HeaderMap, Method};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", "bearer abc.def.ghi".parse().unwrap());
//! let head = RequestHead::new(&Method::GET, &headers, None);
//! let credentials = Credentials::from_head(&head, "session_id").unwrap();
//! assert_eq!(credentials.bearer.as_deref(), Some("abc.def.ghi"));
//! ```

use http::{HeaderMap, Method, header};

use crate::error::AuthError;
use crate::secret::{HeaderNames, QueryNames, Redacted};

/// The parts of a request the credential parser reads. Its `Debug` shows
/// header and query parameter names, never their values.
#[derive(Clone, Copy)]
pub struct RequestHead<'a> {
    /// The request method.
    pub method: &'a Method,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
}

impl<'a> RequestHead<'a> {
    /// Bundles the borrowed parts of a request.
    pub fn new(method: &'a Method, headers: &'a HeaderMap, query: Option<&'a str>) -> Self {
        Self {
            method,
            headers,
            query,
        }
    }
}

/// What a request presents. Every field may be absent. Its `Debug` shows which
/// are present and their lengths, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The token of `Authorization: Bearer <token>`.
    pub bearer: Option<String>,
    /// The secret API key of `Authorization: Basic ...`.
    pub api_key: Option<String>,
    /// The session cookie: absent, one, or several of the same name.
    pub session: SessionCookie,
}

/// The session cookie as a request carries it.
///
/// Two cookies with the session cookie's name are what cookie tossing looks
/// like (a sibling subdomain plants one beside the real one, and the server
/// cannot tell which is which). They are refused where a session would
/// authenticate ([`id`](Self::id) is `400 invalid_request`), and ignored
/// where sessions play no part, so a planted cookie cannot lock a caller out
/// of bearer routes or logout. Its `Debug` shows lengths, never values.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum SessionCookie {
    /// No cookie of that name, or only one with an empty value.
    #[default]
    Absent,
    /// Exactly one cookie of that name.
    One(String),
    /// Two or more cookies of that name: their non-empty values.
    Several(Vec<String>),
}

impl SessionCookie {
    /// The session id, for a route where a session authenticates: `None`
    /// when absent, `400 invalid_request` when the name comes twice.
    pub fn id(&self) -> Result<Option<&str>, AuthError> {
        match self {
            Self::Absent => Ok(None),
            Self::One(id) => Ok(Some(id)),
            Self::Several(_) => Err(AuthError::InvalidRequest("Duplicate session cookie")),
        }
    }

    /// Every session id presented, for ending them all (logout, a new
    /// session replacing the old): ending a session needs no choice between
    /// duplicates.
    pub fn ids(&self) -> &[String] {
        match self {
            Self::Absent => &[],
            Self::One(id) => std::slice::from_ref(id),
            Self::Several(ids) => ids,
        }
    }

    /// Whether no session cookie came with the request.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Absent => f.write_str("Absent"),
            Self::One(id) => f
                .debug_tuple("One")
                .field(&Redacted::of(id.as_bytes()))
                .finish(),
            Self::Several(ids) => f
                .debug_tuple("Several")
                .field(
                    &ids.iter()
                        .map(|id| Redacted::of(id.as_bytes()))
                        .collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

impl std::fmt::Debug for RequestHead<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", self.method)
            .field("headers", &HeaderNames(self.headers))
            .field("query", &self.query.map(QueryNames))
            .finish()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("bearer", &Redacted::of_option(&self.bearer))
            .field("api_key", &Redacted::of_option(&self.api_key))
            .field("session", &self.session)
            .finish()
    }
}

const MALFORMED_AUTHORIZATION: &str = "Malformed Authorization header";

impl Credentials {
    /// Reads the credentials of a request.
    ///
    /// Refuses with `400 invalid_request`: two `Authorization` headers, a header
    /// that is not visible ASCII, a Bearer or Basic scheme not followed by one
    /// or more spaces (`Bearer<TAB>x`), an empty or space-containing bearer
    /// token, a Basic value that does not decode to a key, and an
    /// `access_token` in the query (tokens in URLs leak into logs). A malformed
    /// credential is never read as no credential: that would serve the caller
    /// as anonymous where anonymous callers pass. Two session cookies are not
    /// refused here but where a session would count ([`SessionCookie::id`]).
    pub fn from_head(head: &RequestHead<'_>, session_cookie: &str) -> Result<Self, AuthError> {
        if head.query.is_some_and(query_has_access_token) {
            return Err(AuthError::InvalidRequest(
                "Access tokens are not accepted in the query string",
            ));
        }
        let mut credentials = Self::default();
        let mut values = head.headers.get_all(header::AUTHORIZATION).iter();
        if let Some(value) = values.next() {
            if values.next().is_some() {
                return Err(AuthError::InvalidRequest("Multiple Authorization headers"));
            }
            let value = value
                .to_str()
                .map_err(|_| AuthError::InvalidRequest(MALFORMED_AUTHORIZATION))?;
            match parse_authorization(value)? {
                Some(Authorization::Bearer(token)) => credentials.bearer = Some(token.to_owned()),
                Some(Authorization::Basic(encoded)) => {
                    let key = decode_api_key(encoded)
                        .ok_or(AuthError::InvalidRequest(MALFORMED_AUTHORIZATION))?;
                    credentials.api_key = Some(key);
                }
                None => {}
            }
        }
        credentials.session = session_cookie_of(head.headers, session_cookie);
        Ok(credentials)
    }

    /// Whether the request presents nothing at all.
    pub fn is_empty(&self) -> bool {
        self.bearer.is_none() && self.api_key.is_none() && self.session.is_absent()
    }
}

enum Authorization<'a> {
    Bearer(&'a str),
    Basic(&'a str),
}

/// Splits `<scheme> 1*SP <credentials>`; the scheme is case-insensitive (RFC
/// 9110). Schemes other than Bearer and Basic are not ours: they count as
/// absent. The scheme ends at the first space or tab; for ours only spaces may
/// follow it.
fn parse_authorization(value: &str) -> Result<Option<Authorization<'_>>, AuthError> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, separator, rest) = match value.find([' ', '\t']) {
        Some(at) => (&value[..at], &value[at..at + 1], &value[at + 1..]),
        None => (value, " ", ""),
    };
    let is_bearer = scheme.eq_ignore_ascii_case("bearer");
    let is_basic = scheme.eq_ignore_ascii_case("basic");
    if !is_bearer && !is_basic {
        return Ok(None);
    }
    let rest = rest.trim_start_matches(' ');
    if separator != " " || rest.is_empty() || !rest.bytes().all(is_token68_byte) {
        return Err(AuthError::InvalidRequest(MALFORMED_AUTHORIZATION));
    }
    Ok(Some(if is_bearer {
        Authorization::Bearer(rest)
    } else {
        Authorization::Basic(rest)
    }))
}

/// token68 of RFC 9110: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, then `=` padding.
fn is_token68_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Medusa accepts a secret key as `Basic <key>` or `Basic base64(<key>:)`;
/// `None` when the value is neither (not base64, not UTF-8, an empty key).
fn decode_api_key(encoded: &str) -> Option<String> {
    use base64::Engine as _;
    if encoded.starts_with("sk_") {
        return Some(encoded.to_owned());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let key = text.strip_suffix(':').unwrap_or(&text);
    (!key.is_empty()).then(|| key.to_owned())
}

/// Whether the query names `access_token`, percent-encoded or not.
fn query_has_access_token(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
}

/// The session cookie `name` from the `Cookie` headers.
///
/// Two cookies of the same name are [`SessionCookie::Several`], whatever
/// their values (an empty one included): which one a server reads is exactly
/// what cookie-tossing attacks exploit. Surrounding double quotes are dropped
/// and an empty value counts as absent; values are not percent-decoded. Pairs
/// that are not `name=value` and headers that are not text are skipped.
pub fn session_cookie_of(headers: &HeaderMap, name: &str) -> SessionCookie {
    let mut seen = 0_usize;
    let mut values = Vec::new();
    let pairs = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|pair| pair.name() == name);
    for pair in pairs {
        seen += 1;
        let value = pair.value_trimmed();
        if !value.is_empty() {
            values.push(value.to_owned());
        }
    }
    match (seen, values.pop()) {
        (0 | 1, None) => SessionCookie::Absent,
        (1, Some(value)) => SessionCookie::One(value),
        (_, last) => {
            values.extend(last);
            SessionCookie::Several(values)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(auth: &[&str], query: Option<&str>) -> Result<Credentials, AuthError> {
        let mut headers = HeaderMap::new();
        for value in auth {
            headers.append(header::AUTHORIZATION, value.parse().unwrap());
        }
        Credentials::from_head(&RequestHead::new(&Method::GET, &headers, query), "sid")
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let credentials = read(&[&format!("{scheme} a.b.c")], None).unwrap();
            assert_eq!(credentials.bearer.as_deref(), Some("a.b.c"));
        }
    }

    #[test]
    fn empty_bearer_is_invalid_request() {
        for value in ["Bearer", "Bearer ", "Bearer    "] {
            assert_eq!(
                read(&[value], None),
                Err(AuthError::InvalidRequest(MALFORMED_AUTHORIZATION)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn bearer_with_inner_space_is_invalid_request() {
        assert!(matches!(
            read(&["Bearer a.b c"], None),
            Err(AuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn two_authorization_headers_are_invalid_request() {
        assert_eq!(
            read(&["Bearer a.b.c", "Bearer d.e.f"], None),
            Err(AuthError::InvalidRequest("Multiple Authorization headers"))
        );
    }

    #[test]
    fn token_in_query_is_invalid_request() {
        assert!(matches!(
            read(&["Bearer a.b.c"], Some("x=1&access_token=a.b.c")),
            Err(AuthError::InvalidRequest(_))
        ));
        assert!(matches!(
            read(&[], Some("access_token=a.b.c")),
            Err(AuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_tab_after_bearer_or_basic_is_invalid_request() {
        for value in [
            "Bearer\ta.b.c",
            "bearer\t a.b.c",
            "Basic\tsk_123",
            "Bearer \ta.b.c",
        ] {
            assert_eq!(
                read(&[value], None),
                Err(AuthError::InvalidRequest(MALFORMED_AUTHORIZATION)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn an_undecodable_basic_value_is_invalid_request() {
        // Not base64 (length), not UTF-8 (0xff 0xfe 0xfd), an empty key (":").
        for value in ["Basic abc", "Basic //79", "Basic Og==", "Basic ===="] {
            assert_eq!(
                read(&[value], None),
                Err(AuthError::InvalidRequest(MALFORMED_AUTHORIZATION)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn other_schemes_count_as_no_credentials() {
        for value in [
            "Digest username=\"x\"",
            "Digest\tusername=\"x\"",
            "Bearerx a.b.c",
        ] {
            let credentials = read(&[value], None).unwrap();
            assert!(credentials.is_empty(), "{value:?}");
        }
    }

    #[test]
    fn basic_api_key_is_read_plain_or_base64_with_colon() {
        let plain = read(&["Basic sk_123"], None).unwrap();
        assert_eq!(plain.api_key.as_deref(), Some("sk_123"));
        // base64("sk_123:")
        let encoded = read(&["Basic c2tfMTIzOg=="], None).unwrap();
        assert_eq!(encoded.api_key.as_deref(), Some("sk_123"));
    }

    /// The session id of cookie `sid` in `header_values`, as a session route reads it.
    fn session_id_of(header_values: &[&str]) -> Result<Option<String>, AuthError> {
        let mut headers = HeaderMap::new();
        for value in header_values {
            headers.append(header::COOKIE, value.parse().unwrap());
        }
        session_cookie_of(&headers, "sid")
            .id()
            .map(|id| id.map(str::to_owned))
    }

    #[test]
    fn session_cookie_is_read_and_duplicates_refused_where_sessions_count() {
        assert_eq!(
            session_id_of(&["a=1; sid=abc; b=2"]).unwrap().as_deref(),
            Some("abc")
        );
        assert!(session_id_of(&["a=1; sid=abc; b=2", "sid=def"]).is_err());
    }

    #[test]
    fn session_cookie_twice_is_refused_even_when_one_is_empty() {
        let duplicate = Err(AuthError::InvalidRequest("Duplicate session cookie"));
        assert_eq!(session_id_of(&["sid=; sid=abc"]), duplicate);
        assert_eq!(session_id_of(&["sid=abc; sid="]), duplicate);
        assert_eq!(session_id_of(&["sid=abc; sid=abc"]), duplicate);
        assert_eq!(session_id_of(&["sid=abc", " sid = def "]), duplicate);
    }

    #[test]
    fn duplicate_session_cookies_do_not_refuse_the_request_itself() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "sid=abc; sid=; sid=def".parse().unwrap());
        headers.insert(header::AUTHORIZATION, "Bearer a.b.c".parse().unwrap());
        let head = RequestHead::new(&Method::GET, &headers, None);
        let credentials = Credentials::from_head(&head, "sid").unwrap();
        assert_eq!(credentials.bearer.as_deref(), Some("a.b.c"));
        assert_eq!(credentials.session.ids(), ["abc", "def"]);
        assert!(credentials.session.id().is_err());
    }

    #[test]
    fn session_cookie_value_is_unquoted_and_empty_counts_as_absent() {
        assert_eq!(
            session_id_of(&[r#"sid="abc""#]).unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(session_id_of(&["sid="]).unwrap(), None);
        assert_eq!(
            session_id_of(&["a=1;; junk; sid=abc;"]).unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(session_id_of(&["xsid=abc; sidx=def"]).unwrap(), None);
    }

    #[test]
    fn session_cookie_value_is_not_percent_decoded() {
        assert_eq!(
            session_id_of(&["sid=a%3Bb"]).unwrap().as_deref(),
            Some("a%3Bb")
        );
    }

    #[test]
    fn percent_encoded_access_token_in_query_is_refused_too() {
        for query in [
            "access%5Ftoken=a.b.c",
            "x=1&access_token",
            "a=1;&access_token=",
        ] {
            assert!(
                matches!(read(&[], Some(query)), Err(AuthError::InvalidRequest(_))),
                "{query}"
            );
        }
        assert!(read(&[], Some("x=access_token&my_access_token=1")).is_ok());
    }
}
