//! `/chia-se-suc-khoe#shlink:/…`: the viewer of a SMART Health Link, for whoever the resident
//! gave it to — no account needed. The link's key never leaves the page (it is in the
//! fragment, which browsers do not send): the page asks the manifest with the passcode and
//! the recipient's name, decrypts the file with WebCrypto, and shows it from its coded
//! fields. Nothing is stored.

use crate::domain::fhir::label;
use crate::ui::i18n::{Messages, fill, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;
#[cfg(feature = "csr")]
use wasm_bindgen::JsCast;
#[cfg(feature = "csr")]
use wasm_bindgen_futures::JsFuture;

/// Base64url (no padding) to bytes, through the browser's `atob`.
#[cfg(feature = "csr")]
fn b64url(s: &str) -> Option<Vec<u8>> {
    let mut std: String = s
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !std.len().is_multiple_of(4) {
        std.push('=');
    }
    let bin = window().atob(&std).ok()?;
    Some(bin.chars().map(|c| c as u32 as u8).collect())
}

/// The link's payload, from the address's fragment (the server never sees it).
#[cfg(not(feature = "csr"))]
fn payload() -> Option<Value> {
    None
}

/// The link's payload, from the address's fragment.
#[cfg(feature = "csr")]
fn payload() -> Option<Value> {
    let hash = window().location().hash().ok()?;
    let b = hash.trim_start_matches('#').strip_prefix("shlink:/")?;
    serde_json::from_slice(&b64url(b)?).ok()
}

/// Why the file could not be shown.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "csr"), allow(dead_code))]
enum Refused {
    /// Wrong passcode, with the tries left.
    Wrong(i64),
    /// Expired, revoked or out of tries.
    Gone,
    /// The file does not decrypt with the link's key.
    NotOurs,
    /// No answer.
    Network,
}

#[cfg(not(feature = "csr"))]
async fn fetch_manifest(_: &str, _: &str, _: &str) -> Result<String, Refused> {
    Err(Refused::Network)
}

#[cfg(not(feature = "csr"))]
async fn decrypt(_: &str, _: &str) -> Result<Value, Refused> {
    Err(Refused::NotOurs)
}

#[cfg(feature = "csr")]
async fn fetch_manifest(url: &str, recipient: &str, passcode: &str) -> Result<String, Refused> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_mode(web_sys::RequestMode::Cors);
    let body = serde_json::json!({ "recipient": recipient, "passcode": passcode }).to_string();
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|_| Refused::Network)?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let req = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| Refused::Network)?;
    let resp: web_sys::Response = JsFuture::from(window().fetch_with_request(&req))
        .await
        .map_err(|_| Refused::Network)?
        .unchecked_into();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match resp.status() {
        200 => v["files"][0]["embedded"]
            .as_str()
            .map(str::to_owned)
            .ok_or(Refused::NotOurs),
        401 => Err(Refused::Wrong(v["remainingAttempts"].as_i64().unwrap_or(0))),
        404 => Err(Refused::Gone),
        _ => Err(Refused::Network),
    }
}

/// Decrypts a JWE (`dir`, `A256GCM`) with the link's key, in the browser's WebCrypto.
#[cfg(feature = "csr")]
async fn decrypt(key: &str, jwe: &str) -> Result<Value, Refused> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [protected, "", iv, ciphertext, tag] = parts.as_slice() else {
        return Err(Refused::NotOurs);
    };
    let key = b64url(key).ok_or(Refused::NotOurs)?;
    let iv = b64url(iv).ok_or(Refused::NotOurs)?;
    let mut sealed = b64url(ciphertext).ok_or(Refused::NotOurs)?;
    sealed.extend(b64url(tag).ok_or(Refused::NotOurs)?);
    let subtle = window().crypto().map_err(|_| Refused::NotOurs)?.subtle();
    let usages = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str("decrypt"));
    let key_data = js_sys::Uint8Array::from(key.as_slice());
    let k = subtle
        .import_key_with_str("raw", &key_data, "AES-GCM", false, &usages)
        .map_err(|_| Refused::NotOurs)?;
    let k: web_sys::CryptoKey = JsFuture::from(k)
        .await
        .map_err(|_| Refused::NotOurs)?
        .unchecked_into();
    let params = web_sys::AesGcmParams::new("AES-GCM", &js_sys::Uint8Array::from(iv.as_slice()));
    params.set_additional_data(&js_sys::Uint8Array::from(protected.as_bytes()));
    let plain = subtle
        .decrypt_with_object_and_u8_array(&params, &k, &sealed)
        .map_err(|_| Refused::NotOurs)?;
    let plain = JsFuture::from(plain).await.map_err(|_| Refused::NotOurs)?;
    let bytes = js_sys::Uint8Array::new(&plain).to_vec();
    serde_json::from_slice(&bytes).map_err(|_| Refused::NotOurs)
}

/// The shared file: the patient, then each section (a summary) or each vaccination.
fn shown(t: &'static Messages, bundle: &Value) -> impl IntoView + use<> {
    let entries: Vec<&Value> = bundle["entry"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let by_url: std::collections::HashMap<&str, &Value> = entries
        .iter()
        .filter_map(|e| Some((e["fullUrl"].as_str()?, &e["resource"])))
        .collect();
    let patient = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Patient");
    let name = patient
        .and_then(|p| p["name"][0]["text"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let birth = patient
        .and_then(|p| p["birthDate"].as_str())
        .and_then(|b| chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default();
    let composition = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Composition");
    let sections: Vec<(String, Vec<String>)> = match composition {
        Some(c) => c["section"]
            .as_array()
            .map(|ss| {
                ss.iter()
                    .map(|s| {
                        let items = s["entry"]
                            .as_array()
                            .map(|es| {
                                es.iter()
                                    .filter_map(|r| r["reference"].as_str())
                                    .filter_map(|r| by_url.get(r).map(|v| label(v)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        (s["title"].as_str().unwrap_or_default().to_string(), items)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        None => vec![(
            t.health_tab_vaccines.to_string(),
            entries
                .iter()
                .map(|e| &e["resource"])
                .filter(|r| r["resourceType"] == "Immunization")
                .map(label)
                .collect(),
        )],
    };
    view! {
        <dl class="facts">
            <div><dt>{t.health_viewer_patient}</dt><dd>{name}</dd></div>
            <div><dt>{t.health_ov_birth}</dt><dd>{birth}</dd></div>
        </dl>
        {sections.into_iter().map(|(title, items)| view! {
            <section>
                <h2>{title}</h2>
                {if items.is_empty() {
                    view! { <p>{t.health_viewer_no_entries}</p> }.into_any()
                } else {
                    view! { <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any()
                }}
            </section>
        }).collect_view()}
    }
}

/// The viewer of a shared health record.
#[component]
pub fn ShareViewerPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let link = payload();
    let recipient = RwSignal::new(String::new());
    let passcode = RwSignal::new(String::new());
    let missing = RwSignal::new((false, false));
    let result = RwSignal::new(None::<Result<Value, Refused>>);
    let busy = RwSignal::new(false);
    let open = {
        let link = link.clone();
        move || {
            let Some(p) = link.clone() else { return };
            let (r, c) = (recipient.get_untracked(), passcode.get_untracked());
            missing.set((r.trim().is_empty(), c.trim().is_empty()));
            if r.trim().is_empty() || c.trim().is_empty() {
                return;
            }
            busy.set(true);
            leptos::task::spawn_local(async move {
                let url = p["url"].as_str().unwrap_or_default().to_string();
                let key = p["key"].as_str().unwrap_or_default().to_string();
                let got = match fetch_manifest(&url, r.trim(), c.trim()).await {
                    Ok(jwe) => decrypt(&key, &jwe).await,
                    Err(e) => Err(e),
                };
                result.set(Some(got));
                busy.set(false);
            });
        }
    };
    let label = link
        .as_ref()
        .and_then(|p| p["label"].as_str().map(str::to_owned))
        .unwrap_or_default();
    view! {
        <Title text=move || t().health_viewer_title.to_string() />
        <div class="page health">
            <h1>{move || t().health_viewer_title}</h1>
            {match link {
                None => view! { <p class="notice" role="alert">{move || t().health_viewer_bad_link}</p> }.into_any(),
                Some(_) => view! {
                    {(!label.is_empty()).then(|| view! { <p class="lead">{label.clone()}</p> })}
                    {move || match result.get() {
                        Some(Ok(bundle)) => shown(t(), &bundle).into_any(),
                        other => view! {
                            <p>{move || t().health_viewer_intro}</p>
                            {match other {
                                Some(Err(Refused::Wrong(n))) => Some(view! { <p class="notice notice--error" role="alert">{move || fill(t().health_viewer_wrong, "n", n)}</p> }.into_any()),
                                Some(Err(Refused::Gone)) => Some(view! { <p class="notice notice--error" role="alert">{move || t().health_viewer_gone}</p> }.into_any()),
                                Some(Err(Refused::NotOurs)) => Some(view! { <p class="notice notice--error" role="alert">{move || t().health_viewer_not_ours}</p> }.into_any()),
                                Some(Err(Refused::Network)) => Some(view! { <p class="notice notice--error" role="alert">{move || t().error_network}</p> }.into_any()),
                                _ => None,
                            }}
                            <form novalidate on:submit={
                                let open = open.clone();
                                move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); open(); }
                            }>
                                <div class=move || if missing.get().0 { "field field--error" } else { "field" }>
                                    <label for="viewer-recipient">{move || t().health_viewer_recipient}</label>
                                    <span class="hint" id="viewer-recipient-hint">{move || t().health_viewer_recipient_hint}</span>
                                    {move || missing.get().0.then(|| view! { <p class="field-error">{move || t().health_viewer_recipient_missing}</p> })}
                                    <input type="text" id="viewer-recipient" autocomplete="name" maxlength="80"
                                        aria-describedby="viewer-recipient-hint"
                                        prop:value=move || recipient.get()
                                        on:input=move |ev| recipient.set(event_target_value(&ev)) />
                                </div>
                                <div class=move || if missing.get().1 { "field field--error" } else { "field" }>
                                    <label for="viewer-passcode">{move || t().health_share_passcode}</label>
                                    {move || missing.get().1.then(|| view! { <p class="field-error">{move || t().health_viewer_passcode_missing}</p> })}
                                    <input type="password" id="viewer-passcode" autocomplete="off" maxlength="64"
                                        prop:value=move || passcode.get()
                                        on:input=move |ev| passcode.set(event_target_value(&ev)) />
                                </div>
                                <button type="submit" class="button" disabled=move || busy.get()>{move || t().health_viewer_open}</button>
                            </form>
                        }.into_any(),
                    }}
                    <p class="hint">{move || t().health_viewer_nothing_kept}</p>
                }.into_any(),
            }}
        </div>
    }
}
