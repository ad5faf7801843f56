//! S3-compatible object storage (AWS S3, MinIO, Ceph, Garage …): put, get, delete and list
//! objects in one bucket. `rusty-s3` signs each request (AWS Signature Version 4, as a
//! presigned URL valid for [`SIGNED_FOR`]); the HTTP client is the one the portal already uses.
//! AWS endpoints are addressed virtual-host style, every other server path-style.

use rusty_s3::actions::S3Action;
use rusty_s3::{Bucket, Credentials, UrlStyle};
use std::time::Duration;

/// How long a signed request stays valid (it is sent at once).
pub const SIGNED_FOR: Duration = Duration::from_secs(300);

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
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

/// An S3 failure (logged, never shown to a resident).
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The configuration does not name a usable bucket.
    #[error("s3 configuration: {0}")]
    Config(String),
    /// The request did not get an answer.
    #[error("s3 transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with an error status.
    #[error("s3 {0}: {1}")]
    Status(u16, String),
    /// An answer to a listing that is not one.
    #[error("s3 listing: {0}")]
    Listing(String),
}

/// A signed request: what [`S3`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Store an object.
    Put(&'a str),
    /// Read an object.
    Get(&'a str),
    /// Delete an object.
    Delete(&'a str),
    /// List keys under a prefix, from a continuation token.
    List {
        /// Key prefix.
        prefix: &'a str,
        /// Where the previous page ended.
        token: Option<&'a str>,
    },
}

impl S3 {
    /// A client for `cfg`; fails when the endpoint is not an `http(s)` URL with a host.
    pub fn new(cfg: S3Config) -> Result<S3, S3Error> {
        let endpoint: url::Url = cfg
            .endpoint
            .parse()
            .map_err(|e| S3Error::Config(format!("endpoint {:?}: {e}", cfg.endpoint)))?;
        let style = if endpoint
            .host_str()
            .is_some_and(|h| h == "amazonaws.com" || h.ends_with(".amazonaws.com"))
        {
            UrlStyle::VirtualHost
        } else {
            UrlStyle::Path
        };
        let bucket = Bucket::new(endpoint, style, cfg.bucket, cfg.region)
            .map_err(|e| S3Error::Config(e.to_string()))?;
        crate::server::install_crypto();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(S3Error::Transport)?;
        Ok(S3 {
            bucket,
            credentials: Credentials::new(cfg.access_key, cfg.secret_key.expose()),
            http,
        })
    }

    /// The signed URL for `r` at `at`.
    pub fn signed(&self, r: Request<'_>, at: &jiff::Timestamp) -> url::Url {
        let c = Some(&self.credentials);
        match r {
            Request::Put(key) => self
                .bucket
                .put_object(c, key)
                .sign_with_time(SIGNED_FOR, at),
            Request::Get(key) => self
                .bucket
                .get_object(c, key)
                .sign_with_time(SIGNED_FOR, at),
            Request::Delete(key) => self
                .bucket
                .delete_object(c, key)
                .sign_with_time(SIGNED_FOR, at),
            Request::List { prefix, token } => {
                let mut list = self.bucket.list_objects_v2(c);
                list.with_prefix(prefix);
                if let Some(t) = token {
                    list.with_continuation_token(t);
                }
                list.sign_with_time(SIGNED_FOR, at)
            }
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        r: Request<'_>,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, S3Error> {
        let url = self.signed(r, &jiff::Timestamp::now());
        Ok(self
            .http
            .request(method, url.as_str())
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
        Self::check(
            self.send(reqwest::Method::PUT, Request::Put(key), body)
                .await?,
        )
        .await?;
        Ok(())
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, S3Error> {
        let resp = self
            .send(reqwest::Method::GET, Request::Get(key), Vec::new())
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(Self::check(resp).await?.bytes().await?.to_vec()))
    }

    /// Deletes an object (no error if it is already gone).
    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        let resp = self
            .send(reqwest::Method::DELETE, Request::Delete(key), Vec::new())
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
            let r = Request::List {
                prefix,
                token: token.as_deref(),
            };
            let resp = Self::check(self.send(reqwest::Method::GET, r, Vec::new()).await?).await?;
            // Read leniently: S3-compatible servers differ in the XML namespace they declare.
            let xml = resp.text().await?;
            if !xml.contains("ListBucketResult") {
                return Err(S3Error::Listing(xml.chars().take(300).collect()));
            }
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

/// The text of every `<tag>…</tag>` in an XML answer, entities decoded.
fn tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(
            rest[..j]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &rest[j + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Secret;

    /// AWS's published example of a presigned GET ("Authenticating Requests: Using Query
    /// Parameters (AWS Signature Version 4)", Amazon S3 API reference).
    #[test]
    fn signatures_match_the_aws_example() {
        let s3 = S3::new(S3Config {
            endpoint: "https://s3.amazonaws.com".into(),
            bucket: "examplebucket".into(),
            region: "us-east-1".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        })
        .unwrap();
        let at: jiff::Timestamp = "2013-05-24T00:00:00Z".parse().unwrap();
        let url = s3.bucket.get_object(Some(&s3.credentials), "test.txt");
        let url = url.sign_with_time(Duration::from_secs(86400), &at);
        assert_eq!(url.host_str(), Some("examplebucket.s3.amazonaws.com"));
        let signature = url
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .map(|(_, v)| v.into_owned());
        assert_eq!(
            signature.as_deref(),
            Some("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        );
        // Our own requests carry the scope of the day and the key's path.
        let put = s3.signed(Request::Put("partial/ab cd"), &at);
        assert_eq!(put.path(), "/partial/ab%20cd");
        assert!(put.as_str().contains(
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        ));
    }

    #[test]
    fn other_servers_are_addressed_by_path_and_bad_endpoints_refused() {
        let cfg = |endpoint: &str| S3Config {
            endpoint: endpoint.into(),
            bucket: "dichvucong".into(),
            region: "us-east-1".into(),
            access_key: "k".into(),
            secret_key: Secret::new("s"),
        };
        let s3 = S3::new(cfg("http://127.0.0.1:9000")).unwrap();
        let at: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let url = s3.signed(Request::Get("files/a"), &at);
        assert_eq!(url.path(), "/dichvucong/files/a");
        assert!(S3::new(cfg("ftp://127.0.0.1")).is_err());
        let xml = "<ListBucketResult><Contents><Key>a/1&amp;2</Key></Contents><Contents><Key>a/2</Key></Contents></ListBucketResult>";
        assert_eq!(tags(xml, "Key"), ["a/1&2", "a/2"]);
        assert!(tags(xml, "NextContinuationToken").is_empty());
        assert!(S3::new(cfg("not a url")).is_err());
    }
}
