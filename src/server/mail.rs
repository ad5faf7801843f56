//! Notification e-mail: plain-text messages handed to a mail relay over SMTP (`lettre`), and
//! the retry schedule for messages the relay could not take yet.
//!
//! The relay is the organisation's (or Postfix on the host, or the development sink in
//! `end2end/sandbox/mail.mjs`). On the local host plain SMTP is enough; anywhere else set
//! [`Security::StartTls`] or [`Security::Tls`] and, where the relay asks for it, a user and a
//! password: credentials are only ever sent over TLS.
//!
//! Each message is UTF-8 text sent as MIME with a base64 body, and its subject and display
//! names as RFC 2047 encoded words, so Vietnamese diacritics pass any 7-bit relay unchanged.

use crate::server::config::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lettre::AsyncTransport as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::time::Duration;

/// One plain-text e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient: `resident@example.vn` or `Nguyễn Văn An <resident@example.vn>`.
    pub to: String,
    /// The subject, any Unicode text on one line.
    pub subject: String,
    /// The body, plain text (line ends `\n` or `\r\n`).
    pub text: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Connection refused / timed out / dropped: try again later.
    #[error("mail server unreachable: {0}")]
    Unreachable(String),
    /// The server answered 4xx: try again later.
    #[error("mail server deferred: {code} {text}")]
    Deferred { code: u16, text: String },
    /// The server answered 5xx: do not retry this message.
    #[error("mail server refused: {code} {text}")]
    Refused { code: u16, text: String },
    /// Anything else the server said that makes no sense.
    #[error("mail protocol error: {0}")]
    Protocol(String),
}

impl MailError {
    /// True when sending this message again cannot succeed (the server refused it with 5xx).
    /// Every other failure is worth a retry after [`backoff`].
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Refused { .. })
    }
}

/// Default time allowed for one message, from connecting to the relay's last reply.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Security {
    /// Plain SMTP: for a relay on this host or a trusted local network only.
    #[default]
    None,
    /// Plain SMTP upgraded with STARTTLS before anything else is said; a relay that does not
    /// offer it is not used (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Sends mail through one relay. Cheap to clone; every [`Mailer::send`] opens its own
/// connection, so sends may run concurrently.
#[derive(Debug, Clone)]
pub struct Mailer {
    /// `host:port` of the relay.
    addr: String,
    /// The `From` header, e.g. `Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>`.
    from: String,
    /// The name given in EHLO.
    helo: String,
    /// Time allowed for one message.
    timeout: Duration,
    /// How the connection is protected.
    security: Security,
    /// A certificate authority to trust besides the public ones (a private relay's), PEM.
    root_pem: Option<Vec<u8>>,
    /// User and password for `AUTH`, sent only over TLS.
    credentials: Option<(String, Secret)>,
}

impl Mailer {
    /// `addr` like "127.0.0.1:2525"; `from` like "Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>".
    ///
    /// The EHLO name is the domain of the sender address (`localhost` if it has none); the
    /// timeout is [`DEFAULT_TIMEOUT`]; the connection is plain SMTP. Each can be changed with
    /// the `with_` methods.
    pub fn new(addr: impl Into<String>, from: impl Into<String>) -> Self {
        let from = from.into();
        let helo = bare_address(&from)
            .ok()
            .and_then(|a| a.rsplit_once('@').map(|(_, d)| d.to_string()))
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or_else(|| "localhost".to_string());
        Mailer {
            addr: addr.into(),
            from,
            helo,
            timeout: DEFAULT_TIMEOUT,
            security: Security::None,
            root_pem: None,
            credentials: None,
        }
    }

    /// The name announced in EHLO (normally this host's fully qualified name).
    pub fn with_helo(mut self, helo: impl Into<String>) -> Self {
        self.helo = helo.into();
        self
    }

    /// The time allowed for one message.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How the connection is protected.
    pub fn with_security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Trusts the certificate authority in `pem` (besides the public ones) for the relay's
    /// certificate.
    pub fn with_root_certificate(mut self, pem: Vec<u8>) -> Self {
        self.root_pem = Some(pem);
        self
    }

    /// Authenticates as `user` with `password` (refused at send time without TLS).
    pub fn with_credentials(mut self, user: impl Into<String>, password: Secret) -> Self {
        self.credentials = Some((user.into(), password));
        self
    }

    /// The relay's `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends one message: one connection, one transaction, then QUIT. Header injection (CR or
    /// LF in the recipient, subject or sender) is refused with [`MailError::Protocol`] before
    /// any connection is made, and so are credentials without TLS.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        for (what, value) in [
            ("recipient", &mail.to),
            ("subject", &mail.subject),
            ("sender", &self.from),
            ("EHLO name", &self.helo),
        ] {
            if value.contains(['\r', '\n']) {
                return Err(MailError::Protocol(format!(
                    "line break in the {what} refused"
                )));
            }
        }
        let from_addr = bare_address(&self.from)?;
        let to_addr = bare_address(&mail.to)?;
        let message = render_message(
            &self.from,
            mail,
            chrono::Utc::now(),
            &message_id(&from_addr),
        );
        let envelope = lettre::address::Envelope::new(
            Some(parse_address(&from_addr)?),
            vec![parse_address(&to_addr)?],
        )
        .map_err(|e| MailError::Protocol(format!("envelope: {e}")))?;
        let transport = self.transport()?;
        let result = match tokio::time::timeout(
            self.timeout,
            transport.send_raw(&envelope, message.as_bytes()),
        )
        .await
        {
            Err(_) => Err(MailError::Unreachable(format!(
                "{} did not answer within {:?}",
                self.addr, self.timeout
            ))),
            Ok(r) => r.map(|_| ()).map_err(mail_error),
        };
        match &result {
            Ok(()) => tracing::debug!(relay = %self.addr, "mail handed to the relay"),
            Err(e) => tracing::debug!(relay = %self.addr, error = %e, "mail not sent"),
        }
        result
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        let (host, port) = self
            .addr
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
            .ok_or_else(|| {
                MailError::Protocol(format!("relay {:?} is not host:port", self.addr))
            })?;
        let tls_parameters = || {
            let mut b = TlsParameters::builder(host.to_string());
            if let Some(pem) = &self.root_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| MailError::Protocol(format!("relay CA certificate: {e}")))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| MailError::Protocol(format!("TLS settings: {e}")))
        };
        let tls = match self.security {
            Security::None => Tls::None,
            Security::StartTls => Tls::Required(tls_parameters()?),
            Security::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(self.timeout))
            .hello_name(ClientId::Domain(self.helo.clone()))
            .tls(tls);
        if let Some((user, password)) = &self.credentials {
            if self.security == Security::None {
                return Err(MailError::Protocol(
                    "a password is sent to the relay only over TLS".into(),
                ));
            }
            b = b.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(b.build())
    }
}

fn parse_address(a: &str) -> Result<lettre::Address, MailError> {
    a.parse()
        .map_err(|e| MailError::Protocol(format!("address {a:?}: {e}")))
}

/// What a relay's answer means for this message.
fn mail_error(e: lettre::transport::smtp::Error) -> MailError {
    let text = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    match e.status() {
        Some(code) => {
            let code = code.to_string().parse().unwrap_or(0);
            if e.is_permanent() {
                MailError::Refused { code, text }
            } else {
                MailError::Deferred { code, text }
            }
        }
        None if e.is_response() || e.is_client() => MailError::Protocol(e.to_string()),
        // Network, connection, TLS, timeout: worth another try later.
        None => MailError::Unreachable(e.to_string()),
    }
}

/// Delay before retry number `attempt` (1-based): exponential from 30 s, capped at 1 h, with up
/// to 10 % jitter either way (so retries of many messages spread out).
pub fn backoff(attempt: u32) -> Duration {
    use rand::Rng as _;
    let base = backoff_base(attempt).as_secs_f64();
    let factor = 1.0 + rand::thread_rng().gen_range(-0.1..=0.1);
    Duration::from_secs_f64(base * factor)
}

/// [`backoff`] without the jitter: 30 s, 1 min, 2 min, 4 min … up to 1 h (from attempt 8 on).
/// Attempt 0 counts as 1.
pub fn backoff_base(attempt: u32) -> Duration {
    const FIRST: u64 = 30;
    const CAP: u64 = 3600;
    let doublings = attempt.saturating_sub(1);
    let secs = if doublings >= 16 {
        CAP
    } else {
        (FIRST << doublings).min(CAP)
    };
    Duration::from_secs(secs)
}

/// The bare address of `Name <addr>`, `<addr>` or `addr`, checked enough to be put in an SMTP
/// command safely.
fn bare_address(s: &str) -> Result<String, MailError> {
    let s = s.trim();
    let addr = match (s.rfind('<'), s.ends_with('>')) {
        (Some(i), true) => &s[i + 1..s.len() - 1],
        (None, false) => s,
        _ => return Err(MailError::Protocol(format!("malformed address {s:?}"))),
    };
    let addr = addr.trim();
    let ok = !addr.is_empty()
        && addr.contains('@')
        && !addr.starts_with('@')
        && !addr.ends_with('@')
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>'));
    if ok {
        Ok(addr.to_string())
    } else {
        Err(MailError::Protocol(format!("malformed address {s:?}")))
    }
}

/// The display name of `Name <addr>` (unquoted), if any.
fn display_name(s: &str) -> Option<&str> {
    let s = s.trim();
    let i = s.rfind('<')?;
    let name = s[..i].trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name)
        .trim();
    (!name.is_empty()).then_some(name)
}

/// An address header value: the display name (encoded if need be) and the bare address.
fn address_header(s: &str, addr: &str) -> String {
    match display_name(s) {
        None => addr.to_string(),
        Some(name) if is_plain_phrase(name) => format!("\"{name}\" <{addr}>"),
        Some(name) => format!("{} <{addr}>", encoded_words(name).join(" ")),
    }
}

/// Text that can stand in a quoted string as it is.
fn is_plain_phrase(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\')
        && !s.contains("=?")
}

/// RFC 2047 base64 encoded words for UTF-8 text, each at most 75 characters, split only between
/// characters.
fn encoded_words(s: &str) -> Vec<String> {
    // 75 - len("=?UTF-8?B?") - len("?=") = 63 characters of base64: 45 bytes of text.
    const MAX_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let next = i + c.len_utf8();
        if next - start > MAX_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", B64.encode(&s[start..end])));
            start = end;
        }
        end = next;
    }
    if end > start || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", B64.encode(&s[start..end])));
    }
    words
}

/// The subject header value: plain if printable ASCII and short, else encoded words folded
/// onto continuation lines.
fn subject_header(s: &str) -> String {
    if is_plain_phrase(s) && s.len() <= 900 && !s.is_empty() {
        s.to_string()
    } else {
        encoded_words(s).join("\r\n ")
    }
}

/// A Message-ID in the sender's domain.
fn message_id(from_addr: &str) -> String {
    let domain = from_addr.rsplit_once('@').map_or("localhost", |(_, d)| d);
    format!("<{}@{domain}>", uuid::Uuid::new_v4().simple())
}

/// The whole message (headers, blank line, base64 body), with CRLF line ends and no final CRLF
/// requirement.
fn render_message(
    from: &str,
    mail: &Mail,
    now: chrono::DateTime<chrono::Utc>,
    message_id: &str,
) -> String {
    let hanoi = chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset");
    let from_addr = bare_address(from).unwrap_or_default();
    let to_addr = bare_address(&mail.to).unwrap_or_default();
    let mut m = String::new();
    let mut header = |name: &str, value: &str| {
        m.push_str(name);
        m.push_str(": ");
        m.push_str(value);
        m.push_str("\r\n");
    };
    header("Date", &now.with_timezone(&hanoi).to_rfc2822());
    header("From", &address_header(from, &from_addr));
    header("To", &address_header(&mail.to, &to_addr));
    header("Subject", &subject_header(&mail.subject));
    header("Message-ID", message_id);
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=utf-8");
    header("Content-Transfer-Encoding", "base64");
    m.push_str("\r\n");
    m.push_str(&base64_lines(&canonical_text(&mail.text)));
    m
}

/// Text with every line end as CRLF (the canonical form of `text/plain` before encoding).
fn canonical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 32);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// Base64 of `s` in lines of 76 characters, each ended by CRLF.
fn base64_lines(s: &str) -> String {
    let encoded = B64.encode(s.as_bytes());
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            bare_address("Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>").unwrap(),
            "no-reply@dichvucong.hanoi.gov.vn"
        );
        assert_eq!(bare_address(" a@b.vn ").unwrap(), "a@b.vn");
        assert_eq!(bare_address("<a@b.vn>").unwrap(), "a@b.vn");
        for bad in [
            "",
            "a b@c.vn",
            "a@b.vn>",
            "<a@b.vn",
            "nobody",
            "x <>",
            "a@b.vn\r\nRSET",
        ] {
            assert!(bare_address(bad).is_err(), "{bad:?}");
        }
        assert_eq!(display_name("\"Ban A\" <a@b.vn>"), Some("Ban A"));
        assert_eq!(display_name("a@b.vn"), None);
        assert_eq!(
            Mailer::new("x:25", "Dịch vụ công <no-reply@dichvucong.hanoi.gov.vn>").helo,
            "dichvucong.hanoi.gov.vn"
        );
    }

    #[test]
    fn encoded_words_are_short_and_split_between_characters() {
        let s = "Hồ sơ 00004-261123-0001 cần bổ sung giấy tờ — thông báo của Bộ phận một cửa";
        let words = encoded_words(s);
        assert!(words.len() > 1);
        let mut decoded = Vec::new();
        for w in &words {
            assert!(w.len() <= 75, "{w}");
            let inner = w
                .strip_prefix("=?UTF-8?B?")
                .unwrap()
                .strip_suffix("?=")
                .unwrap();
            let bytes = B64.decode(inner).unwrap();
            String::from_utf8(bytes.clone()).expect("each word is whole characters");
            decoded.extend(bytes);
        }
        assert_eq!(String::from_utf8(decoded).unwrap(), s);
        assert_eq!(encoded_words(""), vec!["=?UTF-8?B??=".to_string()]);
    }

    #[test]
    fn message_layout() {
        let mail = Mail {
            to: "Nguyễn Văn An <an@example.vn>".into(),
            subject: "Hồ sơ cần bổ sung".into(),
            text: "Dòng 1\n.dòng 2\n".into(),
        };
        let now = chrono::DateTime::parse_from_rfc3339("2025-11-23T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let m = render_message(
            "Dịch vụ công Hà Nội <no-reply@dvc.vn>",
            &mail,
            now,
            "<id@dvc.vn>",
        );
        let (head, body) = m.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("Date: Sun, 23 Nov 2025 10:04:05 +0700\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nFrom: =?UTF-8?B?"), "{head}");
        assert!(head.contains("?= <no-reply@dvc.vn>\r\n"), "{head}");
        assert!(head.contains("\r\nMessage-ID: <id@dvc.vn>\r\n"));
        assert!(head.ends_with("Content-Transfer-Encoding: base64"));
        assert!(head.is_ascii());
        assert!(body.lines().all(|l| l.len() <= 76));
        let decoded = B64.decode(body.replace("\r\n", "")).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "Dòng 1\r\n.dòng 2\r\n");
        let plain = Mail {
            to: "an@example.vn".into(),
            subject: "Hello".into(),
            text: String::new(),
        };
        let m = render_message("\"Portal\" <p@dvc.vn>", &plain, now, "<id@dvc.vn>");
        assert!(m.contains(
            "\r\nFrom: \"Portal\" <p@dvc.vn>\r\nTo: an@example.vn\r\nSubject: Hello\r\n"
        ));
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(canonical_text("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
    }
}
