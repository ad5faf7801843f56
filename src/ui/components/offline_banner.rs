use crate::ui::i18n::use_i18n;
use leptos::prelude::*;

/// Tells the resident when the connection is gone, and why searching will not work.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    view! {
        <div class="offline-banner" role="status" aria-live="polite">
            <Show when=move || !online.get()>
                <p>{move || i18n.t().offline_banner}</p>
            </Show>
        </div>
    }
}

/// Whether the browser believes it is online, updated by `online` / `offline` events.
pub fn use_online() -> ReadSignal<bool> {
    #[cfg(feature = "csr")]
    {
        let (online, set_online) = signal(window().navigator().on_line());
        let a = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
        let b = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
        on_cleanup(move || {
            a.remove();
            b.remove();
        });
        online
    }
    #[cfg(not(feature = "csr"))]
    {
        signal(true).0
    }
}
