//! Small value types of the config that parse from one string: business hours and cron
//! schedules. Pure parsing; the scheduler decides what to do with them.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveTime, Weekday};

/// When a team is at work, e.g. `Mon-Fri 09:00-18:00` or `Mon-Fri 09:00-17:00, Sat 10:00-13:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    spans: Vec<DaySpan>,
    src: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DaySpan {
    days: [bool; 7], // indexed by Weekday::num_days_from_monday
    start: NaiveTime,
    end: NaiveTime,
}

impl BusinessHours {
    /// True when `day` at `time` (both local to the brand) is inside business hours.
    pub fn contains(&self, day: Weekday, time: NaiveTime) -> bool {
        self.spans
            .iter()
            .any(|s| s.days[day.num_days_from_monday() as usize] && time >= s.start && time < s.end)
    }
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `Mon` or `Monday` (any case) → 0.
fn parse_day(s: &str) -> Option<usize> {
    let s = s.trim().to_lowercase();
    DAY_NAMES.iter().position(|d| *d == s || d.get(..3) == Some(s.as_str()))
}

fn parse_days(s: &str) -> Option<[bool; 7]> {
    let mut days = [false; 7];
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse_day(a)?, parse_day(b)?);
                let mut i = a;
                loop {
                    days[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days[parse_day(part)?] = true,
        }
    }
    Some(days)
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    if s.trim() == "24:00" {
        return NaiveTime::from_hms_opt(23, 59, 59);
    }
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl FromStr for BusinessHours {
    type Err = String;
    fn from_str(src: &str) -> Result<Self, Self::Err> {
        let expected =
            |part: &str| format!("`{part}` is not business hours (expected days and times like `Mon-Fri 09:00-18:00`)");
        let mut spans = Vec::new();
        // Groups are separated by `;` or by `,` followed by a day name with its own times.
        for group in src.split(';').flat_map(split_groups) {
            let group = group.trim();
            let (days, times) = group.rsplit_once(' ').ok_or_else(|| expected(group))?;
            let days = parse_days(&days.replace(' ', "")).ok_or_else(|| expected(group))?;
            let (start, end) = times.split_once('-').ok_or_else(|| expected(group))?;
            let (start, end) = (
                parse_time(start).ok_or_else(|| expected(group))?,
                parse_time(end).ok_or_else(|| expected(group))?,
            );
            if end <= start {
                return Err(format!("`{group}`: the end time must be after the start time"));
            }
            spans.push(DaySpan { days, start, end });
        }
        if spans.is_empty() {
            return Err(expected(src));
        }
        Ok(BusinessHours {
            spans,
            src: src.to_string(),
        })
    }
}

/// Splits `Mon-Fri 09:00-17:00, Sat 10:00-13:00` at the commas that start a new group.
fn split_groups(s: &str) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for part in s.split(',') {
        let starts_group = groups.last().is_some_and(|g| g.contains(':'));
        match groups.last_mut() {
            Some(g) if !starts_group => {
                g.push(',');
                g.push_str(part);
            }
            _ => groups.push(part.to_string()),
        }
    }
    groups
}

/// A 6-field cron expression (`sec min hour day-of-month month day-of-week`), e.g. `0 0 17 * * Mon-Fri`.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    pub schedule: cron::Schedule,
    pub src: String,
}

impl FromStr for CronSchedule {
    type Err = String;
    fn from_str(src: &str) -> Result<Self, Self::Err> {
        let fields = src.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "`{src}` has {fields} fields; expected 6 (`sec min hour day month weekday`, e.g. `0 0 17 * * Mon-Fri`)"
            ));
        }
        cron::Schedule::from_str(src)
            .map(|schedule| CronSchedule {
                schedule,
                src: src.to_string(),
            })
            .map_err(|e| format!("`{src}` is not a cron schedule: {e}"))
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn business_hours_parse_and_contain() {
        let bh: BusinessHours = "Mon-Fri 09:00-18:00".parse().unwrap();
        assert!(bh.contains(Weekday::Mon, t(9, 0)));
        assert!(bh.contains(Weekday::Fri, t(17, 59)));
        assert!(!bh.contains(Weekday::Fri, t(18, 0)));
        assert!(!bh.contains(Weekday::Sat, t(12, 0)));
        let two: BusinessHours = "Mon-Fri 09:00-17:00, Sat 10:00-13:00".parse().unwrap();
        assert!(two.contains(Weekday::Sat, t(11, 0)));
        let wrap: BusinessHours = "Fri-Mon 10:00-12:00".parse().unwrap();
        assert!(wrap.contains(Weekday::Sun, t(11, 0)));
        assert!(!wrap.contains(Weekday::Wed, t(11, 0)));
        for bad in ["", "Mon-Fri", "Mon-Fri 9-5", "Funday 09:00-10:00", "Mon 10:00-09:00"] {
            assert!(bad.parse::<BusinessHours>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_needs_six_fields() {
        assert!("0 0 17 * * Mon-Fri".parse::<CronSchedule>().is_ok());
        assert!("0 17 * * 1-5".parse::<CronSchedule>().is_err());
        assert!("0 0 25 * * *".parse::<CronSchedule>().is_err());
    }
}
