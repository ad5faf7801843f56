//! A signed-in resident for the benchmarks: the user and a level-2 session with a fresh login,
//! written straight into the server's database (the login flow has its own tests).

use dichvucong::server::db::Db;
use dichvucong::server::db::identity::ProviderIdentity;

/// The session token of a level-2 resident `subject` named `name` with ID number `cccd`.
pub async fn level2_session(db: &Db, subject: &str, name: &str, cccd: &str) -> String {
    let now = chrono::Utc::now();
    let user = db
        .upsert_user(
            &ProviderIdentity {
                issuer: "https://bench.invalid".into(),
                subject: subject.into(),
                name: name.into(),
                cccd: Some(cccd.into()),
                birthdate: None,
                address: None,
                identity_level: 2,
                dependents: Vec::new(),
            },
            now,
        )
        .await
        .unwrap();
    let token = format!("{subject}-{}", uuid::Uuid::new_v4());
    db.create_session(
        &dichvucong::server::auth::token_hash(&token),
        &user.id,
        false,
        2,
        now,
        "bench",
        now,
    )
    .await
    .unwrap();
    token
}
