//! Server-side sessions: `POST /auth/session` trades a bearer token for a
//! session cookie, and routes whose policy accepts sessions authenticate by it.
//!
//! - The session id is 256 random bits; the store keeps only its SHA-256.
//! - Every creation makes a new id, and the session the request came with (if
//!   any) is destroyed: no session fixation.
//! - Idle and absolute timeouts are enforced on the server at every use.
//! - The cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`, and
//!   `Secure` unless explicitly turned off for plain-HTTP development. A
//!   `Secure` cookie's name carries the `__Host-` prefix (`__Host-auth_session`
//!   by default), so browsers refuse the same name from a sibling subdomain
//!   or without `Secure`: nobody else can plant a session cookie.
//! - Two cookies of the session cookie's name are refused (`400`) where a
//!   session would authenticate, and ignored elsewhere
//!   ([`SessionCookie`](crate::credentials::SessionCookie)).
//! - A session made from a bearer token belongs to that token's login (`sid`):
//!   when the login ends (logout with a bearer token, refresh-token reuse) the
//!   session ends with it.
//! - One identity keeps at most [`SessionSettings::max_sessions_per_identity`]
//!   sessions; a new one beyond that ends the identity's oldest.
//! - A revocation that cannot be checked (the store fails) is `503`, never a
//!   deleted session.
//! - Cookie-authenticated unsafe requests (anything but `GET`, `HEAD`,
//!   `OPTIONS`) must not come from another site: a `Sec-Fetch-Site:
//!   cross-site` header, or an `Origin` whose host is not the request's `Host`,
//!   is refused with `403`. With `SameSite=Lax` browsers do not send the
//!   cookie on cross-site posts anyway; this check covers older browsers and
//!   same-site-but-cross-origin pages. Bearer requests are not affected: a
//!   browser never attaches them on its own.
//!
//! [`Sessions`] is the service: it creates, verifies and destroys sessions in
//! a [`SessionStore`], under [`SessionSettings`], at its clock's time.
//!
//! ```
//! use std::time::Duration;
//! use auth_core::session::SessionSettings;
//!
//! let settings = SessionSettings::default().idle_timeout(Duration::from_secs(30 * 60));
//! let cookie = settings.set_cookie("ses_abc");
//! assert!(cookie.starts_with("__Host-auth_session=ses_abc"));
//! assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"));
//! assert!(!cookie.contains("Domain"));
//! ```

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Method, header};

use crate::clock::SharedClock;
use crate::credentials::RequestHead;
use crate::error::AuthError;
use crate::identity::{AuthContext, CredentialKind};
use crate::policy::Authenticated;
use crate::revocation::Revocations;
use crate::secret::{Secret, hash_secret};
use crate::store::{SessionRecord, SessionStore};

/// How many sessions one identity keeps by default: ample for one person's
/// browsers and devices, and a bound on what one bearer token can make the
/// server store.
pub const DEFAULT_MAX_SESSIONS_PER_IDENTITY: usize = 50;

/// The cookie-name prefix browsers accept only from the host itself, with
/// `Secure`, `Path=/` and no `Domain` (RFC 6265bis).
const HOST_PREFIX: &str = "__Host-";

/// How sessions and their cookie behave.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionSettings {
    /// The cookie name (default `auth_session`). A `Secure` cookie is sent as
    /// `__Host-<cookie_name>` ([`effective_cookie_name`](Self::effective_cookie_name)).
    pub cookie_name: String,
    /// Whether the cookie is `Secure`. Only turn off for plain-HTTP local development.
    pub secure: bool,
    /// A session unused for this long ends (default 1 hour).
    pub idle_timeout: Duration,
    /// A session ends this long after creation, used or not (default 24 hours).
    pub absolute_timeout: Duration,
    /// How many sessions one identity keeps (default
    /// [`DEFAULT_MAX_SESSIONS_PER_IDENTITY`]); creating one more ends the
    /// identity's oldest session.
    pub max_sessions_per_identity: usize,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            cookie_name: "auth_session".into(),
            secure: true,
            idle_timeout: Duration::from_secs(60 * 60),
            absolute_timeout: Duration::from_secs(24 * 60 * 60),
            max_sessions_per_identity: DEFAULT_MAX_SESSIONS_PER_IDENTITY,
        }
    }
}

impl SessionSettings {
    /// Sets the cookie name.
    pub fn cookie_name(mut self, cookie_name: impl Into<String>) -> Self {
        self.cookie_name = cookie_name.into();
        self
    }

    /// Sets whether the cookie is `Secure`.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }

    /// Sets the absolute timeout.
    pub fn absolute_timeout(mut self, absolute_timeout: Duration) -> Self {
        self.absolute_timeout = absolute_timeout;
        self
    }

    /// Sets how many sessions one identity keeps (at least 1).
    pub fn max_sessions_per_identity(mut self, max: usize) -> Self {
        self.max_sessions_per_identity = max.max(1);
        self
    }

    /// The name the cookie is set and read under: `__Host-` and the
    /// configured name when the cookie is `Secure` (a name that already has
    /// the prefix keeps it as is), the configured name otherwise.
    ///
    /// ```
    /// use auth_core::session::SessionSettings;
    ///
    /// assert_eq!(SessionSettings::default().effective_cookie_name(), "__Host-auth_session");
    /// assert_eq!(SessionSettings::default().secure(false).effective_cookie_name(), "auth_session");
    /// ```
    pub fn effective_cookie_name(&self) -> Cow<'_, str> {
        if self.secure && !self.cookie_name.starts_with(HOST_PREFIX) {
            Cow::Owned(format!("{HOST_PREFIX}{}", self.cookie_name))
        } else {
            Cow::Borrowed(&self.cookie_name)
        }
    }

    /// The `Set-Cookie` value that stores `session_id`.
    pub fn set_cookie(&self, session_id: &str) -> String {
        self.cookie(session_id, self.absolute_timeout.as_secs())
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear_cookie(&self) -> String {
        self.cookie("", 0)
    }

    fn cookie(&self, value: &str, max_age: u64) -> String {
        let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
        cookie::Cookie::build((self.effective_cookie_name(), value))
            .path("/")
            .max_age(cookie::time::Duration::seconds(max_age))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.secure)
            .build()
            .to_string()
    }
}

/// Session ids longer than this are not ours: refused before hashing.
const MAX_SESSION_ID_LEN: usize = 128;

/// Server-side sessions: a [`SessionStore`] under [`SessionSettings`].
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    settings: SessionSettings,
    revocations: Revocations,
    clock: SharedClock,
}

impl Sessions {
    /// Sessions kept in `store`; a session older than its identity's
    /// revocation cut-off in `revocations` is refused.
    pub fn new(
        store: Arc<dyn SessionStore>,
        settings: SessionSettings,
        revocations: Revocations,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            settings,
            revocations,
            clock,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The revocation checks sessions are held to.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// Authenticates by session cookie: the session must exist, be within
    /// its idle and absolute timeouts, postdate the identity's last
    /// revocation, belong to a login that has not ended, and an unsafe
    /// request must come from the same site. A session found dead is
    /// deleted; one whose revocation cannot be checked (a store error) is
    /// kept, and the answer is that error (`503`).
    pub async fn verify(
        &self,
        session_id: &str,
        head: &RequestHead<'_>,
    ) -> Result<Authenticated, AuthError> {
        if session_id.len() > MAX_SESSION_ID_LEN {
            return Err(AuthError::InvalidSession);
        }
        let id_hash = hash_secret(session_id);
        let Some(record) = self.store.session(&id_hash).await? else {
            return Err(AuthError::InvalidSession);
        };
        let now = self.clock.now_secs();
        let idle = self.settings.idle_timeout.as_secs();
        let idle_deadline = record.last_seen_at.saturating_add(idle);
        if now >= record.expires_at || now >= idle_deadline || self.is_revoked(&record).await? {
            self.store.delete_session(&id_hash).await?;
            return Err(AuthError::InvalidSession);
        }
        check_same_site(head.method, head.headers)?;
        // One write a minute at most keeps the idle clock honest without a
        // write per request.
        if now.saturating_sub(record.last_seen_at) >= 60 {
            self.store.touch_session(&id_hash, now).await?;
        }
        Ok(Authenticated {
            context: record.context,
            credential: CredentialKind::Session,
            token_id: None,
            expires_at: Some(record.expires_at.min(now.saturating_add(idle))),
        })
    }

    /// Whether the session was revoked: its identity's cut-off postdates it,
    /// or its login has ended. A check that cannot be made is not a
    /// revocation: its error is returned, and the session stays.
    async fn is_revoked(&self, record: &SessionRecord) -> Result<bool, AuthError> {
        let checks = async {
            self.revocations
                .check_identity_cutoff(&record.context.auth_identity_id, record.created_at_ms)
                .await?;
            if let Some(sid) = record.sid.as_deref() {
                self.revocations.check_login(sid).await?;
            }
            Ok(())
        };
        match checks.await {
            Ok(()) => Ok(false),
            Err(AuthError::InvalidToken) => Ok(true),
            Err(other) => Err(other),
        }
    }

    /// Starts a session for `context` in the login `sid` (the bearer token's,
    /// when it has one) and returns its id, for the cookie
    /// ([`SessionSettings::set_cookie`]). The sessions the request came with,
    /// `previous`, are destroyed: every login gets a new id. Beyond
    /// [`SessionSettings::max_sessions_per_identity`], the identity's oldest
    /// session ends.
    pub async fn create(
        &self,
        context: &AuthContext,
        sid: Option<&str>,
        previous: &[String],
    ) -> Result<Secret, AuthError> {
        for previous in previous {
            self.store.delete_session(&hash_secret(previous)).await?;
        }
        let session_id = Secret::generate("ses_")?;
        let created_at_ms = self.clock.now_ms();
        let now = created_at_ms / 1000;
        let record = SessionRecord {
            id_hash: session_id.hash(),
            context: context.clone(),
            sid: sid.map(str::to_owned),
            created_at_ms,
            last_seen_at: now,
            expires_at: now.saturating_add(self.settings.absolute_timeout.as_secs()),
        };
        self.store
            .create_session(&record, self.settings.max_sessions_per_identity.max(1))
            .await?;
        tracing::info!(auth_identity_id = %context.auth_identity_id, "session created");
        Ok(session_id)
    }

    /// The latest absolute expiry a session that exists now can have (Unix
    /// seconds): how long an ended login must stay refused for its sessions.
    pub fn latest_expiry_of_current_sessions(&self) -> u64 {
        self.clock
            .now_secs()
            .saturating_add(self.settings.absolute_timeout.as_secs())
    }

    /// Ends the session `session_id`; `false` when there was none.
    pub async fn destroy(&self, session_id: &str) -> Result<bool, AuthError> {
        let id_hash = hash_secret(session_id);
        if self.store.session(&id_hash).await?.is_none() {
            return Ok(false);
        }
        self.store.delete_session(&id_hash).await?;
        Ok(true)
    }

    /// Ends every session of an identity.
    pub async fn destroy_identity_sessions(&self, auth_identity_id: &str) -> Result<(), AuthError> {
        self.store
            .delete_identity_sessions(auth_identity_id)
            .await?;
        Ok(())
    }
}

/// Refuses a cookie-authenticated unsafe request that comes from another site.
pub fn check_same_site(method: &Method, headers: &HeaderMap) -> Result<(), AuthError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header_text("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return Err(AuthError::CrossSiteRequest);
    }
    if let Some(origin) = header_text(header::ORIGIN.as_str()) {
        let origin_host = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .trim_end_matches('/');
        let host = header_text(header::HOST.as_str()).unwrap_or_default();
        if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
            return Err(AuthError::CrossSiteRequest);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn safe_methods_pass_whatever_their_origin() {
        let cross = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_same_site(&Method::GET, &cross).is_ok());
    }

    #[test]
    fn cross_site_post_is_refused() {
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert_eq!(
            check_same_site(&Method::POST, &cross),
            Err(AuthError::CrossSiteRequest)
        );
    }

    #[test]
    fn foreign_origin_is_refused_and_own_origin_passes() {
        let foreign = headers(&[("origin", "https://evil.example"), ("host", "shop.example")]);
        assert_eq!(
            check_same_site(&Method::DELETE, &foreign),
            Err(AuthError::CrossSiteRequest)
        );
        let own = headers(&[("origin", "https://shop.example"), ("host", "shop.example")]);
        assert!(check_same_site(&Method::DELETE, &own).is_ok());
        let null = headers(&[("origin", "null"), ("host", "shop.example")]);
        assert!(check_same_site(&Method::POST, &null).is_err());
    }

    #[test]
    fn cookie_can_drop_secure_only_when_told() {
        let settings = SessionSettings::default().secure(false);
        assert!(!settings.set_cookie("x").contains("Secure"));
        assert!(settings.clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn secure_cookie_name_gets_the_host_prefix_once() {
        let settings = SessionSettings::default();
        assert_eq!(settings.effective_cookie_name(), "__Host-auth_session");
        let prefixed = settings.clone().cookie_name("__Host-sid");
        assert_eq!(prefixed.effective_cookie_name(), "__Host-sid");
        let plain = settings.secure(false).cookie_name("sid");
        assert_eq!(plain.effective_cookie_name(), "sid");
    }

    #[test]
    fn session_cookie_carries_exactly_the_documented_attributes() {
        let settings = SessionSettings::default();
        let set = cookie::Cookie::parse(settings.set_cookie("ses_abc")).unwrap();
        assert_eq!(set.name_value(), ("__Host-auth_session", "ses_abc"));
        assert_eq!(set.path(), Some("/"));
        assert_eq!(set.http_only(), Some(true));
        assert_eq!(set.same_site(), Some(cookie::SameSite::Lax));
        assert_eq!(set.secure(), Some(true));
        assert_eq!(set.domain(), None);
        let max_age = set.max_age().map(|age| age.whole_seconds());
        assert_eq!(max_age, Some(24 * 60 * 60));
        let clear = cookie::Cookie::parse(settings.clear_cookie()).unwrap();
        assert_eq!(clear.name_value(), ("__Host-auth_session", ""));
        assert_eq!(clear.max_age().map(|age| age.whole_seconds()), Some(0));
    }
}
