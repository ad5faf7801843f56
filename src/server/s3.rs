//! A small client for S3-compatible object storage (AWS S3, MinIO, Ceph, Garage …): put, get,
//! delete and list objects in one bucket, path-style, signed with AWS Signature Version 4.
//! Only what attachment storage needs; the HTTP client is the one the portal already uses.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// Endpoint, e.g. `http://127.0.0.1:9000` (no trailing slash).
    pub endpoint: String,
    /// Bucket name.
    pub bucket: String,
    /// Region used in signatures (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: crate::server::config::Secret,
}

/// The client.
#[derive(Debug, Clone)]
pub struct S3 {
    cfg: S3Config,
    http: reqwest::Client,
}

/// An S3 failure (logged, never shown to a resident).
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The request did not get an answer.
    #[error("s3 transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with an error status.
    #[error("s3 {0}: {1}")]
    Status(u16, String),
}

/// RFC 3986 encoding as SigV4 wants it; `/` kept when `keep_slash`.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

impl S3 {
    /// A client for `cfg`.
    pub fn new(cfg: S3Config) -> S3 {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        S3 { cfg, http }
    }

    /// Signs and sends one request. `query` is already sorted by name.
    async fn send(
        &self,
        method: reqwest::Method,
        key: &str,
        query: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<reqwest::Response, S3Error> {
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let path = if key.is_empty() {
            format!("/{}", uri_encode(&self.cfg.bucket, false))
        } else {
            format!(
                "/{}/{}",
                uri_encode(&self.cfg.bucket, false),
                uri_encode(key, true)
            )
        };
        let canonical_query = query
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
            .collect::<Vec<_>>()
            .join("&");
        let host = self
            .cfg
            .endpoint
            .split("://")
            .nth(1)
            .unwrap_or(&self.cfg.endpoint)
            .trim_end_matches('/')
            .to_string();
        let payload_hash = hex::encode(Sha256::digest(&body));
        let canonical = format!(
            "{method}\n{path}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}"
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.cfg.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(
            format!("AWS4{}", self.cfg.secret_key.expose()).as_bytes(),
            &date,
        );
        let k = hmac(&k, &self.cfg.region);
        let k = hmac(&k, "s3");
        let k = hmac(&k, "aws4_request");
        let signature = hex::encode(hmac(&k, &to_sign));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.cfg.access_key
        );
        let mut url = format!("{}{path}", self.cfg.endpoint.trim_end_matches('/'));
        if !canonical_query.is_empty() {
            url.push('?');
            url.push_str(&canonical_query);
        }
        Ok(self
            .http
            .request(method, url)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", payload_hash)
            .header("authorization", auth)
            .body(body)
            .send()
            .await?)
    }

    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, S3Error> {
        let status = resp.status();
        if status.is_success() {
            Ok(resp)
        } else {
            let text = resp.text().await.unwrap_or_default();
            Err(S3Error::Status(
                status.as_u16(),
                text.chars().take(300).collect(),
            ))
        }
    }

    /// Stores an object (durable once this returns).
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), S3Error> {
        Self::check(self.send(reqwest::Method::PUT, key, &[], body).await?).await?;
        Ok(())
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, S3Error> {
        let resp = self
            .send(reqwest::Method::GET, key, &[], Vec::new())
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(Self::check(resp).await?.bytes().await?.to_vec()))
    }

    /// Deletes an object (no error if it is already gone).
    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        let resp = self
            .send(reqwest::Method::DELETE, key, &[], Vec::new())
            .await?;
        if resp.status() != reqwest::StatusCode::NOT_FOUND {
            Self::check(resp).await?;
        }
        Ok(())
    }

    /// Keys under `prefix`, in key order (ListObjectsV2, following continuation tokens).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, S3Error> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = Vec::new();
            if let Some(t) = &token {
                query.push(("continuation-token", t.clone()));
            }
            query.push(("list-type", "2".to_string()));
            query.push(("prefix", prefix.to_string()));
            let resp = Self::check(
                self.send(reqwest::Method::GET, "", &query, Vec::new())
                    .await?,
            )
            .await?;
            let xml = resp.text().await?;
            keys.extend(tags(&xml, "Key"));
            token = tags(&xml, "NextContinuationToken").into_iter().next();
            if token.is_none() {
                break;
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// The text of every `<tag>…</tag>` in an XML answer (keys here are plain ASCII).
fn tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(rest[..j].replace("&amp;", "&"));
        rest = &rest[j + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_xml() {
        assert_eq!(
            uri_encode("partial/ab cd/0001", true),
            "partial/ab%20cd/0001"
        );
        assert_eq!(uri_encode("partial/", false), "partial%2F");
        let xml = "<ListBucketResult><Contents><Key>a/1</Key></Contents><Contents><Key>a/2</Key></Contents></ListBucketResult>";
        assert_eq!(tags(xml, "Key"), ["a/1", "a/2"]);
        assert!(tags(xml, "NextContinuationToken").is_empty());
    }
}
