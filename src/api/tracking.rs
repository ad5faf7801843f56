//! Public dossier look-up (the QR code and the "track a dossier" form).

use crate::api::AppError;
use crate::domain::tracking::{TrackQuery, TrackResult};
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Looks a dossier up by its code and the last four digits of the submitter's ID number.
/// Rate limited per address and per code; a wrong suffix answers exactly like an unknown code.
#[server(endpoint = "dossiers/track", input = Json)]
pub async fn track_dossier(query: TrackQuery) -> Result<TrackResult, AppError> {
    use crate::server::{ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    cx.authorize(Action::TrackDossier).await?;
    let (code, suffix) = query
        .validate()
        .map_err(|fields| AppError::Validation { fields })?;
    let ip = cx.client_ip.map(|ip| ip.to_string()).unwrap_or_default();
    let scale = cx.state.config.address_limit_scale.max(1);
    let per_ip = rate_limit::TRACK_PER_IP.scaled(scale);
    // The per-code limit guards one dossier's 4-digit suffix; only a load test lifts it.
    let per_code = rate_limit::TRACK_PER_CODE.scaled(if scale >= 1000 { scale } else { 1 });
    rate_limit::check(&cx.state, per_ip, &ip).await?;
    rate_limit::check(&cx.state, per_code, &code.to_string()).await?;
    cx.state
        .db
        .track_dossier(&code, &suffix)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
}
