use crate::api::AppError;
use crate::api::admin::{RoleChange, change_role, list_staff, set_account_disabled};
use crate::api::catalog::list_units;
use crate::domain::field_error::FieldError;
use crate::ui::components::{ErrorSummary, FieldMessage};
use crate::ui::i18n::{error_message, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;

fn field_id(field: &str) -> String {
    match field {
        "unit_code" => "admin-unit".into(),
        "role" => "admin-role".into(),
        _ => "admin-cccd".into(),
    }
}

/// Staff administration: who works where, and account locking.
#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let staff = LocalResource::new(list_staff);
    let units = LocalResource::new(list_units);
    let cccd = RwSignal::new(String::new());
    let unit = RwSignal::new(String::new());
    let role = RwSignal::new("officer".to_string());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saved = RwSignal::new(false);
    let change = Action::new_local(|c: &RoleChange| change_role(c.clone()));
    let disable =
        Action::new_local(|(id, d): &(String, bool)| set_account_disabled(id.clone(), *d));

    Effect::new(move |_| match change.value().get() {
        Some(Ok(())) => {
            errors.set(Vec::new());
            saved.set(true);
            staff.refetch();
        }
        Some(Err(AppError::Validation { fields })) => {
            saved.set(false);
            errors.set(fields)
        }
        _ => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = disable.value().get() {
            staff.refetch();
        }
    });
    let submit = move |grant: bool| {
        saved.set(false);
        change.dispatch(RoleChange {
            cccd: cccd.get_untracked(),
            unit_code: unit.get_untracked(),
            role: role.get_untracked(),
            grant,
        });
    };
    view! {
        <Title text=move || t().admin_title.to_string() />
        <div class="page">
            <h1>{move || t().admin_title}</h1>
            <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                {move || staff.get().map(|r| match r {
                    Err(AppError::Forbidden | AppError::Unauthenticated) => view! { <p class="notice">{move || t().admin_forbidden}</p> }.into_any(),
                    Err(e) => view! { <p class="notice notice--error">{move || error_message(t(), &e)}</p> }.into_any(),
                    Ok(list) => view! {
                        <p class="lead">{move || t().admin_lead}</p>
                        <section aria-labelledby="change-title">
                            <h2 id="change-title">{move || t().admin_change_title}</h2>
                            <ErrorSummary errors=errors field_id=field_id />
                            <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(true); }>
                                <div class="field">
                                    <label for="admin-cccd">{move || t().admin_cccd}</label>
                                    <FieldMessage errors=errors field="cccd" id="admin-cccd-error" />
                                    <input id="admin-cccd" type="text" inputmode="numeric" autocomplete="off" maxlength="15"
                                        prop:value=move || cccd.get() on:input=move |ev| cccd.set(event_target_value(&ev)) />
                                </div>
                                <div class="field">
                                    <label for="admin-unit">{move || t().admin_unit}</label>
                                    <FieldMessage errors=errors field="unit_code" id="admin-unit-error" />
                                    <select id="admin-unit" on:change=move |ev| unit.set(event_target_value(&ev))>
                                        <option value="">"—"</option>
                                        {move || units.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| {
                                            let label = match i18n.lang() {
                                                crate::ui::i18n::Lang::Vi => u.full_name_vi(),
                                                crate::ui::i18n::Lang::En => u.full_name_en(),
                                            };
                                            view! { <option value=u.code.clone()>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </div>
                                <div class="field">
                                    <label for="admin-role">{move || t().admin_role}</label>
                                    <select id="admin-role" on:change=move |ev| role.set(event_target_value(&ev))>
                                        <option value="officer">{move || t().role_officer}</option>
                                        <option value="leader">{move || t().role_leader}</option>
                                    </select>
                                </div>
                                <p class="actions">
                                    <button type="submit" class="button">{move || t().admin_grant}</button>
                                    " "
                                    <button type="button" class="button button--secondary" on:click=move |_| submit(false)>{move || t().admin_revoke}</button>
                                </p>
                            </form>
                            <div role="status">{move || saved.get().then(|| view! { <p class="notice">{move || t().admin_saved}</p> })}</div>
                        </section>
                        <section aria-labelledby="staff-title">
                            <h2 id="staff-title">{move || t().admin_staff_list}</h2>
                            <ul class="cards">
                                {list.into_iter().map(|m| {
                                    let id = m.user_id.clone();
                                    let disabled = m.disabled;
                                    view! {
                                        <li class="card">
                                            <h3 class="card__title">{m.name.clone()}</h3>
                                            <p class="card__meta">
                                                <span class="mono">{m.cccd_masked.clone().unwrap_or_default()}</span>
                                                {m.is_admin.then(|| view! { <span class="badge badge--level">{move || t().admin_admin_badge}</span> })}
                                                {m.disabled.then(|| view! { <span class="badge badge--partial">{move || t().admin_disabled_badge}</span> })}
                                            </p>
                                            <ul class="plain">
                                                {m.roles.into_iter().map(|r| {
                                                    let leader = r.role == crate::domain::staff::Role::Leader;
                                                    let name = i18n.lang().pick(&r.unit_name, &r.unit_name_en).to_string();
                                                    view! { <li>{name} " — " {move || if leader { t().role_leader } else { t().role_officer }}</li> }
                                                }).collect_view()}
                                            </ul>
                                            {(!m.is_admin).then(|| view! {
                                                <button type="button" class="button button--secondary"
                                                    on:click=move |_| { disable.dispatch((id.clone(), !disabled)); }>
                                                    {move || if disabled { t().admin_enable } else { t().admin_disable }}
                                                </button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                })}
            </Suspense>
        </div>
    }
}
