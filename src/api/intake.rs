//! The resident's consent to a counter intake, given on their own phone: the officer asks for
//! a confirmation (a QR code on the counter screen), the resident opens it signed in with
//! VNeID as the person whose ID number the officer typed, reads the consent and confirms.

use crate::api::AppError;
#[cfg(feature = "ssr")]
use crate::domain::field_error::FieldCode;
use crate::domain::intake::ConsentShown;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The officer asks for a confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAsk {
    /// The counter's ward.
    pub unit: String,
    /// The procedure being filed.
    pub slug: String,
    /// The applicant's ID number, as read from their card.
    pub cccd: String,
}

/// What the counter screen shows: the QR code's address, and until when it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentTicket {
    /// The confirmation's token (sent back with the intake).
    pub token: String,
    /// The address the QR code holds.
    pub url: String,
    /// It can be confirmed until then.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Minutes a confirmation can be given after it was asked for.
pub const CONSENT_MINUTES: i64 = 15;

/// Asks for the applicant's confirmation on their own phone (an officer of the ward only).
#[server(endpoint = "staff/intake/consent", input = Json)]
pub async fn ask_consent(req: ConsentAsk) -> Result<ConsentTicket, AppError> {
    use crate::server::ctx;
    use crate::server::db::intake::IntakeConsent;
    let cx = ctx::request().await?;
    let me = cx.officer_at(&req.unit).await?;
    let cccd = crate::domain::cccd::Cccd::parse(&req.cccd)
        .map_err(|e| AppError::field("cccd", e.code()))?;
    let db = &cx.state.db;
    let procedure = db
        .procedure_by_slug(&req.slug)
        .await
        .or_internal(&cx)?
        .ok_or_else(|| AppError::field("slug", FieldCode::Unknown))?;
    let now = cx.state.clock.now();
    let token = {
        use base64::Engine;
        let bytes: [u8; 24] = rand::random();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let consent = IntakeConsent {
        token: token.clone(),
        unit_code: req.unit.clone(),
        officer_id: me.user_id.clone(),
        cccd: cccd.as_str().to_string(),
        procedure_code: procedure.code.clone(),
        version: crate::domain::intake::CONSENT_VERSION.into(),
        created_at: now,
        expires_at: now + chrono::Duration::minutes(CONSENT_MINUTES),
        confirmed_at: None,
        confirmed_by: None,
        dossier_id: None,
    };
    db.create_intake_consent(&consent).await.or_internal(&cx)?;
    Ok(ConsentTicket {
        url: format!(
            "{}{}",
            cx.state.config.public_origin.trim_end_matches('/'),
            crate::ui::routes::consent(&token)
        ),
        token,
        expires_at: consent.expires_at,
    })
}

/// A confirmation the counter asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRef {
    /// The counter's ward.
    pub unit: String,
    /// The confirmation's token.
    pub token: String,
}

/// Whether the applicant has confirmed yet (the counter screen asks every few seconds).
#[server(endpoint = "staff/intake/consent-status", input = Json)]
pub async fn consent_status(req: ConsentRef) -> Result<bool, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::StaffArea {
        unit: req.unit.clone(),
    })
    .await?;
    let c = cx
        .state
        .db
        .intake_consent(&req.token)
        .await
        .or_internal(&cx)?
        .filter(|c| c.unit_code == req.unit)
        .ok_or(AppError::NotFound)?;
    Ok(c.confirmed_at.is_some())
}

/// A confirmation, by the token in its QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentToken {
    /// The token.
    pub token: String,
}

/// The confirmation the counter asks the caller for: only to the person whose ID number the
/// officer typed, while it can still be given; to anyone else it does not exist.
#[cfg(feature = "ssr")]
async fn own_consent(
    cx: &crate::server::ctx::RequestCtx,
    token: &str,
) -> Result<(crate::server::db::intake::IntakeConsent, ConsentShown), AppError> {
    let me = cx.user()?;
    let db = &cx.state.db;
    if token.len() > 64 {
        return Err(AppError::NotFound);
    }
    let mine = db
        .user(&me.user_id)
        .await
        .or_internal(cx)?
        .and_then(|u| u.cccd);
    let c = db
        .intake_consent(token)
        .await
        .or_internal(cx)?
        .filter(|c| Some(&c.cccd) == mine.as_ref())
        .filter(|c| c.expires_at > cx.state.clock.now() || c.confirmed_at.is_some())
        .ok_or(AppError::NotFound)?;
    let procedure = db
        .procedure_of_code(&c.procedure_code)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)?;
    let unit = db
        .units()
        .await
        .or_internal(cx)?
        .into_iter()
        .find(|u| u.code == c.unit_code);
    let view = ConsentShown {
        procedure_vi: procedure.name_vi,
        procedure_en: procedure.name_en,
        unit_vi: unit.as_ref().map(|u| u.full_name_vi()).unwrap_or_default(),
        unit_en: unit.as_ref().map(|u| u.full_name_en()).unwrap_or_default(),
        version: c.version.clone(),
        confirmed: c.confirmed_at.is_some(),
    };
    Ok((c, view))
}

/// What the counter asks the caller to agree to.
#[server(endpoint = "consent/get", input = Json)]
pub async fn consent_request(req: ConsentToken) -> Result<ConsentShown, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    Ok(own_consent(&cx, &req.token).await?.1)
}

/// The caller agrees (a verified identity, level 2).
#[server(endpoint = "consent/confirm", input = Json)]
pub async fn confirm_consent(req: ConsentToken) -> Result<ConsentShown, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::SubmitDossier).await?;
    let me = cx.user()?;
    let (c, mut view) = own_consent(&cx, &req.token).await?;
    if c.confirmed_at.is_some() {
        return Ok(view);
    }
    let now = cx.state.clock.now();
    let db = &cx.state.db;
    if !db
        .confirm_intake_consent(&c.token, &me.user_id, now)
        .await
        .or_internal(&cx)?
    {
        return Err(AppError::Conflict);
    }
    let event = crate::server::db::audit::AuditEvent {
        actor: Some(me.user_id.clone()),
        actor_role: "resident".into(),
        actor_unit: Some(c.unit_code.clone()),
        action: "intake_consent".into(),
        object: Some(c.token.chars().take(8).collect()),
        outcome: "ok",
        detail: Some(format!("version={}", c.version)),
    };
    db.audit(&event).await.or_internal(&cx)?;
    view.confirmed = true;
    Ok(view)
}
