//! The portal server: `server --help` lists every setting (each also an environment variable).

use clap::Parser;
use dichvucong::server::{self, config::Config, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::install_crypto();
    let config = Config::parse();
    telemetry::init(config.log_json);
    config.check()?;
    if let Some(point) = &config.test_pause_at {
        server::pause::arm(point).map_err(anyhow::Error::msg)?;
    }
    let bind = config.bind;
    let state = server::build_state(config).await?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(
        "Dịch vụ công Hà Nội listening on http://{}",
        listener.local_addr()?
    );
    server::serve(listener, state).await
}
