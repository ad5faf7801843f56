//! Notifications: the outbox is delivered into each person's notification centre (and e-mail
//! queue) by a background task; browsers follow their notifications live over Server-Sent
//! Events and catch up after a reconnect through `Last-Event-ID`. With PostgreSQL, every
//! instance hears every delivery through `LISTEN/NOTIFY`, so a person connected to any
//! instance is told at once.

use crate::domain::status::DossierStatus;
use crate::domain::workflow::{ActKind, Notification};
use crate::server::AppState;
use crate::server::db::Db;
use crate::server::db::notify::MailOutcome;
use crate::server::policy::Principal;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

/// The in-process side of notifications: wakes the delivery task, tells open event streams
/// that someone has something new, and ends the streams at shutdown.
#[derive(Clone)]
pub struct Hub {
    news: broadcast::Sender<String>,
    kick: Arc<Notify>,
    closed: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            news: broadcast::channel(1024).0,
            kick: Arc::new(Notify::new()),
            closed: watch::channel(false).0,
        }
    }
}

impl Hub {
    /// Asks the delivery task to look at the outbox now (after a commit that wrote to it).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// Tells this instance's open streams that `user_id` has new notifications.
    pub fn announce(&self, user_id: &str) {
        let _ = self.news.send(user_id.to_string());
    }

    /// Ends every open stream and stops the background tasks (graceful shutdown must not
    /// wait for them, and they must not use the database after it closes).
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }

    /// True once the server is shutting down.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }
}

/// E-mail text for an outbox message in the recipient's language, or none when the message is
/// not worth an e-mail.
pub fn mail_text(
    origin: &str,
    topic: &str,
    p: &serde_json::Value,
    lang: crate::ui::i18n::Lang,
) -> Option<(String, String)> {
    use crate::domain::outbox::{Message, Topic};
    use crate::ui::i18n::{fill, status_name};
    let t = lang.messages();
    let Message { topic, payload: p } = Message::parse(topic, p)?;
    let code = p.code.as_str();
    let status = p.status();
    let origin = origin.trim_end_matches('/');
    let link = match (topic, p.unit.as_deref()) {
        // Staff open an assigned dossier in their console.
        (Topic::Assigned | Topic::RefundDue, Some(unit)) => {
            format!("{origin}{}", crate::ui::routes::staff_dossier(unit, code))
        }
        _ => format!("{origin}/ho-so/{code}"),
    };
    let note = p
        .note
        .as_deref()
        .map(|n| format!("\n{}\n", fill(t.mail_note, "note", n)))
        .unwrap_or_default();
    let (subject, lead) = match (topic, status) {
        (Topic::Submitted, _) => (t.mail_submitted_subject, t.mail_submitted),
        (Topic::PaymentConfirmed, _) => (t.mail_paid_subject, t.mail_paid),
        (Topic::PaymentDuplicate, _) => (t.mail_duplicate_subject, t.mail_duplicate),
        (Topic::RefundDue, _) => (t.mail_refund_due_subject, t.mail_refund_due),
        (Topic::Status, Some(DossierStatus::SupplementRequested)) => {
            (t.mail_supplement_subject, t.mail_supplement)
        }
        (Topic::Status, Some(_)) if p.status_moved() => (t.mail_status_subject, t.mail_status),
        (Topic::Assigned, _) => (t.mail_assigned_subject, t.mail_assigned),
        (Topic::Status, _) if p.act == Some(ActKind::Apologise) => {
            (t.mail_apology_subject, t.mail_apology)
        }
        (Topic::Status | Topic::Deadline, _) => return None,
    };
    let status = status.map(|s| status_name(lang, s)).unwrap_or_default();
    let words = |s: &str| fill(&fill(s, "status", status), "code", code);
    let body = format!(
        "{}\n\n{}\n{note}\n{}\n\n{}\n",
        t.mail_greeting,
        words(lead),
        fill(t.mail_details, "link", &link),
        t.mail_footer,
    );
    Some((words(subject), body))
}

/// The mailer the configuration asks for, if any (none without `DVC_SMTP_ADDR`, or when the
/// relay's CA file cannot be read, which is logged).
fn mailer(config: &crate::server::config::Config) -> Option<crate::server::mail::Mailer> {
    let addr = config.smtp_addr.clone()?;
    let mut m = crate::server::mail::Mailer::new(addr, config.mail_from.clone())
        .with_security(config.smtp_security);
    if let Some(user) = &config.smtp_user {
        m = m.with_credentials(user.clone(), config.smtp_password.clone());
    }
    if let Some(path) = &config.smtp_ca_file {
        match std::fs::read(path) {
            Ok(pem) => m = m.with_root_certificate(pem),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "the relay's CA file cannot be read: no e-mail is sent");
                return None;
            }
        }
    }
    Some(m)
}

/// How often the background tasks look without being woken.
const OUTBOX_POLL: Duration = Duration::from_secs(2);
const MAIL_POLL: Duration = Duration::from_secs(5);

/// Starts delivery of the outbox, e-mail sending, the PostgreSQL listener and the deadline job.
pub fn spawn(state: AppState) {
    let origin = state.config.public_origin.clone();
    let hub = state.hub.clone();
    let db = state.db.clone();
    // Outbox → notifications (+ e-mail queue).
    {
        let (db, hub, origin) = (db.clone(), hub.clone(), origin.clone());
        tokio::spawn(async move {
            let text = move |t: &str, p: &serde_json::Value, lang| mail_text(&origin, t, p, lang);
            while !hub.is_closed() {
                match db.deliver_outbox(200, &text, chrono::Utc::now()).await {
                    Ok(done) => {
                        for u in &done.users {
                            hub.announce(u);
                        }
                        if done.messages == 200 {
                            continue;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
                }
                let _ = tokio::time::timeout(OUTBOX_POLL, hub.kick.notified()).await;
            }
        });
    }
    // E-mail.
    if let Some(mailer) = mailer(&state.config) {
        let (db, hub) = (db.clone(), hub.clone());
        tokio::spawn(async move {
            while !hub.is_closed() {
                if let Err(e) = send_due_mail(&db, &mailer).await {
                    tracing::error!(error = %e, "mail queue failed");
                }
                tokio::time::sleep(MAIL_POLL).await;
            }
        });
    }
    // Other instances' deliveries.
    if let Db::Pg(pool) = &db {
        let (pool, hub) = (pool.clone(), hub.clone());
        tokio::spawn(async move {
            while !hub.is_closed() {
                if let Err(e) = listen(&pool, &hub).await {
                    tracing::warn!(error = %e, "notification listener lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    crate::server::jobs::spawn_deadlines(state);
}

async fn listen(pool: &sqlx::PgPool, hub: &Hub) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen("dvc_notifications").await?;
    loop {
        let n = listener.recv().await?;
        hub.announce(n.payload());
    }
}

/// Sends the e-mails that are due; failures are retried with growing delays, refusals given up.
pub async fn send_due_mail(
    db: &Db,
    mailer: &crate::server::mail::Mailer,
) -> Result<usize, crate::server::db::DbError> {
    let now = chrono::Utc::now();
    let due = db
        .take_due_mail(now, chrono::Duration::minutes(5), 20)
        .await?;
    let mut sent = 0;
    for m in due {
        let mail = crate::server::mail::Mail {
            to: m.to_addr.clone(),
            subject: m.subject.clone(),
            text: m.body.clone(),
        };
        let now = chrono::Utc::now();
        match mailer.send(&mail).await {
            Ok(()) => {
                sent += 1;
                db.mail_attempted(&m.id, MailOutcome::Sent, now).await?
            }
            Err(e) if e.is_permanent() || m.attempts >= 12 => {
                tracing::warn!(mail = %m.id, error = %e, "e-mail given up");
                db.mail_attempted(
                    &m.id,
                    MailOutcome::GiveUp {
                        error: &e.to_string(),
                    },
                    now,
                )
                .await?
            }
            Err(e) => {
                let attempt = u32::try_from(m.attempts + 1).unwrap_or(u32::MAX);
                let delay = crate::server::mail::backoff(attempt);
                let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                tracing::info!(mail = %m.id, error = %e, retry_at = %at, "e-mail deferred");
                db.mail_attempted(
                    &m.id,
                    MailOutcome::Retry {
                        at,
                        error: &e.to_string(),
                    },
                    now,
                )
                .await?
            }
        }
    }
    Ok(sent)
}

struct Stream {
    db: Db,
    user_id: String,
    last: i64,
    pending: VecDeque<Notification>,
    news: broadcast::Receiver<String>,
    closed: watch::Receiver<bool>,
}

/// `GET /events`: the signed-in person's notifications as Server-Sent Events. Each event's id
/// is the notification number; a reconnecting browser sends the last one it saw in
/// `Last-Event-ID` and gets everything after it first. Without it, only new ones are sent.
pub async fn events(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    headers: HeaderMap,
) -> Response {
    let Principal::User(user) = principal else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let last = match resume {
        Some(n) => n,
        None => match state.db.last_notification(&user.user_id).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "notifications unavailable");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
    };
    let s = Stream {
        db: state.db.clone(),
        user_id: user.user_id.clone(),
        last,
        pending: VecDeque::new(),
        news: state.hub.news.subscribe(),
        closed: state.hub.closed.subscribe(),
    };
    let stream = futures_util::stream::unfold(s, next_event);
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

async fn next_event(mut s: Stream) -> Option<(Result<Event, std::convert::Infallible>, Stream)> {
    loop {
        if *s.closed.borrow() {
            return None;
        }
        if let Some(n) = s.pending.pop_front() {
            s.last = n.seq;
            let event = Event::default()
                .id(n.seq.to_string())
                .event("notification")
                .retry(Duration::from_secs(3))
                .json_data(&n)
                .unwrap_or_default();
            return Some((Ok(event), s));
        }
        match s.db.notifications_after(&s.user_id, s.last, 50).await {
            Ok(list) if !list.is_empty() => {
                s.pending.extend(list);
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "notification stream read failed");
                return None;
            }
        }
        // Nothing new: wait for news for this person (a lagged receiver re-reads anyway).
        loop {
            tokio::select! {
                got = s.news.recv() => match got {
                    Ok(u) if u == s.user_id => break,
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = s.closed.changed() => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang::{En, Vi};
    use serde_json::json;

    #[test]
    fn mail_for_a_supplement_request_names_the_dossier_and_the_reason() {
        let p = json!({ "code": "00070-261123-0001", "status": 5, "from": 4, "note": "Ảnh mờ" });
        let (subject, body) =
            mail_text("https://dichvucong.hanoi.gov.vn/", "dossier.status", &p, Vi).unwrap();
        assert_eq!(subject, "Hồ sơ 00070-261123-0001 cần bổ sung giấy tờ");
        assert!(body.contains("Nội dung: Ảnh mờ"));
        assert!(body.contains("https://dichvucong.hanoi.gov.vn/ho-so/00070-261123-0001"));
    }

    #[test]
    fn only_changes_worth_telling_make_mail() {
        let same = json!({ "code": "c", "status": 4, "from": 4, "act": "forward" });
        assert_eq!(
            mail_text("o", "dossier.status", &same, Vi),
            None,
            "internal hand-over"
        );
        let apology = json!({ "code": "c", "status": 4, "from": 4, "act": "apologise" });
        assert!(mail_text("o", "dossier.status", &apology, Vi).is_some());
        let done = json!({ "code": "c", "status": 9, "from": 4 });
        assert_eq!(
            mail_text("o", "dossier.status", &done, Vi).unwrap().0,
            "Hồ sơ c: Đã xử lý xong"
        );
        assert_eq!(
            mail_text("o", "dossier.deadline", &json!({ "code": "c" }), Vi),
            None
        );
        assert_eq!(mail_text("o", "dossier.status", &json!({}), Vi), None);
    }

    #[test]
    fn mail_for_an_assignment_opens_the_console() {
        let p =
            json!({ "code": "00070-261123-0001", "status": 4, "unit": "00070", "assignee": "u" });
        let (subject, body) = mail_text("https://x.vn/", "dossier.assigned", &p, Vi).unwrap();
        assert_eq!(
            subject,
            "Hồ sơ 00070-261123-0001 được giao cho Ông/Bà xử lý"
        );
        assert!(
            body.contains(&format!(
                "https://x.vn{}",
                crate::ui::routes::staff_dossier("00070", "00070-261123-0001")
            )),
            "{body}"
        );
    }

    #[test]
    fn mail_comes_in_the_recipients_language() {
        let p = json!({ "code": "00070-261123-0001", "status": 9, "from": 4 });
        let (subject, body) = mail_text("https://x.vn", "dossier.status", &p, En).unwrap();
        assert_eq!(
            subject,
            "Application 00070-261123-0001: Processed (result ready)"
        );
        assert!(body.starts_with("Dear Sir or Madam,"), "{body}");
        assert!(
            body.contains("Your application is now \"Processed (result ready)\"."),
            "{body}"
        );
        assert!(body.contains("Details: https://x.vn/ho-so/00070-261123-0001"));
        assert!(
            !body.contains("Kính gửi") && !body.contains("Dịch vụ công"),
            "{body}"
        );
        let (vi, _) = mail_text("https://x.vn", "dossier.status", &p, Vi).unwrap();
        assert_eq!(vi, "Hồ sơ 00070-261123-0001: Đã xử lý xong");
        // Every topic that mails has both languages.
        for (topic, extra) in [
            ("dossier.submitted", json!({})),
            ("payment.confirmed", json!({})),
            ("payment.duplicate", json!({})),
            ("payment.refund_due", json!({ "unit": "00070" })),
            ("dossier.assigned", json!({ "unit": "00070" })),
            ("dossier.status", json!({ "status": 5, "from": 4 })),
            (
                "dossier.status",
                json!({ "status": 4, "from": 4, "act": "apologise" }),
            ),
        ] {
            let mut p = json!({ "code": "c" });
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            let (en_subject, en_body) = mail_text("o", topic, &p, En).unwrap();
            let (vi_subject, _) = mail_text("o", topic, &p, Vi).unwrap();
            assert_ne!(en_subject, vi_subject, "{topic}");
            assert!(
                !en_body.contains("Ông/Bà") && !en_body.contains("hồ sơ"),
                "{topic}: {en_body}"
            );
        }
    }
}
