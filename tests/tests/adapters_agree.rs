//! The three adapters answer the same request byte for byte alike: status,
//! the headers a client acts on, and the body. Requests whose answers carry
//! fresh tokens or ids are left to the conformance cases; everything else the
//! contract defines is sent to all three and compared.
//!
//! Agreeing is not enough (a bug all three share would pass), so the answers
//! the core decides at the edge of routing (which methods a path serves, which
//! spellings of a path are served, duplicate credentials) are also compared
//! with the intended answer, written out here.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use conformance::{ADAPTERS, App, PASSWORD, Reply, minter, some_customer};
use http::Method;
use serde_json::json;

/// The headers that must agree (others, like `date`, legitimately differ).
const COMPARED_HEADERS: &[&str] = &[
    "www-authenticate",
    "content-type",
    "cache-control",
    "pragma",
    "retry-after",
    "allow",
    "set-cookie",
    "x-content-type-options",
];

/// What is compared of a reply.
fn fingerprint(reply: &Reply) -> (u16, Vec<(String, Option<String>)>, String) {
    let headers = COMPARED_HEADERS
        .iter()
        .map(|name| ((*name).to_owned(), reply.header(name).map(str::to_owned)))
        .collect();
    (reply.status, headers, reply.text())
}

/// One request of the comparison, sent identically to every adapter.
struct Probe {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

fn probe(name: &'static str, method: Method, path: &str) -> Probe {
    Probe {
        name,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

impl Probe {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self.header("content-type", "application/json")
    }

    fn raw(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self.header("content-type", "application/json")
    }

    async fn send(&self, app: &App) -> Reply {
        let headers: Vec<(&str, &str)> =
            self.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        app.send(self.method.clone(), &self.path, &headers, self.body.clone())
            .await
    }
}

fn probes(customer_token: &str) -> Vec<Probe> {
    let forged = minter(b"an attacker's secret, 32 bytes long!")
        .issue(&some_customer())
        .unwrap()
        .token;
    let email = "same@example.com";
    vec![
        probe("health", Method::GET, "/health"),
        probe("head of a GET route", Method::HEAD, "/health"),
        probe("no credentials", Method::GET, "/store/customers/me"),
        probe("forged token", Method::GET, "/store/customers/me")
            .header("authorization", format!("Bearer {forged}")),
        probe("anonymous optional", Method::GET, "/store/whoami"),
        probe("forged on optional", Method::GET, "/store/whoami")
            .header("authorization", format!("Bearer {forged}")),
        probe("empty bearer", Method::GET, "/store/customers/me")
            .header("authorization", "Bearer "),
        probe(
            "two authorization headers",
            Method::GET,
            "/store/customers/me",
        )
        .header("authorization", format!("Bearer {forged}"))
        .header("authorization", format!("Bearer {forged}")),
        probe(
            "token in query",
            Method::GET,
            "/store/customers/me?access_token=abc",
        ),
        probe("other scheme", Method::GET, "/store/customers/me")
            .header("authorization", "Digest x"),
        probe("wrong actor type", Method::GET, "/admin/users/me")
            .header("authorization", format!("Bearer {customer_token}")),
        probe("unknown path", Method::GET, "/nowhere"),
        probe("auth mount itself", Method::GET, "/auth"),
        probe("auth mount slash", Method::GET, "/auth/"),
        probe(
            "wrong method on auth route",
            Method::GET,
            "/auth/customer/emailpass/register",
        ),
        probe(
            "wrong method on demo route",
            Method::DELETE,
            "/store/customers/me",
        ),
        probe("malformed json", Method::POST, "/auth/customer/emailpass").raw(b"{\"email\":"),
        probe("wrong types", Method::POST, "/auth/customer/emailpass")
            .json(json!({"email": 1, "password": PASSWORD})),
        probe("wrong password", Method::POST, "/auth/customer/emailpass")
            .json(json!({"email": email, "password": "wrong password"})),
        probe("unknown email", Method::POST, "/auth/customer/emailpass")
            .json(json!({"email": "nobody@example.com", "password": "wrong password"})),
        probe(
            "duplicate registration",
            Method::POST,
            "/auth/customer/emailpass/register",
        )
        .json(json!({"email": email, "password": PASSWORD})),
        probe(
            "short password",
            Method::POST,
            "/auth/customer/emailpass/register",
        )
        .json(json!({"email": "new@example.com", "password": "short"})),
        probe("unknown provider", Method::POST, "/auth/customer/nosuch")
            .json(json!({"email": email, "password": PASSWORD})),
        probe(
            "reserved actor type",
            Method::POST,
            "/auth/session/emailpass",
        )
        .json(json!({})),
        probe(
            "percent-encoded actor type",
            Method::POST,
            "/auth/cust%6Fmer/emailpass",
        )
        .json(json!({})),
        probe("refresh without token", Method::POST, "/auth/token/refresh"),
        probe(
            "refresh tokens disabled",
            Method::POST,
            "/auth/token/refresh",
        )
        .json(json!({"refresh_token": "rft_x"})),
        probe("session without token", Method::POST, "/auth/session"),
        probe(
            "logout without credentials",
            Method::DELETE,
            "/auth/session",
        ),
        probe("logout with a dead cookie", Method::DELETE, "/auth/session")
            .header("cookie", "auth_session=ses_dead"),
        probe(
            "reset for unknown",
            Method::POST,
            "/auth/customer/emailpass/reset-password",
        )
        .json(json!({"identifier": "nobody@example.com"})),
        probe(
            "reset without identifier",
            Method::POST,
            "/auth/customer/emailpass/reset-password",
        )
        .json(json!({})),
        probe(
            "update with bogus token",
            Method::POST,
            "/auth/customer/emailpass/update",
        )
        .header("authorization", "Bearer rst_bogus")
        .json(json!({"password": "a new password"})),
        probe("oversized body", Method::POST, "/auth/customer/emailpass")
            .raw(&vec![b' '; 70 * 1024]),
        probe("jwks", Method::GET, "/.well-known/jwks.json"),
        probe("jwks head", Method::HEAD, "/.well-known/jwks.json"),
        probe("jwks post", Method::POST, "/.well-known/jwks.json"),
        probe(
            "wrong method on a POST route",
            Method::GET,
            "/store/customers",
        ),
        probe("trailing slash", Method::GET, "/store/customers/me/"),
        probe(
            "percent-encoded demo path",
            Method::GET,
            "/store/customers/%6De",
        ),
        probe(
            "percent-encoded mount",
            Method::POST,
            "/%61uth/customer/emailpass",
        )
        .json(json!({})),
        probe("two session cookies", Method::GET, "/store/customers/me")
            .header("cookie", "auth_session=ses_a; auth_session=ses_b"),
        probe(
            "two session cookies on a bearer-only route",
            Method::POST,
            "/store/customers",
        )
        .header("cookie", "auth_session=ses_a; auth_session=ses_b")
        .json(json!({})),
    ]
}

/// The intended answer to one request: status, `Allow`, and the JSON body
/// (`None`: an empty body).
struct Expected {
    probe: Probe,
    status: u16,
    allow: Option<&'static str>,
    body: Option<serde_json::Value>,
}

fn expect(
    probe: Probe,
    status: u16,
    allow: Option<&'static str>,
    body: Option<serde_json::Value>,
) -> Expected {
    Expected {
        probe,
        status,
        allow,
        body,
    }
}

fn intended_answers() -> Vec<Expected> {
    let not_found = || Some(json!({"type": "not_found", "message": "Route not found"}));
    let not_allowed = || Some(json!({"type": "not_allowed", "message": "Method not allowed"}));
    let duplicate_cookie =
        || Some(json!({"type": "invalid_data", "message": "Duplicate session cookie"}));
    let unauthorized = || Some(json!({"type": "unauthorized", "message": "Unauthorized"}));
    vec![
        expect(
            probe("jwks post", Method::POST, "/.well-known/jwks.json"),
            405,
            Some("GET, HEAD"),
            not_allowed(),
        ),
        expect(
            probe("jwks delete", Method::DELETE, "/.well-known/jwks.json"),
            405,
            Some("GET, HEAD"),
            not_allowed(),
        ),
        expect(
            probe("jwks head", Method::HEAD, "/.well-known/jwks.json"),
            200,
            None,
            None,
        ),
        expect(
            probe("demo GET route", Method::DELETE, "/store/customers/me"),
            405,
            Some("GET, HEAD"),
            not_allowed(),
        ),
        expect(
            probe("demo POST route", Method::GET, "/store/customers"),
            405,
            Some("POST"),
            not_allowed(),
        ),
        expect(
            probe("health", Method::POST, "/health"),
            405,
            Some("GET, HEAD"),
            not_allowed(),
        ),
        expect(
            probe(
                "auth route",
                Method::GET,
                "/auth/customer/emailpass/register",
            ),
            405,
            Some("POST"),
            not_allowed(),
        ),
        expect(
            probe("trailing slash", Method::GET, "/store/customers/me/"),
            404,
            None,
            not_found(),
        ),
        expect(
            probe("escaped letter", Method::GET, "/store/customers/%6De"),
            404,
            None,
            not_found(),
        ),
        expect(
            probe("escaped mount", Method::POST, "/%61uth/customer/emailpass").json(json!({})),
            404,
            None,
            not_found(),
        ),
        expect(
            probe("escaped jwks", Method::GET, "/.well-known/jwks%2Ejson"),
            404,
            None,
            not_found(),
        ),
        expect(
            probe("two session cookies", Method::GET, "/store/customers/me")
                .header("cookie", "auth_session=ses_a; auth_session=ses_b"),
            400,
            None,
            duplicate_cookie(),
        ),
        expect(
            probe("two cookie headers", Method::GET, "/store/customers/me")
                .header("cookie", "auth_session=ses_a")
                .header("cookie", "auth_session=ses_b"),
            400,
            None,
            duplicate_cookie(),
        ),
        // Where sessions do not count, two session cookies are no credentials.
        expect(
            probe(
                "two session cookies on a bearer-only route",
                Method::POST,
                "/store/customers",
            )
            .header("cookie", "auth_session=ses_a; auth_session=ses_b")
            .json(json!({})),
            401,
            None,
            unauthorized(),
        ),
        // Logout ends every session it is shown: none of these exist.
        expect(
            probe(
                "logout with two dead cookies",
                Method::DELETE,
                "/auth/session",
            )
            .header("cookie", "auth_session=ses_a; auth_session=ses_b"),
            401,
            None,
            unauthorized(),
        ),
    ]
}

/// How `reply` differs from `expected`, if it does.
fn deviation(expected: &Expected, reply: &Reply) -> Option<String> {
    let body = match &expected.body {
        Some(body) => {
            reply.body.is_empty()
                || serde_json::from_slice::<serde_json::Value>(&reply.body)
                    .ok()
                    .as_ref()
                    != Some(body)
        }
        None => !reply.body.is_empty(),
    };
    let json = expected.body.is_some() && reply.header("content-type") != Some("application/json");
    let wrong =
        reply.status != expected.status || reply.header("allow") != expected.allow || body || json;
    wrong.then(|| {
        format!(
            "expected {} allow={:?} {:?}, got {} allow={:?} {:?} ({:?})",
            expected.status,
            expected.allow,
            expected.body,
            reply.status,
            reply.header("allow"),
            reply.text(),
            reply.header("content-type"),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_adapter_gives_the_intended_answer() {
    let mut deviations = Vec::new();
    for adapter in ADAPTERS {
        let app = App::start(adapter);
        for expected in intended_answers() {
            let reply = expected.probe.send(&app).await;
            if let Some(deviation) = deviation(&expected, &reply) {
                deviations.push(format!(
                    "{} on {}: {deviation}",
                    app.adapter(),
                    expected.probe.name
                ));
            }
        }
    }
    assert!(deviations.is_empty(), "{}", deviations.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_head_has_the_headers_of_get_and_no_body() {
    for adapter in ADAPTERS {
        let app = App::start(adapter);
        let get = app
            .send(Method::GET, "/.well-known/jwks.json", &[], None)
            .await;
        let head = app
            .send(Method::HEAD, "/.well-known/jwks.json", &[], None)
            .await;
        assert_eq!(head.status, 200, "{}", app.adapter());
        assert!(head.body.is_empty(), "{}", app.adapter());
        let (_, get_headers, _) = fingerprint(&get);
        let (_, head_headers, _) = fingerprint(&head);
        assert_eq!(head_headers, get_headers, "{}", app.adapter());
        assert_eq!(get.header("content-type"), Some("application/json"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapters_answer_byte_for_byte_alike() {
    let apps: Vec<App> = ADAPTERS.iter().map(App::start).collect();
    let mut tokens = Vec::new();
    for app in &apps {
        tokens.push(app.customer_token("same@example.com").await);
    }
    let reference = &apps[0];
    let mut mismatches = Vec::new();
    for (index, app) in apps.iter().enumerate().skip(1) {
        for (probe, expected_probe) in probes(&tokens[index]).iter().zip(probes(&tokens[0])) {
            let expected = fingerprint(&expected_probe.send(reference).await);
            let actual = fingerprint(&probe.send(app).await);
            if expected != actual {
                mismatches.push(format!(
                    "{} vs {} on {}:\n  {expected:?}\n  {actual:?}",
                    reference.adapter(),
                    app.adapter(),
                    probe.name
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(apps.len(), 3, "every adapter takes part");
}
