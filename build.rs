//! Generates the UI message tables from `locales/vi.json` and `locales/en.json`.
//!
//! Each key becomes a field of `Messages`, so a component that names a missing key does not
//! compile, and a key present in one language but not the other fails the build.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn load(lang: &str) -> BTreeMap<String, String> {
    let path = format!("locales/{lang}.json");
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn field(key: &str) -> String {
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'),
        "message key {key:?}: use lower-case ASCII, digits, '.' and '_'"
    );
    key.replace('.', "_")
}

/// Messages only the form bundle's pages use (the health record's, and where a document
/// came from): left out of the main bundle, so that residents who only look things up do not
/// download them.
fn forms_only(key: &str) -> bool {
    (key.starts_with("health.") && key != "health.nav") || key.starts_with("upload.origin_")
}

/// The attribute that keeps a forms-only message out of the main bundle.
fn gate(key: &str) -> &'static str {
    if forms_only(key) {
        "#[cfg(any(feature = \"forms\", not(feature = \"csr\")))]\n    "
    } else {
        ""
    }
}

fn main() {
    let vi = load("vi");
    let en = load("en");
    let missing_en: Vec<_> = vi.keys().filter(|k| !en.contains_key(*k)).collect();
    let missing_vi: Vec<_> = en.keys().filter(|k| !vi.contains_key(*k)).collect();
    assert!(
        missing_en.is_empty(),
        "keys missing in locales/en.json: {missing_en:?}"
    );
    assert!(
        missing_vi.is_empty(),
        "keys missing in locales/vi.json: {missing_vi:?}"
    );
    for (k, v) in vi.iter().chain(en.iter()) {
        assert!(!v.trim().is_empty(), "empty message {k:?}");
    }

    let mut out = String::new();
    out.push_str("/// UI text in one language (generated from `locales/*.json`).\n");
    out.push_str("#[derive(Debug)]\npub struct Messages {\n");
    for k in vi.keys() {
        writeln!(
            out,
            "    /// `{k}`\n    {}pub {}: &'static str,",
            gate(k),
            field(k)
        )
        .unwrap();
    }
    out.push_str("}\n\n");
    for (name, table) in [("VI", &vi), ("EN", &en)] {
        writeln!(
            out,
            "/// Messages for `{}`.\npub static {name}: Messages = Messages {{",
            name.to_lowercase()
        )
        .unwrap();
        for (k, v) in table.iter() {
            writeln!(out, "    {}{}: {:?},", gate(k), field(k), v).unwrap();
        }
        out.push_str("};\n\n");
    }
    out.push_str("impl Messages {\n    /// Every message with its key (for tests).\n    pub fn all(&self) -> Vec<(&'static str, &'static str)> {\n        vec![\n");
    for k in vi.keys() {
        writeln!(out, "            {}({k:?}, self.{}),", gate(k), field(k)).unwrap();
    }
    out.push_str("        ]\n    }\n}\n");

    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("messages.rs");
    std::fs::write(dest, out).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
    // `sqlx::migrate!` embeds the migrations: a new or changed one must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
}
