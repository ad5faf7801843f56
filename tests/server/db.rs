//! Repository functions on both engines.

use crate::both_engines;
use crate::support::{Engine, TestDb, repo_path};
use chrono::NaiveDate;
use dichvucong::server::db::Db;
use dichvucong::server::seed;
use std::collections::BTreeSet;

both_engines!(durability_settings_are_enforced, |engine| {
    let tdb = TestDb::new(engine).await;
    let db = tdb.connect().await;
    db.check_settings().await.unwrap();
    if let Db::Sqlite(pool) = &db {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
    db.close().await;
    tdb.cleanup().await;
});

both_engines!(import_is_idempotent_and_complete, |engine| {
    let tdb = TestDb::new(engine).await;
    let db = tdb.connect().await;
    let data = seed::load(&repo_path("data")).unwrap();
    db.import_catalog(&data).await.unwrap();
    db.import_catalog(&data).await.unwrap();
    assert_eq!(db.units().await.unwrap().len(), 126);
    let holidays = db.holidays().await.unwrap();
    assert_eq!(holidays, data.holidays, "holiday table round-trips exactly");
    let p = db
        .procedure_by_slug("dang-ky-ket-hon")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        &p,
        data.procedures
            .iter()
            .find(|x| x.slug == "dang-ky-ket-hon")
            .unwrap()
    );
    db.close().await;
    tdb.cleanup().await;
});

both_engines!(
    dossier_codes_have_no_gaps_or_duplicates_under_concurrency,
    |engine| {
        let tdb = TestDb::new(engine).await;
        let db = tdb.connect().await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let code = tx.next_dossier_code("00004", day).await.unwrap();
                tx.commit().await.unwrap();
                code
            }));
        }
        let mut seqs = BTreeSet::new();
        for t in tasks {
            let code = t.await.unwrap();
            assert_eq!(code.unit, "00004");
            assert!(seqs.insert(code.seq), "duplicate {code}");
        }
        assert_eq!(seqs, (1..=40).collect::<BTreeSet<u32>>());

        // A rolled-back submission gives its number back: no gap.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.next_dossier_code("00004", day).await.unwrap().seq, 41);
        tx.rollback().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let code = tx.next_dossier_code("00004", day).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(code.to_string(), "00004-261123-0041");

        // Another unit and another day count separately.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.next_dossier_code("00008", day).await.unwrap().seq, 1);
        assert_eq!(
            tx.next_dossier_code("00004", day.succ_opt().unwrap())
                .await
                .unwrap()
                .seq,
            1
        );
        tx.commit().await.unwrap();
        db.close().await;
        tdb.cleanup().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_have_the_same_schema() {
    let (a, b) = (
        TestDb::new(Engine::Sqlite).await,
        TestDb::new(Engine::Postgres).await,
    );
    let (da, db) = (a.connect().await, b.connect().await);
    let (mut sa, mut sb) = (da.schema().await.unwrap(), db.schema().await.unwrap());
    assert!(sa.columns.len() > 100 && sa.indexes.len() > 20 && !sa.triggers.is_empty());
    // SQLite has no TRUNCATE; PostgreSQL's audit log refuses that too.
    assert!(
        sb.triggers
            .iter()
            .any(|(t, _, e)| t == "audit_log" && e == "TRUNCATE")
    );
    sb.triggers.retain(|(_, _, e)| e != "TRUNCATE");
    fn lines<T: std::fmt::Debug>(v: &[T]) -> Vec<String> {
        v.iter().map(|x| format!("{x:?}")).collect()
    }
    for (what, a, b) in [
        (
            "columns (name, storage class, nullability)",
            lines(&sa.columns),
            lines(&sb.columns),
        ),
        (
            "indexes and unique constraints",
            lines(&sa.indexes),
            lines(&sb.indexes),
        ),
        ("triggers", lines(&sa.triggers), lines(&sb.triggers)),
    ] {
        let only = |x: &Vec<String>, y: &Vec<String>| {
            let mut rest = y.clone();
            let mut out = Vec::new();
            for l in x {
                match rest.iter().position(|m| m == l) {
                    Some(i) => {
                        rest.remove(i);
                    }
                    None => out.push(l.clone()),
                }
            }
            out
        };
        let (only_a, only_b) = (only(&a, &b), only(&b, &a));
        assert!(
            only_a.is_empty() && only_b.is_empty(),
            "{what} differ between migrations/sqlite and migrations/postgres\nSQLite only: {only_a:#?}\nPostgreSQL only: {only_b:#?}"
        );
    }
    sa.columns.clear();
    sb.columns.clear();
    da.close().await;
    db.close().await;
    a.cleanup().await;
    b.cleanup().await;
}

both_engines!(audit_log_is_a_tamper_evident_chain, |engine| {
    use dichvucong::server::db::audit::AuditEvent;
    let tdb = TestDb::new(engine).await;
    let db = tdb.connect().await;
    let event = |action: &str| AuditEvent {
        actor: Some("user-1".into()),
        actor_role: "officer".into(),
        actor_unit: Some("00070".into()),
        action: action.into(),
        object: Some("dossier-9".into()),
        outcome: "ok",
        detail: None,
    };
    // Concurrent writers still make one unbroken chain.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        let e = event(&format!("view-{i}"));
        tasks.push(tokio::spawn(async move { db.audit(&e).await.unwrap() }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(db.verify_audit_chain().await.unwrap(), Ok(20));

    // The application cannot change or remove rows.
    for sql in [
        "UPDATE audit_log SET action = 'nothing' WHERE seq = 7",
        "DELETE FROM audit_log WHERE seq = 12",
    ] {
        let refused = match &db {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.is_err(),
            Db::Pg(p) => sqlx::query(sql).execute(p).await.is_err(),
        };
        assert!(refused, "{sql} was allowed");
    }
    assert_eq!(db.verify_audit_chain().await.unwrap(), Ok(20));

    // Someone with rights to drop the triggers can edit rows — and the chain shows it.
    match &db {
        Db::Sqlite(_) => {
            with_engine(&db, "DROP TRIGGER audit_log_no_update").await;
            with_engine(&db, "DROP TRIGGER audit_log_no_delete").await;
        }
        Db::Pg(_) => with_engine(&db, "DROP TRIGGER audit_log_no_update ON audit_log").await,
    }
    // Deleting a row breaks the chain at the row after it.
    with_engine(&db, "DELETE FROM audit_log WHERE seq = 12").await;
    assert_eq!(db.verify_audit_chain().await.unwrap(), Err(13));
    // Editing an earlier row is detected at that row.
    with_engine(&db, "UPDATE audit_log SET action = 'nothing' WHERE seq = 7").await;
    assert_eq!(db.verify_audit_chain().await.unwrap(), Err(7));
    db.close().await;
    tdb.cleanup().await;
});

async fn with_engine(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}
