//! Everything with I/O. Compiled only with the `ssr` feature, never into the wasm build.

pub mod auth;
pub mod clamd;
pub mod clock;
pub mod config;
pub mod console;
pub mod ctx;
pub mod db;
pub mod ehr;
pub mod fhir_export;
pub mod fhir_view;
pub mod files;
pub mod filing;
pub mod health;
pub mod health_pdf;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod pause;
pub mod payment;
pub mod pdf;
pub mod pdf_check;
pub mod policy;
pub mod rate_limit;
pub mod receipt;
pub mod s3;
pub mod seed;
pub mod shl;
pub mod slips;
pub mod state;
pub mod telemetry;
pub mod uploads;

pub use state::AppState;

use crate::server::config::Config;
use crate::server::db::Db;
use std::sync::Arc;

/// Selects ring as the TLS crypto provider for outbound calls (identity provider, payment
/// gateway), as sqlx uses. Must run before any HTTP client is built; idempotent.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Connects to the database, applies migrations, imports the data folder if configured, and
/// reads the built app's `index.html`.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    install_crypto();
    config.check()?;
    if config.sandbox {
        tracing::warn!("sandbox mode: the sandbox peers' secrets and demo staff are accepted");
    }
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    tracing::info!(engine = db.engine(), "database ready");
    if config.import_data {
        let data = seed::load(&config.data).map_err(anyhow::Error::msg)?;
        db.import_catalog(&data).await?;
        tracing::info!(
            procedures = data.procedures.len(),
            units = data.units.len(),
            holidays = data.holidays.len(),
            "catalogue imported"
        );
    }
    let index_path = config.dist.join("index.html");
    let index_html: Arc<str> = match std::fs::read_to_string(&index_path) {
        Ok(s) => s.into(),
        Err(e) => {
            tracing::warn!(path = %index_path.display(), error = %e, "app not built; pages answer 503");
            "".into()
        }
    };
    let forms_path = config.dist.join("forms").join("index.html");
    let forms_html: Arc<str> = std::fs::read_to_string(&forms_path)
        .map(Into::into)
        .unwrap_or_else(|_| index_html.clone());
    let files = match &config.files_s3_endpoint {
        Some(endpoint) => uploads::FileStore::S3(s3::S3::new(s3::S3Config {
            endpoint: endpoint.clone(),
            bucket: config.files_s3_bucket.clone(),
            region: config.files_s3_region.clone(),
            access_key: config.files_s3_access_key.clone(),
            secret_key: config.files_s3_secret_key.clone(),
        })?),
        None => uploads::FileStore::local(config.files_dir.clone())?,
    };
    let calendar = Arc::new(db.calendar().await?);
    let schedule_path = config.data.join("immunization-schedule.json");
    let schedule = std::fs::read_to_string(&schedule_path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", schedule_path.display()))
        .and_then(|s| {
            crate::domain::immunization::Schedule::parse(&s)
                .map_err(|e| anyhow::anyhow!("{}: {e}", schedule_path.display()))
        })?;
    let ehr = ehr::Ehr::from_config(&config).map(Arc::new);
    if ehr.is_none() {
        tracing::info!("no health-data service (DVC_EHR_FHIR_BASE): the health record is off");
    }
    let state = AppState {
        calendar,
        db,
        config: Arc::new(config),
        index_html,
        forms_html,
        oidc: Arc::default(),
        files,
        hub: notify::Hub::default(),
        clock: clock::Clock::default(),
        ehr,
        schedule: Arc::new(schedule),
    };
    // Uploads a crash cut short after their last piece are finished before serving.
    uploads::finish_interrupted(&state).await;
    Ok(state)
}

/// Serves `state` on `listener` until SIGTERM/Ctrl-C, then drains in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> anyhow::Result<()> {
    let db = state.db.clone();
    rate_limit::spawn_sweeper(db.clone());
    auth::spawn_sweeper(state.clone());
    uploads::spawn_sweeper(state.clone());
    notify::spawn(state.clone());
    let hub = state.hub.clone();
    let app = http::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        http::shutdown_signal().await;
        // Open event streams would hold the drain forever.
        hub.close();
    })
    .await?;
    db.close().await;
    Ok(())
}
