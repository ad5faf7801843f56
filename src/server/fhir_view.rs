//! Reads a FHIR R4 record (the resources of `Patient/$everything`) into what the health pages
//! show. Only coded fields are read: a source's narrative (`text.div`) is never shown.
//!
//! Each resource is read on its own: one that does not parse (a wrong type, a malformed
//! value) is counted in `skipped` and the rest is shown. Missing fields are shown as missing;
//! nothing is invented (a lab result without a reference range has none).

use crate::api::health::*;
use crate::domain::immunization::{self, Schedule, Standing};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
const LOINC: &str = "http://loinc.org";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const BHYT: &str = "http://fhir.hl7.org.vn/core/sid/bhyt";
const MA_LK: &str = "http://fhir.hl7.org.vn/core/sid/ma-lk";
const CCCD: &str = "http://fhir.hl7.org.vn/core/sid/cccd";
/// Coverage extension naming the initial-care facility.
const INITIAL_CARE: &str = "http://fhir.hl7.org.vn/core/StructureDefinition/initial-care-facility";
/// Document type of the electronic birth certificate.
pub const BIRTH_CERTIFICATE: &str = "giay-chung-sinh";
/// Prefix of the birth certificate's structured extensions.
const GCS_EXT: &str = "http://fhir.hl7.org.vn/core/StructureDefinition/giay-chung-sinh-";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Coding {
    system: Option<String>,
    code: Option<String>,
    display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Concept {
    coding: Vec<Coding>,
    text: Option<String>,
}

impl Concept {
    /// The name to show: the text, else the first display, else the first code.
    fn label(&self) -> Option<String> {
        self.text
            .clone()
            .or_else(|| self.coding.iter().find_map(|c| c.display.clone()))
            .or_else(|| self.coding.iter().find_map(|c| c.code.clone()))
    }

    fn code_in(&self, system: &str) -> Option<&str> {
        self.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(system))
            .and_then(|c| c.code.as_deref())
    }

    fn display_in(&self, system: &str) -> Option<&str> {
        self.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(system))
            .and_then(|c| c.display.as_deref())
    }

    fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.as_deref() == Some(code))
    }

    fn first_code(&self) -> Option<&str> {
        self.coding.iter().find_map(|c| c.code.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Reference {
    reference: Option<String>,
    display: Option<String>,
}

impl Reference {
    /// `Type/id`, however the reference is written (relative or absolute).
    fn key(&self) -> Option<String> {
        let r = self.reference.as_deref()?;
        let mut parts = r.rsplit('/');
        let id = parts.next()?;
        let ty = parts.next()?;
        Some(format!("{ty}/{id}"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Period {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Quantity {
    value: Option<f64>,
    unit: Option<String>,
    code: Option<String>,
}

impl Quantity {
    fn unit(&self) -> Option<String> {
        self.unit.clone().or_else(|| self.code.clone())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Annotation {
    text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Identifier {
    system: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Meta {
    security: Vec<Coding>,
}

impl Meta {
    /// Held back from the patient (`NOPAT`: not to be disclosed to the patient yet).
    fn held(&self) -> bool {
        self.security
            .iter()
            .any(|c| c.code.as_deref() == Some("NOPAT"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Extension {
    url: String,
    value_reference: Option<Reference>,
    value_string: Option<String>,
    value_date_time: Option<String>,
    value_code: Option<String>,
    value_quantity: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct HumanName {
    text: Option<String>,
    family: Option<String>,
    given: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Patient {
    id: String,
    identifier: Vec<Identifier>,
    name: Vec<HumanName>,
    gender: Option<String>,
    birth_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct CoverageClass {
    value: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Coverage {
    status: Option<String>,
    identifier: Vec<Identifier>,
    subscriber_id: Option<String>,
    period: Option<Period>,
    class: Vec<CoverageClass>,
    extension: Vec<Extension>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Named {
    name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct EncounterDiagnosis {
    condition: Reference,
    rank: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Encounter {
    id: String,
    identifier: Vec<Identifier>,
    class: Option<Coding>,
    #[serde(rename = "type")]
    kind: Vec<Concept>,
    period: Option<Period>,
    service_provider: Option<Reference>,
    reason_code: Vec<Concept>,
    diagnosis: Vec<EncounterDiagnosis>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Condition {
    id: String,
    clinical_status: Option<Concept>,
    category: Vec<Concept>,
    code: Option<Concept>,
    encounter: Option<Reference>,
    onset_date_time: Option<String>,
    recorded_date: Option<String>,
    note: Vec<Annotation>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Range {
    low: Option<Quantity>,
    high: Option<Quantity>,
    text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Component {
    code: Concept,
    value_quantity: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Observation {
    id: String,
    meta: Meta,
    status: Option<String>,
    category: Vec<Concept>,
    code: Concept,
    encounter: Option<Reference>,
    effective_date_time: Option<String>,
    issued: Option<String>,
    value_quantity: Option<Quantity>,
    value_string: Option<String>,
    value_codeable_concept: Option<Concept>,
    reference_range: Vec<Range>,
    interpretation: Vec<Concept>,
    note: Vec<Annotation>,
    component: Vec<Component>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct DiagnosticReport {
    meta: Meta,
    result: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Dosage {
    text: Option<String>,
    route: Option<Concept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct DispenseRequest {
    quantity: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MedicationRequest {
    medication_codeable_concept: Option<Concept>,
    encounter: Option<Reference>,
    authored_on: Option<String>,
    dosage_instruction: Vec<Dosage>,
    dispense_request: Option<DispenseRequest>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MedicationStatement {
    status: Option<String>,
    medication_codeable_concept: Option<Concept>,
    effective_date_time: Option<String>,
    effective_period: Option<Period>,
    dosage: Vec<Dosage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ProtocolApplied {
    dose_number_positive_int: Option<u32>,
    dose_number_string: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Immunization {
    status: Option<String>,
    vaccine_code: Concept,
    occurrence_date_time: Option<String>,
    lot_number: Option<String>,
    location: Option<Reference>,
    protocol_applied: Vec<ProtocolApplied>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Reaction {
    manifestation: Vec<Concept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AllergyIntolerance {
    clinical_status: Option<Concept>,
    verification_status: Option<Concept>,
    code: Option<Concept>,
    reaction: Vec<Reaction>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Attachment {
    content_type: Option<String>,
    url: Option<String>,
    size: Option<u64>,
    title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Content {
    attachment: Attachment,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct DocContext {
    encounter: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct DocumentReference {
    id: String,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<Concept>,
    date: Option<String>,
    description: Option<String>,
    context: Option<DocContext>,
    content: Vec<Content>,
    identifier: Vec<Identifier>,
    custodian: Option<Reference>,
    extension: Vec<Extension>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ServiceRequest {
    status: Option<String>,
    code: Option<Concept>,
    encounter: Option<Reference>,
    authored_on: Option<String>,
    performer: Vec<Reference>,
    reason_code: Vec<Concept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Participant {
    actor: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AppointmentRes {
    status: Option<String>,
    start: Option<String>,
    description: Option<String>,
    participant: Vec<Participant>,
    supporting_information: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Procedure {
    status: Option<String>,
    code: Option<Concept>,
    encounter: Option<Reference>,
    performed_date_time: Option<String>,
    performed_period: Option<Period>,
}

/// A record, read.
#[derive(Debug, Default)]
pub struct Record {
    patient: Patient,
    coverage: Vec<Coverage>,
    encounters: Vec<Encounter>,
    conditions: Vec<Condition>,
    observations: Vec<Observation>,
    held_reports: BTreeSet<String>,
    requests: Vec<MedicationRequest>,
    statements: Vec<MedicationStatement>,
    immunizations: Vec<Immunization>,
    allergies: Vec<AllergyIntolerance>,
    documents: Vec<DocumentReference>,
    referrals: Vec<ServiceRequest>,
    appointments: Vec<AppointmentRes>,
    procedures: Vec<Procedure>,
    /// Names of organizations, locations and practitioners by `Type/id`.
    names: HashMap<String, String>,
    /// Entries that could not be read.
    pub skipped: u32,
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, skipped: &mut u32) -> Option<T> {
    match serde_json::from_value(v) {
        Ok(t) => Some(t),
        Err(_) => {
            *skipped += 1;
            None
        }
    }
}

impl Record {
    /// Reads the resources of `Patient/$everything`. `None` when there is no Patient in them.
    pub fn read(resources: Vec<Value>) -> Option<Record> {
        let mut r = Record::default();
        let mut patient = None;
        for v in resources {
            let ty = v["resourceType"].as_str().unwrap_or_default().to_string();
            let id = v["id"].as_str().unwrap_or_default().to_string();
            let s = &mut r.skipped;
            match ty.as_str() {
                "Patient" if patient.is_none() => patient = parse::<Patient>(v, s),
                "Coverage" => r.coverage.extend(parse(v, s)),
                "Encounter" => r.encounters.extend(parse(v, s)),
                "Condition" => r.conditions.extend(parse(v, s)),
                "Observation" => r.observations.extend(parse(v, s)),
                "DiagnosticReport" => {
                    if let Some(d) = parse::<DiagnosticReport>(v, s)
                        && d.meta.held()
                    {
                        r.held_reports
                            .extend(d.result.iter().filter_map(Reference::key));
                    }
                }
                "MedicationRequest" => r.requests.extend(parse(v, s)),
                "MedicationStatement" => r.statements.extend(parse(v, s)),
                "Immunization" => r.immunizations.extend(parse(v, s)),
                "AllergyIntolerance" => r.allergies.extend(parse(v, s)),
                "DocumentReference" => r.documents.extend(parse(v, s)),
                "ServiceRequest" => r.referrals.extend(parse(v, s)),
                "Appointment" => r.appointments.extend(parse(v, s)),
                "Procedure" => r.procedures.extend(parse(v, s)),
                "Organization" | "Location" | "Practitioner" => {
                    let name = match ty.as_str() {
                        "Practitioner" => {
                            parse::<Patient>(v, s).and_then(|p| p.name.first().and_then(name_text))
                        }
                        _ => parse::<Named>(v, s).and_then(|n| n.name),
                    };
                    if let Some(name) = name {
                        r.names.insert(format!("{ty}/{id}"), name);
                    }
                }
                // Shown elsewhere or not at all (RelatedPerson, Binary, Consent …).
                _ => {}
            }
        }
        r.patient = patient?;
        // Newest visit first.
        r.encounters
            .sort_by_key(|e| std::cmp::Reverse(e.period.as_ref().and_then(|p| local(&p.start))));
        Some(r)
    }

    /// The Patient resource's id at the source.
    pub fn patient_id(&self) -> &str {
        &self.patient.id
    }

    fn name_of(&self, r: &Option<Reference>) -> Option<String> {
        let r = r.as_ref()?;
        r.key()
            .and_then(|k| self.names.get(&k).cloned())
            .or_else(|| r.display.clone())
    }

    fn birthdate(&self) -> Option<NaiveDate> {
        self.patient.birth_date.as_deref().and_then(date_of)
    }

    /// The record at a glance.
    pub fn overview(
        &self,
        subject: HealthSubject,
        schedule: &Schedule,
        today: NaiveDate,
    ) -> Overview {
        let p = &self.patient;
        let cccd = p
            .identifier
            .iter()
            .find(|i| i.system.as_deref() == Some(CCCD))
            .and_then(|i| i.value.as_deref());
        let coverage = self
            .coverage
            .iter()
            .find(|c| c.status.as_deref() != Some("cancelled"))
            .map(|c| {
                let number = c
                    .identifier
                    .iter()
                    .find(|i| i.system.as_deref() == Some(BHYT))
                    .and_then(|i| i.value.clone())
                    .or_else(|| c.subscriber_id.clone());
                let valid_from = c
                    .period
                    .as_ref()
                    .and_then(|p| p.start.as_deref())
                    .and_then(date_of);
                let valid_to = c
                    .period
                    .as_ref()
                    .and_then(|p| p.end.as_deref())
                    .and_then(date_of);
                let facility = c
                    .extension
                    .iter()
                    .find(|e| e.url == INITIAL_CARE)
                    .and_then(|e| self.name_of(&e.value_reference))
                    .or_else(|| {
                        c.class
                            .iter()
                            .find_map(|k| k.name.clone().or(k.value.clone()))
                    });
                CoverageInfo {
                    number_masked: number.as_deref().map(mask_number),
                    valid_from,
                    valid_to,
                    active: c.status.as_deref() == Some("active")
                        && valid_from.is_none_or(|f| f <= today)
                        && valid_to.is_none_or(|t| today <= t),
                    initial_facility: facility,
                }
            });
        let conditions = self
            .conditions
            .iter()
            .filter(|c| c.category.iter().any(|k| k.has_code("problem-list-item")))
            .filter(|c| {
                c.clinical_status
                    .as_ref()
                    .is_none_or(|s| s.has_code("active") || s.has_code("recurrence"))
            })
            .map(|c| diagnosis(c, false))
            .collect();
        let allergies =
            self.allergies
                .iter()
                .filter(|a| {
                    a.clinical_status
                        .as_ref()
                        .is_none_or(|s| s.has_code("active"))
                        && !a.verification_status.as_ref().is_some_and(|s| {
                            s.has_code("refuted") || s.has_code("entered-in-error")
                        })
                })
                .map(|a| AllergyInfo {
                    substance: a
                        .code
                        .as_ref()
                        .and_then(Concept::label)
                        .unwrap_or_else(|| "—".into()),
                    reactions: a
                        .reaction
                        .iter()
                        .flat_map(|r| r.manifestation.iter().filter_map(Concept::label))
                        .collect(),
                    confirmed: a
                        .verification_status
                        .as_ref()
                        .is_some_and(|s| s.has_code("confirmed")),
                })
                .collect();
        let medicines = self
            .statements
            .iter()
            .filter(|m| m.status.as_deref().is_none_or(|s| s == "active"))
            .map(|m| {
                let since = m
                    .effective_date_time
                    .as_deref()
                    .or(m.effective_period.as_ref().and_then(|p| p.start.as_deref()))
                    .and_then(date_of);
                medicine(&m.medication_codeable_concept, &m.dosage, None, since)
            })
            .collect();
        let next_reexam = self
            .appointments
            .iter()
            .filter(|a| matches!(a.status.as_deref(), Some("booked" | "pending" | "proposed")))
            .map(|a| self.appointment(a))
            .filter(|a| a.start.is_some_and(|s| s.date() >= today))
            .min_by_key(|a| a.start);
        let vaccination = self.vaccinations(schedule, today).summary;
        Overview {
            subject,
            name: p.name.first().and_then(name_text).unwrap_or_default(),
            cccd_masked: cccd.and_then(crate::api::session::masked),
            birthdate: self.birthdate(),
            gender: p.gender.clone(),
            coverage,
            allergies,
            conditions,
            medicines,
            next_reexam,
            vaccination,
            visit_count: self.encounters.len() as u32,
            last_visit: self.encounters.first().map(|e| self.summary(e)),
            skipped: self.skipped,
        }
    }

    fn appointment(&self, a: &AppointmentRes) -> Appointment {
        let facility = a.participant.iter().find_map(|p| {
            let key = p.actor.as_ref()?.key()?;
            if key.starts_with("Location/") || key.starts_with("Organization/") {
                self.names.get(&key).cloned()
            } else {
                None
            }
        });
        Appointment {
            start: local(&a.start),
            facility,
            description: a.description.clone(),
        }
    }

    fn summary(&self, e: &Encounter) -> VisitSummary {
        let main = e
            .diagnosis
            .iter()
            .min_by_key(|d| d.rank.unwrap_or(u32::MAX))
            .and_then(|d| d.condition.key())
            .and_then(|k| {
                self.conditions
                    .iter()
                    .find(|c| format!("Condition/{}", c.id) == k)
            })
            .map(|c| diagnosis(c, true));
        VisitSummary {
            id: e.id.clone(),
            start: e.period.as_ref().and_then(|p| local(&p.start)),
            end: e.period.as_ref().and_then(|p| local(&p.end)),
            facility: self.name_of(&e.service_provider),
            class: match e.class.as_ref().and_then(|c| c.code.as_deref()) {
                Some("AMB") => VisitClass::Outpatient,
                Some("IMP" | "ACUTE" | "NONAC") => VisitClass::Inpatient,
                Some("EMER") => VisitClass::Emergency,
                _ => VisitClass::Other,
            },
            type_text: e.kind.first().and_then(Concept::label),
            main_diagnosis: main,
        }
    }

    /// The visits, newest first, filtered by year and facility.
    pub fn visits(&self, year: Option<i32>, facility: Option<&str>) -> VisitList {
        let all: Vec<VisitSummary> = self.encounters.iter().map(|e| self.summary(e)).collect();
        let years: BTreeSet<i32> = all
            .iter()
            .filter_map(|v| v.start.map(|s| chrono::Datelike::year(&s)))
            .collect();
        let facilities: BTreeSet<String> = all.iter().filter_map(|v| v.facility.clone()).collect();
        let visits = all
            .into_iter()
            .filter(|v| {
                year.is_none_or(|y| v.start.is_some_and(|s| chrono::Datelike::year(&s) == y))
            })
            .filter(|v| facility.is_none_or(|f| v.facility.as_deref() == Some(f)))
            .collect();
        VisitList {
            visits,
            years: years.into_iter().rev().collect(),
            facilities: facilities.into_iter().collect(),
            skipped: self.skipped,
        }
    }

    /// One visit in full; `None` when the record has no such visit.
    pub fn visit(&self, id: &str) -> Option<Visit> {
        let e = self.encounters.iter().find(|e| e.id == id)?;
        let key = format!("Encounter/{id}");
        let of_visit =
            |r: &Option<Reference>| r.as_ref().and_then(Reference::key).as_deref() == Some(&key);
        let ranks: HashMap<String, u32> = e
            .diagnosis
            .iter()
            .filter_map(|d| Some((d.condition.key()?, d.rank.unwrap_or(99))))
            .collect();
        let mut diagnoses: Vec<(u32, Diagnosis)> = self
            .conditions
            .iter()
            .filter(|c| {
                of_visit(&c.encounter) || ranks.contains_key(&format!("Condition/{}", c.id))
            })
            .map(|c| {
                let rank = ranks
                    .get(&format!("Condition/{}", c.id))
                    .copied()
                    .unwrap_or(99);
                (rank, diagnosis(c, rank == 1))
            })
            .collect();
        diagnoses.sort_by_key(|(rank, _)| *rank);
        let prescriptions = self
            .requests
            .iter()
            .filter(|m| of_visit(&m.encounter))
            .map(|m| {
                let quantity = m
                    .dispense_request
                    .as_ref()
                    .and_then(|d| d.quantity.as_ref())
                    .and_then(|q| {
                        let v = q.value?;
                        Some(match q.unit() {
                            Some(u) => format!("{} {u}", number(v)),
                            None => number(v),
                        })
                    });
                let date = m.authored_on.as_deref().and_then(date_of);
                medicine(
                    &m.medication_codeable_concept,
                    &m.dosage_instruction,
                    quantity,
                    date,
                )
            })
            .collect();
        let results: Vec<(bool, LabResult)> = self
            .observations
            .iter()
            .filter(|o| of_visit(&o.encounter))
            .filter(|o| !matches!(o.status.as_deref(), Some("entered-in-error" | "cancelled")))
            .map(|o| (is_vital(o), self.result(o)))
            .collect();
        let (vitals, labs): (Vec<_>, Vec<_>) = results.into_iter().partition(|(v, _)| *v);
        let procedures = self
            .procedures
            .iter()
            .filter(|p| of_visit(&p.encounter))
            .filter(|p| p.status.as_deref() != Some("entered-in-error"))
            .map(|p| ProcedureInfo {
                name: p
                    .code
                    .as_ref()
                    .and_then(Concept::label)
                    .unwrap_or_else(|| "—".into()),
                date: local(&p.performed_date_time)
                    .or_else(|| p.performed_period.as_ref().and_then(|x| local(&x.start))),
            })
            .collect();
        let referrals = self
            .referrals
            .iter()
            .filter(|s| of_visit(&s.encounter))
            .filter(|s| s.status.as_deref() != Some("entered-in-error"))
            .map(|s| Referral {
                to: s
                    .performer
                    .first()
                    .and_then(|p| self.name_of(&Some(p.clone()))),
                reason: s
                    .reason_code
                    .first()
                    .and_then(Concept::label)
                    .or_else(|| s.code.as_ref().and_then(Concept::label)),
                date: s.authored_on.as_deref().and_then(date_of),
            })
            .collect();
        let reexams = self
            .appointments
            .iter()
            .filter(|a| {
                a.supporting_information
                    .iter()
                    .any(|r| r.key().as_deref() == Some(&key))
            })
            .map(|a| self.appointment(a))
            .collect();
        let documents = self
            .documents
            .iter()
            .filter(|d| {
                d.context
                    .as_ref()
                    .is_some_and(|c| c.encounter.iter().any(|r| r.key().as_deref() == Some(&key)))
            })
            .filter_map(document)
            .collect();
        Some(Visit {
            summary: self.summary(e),
            ma_lk: e
                .identifier
                .iter()
                .find(|i| i.system.as_deref() == Some(MA_LK))
                .and_then(|i| i.value.clone()),
            reason: e.reason_code.first().and_then(Concept::label),
            diagnoses: diagnoses.into_iter().map(|(_, d)| d).collect(),
            prescriptions,
            labs: labs.into_iter().map(|(_, r)| r).collect(),
            vitals: vitals.into_iter().map(|(_, r)| r).collect(),
            procedures,
            referrals,
            reexams,
            documents,
            skipped: self.skipped,
        })
    }

    fn result(&self, o: &Observation) -> LabResult {
        let held = o.meta.held() || self.held_reports.contains(&format!("Observation/{}", o.id));
        let name = o
            .code
            .display_in(LOINC)
            .map(str::to_owned)
            .or_else(|| o.code.label())
            .unwrap_or_else(|| "—".into());
        let code = o
            .code
            .code_in(LOINC)
            .or_else(|| o.code.first_code())
            .map(str::to_owned);
        let (value, numeric, unit) = if let Some(q) = &o.value_quantity {
            (q.value.map(number), q.value, q.unit())
        } else if !o.component.is_empty() {
            // Blood pressure and the like: the parts joined, in the source's order.
            let parts: Vec<String> = o
                .component
                .iter()
                .filter_map(|c| c.value_quantity.as_ref()?.value.map(number))
                .collect();
            let unit = o
                .component
                .iter()
                .find_map(|c| c.value_quantity.as_ref().and_then(Quantity::unit));
            ((!parts.is_empty()).then(|| parts.join("/")), None, unit)
        } else if let Some(s) = &o.value_string {
            (Some(s.clone()), None, None)
        } else {
            (
                o.value_codeable_concept.as_ref().and_then(Concept::label),
                None,
                None,
            )
        };
        let range = o.reference_range.first().and_then(|r| {
            r.text.clone().or_else(|| {
                let low = r.low.as_ref().and_then(|q| q.value);
                let high = r.high.as_ref().and_then(|q| q.value);
                match (low, high) {
                    (Some(l), Some(h)) => Some(format!("{} – {}", number(l), number(h))),
                    (Some(l), None) => Some(format!("≥ {}", number(l))),
                    (None, Some(h)) => Some(format!("≤ {}", number(h))),
                    (None, None) => None,
                }
            })
        });
        let flag = o.interpretation.iter().find_map(|i| {
            if i.has_code("H") || i.has_code("HH") || i.has_code("HU") {
                Some(Flag::High)
            } else if i.has_code("L") || i.has_code("LL") || i.has_code("LU") {
                Some(Flag::Low)
            } else if i.has_code("N") {
                Some(Flag::Normal)
            } else if i.has_code("A") || i.has_code("AA") {
                Some(Flag::Abnormal)
            } else {
                None
            }
        });
        let date = local(&o.effective_date_time).or_else(|| local(&o.issued));
        if held {
            return LabResult {
                code,
                name,
                value: None,
                numeric: None,
                unit: None,
                range: None,
                flag: None,
                held: true,
                note: None,
                date,
            };
        }
        LabResult {
            code,
            name,
            value,
            numeric,
            unit,
            range,
            flag,
            held: false,
            note: o.note.iter().find_map(|n| n.text.clone()),
            date,
        }
    }

    /// One lab test over time (results held back are left out of the chart).
    pub fn lab_series(&self, code: &str) -> LabSeries {
        let labs: Vec<LabResult> = self
            .observations
            .iter()
            .filter(|o| !is_vital(o))
            .filter(|o| !matches!(o.status.as_deref(), Some("entered-in-error" | "cancelled")))
            .map(|o| self.result(o))
            .filter(|r| r.numeric.is_some() && r.code.is_some())
            .collect();
        let mut counts: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for r in &labs {
            let e = counts
                .entry(r.code.clone().unwrap_or_default())
                .or_insert_with(|| (r.name.clone(), 0));
            e.1 += 1;
        }
        let mut tests: Vec<LabTest> = counts
            .into_iter()
            .map(|(code, (name, count))| LabTest { code, name, count })
            .collect();
        tests.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let chosen = if code.is_empty() {
            tests.first().map(|t| t.code.clone()).unwrap_or_default()
        } else {
            code.to_string()
        };
        let mut points: Vec<LabResult> = labs
            .into_iter()
            .filter(|r| r.code.as_deref() == Some(chosen.as_str()))
            .collect();
        points.sort_by_key(|r| r.date);
        let name = tests
            .iter()
            .find(|t| t.code == chosen)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        LabSeries {
            unit: points.iter().find_map(|p| p.unit.clone()),
            code: chosen,
            name,
            points,
            tests,
            skipped: self.skipped,
        }
    }

    /// Vaccinations against the schedule (computed from the birth date).
    pub fn vaccinations(&self, schedule: &Schedule, today: NaiveDate) -> Vaccinations {
        let given: Vec<&Immunization> = self
            .immunizations
            .iter()
            .filter(|i| i.status.as_deref().is_none_or(|s| s == "completed"))
            .collect();
        let records: Vec<immunization::Given> = given
            .iter()
            .map(|i| immunization::Given {
                cvx: i
                    .vaccine_code
                    .coding
                    .iter()
                    .filter(|c| c.system.as_deref() == Some(CVX))
                    .filter_map(|c| c.code.clone())
                    .collect(),
                dose: i.protocol_applied.first().and_then(|p| {
                    p.dose_number_positive_int
                        .or_else(|| p.dose_number_string.as_deref()?.trim().parse().ok())
                }),
                date: i.occurrence_date_time.as_deref().and_then(date_of),
            })
            .collect();
        let done_dose =
            |i: &Immunization, dose: Option<u32>, vaccine: String, vaccine_en: String| Dose {
                vaccine,
                vaccine_en,
                dose,
                state: DoseState::Done,
                date: i.occurrence_date_time.as_deref().and_then(date_of),
                place: self.name_of(&i.location),
                lot: i.lot_number.clone(),
                due_from: None,
                due_until: None,
            };
        let mut summary = VaccinationSummary::default();
        let (doses, other) = match self.birthdate() {
            Some(birth) => {
                let (standings, outside) = immunization::assess(
                    schedule,
                    birth,
                    self.patient.gender.as_deref(),
                    &records,
                    today,
                );
                let doses = standings
                    .into_iter()
                    .map(|(k, standing)| {
                        let s = &schedule.doses[k];
                        let (from, until) = (s.from.from_birth(birth), s.until.from_birth(birth));
                        let mut d = match standing {
                            Standing::Done(i) => {
                                summary.done += 1;
                                done_dose(
                                    given[i],
                                    Some(s.dose),
                                    s.vaccine.clone(),
                                    s.vaccine_en.clone(),
                                )
                            }
                            other => Dose {
                                vaccine: s.vaccine.clone(),
                                vaccine_en: s.vaccine_en.clone(),
                                dose: Some(s.dose),
                                state: match other {
                                    Standing::Due => {
                                        summary.due += 1;
                                        DoseState::Due
                                    }
                                    Standing::Overdue => {
                                        summary.overdue += 1;
                                        DoseState::Overdue
                                    }
                                    _ => DoseState::Upcoming,
                                },
                                date: None,
                                place: None,
                                lot: None,
                                due_from: None,
                                due_until: None,
                            },
                        };
                        d.due_from = Some(from);
                        d.due_until = Some(until);
                        d
                    })
                    .collect();
                (doses, outside)
            }
            None => (Vec::new(), (0..given.len()).collect()),
        };
        let other = other
            .into_iter()
            .map(|i| {
                let name = given[i].vaccine_code.label().unwrap_or_else(|| "—".into());
                summary.done += 1;
                done_dose(given[i], records[i].dose, name.clone(), name)
            })
            .collect();
        Vaccinations {
            birthdate: self.birthdate(),
            schedule: doses,
            other,
            summary,
            skipped: self.skipped,
        }
    }

    /// A document of the record by id, with its source URL (`Binary/…`) and media type.
    pub fn document(&self, id: &str) -> Option<(DocumentInfo, String, String)> {
        let d = self.documents.iter().find(|d| d.id == id)?;
        let info = document(d)?;
        let att = &d.content.first()?.attachment;
        Some((
            info,
            att.url.clone()?,
            att.content_type
                .clone()
                .unwrap_or_else(|| "application/pdf".into()),
        ))
    }

    /// Electronic birth certificates in the record (for the birth-registration form).
    pub fn birth_certificates(&self) -> Vec<BirthCertificateOffer> {
        self.documents
            .iter()
            .filter(|d| d.status.as_deref() != Some("entered-in-error"))
            .filter(|d| {
                d.kind
                    .as_ref()
                    .is_some_and(|k| k.has_code(BIRTH_CERTIFICATE))
            })
            .filter_map(|d| {
                let ext = |name: &str| {
                    d.extension
                        .iter()
                        .find(|e| e.url == format!("{GCS_EXT}{name}"))
                };
                Some(BirthCertificateOffer {
                    id: d.id.clone(),
                    number: d.identifier.first().and_then(|i| i.value.clone()),
                    born_at: ext("ngay-sinh").and_then(|e| local(&e.value_date_time)),
                    sex: ext("gioi-tinh").and_then(|e| e.value_code.clone()),
                    weight_grams: ext("can-nang").and_then(|e| e.value_quantity.as_ref()?.value),
                    place: ext("noi-sinh").and_then(|e| e.value_string.clone()),
                    facility: self.name_of(&d.custodian),
                    issued: d.date.as_deref().and_then(date_of),
                    title: document(d)?.title,
                })
            })
            .collect()
    }
}

/// Whether the pages can read `v`: the export leaves out what the pages cannot show.
pub fn readable(v: &Value) -> bool {
    fn reads<T: serde::de::DeserializeOwned>(v: &Value) -> bool {
        T::deserialize(v).is_ok()
    }
    if !v["id"].is_string() {
        return false;
    }
    match v["resourceType"].as_str() {
        Some("Patient" | "Practitioner") => reads::<Patient>(v),
        Some("Coverage") => reads::<Coverage>(v),
        Some("Encounter") => reads::<Encounter>(v),
        Some("Condition") => reads::<Condition>(v),
        Some("Observation") => reads::<Observation>(v),
        Some("DiagnosticReport") => reads::<DiagnosticReport>(v),
        Some("MedicationRequest") => reads::<MedicationRequest>(v),
        Some("MedicationStatement") => reads::<MedicationStatement>(v),
        Some("Immunization") => reads::<Immunization>(v),
        Some("AllergyIntolerance") => reads::<AllergyIntolerance>(v),
        Some("DocumentReference") => reads::<DocumentReference>(v),
        Some("ServiceRequest") => reads::<ServiceRequest>(v),
        Some("Appointment") => reads::<AppointmentRes>(v),
        Some("Procedure") => reads::<Procedure>(v),
        Some("Organization" | "Location") => reads::<Named>(v),
        Some(_) => true,
        None => false,
    }
}

/// `Type/id` of every resource the source holds back from the patient: those marked `NOPAT`
/// and the results of a report so marked.
pub fn held_keys(resources: &[Value]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for v in resources {
        let Ok(meta) = Meta::deserialize(&v["meta"]) else {
            continue;
        };
        if !meta.held() {
            continue;
        }
        if let (Some(ty), Some(id)) = (v["resourceType"].as_str(), v["id"].as_str()) {
            out.insert(format!("{ty}/{id}"));
        }
        if let Ok(r) = DiagnosticReport::deserialize(v) {
            out.extend(r.result.iter().filter_map(Reference::key));
        }
    }
    out
}

fn document(d: &DocumentReference) -> Option<DocumentInfo> {
    if matches!(d.status.as_deref(), Some("entered-in-error" | "superseded")) {
        return None;
    }
    let att = &d.content.first()?.attachment;
    att.url.as_ref()?;
    let kind = d.kind.as_ref();
    let kind_code = match kind {
        Some(k) if k.has_code("34133-9") => "visit_summary",
        Some(k) if k.has_code("57133-1") => "referral",
        Some(k) if k.has_code("18842-5") => "discharge",
        Some(k) if k.has_code(BIRTH_CERTIFICATE) => "birth_certificate",
        _ => "other",
    };
    Some(DocumentInfo {
        id: d.id.clone(),
        title: att
            .title
            .clone()
            .or_else(|| d.description.clone())
            .or_else(|| kind.and_then(Concept::label))
            .unwrap_or_else(|| "Tài liệu".into()),
        kind: kind_code.into(),
        date: d.date.as_deref().and_then(date_of),
        size: att.size,
    })
}

/// A medicine as prescribed or taken: the dosage text is the doctor's, verbatim.
fn medicine(
    concept: &Option<Concept>,
    dosage: &[Dosage],
    quantity: Option<String>,
    date: Option<NaiveDate>,
) -> Medicine {
    Medicine {
        name: concept
            .as_ref()
            .and_then(Concept::label)
            .unwrap_or_else(|| "—".into()),
        dosage: dosage.first().and_then(|d| d.text.clone()),
        route: dosage
            .first()
            .and_then(|d| d.route.as_ref().and_then(Concept::label)),
        quantity,
        date,
    }
}

fn diagnosis(c: &Condition, main: bool) -> Diagnosis {
    let code = c.code.as_ref();
    Diagnosis {
        code: code.and_then(|k| k.code_in(ICD10)).map(str::to_owned),
        name: code
            .and_then(|k| k.display_in(ICD10).map(str::to_owned).or_else(|| k.label()))
            .unwrap_or_else(|| "—".into()),
        main,
        onset: c
            .onset_date_time
            .as_deref()
            .or(c.recorded_date.as_deref())
            .and_then(date_of),
        note: c.note.iter().find_map(|n| n.text.clone()),
    }
}

fn is_vital(o: &Observation) -> bool {
    o.category.iter().any(|c| c.has_code("vital-signs"))
}

fn name_text(n: &HumanName) -> Option<String> {
    n.text.clone().or_else(|| {
        let mut parts: Vec<&str> = n.family.as_deref().into_iter().collect();
        parts.extend(n.given.iter().map(String::as_str));
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// A card number with all but its last four characters hidden.
fn mask_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    "•".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// A number as a person writes it: no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Hà Nội's offset: FHIR times are shown in local time.
fn hanoi() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("offset")
}

/// A FHIR `dateTime` (or `date`) in Hà Nội local time.
fn local(s: &Option<String>) -> Option<NaiveDateTime> {
    let s = s.as_deref()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&hanoi()).naive_local());
    }
    date_of(s).map(|d| d.and_time(NaiveTime::MIN))
}

/// The date part of a FHIR `date` or `dateTime` (a year-month gives its first day).
fn date_of(s: &str) -> Option<NaiveDate> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&hanoi()).date_naive());
    }
    let s = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subject() -> HealthSubject {
        HealthSubject {
            id: SELF.into(),
            name: "Nguyễn Văn An".into(),
            relationship: SELF.into(),
            birthdate: None,
        }
    }

    fn schedule() -> Schedule {
        Schedule::parse(include_str!("../../data/immunization-schedule.json")).unwrap()
    }

    fn record() -> Record {
        Record::read(vec![
            json!({"resourceType": "Patient", "id": "p", "birthDate": "1989-03-14", "gender": "male",
                   "name": [{"family": "Nguyễn", "given": ["Văn", "An"]}],
                   "identifier": [{"system": CCCD, "value": "001089012345"}],
                   "text": {"div": "<div><script>alert(1)</script></div>"}}),
            json!({"resourceType": "Organization", "id": "bm", "name": "Bệnh viện Bạch Mai"}),
            json!({"resourceType": "Encounter", "id": "e1", "class": {"code": "AMB"},
                   "period": {"start": "2024-03-05T01:30:00Z", "end": "2024-03-05T03:00:00Z"},
                   "serviceProvider": {"reference": "Organization/bm"},
                   "diagnosis": [{"condition": {"reference": "Condition/c2"}, "rank": 2},
                                 {"condition": {"reference": "Condition/c1"}, "rank": 1}]}),
            json!({"resourceType": "Encounter", "id": "e0", "class": {"code": "EMER"},
                   "period": {"start": "2019-01-05T22:00:00+07:00"}}),
            json!({"resourceType": "Condition", "id": "c1", "encounter": {"reference": "Encounter/e1"},
                   "code": {"coding": [{"system": ICD10, "code": "E11.9", "display": "Bệnh đái tháo đường type 2"}]}}),
            json!({"resourceType": "Condition", "id": "c2", "encounter": {"reference": "Encounter/e1"},
                   "code": {"coding": [{"system": ICD10, "code": "I10", "display": "Tăng huyết áp vô căn"}]}}),
            json!({"resourceType": "Observation", "id": "o1", "status": "final",
                   "encounter": {"reference": "http://x/fhir/Encounter/e1"},
                   "code": {"coding": [{"system": LOINC, "code": "4548-4", "display": "HbA1c"}]},
                   "valueQuantity": {"value": 7.20, "unit": "%"},
                   "referenceRange": [{"low": {"value": 4.0}, "high": {"value": 6.0}}],
                   "interpretation": [{"coding": [{"code": "H"}]}],
                   "effectiveDateTime": "2024-03-05T08:00:00+07:00"}),
            json!({"resourceType": "Observation", "id": "o2", "status": "final",
                   "encounter": {"reference": "Encounter/e1"},
                   "code": {"coding": [{"system": LOINC, "code": "2160-0", "display": "Creatinine"}]},
                   "valueQuantity": {"value": 88, "unit": "umol/L"}}),
            json!({"resourceType": "Observation", "id": "o3", "status": "final",
                   "meta": {"security": [{"code": "NOPAT"}]},
                   "encounter": {"reference": "Encounter/e1"},
                   "code": {"coding": [{"system": LOINC, "code": "2857-1", "display": "PSA"}]},
                   "valueQuantity": {"value": 9.5, "unit": "ng/mL"}}),
            json!({"resourceType": "Observation", "id": "bad", "encounter": {"reference": "Encounter/e1"},
                   "code": {"text": "Glucose"}, "valueQuantity": {"value": "7,2"}}),
            json!({"resourceType": "MedicationRequest", "id": "m1", "encounter": {"reference": "Encounter/e1"},
                   "medicationCodeableConcept": {"text": "Metformin 500mg"},
                   "dosageInstruction": [{"text": "2 viên/lần _ 2 lần/ngày _ 30 ngày"}],
                   "dispenseRequest": {"quantity": {"value": 120, "unit": "viên"}}}),
        ])
        .unwrap()
    }

    #[test]
    fn a_visit_shows_what_the_source_says_and_nothing_more() {
        let r = record();
        assert_eq!(r.skipped, 1, "the malformed value is counted, not dropped");
        let v = r.visit("e1").unwrap();
        assert_eq!(v.summary.facility.as_deref(), Some("Bệnh viện Bạch Mai"));
        assert_eq!(
            v.summary.start.unwrap().to_string(),
            "2024-03-05 08:30:00",
            "times in Hà Nội time"
        );
        let codes: Vec<_> = v
            .diagnoses
            .iter()
            .map(|d| (d.code.as_deref(), d.main))
            .collect();
        assert_eq!(codes, [(Some("E11.9"), true), (Some("I10"), false)]);
        assert_eq!(
            v.prescriptions[0].dosage.as_deref(),
            Some("2 viên/lần _ 2 lần/ngày _ 30 ngày")
        );
        assert_eq!(v.prescriptions[0].quantity.as_deref(), Some("120 viên"));
        let hba1c = &v.labs[0];
        assert_eq!(hba1c.value.as_deref(), Some("7.2"));
        assert_eq!(hba1c.range.as_deref(), Some("4 – 6"));
        assert_eq!(hba1c.flag, Some(Flag::High));
        let creat = &v.labs[1];
        assert_eq!(creat.range, None, "no range invented");
        assert_eq!(creat.flag, None);
        let psa = &v.labs[2];
        assert!(psa.held && psa.value.is_none() && psa.numeric.is_none());
        assert!(r.visit("e9").is_none());
    }

    #[test]
    fn visits_come_newest_first_and_filter_by_year_and_facility() {
        let r = record();
        let all = r.visits(None, None);
        assert_eq!(
            all.visits.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
            ["e1", "e0"]
        );
        assert_eq!(all.years, [2024, 2019]);
        assert_eq!(all.facilities, ["Bệnh viện Bạch Mai"]);
        assert_eq!(r.visits(Some(2019), None).visits.len(), 1);
        assert_eq!(
            r.visits(None, Some("Bệnh viện Bạch Mai")).visits[0].id,
            "e1"
        );
        assert_eq!(all.visits[1].class, VisitClass::Emergency);
    }

    #[test]
    fn the_overview_masks_the_id_number_and_the_series_leaves_out_held_results() {
        let r = record();
        let o = r.overview(
            subject(),
            &schedule(),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        );
        assert_eq!(o.cccd_masked.as_deref(), Some("001*******45"));
        assert_eq!(o.name, "Nguyễn Văn An");
        assert_eq!(o.visit_count, 2);
        let s = r.lab_series("");
        assert_eq!(s.points.len(), 1);
        assert!(
            s.tests.iter().all(|t| t.code != "2857-1"),
            "held results are not charted"
        );
        assert_eq!(mask_number("001089012345"), "••••••••2345");
    }

    #[test]
    fn a_record_without_a_patient_is_no_record() {
        assert!(Record::read(vec![json!({"resourceType": "Encounter", "id": "e"})]).is_none());
    }
}
