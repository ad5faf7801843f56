//! Login with the national OpenID Connect provider (backend-for-frontend): authorization
//! code flow with PKCE S256, `state` and `nonce` bound to this browser and usable once,
//! ID-token checks (signature by the provider's JWKS, `iss`, `aud`, `exp`, `nonce`, algorithm),
//! then a server-side session. Tokens never reach the browser: it holds one opaque,
//! 256-bit session id in a `__Host-` cookie (Secure, HttpOnly, SameSite).

use crate::api::AppError;
use crate::server::AppState;
use crate::server::config::Config;
use crate::server::db::audit::AuditEvent;
use crate::server::db::identity::{Dependent, LoginAttempt, ProviderIdentity, SessionRow};
use crate::server::policy::{Principal, SessionUser, StaffRole};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

/// Session cookie name. `__Host-`: Secure, no Domain, Path=/ — cannot be set by a sub-domain.
pub const SESSION_COOKIE: &str = "__Host-dvc_session";
/// Short-lived cookie that binds a pending login (`state`) to the browser that started it.
pub const LOGIN_COOKIE: &str = "__Host-dvc_login";

/// Idle timeout of a resident session (NIST 800-63B AAL2 guidance, SECURITY.md).
pub const RESIDENT_IDLE: Duration = Duration::minutes(30);
/// Idle timeout of a staff session.
pub const STAFF_IDLE: Duration = Duration::minutes(15);
/// Absolute lifetime of any session.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// How long a login may take at the provider.
pub const LOGIN_WINDOW: Duration = Duration::minutes(10);
/// A login counts as recent (for step-up) for this long.
pub const RECENT_LOGIN: Duration = Duration::minutes(10);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The relying-party client, discovered lazily (the provider may be down at start-up; then
/// login answers "try again later" and the rest of the portal keeps working).
#[derive(Default)]
pub struct Oidc {
    discovered: RwLock<Option<Discovered>>,
}

/// What discovery taught us about the provider, kept for the life of the process.
#[derive(Clone)]
struct Discovered {
    client: Client,
    /// RP-initiated logout endpoint (not part of the core metadata type).
    end_session: Option<String>,
    /// The provider's signing keys, for its back-channel logout tokens.
    jwks: openidconnect::core::CoreJsonWebKeySet,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

/// Outbound HTTP for the provider: no redirects followed, short timeouts.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

async fn send(
    client: reqwest::Client,
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let req = reqwest::Request::try_from(req).map_err(|e| HttpError(e.to_string()))?;
    let resp = client
        .execute(req)
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let mut builder = axum::http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        builder = builder.header(k, v);
    }
    let body = resp.bytes().await.map_err(|e| HttpError(e.to_string()))?;
    builder
        .body(body.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

impl Oidc {
    /// Forgets what discovery found (the provider rotated its keys).
    async fn forget(&self) {
        *self.discovered.write().await = None;
    }

    async fn client(&self, config: &Config) -> Result<Client, AppError> {
        Ok(self.discover(config).await?.client)
    }

    async fn discover(&self, config: &Config) -> Result<Discovered, AppError> {
        if let Some(d) = self.discovered.read().await.as_ref() {
            return Ok(d.clone());
        }
        let http = http_client();
        let issuer =
            IssuerUrl::new(config.oidc_issuer.clone()).map_err(|_| AppError::Unavailable)?;
        let document = format!(
            "{}/.well-known/openid-configuration",
            config.oidc_issuer.trim_end_matches('/')
        );
        let metadata = CoreProviderMetadata::discover_async(issuer, &|r| send(http.clone(), r))
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "identity provider discovery failed");
                AppError::Unavailable
            })?;
        let redirect = RedirectUrl::new(format!(
            "{}/auth/callback",
            config.public_origin.trim_end_matches('/')
        ))
        .map_err(|_| AppError::Unavailable)?;
        let jwks = metadata.jwks().clone();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.oidc_client_id.clone()),
            Some(ClientSecret::new(
                config.oidc_client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(redirect);
        // The core metadata type has no `end_session_endpoint`: read it from the same
        // document, once, alongside the client.
        let end_session = match http.get(&document).send().await {
            Ok(resp) => resp
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|d| d.get("end_session_endpoint")?.as_str().map(str::to_owned)),
            Err(_) => None,
        };
        let discovered = Discovered {
            client,
            end_session,
            jwks,
        };
        *self.discovered.write().await = Some(discovered.clone());
        Ok(discovered)
    }
}

/// A fresh 256-bit random token, URL-safe.
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a cookie value: its SHA-256, so a database dump yields no usable session.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(name: &str, value: &str, max_age: Option<i64>, same_site: &str) -> HeaderValue {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}{age}"
    ))
    .expect("cookie header")
}

/// Only same-site paths are accepted as a place to return to after login.
pub fn safe_return_to(s: Option<&str>) -> String {
    match s {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 512
                && !p.chars().any(|c| c.is_control())
                && !p.starts_with("/auth/") =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Query of `/auth/login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    /// `1` asks for a fresh login at identity level 2 (step-up).
    step_up: Option<String>,
}

/// `GET /auth/login`: starts a login at the provider.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Query(q): Query<LoginQuery>,
) -> Response {
    use crate::server::rate_limit;
    let per_ip = rate_limit::LOGIN_PER_IP.scaled(state.config.address_limit_scale.max(1));
    match rate_limit::check(&state, per_ip, &peer.ip().to_string()).await {
        Ok(()) => {}
        Err(AppError::RateLimited { retry_after }) => return too_many_logins(retry_after),
        Err(e) => {
            tracing::error!(error = %e, "login: the rate limit could not be checked");
            return redirect_with_error("internal");
        }
    }
    let client = match state.oidc.client(&state.config).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "login: the identity provider is not reachable");
            return redirect_with_error("provider_unavailable");
        }
    };
    let step_up = q.step_up.as_deref() == Some("1");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .add_auth_context_value(AuthenticationContextClass::new(if step_up {
            state.config.oidc_acr_level2.clone()
        } else {
            state.config.oidc_acr_level1.clone()
        }));
    for s in state.config.oidc_scopes.split_whitespace() {
        request = request.add_scope(Scope::new(s.to_string()));
    }
    if step_up {
        request = request.add_prompt(CoreAuthPrompt::Login);
    }
    let (url, csrf, nonce) = request.url();
    let browser = random_token();
    let attempt = LoginAttempt {
        browser_hash: token_hash(&browser),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to: safe_return_to(q.return_to.as_deref()),
        step_up,
        created_at: Utc::now(),
    };
    if let Err(e) = state.db.create_login_attempt(csrf.secret(), &attempt).await {
        tracing::error!(error = %e, "could not store login attempt");
        return redirect_with_error("internal");
    }
    let mut resp = Redirect::to(url.as_str()).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_COOKIE,
            &browser,
            Some(LOGIN_WINDOW.num_seconds()),
            "Lax",
        ),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Query of `/auth/callback`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn too_many_logins(retry_after: u32) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Quá nhiều lần đăng nhập</title></head>\
         <body><main><h1>Quá nhiều lần đăng nhập</h1><p>Vui lòng thử lại sau {retry_after} giây.</p>\
         <p lang=\"en\">Too many sign-in attempts. Please try again in {retry_after} seconds.</p>\
         <p><a href=\"/\">Trang chủ</a></p></main></body></html>"
    );
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn redirect_with_error(code: &str) -> Response {
    let mut resp = Redirect::to(&format!("/dang-nhap/loi?ma={code}")).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Why a callback was refused (logged and audited as a reason code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackError {
    /// The provider answered with an error (user cancelled, …).
    ProviderError,
    /// No `state`, unknown `state`, already used, or not this browser's.
    BadState,
    /// The pending login is older than the login window.
    Expired,
    /// No code.
    MissingCode,
    /// The token endpoint refused the code (replayed, wrong verifier …) or was unreachable.
    Exchange,
    /// The ID token failed a check (signature, iss, aud, exp, nonce, algorithm).
    IdToken,
    /// Step-up asked for level 2 and got less, or an old authentication.
    Insufficient,
    /// Account disabled.
    Disabled,
    /// Database failure.
    Internal,
}

impl CallbackError {
    /// A failure of ours during the login (the database), logged with its cause.
    fn internal(e: impl std::fmt::Display) -> CallbackError {
        tracing::error!(error = %e, "login failed");
        CallbackError::Internal
    }

    /// The provider could not be reached or refused the code, logged with its cause.
    fn exchange(e: impl std::fmt::Display) -> CallbackError {
        tracing::warn!(error = %e, "login: the code exchange failed");
        CallbackError::Exchange
    }
}

impl CallbackError {
    /// Reason code (audit log, error page).
    pub fn code(self) -> &'static str {
        match self {
            CallbackError::ProviderError => "provider_error",
            CallbackError::BadState => "bad_state",
            CallbackError::Expired => "expired",
            CallbackError::MissingCode => "missing_code",
            CallbackError::Exchange => "exchange_failed",
            CallbackError::IdToken => "bad_id_token",
            CallbackError::Insufficient => "insufficient_level",
            CallbackError::Disabled => "account_disabled",
            CallbackError::Internal => "internal",
        }
    }
}

/// Custom claims read from the (already verified) ID token.
#[derive(Debug, Default, Deserialize)]
struct ExtraClaims {
    #[serde(default)]
    identity_level: Option<i64>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

fn extra_claims(id_token: &CoreIdToken) -> ExtraClaims {
    let jwt = id_token.to_string();
    jwt.split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Grants the roles `DVC_DEMO_STAFF` lists for this ID number (demonstrations and tests).
async fn grant_demo_roles(
    state: &AppState,
    user_id: &str,
    cccd: &str,
    now: DateTime<Utc>,
) -> Result<(), CallbackError> {
    for entry in state.config.demo_staff.split(',') {
        let mut parts = entry.trim().split(':');
        let (Some(c), Some(unit), Some(role)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if c != cccd || crate::domain::staff::Role::parse(role).is_none() {
            continue;
        }
        let event = crate::server::db::audit::AuditEvent {
            actor: None,
            actor_role: crate::domain::status::Actor::System.as_str().into(),
            actor_unit: None,
            action: "role_granted".into(),
            object: Some(user_id.into()),
            outcome: "ok",
            detail: Some(format!("{unit}:{role}:demo")),
        };
        let has = state
            .db
            .roles(user_id)
            .await
            .map_err(CallbackError::internal)?
            .iter()
            .any(|r| r.unit_code == unit && r.role == role);
        if !has {
            state
                .db
                .grant_role(user_id, unit, role, now, &event)
                .await
                .map_err(CallbackError::internal)?;
        }
    }
    Ok(())
}

struct LoggedIn {
    session_token: String,
    return_to: String,
    user_id: String,
    staff: bool,
}

async fn complete_login(
    state: &AppState,
    headers: &HeaderMap,
    q: &CallbackQuery,
) -> Result<LoggedIn, CallbackError> {
    if q.error.is_some() {
        return Err(CallbackError::ProviderError);
    }
    let state_param = q.state.as_deref().ok_or(CallbackError::BadState)?;
    // One use: the attempt is deleted as it is read, whatever happens next.
    let attempt = state
        .db
        .take_login_attempt(state_param)
        .await
        .map_err(CallbackError::internal)?
        .ok_or(CallbackError::BadState)?;
    let browser = cookie(headers, LOGIN_COOKIE).ok_or(CallbackError::BadState)?;
    if token_hash(&browser) != attempt.browser_hash {
        return Err(CallbackError::BadState);
    }
    if Utc::now() - attempt.created_at > LOGIN_WINDOW {
        return Err(CallbackError::Expired);
    }
    let code = q.code.clone().ok_or(CallbackError::MissingCode)?;
    let client = state
        .oidc
        .client(&state.config)
        .await
        .map_err(CallbackError::exchange)?;
    let http = http_client();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(CallbackError::exchange)?
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
        .request_async(&|r| send(http.clone(), r))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "code exchange failed");
            CallbackError::Exchange
        })?;
    let id_token = token.id_token().ok_or(CallbackError::IdToken)?;
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &Nonce::new(attempt.nonce.clone()))
        .map_err(|e| {
            tracing::warn!(error = %e, "ID token rejected");
            CallbackError::IdToken
        })?;

    let acr = claims.auth_context_ref().map(|a| a.as_str().to_string());
    let extra = extra_claims(id_token);
    let level = if acr.as_deref() == Some(state.config.oidc_acr_level2.as_str()) {
        2
    } else if acr.as_deref() == Some(state.config.oidc_acr_level1.as_str()) {
        1
    } else {
        extra.identity_level.unwrap_or(1).clamp(1, 2)
    };
    let auth_time = claims.auth_time().unwrap_or_else(Utc::now);
    if attempt.step_up && (level < 2 || Utc::now() - auth_time > RECENT_LOGIN) {
        return Err(CallbackError::Insufficient);
    }
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| crate::domain::text::nfc(n.as_str()))
        .unwrap_or_default();
    let cccd = extra
        .rest
        .get(&state.config.oidc_cccd_claim)
        .and_then(|v| v.as_str())
        .and_then(|s| crate::domain::cccd::Cccd::parse(s).ok())
        .map(|c| c.as_str().to_string());
    let birthdate = claims
        .birthdate()
        .and_then(|b| chrono::NaiveDate::parse_from_str(b.as_str(), "%Y-%m-%d").ok());
    let address = claims
        .address()
        .and_then(|a| a.formatted.as_ref())
        .map(|f| crate::domain::text::nfc(f.as_str()));
    // People this person represents: only entries with a valid ID number are kept.
    let dependents = extra
        .rest
        .get("dependents")
        .and_then(|v| serde_json::from_value::<Vec<Dependent>>(v.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| {
            let cccd = crate::domain::cccd::Cccd::parse(&d.cccd).ok()?;
            let name = crate::domain::text::clean_line(&d.name, 200)
                .ok()
                .filter(|n| !n.is_empty())?;
            Some(Dependent {
                cccd: cccd.as_str().to_string(),
                name,
                ..d
            })
        })
        .collect();
    let identity = ProviderIdentity {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        name,
        cccd,
        birthdate,
        address,
        identity_level: level,
        dependents,
    };
    let now = Utc::now();
    let user = state
        .db
        .upsert_user(&identity, now)
        .await
        .map_err(CallbackError::internal)?;
    if user.disabled {
        return Err(CallbackError::Disabled);
    }
    let bootstrap_admin = state.config.bootstrap_admin_cccd.is_some()
        && state.config.bootstrap_admin_cccd == user.cccd;
    if bootstrap_admin && !user.is_admin {
        state
            .db
            .set_admin(&user.id, true)
            .await
            .map_err(CallbackError::internal)?;
    }
    let email = claims
        .email()
        .map(|e| e.as_str().trim().to_string())
        .filter(|e| e.len() <= 254 && e.contains('@') && !e.contains(['\r', '\n']));
    let phone = claims
        .phone_number()
        .and_then(|p| crate::domain::form::normalize_phone(p.as_str()));
    state
        .db
        .set_user_contact(&user.id, email.as_deref(), phone.as_deref())
        .await
        .map_err(CallbackError::internal)?;
    if let Some(cccd) = &user.cccd {
        // Dossiers filed for this person at a counter before they had an account.
        state
            .db
            .claim_counter_dossiers(&user.id, cccd)
            .await
            .map_err(CallbackError::internal)?;
        grant_demo_roles(state, &user.id, cccd, now).await?;
    }
    let roles = state
        .db
        .roles(&user.id)
        .await
        .map_err(CallbackError::internal)?;
    let staff = user.is_admin || bootstrap_admin || !roles.is_empty();
    // A new session id at every login (no fixation).
    let session_token = random_token();
    state
        .db
        .create_session(
            &token_hash(&session_token),
            &user.id,
            staff,
            level,
            auth_time,
            &id_token.to_string(),
            now,
        )
        .await
        .map_err(CallbackError::internal)?;
    // The provider's session: its back-channel logout names it.
    if let Some(sid) = extra.rest.get("sid").and_then(|v| v.as_str())
        && sid.len() <= 256
    {
        state
            .db
            .set_session_provider_sid(&token_hash(&session_token), sid)
            .await
            .map_err(CallbackError::internal)?;
    }
    Ok(LoggedIn {
        session_token,
        return_to: attempt.return_to,
        user_id: user.id,
        staff,
    })
}

/// `GET /auth/callback`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let clear_login = set_cookie(LOGIN_COOKIE, "", Some(0), "Lax");
    match complete_login(&state, &headers, &q).await {
        Ok(done) => {
            audit(&state, Some(&done.user_id), "login", "ok", None).await;
            let mut resp = Redirect::to(&done.return_to).into_response();
            let h = resp.headers_mut();
            h.append(header::SET_COOKIE, clear_login);
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &done.session_token,
                    None,
                    if done.staff { "Strict" } else { "Lax" },
                ),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            tracing::warn!(reason = e.code(), "login refused");
            audit(&state, None, "login", "failed", Some(e.code())).await;
            let mut resp = redirect_with_error(e.code());
            resp.headers_mut().append(header::SET_COOKIE, clear_login);
            resp
        }
    }
}

/// `POST /auth/logout`: ends the session here (or, with the form field `everywhere=true`, all
/// of the person's sessions, on every device) and at the provider.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !crate::server::http::same_origin(&headers, &state.config.public_origin) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let everywhere = form_urlencoded::parse(&body).any(|(k, v)| k == "everywhere" && v == "true");
    let token = cookie(&headers, SESSION_COOKIE);
    let mut id_token = None;
    if let Some(t) = &token {
        let hash = token_hash(t);
        let user = state
            .db
            .session(&hash)
            .await
            .ok()
            .flatten()
            .map(|s| s.user_id);
        id_token = state.db.delete_session(&hash).await.ok().flatten();
        if let Some(user) = user {
            if everywhere {
                let others = state.db.delete_user_sessions(&user).await.unwrap_or(0);
                let detail = format!("other_sessions={others}");
                audit(
                    &state,
                    Some(&user),
                    "logout_everywhere",
                    "ok",
                    Some(&detail),
                )
                .await;
            } else {
                audit(&state, Some(&user), "logout", "ok", None).await;
            }
        }
    }
    let end_session = match &id_token {
        Some(_) => state
            .oidc
            .discover(&state.config)
            .await
            .ok()
            .and_then(|d| d.end_session),
        None => None,
    };
    let target = id_token
        .zip(end_session)
        .and_then(|(id_token, endpoint)| end_session_url(&state.config, &endpoint, &id_token))
        .unwrap_or_else(|| "/".to_string());
    let mut resp = Redirect::to(&target).into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), "Lax"),
    );
    h.insert(
        "clear-site-data",
        HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The event a back-channel logout token carries (OpenID Connect Back-Channel Logout 1.0).
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a valid logout token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutClaims {
    /// Token id (each is used once).
    pub jti: String,
    /// The person at the provider.
    pub sub: Option<String>,
    /// The provider's session.
    pub sid: Option<String>,
}

/// Checks a logout token as the specification says (§2.6): signed with one of the provider's
/// keys (never `none`), from our issuer, for us, issued within the last few minutes, with the
/// back-channel logout event, a `jti`, a `sub` or `sid`, and no `nonce`.
pub fn verify_logout_token(
    token: &str,
    jwks: &openidconnect::core::CoreJsonWebKeySet,
    issuer: &str,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<LogoutClaims, &'static str> {
    use base64::Engine;
    use openidconnect::JsonWebKey;
    use openidconnect::core::CoreJwsSigningAlgorithm;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed");
    };
    let header: serde_json::Value = b64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("malformed")?;
    let alg = match header["alg"].as_str() {
        Some("RS256") => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some("PS256") => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        Some("ES256") => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        _ => return Err("alg"),
    };
    let kid = header["kid"].as_str();
    let key = jwks
        .keys()
        .iter()
        .find(|k| kid.is_none() || k.key_id().map(|id| id.as_str()) == kid)
        .ok_or("unknown_key")?;
    let signature = b64.decode(sig).map_err(|_| "malformed")?;
    key.verify_signature(&alg, format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| "signature")?;
    let claims: serde_json::Value = b64
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("malformed")?;
    if claims["iss"].as_str().map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/'))
    {
        return Err("iss");
    }
    let for_us = match &claims["aud"] {
        serde_json::Value::String(a) => a == client_id,
        serde_json::Value::Array(a) => a.iter().any(|x| x.as_str() == Some(client_id)),
        _ => false,
    };
    if !for_us {
        return Err("aud");
    }
    let iat = claims["iat"].as_i64().ok_or("iat")?;
    let age = now.timestamp() - iat;
    if !(-120..=600).contains(&age) {
        return Err("iat");
    }
    if !claims["events"][BACKCHANNEL_EVENT].is_object() {
        return Err("events");
    }
    if claims.get("nonce").is_some() {
        return Err("nonce");
    }
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or("jti")?;
    let text = |k: &str| {
        claims[k]
            .as_str()
            .filter(|v| !v.is_empty() && v.len() <= 256)
            .map(str::to_owned)
    };
    let (sub, sid) = (text("sub"), text("sid"));
    if sub.is_none() && sid.is_none() {
        return Err("sub_or_sid");
    }
    Ok(LogoutClaims {
        jti: jti.to_string(),
        sub,
        sid,
    })
}

/// `POST /auth/backchannel-logout` with `logout_token`: the provider says a person signed out
/// there; their sessions here end too. No browser is involved, so no session or origin checks:
/// the token's signature decides.
pub async fn backchannel_logout(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Response {
    let refuse = |reason: &'static str| {
        tracing::warn!(reason, "back-channel logout refused");
        let mut r = (
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "error": "invalid_request" }).to_string(),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    };
    let Some(token) = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
    else {
        return refuse("no_token");
    };
    let token = token.as_str();
    let config = &state.config;
    let now = state.clock.now();
    let mut checked = Err("unavailable");
    // A key the provider has rotated in: look at its keys once more.
    for attempt in 0..2 {
        let Ok(d) = state.oidc.discover(config).await else {
            break;
        };
        checked = verify_logout_token(
            token,
            &d.jwks,
            &config.oidc_issuer,
            &config.oidc_client_id,
            now,
        );
        if checked != Err("unknown_key") || attempt == 1 {
            break;
        }
        state.oidc.forget().await;
    }
    let claims = match checked {
        Ok(c) => c,
        Err("unavailable") => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(reason) => return refuse(reason),
    };
    match state
        .db
        .first_use_of_logout_token(&claims.jti, &config.oidc_issuer, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => return refuse("replayed"),
        Err(e) => {
            tracing::error!(error = %e, "logout token store failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let ended = match state
        .db
        .end_provider_sessions(
            &config.oidc_issuer,
            claims.sub.as_deref(),
            claims.sid.as_deref(),
        )
        .await
    {
        Ok(users) => users,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut users = ended.clone();
    users.dedup();
    for user in &users {
        let detail = format!("sessions={}", ended.iter().filter(|u| *u == user).count());
        audit(
            &state,
            Some(user),
            "logout_backchannel",
            "ok",
            Some(&detail),
        )
        .await;
    }
    let mut r = StatusCode::OK.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The provider's RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0).
fn end_session_url(config: &Config, endpoint: &str, id_token: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(endpoint).ok()?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("client_id", &config.oidc_client_id)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{}/", config.public_origin.trim_end_matches('/')),
        );
    Some(url.to_string())
}

async fn audit(
    state: &AppState,
    actor: Option<&str>,
    action: &str,
    outcome: &'static str,
    detail: Option<&str>,
) {
    let event = AuditEvent {
        actor: actor.map(str::to_owned),
        actor_role: if actor.is_some() { "user" } else { "anonymous" }.into(),
        actor_unit: None,
        action: action.into(),
        object: None,
        outcome,
        detail: detail.map(str::to_owned),
    };
    if let Err(e) = state.db.audit(&event).await {
        tracing::error!(error = %e, "audit write failed");
    }
}

/// Whether a stored session is still valid at `now`.
pub fn session_alive(s: &SessionRow, now: DateTime<Utc>) -> bool {
    let idle = if s.staff { STAFF_IDLE } else { RESIDENT_IDLE };
    !s.disabled && now - s.last_seen_at <= idle && now - s.created_at <= ABSOLUTE
}

/// The answer while the database cannot say who is calling: `unavailable` (503), to be tried
/// again shortly, in the same JSON as every server function's error.
fn busy() -> Response {
    let mut resp = crate::server::http::json_error(&AppError::Unavailable);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Middleware: turns the session cookie into a [`Principal`] in the request extensions.
/// Expired sessions are deleted and the request continues as anonymous; when the database
/// cannot be asked, the request is answered 503 rather than as signed out.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut principal = Principal::Anonymous;
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        let hash = token_hash(&token);
        match state.db.session(&hash).await {
            Ok(Some(s)) if session_alive(&s, Utc::now()) => {
                let now = Utc::now();
                // Write at most every 30 s per session: idle time is counted in minutes.
                if now - s.last_seen_at > Duration::seconds(30)
                    && let Err(e) = state.db.touch_session(&hash, now).await
                {
                    tracing::warn!(error = %e, "session activity not recorded");
                }
                let roles = match state.db.roles(&s.user_id).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(error = %e, "session roles not read");
                        return busy();
                    }
                };
                principal = Principal::User(Box::new(SessionUser {
                    user_id: s.user_id.clone(),
                    name: s.name.clone(),
                    staff: s.staff,
                    is_admin: s.is_admin,
                    identity_level: s.identity_level,
                    auth_time: s.auth_time,
                    created_at: s.created_at,
                    last_seen_at: now,
                    session: hash.clone(),
                    health_opened_at: s.health_opened_at,
                    health_seen_at: s.health_seen_at,
                    roles: roles
                        .into_iter()
                        .filter_map(|r| {
                            Some(StaffRole {
                                role: crate::domain::staff::Role::parse(&r.role)?,
                                unit_code: r.unit_code,
                            })
                        })
                        .collect(),
                }));
            }
            Ok(Some(_)) => {
                if let Err(e) = state.db.delete_session(&hash).await {
                    tracing::warn!(error = %e, "an expired session could not be deleted");
                }
            }
            Ok(None) => {}
            // Not knowing who calls is not the same as an anonymous caller: the request
            // waits for the database rather than being answered as signed out.
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return busy();
            }
        }
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// Deletes expired sessions and abandoned logins every five minutes.
pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            let now = Utc::now();
            if let Err(e) = state
                .db
                .sweep_sessions(now - RESIDENT_IDLE, now - ABSOLUTE)
                .await
            {
                tracing::warn!(error = %e, "session sweep failed");
            }
            if let Err(e) = state
                .db
                .sweep_logout_tokens(now - chrono::Duration::days(1))
                .await
            {
                tracing::warn!(error = %e, "logout token sweep failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_this_site() {
        let cases = [
            (Some("/thu-tuc?q=a"), "/thu-tuc?q=a"),
            (Some("//evil.example/x"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("/\\evil"), "/"),
            (Some("/auth/logout"), "/"),
            (Some("/a\nb"), "/"),
            (None, "/"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_return_to(input), want, "{input:?}");
        }
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-dvc_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "__Host-dvc"), None);
        let c = set_cookie(SESSION_COOKIE, "x", None, "Strict");
        let c = c.to_str().unwrap();
        assert!(
            c.contains("Secure")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Strict")
                && c.contains("Path=/")
        );
    }

    #[test]
    fn tokens_are_long_and_random() {
        let a = random_token();
        assert_eq!(a.len(), 43); // 256 bits
        assert_ne!(a, random_token());
        assert_eq!(token_hash("x").len(), 64);
    }
}
