//! The app's paths, known to both the router and the server (which answers 404 for others).

/// Home page.
pub const HOME: &str = "/";
/// Procedure catalogue (`?q=…&linh-vuc=…&cap=…`).
pub const CATALOG: &str = "/thu-tuc";
/// Public dossier look-up (`?ma=<dossier code>`, the receipt's QR code points here).
pub const TRACK: &str = "/tra-cuu";

/// Query parameter names of the catalogue page.
pub mod query {
    /// Free-text search.
    pub const Q: &str = "q";
    /// Sector code.
    pub const SECTOR: &str = "linh-vuc";
    /// Level (`commune` / `province`).
    pub const LEVEL: &str = "cap";
    /// Dossier code on the tracking page.
    pub const CODE: &str = "ma";
}

/// Path of one procedure's page.
pub fn procedure(slug: &str) -> String {
    format!("{CATALOG}/{slug}")
}

/// Catalogue filtered by sector.
pub fn catalog_sector(code: &str) -> String {
    format!("{CATALOG}?{}={code}", query::SECTOR)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True when `path` is one of the app's routes (its content may still be missing, e.g. an
/// unknown procedure slug, which the page itself reports).
pub fn is_app_route(path: &str) -> bool {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    match path {
        HOME | CATALOG | TRACK => true,
        _ => path
            .strip_prefix(CATALOG)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(is_slug),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        for p in [
            "/",
            "/thu-tuc",
            "/thu-tuc/",
            "/thu-tuc/dang-ky-khai-sinh",
            "/tra-cuu",
        ] {
            assert!(is_app_route(p), "{p}");
        }
        for p in [
            "/x",
            "/thu-tuc/A",
            "/thu-tuc/a/b",
            "/thu-tucx",
            "/index.htm",
            "/thu-tuc/%20",
        ] {
            assert!(!is_app_route(p), "{p}");
        }
        assert_eq!(procedure("dang-ky-khai-sinh"), "/thu-tuc/dang-ky-khai-sinh");
        assert_eq!(catalog_sector("ho-tich"), "/thu-tuc?linh-vuc=ho-tich");
    }
}
