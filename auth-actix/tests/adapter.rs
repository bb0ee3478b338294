//! The actix adapter, specified by behaviour: each test is one rule of
//! HTTP-CONTRACT.md as seen through `RequireAuth`, the extractors and the scope.

#![allow(clippy::unwrap_used)] // A panic is how a test reports a failure.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, FromRequest, HttpResponse, web};
use auth_actix::{AuthUser, MaybeAuthUser, RequireAuth};
use auth_core::provider::EmailPass;
use auth_core::routes::{AuthRequest, MAX_BODY_BYTES};
use auth_core::token::{Algorithm, Key, KeySet, TokenConfig, TokenService};
use auth_core::{AuthContext, AuthError, AuthModule, RoutePolicy};
use serde_json::{Value, json};

// ---- fixtures -------------------------------------------------------------

const SECRET: &[u8] = b"a test secret that is long enough!";

fn token_service(secret: &[u8]) -> TokenService {
    let key = Key::hmac("k1", Algorithm::HS256, secret).expect("valid key");
    TokenService::new(
        KeySet::new(key).expect("valid key set"),
        TokenConfig::new("http://test", "test"),
    )
    .expect("valid token service")
}

fn module() -> AuthModule {
    AuthModule::builder()
        .tokens(token_service(SECRET))
        .provider(EmailPass::default())
        .build()
        .expect("valid module")
}

fn context(actor_type: &str, actor_id: &str) -> AuthContext {
    AuthContext {
        actor_id: actor_id.into(),
        actor_type: actor_type.into(),
        auth_identity_id: "authid_test".into(),
        app_metadata: Default::default(),
    }
}

fn customer_token(auth: &AuthModule) -> String {
    auth.access_tokens()
        .issue(&context("customer", "cus_1"))
        .expect("signing works")
}

/// Same claims, signed with a secret the module does not know.
fn forged_token() -> String {
    let other = token_service(b"another secret, also long enough!!");
    other
        .issue(&context("customer", "cus_1"))
        .expect("signing works")
        .token
}

async fn caller(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({"actor_id": user.actor_id, "actor_type": user.actor_type}))
}

async fn maybe_caller(MaybeAuthUser(user): MaybeAuthUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({"actor_id": user.map(|user| user.actor_id.clone())}))
}

/// Sends `request` to the test application: the auth routes and one route per
/// policy shape, all over `auth`.
async fn send(auth: &AuthModule, request: TestRequest) -> ServiceResponse {
    let guarded = |path: &str, policy: RoutePolicy| {
        web::resource(path.to_owned()).wrap(RequireAuth::new(auth.clone(), policy))
    };
    let app = test::init_service(
        App::new()
            .configure(auth_actix::configure(auth.clone()))
            .service(
                guarded("/customer", RoutePolicy::actor_types(["customer"]))
                    .route(web::get().to(caller)),
            )
            .service(
                guarded(
                    "/optional",
                    RoutePolicy::actor_types(["customer"]).allow_unauthenticated(),
                )
                .route(web::get().to(maybe_caller)),
            )
            .service(
                guarded(
                    "/required-on-open-route",
                    RoutePolicy::actor_types(["customer"]).allow_unauthenticated(),
                )
                .route(web::get().to(caller)),
            )
            .service(
                guarded(
                    "/admin",
                    RoutePolicy::actor_types(["user"]).allow_unregistered(),
                )
                .route(web::get().to(caller)),
            )
            .service(
                web::resource("/route-guarded")
                    .route(
                        web::get()
                            .to(caller)
                            .wrap(RequireAuth::new(auth.clone(), RoutePolicy::any_actor())),
                    )
                    .default_service(web::to(HttpResponse::MethodNotAllowed)),
            )
            .route("/unguarded", web::get().to(caller))
            .route("/unguarded-optional", web::get().to(maybe_caller)),
    )
    .await;
    test::call_service(&app, request.to_request()).await
}

fn get(path: &str) -> TestRequest {
    TestRequest::get().uri(path)
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn header<'a>(response: &'a ServiceResponse, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

async fn json_body(response: ServiceResponse) -> Value {
    serde_json::from_slice(&test::read_body(response).await).expect("JSON body")
}

// ---- RequireAuth and AuthUser ---------------------------------------------

#[actix_web::test]
async fn protected_route_without_credentials_is_401_with_a_bare_challenge() {
    let auth = module();
    let response = send(&auth, get("/customer")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth""#)
    );
    assert_eq!(
        json_body(response).await,
        json!({"type": "unauthorized", "message": "Unauthorized"})
    );
}

#[actix_web::test]
async fn valid_token_reaches_the_handler_as_auth_user() {
    let auth = module();
    let request = get("/customer").insert_header(bearer(&customer_token(&auth)));
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_body(response).await,
        json!({"actor_id": "cus_1", "actor_type": "customer"})
    );
}

#[actix_web::test]
async fn forged_token_is_401_invalid_token() {
    let auth = module();
    let request = get("/customer").insert_header(bearer(&forged_token()));
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth", error="invalid_token""#)
    );
}

#[actix_web::test]
async fn refusal_is_auth_core_response_unchanged() {
    let auth = module();
    let request = get("/customer").insert_header(bearer(&forged_token()));
    let response = send(&auth, request).await;
    let expected = auth.error_response(&AuthError::InvalidToken);
    assert_eq!(response.status().as_u16(), expected.status().as_u16());
    for (name, value) in expected.headers() {
        assert_eq!(
            header(&response, name.as_str()).map(str::as_bytes),
            Some(value.as_bytes()),
            "{name}"
        );
    }
    assert_eq!(response.headers().len(), expected.headers().len());
    assert_eq!(test::read_body(response).await, expected.body());
}

#[actix_web::test]
async fn wrong_actor_type_is_403_insufficient_scope() {
    let auth = module();
    let request = get("/admin").insert_header(bearer(&customer_token(&auth)));
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth", error="insufficient_scope""#)
    );
}

#[actix_web::test]
async fn two_authorization_headers_are_400_invalid_request() {
    let auth = module();
    let token = customer_token(&auth);
    let request = get("/customer")
        .append_header(bearer(&token))
        .append_header(bearer(&token));
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth", error="invalid_request""#)
    );
}

#[actix_web::test]
async fn auth_user_on_a_route_open_to_anonymous_callers_is_401_without_credentials() {
    let auth = module();
    let response = send(&auth, get("/required-on-open-route")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth""#)
    );
}

#[actix_web::test]
async fn middleware_on_a_route_leaves_other_methods_to_the_resource() {
    let auth = module();
    let response = send(&auth, get("/route-guarded")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = send(&auth, TestRequest::post().uri("/route-guarded")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

// ---- MaybeAuthUser --------------------------------------------------------

#[actix_web::test]
async fn optional_extractor_gives_none_to_anonymous_callers() {
    let auth = module();
    let response = send(&auth, get("/optional")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await, json!({"actor_id": null}));
}

#[actix_web::test]
async fn optional_extractor_gives_the_verified_caller() {
    let auth = module();
    let request = get("/optional").insert_header(bearer(&customer_token(&auth)));
    let response = send(&auth, request).await;
    assert_eq!(json_body(response).await, json!({"actor_id": "cus_1"}));
}

#[actix_web::test]
async fn optional_route_still_refuses_an_invalid_token() {
    let auth = module();
    let request = get("/optional").insert_header(bearer(&forged_token()));
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&response, "www-authenticate"),
        Some(r#"Bearer realm="auth", error="invalid_token""#)
    );
}

// ---- missing middleware ----------------------------------------------------

#[actix_web::test]
async fn extractors_without_the_middleware_are_a_500_not_a_401() {
    let auth = module();
    for path in ["/unguarded", "/unguarded-optional"] {
        let request = get(path).insert_header(bearer(&customer_token(&auth)));
        let response = send(&auth, request).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        assert!(
            response.headers().get("www-authenticate").is_none(),
            "{path}"
        );
        assert_eq!(
            json_body(response).await,
            json!({"type": "unexpected_state", "message": "An unknown error occurred."}),
        );
    }
}

#[actix_web::test]
async fn missing_middleware_error_names_it() {
    let request = get("/unguarded").to_http_request();
    let error = AuthUser::extract(&request)
        .await
        .expect_err("no middleware ran");
    assert!(error.is_missing_guard());
    assert!(error.to_string().contains("RequireAuth"), "{error}");
    let error = MaybeAuthUser::extract(&request)
        .await
        .expect_err("no middleware ran");
    assert!(error.to_string().contains("`MaybeAuthUser`"), "{error}");
}

// ---- the auth scope and JWKS -----------------------------------------------

#[actix_web::test]
async fn register_and_login_through_the_auth_scope() {
    let auth = module();
    let credentials = r#"{"email":"ada@example.com","password":"correct horse"}"#;
    for path in [
        "/auth/customer/emailpass/register",
        "/auth/customer/emailpass",
    ] {
        let request = TestRequest::post().uri(path).set_payload(credentials);
        let response = send(&auth, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{path}"
        );
        let token = json_body(response).await["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let caller = auth.verify_bearer(&token).await.expect("a valid token");
        assert_eq!(caller.actor_type, "customer");
    }
    let request = TestRequest::post()
        .uri("/auth/customer/emailpass")
        .set_payload(r#"{"email":"ada@example.com","password":"wrong horse!"}"#);
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_mount_itself_answers_auth_core_404() {
    let auth = module();
    let expected = auth.handle(AuthRequest::new(http::Method::GET, "/")).await;
    for path in ["/auth", "/auth/"] {
        let response = send(&auth, get(path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(test::read_body(response).await, expected.body(), "{path}");
    }
}

#[actix_web::test]
async fn wrong_method_on_an_auth_route_is_auth_core_405() {
    let auth = module();
    let response = send(&auth, get("/auth/customer/emailpass/register")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json_body(response).await["type"], "not_allowed");
}

#[actix_web::test]
async fn oversized_body_is_refused_by_auth_core_not_actix() {
    let auth = module();
    let request = TestRequest::post()
        .uri("/auth/customer/emailpass")
        .set_payload(vec![b' '; 300 * 1024]);
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(response).await,
        json!({"type": "invalid_data", "message": "Request body is too large"})
    );
}

#[actix_web::test]
async fn body_of_exactly_the_limit_is_read_whole() {
    let auth = module();
    let mut body = vec![b' '; MAX_BODY_BYTES];
    body[0] = b'{';
    body[MAX_BODY_BYTES - 1] = b'}';
    let request = TestRequest::post()
        .uri("/auth/customer/emailpass")
        .set_payload(body);
    let response = send(&auth, request).await;
    // Read whole and parsed as `{}`: the provider's own complaint, not "too large".
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_ne!(
        json_body(response).await["message"],
        "Request body is too large"
    );
}

#[actix_web::test]
async fn auth_core_sees_the_raw_path_below_the_mount() {
    let auth = module();
    let path = "/cust%6Fmer/emailpass";
    let expected = auth
        .handle(AuthRequest::new(http::Method::POST, path))
        .await;
    let request = TestRequest::post().uri(&format!("/auth{path}"));
    let response = send(&auth, request).await;
    assert_eq!(response.status().as_u16(), expected.status().as_u16());
    assert_eq!(test::read_body(response).await, expected.body());
}

#[actix_web::test]
async fn jwks_is_served_and_other_methods_get_405() {
    let auth = module();
    let response = send(&auth, get("/.well-known/jwks.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=300")
    );
    assert_eq!(test::read_body(response).await, auth.jwks_response().body());
    let request = TestRequest::post().uri("/.well-known/jwks.json");
    let response = send(&auth, request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), Some("GET, HEAD"));
    let response = send(
        &auth,
        TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/.well-known/jwks.json"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(test::read_body(response).await.is_empty());
}

#[actix_web::test]
async fn percent_encoded_spellings_of_the_mounts_are_not_served() {
    let auth = module();
    for path in ["/%61uth/customer/emailpass", "/.well-known/jwks%2Ejson"] {
        let response = send(&auth, TestRequest::post().uri(path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn debug_of_a_capped_body_shows_its_length_not_the_password() {
    let login = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;
    let (request, mut payload) = TestRequest::post().set_payload(login).to_http_parts();
    let body = auth_actix::CappedBody::from_request(&request, &mut payload)
        .await
        .unwrap();
    let printed = format!("{body:?} {body:#?}");
    assert!(!printed.contains("correct horse"), "{printed}");
    assert!(
        printed.contains(&format!("{} bytes", login.len())),
        "{printed}"
    );
}

// ---- methods ----------------------------------------------------------------

#[actix_web::test]
async fn extension_methods_reach_the_core_as_themselves() {
    for name in ["BREW", "PROPFIND", "get"] {
        let method = actix_web::http::Method::from_bytes(name.as_bytes()).unwrap();
        let request = TestRequest::default().method(method).to_http_request();
        let parts = auth_actix::convert::request_parts(&request).unwrap();
        assert_eq!(parts.method.as_str(), name);
    }
}

#[actix_web::test]
async fn an_extension_method_with_a_cross_site_session_is_refused_not_taken_as_safe() {
    let auth = module();
    let session = auth
        .sessions()
        .create(&context("customer", "cus_1"), None, &[])
        .await
        .unwrap();
    let cookie = format!(
        "{}={}",
        auth.sessions().settings().effective_cookie_name(),
        session.as_str()
    );
    let app = test::init_service(
        App::new().service(
            web::resource("/any-method")
                .wrap(RequireAuth::new(
                    auth.clone(),
                    RoutePolicy::actor_types(["customer"])
                        .credentials([auth_core::CredentialKind::Session]),
                ))
                .to(caller),
        ),
    )
    .await;
    for name in ["BREW", "PROPFIND", "get"] {
        let method = actix_web::http::Method::from_bytes(name.as_bytes()).unwrap();
        let request = TestRequest::default()
            .method(method)
            .uri("/any-method")
            .insert_header(("cookie", cookie.clone()))
            .insert_header(("origin", "https://evil.example"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
    }
}
