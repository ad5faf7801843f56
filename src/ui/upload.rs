//! Sending a file from the phone: large photos are made smaller first, then the file goes in
//! pieces; a dropped connection only pauses it, and it carries on from where the server stands.

use crate::ui::i18n::{fill, use_i18n};
use leptos::prelude::*;

/// Photos larger than this are scaled down before they are sent.
pub const DOWNSCALE_ABOVE_BYTES: f64 = 1.5 * 1024.0 * 1024.0;
/// Longest side of a scaled-down photo, in pixels (still sharp enough to read a document).
pub const MAX_PHOTO_SIDE: f64 = 2200.0;

/// Why a file did not arrive: a refusal code (`file_type` …) or a connection problem.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// Refused, with the code the server gave.
    Refused(crate::domain::field_error::FieldCode),
    /// Gave up after repeated connection failures.
    Network,
}

/// A file on its way to the server: which document it is for, its name, and how much of it
/// has arrived (0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Sending {
    /// Tells this file apart from others sent at the same time (also with the same name).
    pub key: u64,
    /// The document (slot) it is sent for.
    pub slot: String,
    /// The file name as picked.
    pub name: String,
    /// Share already received, from 0 to 1.
    pub progress: f64,
}

/// The files a page is sending right now, each shown with its progress until it is done.
#[derive(Debug, Clone, Copy)]
pub struct InFlight {
    list: RwSignal<Vec<Sending>>,
    next_key: StoredValue<u64>,
}

impl Default for InFlight {
    fn default() -> Self {
        Self::new()
    }
}

impl InFlight {
    /// Nothing under way yet.
    pub fn new() -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
        }
    }

    /// A file `name` starts on its way into `slot`; the key is what to report its progress with.
    pub fn begin(self, slot: &str, name: String) -> u64 {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        self.list.update(|s| {
            s.push(Sending {
                key,
                slot: slot.to_owned(),
                name,
                progress: 0.0,
            })
        });
        key
    }

    /// The file `key` has `p` (0 to 1) of itself at the server.
    pub fn progress(self, key: u64, p: f64) {
        self.list.update(|s| {
            if let Some(x) = s.iter_mut().find(|x| x.key == key) {
                x.progress = p;
            }
        });
    }

    /// The file `key` has arrived or was given up on; it is no longer shown.
    pub fn end(self, key: u64) {
        self.list.update(|s| s.retain(|x| x.key != key));
    }

    /// The files under way into `slot`, oldest first (tracked).
    pub fn for_slot(self, slot: &str) -> Vec<Sending> {
        self.list
            .with(|s| s.iter().filter(|x| x.slot == slot).cloned().collect())
    }

    /// How many files are under way into `slot` (tracked).
    pub fn count(self, slot: &str) -> usize {
        self.list
            .with(|s| s.iter().filter(|x| x.slot == slot).count())
    }

    /// Whether nothing is under way at all (tracked).
    pub fn is_empty(self) -> bool {
        self.list.with(Vec::is_empty)
    }

    /// Sends each file picked in `ev` for document `slot` with `send(file, on_progress)`,
    /// showing it here until it is done. The document's earlier error is cleared first; a file
    /// that arrived joins `arrived`, and a refusal or a lost connection (`upload_network`)
    /// becomes the error of field `doc.{slot}` in `errors`.
    #[cfg(feature = "csr")]
    pub fn send_picked<Fut>(
        self,
        ev: &leptos::ev::Event,
        slot: &str,
        arrived: RwSignal<Vec<crate::domain::upload::UploadView>>,
        errors: RwSignal<Vec<crate::domain::field_error::FieldError>>,
        send: impl Fn(web_sys::File, Box<dyn Fn(f64)>) -> Fut,
    ) where
        Fut: std::future::Future<Output = Result<crate::domain::upload::UploadView, SendError>>
            + 'static,
    {
        let field = format!("doc.{slot}");
        errors.update(|e| e.retain(|x| x.field != field));
        for file in take_picked(ev) {
            let key = self.begin(slot, file.name());
            let sending = send(file, Box::new(move |p| self.progress(key, p)));
            let field = field.clone();
            leptos::task::spawn_local(async move {
                let result = sending.await;
                self.end(key);
                let code = match result {
                    Ok(v) => return arrived.update(|u| u.push(v)),
                    Err(SendError::Refused(code)) => code,
                    Err(SendError::Network) => crate::domain::field_error::FieldCode::UploadNetwork,
                };
                errors.update(|e| e.push(crate::domain::field_error::FieldError::new(field, code)));
            });
        }
    }
}

/// The files under way for `document` (a slot), one list item each with the sentence
/// "sending … %" and a progress bar, announced politely to screen readers.
#[component]
pub fn SendingItems(in_flight: InFlight, document: String) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let t = i18n.t();
        in_flight
            .for_slot(&document)
            .into_iter()
            .map(|s| {
                let pct = (s.progress * 100.0).round() as u32;
                let text = fill(&fill(t.upload_sending, "name", &s.name), "pct", pct);
                view! {
                    <li class="file file--sending" role="status">
                        <label>{text}" "<progress max="100" value=pct>{format!("{pct}%")}</progress></label>
                    </li>
                }
            })
            .collect_view()
    }
}

/// The files just picked in a file input (from its `change` event); the input is emptied so
/// that picking the same file again is seen as a new pick.
#[cfg(feature = "csr")]
pub fn take_picked(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let Some(list) = input.files() else {
        return Vec::new();
    };
    let files = (0..list.length()).filter_map(|i| list.get(i)).collect();
    input.set_value("");
    files
}

#[cfg(feature = "csr")]
mod browser {
    use super::*;
    use crate::api::AppError;
    use crate::api::dossiers::{DossierUploadRequest, start_dossier_upload};
    use crate::api::uploads::{UploadRequest, start_upload};
    use crate::domain::upload::{CHUNK_BYTES, UploadView};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    /// A JPEG or PNG photo over the limit, redrawn as a JPEG at most [`MAX_PHOTO_SIDE`] wide.
    /// Anything else (PDF, small photos, or when the browser cannot decode it) is sent as is.
    pub async fn downscale(file: web_sys::File) -> web_sys::Blob {
        let original: web_sys::Blob = file.clone().into();
        let ty = file.type_();
        if f64::from(file.size() as u32) < DOWNSCALE_ABOVE_BYTES
            || !(ty == "image/jpeg" || ty == "image/png")
        {
            return original;
        }
        let window = leptos::prelude::window();
        let Ok(promise) = window.create_image_bitmap_with_blob(&file) else {
            return original;
        };
        let Ok(bitmap) = JsFuture::from(promise).await else {
            return original;
        };
        let bitmap: web_sys::ImageBitmap = bitmap.unchecked_into();
        let (w, h) = (f64::from(bitmap.width()), f64::from(bitmap.height()));
        let scale = (MAX_PHOTO_SIDE / w.max(h)).min(1.0);
        let (nw, nh) = ((w * scale).round() as u32, (h * scale).round() as u32);
        let Some(canvas) = leptos::prelude::document()
            .create_element("canvas")
            .ok()
            .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return original;
        };
        canvas.set_width(nw);
        canvas.set_height(nh);
        let Some(ctx) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        else {
            return original;
        };
        if ctx
            .draw_image_with_image_bitmap_and_dw_and_dh(
                &bitmap,
                0.0,
                0.0,
                f64::from(nw),
                f64::from(nh),
            )
            .is_err()
        {
            return original;
        }
        let blob = js_sys::Promise::new(&mut |resolve, _| {
            let cb =
                wasm_bindgen::closure::Closure::once_into_js(move |b: wasm_bindgen::JsValue| {
                    let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &b);
                });
            let _ = canvas.to_blob_with_type_and_encoder_options(
                cb.unchecked_ref(),
                "image/jpeg",
                &wasm_bindgen::JsValue::from_f64(0.85),
            );
        });
        match JsFuture::from(blob).await {
            Ok(b) if !b.is_null() => {
                let b: web_sys::Blob = b.unchecked_into();
                if b.size() < original.size() {
                    b
                } else {
                    original
                }
            }
            _ => original,
        }
    }

    /// One piece: `Ok(view)`, `Err(Ok(view))` when the server stands elsewhere (409),
    /// `Err(Err(Some(code)))` for a refusal, `Err(Err(None))` when the connection failed.
    async fn put_piece(
        id: &str,
        offset: f64,
        piece: &web_sys::Blob,
    ) -> Result<UploadView, Result<UploadView, Option<crate::domain::field_error::FieldCode>>> {
        let init = web_sys::RequestInit::new();
        init.set_method("PUT");
        init.set_body(piece);
        let headers = web_sys::Headers::new().map_err(|_| Err(None))?;
        let _ = headers.set("upload-offset", &format!("{offset}"));
        init.set_headers(&headers);
        let req = web_sys::Request::new_with_str_and_init(&format!("/files/uploads/{id}"), &init)
            .map_err(|_| Err(None))?;
        let resp = JsFuture::from(leptos::prelude::window().fetch_with_request(&req))
            .await
            .map_err(|_| Err(None))?;
        let resp: web_sys::Response = resp.unchecked_into();
        let status = resp.status();
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p)
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        match status {
            200 => serde_json::from_str(&text).map_err(|_| Err(None)),
            409 => match serde_json::from_str::<UploadView>(&text) {
                Ok(v) => Err(Ok(v)),
                Err(_) => Err(Err(None)),
            },
            500..=599 => Err(Err(None)),
            _ => {
                // The same error type as every server function answers.
                use crate::domain::field_error::FieldCode;
                let code = match serde_json::from_str::<AppError>(&text) {
                    Ok(AppError::Validation { fields }) => {
                        fields.first().map_or(FieldCode::Invalid, |f| f.code)
                    }
                    Ok(AppError::Conflict) => FieldCode::Conflict,
                    _ => FieldCode::Invalid,
                };
                Err(Err(Some(code)))
            }
        }
    }

    /// Sends `file` into `slot` of a draft, reporting progress from 0 to 1.
    pub async fn send(
        draft_id: String,
        slot: String,
        file: web_sys::File,
        on_start: impl Fn(UploadView),
        on_progress: impl Fn(f64),
    ) -> Result<UploadView, SendError> {
        send_with(
            file,
            move |name, size| {
                start_upload(UploadRequest {
                    draft_id,
                    slot,
                    name,
                    size,
                })
            },
            on_start,
            on_progress,
        )
        .await
    }

    /// Sends `file` into `slot` of a filed dossier: a document its owner was asked to supply
    /// (`unit` empty), or the result an officer of ward `unit` attaches.
    pub async fn send_to_dossier(
        code: String,
        unit: String,
        slot: String,
        file: web_sys::File,
        on_start: impl Fn(UploadView),
        on_progress: impl Fn(f64),
    ) -> Result<UploadView, SendError> {
        send_with(
            file,
            move |name, size| {
                start_dossier_upload(DossierUploadRequest {
                    code,
                    unit,
                    slot,
                    name,
                    size,
                })
            },
            on_start,
            on_progress,
        )
        .await
    }

    /// Announces the file with `announce(name, size)`, then sends its bytes in pieces.
    async fn send_with<F, Fut>(
        file: web_sys::File,
        announce: F,
        on_start: impl Fn(UploadView),
        on_progress: impl Fn(f64),
    ) -> Result<UploadView, SendError>
    where
        F: FnOnce(String, i64) -> Fut,
        Fut: std::future::Future<Output = Result<UploadView, AppError>>,
    {
        let name = file.name();
        let blob = downscale(file).await;
        let size = blob.size();
        let view = announce(name, size as i64).await.map_err(|e| match e {
            AppError::Validation { fields } => SendError::Refused(
                fields
                    .first()
                    .map(|f| f.code)
                    .unwrap_or(crate::domain::field_error::FieldCode::Invalid),
            ),
            // The dossier or draft moved on meanwhile (e.g. the request was withdrawn).
            AppError::Conflict => {
                SendError::Refused(crate::domain::field_error::FieldCode::Conflict)
            }
            _ => SendError::Network,
        })?;
        on_start(view.clone());
        let mut at = 0f64;
        let mut failures = 0;
        loop {
            let end = (at + CHUNK_BYTES as f64).min(size);
            let piece = blob
                .slice_with_f64_and_f64(at, end)
                .map_err(|_| SendError::Network)?;
            match put_piece(&view.id, at, &piece).await {
                Ok(v) => {
                    failures = 0;
                    at = v.received as f64;
                    on_progress(if size > 0.0 { at / size } else { 1.0 });
                    if v.complete {
                        return Ok(v);
                    }
                }
                // The server has more (or less) than we thought: carry on from there.
                Err(Ok(v)) => {
                    at = v.received as f64;
                    if v.complete {
                        return Ok(v);
                    }
                }
                Err(Err(Some(code))) => return Err(SendError::Refused(code)),
                Err(Err(None)) => {
                    failures += 1;
                    if failures > 60 {
                        return Err(SendError::Network);
                    }
                    // Offline or a dropped connection: wait and try the same piece again.
                    sleep_ms(if failures < 5 { 1000 } else { 5000 }).await;
                }
            }
        }
    }
}

#[cfg(feature = "csr")]
pub use browser::{send, send_to_dossier};

/// Waits `ms` milliseconds (in the browser; returns at once elsewhere).
pub async fn sleep_ms(ms: i32) {
    #[cfg(feature = "csr")]
    {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = leptos::prelude::window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
    #[cfg(not(feature = "csr"))]
    let _ = ms;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_follows_each_file_until_it_ends() {
        let owner = Owner::new();
        owner.set();
        let f = InFlight::new();
        assert!(f.is_empty());
        let a = f.begin("cccd", "front.jpg".into());
        let b = f.begin("cccd", "front.jpg".into());
        let c = f.begin("photo", "me.png".into());
        assert_ne!(a, b);
        assert_eq!(f.count("cccd"), 2);
        f.progress(b, 0.5);
        f.progress(99, 1.0);
        let cccd = f.for_slot("cccd");
        assert_eq!(
            cccd.iter().map(|s| (s.key, s.progress)).collect::<Vec<_>>(),
            vec![(a, 0.0), (b, 0.5)]
        );
        f.end(a);
        f.end(c);
        assert_eq!(f.count("photo"), 0);
        assert_eq!(f.for_slot("cccd").len(), 1);
        f.end(b);
        assert!(f.is_empty());
    }
}
