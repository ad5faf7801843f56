//! The HTTP surface: server functions under `/api`, `/healthz`, the built app with its SPA
//! fallback, and the headers every response carries.

use crate::api::AppError;
use crate::server::{AppState, auth};
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{BoxError, Router};
use leptos::prelude::provide_context;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// Largest request body a server function accepts.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// Largest body of one upload piece (a piece plus room for nothing else).
pub const UPLOAD_PIECE_LIMIT: usize = crate::domain::upload::CHUNK_BYTES;

/// The placeholder Trunk writes where each response needs a fresh nonce.
pub const NONCE_PLACEHOLDER: &str = "{{__TRUNK NONCE__}}";

/// Content-Security-Policy; `nonce` allows Trunk's inline module loader and nothing else.
/// `sign_out_at` is the identity provider's origin: the sign-out form's answer sends the
/// browser on to the provider's logout page, and `form-action` governs that redirect too.
pub fn csp(nonce: Option<&str>, sign_out_at: Option<&str>) -> String {
    let script = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    let forms = match sign_out_at {
        Some(o) => format!("form-action 'self' {o}"),
        None => "form-action 'self'".to_string(),
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' data: blob:; \
         font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; {forms}"
    )
}

/// `scheme://host[:port]` of a URL, as CSP source lists want it.
pub fn origin_of(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization())
}

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    crate::api::registry::register_all();

    let api = Router::new()
        .route(
            "/api/{*fn_name}",
            post(server_fn).fallback(api_method_not_allowed),
        )
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(API_BODY_LIMIT))
        // Only server functions need the caller; static files and pages never touch the session.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), api_guard));

    // Downloads: plain GETs that still need to know the caller.
    let files = Router::new()
        .route("/files/receipts/{file}", get(crate::server::files::receipt))
        .route(
            "/files/dossiers/{code}/{kind}",
            get(crate::server::files::dossier_file),
        )
        .route("/events", get(crate::server::notify::events))
        .route(
            "/files/intake-consent/{file}",
            get(crate::server::files::consent_qr),
        )
        .route(
            "/files/health/export",
            get(crate::server::health::export_download),
        )
        .route(
            "/files/health/ips",
            get(crate::server::health::ips_download),
        )
        .route(
            "/files/health/visits/{file}",
            get(crate::server::health::visit_pdf_download),
        )
        .route(
            "/files/health/documents/{id}",
            get(crate::server::health::document_download),
        )
        .route(
            "/files/uploads/{id}",
            get(crate::server::uploads::download).put(crate::server::uploads::put_chunk),
        )
        .layer(DefaultBodyLimit::max(UPLOAD_PIECE_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_PIECE_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ));

    let spa: MethodRouter = get(spa_fallback)
        .head(spa_fallback)
        .with_state(state.clone());
    let static_files = ServeDir::new(&state.config.dist)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .fallback(spa);

    let overload = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overloaded))
        .load_shed()
        .concurrency_limit(state.config.max_in_flight)
        .timeout(Duration::from_secs(state.config.request_timeout_secs));

    Router::new()
        .merge(api)
        .merge(files)
        .route("/healthz", get(healthz))
        // SMART Health Link manifests: opened by other people's viewers, without cookies,
        // the one route answered to any origin.
        .route(
            "/shl/file/{share}/{until}/{signature}",
            get(crate::server::health::share_file),
        )
        .route(
            "/shl/{token}",
            post(crate::server::health::manifest)
                .options(crate::server::health::manifest_preflight)
                .layer(DefaultBodyLimit::max(4096)),
        )
        // Server-to-server notices from the payment gateway: no session, no browser checks;
        // the signature decides.
        .route("/payments/vnpay/ipn", get(crate::server::payment::ipn))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/auth/logout", post(auth::logout))
        // Server-to-server from the identity provider: no session, no browser checks; the
        // logout token's signature decides.
        .route("/auth/backchannel-logout", post(auth::backchannel_logout))
        .route("/index.html", get(|| async { Redirect::permanent("/") }))
        .fallback_service(static_files)
        .layer(middleware::from_fn(cache_control))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(overload)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

async fn api_method_not_allowed() -> Response {
    let mut resp = json_error(&AppError::Transport("method".into()));
    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}

/// An error as every server function answers it: the [`AppError`] as JSON, with its status
/// (and `Retry-After` when rate-limited).
pub(crate) fn json_error(err: &AppError) -> Response {
    let body = serde_json::to_vec(err).unwrap_or_default();
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let AppError::RateLimited { retry_after } = err {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
    resp
}

/// True when a state-changing request comes from our own pages. Browsers send
/// `Sec-Fetch-Site`; older ones send `Origin`; tools that send neither cannot be used for
/// cross-site request forgery.
pub fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.as_bytes() == public_origin.trim_end_matches('/').as_bytes(),
        None => true,
    }
}

/// Guards every server function: same origin only, JSON bodies only, and errors answered
/// with the right status and no internals.
async fn api_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return api_method_not_allowed().await;
    }
    if !same_origin(req.headers(), &state.config.public_origin) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return json_error(&AppError::Forbidden);
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        let mut resp = json_error(&AppError::Transport("content_type".into()));
        *resp.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return resp;
    }
    let resp = next.run(req).await;
    let mut resp = if resp.status().is_success() {
        resp
    } else {
        let status = resp.status();
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, API_BODY_LIMIT)
            .await
            .unwrap_or_default();
        match serde_json::from_slice::<AppError>(&bytes) {
            Ok(err) => {
                parts.status = StatusCode::from_u16(err.status()).unwrap_or(status);
                if let AppError::RateLimited { retry_after } = err {
                    parts
                        .headers
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                }
                Response::from_parts(parts, Body::from(bytes))
            }
            // Not one of ours: body-limit rejections, unknown functions. Never echo them.
            Err(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                let mut r = json_error(&AppError::Transport("too_large".into()));
                *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                r
            }
            Err(_) if status.is_client_error() => json_error(&AppError::NotFound),
            Err(_) => {
                let ref_id = parts
                    .headers
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                tracing::error!(%status, "server function failed without an AppError");
                json_error(&AppError::Internal { ref_id })
            }
        }
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Serves `index.html` for every app route, with a fresh CSP nonce; unknown paths get the
/// same shell (which renders the not-found page) with status 404.
async fn spa_fallback(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return json_error(&AppError::NotFound);
    }
    if state.index_html.is_empty() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The app has not been built: run scripts/run (or trunk build --release).",
        )
            .into_response();
    }
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let shell = if crate::ui::routes::is_forms_route(path) {
        &state.forms_html
    } else {
        &state.index_html
    };
    let html = shell.replace(NONCE_PLACEHOLDER, &nonce);
    let status = if crate::ui::routes::is_app_route(path) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let provider = origin_of(&state.config.oidc_issuer);
    if let Ok(v) = HeaderValue::from_str(&csp(Some(&nonce), provider.as_deref())) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// True for Trunk's content-hashed file names (`name-0123456789abcdef.js`, `…_bg.wasm`).
pub fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_control(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    if resp.headers().contains_key(header::CACHE_CONTROL) {
        return resp;
    }
    let value = if !resp.status().is_success() && resp.status() != StatusCode::NOT_MODIFIED {
        "no-store"
    } else if is_hashed_asset(&path) {
        "public, max-age=31536000, immutable"
    } else if path == "/sw.js" || path.ends_with(".webmanifest") || path == "/healthz" {
        "no-cache"
    } else {
        // Fonts, icons: stable names, rarely changed.
        "public, max-age=86400"
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    resp
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(&csp(None, None))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    ] {
        // A response that answers other origins (share-link manifests) keeps its own policy.
        if name == "cross-origin-resource-policy" && h.contains_key(name) {
            continue;
        }
        h.insert(name, HeaderValue::from_static(value));
    }
    resp
}

async fn overloaded(err: BoxError) -> Response {
    let (status, msg) = if err.is::<tower::timeout::error::Elapsed>() {
        (StatusCode::SERVICE_UNAVAILABLE, "request timed out")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "server busy, try again shortly",
        )
    };
    let mut resp = (status, msg).into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    json_error(&AppError::Internal {
        ref_id: String::new(),
    })
}

/// Resolves when the process receives SIGTERM or Ctrl-C; in-flight requests then finish.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_asset_names() {
        assert!(is_hashed_asset("/dichvucong-0123456789abcdef.js"));
        assert!(is_hashed_asset("/dichvucong-0123456789abcdef_bg.wasm"));
        assert!(is_hashed_asset("/style-fedcba9876543210.css"));
        assert!(!is_hashed_asset("/sw.js"));
        assert!(!is_hashed_asset(
            "/fonts/be-vietnam-pro-latin-400-normal.woff2"
        ));
        assert!(!is_hashed_asset("/thu-tuc/dang-ky-khai-sinh"));
    }

    #[test]
    fn csp_is_strict() {
        let c = csp(Some("abc"), None);
        assert!(c.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!c.contains("unsafe-inline"));
        assert!(c.contains("frame-ancestors 'none'"));
        assert!(c.ends_with("form-action 'self'"));
        assert!(!csp(None, None).contains("nonce"));
        // Signing out goes on to the identity provider's own logout page.
        let provider = origin_of("https://sso.vneid.gov.vn/oidc/").unwrap();
        assert_eq!(provider, "https://sso.vneid.gov.vn");
        assert!(
            csp(Some("abc"), Some(&provider))
                .ends_with("form-action 'self' https://sso.vneid.gov.vn")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h, "http://127.0.0.1:3000"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert!(same_origin(&h, "http://127.0.0.1:3000"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h, "http://127.0.0.1:3000"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, "http://127.0.0.1:3000"));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h, "http://127.0.0.1:3000"));
    }
}
