//! Translation between actix-web's `http` 0.2 types and auth-core's `http` 1 types.
//!
//! actix-web 4 is built on `http` 0.2 while auth-core speaks `http` 1, so every
//! value crossing the boundary is copied here, and only here: names and values
//! as bytes (repeated headers stay repeated, in order, so that two
//! `Authorization` headers reach the core as two), the method by its name, and
//! the response as status code, headers and body. A request that does not
//! convert is refused with auth-core's `400` ([`Rejection::untranslatable`]),
//! never replaced by a default request (a `GET` with no credentials would pass
//! the CSRF check as a safe method).
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
//! let parts = request_parts(&request).unwrap();
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
use auth_core::http::Rejection;
use bytes::Bytes;

/// The method, URI (path still percent-encoded, as received) and headers of
/// an actix request, as `http` 1 parts; repeated headers stay repeated, in
/// order. A method, URI or header that `http` 1 refuses is auth-core's `400`.
pub fn request_parts(request: &HttpRequest) -> Result<http::request::Parts, Rejection> {
    let mut builder = http::Request::builder()
        .method(method(request.method())?)
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let request = builder
        .body(())
        .map_err(|error| Rejection::untranslatable(&error))?;
    Ok(request.into_parts().0)
}

/// The method by its name; one `http` 1 refuses is auth-core's `400`, never
/// a default method.
///
/// ```
/// use actix_web::http::Method;
///
/// let brew = Method::from_bytes(b"BREW").unwrap();
/// assert_eq!(auth_actix::convert::method(&brew).unwrap().as_str(), "BREW");
/// ```
pub fn method(method: &actix_web::http::Method) -> Result<http::Method, Rejection> {
    http::Method::from_bytes(method.as_str().as_bytes())
        .map_err(|error| Rejection::untranslatable(&error))
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
