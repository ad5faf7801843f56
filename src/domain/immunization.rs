//! The national immunisation schedule, and where a child stands against it: each dose done,
//! due, overdue or not yet, computed from the birth date and the doses recorded.
//!
//! The schedule is data (`data/immunization-schedule.json`), so that a new plan changes a file
//! rather than the code.

use chrono::{Months, NaiveDate};
use serde::Deserialize;

/// An age, counted from the birth date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Age {
    /// Whole months.
    #[serde(default)]
    pub months: u32,
    /// Then days.
    #[serde(default)]
    pub days: u32,
}

impl Age {
    /// The date at this age.
    pub fn from_birth(&self, birth: NaiveDate) -> NaiveDate {
        let d = birth
            .checked_add_months(Months::new(self.months))
            .unwrap_or(birth);
        d + chrono::Duration::days(i64::from(self.days))
    }
}

/// One dose of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduledDose {
    /// Series key (`dpt-hepb-hib`): the doses of one series share it.
    pub series: String,
    /// Vaccine, in Vietnamese.
    pub vaccine: String,
    /// Vaccine, in English.
    pub vaccine_en: String,
    /// CVX codes that count for this series.
    pub cvx: Vec<String>,
    /// Dose number within the series.
    pub dose: u32,
    /// Only for this sex (`female`), when set.
    #[serde(default)]
    pub sex: Option<String>,
    /// Due from this age.
    pub from: Age,
    /// Overdue after this age.
    pub until: Age,
}

/// The schedule file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Schedule {
    /// Every dose, in the order of the schedule.
    pub doses: Vec<ScheduledDose>,
}

impl Schedule {
    /// Reads the schedule file's text.
    pub fn parse(json: &str) -> Result<Schedule, String> {
        let s: Schedule = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if s.doses.is_empty() {
            return Err("the immunisation schedule has no doses".into());
        }
        Ok(s)
    }
}

/// A dose recorded by a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// Its CVX codes (a record may carry several codings).
    pub cvx: Vec<String>,
    /// Dose number, when the record says.
    pub dose: Option<u32>,
    /// When.
    pub date: Option<NaiveDate>,
}

/// Where one scheduled dose stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Given: the index into the recorded doses.
    Done(usize),
    /// Its time has come.
    Due,
    /// Past its time.
    Overdue,
    /// Not yet.
    Upcoming,
}

/// Matches the recorded doses to the schedule. A recorded dose with a number fills that dose of
/// its series; the others fill the series' remaining doses in date order. Answers one standing
/// per scheduled dose (none for doses not meant for this sex) and the indexes of recorded
/// doses outside the schedule.
pub fn assess(
    schedule: &Schedule,
    birth: NaiveDate,
    sex: Option<&str>,
    given: &[Given],
    today: NaiveDate,
) -> (Vec<(usize, Standing)>, Vec<usize>) {
    let mut used = vec![false; given.len()];
    let mut filled: Vec<Option<usize>> = vec![None; schedule.doses.len()];
    let series_of = |g: &Given| {
        schedule
            .doses
            .iter()
            .find(|d| g.cvx.iter().any(|c| d.cvx.contains(c)))
            .map(|d| d.series.clone())
    };
    // Numbered doses first, then the rest in date order.
    let mut order: Vec<usize> = (0..given.len()).collect();
    order.sort_by_key(|&i| (given[i].dose.is_none(), given[i].date));
    for i in order {
        let Some(series) = series_of(&given[i]) else {
            continue;
        };
        let slot = schedule.doses.iter().enumerate().position(|(k, d)| {
            d.series == series && filled[k].is_none() && given[i].dose.is_none_or(|n| n == d.dose)
        });
        let slot = slot.or_else(|| {
            // A numbered dose whose number is already filled or unknown: the next free one.
            schedule
                .doses
                .iter()
                .enumerate()
                .position(|(k, d)| d.series == series && filled[k].is_none())
        });
        if let Some(k) = slot {
            filled[k] = Some(i);
            used[i] = true;
        }
    }
    let standings = schedule
        .doses
        .iter()
        .enumerate()
        .filter(|(_, d)| d.sex.as_deref().is_none_or(|s| Some(s) == sex))
        .map(|(k, d)| {
            let standing = match filled[k] {
                Some(i) => Standing::Done(i),
                None if today > d.until.from_birth(birth) => Standing::Overdue,
                None if today >= d.from.from_birth(birth) => Standing::Due,
                None => Standing::Upcoming,
            };
            (k, standing)
        })
        .collect();
    let outside = (0..given.len()).filter(|&i| !used[i]).collect();
    (standings, outside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule::parse(include_str!("../../data/immunization-schedule.json")).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn given(cvx: &str, dose: Option<u32>, date: &str) -> Given {
        Given {
            cvx: vec![cvx.into()],
            dose,
            date: Some(d(date)),
        }
    }

    #[test]
    fn a_newborn_has_the_birth_doses_due_and_the_rest_to_come() {
        let s = schedule();
        let (st, _) = assess(&s, d("2026-11-30"), Some("male"), &[], d("2026-11-30"));
        let by_series = |series: &str| {
            st.iter()
                .filter(|(k, _)| s.doses[*k].series == series)
                .map(|(_, x)| *x)
                .collect::<Vec<_>>()
        };
        assert_eq!(by_series("hepb-birth"), vec![Standing::Due]);
        assert_eq!(by_series("bcg"), vec![Standing::Due]);
        assert_eq!(by_series("je"), vec![Standing::Upcoming; 3]);
        assert!(by_series("hpv").is_empty(), "HPV is for girls only");
        // The day after: the 24-hour hepatitis B dose is late.
        let (st, _) = assess(&s, d("2026-11-30"), Some("male"), &[], d("2026-12-02"));
        assert_eq!(st[0].1, Standing::Overdue);
    }

    #[test]
    fn doses_fill_by_number_then_by_date_and_the_gaps_are_named() {
        let s = schedule();
        let birth = d("2015-06-01");
        let rec = [
            given("39", Some(2), "2016-06-15"),
            given("39", None, "2016-06-05"),
            given("102", None, "2015-08-01"),
            given("102", None, "2015-09-01"),
            given("102", None, "2015-10-01"),
            // Influenza: not in the schedule.
            given("141", None, "2024-10-01"),
        ];
        let (st, outside) = assess(&s, birth, Some("female"), &rec, d("2026-12-01"));
        let je: Vec<Standing> = st
            .iter()
            .filter(|(k, _)| s.doses[*k].series == "je")
            .map(|(_, x)| *x)
            .collect();
        assert_eq!(
            je,
            vec![Standing::Done(1), Standing::Done(0), Standing::Overdue]
        );
        let hpv = st
            .iter()
            .find(|(k, _)| s.doses[*k].series == "hpv")
            .unwrap()
            .1;
        assert_eq!(hpv, Standing::Due, "a girl of 11 is in the HPV window");
        assert_eq!(outside, vec![5]);
        let dpt: Vec<Standing> = st
            .iter()
            .filter(|(k, _)| s.doses[*k].series == "dpt-hepb-hib")
            .map(|(_, x)| *x)
            .collect();
        assert_eq!(
            dpt,
            vec![Standing::Done(2), Standing::Done(3), Standing::Done(4)]
        );
    }

    #[test]
    fn ages_count_from_the_birth_date() {
        let a = Age {
            months: 12,
            days: 7,
        };
        assert_eq!(a.from_birth(d("2015-06-01")), d("2016-06-08"));
        // 31 January plus one month is the end of February.
        let m = Age { months: 1, days: 0 };
        assert_eq!(m.from_birth(d("2024-01-31")), d("2024-02-29"));
    }
}
