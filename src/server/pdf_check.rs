//! What an uploaded PDF holds, read by a PDF parser (lopdf): the browser's byte search
//! ([`crate::domain::upload::check_content`]) finds `/JavaScript` written out, but not a name
//! spelled with escapes (`/J#61vaScript`), nor one inside a compressed object stream. The
//! parser decodes both, so the server refuses what a viewer would run: scripts, launch
//! actions, embedded files, XFA forms and rich media — wherever they are.

use crate::domain::upload::Refusal;
use lopdf::{Document, Object};

/// Dictionary keys that carry something a viewer runs or unpacks.
const ACTIVE_KEYS: &[&[u8]] = &[
    b"JS",
    b"JavaScript",
    b"EmbeddedFiles",
    b"EmbeddedFile",
    b"EF",
    b"XFA",
    b"RichMediaContent",
    b"RichMediaSettings",
];

/// Action, type and subtype names of the same.
const ACTIVE_NAMES: &[&[u8]] = &[
    b"JavaScript",
    b"Launch",
    b"ImportData",
    b"SubmitForm",
    b"GoToE",
    b"Rendition",
    b"RichMedia",
    b"RichMediaExecute",
    b"EmbeddedFile",
    b"FileAttachment",
];

/// Deepest nesting of arrays and dictionaries looked into (real documents stay far below).
const MAX_DEPTH: usize = 64;

/// Refuses a PDF that does not parse, is locked with a password, or holds active content
/// anywhere in its objects (object streams included).
pub fn inspect(bytes: &[u8]) -> Result<(), Refusal> {
    let doc = Document::load_mem(bytes).map_err(|_| Refusal::Broken)?;
    // An empty user password is opened by the parser itself; anything else stays unreadable.
    if doc.is_encrypted() {
        return Err(Refusal::Encrypted);
    }
    // Every object the cross-reference names must have been read: one the parser gave up on
    // (nested too deep, say) may still be read by a viewer, with whatever it holds.
    let listed = doc
        .reference_table
        .entries
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                lopdf::xref::XrefEntry::Normal { .. } | lopdf::xref::XrefEntry::Compressed { .. }
            )
        })
        .filter(|(n, _)| {
            doc.objects
                .range((**n, 0)..=(**n, u16::MAX))
                .next()
                .is_none()
        })
        .count();
    if listed > 0 {
        return Err(Refusal::Broken);
    }
    let trailer = Object::Dictionary(doc.trailer.clone());
    if doc
        .objects
        .values()
        .chain(std::iter::once(&trailer))
        .any(|o| active(o, 0))
    {
        return Err(Refusal::ActiveContent);
    }
    Ok(())
}

fn active(o: &Object, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        // Nesting this deep is itself a sign of a crafted file.
        return true;
    }
    let dict_active = |d: &lopdf::Dictionary| {
        d.iter().any(|(k, v)| {
            ACTIVE_KEYS.contains(&k.as_slice())
                || (matches!(k.as_slice(), b"S" | b"Type" | b"Subtype")
                    && matches!(v, Object::Name(n) if ACTIVE_NAMES.contains(&n.as_slice())))
                || active(v, depth + 1)
        })
    };
    match o {
        Object::Array(items) => items.iter().any(|i| active(i, depth + 1)),
        Object::Dictionary(d) => dict_active(d),
        Object::Stream(s) => dict_active(&s.dict),
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A PDF of `objects` (numbered from 1, `1` the catalog) with a classic cross-reference
    /// table.
    pub(crate) fn pdf(objects: &[&str], trailer_extra: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            write!(out, "{} 0 obj\n{o}\nendobj\n", i + 1).unwrap();
        }
        let xref = out.len();
        write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
        for off in offsets {
            writeln!(out, "{off:010} 00000 n ").unwrap();
        }
        write!(
            out,
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .unwrap();
        out
    }

    const PAGES: &str = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
    const PAGE: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>";
    const CONTENT: &str = "<< /Length 21 >>\nstream\nBT 72 720 Td (x) Tj ET\nendstream";

    fn with_catalog(catalog: &str, extra: &[&str]) -> Vec<u8> {
        let mut objects = vec![catalog, PAGES, PAGE, CONTENT];
        objects.extend_from_slice(extra);
        pdf(&objects, "")
    }

    /// The same document with objects 1, 2, 3 and 5 inside a Flate-compressed object stream
    /// (6) and a cross-reference stream (7), as PDF 1.5 writers make them.
    pub(crate) fn in_object_stream(catalog: &str, action: &str) -> Vec<u8> {
        let inner = [(1, catalog), (2, PAGES), (3, PAGE), (5, action)];
        let mut header = String::new();
        let mut body = String::new();
        for (n, o) in inner {
            header.push_str(&format!("{n} {} ", body.len()));
            body.push_str(o);
            body.push('\n');
        }
        let plain = format!("{header}{body}");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(plain.as_bytes()).unwrap();
        let packed = z.finish().unwrap();

        let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let content_at = out.len();
        write!(out, "4 0 obj\n{CONTENT}\nendobj\n").unwrap();
        let objstm_at = out.len();
        write!(
            out,
            "6 0 obj\n<< /Type /ObjStm /N 4 /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            header.len(),
            packed.len()
        )
        .unwrap();
        out.extend_from_slice(&packed);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        let xref_at = out.len();
        // /W [1 4 2]: type, offset or object stream, generation or index.
        let mut entries = Vec::new();
        let mut entry = |t: u8, a: u32, b: u16| {
            entries.push(t);
            entries.extend_from_slice(&a.to_be_bytes());
            entries.extend_from_slice(&b.to_be_bytes());
        };
        entry(0, 0, 0xFFFF);
        entry(2, 6, 0);
        entry(2, 6, 1);
        entry(2, 6, 2);
        entry(1, content_at as u32, 0);
        entry(2, 6, 3);
        entry(1, objstm_at as u32, 0);
        entry(1, xref_at as u32, 0);
        write!(
            out,
            "7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Length {} >>\nstream\n",
            entries.len()
        )
        .unwrap();
        out.extend_from_slice(&entries);
        write!(out, "\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").unwrap();
        out
    }

    /// A script that opens with the document, its names spelled with `#xx` escapes.
    pub(crate) fn escaped_script() -> Vec<u8> {
        with_catalog(
            "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
            &["<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"],
        )
    }

    #[test]
    fn plain_documents_pass() {
        assert_eq!(
            inspect(include_bytes!("../../tests/fixtures/giay-chung-sinh.pdf")),
            Ok(())
        );
        let catalog = "<< /Type /Catalog /Pages 2 0 R >>";
        assert_eq!(inspect(&with_catalog(catalog, &[])), Ok(()));
        // A link to a web page is not active content.
        let link = "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /URI /URI (https://dichvucong.hanoi.gov.vn) >> >>";
        assert_eq!(inspect(&with_catalog(link, &[])), Ok(()));
        assert_eq!(
            inspect(&in_object_stream(catalog, "<< /Producer (Dịch vụ công) >>")),
            Ok(()),
            "object streams are read"
        );
    }

    #[test]
    fn active_content_is_refused_however_it_is_spelled_or_packed() {
        use crate::domain::form::FileKind;
        use crate::domain::upload::check_content;
        let script_catalog = "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>";
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("escaped JavaScript action", escaped_script()),
            (
                "escaped launch action",
                with_catalog(script_catalog, &["<< /S /L#61unch /F (cmd.exe) >>"]),
            ),
            (
                "embedded file under an escaped name",
                with_catalog(
                    "<< /Type /Catalog /Pages 2 0 R /Names << /E#6DbeddedFiles << /Names [(a.exe) 5 0 R] >> >> >>",
                    &["<< /Type /Filespec /F (a.exe) >>"],
                ),
            ),
            (
                "form field with a keystroke script",
                with_catalog(
                    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
                    &["<< /FT /Tx /T (a) /A#41 << /K << /S /J#61vaScript /J#53 (x) >> >> >>"],
                ),
            ),
            (
                "XFA form",
                with_catalog(
                    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /X#46A 5 0 R >> >>",
                    &["<< >>"],
                ),
            ),
            (
                "script in a compressed object stream",
                in_object_stream(script_catalog, "<< /S /JavaScript /JS (app.alert(1)) >>"),
            ),
        ];
        for (what, bytes) in cases {
            // The browser's byte check cannot see any of these ...
            assert_eq!(
                check_content(FileKind::Pdf, &bytes),
                Ok(()),
                "{what}: bytes"
            );
            // ... the parser sees every one.
            assert_eq!(inspect(&bytes), Err(Refusal::ActiveContent), "{what}");
        }
    }

    #[test]
    fn unreadable_documents_are_refused() {
        // Locked with a password other than the empty one.
        let locked = pdf(
            &[
                "<< /Type /Catalog /Pages 2 0 R >>",
                PAGES,
                PAGE,
                CONTENT,
                "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> >>",
            ],
            "/Encrypt 5 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]",
        );
        assert_eq!(inspect(&locked), Err(Refusal::Encrypted));
        assert_eq!(
            inspect(b"%PDF-1.4\nnot a document\n%%EOF\n"),
            Err(Refusal::Broken)
        );
        // Nesting far deeper than any real document: refused, and the parser does not run out
        // of stack on the way (that would abort the server).
        for depth in [80, 100_000] {
            let deep = format!(
                "<< /Type /Catalog /Pages 2 0 R /X {}1{} >>",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let got = inspect(&with_catalog(&deep, &[]));
            assert!(
                matches!(got, Err(Refusal::Broken | Refusal::ActiveContent)),
                "{depth}: {got:?}"
            );
        }
    }
}
