use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use leptos::prelude::*;

/// Shown on a page that needs a signed-in person when nobody is: why, and the way in.
#[component]
pub fn SignInPrompt(
    /// Where to come back to after signing in.
    #[prop(into)]
    return_to: String,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p>{move || i18n.t().profile_signed_out}</p>
        <p><a class="button" href=routes::login(&return_to, false) rel="external">{move || i18n.t().auth_login}</a></p>
    }
}
