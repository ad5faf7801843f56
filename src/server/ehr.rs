//! The health-data service: a FHIR R4 server the portal calls from the server, with an OAuth
//! 2.0 client-credentials token of its own. Nothing of it reaches the browser: neither its
//! address, nor its token, nor the raw resources.
//!
//! A record is looked up by the resident's ID number as a Patient identifier, then read whole
//! with `Patient/{id}/$everything` (following `next` pages on the same server).

use crate::server::config::{Config, Secret};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Identifier system of the personal ID number (VN Core draft guide).
pub const CCCD_SYSTEM: &str = "http://fhir.hl7.org.vn/core/sid/cccd";

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EhrError {
    /// The service is down, slow or answered something unusable. The text is for the log
    /// (never a health value: only statuses and transport errors).
    #[error("health-data service unavailable: {0}")]
    Unavailable(String),
}

/// The client of the health-data service.
pub struct Ehr {
    http: reqwest::Client,
    base: String,
    token_url: String,
    client_id: String,
    secret: Secret,
    timeout: Duration,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

/// A binary the source holds (a facility's PDF).
pub struct Binary {
    /// Its media type as the source gives it.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Ehr {
    /// The client, when the service is configured.
    pub fn from_config(c: &Config) -> Option<Ehr> {
        let base = c.ehr_fhir_base.as_ref()?.trim_end_matches('/').to_string();
        let token_url = c.ehr_token_url.clone().unwrap_or_else(|| {
            let origin = base
                .find("://")
                .and_then(|i| base[i + 3..].find('/').map(|j| &base[..i + 3 + j]))
                .unwrap_or(&base);
            format!("{origin}/oauth/token")
        });
        let timeout = Duration::from_millis(c.ehr_timeout_ms);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .expect("HTTP client");
        Some(Ehr {
            http,
            base,
            token_url,
            client_id: c.ehr_client_id.clone(),
            secret: c.ehr_client_secret.clone(),
            timeout,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The whole record of the person with this ID number, as the resources of
    /// `Patient/$everything` (the Patient first); `None` when the service has no such person.
    /// Bounded by the configured timeout as a whole.
    pub async fn record(&self, cccd: &str) -> Result<Option<Vec<Value>>, EhrError> {
        tokio::time::timeout(self.timeout, self.record_unbounded(cccd))
            .await
            .map_err(|_| EhrError::Unavailable("timed out".into()))?
    }

    async fn record_unbounded(&self, cccd: &str) -> Result<Option<Vec<Value>>, EhrError> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("identifier", &format!("{CCCD_SYSTEM}|{cccd}"))
            .append_pair("_elements", "id")
            .finish();
        let found = self
            .get_json(&format!("{}/Patient?{query}", self.base))
            .await?
            .ok_or_else(|| EhrError::Unavailable("patient search answered 404".into()))?;
        let ids: Vec<&str> = found["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["resource"]["id"].as_str())
            .collect();
        let id = match ids.as_slice() {
            [] => return Ok(None),
            [one] => one.to_string(),
            // Two patients under one ID number: show neither rather than mix two people.
            _ => {
                return Err(EhrError::Unavailable(
                    "several patients for one identifier".into(),
                ));
            }
        };
        let mut url = format!("{}/Patient/{}/$everything", self.base, encode_segment(&id));
        let mut resources = Vec::new();
        for _page in 0..100 {
            let Some(mut bundle) = self.get_json(&url).await? else {
                return Ok(None);
            };
            if let Some(entries) = bundle["entry"].as_array_mut() {
                resources.extend(entries.iter_mut().map(|e| e["resource"].take()));
            }
            let next = bundle["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str());
            match next {
                // Only pages of the same server: a link elsewhere is not followed.
                Some(n) if n.starts_with(&format!("{}/", self.base)) => url = n.to_string(),
                _ => return Ok(Some(resources)),
            }
        }
        Err(EhrError::Unavailable("too many pages".into()))
    }

    /// A Binary of the source (`Binary/{id}`), e.g. a facility's visit PDF.
    pub async fn binary(&self, id: &str) -> Result<Option<Binary>, EhrError> {
        let url = format!("{}/Binary/{}", self.base, encode_segment(id));
        let resp = self.get(&url, "application/fhir+json").await?;
        let Some(resp) = resp else { return Ok(None) };
        let v: Value = resp
            .json()
            .await
            .map_err(|e| EhrError::Unavailable(format!("binary: {e}")))?;
        let content_type = v["contentType"].as_str().unwrap_or_default().to_string();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().unwrap_or_default())
            .map_err(|_| EhrError::Unavailable("binary data is not base64".into()))?;
        Ok(Some(Binary {
            content_type,
            bytes,
        }))
    }

    async fn get_json(&self, url: &str) -> Result<Option<Value>, EhrError> {
        match self.get(url, "application/fhir+json").await? {
            None => Ok(None),
            Some(resp) => resp
                .json()
                .await
                .map(Some)
                .map_err(|e| EhrError::Unavailable(format!("not JSON: {e}"))),
        }
    }

    /// GET with the service token; a 401 fetches a new token once. `None` for a 404.
    async fn get(&self, url: &str, accept: &str) -> Result<Option<reqwest::Response>, EhrError> {
        for attempt in 0..2 {
            let token = self.token(attempt > 0).await?;
            let resp = self
                .http
                .get(url)
                .bearer_auth(&token)
                .header("accept", accept)
                .send()
                .await
                .map_err(|e| EhrError::Unavailable(transport(&e)))?;
            match resp.status().as_u16() {
                200 => return Ok(Some(resp)),
                404 | 410 => return Ok(None),
                401 if attempt == 0 => continue,
                s => return Err(EhrError::Unavailable(format!("answered {s}"))),
            }
        }
        Err(EhrError::Unavailable("token refused".into()))
    }

    /// The service token, fetched again when `renew` or when it is about to expire.
    async fn token(&self, renew: bool) -> Result<String, EhrError> {
        let mut held = self.token.lock().await;
        if !renew
            && let Some((token, until)) = held.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let resp = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.secret.expose()))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| EhrError::Unavailable(format!("token: {}", transport(&e))))?;
        if !resp.status().is_success() {
            return Err(EhrError::Unavailable(format!(
                "token endpoint answered {}",
                resp.status().as_u16()
            )));
        }
        let v: Value = resp
            .json()
            .await
            .map_err(|e| EhrError::Unavailable(format!("token: {e}")))?;
        let token = v["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| EhrError::Unavailable("token endpoint gave no token".into()))?
            .to_string();
        // Renew a little before the service would refuse it.
        let lifetime = v["expires_in"].as_u64().unwrap_or(60).saturating_sub(15);
        *held = Some((
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(token)
    }
}

/// A transport error without the URL (which holds an ID number in its query).
fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused".into()
    } else if e.is_body() || e.is_decode() {
        "unreadable answer".into()
    } else {
        "request failed".into()
    }
}

fn encode_segment(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect()
}
