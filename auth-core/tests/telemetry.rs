//! What the module tells operators: the `metrics` counters of each decision,
//! with their exact labels and values, and the `tracing` spans of `authorize`
//! and `handle`, which carry the outcome and the reason but never a token,
//! password or session id.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use auth_core::credentials::RequestHead;
use auth_core::provider::EmailPass;
use auth_core::routes::AuthRequest;
use auth_core::telemetry::{
    LOGINS_TOTAL, REFUSALS_TOTAL, REGISTRATIONS_TOTAL, THROTTLED_TOTAL, TOKEN_CACHE_TOTAL,
};
use auth_core::throttle::ThrottleSettings;
use auth_core::{AuthError, AuthModule, Authenticated, CredentialKind, RoutePolicy};
use http::{HeaderMap, HeaderValue, Method, header};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use serde_json::Value;
use tracing_subscriber::fmt::format::FmtSpan;

const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "wrong horse battery staple";
const EMAIL: &str = "ada@example.com";

/// Held by every test: `tracing` caches per callsite whether anyone listens,
/// and a callsite first reached on a thread without a subscriber, while the
/// traced session runs on another, can be cached as unheard.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A module with e-mail and password, whose identifiers are throttled after
/// one failure so that a test can reach `429` in three requests.
fn module() -> AuthModule {
    AuthModule::builder()
        .hs256(b"telemetry test secret, long enough")
        .issuer("http://test")
        .audience("test")
        .provider(EmailPass::default())
        .throttle(ThrottleSettings::default().failures_per_identifier(1))
        .build()
        .unwrap()
}

fn credentials_body(password: &str) -> String {
    format!(r#"{{"email":"{EMAIL}","password":"{password}"}}"#)
}

async fn post(auth: &AuthModule, path: &str, body: &str, headers: HeaderMap) -> (u16, Value) {
    let mut request = AuthRequest::new(Method::POST, path).with_body(body.to_owned());
    request.headers = headers;
    let response = auth.handle(request).await;
    let status = response.status().as_u16();
    let cookie = response.headers().get(header::SET_COOKIE).cloned();
    let mut body: Value = serde_json::from_slice(response.body()).unwrap();
    if let Some(cookie) = cookie {
        body["set-cookie"] = Value::String(cookie.to_str().unwrap().to_owned());
    }
    (status, body)
}

async fn login(auth: &AuthModule, password: &str) -> u16 {
    let body = credentials_body(password);
    post(auth, "/customer/emailpass", &body, HeaderMap::new())
        .await
        .0
}

async fn register(auth: &AuthModule) -> String {
    let body = credentials_body(PASSWORD);
    let (status, answer) = post(
        auth,
        "/customer/emailpass/register",
        &body,
        HeaderMap::new(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer["token"].as_str().unwrap().to_owned()
}

fn header_map(name: header::HeaderName, value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(name, HeaderValue::from_str(value).unwrap());
    headers
}

fn bearer(token: &str) -> HeaderMap {
    header_map(header::AUTHORIZATION, &format!("Bearer {token}"))
}

async fn authorize(
    auth: &AuthModule,
    headers: &HeaderMap,
) -> Result<Option<Authenticated>, AuthError> {
    let policy = RoutePolicy::actor_types(["customer"])
        .credentials([CredentialKind::Bearer, CredentialKind::Session])
        .allow_unregistered();
    let head = RequestHead::new(&Method::GET, headers, None);
    auth.authorize(&policy, &head).await
}

/// Runs `scenario` on a current-thread runtime with a debugging recorder
/// installed for this thread, and returns every counter as
/// `"name{label=value,...}" => count`.
fn counters_of<F: Future<Output = ()>>(scenario: impl FnOnce() -> F) -> BTreeMap<String, u64> {
    let _serial = one_at_a_time();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || runtime.block_on(scenario()));
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let DebugValue::Counter(count) = value else {
                panic!("{key:?} is not a counter");
            };
            (
                format!("{}{{{}}}", key.key().name(), labels.join(",")),
                count,
            )
        })
        .collect()
}

fn expected(counters: &[(&str, u64)]) -> BTreeMap<String, u64> {
    counters
        .iter()
        .map(|(name, count)| ((*name).to_owned(), *count))
        .collect()
}

#[test]
fn metric_names_are_the_documented_ones() {
    assert_eq!(REFUSALS_TOTAL, "auth_refusals_total");
    assert_eq!(LOGINS_TOTAL, "auth_logins_total");
    assert_eq!(REGISTRATIONS_TOTAL, "auth_registrations_total");
    assert_eq!(THROTTLED_TOTAL, "auth_throttled_total");
    assert_eq!(TOKEN_CACHE_TOTAL, "auth_token_cache_total");
}

#[test]
fn refused_bearer_token_counts_one_refusal_by_reason() {
    let counters = counters_of(|| async {
        let auth = module();
        let refused = authorize(&auth, &bearer("not.a.token")).await;
        assert_eq!(refused, Err(AuthError::InvalidToken));
    });
    assert_eq!(
        counters,
        expected(&[
            ("auth_refusals_total{reason=invalid_token}", 1),
            ("auth_token_cache_total{result=miss}", 1),
        ])
    );
}

#[test]
fn anonymous_and_admitted_requests_count_no_refusal() {
    let counters = counters_of(|| async {
        let auth = module();
        let token = register(&auth).await;
        let open = RoutePolicy::actor_types(["customer"]).allow_unauthenticated();
        let no_headers = HeaderMap::new();
        let anonymous = RequestHead::new(&Method::GET, &no_headers, None);
        assert_eq!(auth.authorize(&open, &anonymous).await, Ok(None));
        assert!(authorize(&auth, &bearer(&token)).await.unwrap().is_some());
    });
    assert_eq!(
        counters.get("auth_refusals_total{reason=missing_credentials}"),
        None
    );
    assert_eq!(counters["auth_registrations_total{outcome=success}"], 1);
}

#[test]
fn logins_count_by_outcome_and_a_throttled_login_counts_as_throttled() {
    let counters = counters_of(|| async {
        let auth = module();
        register(&auth).await;
        assert_eq!(login(&auth, PASSWORD).await, 200);
        assert_eq!(login(&auth, WRONG_PASSWORD).await, 401);
        // One failure is this module's limit per identifier.
        assert_eq!(login(&auth, PASSWORD).await, 429);
    });
    assert_eq!(
        counters,
        expected(&[
            ("auth_logins_total{outcome=failure}", 1),
            ("auth_logins_total{outcome=success}", 1),
            ("auth_refusals_total{reason=too_many_requests}", 1),
            ("auth_refusals_total{reason=unauthorized}", 1),
            ("auth_registrations_total{outcome=success}", 1),
            ("auth_throttled_total{scope=identifier}", 1),
        ])
    );
}

#[test]
fn second_verification_of_a_token_is_a_cache_hit() {
    let counters = counters_of(|| async {
        let auth = module();
        let token = register(&auth).await;
        for _ in 0..2 {
            assert!(authorize(&auth, &bearer(&token)).await.unwrap().is_some());
        }
    });
    assert_eq!(counters["auth_token_cache_total{result=miss}"], 1);
    assert_eq!(counters["auth_token_cache_total{result=hit}"], 1);
}

#[test]
fn unknown_auth_route_counts_a_not_found_refusal() {
    let counters = counters_of(|| async {
        let auth = module();
        let (status, _) = post(&auth, "/no/such/route/here", "{}", HeaderMap::new()).await;
        assert_eq!(status, 404);
    });
    assert_eq!(
        counters,
        expected(&[("auth_refusals_total{reason=not_found}", 1)])
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a session did, with the secrets it used.
struct Traced {
    output: String,
    secrets: Vec<String>,
}

/// The traced session, run once for the tests that read it.
fn traced_session() -> &'static Traced {
    static TRACED: OnceLock<Traced> = OnceLock::new();
    TRACED.get_or_init(trace_session)
}

/// Registers, logs in (right and wrong password), turns a bearer token into
/// a session and authorizes with each credential and a forged token, all
/// under a fmt subscriber at `TRACE` that writes span close events.
fn trace_session() -> Traced {
    let _serial = one_at_a_time();
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secrets = tracing::subscriber::with_default(subscriber, || {
        // Callsites first hit by the other tests' threads, where no subscriber
        // is set, may have cached "never"; ask again with this one in place.
        tracing::callsite::rebuild_interest_cache();
        runtime.block_on(async {
            let auth = module();
            let registered = register(&auth).await;
            let caller = auth.verify_bearer(&registered).await.unwrap();
            auth.service()
                .identities()
                .link_actor(&caller.auth_identity_id, "customer", "cus_1")
                .await
                .unwrap();
            let (status, body) = post(&auth, "/token/refresh", "", bearer(&registered)).await;
            assert_eq!(status, 200, "{body}");
            let token = body["token"].as_str().unwrap().to_owned();
            assert_eq!(login(&auth, WRONG_PASSWORD).await, 401);

            let (status, body) = post(&auth, "/session", "", bearer(&token)).await;
            assert_eq!(status, 200, "{body}");
            let cookie = body["set-cookie"].as_str().unwrap();
            let session_id = cookie
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
                .map(|(_, id)| id.to_owned())
                .unwrap();
            let session = header_map(header::COOKIE, &format!("__Host-auth_session={session_id}"));
            let admitted = authorize(&auth, &session).await.unwrap().unwrap();
            assert_eq!(admitted.actor_id, "cus_1");
            assert!(authorize(&auth, &bearer(&token)).await.unwrap().is_some());
            let forged = format!("{token}x");
            assert_eq!(
                authorize(&auth, &bearer(&forged)).await,
                Err(AuthError::InvalidToken)
            );
            vec![
                registered,
                token,
                forged,
                session_id,
                PASSWORD.to_owned(),
                WRONG_PASSWORD.to_owned(),
            ]
        })
    });
    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    Traced { output, secrets }
}

/// The close lines of spans named `name`.
fn closed(traced: &'static Traced, name: &str) -> Vec<&'static str> {
    let opening = format!("{name}{{");
    traced
        .output
        .lines()
        .filter(|line| line.contains(&opening) && line.contains(" close "))
        .collect()
}

#[test]
fn authorize_span_carries_outcome_reason_credential_and_actor_type() {
    let traced = traced_session();
    let spans = closed(traced, "auth.authorize");
    assert_eq!(spans.len(), 3, "{}", traced.output);
    let with = |fields: &[&str]| {
        spans
            .iter()
            .any(|line| fields.iter().all(|field| line.contains(field)))
    };
    assert!(
        with(&[
            "outcome=\"admitted\"",
            "credential=\"session\"",
            "actor_type=\"customer\""
        ]),
        "{}",
        traced.output
    );
    assert!(
        with(&["outcome=\"admitted\"", "credential=\"bearer\""]),
        "{}",
        traced.output
    );
    assert!(
        with(&[
            "outcome=\"refused\"",
            "reason=\"invalid_token\"",
            "credential=\"bearer\""
        ]),
        "{}",
        traced.output
    );
}

#[test]
fn route_span_carries_route_kind_status_and_reason() {
    let traced = traced_session();
    let spans = closed(traced, "auth.route");
    let with = |fields: &[&str]| {
        spans
            .iter()
            .any(|line| fields.iter().all(|field| line.contains(field)))
    };
    assert!(
        with(&[
            "route=\"register\"",
            "actor_type=\"customer\"",
            "status=200"
        ]),
        "{}",
        traced.output
    );
    assert!(
        with(&["route=\"login\"", "status=401", "reason=\"unauthorized\""]),
        "{}",
        traced.output
    );
    assert!(
        with(&["route=\"refresh\"", "status=200"]),
        "{}",
        traced.output
    );
    assert!(
        with(&["route=\"create_session\"", "status=200"]),
        "{}",
        traced.output
    );
}

#[test]
fn traces_never_contain_a_token_password_or_session_id() {
    let traced = traced_session();
    assert!(!traced.output.is_empty());
    for secret in &traced.secrets {
        assert!(
            !traced.output.contains(secret.as_str()),
            "`{secret}` is in the trace:\n{}",
            traced.output
        );
    }
}

#[test]
fn a_request_without_a_peer_address_is_logged_once_not_silently_unthrottled() {
    let traced = traced_session();
    // The session sends several auth-route requests, none with a peer.
    let warnings = traced
        .output
        .lines()
        .filter(|line| line.contains("WARN") && line.contains("without a peer address"))
        .count();
    assert_eq!(warnings, 1, "{}", traced.output);
}
