//! Every server function's access rule, by endpoint path. The authorization test
//! (`tests/server/authorization.rs`) takes the functions the server actually registered: one
//! without a rule here, a rule for no function, or a function without a case there fails the
//! suite.

/// How a server function may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (public information).
    Public,
    /// Anyone; answers about the caller's own session only.
    OwnSession,
    /// A signed-in person with a recent level-2 login.
    StepUp,
    /// Administrators only.
    Admin,
    /// A signed-in person, on their own drafts and dossiers only.
    Own,
    /// A signed-in person whose login is at identity level 2.
    Level2,
    /// Staff with a role at the ward named in the request; any other ward answers 404.
    Staff,
    /// The health record: a resident (never staff) at level 2 with a recent login who has
    /// consented; a record other than their own or a represented child's answers 404.
    Health,
    /// Consent to the health record: any signed-in resident, never staff.
    HealthConsent,
}

/// `(path, access)` for every server function.
pub const ALL: &[(&str, Access)] = &[
    ("/api/catalog/search", Access::Public),
    ("/api/catalog/procedure", Access::Public),
    ("/api/catalog/sectors", Access::Public),
    ("/api/catalog/units", Access::Public),
    ("/api/dossiers/track", Access::Public),
    ("/api/session/me", Access::OwnSession),
    ("/api/session/reveal-id", Access::StepUp),
    ("/api/admin/staff", Access::Admin),
    ("/api/admin/staff/role", Access::Admin),
    ("/api/admin/users/disable", Access::Admin),
    ("/api/filing/start", Access::Own),
    ("/api/filing/draft", Access::Own),
    ("/api/filing/save", Access::Own),
    ("/api/filing/drafts", Access::Own),
    ("/api/filing/delete", Access::Own),
    ("/api/filing/submit", Access::Level2),
    ("/api/dossiers/mine/get", Access::Own),
    ("/api/payments/start", Access::Own),
    ("/api/uploads/start", Access::Own),
    ("/api/uploads/list", Access::Own),
    ("/api/uploads/delete", Access::Own),
    ("/api/dossiers/mine", Access::Own),
    ("/api/dossiers/mine/detail", Access::Own),
    ("/api/dossiers/withdraw", Access::Own),
    ("/api/dossiers/supplement", Access::Own),
    ("/api/uploads/start-dossier", Access::Own),
    ("/api/notifications/list", Access::Own),
    ("/api/notifications/read", Access::Own),
    ("/api/staff/console", Access::Staff),
    ("/api/staff/dossier", Access::Staff),
    ("/api/staff/act", Access::Staff),
    ("/api/staff/intake", Access::Staff),
    ("/api/staff/intake/consent", Access::Staff),
    ("/api/staff/intake/consent-status", Access::Staff),
    ("/api/consent/get", Access::Own),
    ("/api/consent/confirm", Access::Level2),
    ("/api/health/subjects", Access::Health),
    ("/api/health/consent", Access::HealthConsent),
    ("/api/health/overview", Access::Health),
    ("/api/health/visits", Access::Health),
    ("/api/health/visit", Access::Health),
    ("/api/health/lab-series", Access::Health),
    ("/api/health/vaccinations", Access::Health),
    ("/api/health/access-log", Access::Health),
    ("/api/health/shares/create", Access::Health),
    ("/api/health/shares/list", Access::Health),
    ("/api/health/shares/revoke", Access::Health),
    ("/api/health/birth-certificates", Access::Health),
    ("/api/health/attach", Access::Health),
];

/// Registers every server function with the server-function router.
#[cfg(feature = "ssr")]
pub fn register_all() {
    use crate::api::catalog::*;
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<SearchProcedures>();
    register_explicit::<GetProcedure>();
    register_explicit::<ListSectors>();
    register_explicit::<ListUnits>();
    register_explicit::<crate::api::tracking::TrackDossier>();
    register_explicit::<crate::api::session::CurrentSession>();
    register_explicit::<crate::api::session::RevealOwnId>();
    register_explicit::<crate::api::admin::ListStaff>();
    register_explicit::<crate::api::admin::ChangeRole>();
    register_explicit::<crate::api::admin::SetAccountDisabled>();
    {
        use crate::api::filing::*;
        register_explicit::<StartFiling>();
        register_explicit::<GetDraft>();
        register_explicit::<SaveDraft>();
        register_explicit::<ListDrafts>();
        register_explicit::<DeleteDraft>();
        register_explicit::<Submit>();
        register_explicit::<OwnDossier>();
        register_explicit::<StartPayment>();
        register_explicit::<crate::api::uploads::StartUpload>();
        register_explicit::<crate::api::uploads::ListUploads>();
        register_explicit::<crate::api::uploads::DeleteUpload>();
    }
    {
        use crate::api::dossiers::*;
        register_explicit::<MyDossiers>();
        register_explicit::<MyDossier>();
        register_explicit::<Withdraw>();
        register_explicit::<SendSupplement>();
        register_explicit::<StartDossierUpload>();
    }
    {
        use crate::api::notifications::*;
        register_explicit::<Notifications>();
        register_explicit::<MarkRead>();
    }
    {
        use crate::api::staff::*;
        register_explicit::<WardConsole>();
        register_explicit::<WardDossierView>();
        register_explicit::<WardAct>();
        register_explicit::<FileAtCounter>();
    }
    {
        use crate::api::intake::*;
        register_explicit::<AskConsent>();
        register_explicit::<ConsentStatus>();
        register_explicit::<ConsentRequest>();
        register_explicit::<ConfirmConsent>();
    }
    {
        use crate::api::health::*;
        register_explicit::<HealthSubjects>();
        register_explicit::<HealthConsent>();
        register_explicit::<HealthOverview>();
        register_explicit::<HealthVisits>();
        register_explicit::<HealthVisit>();
        register_explicit::<HealthLabSeries>();
        register_explicit::<HealthVaccinations>();
        register_explicit::<HealthAccessLog>();
        register_explicit::<HealthShareCreate>();
        register_explicit::<HealthSharesList>();
        register_explicit::<HealthShareRevoke>();
        register_explicit::<HealthBirthCertificates>();
        register_explicit::<HealthAttach>();
    }
}
