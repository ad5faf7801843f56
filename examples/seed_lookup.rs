//! Files `N` dossiers directly in a portal database (as the counter would) and prints
//! `code suffix` lines, for the public look-up benchmark (`scripts/bench-lookup`).
//!   seed_lookup <database-url> <n>

use dichvucong::domain::filing::Channel;
use dichvucong::server::db::Db;
use dichvucong::server::db::filing::{NewDossier, local_day};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("database url");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let db = Db::connect(&url, 4).await?;
    let now = chrono::Utc::now();
    for i in 0..n {
        // ID numbers of the national pattern: 001 (Hà Nội), sex/century 0, year 89, serial.
        let suffix = format!("{:04}", i % 10_000);
        let d = NewDossier {
            user_id: None,
            procedure_code: "1.001193.000.00.00.H26".into(),
            unit_code: if i % 2 == 0 { "00070" } else { "00004" }.into(),
            channel: Channel::Counter,
            applicant_name: "Người thử tải".into(),
            applicant_id_suffix: suffix.clone(),
            answers: Default::default(),
            fee_vnd: 0,
            idempotency_key: format!("bench-lookup-{i}-{}", now.timestamp()),
            draft_id: None,
            received_at: now,
            due_at: now + chrono::Duration::days(3),
            working_days: 3,
            counter: None,
        };
        let code = db.submit_dossier(&d, local_day(now)).await?;
        println!("{} {suffix}", code.code());
    }
    db.close().await;
    Ok(())
}
