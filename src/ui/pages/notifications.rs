//! `/thong-bao`: the notification centre. Opening it marks everything shown as read; new
//! notifications arrive at the top while it is open (announced by the live region in the app
//! shell).

use crate::api::notifications::{ReadUpTo, mark_read, notifications};
use crate::domain::calendar::{format_en, format_vi};
use crate::domain::workflow::Notification;
use crate::ui::components::{LoadError, SignInPrompt};
use crate::ui::i18n::{Lang, fill, use_i18n};
use crate::ui::live::{sentence, use_live};
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// The signed-in person's notifications, newest first.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    view! {
        <Title text=move || t().notif_title.to_string() />
        <div class="page">
            <h1>{move || t().notif_title}</h1>
            {move || match session.info.get() {
                None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
                Some(None) => view! { <SignInPrompt return_to=routes::NOTIFICATIONS /> }.into_any(),
                Some(Some(_)) => view! { <Inbox /> }.into_any(),
            }}
        </div>
    }
}

/// Marks everything up to `seq` read, on the server and in the header badge.
fn read_up_to(seq: i64) {
    let live = use_live();
    live.read_up_to(seq);
    leptos::task::spawn_local(async move {
        let _ = mark_read(ReadUpTo { seq }).await;
    });
}

#[component]
fn Inbox() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let live = use_live();
    let inbox = LocalResource::new(notifications);
    let items = RwSignal::new(Vec::<Notification>::new());
    // Notifications that had not been read when they were first shown here.
    let fresh = RwSignal::new(Vec::<i64>::new());
    Effect::new(move |_| {
        if let Some(Ok(b)) = inbox.get() {
            let newest = b.items.iter().map(|n| n.seq).max();
            fresh.set(b.items.iter().filter(|n| !n.read).map(|n| n.seq).collect());
            items.set(b.items);
            if let Some(seq) = newest.filter(|_| b.unread > 0) {
                read_up_to(seq);
            } else if let Some(seq) = newest {
                live.read_up_to(seq);
            }
        }
    });
    // Arrivals while the page is open go on top, already read.
    Effect::new(move |_| {
        let Some(n) = live.arrived.get() else { return };
        if inbox.with_untracked(|b| !matches!(b, Some(Ok(_)))) {
            return;
        }
        if items.with_untracked(|list| list.iter().any(|x| x.seq >= n.seq)) {
            return;
        }
        let seq = n.seq;
        fresh.update(|f| f.push(seq));
        items.update(|list| list.insert(0, n));
        read_up_to(seq);
    });
    let when = move |at: chrono::DateTime<chrono::Utc>| match i18n.lang() {
        Lang::Vi => format_vi(at),
        Lang::En => format_en(at),
    };
    view! {
        <p class="lead">{move || t().notif_lead}</p>
        {move || match inbox.get() {
            None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
            Some(Err(e)) => view! { <LoadError error=e on_retry=Callback::new(move |_| inbox.refetch()) /> }.into_any(),
            Some(Ok(_)) => view! {
                <Show when=move || items.with(Vec::is_empty)>
                    <p>{move || t().notif_empty}</p>
                </Show>
                <ul class="plain notifications">
                    <For each=move || items.get() key=|n| n.seq let:n>
                        {
                            let seq = n.seq;
                            let code = n.code.clone();
                            // Deadline, assignment and refund notices are for ward staff: they open the console.
                            let href = match (n.topic.as_str(), &n.unit) {
                                ("dossier.deadline" | "dossier.assigned" | "payment.refund_due", Some(unit)) => {
                                    routes::staff_dossier(unit, &code)
                                }
                                _ => routes::dossier(&code),
                            };
                            let n = StoredValue::new(n);
                            view! {
                                <li class="notification" class:notification--fresh=move || fresh.with(|f| f.contains(&seq))>
                                    <p class="notification__meta">
                                        <time datetime=n.with_value(|n| n.at.to_rfc3339())>{move || when(n.with_value(|n| n.at))}</time>
                                        <Show when=move || fresh.with(|f| f.contains(&seq))>
                                            " " <span class="badge badge--new">{move || t().notif_new}</span>
                                        </Show>
                                    </p>
                                    <p class="notification__text">{move || n.with_value(|n| sentence(t(), i18n.lang(), n))}</p>
                                    <p class="notification__link">
                                        <a href=href rel="external">{move || fill(t().notif_open, "code", &code)}</a>
                                    </p>
                                </li>
                            }
                        }
                    </For>
                </ul>
            }.into_any(),
        }}
    }
}
