//! Signing out: of this device, or of every device. Signing out clears what the site keeps on
//! this device, so when a draft's latest changes have not reached the server yet (typed
//! offline), the button first says so, offers to reopen the draft (which saves it), and signs
//! out only when asked again.

use crate::ui::focus::focus_id;
use crate::ui::i18n::{fill, use_i18n};
use crate::ui::routes;
use crate::ui::unsynced::{self, Unsynced};
use leptos::prelude::*;

/// A sign-out button (a form posted to `/auth/logout`).
#[component]
pub fn SignOut(
    /// End every session of the person, not only this one.
    #[prop(optional)]
    everywhere: bool,
    /// Class of the form.
    #[prop(optional, into)]
    class: String,
    /// Class of its button.
    #[prop(optional, into)]
    button_class: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let waiting = RwSignal::new(Vec::<Unsynced>::new());
    let warning_id = if everywhere {
        "sign-out-everywhere-warning"
    } else {
        "sign-out-warning"
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let list = unsynced::list();
        if !list.is_empty() {
            ev.prevent_default();
            waiting.set(list);
            request_animation_frame(move || focus_id(warning_id));
        }
    };
    let label = move || {
        if everywhere {
            t().auth_logout_everywhere
        } else {
            t().auth_logout
        }
    };
    let hidden = move || {
        everywhere.then(|| view! { <input type="hidden" name="everywhere" value="true" /> })
    };
    view! {
        <form method="post" action="/auth/logout" class=class on:submit=on_submit>
            {hidden}
            <button type="submit" class=button_class>{label}</button>
        </form>
        <Show when=move || !waiting.with(Vec::is_empty)>
            <div class="notice sign-out-warning" role="alert">
                <h2 id=warning_id tabindex="-1">{move || t().auth_unsynced_title}</h2>
                <p>{move || t().auth_unsynced_body}</p>
                <ul>
                    {move || waiting.get().into_iter().map(|u| {
                        let name = i18n.lang().pick(&u.name_vi, &u.name_en).to_string();
                        let href = format!("{}?nhap={}", routes::filing(&u.slug), u.id);
                        view! {
                            <li><a href=href rel="external">{fill(t().auth_unsynced_open, "name", &name)}</a></li>
                        }
                    }).collect_view()}
                </ul>
                <div class="button-row">
                    <button type="button" class="button" on:click=move |_| waiting.set(Vec::new())>
                        {move || t().auth_unsynced_stay}
                    </button>
                    // Asked again: sign out anyway.
                    <form method="post" action="/auth/logout">
                        {hidden}
                        <button type="submit" class="button button--secondary">{move || t().auth_unsynced_anyway}</button>
                    </form>
                </div>
            </div>
        </Show>
    }
}
