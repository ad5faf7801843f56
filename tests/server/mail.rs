//! Notification e-mail: the SMTP client against the test sink and against scripted servers.

use crate::smtp_sink::SmtpSink;
use dichvucong::server::config::Secret;
use dichvucong::server::mail::{Mail, MailError, Mailer, Security, backoff, backoff_base};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const FROM: &str = "Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>";
const SUBJECT: &str = "Hồ sơ 00004-261123-0001 cần bổ sung giấy tờ";

fn notice(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: SUBJECT.into(),
        text: "Kính gửi ông Nguyễn Văn An,\n\nHồ sơ 00004-261123-0001 cần bổ sung giấy tờ:\n\
               .bản sao Căn cước công dân có chứng thực\n.\nTrân trọng,\nBộ phận Một cửa"
            .into(),
    }
}

#[tokio::test]
async fn a_vietnamese_notice_arrives_intact() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.addr, FROM);
    let mail = notice("Nguyễn Văn An <an.nguyen@example.vn>");
    mailer.send(&mail).await.unwrap();

    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.from, "no-reply@dichvucong.hanoi.gov.vn");
    assert_eq!(m.to, vec!["an.nguyen@example.vn".to_string()]);
    assert_eq!(m.subject, SUBJECT);
    assert_eq!(m.text, mail.text);
    // What travelled is 7-bit MIME with the names and subject encoded.
    assert!(m.data.is_ascii(), "{}", m.data);
    assert!(m.data.contains("\r\nMIME-Version: 1.0\r\n"));
    assert!(
        m.data
            .contains("\r\nContent-Type: text/plain; charset=utf-8\r\n")
    );
    assert!(m.data.contains("\r\nContent-Transfer-Encoding: base64\r\n"));
    assert!(m.data.contains("\r\nFrom: =?UTF-8?B?"));
    assert!(m.data.contains("?= <no-reply@dichvucong.hanoi.gov.vn>\r\n"));
    assert!(m.data.contains("\r\nTo: =?UTF-8?B?"));
    assert!(m.data.contains("?= <an.nguyen@example.vn>\r\n"));
    assert!(m.data.contains("\r\nMessage-ID: <"));
    assert!(m.data.starts_with("Date: "));
    let body = m.data.split_once("\r\n\r\n").unwrap().1;
    assert!(body.split("\r\n").all(|l| l.len() <= 76));

    // A bare address works as well, and a second message is a second transaction.
    mailer.send(&notice("an.nguyen@example.vn")).await.unwrap();
    let got = sink.wait_for(2, Duration::from_secs(5)).await;
    assert!(got[1].data.contains("\r\nTo: an.nguyen@example.vn\r\n"));
}

#[tokio::test]
async fn a_deferral_is_temporary_and_the_next_send_succeeds() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&sink.addr, FROM);
    sink.defer_next(1);
    let err = mailer.send(&notice("an@example.vn")).await.unwrap_err();
    match &err {
        MailError::Deferred { code, text } => {
            assert_eq!(*code, 451);
            assert!(text.contains("try again later"), "{text}");
        }
        other => panic!("expected a deferral, got {other:?}"),
    }
    assert!(!err.is_permanent());
    assert!(sink.messages().is_empty());

    mailer.send(&notice("an@example.vn")).await.unwrap();
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject, SUBJECT);
}

#[tokio::test]
async fn a_closed_port_or_a_silent_server_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let err = Mailer::new(&addr, FROM)
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Unreachable(_)), "{err:?}");
    assert!(!err.is_permanent());

    // Accepts the connection and never greets.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    let err = Mailer::new(&addr, FROM)
        .with_timeout(Duration::from_millis(300))
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Unreachable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);
}

#[tokio::test]
async fn header_injection_is_refused_without_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mailer = Mailer::new(listener.local_addr().unwrap().to_string(), FROM);
    let bad = [
        Mail {
            subject: "Thông báo\r\nBcc: everyone@example.vn".into(),
            ..notice("an@example.vn")
        },
        Mail {
            subject: "Thông báo\nX-Spam: no".into(),
            ..notice("an@example.vn")
        },
        notice("an@example.vn\r\nBcc: everyone@example.vn"),
        notice("an@example.vn>\rRCPT TO:<b@example.vn"),
        notice("không phải địa chỉ"),
    ];
    for mail in &bad {
        let err = mailer.send(mail).await.unwrap_err();
        assert!(matches!(err, MailError::Protocol(_)), "{mail:?}: {err:?}");
    }
    let connected = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(connected.is_err(), "the client connected");
}

/// A server that answers each line it receives with the next scripted reply (the first reply is
/// the greeting), records the lines, and closes after the script.
async fn scripted(
    replies: &'static [&'static str],
) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut seen = Vec::new();
        for (i, reply) in replies.iter().enumerate() {
            if i > 0 {
                match lines.next_line().await.unwrap() {
                    Some(l) => seen.push(l),
                    None => break,
                }
            }
            write.write_all(reply.as_bytes()).await.unwrap();
        }
        seen
    });
    (addr, task)
}

#[tokio::test]
async fn a_refused_recipient_is_permanent() {
    let (addr, server) = scripted(&[
        "220-relay.example.vn ESMTP\r\n220 second greeting line\r\n",
        "250 relay.example.vn\r\n",
        "250 2.1.0 OK\r\n",
        "550 5.1.1 no such mailbox\r\n",
        "221 bye\r\n",
    ])
    .await;
    let err = Mailer::new(&addr, FROM)
        .with_helo("portal.example.vn")
        .send(&notice("nobody@example.vn"))
        .await
        .unwrap_err();
    match &err {
        MailError::Refused { code, text } => {
            assert_eq!(*code, 550);
            assert_eq!(text, "5.1.1 no such mailbox");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(err.is_permanent());
    let seen = server.await.unwrap();
    assert_eq!(
        seen,
        [
            "EHLO portal.example.vn",
            "MAIL FROM:<no-reply@dichvucong.hanoi.gov.vn>",
            "RCPT TO:<nobody@example.vn>",
            "QUIT",
        ]
    );
}

#[tokio::test]
async fn over_starttls_with_a_login_the_relay_takes_the_message() {
    let sink = SmtpSink::start_tls("portal", "mật-khẩu-relay").await;
    let ca = sink.ca_pem.clone().unwrap().into_bytes();
    let mailer = |password: &str| {
        Mailer::new(&sink.addr, FROM)
            .with_security(Security::StartTls)
            .with_root_certificate(ca.clone())
            .with_credentials("portal", Secret::new(password))
    };
    mailer("mật-khẩu-relay")
        .send(&notice("an@example.vn"))
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert!(got[0].tls, "the message came over TLS");
    assert_eq!(got[0].user.as_deref(), Some("portal"));
    assert_eq!(got[0].subject, SUBJECT);

    // A wrong password is refused for good; nothing arrives.
    let err = mailer("sai")
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, MailError::Refused { code: 535, .. }),
        "{err:?}"
    );
    // Plain SMTP to a relay that wants TLS is refused before any message is sent.
    let err = Mailer::new(&sink.addr, FROM)
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, MailError::Refused { code: 530, .. }),
        "{err:?}"
    );
    // A certificate from an authority the portal does not trust: no connection is made.
    let err = Mailer::new(&sink.addr, FROM)
        .with_security(Security::StartTls)
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Unreachable(_)), "{err:?}");
    assert!(!err.is_permanent());
    // A password is never sent in the clear.
    let err = Mailer::new(&sink.addr, FROM)
        .with_credentials("portal", Secret::new("mật-khẩu-relay"))
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Protocol(_)), "{err:?}");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_busy_greeting_defers_and_nonsense_is_a_protocol_error() {
    let (addr, _server) = scripted(&["421 4.3.2 too busy\r\n"]).await;
    let err = Mailer::new(&addr, FROM)
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, MailError::Deferred { code: 421, .. }),
        "{err:?}"
    );

    let (addr, _server) = scripted(&["HTTP/1.1 400 Bad Request\r\n"]).await;
    let err = Mailer::new(&addr, FROM)
        .send(&notice("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn the_sink_speaks_smtp_to_an_ordinary_client() {
    let sink = SmtpSink::start().await;
    let stream = tokio::net::TcpStream::connect(&sink.addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut expect = async |send: &str, code: &str| {
        if !send.is_empty() {
            write.write_all(send.as_bytes()).await.unwrap();
        }
        loop {
            let line = lines.next_line().await.unwrap().unwrap();
            assert!(line.starts_with(code), "{send:?} → {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    expect("", "220").await;
    expect("EHLO client.example.vn\r\n", "250").await;
    expect("NOOP\r\n", "250").await;
    expect("MAIL FROM:<a@example.vn>\r\n", "250").await;
    expect("RSET\r\n", "250").await;
    expect("DATA\r\n", "503").await;
    expect("MAIL FROM:<b@example.vn> SIZE=100\r\n", "250").await;
    expect("RCPT TO:<c@example.vn>\r\n", "250").await;
    expect("RCPT TO:<d@example.vn>\r\n", "250").await;
    expect("DATA\r\n", "354").await;
    expect(
        "Subject: =?utf-8?Q?Th=C3=B4ng_b=C3=A1o?=\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         ..dot first\r\n\
         Ch=C3=A0o =\r\n\
         b=E1=BA=A1n\r\n\
         .\r\n",
        "250",
    )
    .await;
    expect("QUIT\r\n", "221").await;

    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].from, "b@example.vn");
    assert_eq!(got[0].to, ["c@example.vn", "d@example.vn"]);
    assert_eq!(got[0].subject, "Thông báo");
    assert_eq!(got[0].text, ".dot first\nChào bạn\n");
    assert!(got[0].data.contains("\r\n.dot first\r\n"));
}

#[test]
fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
    assert_eq!(backoff_base(1), Duration::from_secs(30));
    assert_eq!(backoff_base(2), Duration::from_secs(60));
    assert_eq!(backoff_base(3), Duration::from_secs(120));
    assert_eq!(backoff_base(7), Duration::from_secs(1920));
    assert_eq!(backoff_base(8), Duration::from_secs(3600));
    assert_eq!(backoff_base(0), backoff_base(1));
    for attempt in 1..200 {
        assert!(backoff_base(attempt) <= backoff_base(attempt + 1));
        assert!(backoff_base(attempt) <= Duration::from_secs(3600));
    }
    assert_eq!(backoff_base(u32::MAX), Duration::from_secs(3600));
}

#[test]
fn backoff_jitter_stays_within_ten_percent() {
    let mut distinct = std::collections::HashSet::new();
    for attempt in [1, 2, 5, 8, 30] {
        let base = backoff_base(attempt).as_secs_f64();
        for _ in 0..200 {
            let d = backoff(attempt).as_secs_f64();
            assert!(
                d >= base * 0.9 - 1e-6 && d <= base * 1.1 + 1e-6,
                "{attempt}: {d}"
            );
            distinct.insert(d.to_bits());
        }
    }
    assert!(distinct.len() > 100, "the delays should vary");
}
