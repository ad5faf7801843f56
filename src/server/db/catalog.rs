//! Catalogue repository: procedures, sectors, administrative units, holidays.

use super::{Db, DbError, with_db};
use crate::domain::calendar::{DayKind, Holiday};
use crate::domain::catalog::{
    Level, OnlineMode, Procedure, ProcedureSummary, Sector, Unit, UnitKind, ValidCatalogQuery,
};
use crate::domain::text;
use chrono::{NaiveDate, Utc};
use sqlx::types::Json;

/// Everything imported from the data folder in one go.
#[derive(Debug, Default)]
pub struct CatalogData {
    /// Sectors (code, vi, en).
    pub sectors: Vec<(String, String, String)>,
    /// Commune-level units.
    pub units: Vec<Unit>,
    /// Procedures.
    pub procedures: Vec<Procedure>,
    /// Holiday table.
    pub holidays: Vec<Holiday>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    code: String,
    slug: String,
    name_vi: String,
    name_en: String,
    sector: String,
    level: String,
    online: String,
    popular: bool,
    processing_working_days: i64,
    fee_vnd: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<ProcedureSummary, DbError> {
        Ok(ProcedureSummary {
            level: Level::parse(&self.level).ok_or_else(|| DbError::Decode(self.level.clone()))?,
            online: OnlineMode::parse(&self.online)
                .ok_or_else(|| DbError::Decode(self.online.clone()))?,
            processing_working_days: u32::try_from(self.processing_working_days)
                .map_err(|e| DbError::Decode(e.to_string()))?,
            code: self.code,
            slug: self.slug,
            name_vi: self.name_vi,
            name_en: self.name_en,
            sector: self.sector,
            popular: self.popular,
            fee_vnd: self.fee_vnd,
        })
    }
}

/// Most words a search looks for; more are ignored.
const MAX_SEARCH_WORDS: usize = 8;

impl Db {
    /// Replaces the catalogue with `data` in one transaction (upserts; nothing half-written).
    pub async fn import_catalog(&self, data: &CatalogData) -> Result<(), DbError> {
        let now = Utc::now();
        with_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (code, vi, en) in &data.sectors {
                sqlx::query(
                    "INSERT INTO sectors (code, name_vi, name_en) VALUES ($1, $2, $3) \
                     ON CONFLICT (code) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en",
                )
                .bind(code).bind(vi).bind(en)
                .execute(&mut *tx).await?;
            }
            for u in &data.units {
                let kind = match u.kind { UnitKind::Phuong => "phuong", UnitKind::Xa => "xa" };
                sqlx::query(
                    "INSERT INTO admin_units (code, name, kind) VALUES ($1, $2, $3) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                )
                .bind(&u.code).bind(&u.name).bind(kind)
                .execute(&mut *tx).await?;
            }
            for p in &data.procedures {
                sqlx::query(
                    "INSERT INTO procedures (code, slug, name_vi, name_en, sector, level, online, popular, \
                       processing_working_days, fee_vnd, search_text, detail, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (code) DO UPDATE SET slug = excluded.slug, name_vi = excluded.name_vi, \
                       name_en = excluded.name_en, sector = excluded.sector, level = excluded.level, \
                       online = excluded.online, popular = excluded.popular, \
                       processing_working_days = excluded.processing_working_days, fee_vnd = excluded.fee_vnd, \
                       search_text = excluded.search_text, detail = excluded.detail, updated_at = excluded.updated_at",
                )
                .bind(&p.code).bind(&p.slug).bind(&p.name_vi).bind(&p.name_en).bind(&p.sector)
                .bind(p.level.as_str()).bind(p.online.as_str()).bind(p.popular)
                .bind(i64::from(p.processing_working_days))
                .bind(p.fee.fee_vnd + p.fee.charge_vnd)
                .bind(p.search_text())
                .bind(Json(p))
                .bind(now)
                .execute(&mut *tx).await?;
            }
            for h in &data.holidays {
                let kind = match h.kind { DayKind::Off => "off", DayKind::Workday => "workday" };
                sqlx::query(
                    "INSERT INTO holidays (day, kind, name_vi, name_en, source) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name_vi = excluded.name_vi, \
                       name_en = excluded.name_en, source = excluded.source",
                )
                .bind(h.date).bind(kind).bind(&h.name_vi).bind(&h.name_en).bind(&h.source)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), DbError>(())
        })
    }

    /// Procedures matching `q`, popular first, then by name (Vietnamese order, diacritics folded).
    pub async fn search_procedures(
        &self,
        q: &ValidCatalogQuery,
    ) -> Result<Vec<ProcedureSummary>, DbError> {
        let mut sql = String::from(
            "SELECT code, slug, name_vi, name_en, sector, level, online, popular, \
             processing_working_days, fee_vnd FROM procedures WHERE 1 = 1",
        );
        let mut binds: Vec<String> = Vec::new();
        // Folded words contain only letters and digits, so LIKE needs no escaping.
        for word in q
            .folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(MAX_SEARCH_WORDS)
        {
            binds.push(format!("%{word}%"));
            sql.push_str(&format!(" AND search_text LIKE ${}", binds.len()));
        }
        if let Some(sector) = &q.sector {
            binds.push(sector.clone());
            sql.push_str(&format!(" AND sector = ${}", binds.len()));
        }
        if let Some(level) = q.level {
            binds.push(level.as_str().to_string());
            sql.push_str(&format!(" AND level = ${}", binds.len()));
        }
        if q.popular_only {
            sql.push_str(" AND popular = TRUE");
        }
        sql.push_str(" LIMIT 500");
        let rows: Vec<SummaryRow> = with_db!(self, pool => {
            let mut query = sqlx::query_as::<_, SummaryRow>(&sql);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await?
        });
        let mut out = rows
            .into_iter()
            .map(SummaryRow::into_summary)
            .collect::<Result<Vec<_>, _>>()?;
        // Procedures whose name holds every word come first, then popular ones, then by name.
        out.sort_by_cached_key(|p| {
            let name_vi = text::fold(&p.name_vi);
            let in_name = text::folded_matches(&q.folded, &name_vi)
                || text::folded_matches(&q.folded, &text::fold(&p.name_en));
            (!in_name, !p.popular, name_vi)
        });
        Ok(out)
    }

    /// The full procedure with this slug.
    pub async fn procedure_by_slug(&self, slug: &str) -> Result<Option<Procedure>, DbError> {
        let row: Option<(Json<Procedure>,)> = with_db!(self, pool => {
            sqlx::query_as("SELECT detail FROM procedures WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(Json(p),)| p))
    }

    /// The full procedure with this code.
    pub async fn procedure_of_code(&self, code: &str) -> Result<Option<Procedure>, DbError> {
        let row: Option<(Json<Procedure>,)> = with_db!(self, pool => {
            sqlx::query_as("SELECT detail FROM procedures WHERE code = $1")
                .bind(code)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(Json(p),)| p))
    }

    /// Sectors with procedure counts, in Vietnamese name order.
    pub async fn sectors(&self) -> Result<Vec<Sector>, DbError> {
        let rows: Vec<(String, String, String, i64)> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT s.code, s.name_vi, s.name_en, COUNT(p.code) FROM sectors s \
                 LEFT JOIN procedures p ON p.sector = s.code \
                 GROUP BY s.code, s.name_vi, s.name_en",
            )
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<Sector> = rows
            .into_iter()
            .map(|(code, name_vi, name_en, procedures)| Sector {
                code,
                name_vi,
                name_en,
                procedures,
            })
            .collect();
        out.sort_by_cached_key(|s| text::fold(&s.name_vi));
        Ok(out)
    }

    /// Hà Nội's commune-level units, by code.
    pub async fn units(&self) -> Result<Vec<Unit>, DbError> {
        let rows: Vec<(String, String, String)> = with_db!(self, pool => {
            sqlx::query_as("SELECT code, name, kind FROM admin_units ORDER BY code")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(code, name, kind)| {
                let kind = match kind.as_str() {
                    "phuong" => UnitKind::Phuong,
                    "xa" => UnitKind::Xa,
                    other => return Err(DbError::Decode(other.to_string())),
                };
                Ok(Unit { code, name, kind })
            })
            .collect()
    }

    /// The holiday table.
    pub async fn holidays(&self) -> Result<Vec<Holiday>, DbError> {
        let rows: Vec<(NaiveDate, String, String, String, String)> = with_db!(self, pool => {
            sqlx::query_as("SELECT day, kind, name_vi, name_en, source FROM holidays ORDER BY day")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(date, kind, name_vi, name_en, source)| {
                let kind = match kind.as_str() {
                    "off" => DayKind::Off,
                    "workday" => DayKind::Workday,
                    other => return Err(DbError::Decode(other.to_string())),
                };
                Ok(Holiday {
                    date,
                    kind,
                    name_vi,
                    name_en,
                    source,
                })
            })
            .collect()
    }
}
