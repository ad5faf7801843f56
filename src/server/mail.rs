//! Notification e-mail: a small SMTP client (RFC 5321) that hands plain-text messages to a mail
//! relay, and the retry schedule for messages the relay could not take yet.
//!
//! The portal talks only to a relay on the local host or the local network (Postfix, the
//! organisation's relay, or the development sink in `end2end/sandbox/mail.mjs`); that relay
//! does the delivery to residents' mailboxes with TLS. So this client speaks plain SMTP without
//! TLS and without authentication, and must not be pointed at a server across the internet.
//!
//! Each message is UTF-8 text sent as MIME with a base64 body, and its subject and display
//! names as RFC 2047 encoded words, so Vietnamese diacritics pass any 7-bit relay unchanged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

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

/// Default time allowed for connecting and for each command's reply.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest reply line accepted from a server (RFC 5321 allows 512 octets).
const MAX_REPLY_LINE: u64 = 4096;
/// The most lines in one multi-line reply.
const MAX_REPLY_LINES: usize = 100;

/// Sends mail through one relay. Cheap to clone; every [`Mailer::send`] opens its own
/// connection, so sends may run concurrently.
#[derive(Debug, Clone)]
pub struct Mailer {
    /// `host:port` of the relay.
    addr: String,
    /// The `From` header, e.g. `Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>`.
    from: String,
    /// The name given in EHLO/HELO.
    helo: String,
    /// Time allowed for connecting and for each command's reply.
    timeout: Duration,
}

impl Mailer {
    /// `addr` like "127.0.0.1:2525"; `from` like "Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>".
    ///
    /// The EHLO name is the domain of the sender address (`localhost` if it has none); the
    /// timeout is [`DEFAULT_TIMEOUT`]. Both can be changed with [`Mailer::with_helo`] and
    /// [`Mailer::with_timeout`].
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
        }
    }

    /// The name announced in EHLO/HELO (normally this host's fully qualified name).
    pub fn with_helo(mut self, helo: impl Into<String>) -> Self {
        self.helo = helo.into();
        self
    }

    /// The time allowed for connecting and for each command's reply.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The relay's `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends one message: one connection, one transaction, then QUIT. Header injection (CR or
    /// LF in the recipient, subject or sender) is refused with [`MailError::Protocol`] before
    /// any connection is made.
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

        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(&self.addr))
            .await
            .map_err(|_| MailError::Unreachable(format!("connecting to {} timed out", self.addr)))?
            .map_err(|e| MailError::Unreachable(format!("connecting to {}: {e}", self.addr)))?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut session = Session {
            reader: BufReader::new(read),
            writer: write,
            timeout: self.timeout,
        };
        let result = session
            .transaction(&self.helo, &from_addr, &to_addr, &message)
            .await;
        match &result {
            Ok(()) => {
                // The message is accepted once DATA is answered 250; QUIT is a courtesy.
                let _ = session.command("QUIT").await;
            }
            Err(MailError::Deferred { .. } | MailError::Refused { .. }) => {
                let _ = session.command("QUIT").await;
            }
            Err(_) => {}
        }
        match &result {
            Ok(()) => tracing::debug!(relay = %self.addr, "mail handed to the relay"),
            Err(e) => tracing::debug!(relay = %self.addr, error = %e, "mail not sent"),
        }
        result
    }
}

/// One server reply: its code and its text (lines joined by a space).
#[derive(Debug)]
struct Reply {
    code: u16,
    text: String,
}

impl Reply {
    /// `Ok` when the code is one of `ok`; otherwise the error the code means.
    fn expect(self, ok: &[u16], after: &str) -> Result<Reply, MailError> {
        if ok.contains(&self.code) {
            return Ok(self);
        }
        Err(match self.code {
            400..=499 => MailError::Deferred {
                code: self.code,
                text: self.text,
            },
            500..=599 => MailError::Refused {
                code: self.code,
                text: self.text,
            },
            _ => MailError::Protocol(format!(
                "unexpected reply {} {} after {after}",
                self.code, self.text
            )),
        })
    }
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    timeout: Duration,
}

impl Session {
    async fn transaction(
        &mut self,
        helo: &str,
        from: &str,
        to: &str,
        message: &str,
    ) -> Result<(), MailError> {
        self.reply().await?.expect(&[220], "connecting")?;
        let ehlo = self.command(&format!("EHLO {helo}")).await?;
        if (500..=599).contains(&ehlo.code) {
            self.command(&format!("HELO {helo}"))
                .await?
                .expect(&[250], "HELO")?;
        } else {
            ehlo.expect(&[250], "EHLO")?;
        }
        self.command(&format!("MAIL FROM:<{from}>"))
            .await?
            .expect(&[250], "MAIL FROM")?;
        self.command(&format!("RCPT TO:<{to}>"))
            .await?
            .expect(&[250, 251], "RCPT TO")?;
        self.command("DATA").await?.expect(&[354], "DATA")?;
        let mut data = dot_stuff(message);
        if !data.ends_with("\r\n") {
            data.push_str("\r\n");
        }
        data.push_str(".\r\n");
        self.write(&data).await?;
        self.reply().await?.expect(&[250], "the message")?;
        Ok(())
    }

    async fn write(&mut self, s: &str) -> Result<(), MailError> {
        match tokio::time::timeout(self.timeout, self.writer.write_all(s.as_bytes())).await {
            Err(_) => Err(MailError::Unreachable("sending timed out".into())),
            Ok(Err(e)) => Err(MailError::Unreachable(format!("sending: {e}"))),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Sends one command line and reads its reply.
    async fn command(&mut self, line: &str) -> Result<Reply, MailError> {
        self.write(&format!("{line}\r\n")).await?;
        self.reply().await
    }

    /// Reads one (possibly multi-line) reply within the timeout.
    async fn reply(&mut self) -> Result<Reply, MailError> {
        match tokio::time::timeout(self.timeout, read_reply(&mut self.reader)).await {
            Err(_) => Err(MailError::Unreachable(
                "timed out waiting for the server".into(),
            )),
            Ok(r) => r,
        }
    }
}

async fn read_reply(reader: &mut BufReader<OwnedReadHalf>) -> Result<Reply, MailError> {
    let mut code = None;
    let mut texts = Vec::new();
    for _ in 0..MAX_REPLY_LINES {
        let mut raw = Vec::new();
        let n = (&mut *reader)
            .take(MAX_REPLY_LINE)
            .read_until(b'\n', &mut raw)
            .await
            .map_err(|e| MailError::Unreachable(format!("receiving: {e}")))?;
        if n == 0 {
            return Err(MailError::Unreachable(
                "the server closed the connection".into(),
            ));
        }
        if raw.last() != Some(&b'\n') {
            return Err(MailError::Protocol("reply line too long".into()));
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let bytes = line.as_bytes();
        if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
            return Err(MailError::Protocol(format!("malformed reply {line:?}")));
        }
        let this: u16 = line[..3].parse().expect("three digits");
        if !(200..=599).contains(&this) || code.is_some_and(|c| c != this) {
            return Err(MailError::Protocol(format!("malformed reply {line:?}")));
        }
        code = Some(this);
        let (last, text) = match bytes.get(3) {
            None => (true, ""),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(MailError::Protocol(format!("malformed reply {line:?}"))),
        };
        texts.push(text.to_string());
        if last {
            return Ok(Reply {
                code: this,
                text: texts.join(" "),
            });
        }
    }
    Err(MailError::Protocol("reply has too many lines".into()))
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

/// Doubles the dot at the start of every line (RFC 5321 §4.5.2), so no line reads as the end.
fn dot_stuff(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_line_start = true;
    for c in s.chars() {
        if at_line_start && c == '.' {
            out.push('.');
        }
        out.push(c);
        at_line_start = c == '\n';
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
    fn dot_stuffing() {
        assert_eq!(dot_stuff(".a\r\nb.\r\n..c\r\n."), "..a\r\nb.\r\n...c\r\n..");
        assert_eq!(canonical_text("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
    }
}
