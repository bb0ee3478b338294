//! The conformance suite: every case of the HTTP contract, written once and run
//! against every adapter's demo store over real HTTP on a loopback port.
//!
//! `suite!` expands each case into one test per adapter, named
//! `<adapter>::<case>`, so a failure says which adapter broke which rule.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use conformance::{
    App, PASSWORD, TEST_SECRET, minter, now, reset_token_for, some_customer, unique_email,
};
use http::Method;
use serde_json::json;

/// Runs every listed case against every adapter.
macro_rules! suite {
    (adapters: [$($adapter:ident => $index:expr),* $(,)?], cases: $cases:tt) => {
        $( suite!(@adapter $adapter, $index, $cases); )*
    };
    (@adapter $adapter:ident, $index:expr, [$($case:ident),* $(,)?]) => {
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let app = conformance::App::start(&conformance::ADAPTERS[$index]);
                    super::cases::$case(app).await;
                }
            )*
        }
    };
}

suite! {
    adapters: [axum => 0, actix => 1, warp => 2],
    cases: [
        health_answers_ok,
        register_returns_a_token_for_an_unregistered_identity,
        unregistered_token_creates_and_links_a_customer,
        second_customer_for_the_same_identity_is_refused,
        refresh_picks_up_the_new_actor_id,
        login_returns_a_token_and_me_returns_the_customer,
        wrong_password_is_401_invalid_email_or_password,
        unknown_email_answers_exactly_like_wrong_password,
        duplicate_registration_is_refused,
        short_password_and_bad_email_are_invalid_data,
        malformed_json_is_invalid_data,
        wrong_json_types_are_invalid_data,
        missing_authorization_is_401_with_a_bare_challenge,
        other_scheme_counts_as_no_credentials,
        empty_bearer_is_400_invalid_request,
        two_authorization_headers_are_400_invalid_request,
        token_in_query_is_400_invalid_request,
        forged_token_is_401_invalid_token_on_protected_route,
        forged_token_is_401_even_on_optional_route,
        expired_token_is_401_invalid_token,
        alg_none_token_is_401_invalid_token,
        tampered_payload_is_401_invalid_token,
        garbage_tokens_are_401_never_500,
        anonymous_caller_passes_optional_route,
        verified_caller_is_seen_on_optional_route,
        wrong_actor_type_is_403_insufficient_scope,
        unregistered_token_is_401_on_registered_only_route,
        unknown_provider_is_401_with_medusa_message,
        reserved_actor_type_is_invalid_data,
        provider_routes_reject_wrong_methods,
        unknown_route_is_json_404,
        token_responses_are_not_cached,
        error_bodies_have_type_and_message_and_no_token_text,
        admin_user_flow_works_with_user_actor,
        refresh_without_token_is_401,
        jwks_is_served_and_empty_for_hmac,
        restart_keeps_identities_and_actors,
        session_cookie_authenticates_and_logout_destroys_it,
        session_creation_issues_a_new_id_and_ends_the_old_session,
        cross_site_cookie_requests_are_refused,
        session_cookie_is_ignored_where_sessions_are_not_accepted,
        logout_revokes_the_bearer_token,
        password_reset_answers_201_for_unknown_identifiers_too,
        password_reset_revokes_old_tokens_and_sessions,
        reset_token_is_single_use_and_superseded_by_a_newer_one,
        access_token_is_not_a_reset_token,
        expired_reset_token_is_refused,
        refresh_token_rotates_and_reuse_revokes_the_family,
        parallel_refreshes_with_one_token_succeed_at_most_once_and_end_the_login,
        api_key_is_accepted_and_then_revoked,
        api_keys_need_a_caller_linked_in_app_metadata,
        c1_admin_only_by_invite,
        m8_api_key_secret_is_not_cached,
        m9_busy_database_is_503,
        failed_logins_are_throttled_with_retry_after,
        h1_reset_requests_and_other_registrations_cannot_lock_a_login,
        h5_parallel_wrong_passwords_cannot_overshoot_the_limit,
        h6_a_hashing_flood_is_refused_with_503_not_queued,
        m2_a_login_flood_does_not_change_bearer_route_answers,
        medusa_js_sdk_script_passes,
        h2_logout_ends_the_login,
        h2_refresh_token_reuse_ends_the_login,
        tokens_sub_must_be_the_auth_identity,
        tokens_identity_ids_with_control_characters_are_refused,
        h2_refresh_stops_at_the_login_max_age,
        h3_a_login_in_flight_across_a_reset_gets_no_token,
        h4_a_rehash_in_flight_cannot_undo_a_reset,
        m5_a_too_short_password_keeps_the_reset_token,
        low_reset_and_update_respect_the_actor_providers,
        low_mixed_case_medusa_emails_can_log_in_and_reset,
        m1_forwarded_clients_and_ipv6_networks_get_their_own_address_budgets,
        low_malformed_authorization_is_400_not_anonymous,
        low_unknown_provider_is_not_echoed,
        low_unknown_methods_fail_closed,
        m4_a_revocation_store_error_is_503_and_keeps_the_session,
        h2_logout_ends_the_cookie_session_of_the_login,
        m6_duplicate_session_cookies_are_refused_only_where_sessions_count,
        m6_secure_session_cookie_has_the_host_prefix,
        m7_sessions_and_throttle_rows_stay_bounded,
        h2_rotation_racing_logout_leaves_no_live_token,
    ]
}

mod cases {
    use super::*;

    const BARE_CHALLENGE: &str = r#"Bearer realm="demo-store""#;
    const INVALID_TOKEN: &str = r#"Bearer realm="demo-store", error="invalid_token""#;
    const INVALID_REQUEST: &str = r#"Bearer realm="demo-store", error="invalid_request""#;
    const INSUFFICIENT_SCOPE: &str = r#"Bearer realm="demo-store", error="insufficient_scope""#;

    fn unauthorized() -> serde_json::Value {
        json!({"type": "unauthorized", "message": "Unauthorized"})
    }

    /// Claims of a token, decoded without verification (the test's own token).
    fn claims(token: &str) -> serde_json::Value {
        use base64_url::decode;
        let payload = token.split('.').nth(1).expect("three segments");
        serde_json::from_slice(&decode(payload)).expect("claims JSON")
    }

    /// Minimal base64url decoding for reading test tokens.
    mod base64_url {
        pub fn decode(text: &str) -> Vec<u8> {
            let value = |c: u8| -> u32 {
                match c {
                    b'A'..=b'Z' => u32::from(c - b'A'),
                    b'a'..=b'z' => u32::from(c - b'a') + 26,
                    b'0'..=b'9' => u32::from(c - b'0') + 52,
                    b'-' => 62,
                    _ => 63,
                }
            };
            let mut out = Vec::new();
            let (mut buffer, mut bits) = (0u32, 0u32);
            for c in text.bytes() {
                buffer = (buffer << 6) | value(c);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push((buffer >> bits) as u8);
                    buffer &= (1 << bits) - 1;
                }
            }
            out
        }

        pub fn encode(bytes: &[u8]) -> String {
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }

    pub async fn health_answers_ok(app: App) {
        let reply = app.get("/health", &[]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"status": "ok"}));
    }

    pub async fn register_returns_a_token_for_an_unregistered_identity(app: App) {
        let reply = app.register("customer", "ada@example.com").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let claims = claims(&reply.token());
        assert_eq!(claims["actor_id"], "");
        assert_eq!(claims["actor_type"], "customer");
        assert!(
            claims["auth_identity_id"]
                .as_str()
                .unwrap()
                .starts_with("authid_")
        );
        assert_eq!(claims["app_metadata"], json!({}));
    }

    pub async fn unregistered_token_creates_and_links_a_customer(app: App) {
        let token = app.register("customer", "ada@example.com").await.token();
        let reply = app
            .post_as(
                "/store/customers",
                &token,
                &json!({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let customer = &reply.json()["customer"];
        assert!(customer["id"].as_str().unwrap().starts_with("cus_"));
        assert_eq!(customer["first_name"], "Ada");
        assert_eq!(customer["email"], "ada@example.com");
    }

    pub async fn second_customer_for_the_same_identity_is_refused(app: App) {
        let token = app.register("customer", "ada@example.com").await.token();
        let first = app.post_as("/store/customers", &token, &json!({})).await;
        assert_eq!(first.status, 200);
        let refreshed = app
            .send(
                Method::POST,
                "/auth/token/refresh",
                &[("authorization", &format!("Bearer {token}"))],
                None,
            )
            .await
            .token();
        let second = app
            .post_as("/store/customers", &refreshed, &json!({}))
            .await;
        assert_eq!(second.status, 400);
        assert_eq!(second.json()["type"], "invalid_data");
        // The old, unregistered token cannot link a second customer either.
        let again = app.post_as("/store/customers", &token, &json!({})).await;
        assert_eq!(again.status, 400, "{}", again.text());
    }

    pub async fn refresh_picks_up_the_new_actor_id(app: App) {
        let token = app.register("customer", "ada@example.com").await.token();
        let created = app.post_as("/store/customers", &token, &json!({})).await;
        let customer_id = created.json()["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let auth = format!("Bearer {token}");
        let reply = app
            .send(
                Method::POST,
                "/auth/token/refresh",
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let refreshed = reply.token();
        let claims = claims(&refreshed);
        assert_eq!(claims["actor_id"], customer_id.as_str());
        assert_eq!(claims["app_metadata"]["customer_id"], customer_id.as_str());
        let me = app.get_as("/store/customers/me", &refreshed).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["customer"]["id"], customer_id.as_str());
    }

    pub async fn login_returns_a_token_and_me_returns_the_customer(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let me = app.get_as("/store/customers/me", &token).await;
        assert_eq!(me.status, 200, "{}", me.text());
        assert_eq!(me.json()["customer"]["email"], "ada@example.com");
        // The e-mail is matched case-insensitively and trimmed.
        let again = app.login("customer", "  ADA@Example.com ", PASSWORD).await;
        assert_eq!(again.status, 200);
    }

    pub async fn wrong_password_is_401_invalid_email_or_password(app: App) {
        app.register("customer", "ada@example.com").await;
        let reply = app
            .login("customer", "ada@example.com", "not the password")
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json(),
            json!({"type": "unauthorized", "message": "Invalid email or password"})
        );
    }

    pub async fn unknown_email_answers_exactly_like_wrong_password(app: App) {
        app.register("customer", "ada@example.com").await;
        let wrong = app
            .login("customer", "ada@example.com", "not the password")
            .await;
        let unknown = app
            .login("customer", "nobody@example.com", "not the password")
            .await;
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        let mut wrong_headers = wrong.headers.clone();
        let mut unknown_headers = unknown.headers.clone();
        wrong_headers.remove("date");
        unknown_headers.remove("date");
        assert_eq!(wrong_headers, unknown_headers);
    }

    pub async fn duplicate_registration_is_refused(app: App) {
        assert_eq!(
            app.register("customer", "ada@example.com").await.status,
            200
        );
        let reply = app.register("customer", "ADA@example.com").await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json(),
            json!({"type": "unauthorized", "message": "Identity with email already exists"})
        );
    }

    pub async fn short_password_and_bad_email_are_invalid_data(app: App) {
        let short = app
            .post(
                "/auth/customer/emailpass/register",
                &json!({"email": "a@example.com", "password": "1234567"}),
                &[],
            )
            .await;
        assert_eq!(short.status, 400);
        assert_eq!(short.json()["type"], "invalid_data");
        let long = app
            .post(
                "/auth/customer/emailpass/register",
                &json!({"email": "a@example.com", "password": "x".repeat(1025)}),
                &[],
            )
            .await;
        assert_eq!(long.status, 400);
        // A control character would reach the store (PostgreSQL refuses
        // NUL in text): refused before, as any implausible address.
        for email in [
            "not-an-email",
            "ada\u{0}@example.com",
            "ada@exa\u{7f}mple.com",
        ] {
            let bad_email = app
                .post(
                    "/auth/customer/emailpass/register",
                    &json!({"email": email, "password": PASSWORD}),
                    &[],
                )
                .await;
            assert_eq!(bad_email.status, 400, "{email:?}");
            assert_eq!(bad_email.json()["type"], "invalid_data");
        }
    }

    pub async fn malformed_json_is_invalid_data(app: App) {
        for body in [&b"{\"email\": "[..], b"not json", b"\xff\xfe"] {
            let reply = app
                .send(
                    Method::POST,
                    "/auth/customer/emailpass",
                    &[("content-type", "application/json")],
                    Some(body.to_vec()),
                )
                .await;
            assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(reply.json()["type"], "invalid_data");
            assert!(reply.json()["message"].is_string());
        }
    }

    pub async fn wrong_json_types_are_invalid_data(app: App) {
        for body in [
            json!({"email": 42, "password": PASSWORD}),
            json!({"email": "a@example.com", "password": ["x"]}),
            json!({"email": "a@example.com"}),
            json!([1, 2]),
        ] {
            let reply = app.post("/auth/customer/emailpass", &body, &[]).await;
            assert_eq!(reply.status, 400, "{body}");
            assert_eq!(reply.json()["type"], "invalid_data");
        }
        let token = app.register("customer", "ada@example.com").await.token();
        let reply = app
            .post_as("/store/customers", &token, &json!({"first_name": 7}))
            .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json()["type"], "invalid_data");
    }

    pub async fn missing_authorization_is_401_with_a_bare_challenge(app: App) {
        let reply = app.get("/store/customers/me", &[]).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(BARE_CHALLENGE));
        assert_eq!(reply.json(), unauthorized());
    }

    pub async fn other_scheme_counts_as_no_credentials(app: App) {
        let reply = app
            .get(
                "/store/customers/me",
                &[("authorization", "Digest username=\"ada\"")],
            )
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(BARE_CHALLENGE));
    }

    pub async fn empty_bearer_is_400_invalid_request(app: App) {
        for value in ["Bearer", "Bearer    "] {
            let reply = app
                .get("/store/customers/me", &[("authorization", value)])
                .await;
            assert_eq!(reply.status, 400, "{value:?}");
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_REQUEST));
            assert_eq!(reply.json()["type"], "invalid_data");
        }
    }

    pub async fn two_authorization_headers_are_400_invalid_request(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let auth = format!("Bearer {token}");
        let reply = app
            .get(
                "/store/customers/me",
                &[("authorization", &auth), ("authorization", &auth)],
            )
            .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_REQUEST));
    }

    pub async fn token_in_query_is_400_invalid_request(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let reply = app
            .get_as(&format!("/store/customers/me?access_token={token}"), &token)
            .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_REQUEST));
        assert!(!reply.text().contains(&token));
    }

    pub async fn forged_token_is_401_invalid_token_on_protected_route(app: App) {
        let forged = minter(b"an attacker's secret, 32 bytes long!")
            .issue(&some_customer())
            .unwrap()
            .token;
        let reply = app.get_as("/store/customers/me", &forged).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
        assert_eq!(reply.json(), unauthorized());
    }

    pub async fn forged_token_is_401_even_on_optional_route(app: App) {
        let forged = minter(b"an attacker's secret, 32 bytes long!")
            .issue(&some_customer())
            .unwrap()
            .token;
        let reply = app.get_as("/store/whoami", &forged).await;
        assert_eq!(
            reply.status, 401,
            "an invalid token must never be downgraded to anonymous"
        );
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
    }

    pub async fn expired_token_is_401_invalid_token(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let mut context = some_customer();
        let claims = claims(&token);
        context.actor_id = claims["actor_id"].as_str().unwrap().into();
        context.auth_identity_id = claims["auth_identity_id"].as_str().unwrap().into();
        let expired = minter(TEST_SECRET.as_bytes())
            .issue_at(&context, now() - 3 * 3600)
            .unwrap()
            .token;
        for path in ["/store/customers/me", "/store/whoami"] {
            let reply = app.get_as(path, &expired).await;
            assert_eq!(reply.status, 401, "{path}");
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
        }
        // The same identity with a fresh token signed by the same key passes.
        let fresh = minter(TEST_SECRET.as_bytes())
            .issue(&context)
            .unwrap()
            .token;
        assert_eq!(app.get_as("/store/customers/me", &fresh).await.status, 200);
    }

    pub async fn alg_none_token_is_401_invalid_token(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let payload = token.split('.').nth(1).unwrap();
        for alg in ["none", "None", "NONE", "nOnE"] {
            let header =
                base64_url::encode(format!(r#"{{"alg":"{alg}","typ":"at+jwt"}}"#).as_bytes());
            for forged in [
                format!("{header}.{payload}."),
                format!("{header}.{payload}"),
            ] {
                let reply = app.get_as("/store/customers/me", &forged).await;
                assert_eq!(reply.status, 401, "{alg}");
                assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
            }
        }
    }

    pub async fn tampered_payload_is_401_invalid_token(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims = claims(&token);
        claims["actor_type"] = json!("user");
        parts[1] = base64_url::encode(claims.to_string().as_bytes());
        let tampered = parts.join(".");
        let reply = app.get_as("/admin/users/me", &tampered).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
    }

    pub async fn garbage_tokens_are_401_never_500(app: App) {
        let huge = "a".repeat(9000);
        let dots = ".".repeat(5000);
        for garbage in [
            "abc",
            "a.b.c",
            "a.b.c.d.e",
            "...",
            huge.as_str(),
            dots.as_str(),
            "eyJhbGciOiJIUzI1NiJ9.e30.",
            "YQ==.YQ==.YQ==",
        ] {
            let reply = app.get_as("/store/customers/me", garbage).await;
            assert_eq!(reply.status, 401, "{:.20}", garbage);
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
            assert!(!reply.text().contains(garbage));
        }
    }

    pub async fn anonymous_caller_passes_optional_route(app: App) {
        let reply = app.get("/store/whoami", &[]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"actor_id": null}));
    }

    pub async fn verified_caller_is_seen_on_optional_route(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let reply = app.get_as("/store/whoami", &token).await;
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert!(body["actor_id"].as_str().unwrap().starts_with("cus_"));
        assert_eq!(body["actor_type"], "customer");
        assert!(
            body["auth_identity_id"]
                .as_str()
                .unwrap()
                .starts_with("authid_")
        );
    }

    pub async fn wrong_actor_type_is_403_insufficient_scope(app: App) {
        let customer = app.customer_token("ada@example.com").await;
        let reply = app.get_as("/admin/users/me", &customer).await;
        assert_eq!(reply.status, 403);
        assert_eq!(reply.header("www-authenticate"), Some(INSUFFICIENT_SCOPE));
        assert_eq!(reply.json()["type"], "not_allowed");
    }

    pub async fn unregistered_token_is_401_on_registered_only_route(app: App) {
        let token = app.register("customer", "ada@example.com").await.token();
        let reply = app.get_as("/store/customers/me", &token).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json(), unauthorized());
    }

    pub async fn unknown_provider_is_401_with_medusa_message(app: App) {
        let reply = app
            .post(
                "/auth/customer/nosuch",
                &json!({"email": "a@example.com", "password": PASSWORD}),
                &[],
            )
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json(),
            json!({"type": "unauthorized", "message": "Could not find a auth provider with id: nosuch"})
        );
    }

    pub async fn reserved_actor_type_is_invalid_data(app: App) {
        for path in [
            "/auth/session/emailpass",
            "/auth/token/emailpass/register",
            "/auth/Customer/emailpass",
        ] {
            let reply = app
                .post(
                    path,
                    &json!({"email": "a@example.com", "password": PASSWORD}),
                    &[],
                )
                .await;
            assert_eq!(reply.status, 400, "{path}");
            assert_eq!(reply.json()["type"], "invalid_data");
        }
    }

    pub async fn provider_routes_reject_wrong_methods(app: App) {
        let reply = app.get("/auth/customer/emailpass/register", &[]).await;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.json()["type"], "not_allowed");
        assert_eq!(reply.header("allow"), Some("POST"));
        let reply = app.get("/auth/token/refresh", &[]).await;
        assert_eq!(reply.status, 405);
    }

    pub async fn unknown_route_is_json_404(app: App) {
        for path in ["/auth/a/b/c/d", "/auth", "/nowhere"] {
            let reply = app.get(path, &[]).await;
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(reply.json()["type"], "not_found", "{path}");
        }
    }

    pub async fn token_responses_are_not_cached(app: App) {
        let register = app.register("customer", "ada@example.com").await;
        assert_eq!(register.header("cache-control"), Some("no-store"));
        let login = app.login("customer", "ada@example.com", PASSWORD).await;
        assert_eq!(login.header("cache-control"), Some("no-store"));
        let auth = format!("Bearer {}", login.token());
        let refresh = app
            .send(
                Method::POST,
                "/auth/token/refresh",
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(refresh.header("cache-control"), Some("no-store"));
    }

    pub async fn error_bodies_have_type_and_message_and_no_token_text(app: App) {
        let token = app.customer_token("ada@example.com").await;
        let truncated = &token[..token.len() - 3];
        let replies = [
            app.get_as("/store/customers/me", truncated).await,
            app.get_as("/admin/users/me", &token).await,
            app.get("/store/customers/me", &[]).await,
            app.login("customer", "ada@example.com", "wrong password")
                .await,
        ];
        for reply in replies {
            let body = reply.json();
            assert!(
                body["type"].is_string() && body["message"].is_string(),
                "{body}"
            );
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let everything = format!("{:?}{}", reply.headers, reply.text());
            assert!(!everything.contains(truncated), "token text echoed");
        }
    }

    pub async fn admin_user_flow_works_with_user_actor(app: App) {
        let admin = app.admin_token(&unique_email("first-admin")).await;
        let invite = app.invite(&admin, "admin@example.com").await;
        let token = app.register("user", "admin@example.com").await.token();
        let created = app.accept_invite(&token, &invite).await;
        assert_eq!(created.status, 200, "{}", created.text());
        assert!(
            created.json()["user"]["id"]
                .as_str()
                .unwrap()
                .starts_with("user_")
        );
        let login = app
            .login("user", "admin@example.com", PASSWORD)
            .await
            .token();
        let me = app.get_as("/admin/users/me", &login).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["user"]["email"], "admin@example.com");
        // The same identity logging in as a customer is unregistered there.
        let as_customer = app
            .login("customer", "admin@example.com", PASSWORD)
            .await
            .token();
        assert_eq!(claims(&as_customer)["actor_id"], "");
    }

    pub async fn refresh_without_token_is_401(app: App) {
        let reply = app
            .send(Method::POST, "/auth/token/refresh", &[], None)
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(BARE_CHALLENGE));
        let forged = minter(b"an attacker's secret, 32 bytes long!")
            .issue(&some_customer())
            .unwrap()
            .token;
        let auth = format!("Bearer {forged}");
        let reply = app
            .send(
                Method::POST,
                "/auth/token/refresh",
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
    }

    pub async fn jwks_is_served_and_empty_for_hmac(app: App) {
        let reply = app.get("/.well-known/jwks.json", &[]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"keys": []}));
    }

    pub async fn restart_keeps_identities_and_actors(mut app: App) {
        let token = app.customer_token("ada@example.com").await;
        app.restart();
        let login = app.login("customer", "ada@example.com", PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.text());
        let me = app.get_as("/store/customers/me", &login.token()).await;
        assert_eq!(me.status, 200);
        // Same secret across the restart: the old token still verifies.
        assert_eq!(app.get_as("/store/customers/me", &token).await.status, 200);
        assert!(app.database().exists());
    }

    /// The `name=value` part of a response's `Set-Cookie`.
    fn session_cookie(reply: &conformance::Reply) -> String {
        let set_cookie = reply.header("set-cookie").expect("Set-Cookie");
        set_cookie.split(';').next().unwrap().to_owned()
    }

    async fn create_session(app: &App, token: &str) -> conformance::Reply {
        let auth = format!("Bearer {token}");
        app.send(
            Method::POST,
            "/auth/session",
            &[("authorization", &auth)],
            None,
        )
        .await
    }

    async fn admin_token(app: &App, email: &str) -> String {
        app.admin_token(email).await
    }

    pub async fn session_cookie_authenticates_and_logout_destroys_it(app: App) {
        let token = app.customer_token(&unique_email("session")).await;
        let created = create_session(&app, &token).await;
        assert_eq!(created.status, 200, "{}", created.text());
        assert!(
            created.json()["user"]["actor_id"]
                .as_str()
                .unwrap()
                .starts_with("cus_")
        );
        let set_cookie = created.header("set-cookie").unwrap().to_owned();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.to_ascii_lowercase().contains("domain="));
        let cookie = session_cookie(&created);
        let me = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        assert_eq!(me.status, 200, "{}", me.text());
        let logout = app
            .send(
                Method::DELETE,
                "/auth/session",
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert_eq!(logout.status, 200);
        assert_eq!(logout.json(), json!({"success": true}));
        assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));
        let after = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        assert_eq!(after.status, 401);
        assert_eq!(after.header("www-authenticate"), Some(INVALID_TOKEN));
        // A dead session on an optional route is refused too, and the cookie cleared.
        let whoami = app.get("/store/whoami", &[("cookie", &cookie)]).await;
        assert_eq!(whoami.status, 401);
        assert!(whoami.header("set-cookie").unwrap().contains("Max-Age=0"));
    }

    pub async fn session_creation_issues_a_new_id_and_ends_the_old_session(app: App) {
        let token = app.customer_token(&unique_email("fixation")).await;
        let first = session_cookie(&create_session(&app, &token).await);
        let auth = format!("Bearer {token}");
        let second = app
            .send(
                Method::POST,
                "/auth/session",
                &[("authorization", &auth), ("cookie", &first)],
                None,
            )
            .await;
        let second = session_cookie(&second);
        assert_ne!(first, second);
        assert_eq!(
            app.get("/store/customers/me", &[("cookie", &first)])
                .await
                .status,
            401
        );
        assert_eq!(
            app.get("/store/customers/me", &[("cookie", &second)])
                .await
                .status,
            200
        );
    }

    pub async fn cross_site_cookie_requests_are_refused(app: App) {
        let token = admin_token(&app, &unique_email("csrf")).await;
        let cookie = session_cookie(&create_session(&app, &token).await);
        let forged = app
            .post(
                "/admin/api-keys",
                &json!({"title": "stolen"}),
                &[("cookie", &cookie), ("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.text());
        let cross = app
            .send(
                Method::DELETE,
                "/auth/session",
                &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
                None,
            )
            .await;
        assert_eq!(cross.status, 403);
        // The same request from the page's own origin passes.
        let host = app.url().trim_start_matches("http://").to_owned();
        let origin = app.url();
        let own = app
            .post(
                "/admin/api-keys",
                &json!({"title": "mine"}),
                &[("cookie", &cookie), ("origin", &origin), ("host", &host)],
            )
            .await;
        assert_eq!(own.status, 200, "{}", own.text());
    }

    pub async fn session_cookie_is_ignored_where_sessions_are_not_accepted(app: App) {
        let token = app.customer_token(&unique_email("bearer-only")).await;
        let cookie = session_cookie(&create_session(&app, &token).await);
        // POST /store/customers takes bearer tokens only.
        let reply = app
            .post("/store/customers", &json!({}), &[("cookie", &cookie)])
            .await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some(BARE_CHALLENGE));
    }

    pub async fn logout_revokes_the_bearer_token(app: App) {
        let token = app.customer_token(&unique_email("logout")).await;
        assert_eq!(app.get_as("/store/customers/me", &token).await.status, 200);
        let auth = format!("Bearer {token}");
        let logout = app
            .send(
                Method::DELETE,
                "/auth/session",
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(logout.status, 200);
        let reused = app.get_as("/store/customers/me", &token).await;
        assert_eq!(reused.status, 401);
        assert_eq!(reused.header("www-authenticate"), Some(INVALID_TOKEN));
        let refreshed = app
            .send(
                Method::POST,
                "/auth/token/refresh",
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(
            refreshed.status, 401,
            "a revoked token cannot be refreshed either"
        );
    }

    async fn request_reset(app: &App, email: &str) -> conformance::Reply {
        app.post(
            "/auth/customer/emailpass/reset-password",
            &json!({"identifier": email}),
            &[],
        )
        .await
    }

    async fn update_password(app: &App, reset_token: &str, password: &str) -> conformance::Reply {
        let auth = format!("Bearer {reset_token}");
        app.post(
            "/auth/customer/emailpass/update",
            &json!({"password": password}),
            &[("authorization", &auth)],
        )
        .await
    }

    pub async fn password_reset_answers_201_for_unknown_identifiers_too(app: App) {
        let email = unique_email("reset-known");
        app.register("customer", &email).await;
        let known = request_reset(&app, &email).await;
        let unknown = request_reset(&app, &unique_email("reset-unknown")).await;
        let unknown_provider = app
            .post(
                "/auth/customer/nosuch/reset-password",
                &json!({"identifier": email}),
                &[],
            )
            .await;
        for reply in [&known, &unknown, &unknown_provider] {
            assert_eq!(reply.status, 201);
            assert_eq!(reply.body, known.body);
        }
        let missing = app
            .post("/auth/customer/emailpass/reset-password", &json!({}), &[])
            .await;
        assert_eq!(missing.status, 400);
        assert_eq!(missing.json()["type"], "invalid_data");
    }

    pub async fn password_reset_revokes_old_tokens_and_sessions(app: App) {
        let email = unique_email("reset");
        let old_token = app.customer_token(&email).await;
        let cookie = session_cookie(&create_session(&app, &old_token).await);
        assert_eq!(request_reset(&app, &email).await.status, 201);
        let reset_token = reset_token_for("customer", &email, None).await;
        let updated = update_password(&app, &reset_token, "a brand new password").await;
        assert_eq!(updated.status, 200, "{}", updated.text());
        assert_eq!(updated.json(), json!({"success": true}));
        assert_eq!(
            app.get_as("/store/customers/me", &old_token).await.status,
            401
        );
        assert_eq!(
            app.get("/store/customers/me", &[("cookie", &cookie)])
                .await
                .status,
            401
        );
        assert_eq!(app.login("customer", &email, PASSWORD).await.status, 401);
        let fresh = app.login("customer", &email, "a brand new password").await;
        assert_eq!(fresh.status, 200);
        assert_eq!(
            app.get_as("/store/customers/me", &fresh.token())
                .await
                .status,
            200
        );
    }

    pub async fn reset_token_is_single_use_and_superseded_by_a_newer_one(app: App) {
        let email = unique_email("reset-once");
        app.register("customer", &email).await;
        request_reset(&app, &email).await;
        let older = reset_token_for("customer", &email, None).await;
        request_reset(&app, &email).await;
        let newer = reset_token_for("customer", &email, Some(&older)).await;
        let stale = update_password(&app, &older, "another new password").await;
        assert_eq!(stale.status, 401);
        assert_eq!(
            stale.json(),
            json!({"type": "unauthorized", "message": "Invalid token"})
        );
        assert_eq!(
            update_password(&app, &newer, "another new password")
                .await
                .status,
            200
        );
        let replay = update_password(&app, &newer, "yet another password").await;
        assert_eq!(replay.status, 401);
        assert_eq!(replay.header("www-authenticate"), Some(INVALID_TOKEN));
    }

    pub async fn access_token_is_not_a_reset_token(app: App) {
        let token = app.customer_token(&unique_email("not-reset")).await;
        let reply = update_password(&app, &token, "hijacked password").await;
        assert_eq!(reply.status, 401);
        let none = app
            .post(
                "/auth/customer/emailpass/update",
                &json!({"password": "whatever password"}),
                &[],
            )
            .await;
        assert_eq!(none.status, 401);
    }

    pub async fn expired_reset_token_is_refused(mut app: App) {
        app.restart_with(|config| config.reset_token_ttl = std::time::Duration::ZERO);
        let email = unique_email("reset-expired");
        app.register("customer", &email).await;
        request_reset(&app, &email).await;
        let reset_token = reset_token_for("customer", &email, None).await;
        let reply = update_password(&app, &reset_token, "too late a password").await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json()["message"], "Invalid token");
        assert_eq!(
            app.login("customer", &email, PASSWORD).await.status,
            200,
            "password unchanged"
        );
    }

    async fn refresh_with(app: &App, refresh_token: &str) -> conformance::Reply {
        app.post(
            "/auth/token/refresh",
            &json!({"refresh_token": refresh_token}),
            &[],
        )
        .await
    }

    pub async fn refresh_token_rotates_and_reuse_revokes_the_family(mut app: App) {
        app.restart_with(|config| config.refresh_tokens = true);
        let email = unique_email("refresh");
        app.customer_token(&email).await;
        let login = app.login("customer", &email, PASSWORD).await;
        let first = login.json()["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_owned();
        let rotated = refresh_with(&app, &first).await;
        assert_eq!(rotated.status, 200, "{}", rotated.text());
        assert_eq!(rotated.header("cache-control"), Some("no-store"));
        let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(first, second);
        assert_eq!(
            app.get_as("/store/customers/me", &rotated.token())
                .await
                .status,
            200
        );
        let replay = refresh_with(&app, &first).await;
        assert_eq!(replay.status, 401);
        assert_eq!(
            refresh_with(&app, &second).await.status,
            401,
            "the family is revoked"
        );
    }

    /// The same refresh token presented six times at once: one presentation
    /// at most wins the rotation, and the others are reuse, which ends the
    /// login, so whichever token the winner got stops working too. (Whether
    /// the winner still answers `200` depends on whether a loser ended the
    /// login before the winner checked it: both orders are correct.)
    pub async fn parallel_refreshes_with_one_token_succeed_at_most_once_and_end_the_login(
        mut app: App,
    ) {
        app.restart_with(|config| config.refresh_tokens = true);
        let email = unique_email("race");
        app.customer_token(&email).await;
        let refresh_token = app.login("customer", &email, PASSWORD).await.json()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let attempts = (0..6).map(|_| refresh_with(&app, &refresh_token));
        let replies = futures_join_all(attempts).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        assert!(
            statuses.iter().filter(|s| **s == 200).count() <= 1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 401),
            "{statuses:?}"
        );
        for winner in replies.iter().filter(|r| r.status == 200) {
            let body = winner.json();
            let access = format!("Bearer {}", body["token"].as_str().unwrap());
            let me = app
                .get("/store/customers/me", &[("authorization", &access)])
                .await;
            assert_eq!(
                me.status, 401,
                "the winner's access token outlived the reuse"
            );
            let successor = body["refresh_token"].as_str().unwrap();
            assert_eq!(
                refresh_with(&app, successor).await.status,
                401,
                "the winner's refresh token outlived the reuse"
            );
        }
    }

    /// Runs futures concurrently and collects their outputs in order.
    async fn futures_join_all<F: std::future::Future>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<F::Output> {
        let mut pinned: Vec<_> = futures.map(Box::pin).collect();
        let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
                if output.is_none() {
                    match future.as_mut().poll(cx) {
                        std::task::Poll::Ready(value) => *output = Some(value),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        outputs
            .into_iter()
            .map(|o| o.expect("every future finished"))
            .collect()
    }

    pub async fn api_key_is_accepted_and_then_revoked(app: App) {
        let admin = admin_token(&app, &unique_email("keys")).await;
        let created = app
            .post_as("/admin/api-keys", &admin, &json!({"title": "deploys"}))
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        let key = created.json()["api_key"].clone();
        let secret = key["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("sk_"));
        // As Medusa's client sends it: Basic base64("<key>:").
        let basic = format!("Basic {}", base64_std(&format!("{secret}:")));
        let me = app
            .get("/admin/users/me", &[("authorization", &basic)])
            .await;
        assert_eq!(me.status, 200, "{}", me.text());
        // Routes that do not list api-key do not take it.
        let customers = app
            .get("/store/customers/me", &[("authorization", &basic)])
            .await;
        assert_eq!(customers.status, 401);
        let id = key["id"].as_str().unwrap();
        let revoked = app
            .post_as(&format!("/admin/api-keys/{id}/revoke"), &admin, &json!({}))
            .await;
        assert_eq!(revoked.status, 200);
        assert!(revoked.json()["api_key"]["revoked_at"].is_number());
        let after = app
            .get("/admin/users/me", &[("authorization", &basic)])
            .await;
        assert_eq!(after.status, 401);
        assert_eq!(after.header("www-authenticate"), Some(INVALID_TOKEN));
    }

    /// The demo's `manage_api_keys` policy checks that the token's
    /// `app_metadata.user_id` is its `actor_id`: tokens where the two agree
    /// pass, a validly signed token where they disagree gets 403.
    pub async fn api_keys_need_a_caller_linked_in_app_metadata(app: App) {
        let admin = admin_token(&app, &unique_email("linked")).await;
        let created = app
            .post_as("/admin/api-keys", &admin, &json!({"title": "linked"}))
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        let claims = claims(&admin);
        let user_id = claims["actor_id"].as_str().unwrap();
        let token_with_user_id = |linked: serde_json::Value| {
            let mut context = some_customer();
            context.actor_type = "user".into();
            context.actor_id = user_id.into();
            context.auth_identity_id = claims["auth_identity_id"].as_str().unwrap().into();
            context.app_metadata.insert("user_id".into(), linked);
            minter(TEST_SECRET.as_bytes())
                .issue(&context)
                .unwrap()
                .token
        };
        let linked = token_with_user_id(json!(user_id));
        let keys = app
            .post_as("/admin/api-keys", &linked, &json!({"title": "minted"}))
            .await;
        assert_eq!(keys.status, 200, "{}", keys.text());
        for other in [json!("user_someone_else"), json!(null), json!(7)] {
            let mismatched = token_with_user_id(other.clone());
            let refused = app
                .post_as("/admin/api-keys", &mismatched, &json!({"title": "x"}))
                .await;
            assert_eq!(refused.status, 403, "{other}: {}", refused.text());
            assert_eq!(refused.header("www-authenticate"), Some(INSUFFICIENT_SCOPE));
            assert_eq!(refused.json()["type"], "not_allowed");
            // The check is this route's alone: the token is otherwise valid.
            let me = app.get_as("/admin/users/me", &mismatched).await;
            assert_eq!(me.status, 200, "{other}: {}", me.text());
        }
    }

    /// C1: registering gives an unregistered identity and nothing more; an
    /// admin comes only from an invite, which is single use.
    pub async fn c1_admin_only_by_invite(app: App) {
        let email = unique_email("self-made");
        let token = app.register("user", &email).await.token();
        let promoted = app
            .post_as("/admin/users", &token, &json!({"email": email}))
            .await;
        assert!(
            [404, 405].contains(&promoted.status),
            "POST /admin/users answered {}: {}",
            promoted.status,
            promoted.text()
        );
        let keys = app
            .post_as("/admin/api-keys", &token, &json!({"title": "mine"}))
            .await;
        assert_eq!(keys.status, 401, "{}", keys.text());
        // Nor can it invite itself.
        let invited = app
            .post_as("/admin/invites", &token, &json!({"email": email}))
            .await;
        assert_eq!(invited.status, 401, "{}", invited.text());

        // An admin's invite works once, for the identity that presents it.
        let admin = app.admin_token(&unique_email("operator")).await;
        let invited = app
            .post_as("/admin/invites", &admin, &json!({"email": email}))
            .await;
        assert_eq!(invited.status, 200, "{}", invited.text());
        assert_eq!(invited.header("cache-control"), Some("no-store"));
        let body = invited.json()["invite"].clone();
        assert_eq!(body["email"], json!(email));
        assert_eq!(body["accepted"], json!(false));
        let seven_days = 7 * 24 * 3600;
        let expires_at = body["expires_at"].as_u64().unwrap();
        assert!(expires_at.abs_diff(now() + seven_days) < 60, "{body}");
        let invite = body["token"].as_str().unwrap().to_owned();

        // Unknown, missing and expired-looking tokens: 401, nothing created.
        for path in [
            "/admin/invites/accept?token=inv_unknown".to_owned(),
            "/admin/invites/accept".to_owned(),
            format!("/admin/invites/accept?token={invite}x"),
        ] {
            let refused = app.post_as(&path, &token, &json!({})).await;
            assert_eq!(refused.status, 401, "{path}: {}", refused.text());
            assert_eq!(
                refused.json(),
                json!({"type": "unauthorized", "message": "Invalid invite"})
            );
        }

        // Parallel accepts of one invite by distinct fresh identities: one wins.
        let mut racers = Vec::new();
        for racer in 0..6 {
            let email = unique_email(&format!("racer{racer}"));
            racers.push(app.register("user", &email).await.token());
        }
        racers.push(token.clone());
        let answers =
            futures_join_all(racers.iter().map(|racer| app.accept_invite(racer, &invite))).await;
        let statuses: Vec<u16> = answers.iter().map(|reply| reply.status).collect();
        assert_eq!(
            statuses.iter().filter(|status| **status == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|status| [200, 401].contains(status)),
            "{statuses:?}"
        );
        let winner = answers.iter().find(|reply| reply.status == 200).unwrap();
        assert_eq!(winner.json()["user"]["email"], json!(email));

        // Used: the invite is spent for everyone, the winner included.
        for racer in &racers {
            let again = app.accept_invite(racer, &invite).await;
            assert!([400, 401].contains(&again.status), "{}", again.text());
        }
        // Exactly one of the racers is an admin now.
        let mut admins = 0;
        for racer in &racers {
            let refreshed = app
                .send(
                    Method::POST,
                    "/auth/token/refresh",
                    &[("authorization", &format!("Bearer {racer}"))],
                    None,
                )
                .await;
            let fresh = refreshed.token();
            admins += usize::from(app.get_as("/admin/users/me", &fresh).await.status == 200);
        }
        assert_eq!(admins, 1);
    }

    /// M8: the one answer that shows an API key's secret is never cached.
    pub async fn m8_api_key_secret_is_not_cached(app: App) {
        let admin = admin_token(&app, &unique_email("no-store")).await;
        let created = app
            .post_as("/admin/api-keys", &admin, &json!({"title": "cache"}))
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        assert_eq!(created.header("cache-control"), Some("no-store"));
    }

    /// M9: while another process holds the database's write lock past the busy
    /// timeout, a demo write answers `503` (as the library's own stores do),
    /// never `500`.
    pub async fn m9_busy_database_is_503(app: App) {
        let token = app
            .register("customer", &unique_email("busy"))
            .await
            .token();
        let url = format!("sqlite://{}", app.database().display());
        let holder = auth_core::store::SqliteStore::connect(&url).await.unwrap();
        let lock = holder.pool().begin_with("BEGIN EXCLUSIVE").await.unwrap();
        let created = app
            .post_as(
                "/store/customers",
                &token,
                &json!({"email": "busy@example.com"}),
            )
            .await;
        drop(lock);
        assert_eq!(created.status, 503, "{}", created.text());
        assert_eq!(created.json()["type"], "unexpected_state");
        // Once the lock is gone the same request succeeds.
        let retried = app.post_as("/store/customers", &token, &json!({})).await;
        assert_eq!(retried.status, 200, "{}", retried.text());
    }

    /// Standard base64 with padding, for Basic credentials.
    fn base64_std(text: &str) -> String {
        let url = base64_url::encode(text.as_bytes())
            .replace('-', "+")
            .replace('_', "/");
        let padding = (4 - url.len() % 4) % 4;
        format!("{url}{}", "=".repeat(padding))
    }

    pub async fn failed_logins_are_throttled_with_retry_after(app: App) {
        for email in [
            unique_email("throttle-known"),
            unique_email("throttle-unknown"),
        ] {
            if email.contains("known") && !email.contains("unknown") {
                app.register("customer", &email).await;
            }
            for attempt in 0..10 {
                let reply = app.login("customer", &email, "wrong password!").await;
                assert_eq!(reply.status, 401, "attempt {attempt}");
            }
            let throttled = app.login("customer", &email, "wrong password!").await;
            assert_eq!(throttled.status, 429);
            assert_eq!(throttled.json()["type"], "too_many_requests");
            let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=900).contains(&retry_after), "{retry_after}");
        }
    }

    /// H1: asking for someone's reset, or registering their e-mail under
    /// another actor type, never counts as a failed login of theirs.
    pub async fn h1_reset_requests_and_other_registrations_cannot_lock_a_login(app: App) {
        let victim = unique_email("h1-victim");
        app.customer_token(&victim).await;
        for attempt in 0..12 {
            let reply = app
                .post(
                    "/auth/customer/emailpass/reset-password",
                    &json!({"identifier": victim}),
                    &[],
                )
                .await;
            assert_eq!(reply.status, 201, "reset request {attempt}");
        }
        for attempt in 0..12 {
            let reply = app.register("user", &victim).await;
            assert_ne!(reply.status, 200, "duplicate registration {attempt}");
        }
        let login = app.login("customer", &victim, PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.text());
        let reset = app
            .post(
                "/auth/customer/emailpass/reset-password",
                &json!({"identifier": victim}),
                &[],
            )
            .await;
        assert_eq!(reset.status, 201);
    }

    /// Sends `count` copies of a request at once; returns each answer with
    /// how long it took.
    async fn in_parallel<F, Fut>(
        app: &std::sync::Arc<App>,
        count: usize,
        request: F,
    ) -> Vec<(conformance::Reply, std::time::Duration)>
    where
        F: Fn(std::sync::Arc<App>, usize) -> Fut,
        Fut: std::future::Future<Output = conformance::Reply> + Send + 'static,
    {
        let tasks: Vec<_> = (0..count)
            .map(|n| {
                let reply = request(std::sync::Arc::clone(app), n);
                tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    let reply = reply.await;
                    (reply, started.elapsed())
                })
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.unwrap());
        }
        replies
    }

    /// Asks `path` with `token` every 20 ms until `stop`; returns the statuses.
    fn poll_bearer_route(
        app: std::sync::Arc<App>,
        token: String,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> tokio::task::JoinHandle<Vec<u16>> {
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                statuses.push(app.get_as("/store/customers/me", &token).await.status);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            statuses
        })
    }

    /// H5: the attempt is reserved before the password is hashed, so 50
    /// parallel wrong passwords get at most the limit of 401s, the rest 429.
    pub async fn h5_parallel_wrong_passwords_cannot_overshoot_the_limit(app: App) {
        let app = std::sync::Arc::new(app);
        let victim = unique_email("h5-victim");
        assert_eq!(app.register("customer", &victim).await.status, 200);
        let started = std::time::Instant::now();
        let replies = in_parallel(&app, 50, |app, _| {
            let victim = victim.clone();
            async move { app.login("customer", &victim, "wrong password!").await }
        })
        .await;
        let statuses: Vec<u16> = replies.iter().map(|(reply, _)| reply.status).collect();
        let unauthorized = statuses.iter().filter(|s| **s == 401).count();
        let throttled = statuses.iter().filter(|s| **s == 429).count();
        assert!(unauthorized <= 10, "{unauthorized} × 401: {statuses:?}");
        assert_eq!(unauthorized + throttled, 50, "{statuses:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    /// H6: the hashing queue is bounded in length and wait: a flood of logins
    /// of unknown e-mails gets some `503` with `Retry-After`, nobody waits past
    /// the bound, and a bearer route answers 200 throughout.
    pub async fn h6_a_hashing_flood_is_refused_with_503_not_queued(mut app: App) {
        // Throttling off, so the flood reaches the hasher rather than a 429.
        app.restart_with(|config| config.throttle = false);
        let app = std::sync::Arc::new(app);
        let token = app.customer_token(&unique_email("h6-bystander")).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let poller = poll_bearer_route(std::sync::Arc::clone(&app), token, stop.clone());
        let replies = in_parallel(&app, 120, |app, n| async move {
            let email = format!("h6-flood-{n}@example.com");
            app.login("customer", &email, "wrong password!").await
        })
        .await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let bearer = poller.await.unwrap();
        let busy: Vec<_> = replies.iter().filter(|(r, _)| r.status == 503).collect();
        assert!(!busy.is_empty(), "no 503 in a flood of 120 logins");
        for (reply, _) in &busy {
            let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
        }
        for (reply, took) in &replies {
            assert!([401, 503].contains(&reply.status), "{}", reply.status);
            // The default AUTH_HASH_WAIT is 2 s; one hash and the HTTP round
            // trip fit in the rest.
            assert!(*took < std::time::Duration::from_secs(4), "waited {took:?}");
        }
        assert!(
            !bearer.is_empty() && bearer.iter().all(|s| *s == 200),
            "{bearer:?}"
        );
    }

    /// M2: throttle counters are not on the database's write path: a login
    /// flood, most of it answered 429, leaves bearer routes answering 200.
    pub async fn m2_a_login_flood_does_not_change_bearer_route_answers(app: App) {
        let app = std::sync::Arc::new(app);
        let token = app.customer_token(&unique_email("m2-bystander")).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let poller = poll_bearer_route(std::sync::Arc::clone(&app), token, stop.clone());
        let replies = in_parallel(&app, 400, |app, n| async move {
            let email = format!("m2-flood-{}@example.com", n % 4);
            app.login("customer", &email, "wrong password!").await
        })
        .await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let bearer = poller.await.unwrap();
        let throttled = replies.iter().filter(|(r, _)| r.status == 429).count();
        assert!(throttled > 0, "the flood was not throttled");
        assert!(
            !bearer.is_empty() && bearer.iter().all(|s| *s == 200),
            "{bearer:?}"
        );
        // Counted off the database: the flood wrote no throttle row.
        let rows = app
            .count_sql("SELECT count(*) FROM auth_throttle", &[])
            .await;
        assert_eq!(rows, 0, "throttle counters were written to the database");
    }

    /// Runs the SDK script and answers its `need-reset-token <email>` lines
    /// with the token the demo's notifier printed. Returns (success, stdout, stderr).
    /// The operator's admin (`SDK_ADMIN_EMAIL`, password [`PASSWORD`]) is in
    /// the script's environment.
    fn drive_sdk_script(
        script: &std::path::Path,
        url: &str,
        admin_email: &str,
    ) -> (bool, String, String) {
        use std::io::{BufRead as _, Read as _, Write as _};
        use std::process::{Command, Stdio};
        let mut child = Command::new("node")
            .arg(script)
            .arg(url)
            .env("SDK_ADMIN_EMAIL", admin_email)
            .env("SDK_ADMIN_PASSWORD", PASSWORD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut transcript = String::new();
        for line in stdout.lines() {
            let line = line.expect("utf-8 output");
            if let Some(email) = line.strip_prefix("need-reset-token ") {
                let token =
                    conformance::reset_token_for_blocking("customer", email).unwrap_or_default();
                let _ = writeln!(stdin, "{token}");
            }
            transcript.push_str(&line);
            transcript.push('\n');
        }
        let mut stderr = String::new();
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr);
        let status = child.wait().expect("node exits");
        (status.success(), transcript, stderr)
    }

    /// Runs `tests/sdk/medusa-sdk.mjs` (the published `@medusajs/js-sdk`)
    /// against this adapter. Its Node packages are installed by `scripts/test`
    /// (the README's test command); without them the case fails, naming that
    /// command: a case that did not run never reports passed.
    pub async fn medusa_js_sdk_script_passes(app: App) {
        let sdk_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk");
        assert!(
            sdk_dir
                .join("node_modules/@medusajs/js-sdk/package.json")
                .is_file(),
            "the @medusajs/js-sdk packages are not installed in {}: run the tests with \
             `scripts/test` (it installs them), or install them once with \
             `npm ci --prefix tests/sdk`",
            sdk_dir.display()
        );
        let url = app.url();
        let script = sdk_dir.join("medusa-sdk.mjs");
        let admin_email = unique_email("sdk-operator");
        app.admin_token(&admin_email).await;
        let (success, stdout, stderr) =
            tokio::task::spawn_blocking(move || drive_sdk_script(&script, &url, &admin_email))
                .await
                .expect("join");
        assert!(
            success,
            "SDK script failed against {}:\n{stdout}\n{stderr}",
            app.adapter()
        );
        assert!(stdout.contains("sdk: all checks passed"), "{stdout}");
    }

    /// `POST /auth/token/refresh` with a bearer token.
    async fn bearer_refresh(app: &App, token: &str) -> conformance::Reply {
        let auth = format!("Bearer {token}");
        app.send(
            Method::POST,
            "/auth/token/refresh",
            &[("authorization", &auth)],
            None,
        )
        .await
    }

    /// `DELETE /auth/session` with a bearer token.
    async fn bearer_logout(app: &App, token: &str) -> conformance::Reply {
        let auth = format!("Bearer {token}");
        app.send(
            Method::DELETE,
            "/auth/session",
            &[("authorization", &auth)],
            None,
        )
        .await
    }

    /// Signs `claims` with the servers' key (HS256, kid `hs256-1`), whatever
    /// they say: the way to forge a token only the claim rules can refuse.
    fn sign_with_server_key(claims: &serde_json::Value) -> String {
        use hmac::{Hmac, KeyInit, Mac};
        let header = base64_url::encode(br#"{"alg":"HS256","typ":"at+jwt","kid":"hs256-1"}"#);
        let payload = base64_url::encode(claims.to_string().as_bytes());
        let input = format!("{header}.{payload}");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(TEST_SECRET.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        let signature = base64_url::encode(&mac.finalize().into_bytes());
        format!("{input}.{signature}")
    }

    pub async fn h2_logout_ends_the_login(app: App) {
        let first = app.customer_token(&unique_email("h2-logout")).await;
        let refreshed = bearer_refresh(&app, &first).await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.text());
        let second = refreshed.token();
        assert_eq!(claims(&second)["sid"], claims(&first)["sid"]);
        assert_eq!(claims(&second)["auth_time"], claims(&first)["auth_time"]);
        assert_eq!(bearer_logout(&app, &second).await.status, 200);
        for token in [&first, &second] {
            let reply = app.get_as("/store/customers/me", token).await;
            assert_eq!(reply.status, 401, "a token of the ended login still works");
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
            assert_eq!(
                bearer_refresh(&app, token).await.status,
                401,
                "a token of the ended login still refreshes"
            );
        }
    }

    pub async fn h2_refresh_token_reuse_ends_the_login(mut app: App) {
        app.restart_with(|config| config.refresh_tokens = true);
        let email = unique_email("h2-reuse");
        app.customer_token(&email).await;
        let login = app.login("customer", &email, PASSWORD).await;
        let stolen_access = login.token();
        let first = login.json()["refresh_token"].as_str().unwrap().to_owned();
        let rotated = refresh_with(&app, &first).await;
        assert_eq!(rotated.status, 200, "{}", rotated.text());
        let rotated_access = rotated.token();
        assert_eq!(
            app.get_as("/store/customers/me", &stolen_access)
                .await
                .status,
            200
        );
        assert_eq!(refresh_with(&app, &first).await.status, 401, "reuse");
        for token in [&stolen_access, &rotated_access] {
            assert_eq!(
                app.get_as("/store/customers/me", token).await.status,
                401,
                "an access token of the revoked family still works"
            );
            assert_eq!(
                bearer_refresh(&app, token).await.status,
                401,
                "an access token of the revoked family still refreshes"
            );
        }
    }

    pub async fn tokens_sub_must_be_the_auth_identity(app: App) {
        let token = app.customer_token(&unique_email("tokens-sub")).await;
        let genuine = claims(&token);
        let mut resigned = genuine.clone();
        resigned["jti"] = json!("01J0000000000000000000SUB0");
        let control = sign_with_server_key(&resigned);
        assert_eq!(
            app.get_as("/store/customers/me", &control).await.status,
            200,
            "the test signer signs what the server accepts"
        );
        let mut other = resigned.clone();
        other["sub"] = json!("authid_someone_else");
        let mut missing = resigned.clone();
        missing.as_object_mut().unwrap().remove("sub");
        for forged in [other, missing] {
            let reply = app
                .get_as("/store/customers/me", &sign_with_server_key(&forged))
                .await;
            assert_eq!(reply.status, 401, "sub = {}", forged["sub"]);
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
        }
    }

    pub async fn tokens_identity_ids_with_control_characters_are_refused(app: App) {
        let token = app.customer_token(&unique_email("tokens-nul")).await;
        let genuine = claims(&token);
        let id = genuine["auth_identity_id"].as_str().unwrap().to_owned();
        for bad in [
            format!("{id}\u{0}"),
            format!("{id}\n"),
            format!("\u{7f}{id}"),
        ] {
            let mut forged = genuine.clone();
            forged["sub"] = json!(bad);
            forged["auth_identity_id"] = json!(bad);
            let reply = app
                .get_as("/store/whoami", &sign_with_server_key(&forged))
                .await;
            assert_eq!(reply.status, 401, "{bad:?}");
            assert_eq!(reply.header("www-authenticate"), Some(INVALID_TOKEN));
        }
        let mut context = some_customer();
        context.auth_identity_id = format!("{id}\u{0}");
        assert!(
            minter(TEST_SECRET.as_bytes()).issue(&context).is_err(),
            "a token is issued for an identity id holding a NUL"
        );
    }

    pub async fn h2_refresh_stops_at_the_login_max_age(mut app: App) {
        app.restart_with(|config| config.login_max_age = std::time::Duration::from_secs(2));
        let first = app.customer_token(&unique_email("h2-max-age")).await;
        let auth_time = claims(&first)["auth_time"].as_u64().unwrap();
        let refreshed = bearer_refresh(&app, &first).await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.text());
        let second = refreshed.token();
        assert!(
            claims(&second)["exp"].as_u64().unwrap() <= auth_time + 2,
            "a refresh issued a token past the login max age"
        );
        while now() < auth_time + 2 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            bearer_refresh(&app, &first).await.status,
            401,
            "a refresh past the login max age"
        );
    }

    /// A server whose password hashing queues rather than refuses (a long
    /// `AUTH_HASH_WAIT`) and which throttles nothing, for the cases that
    /// line requests up in the hashing queue.
    async fn queueing_app(mut app: App) -> std::sync::Arc<App> {
        app.restart_with(|config| {
            config.throttle = false;
            config.hash_wait = std::time::Duration::from_secs(30);
        });
        std::sync::Arc::new(app)
    }

    /// How many logins fill the hashing queue: the server has one hashing
    /// slot per core and queues up to 16 requests per slot; 12 per slot
    /// leave room for the requests of a case.
    fn a_queue_full() -> usize {
        12 * std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    }

    /// Spawns `count` logins of unknown e-mails: each takes a hashing slot
    /// (a dummy verification) in turn, so requests sent after them wait in
    /// the hashing queue in the order they were sent.
    fn fill_the_hasher(
        app: &std::sync::Arc<App>,
        tag: &str,
        count: usize,
    ) -> Vec<tokio::task::JoinHandle<conformance::Reply>> {
        (0..count)
            .map(|n| {
                let app = std::sync::Arc::clone(app);
                let email = format!("{tag}-flood-{n}@example.com");
                tokio::spawn(async move { app.login("customer", &email, "wrong password!").await })
            })
            .collect()
    }

    /// Lets the requests sent so far reach the hashing queue, so the next one
    /// queues behind them.
    async fn let_them_queue() {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }

    /// Whether a login's answer gave a token that still works.
    async fn gave_a_working_token(app: &App, login: &conformance::Reply) -> bool {
        login.status == 200
            && app
                .get_as("/store/customers/me", &login.token())
                .await
                .status
                == 200
    }

    /// Runs `request` on its own task.
    fn spawned<F>(request: F) -> tokio::task::JoinHandle<conformance::Reply>
    where
        F: std::future::Future<Output = conformance::Reply> + Send + 'static,
    {
        tokio::spawn(request)
    }

    /// H3: a login that read the password before a reset replaced it, and
    /// was still hashing when the reset completed, gets no working token:
    /// its login began before the reset. Order in the hashing queue: the
    /// reset's new hash, then the login's verification of the old password.
    pub async fn h3_a_login_in_flight_across_a_reset_gets_no_token(app: App) {
        let app = queueing_app(app).await;
        let email = unique_email("h3-victim");
        app.customer_token(&email).await;
        assert_eq!(request_reset(&app, &email).await.status, 201);
        let reset_token = reset_token_for("customer", &email, None).await;
        let started = std::time::Instant::now();
        let mut flood = fill_the_hasher(&app, "h3", a_queue_full());
        let_them_queue().await;
        let update = spawned({
            let app = std::sync::Arc::clone(&app);
            async move { update_password(&app, &reset_token, "the new password!").await }
        });
        let_them_queue().await;
        flood.extend(fill_the_hasher(&app, "h3-between", 2));
        let_them_queue().await;
        let in_flight = spawned({
            let (app, email) = (std::sync::Arc::clone(&app), email.clone());
            async move { app.login("customer", &email, PASSWORD).await }
        });
        let in_flight = in_flight.await.unwrap();
        let update = update.await.unwrap();
        for login in flood {
            assert_eq!(login.await.unwrap().status, 401);
        }
        assert_eq!(update.status, 200, "{}", update.text());
        assert!(
            !gave_a_working_token(&app, &in_flight).await,
            "a login in flight across the reset got a working token ({})",
            in_flight.status
        );
        assert_eq!(app.login("customer", &email, PASSWORD).await.status, 401);
        let fresh = app.login("customer", &email, "the new password!").await;
        assert!(gave_a_working_token(&app, &fresh).await, "{}", fresh.text());
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    /// Argon2id of [`PASSWORD`] with parameters far below the policy (m = 8
    /// KiB, t = 1): it verifies, and a login rehashes it.
    const WEAK_HASH_OF_PASSWORD: &str = "$argon2id$v=19$m=8,t=1,p=1$e4zz5AnfW7c3EHPfWsrN9A$NDvjAjrH87WawyDFIFfYmAUc4i/KlO37foGhQOP11tE";

    /// H4: a user whose stored hash is below the policy logs in while a reset
    /// completes; the login's rehash of the old password, queued behind the
    /// reset's hash, must not write over the new one. Afterwards only the
    /// new password works.
    pub async fn h4_a_rehash_in_flight_cannot_undo_a_reset(app: App) {
        let app = queueing_app(app).await;
        let email = unique_email("h4-legacy");
        app.customer_token(&email).await;
        assert_eq!(
            app.execute_sql(
                "UPDATE provider_identity SET provider_metadata = \
             json_set(provider_metadata, '$.password', ?2) \
             WHERE provider = 'emailpass' AND entity_id = ?1",
                &[&email, WEAK_HASH_OF_PASSWORD]
            )
            .await,
            1
        );
        assert_eq!(request_reset(&app, &email).await.status, 201);
        let reset_token = reset_token_for("customer", &email, None).await;
        let started = std::time::Instant::now();
        let flood = fill_the_hasher(&app, "h4", a_queue_full());
        let_them_queue().await;
        let in_flight = spawned({
            let (app, email) = (std::sync::Arc::clone(&app), email.clone());
            async move { app.login("customer", &email, PASSWORD).await }
        });
        let_them_queue().await;
        let update = spawned({
            let app = std::sync::Arc::clone(&app);
            async move { update_password(&app, &reset_token, "the new password!").await }
        });
        let update = update.await.unwrap();
        let in_flight = in_flight.await.unwrap();
        for login in flood {
            assert_eq!(login.await.unwrap().status, 401);
        }
        assert_eq!(update.status, 200, "{}", update.text());
        let fresh = app.login("customer", &email, "the new password!").await;
        assert_eq!(fresh.status, 200, "the reset was undone: {}", fresh.text());
        let old = app.login("customer", &email, PASSWORD).await;
        assert_eq!(old.status, 401, "the old password works again");
        assert!(
            !gave_a_working_token(&app, &in_flight).await,
            "a login in flight across the reset got a working token ({})",
            in_flight.status
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    /// M5: a new password that fails the policy is `400 invalid_data` and
    /// spends nothing: the same reset token then sets a good password, and
    /// the reset revokes the old credentials.
    pub async fn m5_a_too_short_password_keeps_the_reset_token(app: App) {
        let email = unique_email("m5-short");
        let old_token = app.customer_token(&email).await;
        assert_eq!(request_reset(&app, &email).await.status, 201);
        let reset_token = reset_token_for("customer", &email, None).await;
        let short = update_password(&app, &reset_token, "short").await;
        assert_eq!(short.status, 400, "{}", short.text());
        assert_eq!(short.json()["type"], "invalid_data");
        assert_eq!(app.login("customer", &email, PASSWORD).await.status, 200);
        let good = update_password(&app, &reset_token, "a long enough password").await;
        assert_eq!(good.status, 200, "{}", good.text());
        assert_eq!(
            app.get_as("/store/customers/me", &old_token).await.status,
            401
        );
        let replay = update_password(&app, &reset_token, "yet another password").await;
        assert_eq!(replay.status, 401);
        let fresh = app
            .login("customer", &email, "a long enough password")
            .await;
        assert!(gave_a_working_token(&app, &fresh).await, "{}", fresh.text());
    }

    /// Low: an actor type restricted to some providers (Medusa's
    /// `authMethodsPerActor`) cannot ask for a reset or update a password
    /// through another provider: `400 not_allowed`, as for login.
    pub async fn low_reset_and_update_respect_the_actor_providers(mut app: App) {
        app.restart_with(|config| {
            config
                .providers_per_actor
                .insert("user".into(), vec!["github".into()]);
        });
        let email = unique_email("low-providers");
        app.register("customer", &email).await;
        let login = app.login("user", &email, PASSWORD).await;
        assert_eq!(login.status, 400, "{}", login.text());
        assert_eq!(login.json()["type"], "not_allowed");
        let reset = app
            .post(
                "/auth/user/emailpass/reset-password",
                &json!({"identifier": email}),
                &[],
            )
            .await;
        assert_eq!(reset.status, 400, "{}", reset.text());
        assert_eq!(reset.json()["type"], "not_allowed");
        let update = app
            .post_as(
                "/auth/user/emailpass/update",
                "rst_not-a-real-token",
                &json!({"password": "a brand new password"}),
            )
            .await;
        assert_eq!(update.status, 400, "{}", update.text());
        assert_eq!(update.json()["type"], "not_allowed");
        // Unrestricted actor types are unaffected.
        assert_eq!(request_reset(&app, &email).await.status, 201);
    }

    /// Low: a login a Medusa backend stored with a mixed-case e-mail logs in
    /// and resets by any spelling, and is stored lower-cased after the reset.
    pub async fn low_mixed_case_medusa_emails_can_log_in_and_reset(app: App) {
        let email = unique_email("low-mixed");
        let stored = email
            .replacen("low-mixed", "Low-Mixed", 1)
            .replace("example.com", "Example.COM");
        app.customer_token(&email).await;
        assert_eq!(
            app.execute_sql(
                "UPDATE provider_identity SET entity_id = ?2 WHERE entity_id = ?1",
                &[&email, &stored]
            )
            .await,
            1
        );
        for spelling in [email.as_str(), stored.as_str(), &email.to_uppercase()] {
            let login = app.login("customer", spelling, PASSWORD).await;
            assert!(
                gave_a_working_token(&app, &login).await,
                "{spelling}: {}",
                login.text()
            );
        }
        assert_eq!(request_reset(&app, &stored).await.status, 201);
        let reset_token = reset_token_for("customer", &email, None).await;
        let updated = update_password(&app, &reset_token, "a brand new password").await;
        assert_eq!(updated.status, 200, "{}", updated.text());
        let fresh = app.login("customer", &email, "a brand new password").await;
        assert!(gave_a_working_token(&app, &fresh).await, "{}", fresh.text());
        // Lower-cased by the reset's write.
        assert_eq!(
            app.execute_sql(
                "UPDATE provider_identity SET updated_at = ?2 WHERE entity_id = ?1",
                &[&email, "2026-01-01T00:00:00.000Z"]
            )
            .await,
            1
        );
    }

    /// A request counted against its client address and answered `401` at no
    /// hashing cost: `update` without a reset token. Returns the status.
    async fn address_hit(app: &App, headers: &[(&str, &str)]) -> u16 {
        let path = "/auth/customer/emailpass/update";
        let body = Some(b"{}".to_vec());
        app.send(Method::POST, path, headers, body).await.status
    }

    /// The demo allows 100 requests per client address and 15-minute window.
    const ADDRESS_BUDGET: usize = 100;

    /// Uses up one client's address budget, the `n`th request sending
    /// `header: value(n)`; each is still answered `401`.
    async fn use_up_address_budget(app: &App, header: &str, value: impl Fn(usize) -> String) {
        // A budget used up across a window's end would be fresh again.
        let window = 15 * 60;
        if window - now() % window < 10 {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
        for n in 0..ADDRESS_BUDGET {
            let value = value(n);
            let status = address_hit(app, &[(header, &value)]).await;
            assert_eq!(status, 401, "request {n} with {header}: {value}");
        }
    }

    /// M1: behind a trusted proxy each forwarded client has its own address
    /// budget, IPv6 clients one per /64 (rotating inside it does not escape),
    /// and without trust the forwarding headers are ignored.
    pub async fn m1_forwarded_clients_and_ipv6_networks_get_their_own_address_budgets(
        mut app: App,
    ) {
        app.restart_with(|config| config.trusted_proxies = "127.0.0.1/32".parse().unwrap());
        let xff = "x-forwarded-for";
        use_up_address_budget(&app, xff, |_| "203.0.113.7".into()).await;
        for client in [
            &[(xff, "203.0.113.7")][..],
            &[(xff, "198.51.100.1, 203.0.113.7")], // the forged left entry is not read
            &[(xff, "::ffff:203.0.113.7")],        // IPv4-mapped: the same client
            &[("forwarded", "for=203.0.113.7;proto=http")],
        ] {
            assert_eq!(address_hit(&app, client).await, 429, "{client:?}");
        }
        // Another client behind the same proxy, and the proxy itself, have their own.
        assert_eq!(address_hit(&app, &[(xff, "203.0.113.8")]).await, 401);
        assert_eq!(address_hit(&app, &[]).await, 401);

        use_up_address_budget(&app, xff, |n| format!("2001:db8:1:2::{:x}", n + 1)).await;
        for client in [
            &[(xff, "2001:db8:1:2:ffff:ffff:ffff:ffff")][..],
            &[("forwarded", r#"for="[2001:db8:1:2::abcd]:4711""#)],
        ] {
            assert_eq!(address_hit(&app, client).await, 429, "{client:?}");
        }
        assert_eq!(address_hit(&app, &[(xff, "2001:db8:1:3::1")]).await, 401);

        // Without trust, a client cannot leave its budget by naming another address.
        app.restart_with(|config| config.trusted_proxies = Default::default());
        use_up_address_budget(&app, xff, |n| format!("198.51.100.{}", n + 1)).await;
        for client in [
            &[(xff, "198.51.100.200")][..],
            &[("forwarded", "for=192.0.2.99")],
            &[],
        ] {
            assert_eq!(address_hit(&app, client).await, 429, "{client:?}");
        }
    }

    /// A malformed `Authorization` (a tab after the scheme, a Basic value
    /// that does not decode) is `400 invalid_request`, on an optional route
    /// too: never a caller served as anonymous.
    pub async fn low_malformed_authorization_is_400_not_anonymous(app: App) {
        for value in [
            "Bearer\tabc.def.ghi",
            "Basic\tsk_123",
            "Basic abc",  // not base64
            "Basic //79", // not UTF-8
            "Basic Og==", // an empty key
        ] {
            for path in ["/store/whoami", "/store/customers/me", "/admin/users/me"] {
                let reply = app.get(path, &[("authorization", value)]).await;
                assert_eq!(reply.status, 400, "{path} {value:?}: {}", reply.text());
                assert_eq!(reply.header("www-authenticate"), Some(INVALID_REQUEST));
                assert_eq!(reply.json()["type"], "invalid_data");
            }
        }
        // Other schemes are still no credentials at all.
        let other = app
            .get(
                "/store/whoami",
                &[("authorization", "Digest\tusername=\"ada\"")],
            )
            .await;
        assert_eq!(other.status, 200);
        assert_eq!(other.json(), json!({"actor_id": null}));
    }

    /// A provider path segment that is not a well-formed id is not echoed in
    /// the `401`: Medusa's message without the id.
    pub async fn low_unknown_provider_is_not_echoed(app: App) {
        let too_long = "a".repeat(65);
        let credentials = json!({"email": "a@example.com", "password": PASSWORD});
        for (method, path) in [
            (
                Method::POST,
                "/auth/customer/%3Cscript%3Ealert%281%29%3C%2Fscript%3E".to_owned(),
            ),
            (Method::POST, "/auth/customer/NoSuch".to_owned()),
            (Method::POST, format!("/auth/customer/{too_long}")),
            (
                Method::POST,
                "/auth/customer/%3Cscript%3E/register".to_owned(),
            ),
            (
                Method::GET,
                "/auth/customer/%3Cscript%3E/callback?code=x".to_owned(),
            ),
        ] {
            let body = Some(credentials.to_string().into_bytes());
            let headers = [("content-type", "application/json")];
            let reply = app.send(method, &path, &headers, body).await;
            assert_eq!(reply.status, 401, "{path}: {}", reply.text());
            assert_eq!(
                reply.json(),
                json!({"type": "unauthorized", "message": "Could not find a auth provider"}),
                "{path}"
            );
        }
    }

    /// Extension methods (`BREW`, `PROPFIND`, a lower-case `post`) are never
    /// taken for a safe method: with a session cookie, from the page's own
    /// origin or another site, each adapter answers the core's `405` naming
    /// the path's methods, and nothing changes (the session still works).
    pub async fn low_unknown_methods_fail_closed(app: App) {
        let token = admin_token(&app, &unique_email("methods")).await;
        let cookie = session_cookie(&create_session(&app, &token).await);
        let own_origin = app.url();
        let host = own_origin.trim_start_matches("http://").to_owned();
        for method in ["BREW", "PROPFIND", "post"] {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            for (path, allow) in [
                ("/admin/api-keys", "POST"),
                ("/admin/users/me", "GET, HEAD"),
                ("/auth/session", "POST, DELETE"),
                ("/.well-known/jwks.json", "GET, HEAD"),
            ] {
                for origin in [own_origin.as_str(), "https://evil.example"] {
                    let headers = [
                        ("cookie", cookie.as_str()),
                        ("origin", origin),
                        ("host", &host),
                    ];
                    let body = Some(br#"{"title":"brewed"}"#.to_vec());
                    let reply = app.send(method.clone(), path, &headers, body).await;
                    assert_eq!(reply.status, 405, "{method} {path}: {}", reply.text());
                    assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
                    assert_eq!(
                        reply.json(),
                        json!({"type": "not_allowed", "message": "Method not allowed"}),
                        "{method} {path}"
                    );
                }
            }
        }
        let me = app.get("/admin/users/me", &[("cookie", &cookie)]).await;
        assert_eq!(me.status, 200, "{}", me.text());
    }

    /// M4: when the revocation store cannot answer while the session store
    /// can, a session check is `503` with `Retry-After`: the session is not
    /// deleted, the cookie not cleared, and the same cookie works once the
    /// revocation store is back. Checks read an in-memory view of the
    /// revocations, so the store is needed when the view loads: the server is
    /// restarted while the store is broken.
    pub async fn m4_a_revocation_store_error_is_503_and_keeps_the_session(mut app: App) {
        let token = app.customer_token(&unique_email("m4")).await;
        let cookie = session_cookie(&create_session(&app, &token).await);
        assert_eq!(
            app.get("/store/customers/me", &[("cookie", &cookie)])
                .await
                .status,
            200
        );
        // The revocation table goes away (the session table stays): every
        // revocation read fails, starting with the restarted server's load.
        app.execute_sql(
            "ALTER TABLE auth_identity_revocation RENAME TO m4_unreachable",
            &[],
        )
        .await;
        app.restart();
        let during = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        app.execute_sql(
            "ALTER TABLE m4_unreachable RENAME TO auth_identity_revocation",
            &[],
        )
        .await;
        assert_eq!(during.status, 503, "{}", during.text());
        assert!(during.header("retry-after").is_some());
        assert!(
            during.header("set-cookie").is_none(),
            "the session cookie was cleared on a store error"
        );
        let after = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        assert_eq!(
            after.status,
            200,
            "the session did not survive a store error: {}",
            after.text()
        );
    }

    /// H2: a cookie session made from a bearer token belongs to that token's
    /// login, so logging the login out with a bearer token ends the session.
    pub async fn h2_logout_ends_the_cookie_session_of_the_login(app: App) {
        let email = unique_email("h2-cookie");
        let token = app.customer_token(&email).await;
        let other_login = app.login("customer", &email, PASSWORD).await.token();
        let cookie = session_cookie(&create_session(&app, &token).await);
        let other_cookie = session_cookie(&create_session(&app, &other_login).await);
        assert_eq!(bearer_logout(&app, &token).await.status, 200);
        let ended = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        assert_eq!(
            ended.status, 401,
            "the cookie session of an ended login still works"
        );
        assert_eq!(ended.header("www-authenticate"), Some(INVALID_TOKEN));
        let kept = app
            .get("/store/customers/me", &[("cookie", &other_cookie)])
            .await;
        assert_eq!(kept.status, 200, "another login's session ended too");
    }

    /// M6: two cookies with the session cookie's name are refused (`400`)
    /// only where a session would authenticate; a bearer-only route, a
    /// bearer logout and a bearer refresh ignore them.
    pub async fn m6_duplicate_session_cookies_are_refused_only_where_sessions_count(app: App) {
        let token = app.customer_token(&unique_email("m6-dup")).await;
        let cookie = session_cookie(&create_session(&app, &token).await);
        let name = cookie.split('=').next().unwrap();
        let planted = format!("{cookie}; {name}=ses_planted_by_a_sibling");
        let auth = format!("Bearer {token}");
        let both = [
            ("cookie", planted.as_str()),
            ("authorization", auth.as_str()),
        ];
        // A bearer-only route.
        let registration = app.register("customer", &unique_email("m6-new")).await;
        let fresh = format!("Bearer {}", registration.token());
        let created = app
            .post(
                "/store/customers",
                &json!({}),
                &[("cookie", &planted), ("authorization", &fresh)],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        // A bearer refresh.
        let refreshed = app
            .send(Method::POST, "/auth/token/refresh", &both, None)
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.text());
        // A route where sessions count.
        let me = app
            .get("/store/customers/me", &[("cookie", &planted)])
            .await;
        assert_eq!(me.status, 400, "{}", me.text());
        assert_eq!(me.header("www-authenticate"), Some(INVALID_REQUEST));
        // A bearer logout ends the login whatever cookies come along.
        let logout = app.send(Method::DELETE, "/auth/session", &both, None).await;
        assert_eq!(logout.status, 200, "{}", logout.text());
        assert_eq!(app.get_as("/store/customers/me", &token).await.status, 401);
    }

    /// M6: with `Secure` cookies the session cookie is `__Host-` prefixed, so
    /// a sibling subdomain cannot plant one; an unprefixed cookie of the
    /// bare name is not a session.
    pub async fn m6_secure_session_cookie_has_the_host_prefix(mut app: App) {
        app.restart_with(|config| config.cookie_secure = true);
        let token = app.customer_token(&unique_email("m6-host")).await;
        let created = create_session(&app, &token).await;
        assert_eq!(created.status, 200, "{}", created.text());
        let set_cookie = created.header("set-cookie").unwrap().to_owned();
        assert!(
            set_cookie.starts_with("__Host-"),
            "no __Host- prefix: {set_cookie}"
        );
        for attribute in ["Secure", "Path=/", "HttpOnly"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.to_ascii_lowercase().contains("domain="));
        let cookie = session_cookie(&created);
        let me = app.get("/store/customers/me", &[("cookie", &cookie)]).await;
        assert_eq!(me.status, 200, "{}", me.text());
        let unprefixed = cookie.trim_start_matches("__Host-");
        let planted = app
            .get("/store/customers/me", &[("cookie", unprefixed)])
            .await;
        assert_eq!(planted.status, 401, "an unprefixed cookie counted");
        let logout = app
            .send(
                Method::DELETE,
                "/auth/session",
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert_eq!(logout.status, 200);
        assert!(
            logout.header("set-cookie").unwrap().starts_with("__Host-"),
            "the cookie is cleared under its prefixed name"
        );
    }

    /// M7: what one caller makes the server keep stays bounded. One bearer
    /// token creating sessions over and over keeps at most the per-identity
    /// limit (the oldest go first), and a flood of logins with random
    /// e-mails leaves no throttle row in the database (the counters live in
    /// memory, bounded by their own cap).
    pub async fn m7_sessions_and_throttle_rows_stay_bounded(app: App) {
        let token = app.customer_token(&unique_email("m7")).await;
        let identity = claims(&token)["auth_identity_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let limit = auth_core::session::DEFAULT_MAX_SESSIONS_PER_IDENTITY;
        let mut cookies = Vec::new();
        for _ in 0..limit + 20 {
            let created = create_session(&app, &token).await;
            assert_eq!(created.status, 200, "{}", created.text());
            cookies.push(session_cookie(&created));
        }
        let kept = app
            .count_sql(
                "SELECT count(*) FROM auth_session WHERE auth_identity_id = ?1",
                &[&identity],
            )
            .await;
        assert_eq!(kept, i64::try_from(limit).unwrap(), "sessions kept");
        let oldest = app
            .get("/store/customers/me", &[("cookie", &cookies[0])])
            .await;
        assert_eq!(oldest.status, 401, "the oldest session outlived the limit");
        let newest = app
            .get(
                "/store/customers/me",
                &[("cookie", cookies.last().unwrap())],
            )
            .await;
        assert_eq!(newest.status, 200, "{}", newest.text());
        for n in 0..30 {
            let email = unique_email(&format!("m7-random-{n}"));
            let reply = app.login("customer", &email, "wrong password!").await;
            assert!(matches!(reply.status, 401 | 429), "{}", reply.status);
        }
        let throttle_rows = app
            .count_sql("SELECT count(*) FROM auth_throttle", &[])
            .await;
        assert_eq!(throttle_rows, 0, "throttle counters reached the database");
    }

    /// H2: a refresh-token rotation racing a logout of the same login leaves
    /// no token of the login alive, whichever wins.
    pub async fn h2_rotation_racing_logout_leaves_no_live_token(mut app: App) {
        app.restart_with(|config| config.refresh_tokens = true);
        let email = unique_email("h2-race");
        app.customer_token(&email).await;
        for round in 0..8 {
            let login = app.login("customer", &email, PASSWORD).await;
            assert_eq!(login.status, 200, "{}", login.text());
            let access = login.token();
            let refresh = login.json()["refresh_token"].as_str().unwrap().to_owned();
            let (rotated, logout) =
                tokio::join!(refresh_with(&app, &refresh), bearer_logout(&app, &access));
            assert_eq!(logout.status, 200, "round {round}: {}", logout.text());
            let mut access_tokens = vec![access];
            let mut refresh_tokens = vec![refresh];
            if rotated.status == 200 {
                access_tokens.push(rotated.token());
                let successor = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
                refresh_tokens.push(successor);
            } else {
                assert_eq!(rotated.status, 401, "round {round}: {}", rotated.text());
            }
            for token in &access_tokens {
                let me = app.get_as("/store/customers/me", token).await;
                assert_eq!(me.status, 401, "round {round}: an access token survived");
                let refreshed = bearer_refresh(&app, token).await;
                assert_eq!(refreshed.status, 401, "round {round}: a bearer refresh");
                let session = create_session(&app, token).await;
                assert_eq!(session.status, 401, "round {round}: a session from it");
            }
            for token in &refresh_tokens {
                let reply = refresh_with(&app, token).await;
                assert_eq!(reply.status, 401, "round {round}: a refresh token survived");
            }
        }
    }
}
