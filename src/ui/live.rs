//! Live notifications for the signed-in resident: the unread count, the latest notification to
//! arrive, and the sentence that tells of it. One `EventSource` on `/events` follows them while
//! someone is signed in; the browser reconnects by itself and sends `Last-Event-ID`, so nothing
//! is missed across a dropped connection. Both bundles use it (header badge, notification
//! centre, and the dossier page, which reloads itself when its dossier changes).

use crate::domain::status::DossierStatus;
use crate::domain::workflow::Notification;
use crate::ui::i18n::{Lang, Messages, fill, status_name};
use leptos::prelude::*;

/// The live-notification context.
#[derive(Clone, Copy)]
pub struct LiveCtx {
    /// Unread notifications (`None` while unknown or signed out).
    pub unread: RwSignal<Option<i64>>,
    /// The latest notification that arrived while the page was open.
    pub arrived: RwSignal<Option<Notification>>,
    /// Highest notification number seen, so a notification is counted once.
    seen: RwSignal<i64>,
    /// Bumped to try a refused stream again.
    #[cfg(feature = "csr")]
    retry: RwSignal<u32>,
}

impl LiveCtx {
    /// Takes in a notification from the stream.
    #[cfg(feature = "csr")]
    fn receive(&self, n: Notification) {
        if n.seq <= self.seen.get_untracked() {
            return;
        }
        self.seen.set(n.seq);
        if !n.read {
            self.unread.update(|u| *u = Some(u.unwrap_or(0) + 1));
        }
        self.arrived.set(Some(n));
    }

    /// Everything up to `seq` has been read (the notification centre is open).
    pub fn read_up_to(&self, seq: i64) {
        self.seen.update(|s| *s = (*s).max(seq));
        self.unread.set(Some(0));
    }
}

/// Provides the context and, in the browser, follows the signed-in resident's notifications.
/// Staff sessions have no notification centre. The stream closes when the session ends.
pub fn provide_live_context() -> LiveCtx {
    let ctx = LiveCtx {
        unread: RwSignal::new(None),
        arrived: RwSignal::new(None),
        seen: RwSignal::new(0),
        #[cfg(feature = "csr")]
        retry: RwSignal::new(0),
    };
    provide_context(ctx);
    #[cfg(feature = "csr")]
    {
        let session = crate::ui::session::use_session();
        let source = StoredValue::new_local(None::<browser::Source>);
        Effect::new(move |_| {
            ctx.retry.track();
            let wanted = !session.expired.get() && session.user().is_some();
            if !wanted {
                source.set_value(None);
                ctx.unread.set(None);
                return;
            }
            if source.with_value(|s| s.as_ref().is_some_and(browser::Source::is_open)) {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Ok(inbox) = crate::api::notifications::notifications().await {
                    let newest = inbox.items.iter().map(|n| n.seq).max().unwrap_or(0);
                    ctx.seen.update(|s| *s = (*s).max(newest));
                    ctx.unread.set(Some(inbox.unread));
                }
            });
            source.set_value(browser::open(ctx, move || {
                // Refused (the session ended, or the server is busy): the browser gives up,
                // so try again later; the session timer notices a session that has ended.
                set_timeout(
                    move || ctx.retry.update(|n| *n += 1),
                    std::time::Duration::from_secs(30),
                );
            }));
        });
    }
    ctx
}

/// The live-notification context provided by [`provide_live_context`].
pub fn use_live() -> LiveCtx {
    expect_context::<LiveCtx>()
}

/// What a notification says, in one sentence.
pub fn sentence(t: &Messages, lang: Lang, n: &Notification) -> String {
    let code = n.code.as_str();
    let note = n.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (n.topic.as_str(), n.status) {
        ("dossier.submitted", _) => fill(t.notif_submitted, "code", code),
        ("payment.confirmed", _) => fill(t.notif_paid, "code", code),
        ("payment.duplicate", _) => fill(t.notif_duplicate, "code", code),
        ("payment.refund_due", _) => fill(t.notif_refund_due, "code", code),
        ("dossier.status", _) if n.act == Some(crate::domain::workflow::ActKind::Apologise) => {
            fill(t.notif_apology, "code", code)
        }
        ("dossier.deadline", _) if note == Some("overdue") => fill(t.notif_overdue, "code", code),
        ("dossier.deadline", _) => fill(t.notif_due_soon, "code", code),
        ("dossier.assigned", _) => fill(t.notif_assigned, "code", code),
        ("dossier.status", Some(DossierStatus::SupplementRequested)) => match note {
            // The note goes in last, so braces in it are never taken for placeholders.
            Some(note) => fill(&fill(t.notif_supplement, "code", code), "note", note),
            None => fill(t.notif_supplement_plain, "code", code),
        },
        (_, Some(s)) => fill(
            &fill(t.notif_status, "status", status_name(lang, s)),
            "code",
            code,
        ),
        _ => fill(t.notif_update, "code", code),
    }
}

#[cfg(feature = "csr")]
mod browser {
    use super::LiveCtx;
    use crate::domain::workflow::Notification;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    /// An open `/events` stream; dropping it closes the connection.
    pub struct Source {
        es: web_sys::EventSource,
        _on_notification: Closure<dyn FnMut(web_sys::MessageEvent)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
    }

    impl Source {
        /// Connected or reconnecting (not given up).
        pub fn is_open(&self) -> bool {
            self.es.ready_state() != web_sys::EventSource::CLOSED
        }
    }

    impl Drop for Source {
        fn drop(&mut self) {
            self.es.set_onerror(None);
            self.es.close();
        }
    }

    /// Opens the stream (same origin, so the session cookie goes with it).
    pub fn open(ctx: LiveCtx, on_given_up: impl Fn() + 'static) -> Option<Source> {
        let es = web_sys::EventSource::new("/events").ok()?;
        let on_notification =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if let Some(n) = ev
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<Notification>(&text).ok())
                {
                    ctx.receive(n);
                }
            });
        es.add_event_listener_with_callback(
            "notification",
            on_notification.as_ref().unchecked_ref(),
        )
        .ok()?;
        let watched = es.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            // After a network error the browser reconnects by itself; after a refusal
            // (401, 503) it closes the stream for good.
            if watched.ready_state() == web_sys::EventSource::CLOSED {
                on_given_up();
            }
        });
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Source {
            es,
            _on_notification: on_notification,
            _on_error: on_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::{EN, VI};

    fn n(topic: &str, status: Option<DossierStatus>, note: Option<&str>) -> Notification {
        Notification {
            seq: 1,
            topic: topic.into(),
            code: "00070-261123-0001".into(),
            status,
            note: note.map(Into::into),
            act: None,
            unit: None,
            at: chrono::Utc::now(),
            read: false,
        }
    }

    #[test]
    fn sentences() {
        use DossierStatus::*;
        let cases = [
            (
                n(
                    "dossier.status",
                    Some(SupplementRequested),
                    Some("Thiếu {x} giấy chứng sinh"),
                ),
                "Hồ sơ 00070-261123-0001 cần bổ sung giấy tờ: Thiếu {x} giấy chứng sinh",
            ),
            (
                n("dossier.status", Some(SupplementRequested), None),
                "Hồ sơ 00070-261123-0001 cần bổ sung giấy tờ.",
            ),
            (
                n("dossier.submitted", Some(Submitted), None),
                "Đã nhận hồ sơ 00070-261123-0001",
            ),
            (
                n("payment.confirmed", None, None),
                "Đã thanh toán lệ phí hồ sơ 00070-261123-0001",
            ),
            (
                n("dossier.status", Some(Processed), None),
                "Hồ sơ 00070-261123-0001: Đã xử lý xong",
            ),
            (
                n("dossier.assigned", Some(Processing), None),
                "Hồ sơ 00070-261123-0001 được giao cho bạn xử lý",
            ),
            (
                n("other", None, None),
                "Hồ sơ 00070-261123-0001 có cập nhật mới",
            ),
        ];
        for (note, want) in cases {
            assert_eq!(sentence(&VI, Lang::Vi, &note), want);
        }
        assert_eq!(
            sentence(&EN, Lang::En, &n("dossier.status", Some(Accepted), None)),
            "Application 00070-261123-0001: Accepted"
        );
    }
}
