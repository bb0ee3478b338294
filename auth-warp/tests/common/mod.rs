//! The fixtures every test of this crate shares.

#![allow(clippy::unwrap_used, dead_code)] // Shared test fixtures: panics report failures; not every test uses every fixture.

use auth_core::AuthModule;
use auth_core::provider::EmailPass;
use auth_warp::Auth;
use bytes::Bytes;
use http::Response;
use serde_json::Value;

/// The secret of [`auth`]'s signing key.
pub const SECRET: &[u8] = b"a test secret that is long enough!";

/// An auth module with the emailpass provider and in-memory stores.
pub fn auth() -> Auth {
    auth_with_secret(SECRET)
}

/// Like [`auth`], signing with another secret (to forge tokens).
pub fn auth_with_secret(secret: &[u8]) -> Auth {
    Auth::new(
        AuthModule::builder()
            .hs256(secret)
            .issuer("http://test")
            .audience("test")
            .provider(EmailPass::default())
            .build()
            .expect("valid test module"),
    )
}

/// The JSON body of a response.
pub fn json(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).expect("a JSON body")
}

/// An `emailpass` request body.
pub fn credentials(email: &str) -> String {
    serde_json::json!({"email": email, "password": "correct horse battery"}).to_string()
}

/// Registers `email` as `actor_type` through the auth routes; returns the token.
pub async fn register(auth: &Auth, actor_type: &str, email: &str) -> String {
    let response = warp::test::request()
        .method("POST")
        .path(&format!("/auth/{actor_type}/emailpass/register"))
        .body(credentials(email))
        .reply(&auth.routes())
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    json(&response)["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}
