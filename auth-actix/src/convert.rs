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
//! use auth_actix::convert::{RequestParts, into_actix_response};
//!
//! let request = TestRequest::get()
//!     .uri("/store/whoami?x=1")
//!     .append_header(("authorization", "Bearer a"))
//!     .append_header(("authorization", "Bearer b"))
//!     .to_http_request();
//! let parts = RequestParts::from_request(&request);
//! assert_eq!(parts.headers.get_all("authorization").iter().count(), 2);
//! assert_eq!(parts.head().query, Some("x=1"));
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

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header as actix_header};
use auth_core::credentials::RequestHead;
use bytes::Bytes;

/// The parts of an actix request that auth-core reads, as `http` 1 values.
#[derive(Clone, Debug)]
pub struct RequestParts {
    /// The request method.
    pub method: http::Method,
    /// Every request header, repeated ones included.
    pub headers: http::HeaderMap,
    /// The raw query string, without `?`.
    pub query: Option<String>,
}

impl RequestParts {
    /// Copies method, headers and query out of an actix request.
    pub fn from_request(request: &HttpRequest) -> Self {
        Self {
            method: method(request.method()),
            headers: headers(request.headers()),
            query: request.uri().query().map(str::to_owned),
        }
    }

    /// The borrowed view [`AuthModule::authorize`](auth_core::AuthModule::authorize) takes.
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead::new(&self.method, &self.headers, self.query.as_deref())
    }
}

/// The method, by name (actix has already parsed it, so it is valid for `http` 1).
fn method(method: &actix_web::http::Method) -> http::Method {
    http::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(http::Method::GET)
}

/// The headers, value by value: `append` keeps repeated headers and their order.
fn headers(headers: &actix_header::HeaderMap) -> http::HeaderMap {
    let mut converted = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        // Both `http` versions validate names and values the same way, so a
        // header actix accepted always converts.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            converted.append(name, value);
        }
    }
    converted
}

/// Turns auth-core's response into an actix response, unchanged: status, every
/// header (repeated ones included) and the body bytes.
pub fn into_actix_response(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    actix_response(parts.status, &parts.headers, body)
}

/// Builds an actix response from borrowed parts (for errors rendered more than once).
pub(crate) fn actix_response(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, body);
    let target = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            actix_header::HeaderName::from_bytes(name.as_str().as_bytes()),
            actix_header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            target.append(name, value);
        }
    }
    response.map_into_boxed_body()
}
