//! Working time: office hours, weekends, public holidays and swapped working days, and the
//! deadline arithmetic built on them.
//!
//! All times here are local Hà Nội time (UTC+7, no daylight saving). One working day is
//! 8 working hours. A dossier received outside office hours starts at the next working
//! minute; a deadline of N working days lies N × 8 working hours after that start; time
//! while a supplement is awaited is not counted.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Working minutes in one working day.
pub const MINUTES_PER_WORKING_DAY: i64 = 8 * 60;

/// Hà Nội's offset from UTC.
pub fn hanoi_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// Converts an instant to Hà Nội local time.
pub fn to_local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&hanoi_offset()).naive_local()
}

/// Converts Hà Nội local time to an instant.
pub fn from_local(t: NaiveDateTime) -> DateTime<Utc> {
    (t - Duration::hours(7)).and_utc()
}

/// Formats an instant the way Vietnamese administrative slips do, in Hà Nội time:
/// `08 giờ 05 phút, ngày 23/11/2026`.
pub fn format_vi(t: DateTime<Utc>) -> String {
    to_local(t)
        .format("%H giờ %M phút, ngày %d/%m/%Y")
        .to_string()
}

/// English form of [`format_vi`]: `08:05, 23/11/2026`.
pub fn format_en(t: DateTime<Utc>) -> String {
    to_local(t).format("%H:%M, %d/%m/%Y").to_string()
}

/// Whether a dated row makes a day a day off or a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayKind {
    /// A day off (holiday, Tết, compensatory day off).
    Off,
    /// A working day by swap (usually a Saturday worked in exchange for a bridge day off).
    Workday,
}

/// One row of the holiday table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The day.
    pub date: NaiveDate,
    /// Off or swapped working day.
    pub kind: DayKind,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// The decision or law it comes from.
    pub source: String,
}

/// Parses `data/holidays.csv` (`date,kind,name_vi,name_en,source`).
pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, String> {
    crate::domain::csv::records(text, &["date", "kind", "name_vi", "name_en", "source"])?
        .into_iter()
        .map(|r| {
            let date = NaiveDate::parse_from_str(&r[0], "%Y-%m-%d")
                .map_err(|e| format!("{}: {e}", r[0]))?;
            let kind = match r[1].as_str() {
                "off" => DayKind::Off,
                "workday" => DayKind::Workday,
                other => return Err(format!("{}: unknown kind {other:?}", r[0])),
            };
            Ok(Holiday {
                date,
                kind,
                name_vi: r[2].clone(),
                name_en: r[3].clone(),
                source: r[4].clone(),
            })
        })
        .collect()
}

/// Office hours of a receiving unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHours {
    /// Working periods of a day, in order, not overlapping.
    pub periods: Vec<(NaiveTime, NaiveTime)>,
    /// Which weekdays are working days, Monday first.
    pub weekdays: [bool; 7],
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

impl Default for OfficeHours {
    /// 07:00–11:30 and 13:30–17:00, Monday to Friday.
    fn default() -> Self {
        OfficeHours {
            periods: vec![(hm(7, 0), hm(11, 30)), (hm(13, 30), hm(17, 0))],
            weekdays: [true, true, true, true, true, false, false],
        }
    }
}

/// A span during which the deadline clock stopped (a supplement request until the resident
/// completed it). `until: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the supplement was requested.
    pub from: NaiveDateTime,
    /// When the supplement was completed.
    pub until: Option<NaiveDateTime>,
}

/// A deadline as of some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The appointment, extended by paused working time so far.
    pub due: NaiveDateTime,
    /// True while a supplement is awaited: the countdown is frozen.
    pub paused: bool,
    /// Working minutes left until `due` (negative when overdue).
    pub remaining_minutes: i64,
}

/// A working-day calendar: office hours plus the dated table of days off and swapped days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    hours: OfficeHours,
    days: BTreeMap<NaiveDate, DayKind>,
}

/// Safety bound on day-by-day searches (ten years).
const MAX_DAYS: i64 = 3660;

impl Calendar {
    /// A calendar with the given office hours and dated days.
    pub fn new(hours: OfficeHours, days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        Calendar {
            hours,
            days: days.into_iter().collect(),
        }
    }

    /// The default office hours with the given holiday table.
    pub fn with_holidays(holidays: &[Holiday]) -> Self {
        Self::new(
            OfficeHours::default(),
            holidays.iter().map(|h| (h.date, h.kind)),
        )
    }

    /// True when `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Off) => false,
            Some(DayKind::Workday) => true,
            None => self.hours.weekdays[d.weekday().num_days_from_monday() as usize],
        }
    }

    /// True when `t` lies inside office hours of a working day (period ends excluded).
    pub fn is_working_instant(&self, t: NaiveDateTime) -> bool {
        self.is_working_day(t.date())
            && self
                .hours
                .periods
                .iter()
                .any(|(s, e)| *s <= t.time() && t.time() < *e)
    }

    /// The first working minute at or after `t`: when a dossier received at `t` starts
    /// counting (after 17:00, at lunch or on a day off it is the next working period).
    pub fn next_working_instant(&self, t: NaiveDateTime) -> NaiveDateTime {
        let mut day = t.date();
        let mut time = t.time();
        for _ in 0..MAX_DAYS {
            if self.is_working_day(day) {
                for (start, end) in &self.hours.periods {
                    if time < *end {
                        return day.and_time(time.max(*start));
                    }
                }
            }
            day = day.succ_opt().expect("date in range");
            time = NaiveTime::MIN;
        }
        panic!("no working time within ten years of {t}")
    }

    /// The end of the office period that contains `t` (which must be a working instant).
    fn period_end(&self, t: NaiveDateTime) -> NaiveDateTime {
        let end = self
            .hours
            .periods
            .iter()
            .find(|(s, e)| *s <= t.time() && t.time() < *e)
            .map(|(_, e)| *e)
            .expect("t is a working instant");
        t.date().and_time(end)
    }

    /// The instant `minutes` working minutes after `start`. A result that falls exactly at
    /// the end of a period stays there (17:00 rather than 07:00 the next working day).
    pub fn add_working_minutes(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        let mut t = self.next_working_instant(start);
        let mut left = minutes.max(0);
        loop {
            let end = self.period_end(t);
            let available = (end - t).num_minutes();
            if left <= available {
                return t + Duration::minutes(left);
            }
            left -= available;
            t = self.next_working_instant(end);
        }
    }

    /// Working minutes in `[from, to)`; zero when `to <= from`.
    pub fn working_minutes_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.is_working_day(day) {
                for (s, e) in &self.hours.periods {
                    let s = day.and_time(*s).max(from);
                    let e = day.and_time(*e).min(to);
                    if e > s {
                        total += (e - s).num_minutes();
                    }
                }
            }
            day = day.succ_opt().expect("date in range");
        }
        total
    }

    /// The appointment for a dossier received at `received` that takes `working_days`.
    pub fn due(&self, received: NaiveDateTime, working_days: u32) -> NaiveDateTime {
        self.add_working_minutes(received, i64::from(working_days) * MINUTES_PER_WORKING_DAY)
    }

    /// The deadline as seen at `now`, with supplement pauses excluded from the count.
    pub fn deadline(
        &self,
        received: NaiveDateTime,
        working_days: u32,
        pauses: &[Pause],
        now: NaiveDateTime,
    ) -> Deadline {
        let base = i64::from(working_days) * MINUTES_PER_WORKING_DAY;
        let mut paused_minutes = 0;
        let mut paused = false;
        for p in pauses {
            let until = match p.until {
                Some(u) => u,
                None => {
                    paused = true;
                    now.max(p.from)
                }
            };
            paused_minutes += self.working_minutes_between(p.from, until);
        }
        let due = self.add_working_minutes(received, base + paused_minutes);
        let remaining_minutes = if paused {
            // Frozen: what was left when the clock stopped.
            let stopped_at = pauses
                .iter()
                .filter(|p| p.until.is_none())
                .map(|p| p.from)
                .min()
                .unwrap_or(now);
            let used = self.working_minutes_between(received, stopped_at)
                - pauses
                    .iter()
                    .filter_map(|p| p.until.map(|u| (p.from, u)))
                    .filter(|(_, u)| *u <= stopped_at)
                    .map(|(f, u)| self.working_minutes_between(f, u))
                    .sum::<i64>();
            base - used
        } else if now <= due {
            self.working_minutes_between(now, due)
        } else {
            -self.working_minutes_between(due, now)
        };
        Deadline {
            due,
            paused,
            remaining_minutes,
        }
    }
}

/// The national service index's on-time rule: finished no later than the (pause-extended)
/// appointment, and at most one supplement request.
pub fn is_on_time(finished: NaiveDateTime, due: NaiveDateTime, supplement_requests: u32) -> bool {
    finished <= due && supplement_requests <= 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn real() -> Calendar {
        let rows = parse_holidays(include_str!("../../data/holidays.csv")).unwrap();
        Calendar::with_holidays(&rows)
    }

    #[test]
    fn holiday_table_is_well_formed() {
        let rows = parse_holidays(include_str!("../../data/holidays.csv")).unwrap();
        assert!(
            rows.windows(2).all(|w| w[0].date < w[1].date),
            "sorted, unique"
        );
        for y in 2024..=2030 {
            assert!(rows.iter().any(|h| h.date.year() == y), "year {y}");
        }
        for h in &rows {
            if h.kind == DayKind::Workday {
                assert_eq!(h.date.weekday(), chrono::Weekday::Sat, "{h:?}");
            }
            assert!(!h.source.is_empty() && !h.name_vi.is_empty());
        }
        let cal = Calendar::with_holidays(&rows);
        // Fixed-date holidays every year.
        for y in 2024..=2030 {
            for (m, d) in [(1, 1), (4, 30), (5, 1), (9, 2)] {
                assert!(
                    !cal.is_working_day(NaiveDate::from_ymd_opt(y, m, d).unwrap()),
                    "{y}-{m}-{d}"
                );
            }
        }
    }

    #[test]
    fn working_day_table() {
        let cal = real();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let cases = [
            (day(2026, 11, 20), true),  // Friday
            (day(2026, 11, 21), false), // Saturday
            (day(2026, 11, 22), false), // Sunday
            (day(2026, 11, 23), true),  // Monday
            (day(2026, 11, 24), false), // Ngày Văn hóa Việt Nam
            (day(2026, 2, 17), false),  // Tết
            (day(2026, 9, 2), false),   // Quốc khánh
            (day(2024, 5, 4), true),    // Saturday worked in exchange for 29/4
            (day(2024, 4, 29), false),  // the bridge day off
        ];
        for (d, want) in cases {
            assert_eq!(cal.is_working_day(d), want, "{d}");
        }
    }

    #[test]
    fn intake_start_table() {
        let cal = real();
        let cases = [
            (at(2026, 11, 23, 9, 0), at(2026, 11, 23, 9, 0)), // during office hours
            (at(2026, 11, 23, 6, 15), at(2026, 11, 23, 7, 0)), // before opening
            (at(2026, 11, 23, 11, 30), at(2026, 11, 23, 13, 30)), // lunch
            (at(2026, 11, 23, 12, 0), at(2026, 11, 23, 13, 30)),
            (at(2026, 11, 23, 17, 0), at(2026, 11, 25, 7, 0)), // after 17:00, 24/11 is off
            (at(2026, 11, 20, 18, 0), at(2026, 11, 23, 7, 0)), // Friday evening
            (at(2026, 11, 21, 10, 0), at(2026, 11, 23, 7, 0)), // Saturday
            (at(2026, 2, 13, 20, 0), at(2026, 2, 23, 7, 0)),   // before Tết
        ];
        for (received, want) in cases {
            assert_eq!(cal.next_working_instant(received), want, "{received}");
        }
    }

    #[test]
    fn due_table() {
        let cal = real();
        let cases = [
            // Friday 09:00 + 1 day → Monday 09:00.
            (at(2026, 11, 20, 9, 0), 1, at(2026, 11, 23, 9, 0)),
            // Monday 09:00 + 2 days skips Tuesday 24/11 (day off) → Thursday 09:00.
            (at(2026, 11, 23, 9, 0), 2, at(2026, 11, 26, 9, 0)),
            // Received Thursday after hours: counts from Friday 07:00, due Friday 17:00.
            (at(2026, 11, 19, 17, 30), 1, at(2026, 11, 20, 17, 0)),
            // Received Friday after hours: the weekend is skipped.
            (at(2026, 11, 20, 17, 30), 1, at(2026, 11, 23, 17, 0)),
            // 07:00 + 1 day ends at 17:00 the same day, not 07:00 the next.
            (at(2026, 11, 23, 7, 0), 1, at(2026, 11, 23, 17, 0)),
            // Morning start spanning lunch: 10:00 + 2 h → 13:30 + 0.5 h = 14:00.
            (at(2026, 11, 23, 10, 0), 0, at(2026, 11, 23, 10, 0)),
            // Across Tết 2026 (16–20/2 off).
            (at(2026, 2, 13, 9, 0), 1, at(2026, 2, 23, 9, 0)),
            // 2024: Saturday 4/5 is a working day by swap.
            (at(2024, 5, 3, 9, 0), 1, at(2024, 5, 4, 9, 0)),
        ];
        for (received, days, want) in cases {
            assert_eq!(cal.due(received, days), want, "{received} + {days}");
        }
        assert_eq!(
            cal.add_working_minutes(at(2026, 11, 23, 10, 0), 120),
            at(2026, 11, 23, 14, 0)
        );
    }

    #[test]
    fn supplement_pause_extends_and_freezes() {
        let cal = real();
        let received = at(2026, 11, 23, 9, 0); // Monday
        let plain = cal.due(received, 3);
        assert_eq!(plain, at(2026, 11, 27, 9, 0)); // Tue 24 off
        // Paused from Wednesday 9:00 to Thursday 9:00 = one working day.
        let pauses = [Pause {
            from: at(2026, 11, 25, 9, 0),
            until: Some(at(2026, 11, 26, 9, 0)),
        }];
        let d = cal.deadline(received, 3, &pauses, at(2026, 11, 26, 10, 0));
        assert!(!d.paused);
        assert_eq!(d.due, at(2026, 11, 30, 9, 0));
        assert_eq!(
            d.remaining_minutes,
            cal.working_minutes_between(at(2026, 11, 26, 10, 0), d.due)
        );
        // Still paused: the remaining time stays what it was when the clock stopped.
        let open = [Pause {
            from: at(2026, 11, 25, 9, 0),
            until: None,
        }];
        let a = cal.deadline(received, 3, &open, at(2026, 11, 26, 9, 0));
        let b = cal.deadline(received, 3, &open, at(2026, 12, 3, 15, 0));
        assert!(a.paused && b.paused);
        assert_eq!(a.remaining_minutes, b.remaining_minutes);
        assert_eq!(a.remaining_minutes, 3 * 480 - 480); // Monday 9:00 → Wednesday 9:00 used one day
        assert!(b.due > a.due);
    }

    #[test]
    fn overdue_is_negative() {
        let cal = real();
        let d = cal.deadline(at(2026, 11, 23, 9, 0), 1, &[], at(2026, 11, 25, 10, 0));
        assert_eq!(d.due, at(2026, 11, 25, 9, 0));
        assert_eq!(d.remaining_minutes, -60);
    }

    #[test]
    fn on_time_rule() {
        let due = at(2026, 11, 27, 9, 0);
        assert!(is_on_time(at(2026, 11, 27, 9, 0), due, 0));
        assert!(is_on_time(at(2026, 11, 26, 9, 0), due, 1));
        assert!(!is_on_time(at(2026, 11, 27, 9, 1), due, 0));
        assert!(!is_on_time(at(2026, 11, 26, 9, 0), due, 2));
    }

    #[test]
    fn local_time_round_trip() {
        let t = at(2026, 11, 23, 7, 0);
        let utc = from_local(t);
        assert_eq!(utc.to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(to_local(utc), t);
        let t = from_local(at(2026, 11, 23, 8, 5));
        assert_eq!(format_vi(t), "08 giờ 05 phút, ngày 23/11/2026");
        assert_eq!(format_en(t), "08:05, 23/11/2026");
    }

    fn instant() -> impl Strategy<Value = NaiveDateTime> {
        // Any minute from 2024 to 2029.
        (0i64..6 * 365 * 24 * 60).prop_map(|m| at(2024, 1, 1, 0, 0) + Duration::minutes(m))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn due_is_inside_office_hours_of_a_working_day(t in instant(), days in 1u32..40) {
            let cal = real();
            let due = cal.due(t, days);
            // `due` is inside a period or exactly at its end.
            let inside = cal.is_working_instant(due) || cal.is_working_instant(due - Duration::minutes(1));
            prop_assert!(inside, "{} + {} → {}", t, days, due);
            prop_assert!(cal.is_working_day(due.date()));
        }

        #[test]
        fn due_is_monotonic(a in instant(), b in instant(), days in 0u32..30) {
            let cal = real();
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(cal.due(a, days) <= cal.due(b, days));
            prop_assert!(cal.due(a, days) <= cal.due(a, days + 1));
        }

        #[test]
        fn due_counts_exactly_the_working_minutes(t in instant(), days in 0u32..30) {
            let cal = real();
            let due = cal.due(t, days);
            prop_assert_eq!(cal.working_minutes_between(t, due), i64::from(days) * MINUTES_PER_WORKING_DAY);
        }

        #[test]
        fn a_pause_skips_exactly_its_working_time(t in instant(), days in 1u32..20,
                                                  start in 0i64..20_000, len in 0i64..20_000) {
            let cal = real();
            let from = t + Duration::minutes(start);
            let until = from + Duration::minutes(len);
            let pauses = [Pause { from, until: Some(until) }];
            let d = cal.deadline(t, days, &pauses, until);
            let skipped = cal.working_minutes_between(from, until);
            prop_assert_eq!(d.due, cal.add_working_minutes(t, i64::from(days) * MINUTES_PER_WORKING_DAY + skipped));
            prop_assert!(d.due >= cal.due(t, days));
        }
    }
}
