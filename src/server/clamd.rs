//! Malware scanning through ClamAV's daemon (`clamd`, Debian's `clamav-daemon`), over its TCP
//! socket with the `INSTREAM` command: the file goes in length-prefixed chunks, clamd answers
//! `stream: OK` or `stream: <signature> FOUND`. Configured by `DVC_CLAMD_ADDR`; without it no
//! file is scanned.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What clamd said of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// A signature matched (its name).
    Infected(String),
}

/// Why a file could not be scanned (it stays unaccepted until it can be).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// No connection, or no answer in time.
    #[error("clamd unreachable: {0}")]
    Unreachable(String),
    /// clamd answered something else (an error, a size limit).
    #[error("clamd said: {0}")]
    Refused(String),
}

const CHUNK: usize = 64 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

/// Scans `bytes` with the clamd listening at `addr` (`host:port`).
pub async fn scan(addr: &str, bytes: &[u8]) -> Result<Verdict, ScanError> {
    let unreachable = |e: std::io::Error| ScanError::Unreachable(e.to_string());
    let talk = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(unreachable)?;
        s.write_all(b"zINSTREAM\0").await.map_err(unreachable)?;
        for chunk in bytes.chunks(CHUNK) {
            s.write_all(&(chunk.len() as u32).to_be_bytes())
                .await
                .map_err(unreachable)?;
            s.write_all(chunk).await.map_err(unreachable)?;
        }
        s.write_all(&0u32.to_be_bytes())
            .await
            .map_err(unreachable)?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.map_err(unreachable)?;
        Ok::<_, ScanError>(answer)
    };
    let answer = tokio::time::timeout(TIMEOUT, talk)
        .await
        .map_err(|_| ScanError::Unreachable("no answer in time".into()))??;
    verdict(&answer)
}

/// Reads clamd's answer to `INSTREAM`.
pub fn verdict(answer: &[u8]) -> Result<Verdict, ScanError> {
    let text = String::from_utf8_lossy(answer);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    let body = text.strip_prefix("stream:").map(str::trim).unwrap_or(text);
    if body == "OK" {
        Ok(Verdict::Clean)
    } else if let Some(name) = body.strip_suffix("FOUND") {
        Ok(Verdict::Infected(name.trim().to_string()))
    } else {
        Err(ScanError::Refused(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_clamd_writes_them() {
        assert_eq!(verdict(b"stream: OK\0").unwrap(), Verdict::Clean);
        assert_eq!(
            verdict(b"stream: Eicar-Test-Signature FOUND\0").unwrap(),
            Verdict::Infected("Eicar-Test-Signature".into())
        );
        assert!(matches!(
            verdict(b"INSTREAM size limit exceeded. ERROR\0"),
            Err(ScanError::Refused(_))
        ));
        assert!(verdict(b"").is_err());
    }
}
