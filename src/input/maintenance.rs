//! Recurring maintenance windows (`[environments.NAME.maintenance]`): on
//! these days, from this local time, for this long, in this time zone. A
//! run that starts inside one is recorded as `maintenance`: it still runs
//! and is kept, but sends no alert and is left out of uptime.

use std::fmt;

use chrono::{DateTime, Datelike as _, NaiveTime, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

/// One recurring window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// The days it starts on (every day when all seven).
    pub days: Vec<Weekday>,
    /// When it starts, local time.
    pub start: NaiveTime,
    pub duration: chrono::Duration,
    pub time_zone: Tz,
    /// What it is for (`weekly deploy`), shown on the dashboard.
    pub reason: String,
}

impl MaintenanceWindow {
    /// The end of the occurrence of this window that `at` falls in, if it
    /// falls in one. An occurrence may cross midnight (and a week, for a
    /// window longer than the days between its starts): every start that
    /// could still be open at `at` is tried. A start that does not exist
    /// locally (a spring-forward gap) is skipped that day.
    pub fn covers(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&self.time_zone).date_naive();
        let back = self.duration.num_days() + 1;
        (0..=back).find_map(|d| {
            let day = local - chrono::Duration::days(d);
            if !self.days.contains(&day.weekday()) {
                return None;
            }
            let start = self
                .time_zone
                .from_local_datetime(&day.and_time(self.start))
                .earliest()?
                .with_timezone(&Utc);
            let end = start + self.duration;
            (start <= at && at < end).then_some(end)
        })
    }
}

impl fmt::Display for MaintenanceWindow {
    /// `weekly deploy (tue, thu 02:00 Europe/Berlin for 1h)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<String> = self
            .days
            .iter()
            .map(|d| d.to_string().to_lowercase())
            .collect();
        let minutes = self.duration.num_minutes();
        let length = if minutes % 60 == 0 {
            format!("{}h", minutes / 60)
        } else {
            format!("{minutes}m")
        };
        write!(
            f,
            "{} ({} {} {} for {length})",
            self.reason,
            days.join(", "),
            self.start.format("%H:%M"),
            self.time_zone
        )
    }
}

/// `[environments.NAME.maintenance]` as written: one table, or an array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawWindows {
    One(RawWindow),
    Many(Vec<RawWindow>),
}

/// One window as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// `["tue", "thu"]`; every day when absent.
    days: Option<Vec<String>>,
    /// Local time, `02:00`.
    start: String,
    /// `1h`, `30m`.
    duration: String,
    /// An IANA name, `Europe/Berlin`; UTC when absent.
    time_zone: Option<String>,
    reason: Option<String>,
}

/// The longest window.
const MAX: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// The windows, each field checked: an error names the key and says what
/// to write instead (the caller adds the file and the line).
pub fn windows(raw: Option<RawWindows>) -> Result<Vec<MaintenanceWindow>, (&'static str, String)> {
    let list = match raw {
        None => return Ok(Vec::new()),
        Some(RawWindows::One(w)) => vec![w],
        Some(RawWindows::Many(ws)) => ws,
    };
    list.into_iter().map(window).collect()
}

fn window(w: RawWindow) -> Result<MaintenanceWindow, (&'static str, String)> {
    use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
    let days = match &w.days {
        None => vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun],
        Some(days) if days.is_empty() => {
            return Err((
                "days",
                "no day: leave `days` out for every day, or name some (\"mon\" … \"sun\")".into(),
            ));
        }
        Some(days) => days
            .iter()
            .map(|d| {
                parse_day(d).ok_or_else(|| {
                    (
                        "days",
                        format!("{d:?} is not a day: write \"mon\", \"tue\" … \"sun\""),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let start = parse_time(&w.start).ok_or_else(|| {
        (
            "start",
            format!(
                "{:?} is not a time of day: write \"02:00\" (24-hour, local to time_zone)",
                w.start
            ),
        )
    })?;
    let duration = probes::core::duration::parse(&w.duration).ok_or_else(|| {
        (
            "duration",
            format!(
                "{:?} is not a duration: write it as 10s, 500ms or 2m",
                w.duration
            ),
        )
    })?;
    if duration.is_zero() || duration > MAX {
        return Err((
            "duration",
            format!(
                "{:?}: a window lasts more than nothing and at most 7 days",
                w.duration
            ),
        ));
    }
    let time_zone = match &w.time_zone {
        None => chrono_tz::UTC,
        Some(tz) => tz.parse::<Tz>().map_err(|_| {
            (
                "time_zone",
                format!("{tz:?} is not a time zone: write an IANA name such as \"Europe/Berlin\" or \"UTC\""),
            )
        })?,
    };
    Ok(MaintenanceWindow {
        days,
        start,
        duration: chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::zero()),
        time_zone,
        reason: w.reason.unwrap_or_else(|| "maintenance".to_owned()),
    })
}

/// A day as written in the file: `mon` … `sun` (or the full English name).
pub fn parse_day(s: &str) -> Option<Weekday> {
    s.trim().parse::<Weekday>().ok()
}

/// A local time as written: `02:00` or `02:00:30`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn window(days: &[Weekday], start: &str, hours: i64, tz: Tz) -> MaintenanceWindow {
        MaintenanceWindow {
            days: days.to_vec(),
            start: parse_time(start).expect("time"),
            duration: chrono::Duration::hours(hours),
            time_zone: tz,
            reason: "deploy".into(),
        }
    }

    #[test]
    fn a_window_covers_its_hours_in_its_time_zone_and_no_others() {
        // Tuesdays 02:00–03:00 in Berlin: 01:00–02:00 UTC in winter (CET).
        let w = window(&[Weekday::Tue], "02:00", 1, chrono_tz::Europe::Berlin);
        assert_eq!(
            w.covers(utc("2026-12-01T01:30:00Z")),
            Some(utc("2026-12-01T02:00:00Z"))
        );
        assert_eq!(
            w.covers(utc("2026-12-01T01:00:00Z")),
            Some(utc("2026-12-01T02:00:00Z"))
        );
        assert_eq!(
            w.covers(utc("2026-12-01T02:00:00Z")),
            None,
            "the end is outside"
        );
        assert_eq!(w.covers(utc("2026-12-01T00:59:59Z")), None);
        assert_eq!(w.covers(utc("2026-12-02T01:30:00Z")), None, "a Wednesday");
        // In summer (CEST) the same local hour is an hour earlier in UTC.
        assert_eq!(w.covers(utc("2026-07-07T01:30:00Z")), None);
        assert_eq!(
            w.covers(utc("2026-07-07T00:30:00Z")),
            Some(utc("2026-07-07T01:00:00Z"))
        );
    }

    #[test]
    fn a_window_crosses_midnight() {
        // Sundays 23:00 UTC for 3 hours: still open at 01:00 on Monday.
        let w = window(&[Weekday::Sun], "23:00", 3, chrono_tz::UTC);
        assert_eq!(
            w.covers(utc("2026-12-07T01:00:00Z")),
            Some(utc("2026-12-07T02:00:00Z"))
        );
        assert_eq!(w.covers(utc("2026-12-07T02:00:00Z")), None);
        assert_eq!(w.to_string(), "deploy (sun 23:00 UTC for 3h)");
    }

    #[test]
    fn days_and_times_read_as_people_write_them() {
        assert_eq!(parse_day("tue"), Some(Weekday::Tue));
        assert_eq!(parse_day("Thursday"), Some(Weekday::Thu));
        assert_eq!(parse_day("someday"), None);
        assert_eq!(parse_time("2:00"), parse_time("02:00"));
        assert_eq!(parse_time("25:00"), None);
    }
}
