//! The authorization policy, in one place. Deny by default: an action is allowed only where
//! a match arm below says so.

use crate::api::AppError;

/// Who is calling. Comes from the session only, never from request arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Not signed in.
    Anonymous,
}

/// Something a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the public procedure catalogue, sectors and administrative units.
    ReadCatalog,
    /// Look a dossier up by its code and the submitter's ID-number suffix (what the receipt
    /// shows, nothing more).
    TrackDossier,
}

/// Decides whether `who` may do `action`.
pub fn check(who: &Principal, action: Action) -> Result<(), AppError> {
    match (who, action) {
        (_, Action::ReadCatalog) => Ok(()),
        (_, Action::TrackDossier) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anyone_reads_the_catalogue() {
        assert_eq!(check(&Principal::Anonymous, Action::ReadCatalog), Ok(()));
        assert_eq!(check(&Principal::Anonymous, Action::TrackDossier), Ok(()));
    }
}
