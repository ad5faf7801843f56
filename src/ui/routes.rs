//! The app's paths, known to both the router and the server (which answers 404 for others).

/// Home page.
pub const HOME: &str = "/";
/// Procedure catalogue (`?q=…&linh-vuc=…&cap=…`).
pub const CATALOG: &str = "/thu-tuc";
/// Public dossier look-up (`?ma=<dossier code>`, the receipt's QR code points here).
pub const TRACK: &str = "/tra-cuu";
/// The signed-in person's account.
pub const PROFILE: &str = "/ca-nhan";
/// Staff area: the ward one-stop console (`?don-vi=<unit>&hang=<queue>&q=<search>`).
pub const STAFF: &str = "/can-bo";
/// Counter intake under the staff area (`?don-vi=<unit>`).
pub const STAFF_INTAKE: &str = "/can-bo/tiep-nhan";
/// Segment of a ward dossier under the staff area (`/can-bo/ho-so/<code>`).
const STAFF_DOSSIER_SEGMENT: &str = "ho-so";
/// Staff administration.
pub const ADMIN: &str = "/quan-tri";
/// Where a resident confirms, on their own phone, their consent to a counter intake.
pub const CONSENT: &str = "/xac-nhan";
/// Where a refused login lands (`?ma=<reason>`).
pub const LOGIN_ERROR: &str = "/dang-nhap/loi";
/// The signed-in person's dossiers (`?loc=<filter>&q=<text>`; `/ho-so/<code>` for one).
pub const DOSSIERS: &str = "/ho-so";
/// The signed-in person's notification centre.
pub const NOTIFICATIONS: &str = "/thong-bao";
/// The electronic health record: the overview (`?nguoi=<subject id>` for a child's record).
pub const HEALTH: &str = "/suc-khoe";
/// The health record's visits (`?nguoi=…&nam=<year>&co-so=<facility>`; `/<id>` for one).
pub const HEALTH_VISITS: &str = "/suc-khoe/lan-kham";
/// One lab test over time (`?nguoi=…&ma=<test code>`).
pub const HEALTH_LABS: &str = "/suc-khoe/xet-nghiem";
/// Vaccinations against the national schedule.
pub const HEALTH_VACCINES: &str = "/suc-khoe/tiem-chung";
/// Who read the record.
pub const HEALTH_LOG: &str = "/suc-khoe/nhat-ky";
/// The health record's share links.
pub const HEALTH_SHARES: &str = "/suc-khoe/chia-se";
/// The viewer of a shared health record (the SMART Health Link after `#`); no account needed.
pub const HEALTH_SHARE_VIEWER: &str = "/chia-se-suc-khoe";
/// Last segment of a procedure's online form (`/thu-tuc/<slug>/nop`).
const FILE_SEGMENT: &str = "nop";

/// The online form of a procedure (`?nhap=<draft id>` resumes that draft, `?moi=1` starts anew).
pub fn filing(slug: &str) -> String {
    format!("{CATALOG}/{slug}/{FILE_SEGMENT}")
}

/// The confirmation of a counter intake's consent (the address in its QR code).
pub fn consent(token: &str) -> String {
    format!("{CONSENT}/{}", encode(token))
}

/// One of the signed-in person's dossiers.
pub fn dossier(code: &str) -> String {
    format!("{DOSSIERS}/{code}")
}

/// The receipt PDF of a dossier (served by the server, not the app).
pub fn receipt_pdf(code: &str) -> String {
    format!("/files/receipts/{code}.pdf")
}

/// The list of one's dossiers with a filter (`loc`) and search text.
pub fn my_dossiers(filter: &str, q: &str) -> String {
    let mut parts = Vec::new();
    if !filter.is_empty() {
        parts.push(format!("{}={}", query::FILTER, encode(filter)));
    }
    if !q.is_empty() {
        parts.push(format!("{}={}", query::Q, encode(q)));
    }
    if parts.is_empty() {
        DOSSIERS.to_string()
    } else {
        format!("{DOSSIERS}?{}", parts.join("&"))
    }
}

/// A file of a dossier served to its owner and to staff of its ward: a slip
/// (`giay-tiep-nhan.pdf`, `phieu-tu-choi.pdf` …) or an attachment by upload id.
pub fn dossier_file(code: &str, file: &str) -> String {
    format!("/files/dossiers/{}/{}", encode(code), encode(file))
}

/// The console of a ward, optionally on one queue and with a search.
pub fn console(unit: &str, queue: &str, q: &str) -> String {
    let mut url = format!("{STAFF}?{}={}", query::UNIT, encode(unit));
    if !queue.is_empty() {
        url.push_str(&format!("&{}={}", query::QUEUE, encode(queue)));
    }
    if !q.is_empty() {
        url.push_str(&format!("&{}={}", query::Q, encode(q)));
    }
    url
}

/// One dossier of a ward in the console.
pub fn staff_dossier(unit: &str, code: &str) -> String {
    format!(
        "{STAFF}/{STAFF_DOSSIER_SEGMENT}/{}?{}={}",
        encode(code),
        query::UNIT,
        encode(unit)
    )
}

/// Counter intake for a ward.
pub fn staff_intake(unit: &str) -> String {
    format!("{STAFF_INTAKE}?{}={}", query::UNIT, encode(unit))
}

/// True for the staff console's own pages (`/can-bo`, its dossiers, counter intake).
fn is_staff_route(path: &str) -> bool {
    if path == STAFF || path == STAFF_INTAKE {
        return true;
    }
    path.strip_prefix(STAFF)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.strip_prefix(STAFF_DOSSIER_SEGMENT))
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(is_dossier_code)
}

/// True for the pages served by the form bundle (`forms/index.html`): a procedure's online
/// form, a dossier's page and the whole staff console (so that residents' first download
/// stays small). Links to them from elsewhere are full page loads.
pub fn is_forms_route(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    // The health record is not in the main bundle either.
    if is_health_route(path) {
        return true;
    }
    // Everything under the staff area, even an unknown address, so that its not-found page
    // comes from the same bundle as the console.
    if path == STAFF || path.starts_with(&format!("{STAFF}/")) {
        return true;
    }
    if let Some(code) = path
        .strip_prefix(DOSSIERS)
        .and_then(|r| r.strip_prefix('/'))
    {
        return is_dossier_code(code);
    }
    path.strip_prefix(CATALOG)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.split_once('/'))
        .is_some_and(|(slug, rest)| rest == FILE_SEGMENT && is_slug(slug))
}

fn is_dossier_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Server route that starts a login and comes back to `return_to`.
pub fn login(return_to: &str, step_up: bool) -> String {
    let mut url = format!("/auth/login?return_to={}", encode(return_to));
    if step_up {
        url.push_str("&step_up=1");
    }
    url
}

/// Path plus query, as the router reports them (its `search` may lack the `?`).
pub fn path_and_query(pathname: &str, search: &str) -> String {
    let search = search.trim_start_matches('?');
    if search.is_empty() {
        pathname.to_string()
    } else {
        format!("{pathname}?{search}")
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

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
    /// Filter of the list of one's dossiers.
    pub const FILTER: &str = "loc";
    /// Ward (unit code) in the staff console.
    pub const UNIT: &str = "don-vi";
    /// Queue slug in the staff console.
    pub const QUEUE: &str = "hang";
    /// Whose health record (a subject id).
    pub const SUBJECT: &str = "nguoi";
    /// Year filter of the health record's visits.
    pub const YEAR: &str = "nam";
    /// Facility filter of the health record's visits.
    pub const FACILITY: &str = "co-so";
    /// A page of the portal to return to (a path on this site).
    pub const NEXT: &str = "tiep";
    /// The step a form opens at (`giay-to`: the documents).
    pub const STEP: &str = "buoc";
    /// [`STEP`]'s value for the documents page.
    pub const STEP_DOCUMENTS: &str = "giay-to";
}

/// One of the resident's drafts, opened at its documents page.
pub fn filing_documents(slug: &str, draft_id: &str) -> String {
    format!(
        "{}?nhap={}&{}={}",
        filing(slug),
        encode(draft_id),
        query::STEP,
        query::STEP_DOCUMENTS
    )
}

/// The health record's first page, coming back to `next` once consent is given.
pub fn health_then(next: &str) -> String {
    format!("{HEALTH}?{}={}", query::NEXT, encode(next))
}

/// `next` when it is a path on this site (`/…`, never `//host` or a full address).
pub fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

/// A health page for a subject: nothing added for one's own record.
pub fn health(page: &str, subject: &str) -> String {
    if subject.is_empty() || subject == "self" {
        page.to_string()
    } else {
        format!("{page}?{}={}", query::SUBJECT, encode(subject))
    }
}

/// One visit of a record.
pub fn health_visit(subject: &str, id: &str) -> String {
    health(&format!("{HEALTH_VISITS}/{}", encode(id)), subject)
}

/// A document a facility sent (served by the server).
pub fn health_document(subject: &str, id: &str) -> String {
    format!(
        "/files/health/documents/{}?subject={}",
        encode(id),
        encode(subject)
    )
}

/// One visit as a PDF the portal makes (served by the server).
pub fn health_visit_pdf(subject: &str, id: &str) -> String {
    format!(
        "/files/health/visits/{}.pdf?subject={}",
        encode(id),
        encode(subject)
    )
}

/// The whole record as a FHIR Bundle (`ips`: the International Patient Summary).
pub fn health_export(subject: &str, ips: bool) -> String {
    format!(
        "/files/health/{}?subject={}",
        if ips { "ips" } else { "export" },
        encode(subject)
    )
}

fn is_health_route(path: &str) -> bool {
    match path {
        HEALTH | HEALTH_VISITS | HEALTH_LABS | HEALTH_VACCINES | HEALTH_LOG | HEALTH_SHARES
        | HEALTH_SHARE_VIEWER => true,
        _ => path
            .strip_prefix(HEALTH_VISITS)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|id| {
                !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
            }),
    }
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
        HOME | CATALOG | TRACK | PROFILE | STAFF | ADMIN | LOGIN_ERROR | DOSSIERS
        | NOTIFICATIONS => true,
        _ if path.starts_with(HEALTH) || path == HEALTH_SHARE_VIEWER => is_health_route(path),
        _ if path.starts_with(STAFF) => is_staff_route(path),
        _ if path.starts_with(CONSENT) => path
            .strip_prefix(CONSENT)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|t| {
                !t.is_empty()
                    && t.len() <= 64
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            }),
        _ => {
            if let Some(code) = path
                .strip_prefix(DOSSIERS)
                .and_then(|r| r.strip_prefix('/'))
            {
                return is_dossier_code(code);
            }
            let Some(rest) = path
                .strip_prefix(CATALOG)
                .and_then(|rest| rest.strip_prefix('/'))
            else {
                return false;
            };
            match rest.split_once('/') {
                None => is_slug(rest),
                Some((slug, FILE_SEGMENT)) => is_slug(slug),
                Some(_) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        let back = filing_documents("dang-ky-khai-sinh", "abc");
        assert_eq!(back, "/thu-tuc/dang-ky-khai-sinh/nop?nhap=abc&buoc=giay-to");
        assert_eq!(local_path(&back), Some(back.as_str()));
        for bad in [
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
        assert_eq!(
            health_then(&back),
            "/suc-khoe?tiep=/thu-tuc/dang-ky-khai-sinh/nop%3Fnhap%3Dabc%26buoc%3Dgiay-to"
        );
    }

    #[test]
    fn route_table() {
        for p in [
            "/",
            "/thu-tuc",
            "/thu-tuc/",
            "/thu-tuc/dang-ky-khai-sinh",
            "/tra-cuu",
            "/thu-tuc/dang-ky-khai-sinh/nop",
            "/ho-so/00070-261123-0001",
            "/ho-so",
            "/ho-so/",
            "/thong-bao",
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
            "/thu-tuc/a/nopx",
            "/ho-sox",
            "/thong-bao/x",
            "/ho-so/a b",
            "/ho-so/a/b",
        ] {
            assert!(!is_app_route(p), "{p}");
        }
        assert_eq!(procedure("dang-ky-khai-sinh"), "/thu-tuc/dang-ky-khai-sinh");
        assert_eq!(catalog_sector("ho-tich"), "/thu-tuc?linh-vuc=ho-tich");
        assert_eq!(
            login("/thu-tuc?q=khai sinh", false),
            "/auth/login?return_to=/thu-tuc%3Fq%3Dkhai%20sinh"
        );
        assert_eq!(
            login("/ca-nhan", true),
            "/auth/login?return_to=/ca-nhan&step_up=1"
        );
        assert!(is_forms_route("/thu-tuc/dang-ky-khai-sinh/nop"));
        assert!(is_forms_route("/ho-so/00070-261123-0001"));
        assert!(!is_forms_route("/thu-tuc/dang-ky-khai-sinh"));
        assert!(!is_forms_route("/ca-nhan"));
        assert!(!is_forms_route("/ho-so"));
        assert!(!is_forms_route("/thong-bao"));
        assert_eq!(my_dossiers("", ""), "/ho-so");
        assert_eq!(
            my_dossiers("da-xong", "khai sinh"),
            "/ho-so?loc=da-xong&q=khai%20sinh"
        );
        assert_eq!(
            dossier_file("00070-261123-0001", "phieu-bo-sung.pdf"),
            "/files/dossiers/00070-261123-0001/phieu-bo-sung.pdf"
        );
        for p in [
            "/can-bo",
            "/can-bo/",
            "/can-bo/tiep-nhan",
            "/can-bo/ho-so/00070-261123-0001",
            "/can-bo/x",
        ] {
            assert!(is_forms_route(p), "{p}");
        }
        assert!(!is_forms_route("/can-bonus"));
        for p in [
            "/can-bo",
            "/can-bo/tiep-nhan",
            "/can-bo/ho-so/00070-261123-0001",
        ] {
            assert!(is_app_route(p), "{p}");
        }
        for p in [
            "/can-bo/x",
            "/can-bo/ho-so",
            "/can-bo/ho-so/a b",
            "/can-bo/ho-so/a/b",
            "/can-bonus",
        ] {
            assert!(!is_app_route(p), "{p}");
        }
        assert_eq!(
            staff_dossier("00070", "00070-261123-0001"),
            "/can-bo/ho-so/00070-261123-0001?don-vi=00070"
        );
        assert_eq!(staff_intake("00070"), "/can-bo/tiep-nhan?don-vi=00070");
        assert_eq!(
            console("00070", "qua-han", "Nguyễn"),
            "/can-bo?don-vi=00070&hang=qua-han&q=Nguy%E1%BB%85n"
        );
        assert_eq!(
            dossier_file("00070-261123-0001", "phieu-tu-choi.pdf"),
            "/files/dossiers/00070-261123-0001/phieu-tu-choi.pdf"
        );
        assert_eq!(path_and_query("/thu-tuc", "q=a"), "/thu-tuc?q=a");
        assert_eq!(path_and_query("/thu-tuc", "?q=a"), "/thu-tuc?q=a");
        assert_eq!(path_and_query("/", ""), "/");
    }
}
