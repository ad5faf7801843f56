//! Fee payment over the VNPay protocol: a signed redirect, and only the gateway's signed
//! server-to-server notice (IPN) marks a fee paid — once, for the right amount.

use crate::both_engines;
use crate::filing::{birth_answers, start};
use crate::support::{RESIDENT_A, RESIDENT_B, TestApp};
use crate::uploads::{attach, fixture};
use dichvucong::server::payment::{sign, verify};
use serde_json::{Value, json};

/// Files a birth registration with two extracts (16,000 ₫) and returns its code.
async fn file_with_fee(app: &TestApp, who: &str, copies: &str) -> String {
    let draft = start(app, who, "dang-ky-khai-sinh", true).await;
    let id = draft["id"].as_str().unwrap();
    let mut answers = birth_answers();
    answers["extract_copies"] = json!(copies);
    let r = app
        .call_as(
            Some(who),
            "/api/filing/save",
            json!({ "req": { "id": id, "answers": answers } }),
        )
        .await;
    assert_eq!(r.status(), 200);
    attach(
        app,
        who,
        id,
        "giay_chung_sinh",
        "a.jpg",
        &fixture("giay-chung-sinh.jpg"),
    )
    .await
    .unwrap();
    let r = app
        .call_as(
            Some(who),
            "/api/filing/submit",
            json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } }),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub async fn start_payment(app: &TestApp, who: &str, code: &str) -> (u16, Value) {
    let r = app
        .call_as(
            Some(who),
            "/api/payments/start",
            json!({ "req": { "code": code } }),
        )
        .await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub fn query_of(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').unwrap().1;
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

pub fn get<'a>(p: &'a [(String, String)], k: &str) -> &'a str {
    p.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The notice the gateway sends after a payment attempt, signed with `secret`.
pub fn notice(
    txn_ref: &str,
    amount: &str,
    response: &str,
    txn_no: &str,
    secret: &str,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("vnp_Amount", amount),
        ("vnp_BankCode", "NCB"),
        ("vnp_BankTranNo", "VNP14000001"),
        ("vnp_CardType", "ATM"),
        ("vnp_OrderInfo", "Le phi ho so"),
        ("vnp_PayDate", "20261123090000"),
        ("vnp_ResponseCode", response),
        ("vnp_TmnCode", "DVCHN001"),
        ("vnp_TransactionNo", txn_no),
        ("vnp_TransactionStatus", response),
        ("vnp_TxnRef", txn_ref),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let h = sign(&p, secret);
    p.push(("vnp_SecureHash".into(), h));
    p
}

pub async fn send_ipn(app: &TestApp, params: &[(String, String)]) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let r = app
        .client
        .get(app.url(&format!("/payments/vnpay/ipn?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["RspCode"].as_str().unwrap().to_string()
}

async fn payment_of(app: &TestApp, who: &str, code: &str) -> Value {
    let d: Value = app
        .call_as(
            Some(who),
            "/api/dossiers/mine/get",
            json!({ "req": { "code": code } }),
        )
        .await
        .json()
        .await
        .unwrap();
    d["payment"].clone()
}

both_engines!(
    only_a_signed_notice_for_the_right_amount_pays_once,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let secret = app.state.config.payment_secret.expose().to_string();
        let code = file_with_fee(&app, &an, "2").await;

        // The redirect is signed and asks for the server's amount (in hundredths of a đồng).
        let (status, url) = start_payment(&app, &an, &code).await;
        assert_eq!(status, 200, "{url}");
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&app.state.config.payment_gateway_url));
        let params = query_of(url);
        assert!(verify(&params, &secret));
        assert_eq!(get(&params, "vnp_Amount"), "1600000");
        assert!(get(&params, "vnp_ReturnUrl").ends_with(&format!("/ho-so/{code}?thanh-toan=ve")));
        let txn = get(&params, "vnp_TxnRef").to_string();
        assert_eq!(payment_of(&app, &an, &code).await["status"], "pending");

        // The browser coming back with "success" in its address changes nothing.
        let r = app
            .client
            .get(app.url(&format!(
                "/ho-so/{code}?thanh-toan=ve&vnp_ResponseCode=00&vnp_TxnRef={txn}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(payment_of(&app, &an, &code).await["status"], "pending");

        // Tampered after signing, signed with another key, wrong amount, unknown order.
        let mut tampered = notice(&txn, "1600000", "00", "14000001", &secret);
        tampered[0].1 = "100".into();
        assert_eq!(send_ipn(&app, &tampered).await, "97");
        assert_eq!(
            send_ipn(&app, &notice(&txn, "1600000", "00", "14000001", "guessed")).await,
            "97"
        );
        assert_eq!(
            send_ipn(&app, &notice(&txn, "100", "00", "14000001", &secret)).await,
            "04"
        );
        assert_eq!(
            send_ipn(
                &app,
                &notice("nosuchorder", "1600000", "00", "14000001", &secret)
            )
            .await,
            "01"
        );
        assert_eq!(payment_of(&app, &an, &code).await["status"], "pending");

        // The genuine notice, delivered five times at once: paid exactly once.
        let good = notice(&txn, "1600000", "00", "14000001", &secret);
        let mut handles = Vec::new();
        for _ in 0..5 {
            let (client, url) = (
                app.client.clone(),
                app.url(&format!(
                    "/payments/vnpay/ipn?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(good.iter())
                        .finish()
                )),
            );
            handles.push(tokio::spawn(async move {
                let v: Value = client.get(url).send().await.unwrap().json().await.unwrap();
                v["RspCode"].as_str().unwrap().to_string()
            }));
        }
        let mut codes = Vec::new();
        for h in handles {
            codes.push(h.await.unwrap());
        }
        codes.sort();
        assert_eq!(codes, ["00", "02", "02", "02", "02"]);
        assert_eq!(send_ipn(&app, &good).await, "02", "and again later");
        let paid = payment_of(&app, &an, &code).await;
        assert_eq!(paid["status"], "paid");
        assert_eq!(paid["provider_txn_no"], "14000001");
        assert_eq!(paid["amount_vnd"], 16000);
        let (events, outbox): (i64, i64) = dichvucong::with_db!(&app.state.db, pool => {
            (
                sqlx::query_scalar("SELECT COUNT(*) FROM dossier_events WHERE said IS NOT NULL").fetch_one(pool).await.unwrap(),
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'payment.confirmed'").fetch_one(pool).await.unwrap(),
            )
        });
        assert_eq!(
            (events, outbox),
            (1, 1),
            "one timeline note, one notification"
        );
        // Nothing more to pay, and the receipt says it was paid.
        assert_eq!(start_payment(&app, &an, &code).await.0, 409);
        let pdf = app
            .get_as(Some(&an), &format!("/files/receipts/{code}.pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        let dir = crate::support::temp_dir("dvc-paid");
        let path = dir.path().join(format!("{code}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args([path.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Đã thanh toán trực tuyến"), "{text}");
        assert!(text.contains("mã giao dịch 14000001"), "{text}");
        app.cleanup().await;
    }
);

both_engines!(
    a_cancelled_payment_is_recorded_and_can_be_tried_again,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let binh = app.session_for(&RESIDENT_B).await;
        let secret = app.state.config.payment_secret.expose().to_string();
        let code = file_with_fee(&app, &an, "1").await;
        assert_eq!(
            start_payment(&app, &binh, &code).await.0,
            404,
            "not Bình's dossier"
        );
        let (_, url) = start_payment(&app, &an, &code).await;
        let txn = get(&query_of(url.as_str().unwrap()), "vnp_TxnRef").to_string();
        // 24: the resident cancelled at the gateway.
        assert_eq!(
            send_ipn(&app, &notice(&txn, "800000", "24", "0", &secret)).await,
            "00"
        );
        assert_eq!(payment_of(&app, &an, &code).await["status"], "failed");
        let (status, url) = start_payment(&app, &an, &code).await;
        assert_eq!(status, 200);
        let txn2 = get(&query_of(url.as_str().unwrap()), "vnp_TxnRef").to_string();
        assert_ne!(txn, txn2, "a new order reference for a new attempt");
        assert_eq!(
            send_ipn(&app, &notice(&txn2, "800000", "00", "14000002", &secret)).await,
            "00"
        );
        assert_eq!(payment_of(&app, &an, &code).await["status"], "paid");
        // A free dossier has nothing to pay.
        let free = file_with_fee(&app, &an, "0").await;
        assert_eq!(start_payment(&app, &an, &free).await.0, 409);
        app.cleanup().await;
    }
);

/// The notifications one person has, by topic.
async fn notified(app: &TestApp, who: &str) -> Vec<String> {
    let r = app
        .call_as(Some(who), "/api/notifications/list", json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["topic"].as_str().unwrap().to_string())
        .collect()
}

both_engines!(
    two_tabs_pay_one_order_and_a_second_charge_is_a_refund_not_a_payment,
    |engine| {
        use crate::support::OFFICER_HOAN_KIEM;
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let secret = app.state.config.payment_secret.expose().to_string();
        let code = file_with_fee(&app, &an, "2").await;

        // Two tabs open the payment: both are sent to the same order, signed alike.
        let (_, first) = start_payment(&app, &an, &code).await;
        let (_, second) = start_payment(&app, &an, &code).await;
        let (first, second) = (
            query_of(first.as_str().unwrap()),
            query_of(second.as_str().unwrap()),
        );
        let txn = get(&first, "vnp_TxnRef").to_string();
        assert_eq!(get(&second, "vnp_TxnRef"), txn, "one live order per fee");
        assert_eq!(
            get(&second, "vnp_CreateDate"),
            get(&first, "vnp_CreateDate")
        );
        assert!(verify(&second, &secret));
        let attempts: i64 = dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM payments").fetch_one(pool).await.unwrap()
        });
        assert_eq!(attempts, 1);

        // A tab left open past the order's page: the next start opens a fresh order, and the
        // old one can still be paid at the gateway — both are.
        dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query("UPDATE payments SET created_at = $1")
                .bind(chrono::Utc::now() - chrono::Duration::minutes(14))
                .execute(pool).await.unwrap();
        });
        let (_, late) = start_payment(&app, &an, &code).await;
        let late_txn = get(&query_of(late.as_str().unwrap()), "vnp_TxnRef").to_string();
        assert_ne!(late_txn, txn);
        assert_eq!(
            send_ipn(&app, &notice(&txn, "1600000", "00", "14000101", &secret)).await,
            "00"
        );
        // The second charge is recorded (answered 00, so the gateway stops resending it) as
        // money to refund, never as a second payment.
        let twice = notice(&late_txn, "1600000", "00", "14000102", &secret);
        assert_eq!(send_ipn(&app, &twice).await, "00");
        assert_eq!(
            send_ipn(&app, &twice).await,
            "02",
            "a replay changes nothing"
        );

        let d: Value = app
            .call_as(
                Some(&an),
                "/api/dossiers/mine/get",
                json!({ "req": { "code": code } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(d["payment"]["status"], "paid");
        assert_eq!(d["payment"]["provider_txn_no"], "14000101");
        let dup = d["duplicates"].as_array().unwrap();
        assert_eq!(dup.len(), 1, "{d}");
        assert_eq!(dup[0]["status"], "duplicate");
        assert_eq!(dup[0]["provider_txn_no"], "14000102");
        assert_eq!(dup[0]["amount_vnd"], 16000);
        let (paid, events, confirmed): (i64, i64, i64) = dichvucong::with_db!(&app.state.db, pool => {
            (
                sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE status = 'paid'").fetch_one(pool).await.unwrap(),
                sqlx::query_scalar("SELECT COUNT(*) FROM dossier_events WHERE said IS NOT NULL").fetch_one(pool).await.unwrap(),
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'payment.confirmed'").fetch_one(pool).await.unwrap(),
            )
        });
        assert_eq!((paid, events, confirmed), (1, 1, 1), "one payment");

        // The ward sees it on the dossier, and both are told.
        let w: Value = app
            .call_as(
                Some(&officer),
                "/api/staff/dossier",
                json!({ "req": { "unit": "00070", "code": code } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            w["dossier"]["duplicates"][0]["provider_txn_no"], "14000102",
            "{w}"
        );
        let text = |t: &str, p: &Value, lang| {
            dichvucong::server::notify::mail_text("http://x", t, p, lang)
        };
        app.state
            .db
            .deliver_outbox(100, &text, chrono::Utc::now())
            .await
            .unwrap();
        assert!(
            notified(&app, &an)
                .await
                .contains(&"payment.duplicate".to_string())
        );
        let staff = notified(&app, &officer).await;
        assert!(
            staff.contains(&"payment.refund_due".to_string()),
            "{staff:?}"
        );
        assert!(!staff.contains(&"payment.duplicate".to_string()));
        // Nothing more to pay.
        assert_eq!(start_payment(&app, &an, &code).await.0, 409);
        app.cleanup().await;
    }
);
