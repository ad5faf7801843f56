//! A small RFC 4180 reader for the data files (`data/*.csv`). Quoted fields may contain
//! commas, quotes (doubled) and newlines.

/// Parses CSV text into rows of fields. Blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.trim_start_matches('\u{FEFF}').chars().peekable();
    let mut in_quotes = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c)
            }
            (false, '"') if field.is_empty() => in_quotes = true,
            (false, '"') => return Err(format!("line {line}: stray quote")),
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                line += 1;
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            (false, c) => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {line}: unterminated quote"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Parses CSV with a header row into records keyed by column name; checks that the header is
/// exactly `expected` and that every row has as many fields.
pub fn records(text: &str, expected: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut rows = parse(text)?.into_iter();
    let header = rows.next().ok_or("empty file")?;
    if header != expected {
        return Err(format!("header is {header:?}, expected {expected:?}"));
    }
    rows.enumerate()
        .map(|(i, r)| {
            if r.len() == expected.len() {
                Ok(r)
            } else {
                Err(format!(
                    "row {}: {} fields, expected {}",
                    i + 2,
                    r.len(),
                    expected.len()
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_commas_and_newlines() {
        let rows = parse("a,b\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z\n\n").unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["a", "b"],
                vec!["x, y", "say \"hi\""],
                vec!["multi\nline", "z"]
            ]
        );
    }

    #[test]
    fn last_line_without_newline_and_errors() {
        assert_eq!(parse("a,b").unwrap(), vec![vec!["a", "b"]]);
        assert!(parse("\"open").is_err());
        assert!(parse("ab\"c").is_err());
        assert!(records("x,y\n1\n", &["x", "y"]).is_err());
        assert!(records("x,z\n1,2\n", &["x", "y"]).is_err());
    }
}
