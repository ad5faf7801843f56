//! Who is signed in, as the app knows it. The server decides everything; this only mirrors
//! the session for display and warns before the server ends it for inactivity.

use crate::api::session::{SessionInfo, current_session};
use leptos::prelude::*;

/// The session context.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    /// `None` until first loaded; `Some(None)` when signed out.
    pub info: RwSignal<Option<Option<SessionInfo>>>,
    /// Seconds since the server last saw this session (counted in the browser).
    pub idle_secs: RwSignal<i64>,
    /// The server has ended the session while the page was open.
    pub expired: RwSignal<bool>,
}

impl SessionCtx {
    /// Asks the server again (and so keeps the session alive), telling it the language the
    /// person reads the portal in (their e-mail comes in it).
    pub fn refresh(&self) {
        let ctx = *self;
        let lang =
            use_context::<crate::ui::i18n::I18n>().map(|i| i.lang_untracked().code().to_string());
        leptos::task::spawn_local(async move {
            if let Ok(now) = current_session(lang).await {
                let was_signed_in = matches!(ctx.info.get_untracked(), Some(Some(_)));
                ctx.expired.set(was_signed_in && now.is_none());
                ctx.info.set(Some(now));
                ctx.idle_secs.set(0);
            }
        });
    }

    /// The signed-in person, if any (tracked).
    pub fn user(&self) -> Option<SessionInfo> {
        self.info.get().flatten()
    }
}

/// Provides the session context, loads it, and counts idle time once a minute.
pub fn provide_session_context() -> SessionCtx {
    let ctx = SessionCtx {
        info: RwSignal::new(None),
        idle_secs: RwSignal::new(0),
        expired: RwSignal::new(false),
    };
    provide_context(ctx);
    ctx.refresh();
    #[cfg(feature = "csr")]
    {
        let handle = set_interval_with_handle(
            move || {
                ctx.idle_secs.update(|s| *s += 30);
                if let Some(Some(info)) = ctx.info.get_untracked()
                    && ctx.idle_secs.get_untracked() >= info.idle_timeout_secs
                {
                    // The server has ended it by now; ask, to be sure.
                    ctx.refresh();
                }
            },
            std::time::Duration::from_secs(30),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    ctx
}

/// The session context provided by [`provide_session_context`].
pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}
