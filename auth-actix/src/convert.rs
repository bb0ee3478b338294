//! Translation between actix-web's `http` 0.2 types and auth-core's `http` 1 types.
//!
//! actix-web 4 is built on `http` 0.2 while auth-core speaks `http` 1, so every
//! value crossing the boundary is copied here, and only here: names and values
//! as bytes (repeated headers stay repeated, in order, so that two
//! `Authorization` headers reach the core as two), the method by its name, and
//! the response as status code, headers and body.
//!
//! ```
//! use actix_web::test::TestRequest;
//! use auth_actix::convert::{into_actix_response, request_parts};
//!
//! let request = TestRequest::get()
//!     .uri("/store/whoami?x=1")
//!     .append_header(("authorization", "Bearer a"))
//!     .append_header(("authorization", "Bearer b"))
//!     .to_http_request();
//! let parts = request_parts(&request);
//! assert_eq!(parts.headers.get_all("authorization").iter().count(), 2);
//! assert_eq!(parts.uri.query(), Some("x=1"));
//! assert_eq!(parts.uri.path(), "/store/whoami");
//!
//! let core = http::Response::builder()
//!     .status(401)
//!     .header("www-authenticate", r#"Bearer realm="auth""#)
//!     .body(bytes::Bytes::from_static(b"{}"))
//!     .unwrap();
//! let response = into_actix_response(core);
//! assert_eq!(response.status().as_u16(), 401);
//! assert_eq!(response.headers().get("www-authenticate").unwrap(), r#"Bearer realm="auth""#);
//! ```

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;

/// The method, URI (path still percent-encoded, as received) and headers of
/// an actix request, as `http` 1 parts; repeated headers stay repeated, in order.
pub fn request_parts(request: &HttpRequest) -> http::request::Parts {
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    // Both `http` versions validate methods, URIs and headers alike, so what
    // actix accepted converts.
    builder.body(()).unwrap_or_default().into_parts().0
}

/// Turns auth-core's response into an actix response, unchanged: status, every
/// header (repeated ones included) and the body bytes.
pub fn into_actix_response(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut converted = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        converted.append_header((name.as_str(), value.as_bytes()));
    }
    converted.body(body)
}
