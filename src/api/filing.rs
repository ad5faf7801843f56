//! Filing online: drafts (server copy for resuming on any device), submission, and the
//! resident's view of a submitted dossier.

use crate::api::AppError;
use crate::domain::filing::{DossierView, Draft, DraftSummary, Saved};
use crate::domain::form::Answers;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Which draft to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRequest {
    /// Procedure slug.
    pub slug: String,
    /// Start a new draft even if one exists.
    pub fresh: bool,
}

/// Opens the caller's latest draft of a procedure, or a new one prefilled from their identity.
#[server(endpoint = "filing/start", input = Json)]
pub async fn start_filing(req: StartRequest) -> Result<Draft, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let (procedure, from_identity) = procedure_and_prefill(&cx, &req.slug, &me.user_id).await?;
    if !req.fresh
        && let Some(d) = db
            .latest_draft(&me.user_id, &procedure.code)
            .await
            .or_internal(&cx)?
    {
        return Ok(Draft { from_identity, ..d });
    }
    let d = db
        .create_draft(
            &me.user_id,
            &procedure.code,
            &from_identity,
            cx.state.clock.now(),
        )
        .await
        .or_internal(&cx)?;
    Ok(Draft { from_identity, ..d })
}

/// A procedure by slug, and its form's answers prefilled from the caller's identity.
#[cfg(feature = "ssr")]
async fn procedure_and_prefill(
    cx: &crate::server::ctx::RequestCtx,
    slug: &str,
    user_id: &str,
) -> Result<(crate::domain::catalog::Procedure, Answers), AppError> {
    let procedure = cx
        .state
        .db
        .procedure_by_slug(slug)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)?;
    let from_identity = procedure
        .form
        .prefill(&identity_profile(cx, user_id).await?);
    Ok((procedure, from_identity))
}

/// What the identity provider gave at the caller's last login, as forms are prefilled from it.
#[cfg(feature = "ssr")]
async fn identity_profile(
    cx: &crate::server::ctx::RequestCtx,
    user_id: &str,
) -> Result<crate::domain::form::Profile, AppError> {
    let db = &cx.state.db;
    let user = db
        .user(user_id)
        .await
        .or_internal(cx)?
        .ok_or(AppError::Unauthenticated)?;
    let (email, phone) = db.user_contact(user_id).await.or_internal(cx)?;
    let address = match &user.address {
        Some(a) => {
            let units = db.units().await.or_internal(cx)?;
            crate::domain::catalog::split_hanoi_address(a, &units)
        }
        None => None,
    };
    Ok(crate::domain::form::Profile {
        name: user.name,
        id_number: user.cccd,
        birth_date: user.birthdate.map(|d| d.format("%Y-%m-%d").to_string()),
        address,
        phone,
        email,
    })
}

/// A draft by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftId {
    /// Draft id.
    pub id: String,
}

/// One of the caller's drafts.
#[server(endpoint = "filing/draft", input = Json)]
pub async fn get_draft(req: DraftId) -> Result<Draft, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let draft = db
        .draft(&me.user_id, &req.id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    let (_, from_identity) = procedure_and_prefill(&cx, &draft.procedure_slug, &me.user_id).await?;
    Ok(Draft {
        from_identity,
        ..draft
    })
}

/// New answers for a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveRequest {
    /// Draft id.
    pub id: String,
    /// Everything typed so far, valid or not.
    pub answers: Answers,
}

/// Saves a draft's answers as typed (autosave). Nothing is validated except the size, so that
/// half-finished or wrong input is never lost; validation happens page by page and at submit.
#[server(endpoint = "filing/save", input = Json)]
pub async fn save_draft(req: SaveRequest) -> Result<Saved, AppError> {
    use crate::server::{ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    rate_limit::check(&cx.state, rate_limit::DRAFT_SAVES_PER_USER, &me.user_id).await?;
    cx.state
        .db
        .save_draft(&me.user_id, &req.id, &req.answers, cx.state.clock.now())
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
}

/// The caller's drafts, newest first.
#[server(endpoint = "filing/drafts", input = Json)]
pub async fn list_drafts() -> Result<Vec<DraftSummary>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    cx.state.db.drafts(&me.user_id).await.or_internal(&cx)
}

/// Deletes one of the caller's drafts.
#[server(endpoint = "filing/delete", input = Json)]
pub async fn delete_draft(req: DraftId) -> Result<(), AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    if cx
        .state
        .db
        .delete_draft(&me.user_id, &req.id)
        .await
        .or_internal(&cx)?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Submit a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitRequest {
    /// Draft id.
    pub draft_id: String,
    /// The draft's idempotency key, as the form received it when it opened.
    pub idempotency_key: String,
}

/// Files the draft as a dossier and returns its code. Validated again here, whatever the
/// browser checked; retried or repeated calls with the same key return the same code.
#[server(endpoint = "filing/submit", input = Json)]
pub async fn submit(req: SubmitRequest) -> Result<String, AppError> {
    use crate::domain::form::check_documents;
    use crate::server::filing::{Applicant, Filing, file_dossier};
    use crate::server::{ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    cx.authorize(Action::SubmitDossier).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let filed = || async {
        db.dossier_by_key(&me.user_id, &req.idempotency_key)
            .await
            .or_internal(&cx)
    };
    // A retry after success: the draft is gone, the dossier is there.
    if let Some(code) = filed().await? {
        return Ok(code);
    }
    rate_limit::check(&cx.state, rate_limit::SUBMIT_PER_USER, &me.user_id).await?;
    let Some(draft) = db
        .draft(&me.user_id, &req.draft_id)
        .await
        .or_internal(&cx)?
    else {
        // A twin request may have filed it (and removed the draft) a moment ago.
        return filed().await?.ok_or(AppError::NotFound);
    };
    if draft.idempotency_key != req.idempotency_key {
        return Err(AppError::Conflict);
    }
    let procedure = db
        .procedure_by_slug(&draft.procedure_slug)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    let uploads = db
        .draft_uploads(&me.user_id, &draft.id)
        .await
        .or_internal(&cx)?;
    let files = |slot: &str| {
        uploads
            .iter()
            .filter(|u| u.slot == slot && u.complete)
            .count()
    };
    let mut found = check_documents(&procedure.form, &draft.answers, &files);
    // Name, ID number and birth date are the identity provider's, not the form's to change.
    let from_identity = procedure
        .form
        .prefill(&identity_profile(&cx, &me.user_id).await?);
    found.extend(
        procedure
            .form
            .check_identity(&draft.answers, &from_identity),
    );
    let user = db
        .user(&me.user_id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::Unauthenticated)?;
    let applicant = user
        .cccd
        .as_deref()
        .and_then(|c| crate::domain::cccd::Cccd::parse(c).ok())
        .map(|cccd| Applicant {
            name: user.name.clone(),
            cccd,
        })
        .ok_or(AppError::StepUpRequired);
    let filing = Filing {
        procedure,
        answers: draft.answers,
        found,
        applicant,
        owner: Some(me.user_id.clone()),
        channel: crate::domain::filing::Channel::Online,
        counter: None,
        idempotency_key: req.idempotency_key.clone(),
        draft_id: Some(draft.id),
    };
    match file_dossier(&cx, filing).await {
        // A twin request may have filed this draft meanwhile (taking its files along).
        Err(AppError::Validation { fields }) => match filed().await? {
            Some(code) => Ok(code),
            None => Err(AppError::Validation { fields }),
        },
        done => done,
    }
}

/// A dossier by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierCodeReq {
    /// Dossier code.
    pub code: String,
}

/// One of the caller's own dossiers, with answers and timeline.
#[server(endpoint = "dossiers/mine/get", input = Json)]
pub async fn own_dossier(req: DossierCodeReq) -> Result<DossierView, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    if req.code.len() > 40 {
        return Err(AppError::NotFound);
    }
    cx.state
        .db
        .own_dossier(&me.user_id, &req.code)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
}

/// Starts paying the fee of one of the caller's dossiers: answers the signed gateway URL to
/// send the browser to. Nothing is marked paid here; only the gateway's notice does that.
#[server(endpoint = "payments/start", input = Json)]
pub async fn start_payment(req: DossierCodeReq) -> Result<String, AppError> {
    use crate::server::payment::{PaymentRequest, payment_url};
    use crate::server::{ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    if req.code.len() > 40 {
        return Err(AppError::NotFound);
    }
    let dossier = db
        .own_dossier(&me.user_id, &req.code)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    let row = db
        .own_work_row(&me.user_id, &req.code)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    // A fee asked for during processing (status 6), else the filing fee, once.
    let (amount, purpose) = match row.payment_due_vnd {
        Some(due)
            if due > 0
                && dossier.status == crate::domain::status::DossierStatus::PaymentRequested =>
        {
            (due, "requested")
        }
        _ => {
            let paid = db.fee_paid(&row.id).await.or_internal(&cx)?;
            if dossier.fee_vnd <= 0 || paid {
                return Err(AppError::Conflict);
            }
            (dossier.fee_vnd, "fee")
        }
    };
    rate_limit::check(&cx.state, rate_limit::PAYMENTS_PER_USER, &me.user_id).await?;
    let now = cx.state.clock.now();
    // A second tab (or a second tap) pays the same order rather than opening another one, as
    // long as the order's page leaves a few minutes to pay.
    let live_since = now - chrono::Duration::minutes(crate::server::payment::PAGE_MINUTES - 3);
    let (payment, created_at) = db
        .payment_attempt(&dossier.code, amount, purpose, live_since, now)
        .await
        .or_internal(&cx)?;
    let return_url = format!(
        "{}{}?thanh-toan=ve",
        cx.state.config.public_origin.trim_end_matches('/'),
        crate::ui::routes::dossier(&dossier.code)
    );
    let info = format!("Le phi ho so {}", dossier.code);
    let ip = cx
        .client_ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    Ok(payment_url(
        &cx.state,
        &PaymentRequest {
            txn_ref: &payment.txn_ref,
            amount_vnd: payment.amount_vnd,
            order_info: &info,
            return_url: &return_url,
            ip: &ip,
            created_at,
        },
    ))
}
