//! An SMTP server for tests: accepts every message on 127.0.0.1 and keeps it in memory, decoded,
//! for the test to look at. It speaks enough of RFC 5321 for the portal's client and for an
//! ordinary mail client: greeting, EHLO/HELO, MAIL, RCPT, DATA (with dot-unstuffing), RSET,
//! NOOP, QUIT. `defer_next` makes it answer 451 at RCPT, as a busy relay does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = session(stream, s).await;
                });
            }
        });
        SmtpSink { addr, shared, task }
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

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP test sink ready\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut deferred = false;
    loop {
        let Some(line) = read_line(&mut reader).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("");
        let reply: &str = match verb {
            "EHLO" => {
                "250-sink.test greets you\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n250 HELP\r\n"
            }
            "HELO" => "250 sink.test\r\n",
            "NOOP" => "250 2.0.0 OK\r\n",
            "RSET" => {
                (from, deferred) = (None, false);
                to.clear();
                "250 2.0.0 OK\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
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
                        return Ok(());
                    };
                    let (subject, text) = decode(&data);
                    shared.lock().unwrap().messages.push(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        subject,
                        text,
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
