use crate::domain::catalog::ProcedureSummary;
use crate::domain::money::Vnd;
use crate::ui::components::{LevelBadge, OnlineBadge};
use crate::ui::i18n::{Lang, fill, use_i18n};
use crate::ui::routes;
use leptos::prelude::*;
use leptos_router::components::A;

/// Formats a fee in the current language ("Miễn phí" when zero).
pub fn fee_text(lang: Lang, amount: i64) -> String {
    match (amount, lang) {
        (0, _) => lang.messages().proc_fee_free.to_string(),
        (n, Lang::Vi) => Vnd(n).format_vi(),
        (n, Lang::En) => Vnd(n).format_en(),
    }
}

/// One procedure in a list: its name as a link, code, time, fee and badges.
#[component]
pub fn ProcedureCard(
    /// The procedure.
    procedure: ProcedureSummary,
) -> impl IntoView {
    let i18n = use_i18n();
    let p = StoredValue::new(procedure);
    let href = routes::procedure(&p.with_value(|p| p.slug.clone()));
    view! {
        <li class="card">
            <h3 class="card__title">
                <A href=href>{move || p.with_value(|p| i18n.lang().pick(&p.name_vi, &p.name_en).to_string())}</A>
            </h3>
            <p class="card__meta">
                <span>{move || format!("{}: {}", i18n.t().proc_code, p.with_value(|p| p.code.clone()))}</span>
                <span>{move || fill(i18n.t().proc_days, "n", p.with_value(|p| p.processing_working_days))}</span>
                <span>{move || fee_text(i18n.lang(), p.with_value(|p| p.fee_vnd))}</span>
            </p>
            <p class="card__badges">
                <LevelBadge level=p.with_value(|p| p.level) />
                <OnlineBadge online=p.with_value(|p| p.online) />
            </p>
        </li>
    }
}
