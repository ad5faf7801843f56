//! How a FHIR resource is named in a summary: from its coded fields (never its narrative),
//! the same in the portal's exports and in the share-link viewer.

use serde_json::Value;

/// "Metformin 500mg — 2 viên/lần _ 2 lần/ngày (05/03/2024)", "HbA1c: 7.2 % (05/03/2024)",
/// "Sởi (01/03/2016, lô MV-1234)".
pub fn label(v: &Value) -> String {
    let concept = |c: &Value| {
        c["text"]
            .as_str()
            .or_else(|| c["coding"][0]["display"].as_str())
            .or_else(|| c["coding"][0]["code"].as_str())
            .map(str::to_owned)
    };
    let name = match v["resourceType"].as_str() {
        Some("MedicationStatement" | "MedicationRequest") => {
            concept(&v["medicationCodeableConcept"])
        }
        Some("Immunization") => concept(&v["vaccineCode"]),
        _ => concept(&v["code"]),
    }
    .unwrap_or_else(|| "—".into());
    let value = v["valueQuantity"]["value"]
        .as_f64()
        .map(|x| {
            format!(
                ": {x} {}",
                v["valueQuantity"]["unit"].as_str().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let dosage = v["dosage"][0]["text"]
        .as_str()
        .map(|d| format!(" — {d}"))
        .unwrap_or_default();
    let when = v["occurrenceDateTime"]
        .as_str()
        .or_else(|| v["effectiveDateTime"].as_str())
        .or_else(|| v["performedDateTime"].as_str())
        .or_else(|| v["onsetDateTime"].as_str())
        .and_then(|w| chrono::NaiveDate::parse_from_str(w.get(..10)?, "%Y-%m-%d").ok())
        .map(|d| format!(" ({}", d.format("%d/%m/%Y")))
        .unwrap_or_default();
    let lot = v["lotNumber"]
        .as_str()
        .map(|l| format!(", lô {l}"))
        .unwrap_or_default();
    let close = if when.is_empty() { "" } else { ")" };
    format!("{name}{value}{dosage}{when}{lot}{close}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_resource_is_named_from_its_codes() {
        let imm = json!({"resourceType": "Immunization", "vaccineCode": {"coding": [{"code": "05", "display": "Sởi"}]},
                         "occurrenceDateTime": "2016-03-01T08:00:00+07:00", "lotNumber": "MV-1234",
                         "text": {"div": "<div><script>x</script></div>"}});
        assert_eq!(label(&imm), "Sởi (01/03/2016, lô MV-1234)");
        let obs = json!({"resourceType": "Observation", "code": {"text": "HbA1c"}, "valueQuantity": {"value": 7.2, "unit": "%"}});
        assert_eq!(label(&obs), "HbA1c: 7.2 %");
        let med = json!({"resourceType": "MedicationStatement", "medicationCodeableConcept": {"text": "Metformin 500mg"},
                         "dosage": [{"text": "2 viên/lần _ 2 lần/ngày"}]});
        assert_eq!(label(&med), "Metformin 500mg — 2 viên/lần _ 2 lần/ngày");
        assert_eq!(label(&json!({"resourceType": "Condition"})), "—");
    }
}
