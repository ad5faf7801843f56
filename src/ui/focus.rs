//! Moving keyboard focus, for skip links and error summaries.

/// Focuses the element with this id, if there is one.
pub fn focus_id(id: &str) {
    #[cfg(feature = "csr")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = leptos::prelude::document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "csr"))]
    let _ = id;
}
