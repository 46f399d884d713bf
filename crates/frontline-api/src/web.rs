//! The operator web app: `web/` is built by Vite into `web/dist`, which is embedded into the binary
//! (read from disk in debug builds) and served at `/`. Any other GET path that is not the API and
//! not a file gets `index.html`, so the app's own paths survive a reload. Without a build (a plain
//! `cargo build`, no Node) a short page says how to build it.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../web/dist"] // relative to this crate's Cargo.toml
#[allow_missing = true]
struct Dist;

/// Content Security Policy of the app's pages: scripts only from here; images from anywhere over
/// http(s) (customer avatars and listing photos live on the channel's servers); the realtime
/// stream over ws(s) to this origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob: http: https:; media-src 'self' data: blob:; connect-src 'self' ws: wss:; \
font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>frontline</title>\
<h1>frontline</h1><p>The server is running, but its web app was not built into this binary. \
Build it with <code>./scripts/run</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, \
then rebuild the server). The API is described at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>";

/// Whether the binary carries the built web app.
pub fn is_built() -> bool {
    Dist::get("index.html").is_some()
}

/// The fallback of the router: app files, the app's pages, or the API's JSON 404.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound("route").into_response();
    }
    if path.starts_with("api/") || path == "api" || path == "metrics" || path == "healthz" {
        return ApiError::NotFound("route").into_response();
    }
    if !path.is_empty()
        && let Some(file) = Dist::get(path)
    {
        let immutable = path.starts_with("assets/");
        return file_response(file, &headers, immutable);
    }
    // A path that names a file (`/x.js`) and is not there is a 404, not the app.
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return ApiError::NotFound("file").into_response();
    }
    match Dist::get("index.html") {
        Some(index) => file_response(index, &headers, false),
        None => html(StatusCode::OK, NOT_BUILT.as_bytes().to_vec()),
    }
}

fn file_response(file: rust_embed::EmbeddedFile, request: &HeaderMap, immutable: bool) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mime = file.metadata.mimetype().to_owned();
    let cache = if immutable {
        // Vite names these after their content: a new build gets new names.
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = if request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(file.data.into_owned()))
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    security_headers(h, mime.starts_with("text/html"));
    resp
}

fn html(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(h, true);
    resp
}

fn security_headers(h: &mut HeaderMap, page: bool) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if page {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}
