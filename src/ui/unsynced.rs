//! Drafts typed on this device that have not reached the server yet, by id (in
//! `localStorage`, so that every page can tell, not only the form pages). Signing out clears
//! the site's storage, so the sign-out buttons look here first and warn.

use serde::{Deserialize, Serialize};

/// One draft whose latest answers are only on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsynced {
    /// Draft id.
    pub id: String,
    /// Its procedure (the form to reopen it in).
    pub slug: String,
    /// The procedure's name, in Vietnamese and English.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
}

#[cfg(feature = "csr")]
const KEY: &str = "dvc.unsynced";

#[cfg(feature = "csr")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}

/// Every draft waiting to reach the server.
pub fn list() -> Vec<Unsynced> {
    #[cfg(feature = "csr")]
    {
        storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "csr"))]
    Vec::new()
}

/// Records whether a draft still has changes only on this device.
pub fn set(draft: Unsynced, waiting: bool) {
    let mut all = list();
    all.retain(|u| u.id != draft.id);
    if waiting {
        all.push(draft);
    }
    #[cfg(feature = "csr")]
    if let (Some(s), Ok(v)) = (storage(), serde_json::to_string(&all)) {
        let _ = if all.is_empty() {
            s.remove_item(KEY)
        } else {
            s.set_item(KEY, &v)
        };
    }
}
