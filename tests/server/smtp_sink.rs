//! An SMTP server for tests: accepts every message on 127.0.0.1 and keeps it in memory, decoded,
//! for the test to look at. It speaks enough of RFC 5321 for the portal's client and for an
//! ordinary mail client: greeting, EHLO/HELO, MAIL, RCPT, DATA (with dot-unstuffing), RSET,
//! NOOP, QUIT. `defer_next` makes it answer 451 at RCPT, as a busy relay does.
//!
//! [`SmtpSink::start_tls`] makes a relay as one on the internet is: it offers STARTTLS with a
//! certificate from a certificate authority made for the test, refuses MAIL before TLS and
//! before `AUTH PLAIN` with the one user and password it knows.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), without angle brackets.
    pub to: Vec<String>,
    /// The message as transmitted, after dot-unstuffing, CRLF line ends.
    pub data: String,
    /// The Subject header, RFC 2047 encoded words decoded.
    pub subject: String,
    /// The body, transfer encoding (base64 or quoted-printable) undone, line ends as `\n`.
    pub text: String,
    /// It came over TLS.
    pub tls: bool,
    /// The user who authenticated, if any.
    pub user: Option<String>,
}

/// What a relay that wants TLS and a login needs.
struct Secure {
    acceptor: tokio_rustls::TlsAcceptor,
    user: String,
    password: String,
}

#[derive(Default)]
struct Shared {
    messages: Vec<Received>,
    defer: usize,
}

/// The running sink; stops when dropped.
pub struct SmtpSink {
    /// `127.0.0.1:port`, for `Mailer::new`.
    pub addr: String,
    /// The test certificate authority's certificate (PEM), for a sink made by `start_tls`.
    pub ca_pem: Option<String>,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> SmtpSink {
        Self::listen(None, None).await
    }

    /// A relay that requires STARTTLS (its certificate, for 127.0.0.1, is signed by a test CA
    /// whose certificate is [`SmtpSink::ca_pem`]) and then `AUTH PLAIN` as `user`/`password`.
    pub async fn start_tls(user: &str, password: &str) -> SmtpSink {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        let secure = Secure {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            user: user.into(),
            password: password.into(),
        };
        Self::listen(Some(Arc::new(secure)), Some(ca.pem())).await
    }

    async fn listen(secure: Option<Arc<Secure>>, ca_pem: Option<String>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (s, secure) = (s.clone(), secure.clone());
                tokio::spawn(async move {
                    let _ = session(stream, s, secure).await;
                });
            }
        });
        SmtpSink {
            addr,
            ca_pem,
            shared,
            task,
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.lock().unwrap().messages.clone()
    }

    /// The next `n` transactions are answered `451 4.3.0 try again later` at RCPT.
    pub fn defer_next(&self, n: usize) {
        self.shared.lock().unwrap().defer = n;
    }

    /// Waits until at least `n` messages have arrived and returns them all; panics after
    /// `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "expected {n} messages within {timeout:?}, received {}",
                    messages.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    shared: Arc<Mutex<Shared>>,
    secure: Option<Arc<Secure>>,
) -> std::io::Result<()> {
    let mut stream = stream;
    stream
        .write_all(b"220 sink.test ESMTP test sink ready\r\n")
        .await?;
    match serve(stream, &shared, secure.as_deref(), false).await? {
        // STARTTLS: the same conversation, encrypted, from a new EHLO.
        Some(plain) => {
            let secure = secure.expect("STARTTLS is offered only with TLS");
            let tls = secure.acceptor.accept(plain).await?;
            serve(tls, &shared, Some(&secure), true).await?;
            Ok(())
        }
        None => Ok(()),
    }
}

/// Serves commands until QUIT or the end of the connection; answers the stream back when the
/// client starts TLS.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    shared: &Mutex<Shared>,
    secure: Option<&Secure>,
    tls: bool,
) -> std::io::Result<Option<S>> {
    let (read, mut write) = tokio::io::split(stream);
    let mut reader = BufReader::new(read);
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut deferred = false;
    let mut user: Option<String> = None;
    loop {
        let Some(line) = read_line(&mut reader).await? else {
            return Ok(None);
        };
        let upper = line.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("");
        let must_secure = secure.is_some() && !(tls && user.is_some());
        let reply: &str = match verb {
            "EHLO" if secure.is_some() && !tls => {
                "250-sink.test greets you\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
            }
            "EHLO" if secure.is_some() => {
                "250-sink.test greets you\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n"
            }
            "EHLO" => {
                "250-sink.test greets you\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n250 HELP\r\n"
            }
            "STARTTLS" if secure.is_some() && !tls => {
                write.write_all(b"220 2.0.0 ready to start TLS\r\n").await?;
                write.flush().await?;
                return Ok(Some(reader.into_inner().unsplit(write)));
            }
            "AUTH" if tls && user.is_none() => {
                let secure = secure.expect("AUTH is offered only with TLS");
                let given = line
                    .split(' ')
                    .nth(2)
                    .and_then(|b| B64.decode(b).ok())
                    .unwrap_or_default();
                let expected = format!("\0{}\0{}", secure.user, secure.password);
                if given == expected.as_bytes() {
                    user = Some(secure.user.clone());
                    "235 2.7.0 authenticated\r\n"
                } else {
                    "535 5.7.8 authentication credentials invalid\r\n"
                }
            }
            "MAIL" if must_secure && !tls => "530 5.7.0 must issue a STARTTLS command first\r\n",
            "MAIL" if must_secure => "530 5.7.0 authentication required\r\n",
            "HELO" => "250 sink.test\r\n",
            "NOOP" => "250 2.0.0 OK\r\n",
            "RSET" => {
                (from, deferred) = (None, false);
                to.clear();
                "250 2.0.0 OK\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(None);
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                if from.is_some() {
                    "503 5.5.1 nested MAIL\r\n"
                } else {
                    from = Some(path(&line["MAIL FROM:".len()..]));
                    to.clear();
                    deferred = false;
                    "250 2.1.0 OK\r\n"
                }
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if from.is_none() {
                    "503 5.5.1 MAIL first\r\n"
                } else {
                    if !deferred && to.is_empty() {
                        let mut s = shared.lock().unwrap();
                        if s.defer > 0 {
                            s.defer -= 1;
                            deferred = true;
                        }
                    }
                    if deferred {
                        "451 4.3.0 try again later\r\n"
                    } else {
                        to.push(path(&line["RCPT TO:".len()..]));
                        "250 2.1.5 OK\r\n"
                    }
                }
            }
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    "503 5.5.1 no valid recipients\r\n"
                } else {
                    write
                        .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let Some(data) = read_data(&mut reader).await? else {
                        return Ok(None);
                    };
                    let (subject, text) = decode(&data);
                    shared.lock().unwrap().messages.push(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        subject,
                        text,
                        tls,
                        user: user.clone(),
                    });
                    "250 2.0.0 OK queued\r\n"
                }
            }
            _ => "500 5.5.2 command not recognised\r\n",
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// One line without its line end; `None` at the end of the connection.
async fn read_line<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<String>> {
    let mut raw = Vec::new();
    if (&mut *reader)
        .take(1 << 20)
        .read_until(b'\n', &mut raw)
        .await?
        == 0
    {
        return Ok(None);
    }
    while matches!(raw.last(), Some(b'\n' | b'\r')) {
        raw.pop();
    }
    Ok(Some(String::from_utf8_lossy(&raw).into_owned()))
}

/// The message up to the line `.`, dot-unstuffed, lines ended by CRLF.
async fn read_data<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<String>> {
    let mut data = String::new();
    loop {
        let Some(line) = read_line(reader).await? else {
            return Ok(None);
        };
        if line == "." {
            return Ok(Some(data));
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        data.push_str("\r\n");
    }
}

/// `<a@b>` (with optional parameters after it) → `a@b`.
fn path(s: &str) -> String {
    let s = s.trim();
    match (s.find('<'), s.find('>')) {
        (Some(i), Some(j)) if i < j => s[i + 1..j].to_string(),
        _ => s.split(' ').next().unwrap_or("").to_string(),
    }
}

/// The decoded subject and body of a message.
fn decode(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    // Unfold, then split into headers.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        head.split("\r\n").find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let subject = decode_words(&header("Subject").unwrap_or_default());
    let encoding = header("Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => B64
            .decode(body.split_ascii_whitespace().collect::<String>())
            .unwrap_or_else(|e| panic!("body is not base64: {e}")),
        "quoted-printable" => quoted_printable(body, false),
        _ => body.as_bytes().to_vec(),
    };
    let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
    (subject, text)
}

/// Header text with RFC 2047 encoded words (`=?charset?B|Q?…?=`) decoded; whitespace between
/// adjacent encoded words is dropped, as the RFC says.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut pending_space = String::new();
    let mut last_was_word = false;
    let mut rest = s;
    while !rest.is_empty() {
        let decoded = rest.strip_prefix("=?").and_then(|r| {
            let (charset, r) = r.split_once('?')?;
            let (enc, r) = r.split_once('?')?;
            let (text, r) = r.split_once("?=")?;
            let bytes = match enc {
                "B" | "b" => B64.decode(text).ok()?,
                "Q" | "q" => quoted_printable(text, true),
                _ => return None,
            };
            let _ = charset;
            Some((String::from_utf8_lossy(&bytes).into_owned(), r))
        });
        if let Some((word, r)) = decoded {
            if !last_was_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&word);
            last_was_word = true;
            rest = r;
            continue;
        }
        let c = rest.chars().next().unwrap();
        rest = &rest[c.len_utf8()..];
        if c.is_ascii_whitespace() {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            last_was_word = false;
        }
    }
    out.push_str(&pending_space);
    out
}

/// Quoted-printable (RFC 2045), or the Q encoding of RFC 2047 where `_` is a space.
fn quoted_printable(s: &str, q: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if b[i + 1..].starts_with(b"\n") => i += 2,
            b'=' => {
                match std::str::from_utf8(b.get(i + 1..i + 3).unwrap_or(b""))
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if q => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn the_sink_decodes_mail_subjects_and_quoted_printable() {
    assert_eq!(
        decode_words("=?UTF-8?B?SOG7kyBz?=\r\n =?utf-8?Q?=C6=A1_00004?= (x)"),
        "Hồ sơ 00004 (x)"
    );
    assert_eq!(decode_words("plain  text"), "plain  text");
    assert_eq!(quoted_printable("a=3Db=\r\nc=", false), b"a=bc=");
}
