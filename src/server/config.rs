//! Start-up configuration: every flag can also be set by an environment variable.
//!
//! Secrets are [`Secret`]s: their `Debug` output never shows them, so neither a log line nor a
//! panic message can. The sandbox peers' secrets are the defaults, for `scripts/run` and the
//! tests; outside sandbox mode (`DVC_SANDBOX`) the server refuses to start with any of them.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret setting (a key or password), kept in a `secrecy` box: wiped from memory when
/// dropped, and `Debug` says only whether it is set.
#[derive(Clone)]
pub struct Secret(secrecy::SecretString);

impl Secret {
    /// A secret from its value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(secrecy::SecretString::from(value.into()))
    }

    /// The value, for the one place that signs or authenticates with it.
    pub fn expose(&self) -> &str {
        use secrecy::ExposeSecret as _;
        self.0.expose_secret()
    }
}

impl Default for Secret {
    fn default() -> Secret {
        Secret::new("")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.expose().is_empty() {
            "Secret(not set)"
        } else {
            "Secret(***)"
        })
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret::new(s))
    }
}

/// The sandbox payment gateway's secret (`end2end/sandbox/payment.mjs`).
pub const SANDBOX_PAYMENT_SECRET: &str = "DVCHN-SANDBOX-SECRET";
/// The sandbox identity provider's client secret (`end2end/sandbox/idp.mjs`).
pub const SANDBOX_OIDC_CLIENT_SECRET: &str = "sandbox-secret-change-me";
/// The sandbox health-data service's client secret (`end2end/sandbox/ehr.mjs`).
pub const SANDBOX_EHR_CLIENT_SECRET: &str = "sandbox-ehr-secret";

/// Why the configuration cannot be used (printed at start-up; never contains a secret).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Sandbox values outside sandbox mode.
    #[error(
        "refusing to start: {0} still hold the sandbox's value (set real secrets, or DVC_SANDBOX=true for development and tests only)"
    )]
    SandboxSecret(String),
    /// Settings that only make sense in sandbox mode.
    #[error("refusing to start: {0} is for demonstrations and tests only (set DVC_SANDBOX=true)")]
    SandboxOnly(&'static str),
}

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
        hide_env_values = true,
        hide_default_value = true
    )]
    pub files_s3_secret_key: Secret,

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
    /// sandbox's, accepted only in sandbox mode.
    #[arg(
        long,
        env = "DVC_PAYMENT_SECRET",
        default_value = SANDBOX_PAYMENT_SECRET,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub payment_secret: Secret,

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

    /// Client secret registered at the provider. The default is the sandbox provider's,
    /// accepted only in sandbox mode.
    #[arg(
        long,
        env = "DVC_OIDC_CLIENT_SECRET",
        default_value = SANDBOX_OIDC_CLIENT_SECRET,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub oidc_client_secret: Secret,

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

    /// Staff roles given at login, for demonstrations and tests (sandbox mode only):
    /// `cccd:unit:role`, comma separated (`001185000111:00070:officer,001080000222:00070:leader`).
    #[arg(long, env = "DVC_DEMO_STAFF", default_value = "")]
    pub demo_staff: String,

    /// SMTP relay (`host:port`) for notification e-mail; none sends no e-mail.
    #[arg(long, env = "DVC_SMTP_ADDR")]
    pub smtp_addr: Option<String>,

    /// How the connection to the relay is protected: `none` (a relay on this host), `start-tls`
    /// or `tls`.
    #[arg(long, env = "DVC_SMTP_SECURITY", value_enum, default_value = "none")]
    pub smtp_security: crate::server::mail::Security,

    /// User name for the relay's `AUTH` (with `DVC_SMTP_PASSWORD`; needs TLS).
    #[arg(long, env = "DVC_SMTP_USER")]
    pub smtp_user: Option<String>,

    /// Password for the relay's `AUTH`.
    #[arg(long, env = "DVC_SMTP_PASSWORD", default_value = "")]
    pub smtp_password: Secret,

    /// A PEM file with the certificate authority of a private relay's certificate.
    #[arg(long, env = "DVC_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,

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

    /// ClamAV daemon (`host:port`) that scans every uploaded file before it is accepted; none
    /// scans nothing. While it cannot be reached, finished uploads wait in quarantine.
    #[arg(long, env = "DVC_CLAMD_ADDR")]
    pub clamd_addr: Option<String>,

    /// Base URL of the health-data service's FHIR R4 API (e.g. `http://127.0.0.1:4030/fhir`);
    /// none leaves the health record switched off. Called from the server only.
    #[arg(long, env = "DVC_EHR_FHIR_BASE")]
    pub ehr_fhir_base: Option<String>,

    /// OAuth 2.0 token endpoint of the health-data service (client credentials). Default: the
    /// FHIR base's origin with `/oauth/token`.
    #[arg(long, env = "DVC_EHR_TOKEN_URL")]
    pub ehr_token_url: Option<String>,

    /// The portal's client id at the health-data service.
    #[arg(long, env = "DVC_EHR_CLIENT_ID", default_value = "dvc-portal")]
    pub ehr_client_id: String,

    /// The portal's client secret at the health-data service. The default is the sandbox's,
    /// accepted only in sandbox mode.
    #[arg(
        long,
        env = "DVC_EHR_CLIENT_SECRET",
        default_value = SANDBOX_EHR_CLIENT_SECRET,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub ehr_client_secret: Secret,

    /// Milliseconds the health-data service may take for one record before the resident is
    /// told to try again later.
    #[arg(long, env = "DVC_EHR_TIMEOUT_MS", default_value_t = 4000)]
    pub ehr_timeout_ms: u64,

    /// Seconds after a login during which the health record opens (step-up beyond that).
    #[arg(long, env = "DVC_HEALTH_FRESH_SECS", default_value_t = 600)]
    pub health_fresh_secs: i64,

    /// Seconds the health record stays open without a read, once a recent login opened it.
    #[arg(long, env = "DVC_HEALTH_IDLE_SECS", default_value_t = 900)]
    pub health_idle_secs: i64,

    /// Seconds the health record stays open at most after it opened (exports and share
    /// links always need a login within `DVC_HEALTH_FRESH_SECS`).
    #[arg(long, env = "DVC_HEALTH_OPEN_SECS", default_value_t = 3600)]
    pub health_open_secs: i64,

    /// A child's record is open to a parent the identity provider names until this age.
    #[arg(long, env = "DVC_HEALTH_CHILD_MAX_AGE", default_value_t = 14)]
    pub health_child_max_age: i32,

    /// The shortest expiry a share link may be given, in seconds.
    #[arg(long, env = "DVC_HEALTH_SHARE_MIN_SECS", default_value_t = 3600)]
    pub health_share_min_secs: i64,

    /// Wrong passcodes a share link survives over its whole life.
    #[arg(long, env = "DVC_HEALTH_SHARE_ATTEMPTS", default_value_t = 10)]
    pub health_share_attempts: i64,

    /// Crash tests only (sandbox mode): stop at this point of a code path until killed
    /// (`src/server/pause.rs`).
    #[arg(long, env = "DVC_TEST_PAUSE_AT", hide = true)]
    pub test_pause_at: Option<String>,

    /// Sandbox mode, for development and tests: accepts the sandbox peers' secrets and demo
    /// staff roles. Never in production.
    #[arg(long, env = "DVC_SANDBOX", default_value_t = false, action = clap::ArgAction::Set)]
    pub sandbox: bool,
}

impl Config {
    /// How long the health record stays open in a session.
    pub fn health_window(&self) -> crate::server::policy::HealthWindow {
        crate::server::policy::HealthWindow {
            fresh_secs: self.health_fresh_secs,
            idle_secs: self.health_idle_secs,
            open_secs: self.health_open_secs,
        }
    }

    /// Defaults, as if started with no flags and no environment (for tests).
    pub fn defaults() -> Self {
        Config::parse_from(["server"])
    }

    /// Refuses what only the sandbox may use: the sandbox peers' secrets, demo staff roles.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.sandbox {
            return Ok(());
        }
        let sandbox_values: Vec<&str> = [
            (
                "DVC_PAYMENT_SECRET",
                self.payment_secret.expose() == SANDBOX_PAYMENT_SECRET
                    || self.payment_secret.expose().is_empty(),
            ),
            (
                "DVC_OIDC_CLIENT_SECRET",
                self.oidc_client_secret.expose() == SANDBOX_OIDC_CLIENT_SECRET,
            ),
            (
                "DVC_EHR_CLIENT_SECRET",
                self.ehr_fhir_base.is_some()
                    && self.ehr_client_secret.expose() == SANDBOX_EHR_CLIENT_SECRET,
            ),
        ]
        .into_iter()
        .filter_map(|(name, sandbox)| sandbox.then_some(name))
        .collect();
        if !sandbox_values.is_empty() {
            return Err(ConfigError::SandboxSecret(sandbox_values.join(" and ")));
        }
        if !self.demo_staff.trim().is_empty() {
            return Err(ConfigError::SandboxOnly("DVC_DEMO_STAFF"));
        }
        if self.test_pause_at.is_some() {
            return Err(ConfigError::SandboxOnly("DVC_TEST_PAUSE_AT"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let mut c = Config::defaults();
        c.payment_secret = Secret::new("pay-9f8e7d");
        c.oidc_client_secret = Secret::new("oidc-1a2b3c");
        c.files_s3_secret_key = Secret::new("s3-4d5e6f");
        let shown = format!("{c:?} {c:#?}");
        for secret in ["pay-9f8e7d", "oidc-1a2b3c", "s3-4d5e6f"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("payment_secret: Secret(***)"), "{shown}");
        assert_eq!(format!("{:?}", Secret::default()), "Secret(not set)");
    }

    #[test]
    fn sandbox_secrets_are_refused_outside_sandbox_mode() {
        let c = Config::parse_from(["server"]);
        assert!(!c.sandbox, "sandbox mode is off unless asked for");
        let e = c.check().unwrap_err().to_string();
        assert!(
            e.contains("DVC_PAYMENT_SECRET and DVC_OIDC_CLIENT_SECRET"),
            "{e}"
        );
        assert!(!e.contains(SANDBOX_PAYMENT_SECRET) && !e.contains(SANDBOX_OIDC_CLIENT_SECRET));

        let c = Config::parse_from([
            "server",
            "--payment-secret",
            "real-pay",
            "--oidc-client-secret",
            "real-oidc",
        ]);
        assert!(c.check().is_ok());
        let c = Config::parse_from(["server", "--payment-secret", "real-pay"]);
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("DVC_OIDC_CLIENT_SECRET")
        );
        let c = Config::parse_from([
            "server",
            "--payment-secret",
            "",
            "--oidc-client-secret",
            "real-oidc",
        ]);
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("DVC_PAYMENT_SECRET"),
            "an empty key signs nothing"
        );

        let c = Config::parse_from([
            "server",
            "--payment-secret",
            "real-pay",
            "--oidc-client-secret",
            "real-oidc",
            "--demo-staff",
            "001185000111:00070:officer",
        ]);
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("DVC_DEMO_STAFF")
        );

        let c = Config::parse_from([
            "server",
            "--sandbox",
            "true",
            "--demo-staff",
            "001185000111:00070:officer",
        ]);
        assert!(c.check().is_ok());
    }
}
