//! Take the record along: the whole record as a FHIR R4 Bundle shaped like
//! `Patient/$everything`, and an International Patient Summary (IPS) document.
//!
//! Both are made from the source's own resources, as the facilities coded them. What the
//! pages cannot show is left out here too: an entry the source sent malformed (counted), and a
//! result the source holds back until a doctor has talked it through. References to what was
//! left out are dropped, so that every reference in a bundle resolves to one of its entries.

use crate::domain::fhir::label;
use crate::server::fhir_view;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The record's resources that may leave the portal, and how many were left out as malformed.
pub struct Exportable {
    /// The Patient first, then the rest in the source's order.
    pub resources: Vec<Value>,
    /// Entries left out because they could not be read.
    pub skipped: u32,
}

fn key(v: &Value) -> Option<String> {
    Some(format!(
        "{}/{}",
        v["resourceType"].as_str()?,
        v["id"].as_str()?
    ))
}

/// `Type/id` of a reference however it is written.
fn ref_key(r: &str) -> Option<String> {
    let mut parts = r.rsplit('/');
    let id = parts.next()?;
    let ty = parts.next()?;
    Some(format!("{ty}/{id}"))
}

fn points_to_removed(v: &Value, removed: &BTreeSet<String>) -> bool {
    v.get("reference")
        .and_then(Value::as_str)
        .and_then(ref_key)
        .is_some_and(|k| removed.contains(&k))
}

/// Drops references to what was left out: an array element that is (or directly holds) such a
/// reference goes; a single such field goes.
fn prune(v: &mut Value, removed: &BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            let gone: Vec<String> = map
                .iter()
                .filter(|(_, x)| points_to_removed(x, removed))
                .map(|(k, _)| k.clone())
                .collect();
            for k in gone {
                map.remove(&k);
            }
            for x in map.values_mut() {
                prune(x, removed);
            }
            map.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()));
        }
        Value::Array(items) => {
            items.retain(|x| {
                !points_to_removed(x, removed)
                    && !x
                        .as_object()
                        .is_some_and(|o| o.values().any(|y| points_to_removed(y, removed)))
            });
            for x in items.iter_mut() {
                prune(x, removed);
            }
        }
        _ => {}
    }
}

/// Chooses what may be exported from the source's resources.
pub fn exportable(resources: Vec<Value>) -> Exportable {
    let held = fhir_view::held_keys(&resources);
    let mut skipped = 0;
    let mut removed = BTreeSet::new();
    let mut kept = Vec::new();
    for v in resources {
        let Some(k) = key(&v) else {
            skipped += 1;
            continue;
        };
        if !fhir_view::readable(&v) {
            skipped += 1;
            removed.insert(k);
        } else if held.contains(&k) || v["resourceType"] == "Binary" {
            removed.insert(k);
        } else {
            kept.push(v);
        }
    }
    for v in kept.iter_mut() {
        prune(v, &removed);
    }
    kept.sort_by_key(|v| v["resourceType"] != "Patient");
    Exportable {
        resources: kept,
        skipped,
    }
}

fn full_url(origin: &str, v: &Value) -> String {
    format!(
        "{origin}/fhir/{}/{}",
        v["resourceType"].as_str().unwrap_or_default(),
        v["id"].as_str().unwrap_or_default()
    )
}

/// The record as a `searchset` Bundle shaped like `Patient/$everything`: the Patient first,
/// the resources of the patient's compartment as matches, the organizations, locations and
/// practitioners they name as includes. `origin` is the portal's public origin (the entries'
/// base, so that relative references resolve to them).
pub fn everything(origin: &str, e: &Exportable, now: DateTime<Utc>) -> Value {
    let entries: Vec<Value> = e
        .resources
        .iter()
        .map(|v| {
            let include = matches!(
                v["resourceType"].as_str(),
                Some("Organization" | "Location" | "Practitioner" | "PractitionerRole")
            );
            json!({
                "fullUrl": full_url(origin, v),
                "resource": v,
                "search": { "mode": if include { "include" } else { "match" } },
            })
        })
        .collect();
    let matches = entries
        .iter()
        .filter(|x| x["search"]["mode"] == "match")
        .count();
    let patient = e
        .resources
        .first()
        .and_then(|p| p["id"].as_str())
        .unwrap_or_default();
    json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "meta": { "lastUpdated": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) },
        "type": "searchset",
        "total": matches,
        "link": [{ "relation": "self", "url": format!("{origin}/fhir/Patient/{patient}/$everything") }],
        "entry": entries,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn section(
    origin: &str,
    title: &str,
    code: &str,
    display: &str,
    items: &[&Value],
    empty: &str,
) -> Value {
    let mut s = Map::new();
    s.insert("title".into(), json!(title));
    s.insert(
        "code".into(),
        json!({ "coding": [{ "system": "http://loinc.org", "code": code, "display": display }] }),
    );
    if items.is_empty() {
        s.insert(
            "text".into(),
            json!({ "status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{}</p></div>", escape(empty)) }),
        );
        s.insert(
            "emptyReason".into(),
            json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "unavailable", "display": "Unavailable" }] }),
        );
    } else {
        let lis: String = items
            .iter()
            .map(|v| format!("<li>{}</li>", escape(&label(v))))
            .collect();
        s.insert(
            "text".into(),
            json!({ "status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul>{lis}</ul></div>") }),
        );
        s.insert(
            "entry".into(),
            Value::Array(
                items
                    .iter()
                    .map(|v| json!({ "reference": full_url(origin, v) }))
                    .collect(),
            ),
        );
    }
    Value::Object(s)
}

fn has_code(v: &Value, field: &str, code: &str) -> bool {
    let matches = |c: &Value| {
        c["coding"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|x| x["code"] == code))
    };
    match &v[field] {
        Value::Array(a) => a.iter().any(matches),
        c => matches(c),
    }
}

/// The record as an IPS document: a final Composition (LOINC 60591-5) with the problems,
/// allergies and medicines sections the IPS requires (entries, or an empty reason), and
/// immunizations, the latest result of each lab test and procedures; then every resource
/// the sections name and, transitively, what those name.
pub fn patient_summary(origin: &str, e: &Exportable, now: DateTime<Utc>) -> Value {
    let of = |ty: &str| -> Vec<&Value> {
        e.resources
            .iter()
            .filter(|v| v["resourceType"] == ty)
            .collect()
    };
    let active =
        |v: &&Value| v["clinicalStatus"].is_null() || has_code(v, "clinicalStatus", "active");
    let problems: Vec<&Value> = of("Condition")
        .into_iter()
        .filter(|v| has_code(v, "category", "problem-list-item"))
        .filter(active)
        .collect();
    let allergies: Vec<&Value> = of("AllergyIntolerance")
        .into_iter()
        .filter(active)
        .collect();
    let medicines: Vec<&Value> = of("MedicationStatement")
        .into_iter()
        .filter(|v| v["status"] == "active")
        .collect();
    let immunizations: Vec<&Value> = of("Immunization")
        .into_iter()
        .filter(|v| v["status"] == "completed")
        .collect();
    // The latest lab result of each test.
    let mut latest: Vec<&Value> = Vec::new();
    let mut labs: Vec<&Value> = of("Observation")
        .into_iter()
        .filter(|v| has_code(v, "category", "laboratory"))
        .collect();
    labs.sort_by(|a, b| {
        b["effectiveDateTime"]
            .as_str()
            .cmp(&a["effectiveDateTime"].as_str())
    });
    let mut seen = BTreeSet::new();
    for v in labs {
        let code = v["code"]["coding"][0]["code"].as_str().unwrap_or_default();
        if seen.insert(code.to_string()) {
            latest.push(v);
        }
    }
    let procedures = of("Procedure");
    let patient = e.resources.first().cloned().unwrap_or(Value::Null);
    let author = json!({
        "resourceType": "Organization",
        "id": "dich-vu-cong-ha-noi",
        "name": "Cổng Dịch vụ công Hà Nội",
        "address": [{ "city": "Hà Nội", "country": "VN" }],
    });
    let sections = vec![
        section(
            origin,
            "Bệnh và vấn đề sức khỏe",
            "11450-4",
            "Problem list - Reported",
            &problems,
            "Không có bệnh hoặc vấn đề sức khỏe nào được ghi nhận.",
        ),
        section(
            origin,
            "Dị ứng",
            "48765-2",
            "Allergies and adverse reactions Document",
            &allergies,
            "Không có dị ứng nào được ghi nhận.",
        ),
        section(
            origin,
            "Thuốc đang dùng",
            "10160-0",
            "History of Medication use Narrative",
            &medicines,
            "Không có thuốc đang dùng nào được ghi nhận.",
        ),
        section(
            origin,
            "Tiêm chủng",
            "11369-6",
            "History of Immunization Narrative",
            &immunizations,
            "Không có mũi tiêm nào được ghi nhận.",
        ),
        section(
            origin,
            "Kết quả xét nghiệm gần nhất",
            "30954-2",
            "Relevant diagnostic tests/laboratory data Narrative",
            &latest,
            "Không có kết quả xét nghiệm nào.",
        ),
        section(
            origin,
            "Thủ thuật, phẫu thuật",
            "47519-4",
            "History of Procedures Document",
            &procedures,
            "Không có thủ thuật nào được ghi nhận.",
        ),
    ];
    let composition = json!({
        "resourceType": "Composition",
        "id": uuid::Uuid::new_v4().to_string(),
        "status": "final",
        "type": { "coding": [{ "system": "http://loinc.org", "code": "60591-5", "display": "Patient summary Document" }] },
        "subject": { "reference": full_url(origin, &patient) },
        "date": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "author": [{ "reference": full_url(origin, &author) }],
        "title": "Tóm tắt hồ sơ sức khỏe (International Patient Summary)",
        "section": sections,
    });
    // Everything the sections name, and what that names, from the export.
    let by_key: std::collections::HashMap<String, &Value> = e
        .resources
        .iter()
        .filter_map(|v| Some((key(v)?, v)))
        .collect();
    let mut queue: Vec<&Value> = vec![&patient];
    queue.extend(
        problems
            .iter()
            .chain(&allergies)
            .chain(&medicines)
            .chain(&immunizations)
            .chain(&latest)
            .chain(&procedures),
    );
    let mut included = BTreeSet::new();
    while let Some(v) = queue.pop() {
        let Some(k) = key(v) else { continue };
        if !included.insert(k) {
            continue;
        }
        let mut refs = Vec::new();
        collect_refs(v, &mut refs);
        for r in refs {
            if let Some(x) = ref_key(&r).and_then(|k| by_key.get(&k)) {
                queue.push(x);
            }
        }
    }
    let mut entries = vec![
        json!({ "fullUrl": full_url(origin, &composition), "resource": composition }),
        json!({ "fullUrl": full_url(origin, &patient), "resource": patient }),
        json!({ "fullUrl": full_url(origin, &author), "resource": author }),
    ];
    let patient_key = key(&entries[1]["resource"]);
    for v in &e.resources {
        if let Some(k) = key(v)
            && included.contains(&k)
            && Some(&k) != patient_key.as_ref()
        {
            entries.push(json!({ "fullUrl": full_url(origin, v), "resource": v }));
        }
    }
    json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "identifier": { "system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", uuid::Uuid::new_v4()) },
        "type": "document",
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "entry": entries,
    })
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("reference").and_then(Value::as_str) {
                out.push(r.to_string());
            }
            for x in m.values() {
                collect_refs(x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                collect_refs(x, out);
            }
        }
        _ => {}
    }
}
