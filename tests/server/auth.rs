//! Login: the callback refuses every forged or replayed answer, and sessions end when they
//! should. The provider here is a deliberately misbehaving one we control, so that each
//! check of the ID token can be exercised; the real sandbox provider (npm oidc-provider) is
//! driven end to end in `end2end/tests/login.spec.ts`.

use crate::both_engines;
use crate::support::{Engine, TestApp};
use axum::extract::{Form, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use dichvucong::server::auth::{LOGIN_COOKIE, SESSION_COOKIE};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// What the provider puts in the ID token it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Good,
    WrongNonce,
    WrongIssuer,
    WrongAudience,
    Expired,
    AlgNone,
    UnknownKey,
}

struct ProviderState {
    issuer: String,
    scenario: Scenario,
    nonce: String,
    used_codes: HashSet<String>,
}

fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        (
            RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            RsaPrivateKey::new(&mut rng, 2048).unwrap(),
        )
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt(header: &Value, claims: &Value, key: Option<&RsaPrivateKey>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    match key {
        Some(k) => {
            let sig = SigningKey::<Sha256>::new(k.clone()).sign(signing_input.as_bytes());
            format!("{signing_input}.{}", b64(&sig.to_bytes()))
        }
        None => format!("{signing_input}."),
    }
}

type Shared = Arc<Mutex<ProviderState>>;

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let iss = s.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks() -> Json<Value> {
    let public = keys().0.to_public_key();
    Json(json!({ "keys": [{
        "kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
        "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()),
    }]}))
}

async fn token(
    State(s): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut st = s.lock().unwrap();
    let code = form.get("code").cloned().unwrap_or_default();
    if form.get("code_verifier").is_none_or(|v| v.len() < 43) || !st.used_codes.insert(code.clone())
    {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant" })),
        )
            .into_response();
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": st.issuer, "sub": "attacker-test-subject", "aud": "dichvucong",
        "iat": now, "exp": now + 600, "auth_time": now, "nonce": st.nonce,
        "acr": "urn:vn:vneid:loa:2", "name": "Nguyễn Văn An", "cccd": "001089012345",
        "birthdate": "1989-03-14",
        "address": { "formatted": "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội" },
        "phone_number": "+84 912 345 678", "email": "an.nguyen@example.vn",
        // One provider session per code, as if each login came from another device.
        "sid": format!("op-session-{code}"),
        "dependents": [
            { "cccd": "001315000777", "name": "Nguyễn Gia Hân", "birthdate": "2015-06-01", "relationship": "con" },
            { "cccd": "not-an-id", "name": "Dropped" },
        ],
    });
    let header = json!({ "alg": "RS256", "kid": "k1", "typ": "JWT" });
    let (good, other) = keys();
    let id_token = match st.scenario {
        Scenario::Good => jwt(&header, &claims, Some(good)),
        Scenario::WrongNonce => {
            claims["nonce"] = json!("not-the-nonce");
            jwt(&header, &claims, Some(good))
        }
        Scenario::WrongIssuer => {
            claims["iss"] = json!("https://evil.example");
            jwt(&header, &claims, Some(good))
        }
        Scenario::WrongAudience => {
            claims["aud"] = json!("another-client");
            jwt(&header, &claims, Some(good))
        }
        Scenario::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
            jwt(&header, &claims, Some(good))
        }
        Scenario::AlgNone => jwt(&json!({ "alg": "none", "typ": "JWT" }), &claims, None),
        Scenario::UnknownKey => jwt(&header, &claims, Some(other)),
    };
    st.scenario = Scenario::Good;
    Json(json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 600, "id_token": id_token })).into_response()
}

async fn start_provider() -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(ProviderState {
        issuer,
        scenario: Scenario::Good,
        nonce: String::new(),
        used_codes: HashSet::new(),
    }));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    shared
}

/// The whole `Set-Cookie` header (value and attributes) that sets cookie `name`.
fn set_cookie_header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Just the value that `Set-Cookie` gives cookie `name`.
fn set_cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie_header(resp, name).map(|v| {
        v[name.len() + 1..]
            .split(';')
            .next()
            .unwrap_or("")
            .to_string()
    })
}

struct Pending {
    state: String,
    login_cookie: String,
}

/// `/auth/login` as a browser would call it; records the nonce at the provider.
async fn begin(app: &TestApp, provider: &Shared) -> Pending {
    let resp = app
        .client
        .get(app.url("/auth/login?return_to=/thu-tuc"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = reqwest::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["response_type"], "code");
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    provider.lock().unwrap().nonce = q["nonce"].clone();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        cookie
            .iter()
            .any(|c| c.starts_with(LOGIN_COOKIE) && c.contains("HttpOnly") && c.contains("Secure"))
    );
    Pending {
        state: q["state"].clone(),
        login_cookie: set_cookie_value(&resp, LOGIN_COOKIE).unwrap(),
    }
}

async fn callback(app: &TestApp, query: &str, login_cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(&format!("/auth/callback?{query}")));
    if let Some(c) = login_cookie {
        req = req.header("cookie", format!("{LOGIN_COOKIE}={c}"));
    }
    req.send().await.unwrap()
}

fn refused(resp: &reqwest::Response, reason: &str) {
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().unwrap();
    assert_eq!(loc, format!("/dang-nhap/loi?ma={reason}"));
    assert!(
        set_cookie_value(resp, SESSION_COOKIE).is_none(),
        "no session cookie on a refused login"
    );
}

async fn spawn(engine: Engine) -> (TestApp, Shared) {
    let provider = start_provider().await;
    let issuer = provider.lock().unwrap().issuer.clone();
    let app = TestApp::spawn_with(engine, move |c| {
        c.oidc_issuer = issuer;
        c.oidc_client_id = "dichvucong".into();
    })
    .await;
    (app, provider)
}

both_engines!(
    a_good_login_creates_one_session_and_returns_where_it_started,
    |engine| {
        let (app, provider) = spawn(engine).await;
        let p = begin(&app, &provider).await;
        let resp = callback(
            &app,
            &format!("code=c1&state={}", p.state),
            Some(&p.login_cookie),
        )
        .await;
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/thu-tuc");
        let cookie = set_cookie_header(&resp, SESSION_COOKIE).unwrap();
        assert!(
            cookie.contains("Secure")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/")
        );
        let token = set_cookie_value(&resp, SESSION_COOKIE).unwrap();
        assert!(token.len() >= 43, "at least 256 bits");
        assert_eq!(app.state.db.session_count().await.unwrap(), 1);

        // The session knows the person, with the ID number masked.
        let me: Option<dichvucong::api::session::SessionInfo> = app
            .call_as(Some(&token), "/api/session/me", json!({}))
            .await
            .json()
            .await
            .unwrap();
        let me = me.unwrap();
        assert_eq!(me.name, "Nguyễn Văn An");
        assert_eq!(me.cccd_masked.as_deref(), Some("001*******45"));
        assert_eq!(me.identity_level, 2);
        // The child linked by the provider; an entry without a valid ID number is dropped.
        assert_eq!(me.dependents.len(), 1);
        assert_eq!(me.dependents[0].name, "Nguyễn Gia Hân");
        assert_eq!(me.dependents[0].cccd_masked, "001*******77");
        assert_eq!(me.dependents[0].birthdate.as_deref(), Some("01/06/2015"));

        // The same callback again (a replayed code and state) is refused.
        let again = callback(
            &app,
            &format!("code=c1&state={}", p.state),
            Some(&p.login_cookie),
        )
        .await;
        refused(&again, "bad_state");

        // Logout ends it server side and at the provider; the old cookie is worthless after.
        let resp = app
            .client
            .post(app.url("/auth/logout"))
            .header("cookie", format!("{SESSION_COOKIE}={token}"))
            .header("sec-fetch-site", "same-origin")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303);
        let loc = resp.headers()["location"].to_str().unwrap();
        assert!(
            loc.contains("/logout?") && loc.contains("id_token_hint="),
            "{loc}"
        );
        assert!(
            resp.headers()["clear-site-data"]
                .to_str()
                .unwrap()
                .contains("cookies")
        );
        assert_eq!(app.state.db.session_count().await.unwrap(), 0);
        let resp = app
            .call_as(Some(&token), "/api/admin/staff", json!({}))
            .await;
        assert_eq!(resp.status(), 401);
        let me: Option<dichvucong::api::session::SessionInfo> = app
            .call_as(Some(&token), "/api/session/me", json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert!(me.is_none());
        // Audit: the login and the logout, chained.
        let rows = app.state.db.audit_rows().await.unwrap();
        assert!(
            rows.iter()
                .any(|r| r.action == "login" && r.outcome == "ok")
        );
        assert!(rows.iter().any(|r| r.action == "logout"));
        assert!(app.state.db.verify_audit_chain().await.unwrap().is_ok());
        app.cleanup().await;
    }
);

both_engines!(
    forged_and_replayed_callbacks_are_refused_without_a_session,
    |engine| {
        let (app, provider) = spawn(engine).await;

        // Missing state, unknown state.
        refused(&callback(&app, "code=x", None).await, "bad_state");
        let p = begin(&app, &provider).await;
        refused(
            &callback(&app, "code=x&state=not-the-state", Some(&p.login_cookie)).await,
            "bad_state",
        );
        // The right state from another browser (no binding cookie, or someone else's).
        let p = begin(&app, &provider).await;
        refused(
            &callback(&app, &format!("code=x&state={}", p.state), None).await,
            "bad_state",
        );
        let p = begin(&app, &provider).await;
        refused(
            &callback(
                &app,
                &format!("code=x&state={}", p.state),
                Some("someone-elses-cookie"),
            )
            .await,
            "bad_state",
        );
        // An error from the provider.
        let p = begin(&app, &provider).await;
        refused(
            &callback(
                &app,
                &format!("error=access_denied&state={}", p.state),
                Some(&p.login_cookie),
            )
            .await,
            "provider_error",
        );

        // A code the provider has already redeemed.
        provider.lock().unwrap().used_codes.insert("spent".into());
        let p = begin(&app, &provider).await;
        refused(
            &callback(
                &app,
                &format!("code=spent&state={}", p.state),
                Some(&p.login_cookie),
            )
            .await,
            "exchange_failed",
        );

        // Every ID-token check.
        for (i, scenario) in [
            Scenario::WrongNonce,
            Scenario::WrongIssuer,
            Scenario::WrongAudience,
            Scenario::Expired,
            Scenario::AlgNone,
            Scenario::UnknownKey,
        ]
        .into_iter()
        .enumerate()
        {
            let p = begin(&app, &provider).await;
            provider.lock().unwrap().scenario = scenario;
            let resp = callback(
                &app,
                &format!("code=bad{i}&state={}", p.state),
                Some(&p.login_cookie),
            )
            .await;
            assert_eq!(
                resp.headers()["location"],
                "/dang-nhap/loi?ma=bad_id_token",
                "{scenario:?}"
            );
            refused(&resp, "bad_id_token");
        }
        assert_eq!(
            app.state.db.session_count().await.unwrap(),
            0,
            "no attack left a session"
        );
        let failures = app
            .state
            .db
            .audit_rows()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "login" && r.outcome == "failed")
            .count();
        assert_eq!(failures, 12, "every refusal is audited");
        app.cleanup().await;
    }
);

both_engines!(sessions_expire_when_idle_and_after_twelve_hours, |engine| {
    let app = TestApp::spawn(engine).await;
    let set = |sql: &'static str, at: chrono::DateTime<chrono::Utc>| {
        let db = app.state.db.clone();
        async move {
            dichvucong::with_db!(&db, p => {
                sqlx::query(sql).bind(at).execute(p).await.unwrap();
            })
        }
    };
    let me = |token: String| {
        let app = &app;
        async move {
            let v: Option<dichvucong::api::session::SessionInfo> = app
                .call_as(Some(&token), "/api/session/me", json!({}))
                .await
                .json()
                .await
                .unwrap();
            v
        }
    };
    // Resident: 30 minutes idle.
    let t = app.session_for(&crate::support::RESIDENT_A).await;
    assert_eq!(me(t.clone()).await.unwrap().idle_timeout_secs, 1800);
    set(
        "UPDATE sessions SET last_seen_at = $1",
        chrono::Utc::now() - chrono::Duration::minutes(29),
    )
    .await;
    assert!(me(t.clone()).await.is_some(), "29 minutes idle is fine");
    set(
        "UPDATE sessions SET last_seen_at = $1",
        chrono::Utc::now() - chrono::Duration::minutes(31),
    )
    .await;
    assert!(me(t.clone()).await.is_none(), "31 minutes idle ends it");
    assert_eq!(
        app.state.db.session_count().await.unwrap(),
        0,
        "and it is deleted"
    );

    // Staff: 15 minutes idle.
    let t = app.session_for(&crate::support::OFFICER_HOAN_KIEM).await;
    assert_eq!(me(t.clone()).await.unwrap().idle_timeout_secs, 900);
    set(
        "UPDATE sessions SET last_seen_at = $1",
        chrono::Utc::now() - chrono::Duration::minutes(16),
    )
    .await;
    assert!(me(t).await.is_none());

    // Absolute: 12 hours, however active.
    let t = app.session_for(&crate::support::RESIDENT_B).await;
    set(
        "UPDATE sessions SET created_at = $1",
        chrono::Utc::now() - chrono::Duration::hours(12) - chrono::Duration::minutes(1),
    )
    .await;
    assert!(me(t).await.is_none());
    app.cleanup().await;
});

both_engines!(disabling_an_account_ends_its_sessions, |engine| {
    let app = TestApp::spawn(engine).await;
    let admin = app.session_for(&crate::support::ADMIN).await;
    let officer = app.session_for(&crate::support::OFFICER_HOAN_KIEM).await;
    let staff: Vec<dichvucong::api::admin::StaffMember> = app
        .call_as(Some(&admin), "/api/admin/staff", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let ha = staff.iter().find(|s| s.name == "Phạm Thu Hà").unwrap();
    assert_eq!(ha.roles[0].unit_name, "Phường Hoàn Kiếm");
    let resp = app
        .call_as(
            Some(&admin),
            "/api/admin/users/disable",
            json!({ "user_id": ha.user_id, "disabled": true }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let me: Option<dichvucong::api::session::SessionInfo> = app
        .call_as(Some(&officer), "/api/session/me", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(me.is_none(), "the disabled officer is signed out at once");
    assert!(
        app.state
            .db
            .audit_rows()
            .await
            .unwrap()
            .iter()
            .any(|r| r.action == "account_disabled")
    );
    app.cleanup().await;
});

both_engines!(logout_from_another_site_is_refused, |engine| {
    let app = TestApp::spawn(engine).await;
    let t = app.session_for(&crate::support::RESIDENT_A).await;
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let resp = app
            .client
            .post(app.url("/auth/logout"))
            .header("cookie", format!("{SESSION_COOKIE}={t}"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
    }
    assert_eq!(app.state.db.session_count().await.unwrap(), 1);
    app.cleanup().await;
});

both_engines!(an_unreachable_provider_says_try_later, |engine| {
    let app = TestApp::spawn(engine).await;
    let resp = app.client.get(app.url("/auth/login")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/dang-nhap/loi?ma=provider_unavailable"
    );
    // The rest of the portal is unaffected.
    assert_eq!(
        app.call("/api/catalog/sectors", json!({})).await.status(),
        200
    );
    app.cleanup().await;
});

both_engines!(staff_sessions_use_strict_cookies, |engine| {
    let provider = start_provider().await;
    let issuer = provider.lock().unwrap().issuer.clone();
    // The provider's person is made administrator by configuration: a staff session.
    let app = TestApp::spawn_with(engine, move |c| {
        c.oidc_issuer = issuer;
        c.bootstrap_admin_cccd = Some("001089012345".into());
    })
    .await;
    let p = begin(&app, &provider).await;
    let resp = callback(
        &app,
        &format!("code=s1&state={}", p.state),
        Some(&p.login_cookie),
    )
    .await;
    let cookie = set_cookie_header(&resp, SESSION_COOKIE).unwrap();
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let token = set_cookie_value(&resp, SESSION_COOKIE).unwrap();
    let me: Option<dichvucong::api::session::SessionInfo> = app
        .call_as(Some(&token), "/api/session/me", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let me = me.unwrap();
    assert!(me.is_admin && me.staff);
    assert_eq!(me.idle_timeout_secs, 900);
    app.cleanup().await;
});

both_engines!(each_person_sees_only_their_own_details, |engine| {
    let app = TestApp::spawn(engine).await;
    let a = app.session_for(&crate::support::RESIDENT_A).await;
    let b = app.session_for(&crate::support::RESIDENT_B).await;
    for (token, name, id) in [
        (&a, "Nguyễn Văn An", "001089012345"),
        (&b, "Trần Thị Bình", "001189012389"),
    ] {
        let me: Option<dichvucong::api::session::SessionInfo> = app
            .call_as(Some(token), "/api/session/me", json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me.unwrap().name, name);
        let full: String = app
            .call_as(Some(token), "/api/session/reveal-id", json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(full, id);
    }
    // Arguments cannot name someone else: the functions take none, and extra ones are refused.
    let resp = app
        .call_as(
            Some(&a),
            "/api/session/reveal-id",
            json!({ "user_id": "someone-else" }),
        )
        .await;
    let text = resp.text().await.unwrap();
    assert!(!text.contains("001189012389"), "{text}");
    app.cleanup().await;
});

both_engines!(starting_logins_is_rate_limited, |engine| {
    let (app, _provider) = spawn(engine).await;
    let limit = dichvucong::server::rate_limit::LOGIN_PER_IP;
    crate::support::at_window_start(&app, limit.window_secs);
    let max = limit.max;
    for i in 0..max {
        let resp = app.client.get(app.url("/auth/login")).send().await.unwrap();
        assert_eq!(resp.status(), 303, "login {i}");
    }
    let resp = app.client.get(app.url("/auth/login")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u32 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry));
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Quá nhiều lần đăng nhập")
    );
    app.cleanup().await;
});

crate::both_engines!(
    an_admin_change_without_its_audit_row_does_not_happen,
    |engine| {
        use dichvucong::server::db::Db;
        let app = TestApp::spawn(engine).await;
        let admin = app.session_for(&crate::support::ADMIN).await;
        app.session_for(&crate::support::RESIDENT_B).await;
        // From now on every audit write fails (a full disk, a broken replica…).
        match &app.state.db {
            Db::Sqlite(p) => {
                sqlx::query("CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'down'); END")
                .execute(p).await.unwrap();
            }
            Db::Pg(p) => {
                sqlx::query("CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
                .execute(p).await.unwrap();
            }
        }
        let grant = json!({ "change": { "cccd": "001189012389", "unit_code": "00004", "role": "officer", "grant": true } });
        let resp = app
            .call_as(Some(&admin), "/api/admin/staff/role", grant)
            .await;
        assert_eq!(resp.status(), 500);
        let text = resp.text().await.unwrap();
        assert!(
            !text.contains("down") && !text.contains("audit_log"),
            "no internals: {text}"
        );
        let staff: Vec<dichvucong::api::admin::StaffMember> = app
            .call_as(Some(&admin), "/api/admin/staff", json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            staff.iter().all(|s| s.name != "Trần Thị Bình"),
            "the role was not granted"
        );
        app.cleanup().await;
    }
);

both_engines!(
    a_form_opens_with_the_address_phone_and_email_the_provider_gave,
    |engine| {
        let (app, provider) = spawn(engine).await;
        let p = begin(&app, &provider).await;
        let resp = callback(
            &app,
            &format!("code=c9&state={}", p.state),
            Some(&p.login_cookie),
        )
        .await;
        assert_eq!(resp.status(), 303);
        let token = set_cookie_value(&resp, SESSION_COOKIE).unwrap();
        let call = |path: &'static str, body: Value| {
            let (app, token) = (&app, token.clone());
            async move {
                let r = app.call_as(Some(&token), path, body).await;
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (status, draft) = call(
            "/api/filing/start",
            json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": true } }),
        )
        .await;
        assert_eq!(status, 200, "{draft}");
        let a = &draft["answers"];
        assert_eq!(a["phone"], "0912345678", "normalised");
        assert_eq!(a["email"], "an.nguyen@example.vn");
        assert_eq!(
            a["residence"],
            json!({ "unit": "00070", "street": "Số 12 phố Hàng Bạc" })
        );
        assert_eq!(a["applicant"]["birth_date"], "1989-03-14");
        assert_eq!(
            draft["from_identity"], *a,
            "every prefilled value is marked as VNeID's"
        );
        // Reopened, the draft still says what came from the provider.
        let id = draft["id"].as_str().unwrap().to_string();
        let (_, again) = call("/api/filing/draft", json!({ "req": { "id": id } })).await;
        assert_eq!(again["from_identity"]["phone"], "0912345678");

        // The contact details and the address are the resident's to change; the applicant's
        // identity is not.
        let mut answers = crate::filing::birth_answers();
        answers["phone"] = json!("0987 654 321");
        answers["residence"] = json!({ "unit": "00004", "street": "Số 5 phố Đội Cấn" });
        answers["applicant"]["birth_date"] = json!("1989-05-01");
        let (status, _) = call(
            "/api/filing/save",
            json!({ "req": { "id": id, "answers": answers } }),
        )
        .await;
        assert_eq!(status, 200);
        let attached = crate::uploads::attach(
            &app,
            &token,
            &id,
            "giay_chung_sinh",
            "a.jpg",
            &crate::uploads::fixture("giay-chung-sinh.jpg"),
        )
        .await;
        assert!(attached.is_ok());
        let submit =
            json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } });
        let (status, v) = call("/api/filing/submit", submit.clone()).await;
        assert_eq!(status, 422, "{v}");
        let fields = v["Validation"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 1, "{v}");
        assert_eq!(fields[0]["field"], "applicant.birth_date");
        assert_eq!(fields[0]["code"], "from_identity");
        answers["applicant"]["birth_date"] = json!("1989-03-14");
        let (status, _) = call(
            "/api/filing/save",
            json!({ "req": { "id": id, "answers": answers } }),
        )
        .await;
        assert_eq!(status, 200);
        let (status, code) = call("/api/filing/submit", submit).await;
        assert_eq!(status, 200, "{code}");
        app.cleanup().await;
    }
);

/// Signs in through the provider with authorization code `code`; the session cookie value.
async fn login(app: &TestApp, provider: &Shared, code: &str) -> String {
    let p = begin(app, provider).await;
    let resp = callback(
        app,
        &format!("code={code}&state={}", p.state),
        Some(&p.login_cookie),
    )
    .await;
    assert_eq!(resp.status(), 303);
    set_cookie_value(&resp, SESSION_COOKIE).unwrap()
}

async fn signed_in(app: &TestApp, token: &str) -> bool {
    let v: Option<Value> = app
        .call_as(Some(token), "/api/session/me", json!({}))
        .await
        .json()
        .await
        .unwrap();
    v.is_some()
}

/// A back-channel logout token from the provider, `change`d before signing.
fn logout_token(
    issuer: &str,
    change: impl FnOnce(&mut Value),
    key: Option<&RsaPrivateKey>,
) -> String {
    let mut claims = json!({
        "iss": issuer, "aud": "dichvucong", "iat": chrono::Utc::now().timestamp(),
        "jti": format!("jti-{}", crate::support::unique()),
        "sub": "attacker-test-subject",
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    change(&mut claims);
    jwt(
        &json!({ "alg": "RS256", "kid": "k1", "typ": "logout+jwt" }),
        &claims,
        key,
    )
}

async fn send_logout_token(app: &TestApp, token: &str) -> u16 {
    app.client
        .post(app.url("/auth/backchannel-logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("logout_token={token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

both_engines!(the_provider_ends_sessions_over_the_back_channel, |engine| {
    let (app, provider) = spawn(engine).await;
    let issuer = provider.lock().unwrap().issuer.clone();
    let (good, other) = keys();
    let phone = login(&app, &provider, "b1").await;
    let laptop = login(&app, &provider, "b2").await;
    let someone_else = app.session_for(&crate::support::RESIDENT_B).await;
    assert!(signed_in(&app, &phone).await && signed_in(&app, &laptop).await);

    // Forged, misdirected, stale or malformed tokens end nothing.
    let sid = |s: &str| {
        let s = s.to_string();
        move |c: &mut Value| {
            c["sid"] = json!(s);
        }
    };
    let bad = [
        (
            "another key",
            logout_token(&issuer, sid("op-session-b1"), Some(other)),
        ),
        (
            "alg none",
            logout_token(&issuer, sid("op-session-b1"), None),
        ),
        (
            "another issuer",
            logout_token("https://evil.example", sid("op-session-b1"), Some(good)),
        ),
        (
            "another client",
            logout_token(&issuer, |c| c["aud"] = json!("another-client"), Some(good)),
        ),
        (
            "an hour old",
            logout_token(
                &issuer,
                |c| c["iat"] = json!(chrono::Utc::now().timestamp() - 3600),
                Some(good),
            ),
        ),
        (
            "no event",
            logout_token(
                &issuer,
                |c| {
                    c.as_object_mut().unwrap().remove("events");
                },
                Some(good),
            ),
        ),
        (
            "with a nonce",
            logout_token(&issuer, |c| c["nonce"] = json!("n"), Some(good)),
        ),
        (
            "no jti",
            logout_token(
                &issuer,
                |c| {
                    c.as_object_mut().unwrap().remove("jti");
                },
                Some(good),
            ),
        ),
        (
            "no sub or sid",
            logout_token(
                &issuer,
                |c| {
                    c.as_object_mut().unwrap().remove("sub");
                },
                Some(good),
            ),
        ),
        ("not a token", "x.y".to_string()),
    ];
    for (what, token) in bad {
        assert_eq!(send_logout_token(&app, &token).await, 400, "{what}");
    }
    let tampered = logout_token(&issuer, sid("op-session-b1"), Some(good));
    let mut parts: Vec<&str> = tampered.split('.').collect();
    let other_claims = b64(json!({ "iss": issuer, "sub": "someone", "sid": "x" })
        .to_string()
        .as_bytes());
    parts[1] = &other_claims;
    assert_eq!(
        send_logout_token(&app, &parts.join(".")).await,
        400,
        "tampered"
    );
    assert!(signed_in(&app, &phone).await && signed_in(&app, &laptop).await);

    // The provider session of the phone ends: the phone is signed out, the laptop is not.
    let token = logout_token(&issuer, sid("op-session-b1"), Some(good));
    assert_eq!(send_logout_token(&app, &token).await, 200);
    assert!(!signed_in(&app, &phone).await);
    assert!(signed_in(&app, &laptop).await);
    assert_eq!(send_logout_token(&app, &token).await, 400, "a replay");

    // A logout of the person (no session named) ends every session of theirs, only theirs.
    let token = logout_token(&issuer, |_| {}, Some(good));
    assert_eq!(send_logout_token(&app, &token).await, 200);
    assert!(!signed_in(&app, &laptop).await);
    assert!(signed_in(&app, &someone_else).await);
    let audited = app
        .state
        .db
        .audit_rows()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "logout_backchannel")
        .count();
    assert_eq!(audited, 2);
    app.cleanup().await;
});

both_engines!(signing_out_on_every_device_ends_every_session, |engine| {
    let app = TestApp::spawn(engine).await;
    let phone = app.session_for(&crate::support::RESIDENT_A).await;
    let laptop = app.session_for(&crate::support::RESIDENT_A).await;
    let someone_else = app.session_for(&crate::support::RESIDENT_B).await;
    let out = |token: &str, form: &'static str| {
        app.client
            .post(app.url("/auth/logout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("cookie", format!("{SESSION_COOKIE}={token}"))
            .body(form)
            .send()
    };
    // Plain sign-out: this device only.
    let tablet = app.session_for(&crate::support::RESIDENT_A).await;
    let r = out(&tablet, "").await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["clear-site-data"]
            .to_str()
            .unwrap()
            .contains("storage")
    );
    assert!(!signed_in(&app, &tablet).await);
    assert!(signed_in(&app, &phone).await && signed_in(&app, &laptop).await);
    // Every device.
    let r = out(&phone, "everywhere=true").await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(!signed_in(&app, &phone).await);
    assert!(!signed_in(&app, &laptop).await, "the other device too");
    assert!(signed_in(&app, &someone_else).await, "nobody else");
    let audit = app.state.db.audit_rows().await.unwrap();
    let row = audit
        .iter()
        .find(|r| r.action == "logout_everywhere")
        .unwrap();
    assert_eq!(row.detail.as_deref(), Some("other_sessions=1"));
    app.cleanup().await;
});

both_engines!(
    a_session_the_database_cannot_read_is_not_taken_for_a_signed_out_caller,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let t = app.session_for(&crate::support::RESIDENT_A).await;
        let me = app.call_as(Some(&t), "/api/session/me", json!({})).await;
        assert_eq!(me.status(), 200);
        // The database stops answering.
        app.state.db.close().await;
        let resp = app.call_as(Some(&t), "/api/session/me", json!({})).await;
        assert_eq!(resp.status(), 503, "not answered as signed out");
        assert_eq!(resp.headers()["retry-after"], "5");
        assert_eq!(
            resp.json::<serde_json::Value>().await.unwrap(),
            json!("Unavailable")
        );
        // A caller without a session is not looked up, and is answered as usual.
        assert_eq!(app.call("/api/session/me", json!({})).await.status(), 200);
        app.cleanup().await;
    }
);
