//! Business rules used by both the browser and the server. Pure code: no I/O, no Leptos.

pub mod act;
pub mod calendar;
pub mod catalog;
pub mod cccd;
pub mod csv;
pub mod dossier_code;
pub mod fhir;
pub mod field_error;
pub mod filing;
pub mod form;
pub mod immunization;
pub mod intake;
pub mod money;
pub mod outbox;
pub mod staff;
pub mod status;
pub mod text;
pub mod tracking;
pub mod upload;
pub mod workflow;
