//! Start-up configuration: every flag can also be set by an environment variable.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Server configuration.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    about = "Dịch vụ công Hà Nội — portal server",
    version
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "DVC_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// `sqlite://path/to/file.db` (default, created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://var/dichvucong.db"
    )]
    pub database_url: String,

    /// Maximum database connections of this process.
    #[arg(long, env = "DVC_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// The built app (Trunk's `dist/`).
    #[arg(long, env = "DVC_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Where attached files are kept (outside any served folder).
    #[arg(long, env = "DVC_FILES_DIR", default_value = "var/files")]
    pub files_dir: PathBuf,

    /// S3-compatible endpoint for attached files (e.g. `http://127.0.0.1:9000`); when set,
    /// files go to the bucket instead of `DVC_FILES_DIR`, so several instances share them.
    #[arg(long, env = "DVC_FILES_S3_ENDPOINT")]
    pub files_s3_endpoint: Option<String>,

    /// Bucket for attached files.
    #[arg(long, env = "DVC_FILES_S3_BUCKET", default_value = "dichvucong")]
    pub files_s3_bucket: String,

    /// Region used in S3 signatures.
    #[arg(long, env = "DVC_FILES_S3_REGION", default_value = "us-east-1")]
    pub files_s3_region: String,

    /// S3 access key id.
    #[arg(long, env = "DVC_FILES_S3_ACCESS_KEY", default_value = "")]
    pub files_s3_access_key: String,

    /// S3 secret access key.
    #[arg(
        long,
        env = "DVC_FILES_S3_SECRET_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub files_s3_secret_key: String,

    /// The payment gateway's payment page (VNPay protocol). Default: the local sandbox.
    #[arg(
        long,
        env = "DVC_PAYMENT_URL",
        default_value = "http://127.0.0.1:4020/paymentv2/vpcpay.html"
    )]
    pub payment_gateway_url: String,

    /// Merchant (terminal) code at the payment gateway.
    #[arg(long, env = "DVC_PAYMENT_TMN_CODE", default_value = "DVCHN001")]
    pub payment_tmn_code: String,

    /// Secret shared with the payment gateway for HMAC-SHA512 signatures. The default is the
    /// sandbox's and must be replaced in production.
    #[arg(
        long,
        env = "DVC_PAYMENT_SECRET",
        default_value = "DVCHN-SANDBOX-SECRET",
        hide_env_values = true
    )]
    pub payment_secret: String,

    /// The data folder: catalogue, administrative units, holidays.
    #[arg(long, env = "DVC_DATA", default_value = "data")]
    pub data: PathBuf,

    /// Import the catalogue, units and holidays from the data folder at start-up.
    #[arg(long, env = "DVC_IMPORT_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub import_data: bool,

    /// The public origin the browser uses (scheme://host[:port]); requests that change
    /// anything must come from it.
    #[arg(
        long,
        env = "DVC_PUBLIC_ORIGIN",
        default_value = "http://127.0.0.1:3000"
    )]
    pub public_origin: String,

    /// Log JSON lines instead of text.
    #[arg(long, env = "DVC_LOG_JSON", default_value_t = false, action = clap::ArgAction::Set)]
    pub log_json: bool,

    /// Requests handled at once before new ones are answered 503.
    #[arg(long, env = "DVC_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,

    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "DVC_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Issuer URL of the national OpenID Connect provider (default: the sandbox provider).
    #[arg(long, env = "DVC_OIDC_ISSUER", default_value = "http://127.0.0.1:4010")]
    pub oidc_issuer: String,

    /// Client id registered at the provider.
    #[arg(long, env = "DVC_OIDC_CLIENT_ID", default_value = "dichvucong")]
    pub oidc_client_id: String,

    /// Client secret registered at the provider.
    #[arg(
        long,
        env = "DVC_OIDC_CLIENT_SECRET",
        default_value = "sandbox-secret-change-me",
        hide_env_values = true
    )]
    pub oidc_client_secret: String,

    /// Scopes requested besides `openid`.
    #[arg(long, env = "DVC_OIDC_SCOPES", default_value = "profile vneid")]
    pub oidc_scopes: String,

    /// ID-token claim carrying the personal ID number.
    #[arg(long, env = "DVC_OIDC_CCCD_CLAIM", default_value = "cccd")]
    pub oidc_cccd_claim: String,

    /// `acr` value of identity level 1.
    #[arg(
        long,
        env = "DVC_OIDC_ACR_LEVEL1",
        default_value = "urn:vn:vneid:loa:1"
    )]
    pub oidc_acr_level1: String,

    /// `acr` value of identity level 2.
    #[arg(
        long,
        env = "DVC_OIDC_ACR_LEVEL2",
        default_value = "urn:vn:vneid:loa:2"
    )]
    pub oidc_acr_level2: String,

    /// ID number (CCCD) of the first administrator, made administrator at their first login.
    #[arg(long, env = "DVC_BOOTSTRAP_ADMIN_CCCD")]
    pub bootstrap_admin_cccd: Option<String>,

    /// Staff roles given at login, for demonstrations and tests: `cccd:unit:role`, comma
    /// separated (`001185000111:00070:officer,001080000222:00070:leader`).
    #[arg(long, env = "DVC_DEMO_STAFF", default_value = "")]
    pub demo_staff: String,

    /// SMTP relay (`host:port`) for notification e-mail; none sends no e-mail.
    #[arg(long, env = "DVC_SMTP_ADDR")]
    pub smtp_addr: Option<String>,

    /// Sender of notification e-mail.
    #[arg(
        long,
        env = "DVC_MAIL_FROM",
        default_value = "Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>"
    )]
    pub mail_from: String,

    /// Multiplies the per-address rate limits (sign-in, public look-up): only for load tests
    /// and end-to-end runs where every request comes from one address.
    #[arg(long, env = "DVC_ADDRESS_LIMIT_SCALE", default_value_t = 1)]
    pub address_limit_scale: u32,

    /// Seconds between runs of the deadline job (due-soon and overdue flags).
    #[arg(long, env = "DVC_DEADLINE_EVERY", default_value_t = 60)]
    pub deadline_every_secs: u64,
}

impl Config {
    /// Defaults, as if started with no flags and no environment (for tests).
    pub fn defaults() -> Self {
        Config::parse_from(["server"])
    }
}
