use crate::ui::i18n::{fill, use_i18n};
use crate::ui::live::{sentence, use_live};
use leptos::prelude::*;

/// Tells screen-reader users, politely, of a notification that has just arrived. The region is
/// always in the page so that assistive technology is watching it before anything arrives.
#[component]
pub fn LiveAnnouncer() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    view! {
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
            {move || live.arrived.get().map(|n| fill(i18n.t().notif_live, "text", sentence(i18n.t(), i18n.lang(), &n)))}
        </div>
    }
}
