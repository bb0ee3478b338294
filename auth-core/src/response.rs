//! Building the JSON responses of the auth routes and errors, in one place.
//!
//! Every JSON answer carries `Content-Type: application/json` and
//! `X-Content-Type-Options: nosniff`; answers that carry a token are never cached.
//!
//! ```
//! use auth_core::response::token_response;
//!
//! let response = token_response(&serde_json::json!({"token": "..."}));
//! assert_eq!(response.headers()["cache-control"], "no-store");
//! ```

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

/// A JSON response with `Content-Type: application/json` and `nosniff`.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A response with no body, such as the `201` of a password reset request.
pub fn empty_response(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A `200` response carrying a token: never cached (RFC 6749 5.1).
pub fn token_response(body: &impl Serialize) -> Response<Bytes> {
    let mut response = json_response(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
