//! Loads the catalogue, administrative units and holiday table from the data folder.

use crate::domain::calendar::parse_holidays;
use crate::domain::catalog::{Procedure, Unit, UnitKind};
use crate::domain::{csv, text};
use crate::server::db::catalog::CatalogData;
use std::collections::HashSet;
use std::path::Path;

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads and checks every data file. Any inconsistency is an error naming the file: a broken
/// catalogue never reaches the database.
pub fn load(dir: &Path) -> Result<CatalogData, String> {
    let sectors: Vec<(String, String, String)> = csv::records(
        &read(&dir.join("sectors.csv"))?,
        &["code", "name_vi", "name_en"],
    )
    .map_err(|e| format!("sectors.csv: {e}"))?
    .into_iter()
    .map(|r| (r[0].clone(), text::nfc(&r[1]), text::nfc(&r[2])))
    .collect();
    let sector_codes: HashSet<&str> = sectors.iter().map(|s| s.0.as_str()).collect();

    let units: Vec<Unit> = csv::records(
        &read(&dir.join("hanoi_units.csv"))?,
        &["code", "name", "kind"],
    )
    .map_err(|e| format!("hanoi_units.csv: {e}"))?
    .into_iter()
    .map(|r| {
        let kind = match r[2].as_str() {
            "phuong" => UnitKind::Phuong,
            "xa" => UnitKind::Xa,
            other => return Err(format!("hanoi_units.csv: {}: kind {other:?}", r[0])),
        };
        if r[0].len() != 5 || !r[0].bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("hanoi_units.csv: bad code {:?}", r[0]));
        }
        Ok(Unit {
            code: r[0].clone(),
            name: text::nfc(&r[1]),
            kind,
        })
    })
    .collect::<Result<_, _>>()?;

    let holidays = parse_holidays(&read(&dir.join("holidays.csv"))?)
        .map_err(|e| format!("holidays.csv: {e}"))?;

    let mut procedures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir.join("procedures"))
        .map_err(|e| format!("procedures/: {e}"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let (mut codes, mut slugs) = (HashSet::new(), HashSet::new());
    for path in entries {
        let p: Procedure =
            serde_json::from_str(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        p.check()?;
        if !sector_codes.contains(p.sector.as_str()) {
            return Err(format!("{}: unknown sector {:?}", path.display(), p.sector));
        }
        if !codes.insert(p.code.clone()) || !slugs.insert(p.slug.clone()) {
            return Err(format!("{}: duplicate code or slug", path.display()));
        }
        procedures.push(p);
    }
    Ok(CatalogData {
        sectors,
        units,
        procedures,
        holidays,
    })
}
