//! What the module tells operators: one `tracing` span per request decision,
//! and counters through the [`metrics`] facade.
//!
//! Nothing here records a token, password, session id, API key or secret:
//! span fields and metric labels are `&'static str` codes
//! ([`AuthError::reason`](crate::AuthError::reason)), route kinds, credential
//! kinds, actor types and status codes, never request input as received.
//!
//! ## Spans
//!
//! | span | where | fields |
//! |---|---|---|
//! | `auth.authorize` | [`AuthModule::authorize`](crate::AuthModule::authorize), every guarded request of every adapter | `outcome` (`admitted`, `anonymous`, `refused`), `reason`, `credential` (`bearer`, `session`, `api_key`), `actor_type` |
//! | `auth.route` | [`AuthModule::handle`](crate::AuthModule::handle), the auth routes | `route` (`login`, `register`, `callback`, `reset_password`, `update`, `refresh`, `create_session`, `destroy_session`), `actor_type`, `status`, `reason` |
//!
//! Both are `INFO` spans; with no subscriber installed, or one that filters
//! them out, they cost a check of the callsite's interest and record nothing.
//!
//! ## Counters
//!
//! | name | labels | counts |
//! |---|---|---|
//! | [`REFUSALS_TOTAL`] | `reason` ([`AuthError::reason`](crate::AuthError::reason)) | requests refused, by a guard or an auth route |
//! | [`LOGINS_TOTAL`] | `outcome` (`success`, `failure`) | logins a provider answered (OAuth callbacks included) |
//! | [`REGISTRATIONS_TOTAL`] | `outcome` (`success`, `failure`) | registrations a provider answered |
//! | [`THROTTLED_TOTAL`] | `scope` (`address`, `identifier`) | requests refused with `429`, by the limit they hit |
//! | [`TOKEN_CACHE_TOTAL`] | `result` (`hit`, `miss`) | reads of the verified-token cache (none when the cache is off) |
//!
//! A throttled login counts as a throttled request and a refusal
//! (`too_many_requests`), not as a failed login: the provider never saw it.
//!
//! Installing a recorder is the application's choice; with none installed
//! the counters are no-ops. For example, with `metrics-util`'s debugging
//! recorder (an exporter such as `metrics-exporter-prometheus` installs the
//! same way):
//!
//! ```
//! use auth_core::telemetry::REFUSALS_TOTAL;
//! use metrics_util::debugging::DebuggingRecorder;
//!
//! let recorder = DebuggingRecorder::new();
//! let snapshotter = recorder.snapshotter();
//! metrics::with_local_recorder(&recorder, || {
//!     // ... requests answered by an `AuthModule` on this thread ...
//!     metrics::counter!(REFUSALS_TOTAL, "reason" => "invalid_token").increment(1);
//! });
//! let counted = snapshotter.snapshot().into_vec();
//! assert_eq!(counted[0].0.key().name(), "auth_refusals_total");
//! ```
//!
//! Process-wide, call `recorder.install()` (or the exporter's own installer)
//! once at start-up instead.

use tracing::Span;
use tracing::field::Empty;

use crate::error::AuthError;
use crate::identity::CredentialKind;
use crate::policy::Authenticated;

/// Requests refused, labelled `reason`.
pub const REFUSALS_TOTAL: &str = "auth_refusals_total";
/// Logins a provider answered, labelled `outcome` (`success`, `failure`).
pub const LOGINS_TOTAL: &str = "auth_logins_total";
/// Registrations a provider answered, labelled `outcome` (`success`, `failure`).
pub const REGISTRATIONS_TOTAL: &str = "auth_registrations_total";
/// Requests refused with `429`, labelled `scope` (`address`, `identifier`).
pub const THROTTLED_TOTAL: &str = "auth_throttled_total";
/// Reads of the verified-token cache, labelled `result` (`hit`, `miss`).
pub const TOKEN_CACHE_TOTAL: &str = "auth_token_cache_total";

/// Which limit throttled a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ThrottleScope {
    /// Too many requests from one client address.
    Address,
    /// Too many failures for one identifier.
    Identifier,
}

/// Counts a refusal.
pub(crate) fn count_refusal(error: &AuthError) {
    metrics::counter!(REFUSALS_TOTAL, "reason" => error.reason()).increment(1);
}

/// Counts a login (`registration == false`) or a registration the provider answered.
pub(crate) fn count_provider_answer(registration: bool, success: bool) {
    // Literal labels: the macro builds static keys, so nothing is allocated.
    match (registration, success) {
        (false, true) => metrics::counter!(LOGINS_TOTAL, "outcome" => "success").increment(1),
        (false, false) => metrics::counter!(LOGINS_TOTAL, "outcome" => "failure").increment(1),
        (true, true) => {
            metrics::counter!(REGISTRATIONS_TOTAL, "outcome" => "success").increment(1);
        }
        (true, false) => {
            metrics::counter!(REGISTRATIONS_TOTAL, "outcome" => "failure").increment(1);
        }
    }
}

/// Counts a throttled request.
pub(crate) fn count_throttled(scope: ThrottleScope) {
    match scope {
        ThrottleScope::Address => {
            metrics::counter!(THROTTLED_TOTAL, "scope" => "address").increment(1);
        }
        ThrottleScope::Identifier => {
            metrics::counter!(THROTTLED_TOTAL, "scope" => "identifier").increment(1);
        }
    }
}

/// Counts a read of the verified-token cache.
pub(crate) fn count_token_cache(hit: bool) {
    if hit {
        metrics::counter!(TOKEN_CACHE_TOTAL, "result" => "hit").increment(1);
    } else {
        metrics::counter!(TOKEN_CACHE_TOTAL, "result" => "miss").increment(1);
    }
}

/// The label of a credential kind.
pub(crate) fn credential_label(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Bearer => "bearer",
        CredentialKind::Session => "session",
        CredentialKind::ApiKey => "api_key",
    }
}

/// The span of one `authorize` decision, its fields recorded as they are known.
pub(crate) fn authorize_span() -> Span {
    tracing::info_span!(
        "auth.authorize",
        outcome = Empty,
        reason = Empty,
        credential = Empty,
        actor_type = Empty,
    )
}

/// Records how `authorize` decided, on its span and in the counters.
pub(crate) fn record_authorization(
    span: &Span,
    decision: &Result<Option<Authenticated>, AuthError>,
) {
    match decision {
        Ok(Some(caller)) => {
            // `credential` is recorded as soon as it is known, refusals included.
            span.record("outcome", "admitted");
            span.record("actor_type", caller.actor_type.as_str());
        }
        Ok(None) => {
            span.record("outcome", "anonymous");
        }
        Err(error) => {
            span.record("outcome", "refused");
            span.record("reason", error.reason());
            count_refusal(error);
        }
    }
}

/// The span of one auth route answer; `route` and `actor_type` are recorded
/// once the route is resolved, `status` and `reason` at the end.
pub(crate) fn route_span() -> Span {
    tracing::info_span!(
        "auth.route",
        route = Empty,
        actor_type = Empty,
        status = Empty,
        reason = Empty,
    )
}

/// Records how an auth route answered, on its span and in the counters.
pub(crate) fn record_route_answer(
    span: &Span,
    status: http::StatusCode,
    refusal: Option<&AuthError>,
) {
    span.record("status", status.as_u16());
    if let Some(error) = refusal {
        span.record("reason", error.reason());
        count_refusal(error);
    }
}
