use crate::domain::catalog::{Level, OnlineMode};
use crate::ui::i18n::use_i18n;
use leptos::prelude::*;

/// "Cấp xã" / "Cấp thành phố".
#[component]
pub fn LevelBadge(
    /// Implementing level.
    level: Level,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class="badge badge--level">
            {move || match level {
                Level::Commune => i18n.t().level_commune,
                Level::Province => i18n.t().level_province,
            }}
        </span>
    }
}

/// "Trực tuyến toàn trình" / "Trực tuyến một phần".
#[component]
pub fn OnlineBadge(
    /// Fully or partly online.
    online: OnlineMode,
) -> impl IntoView {
    let i18n = use_i18n();
    let class = match online {
        OnlineMode::Full => "badge badge--full",
        OnlineMode::Partial => "badge badge--partial",
    };
    view! {
        <span class=class>
            {move || match online {
                OnlineMode::Full => i18n.t().online_full,
                OnlineMode::Partial => i18n.t().online_partial,
            }}
        </span>
    }
}
