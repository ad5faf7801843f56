//! The procedure catalogue: public, read-only.

use crate::api::AppError;
use crate::domain::catalog::{CatalogQuery, Procedure, ProcedureSummary, Sector, Unit};
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Searches the catalogue (diacritic-insensitive) with optional sector and level filters.
#[server(endpoint = "catalog/search", input = Json)]
pub async fn search_procedures(query: CatalogQuery) -> Result<Vec<ProcedureSummary>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ReadCatalog).await?;
    let valid = query
        .validate()
        .map_err(|fields| AppError::Validation { fields })?;
    cx.state.db.search_procedures(&valid).await.or_internal(&cx)
}

/// One procedure by its URL slug.
#[server(endpoint = "catalog/procedure", input = Json)]
pub async fn get_procedure(slug: String) -> Result<Procedure, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ReadCatalog).await?;
    if slug.is_empty()
        || slug.len() > 120
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(AppError::NotFound);
    }
    cx.state
        .db
        .procedure_by_slug(&slug)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
}

/// All sectors with their procedure counts, for the catalogue filter.
#[server(endpoint = "catalog/sectors", input = Json)]
pub async fn list_sectors() -> Result<Vec<Sector>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ReadCatalog).await?;
    cx.state.db.sectors().await.or_internal(&cx)
}

/// Hà Nội's commune-level units (phường and xã).
#[server(endpoint = "catalog/units", input = Json)]
pub async fn list_units() -> Result<Vec<Unit>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ReadCatalog).await?;
    cx.state.db.units().await.or_internal(&cx)
}
