//! Due-time arithmetic in a brand's timezone: cron fire times and business-hours openings,
//! DST-aware. Pure functions of their inputs; no clock, no store.
//!
//! DST rule for cron (the `cron` crate alone would skip a time that does not exist and run a
//! repeated one twice, which surprises people): schedules are read on the local wall clock.
//! - A wall time that does not exist (02:30 Europe/Berlin on the spring-forward day) runs once,
//!   at the first instant after the gap (03:00 CEST): a daily job is late that day, never lost.
//! - A wall time that happens twice (02:30 on the fall-back day) runs once, at its first
//!   occurrence.

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::config::BusinessHours;

/// The longest a wall clock jumps at a DST change (a few zones move 2h); used to bound searches.
const MAX_SHIFT: Duration = Duration::hours(3);

/// Enough fire times to step over any DST fold, even for a schedule firing every second.
const MAX_CANDIDATES: usize = 4 * 3600;

/// The instant a local wall time means: the first of two (fall-back), or the end of the gap it
/// falls in (spring-forward). Monotone in `local`, which the searches below rely on.
pub fn first_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The first valid local minute after `local`, which lies in a DST gap. Real gaps end on a whole
/// minute and last at most a few hours.
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let minute = local.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(local);
    (1..=MAX_SHIFT.num_minutes())
        .find_map(|k| tz.from_local_datetime(&(minute + Duration::minutes(k))).earliest())
        .map(|t| t.with_timezone(&Utc))
        // Not a real zone's gap: read the wall time as UTC rather than fail.
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// `t`'s wall time in `tz`, dressed as UTC so the cron crate enumerates wall times with no DST.
fn wall(tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&t.with_timezone(&tz).naive_local())
}

/// The first fire time of `schedule` strictly after `after`, read in `tz`.
pub fn next_fire(schedule: &cron::Schedule, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Wall times before `after`'s own map to instants at or before it (monotone), so start there.
    schedule
        .after(&wall(tz, after))
        .take(MAX_CANDIDATES)
        .map(|w| first_instant(tz, w.naive_utc()))
        .find(|t| *t > after)
}

/// The newest fire time of `schedule` at or before `at`, read in `tz`.
pub fn prev_fire(schedule: &cron::Schedule, tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // In a fall-back fold a wall time later than `at`'s may already have happened (its first
    // occurrence): look back from a little ahead.
    let from = wall(tz, at) + MAX_SHIFT + Duration::seconds(1);
    schedule
        .after(&from)
        .rev()
        .take(MAX_CANDIDATES)
        .map(|w| first_instant(tz, w.naive_utc()))
        .find(|t| *t <= at)
}

/// The first instant at or after `at` inside business hours (local to `tz`), or `None` if the
/// hours never open (they always do; the search is bounded to eight days).
pub fn next_open(hours: &BusinessHours, tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = at.with_timezone(&tz).naive_local();
    if hours.contains(local.weekday(), local.time()) {
        return Some(at);
    }
    // Opening times are whole minutes: walk the wall clock minute by minute (cheap: no zone
    // lookups until an open minute is found).
    let start = local.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(local);
    (1..=8 * 24 * 60)
        .map(|k| start + Duration::minutes(k))
        .filter(|n| hours.contains(n.weekday(), n.time()))
        .find_map(|n| match tz.from_local_datetime(&n) {
            // In a fall-back fold the second occurrence still counts if the first is past.
            LocalResult::Ambiguous(a, b) => [a, b].into_iter().map(|t| t.with_timezone(&Utc)).find(|t| *t > at),
            _ => Some(first_instant(tz, n)).filter(|t| *t > at),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Berlin};
    use std::str::FromStr;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cron(src: &str) -> cron::Schedule {
        cron::Schedule::from_str(src).unwrap()
    }

    #[test]
    fn new_york_five_pm_is_22z_in_winter_and_21z_in_summer() {
        let s = cron("0 0 17 * * Mon-Fri");
        let winter = next_fire(&s, New_York, utc("2026-11-20T12:00:00Z"));
        assert_eq!(winter, Some(utc("2026-11-20T22:00:00Z")));
        let summer = next_fire(&s, New_York, utc("2026-07-01T12:00:00Z"));
        assert_eq!(summer, Some(utc("2026-07-01T21:00:00Z")));
        // Friday 22:00Z → the next is Monday.
        assert_eq!(
            next_fire(&s, New_York, utc("2026-11-20T22:00:00Z")),
            Some(utc("2026-11-23T22:00:00Z"))
        );
        assert_eq!(
            prev_fire(&s, New_York, utc("2026-11-20T22:00:00Z")),
            Some(utc("2026-11-20T22:00:00Z")),
            "a fire time at `at` counts as the previous one"
        );
        assert_eq!(
            prev_fire(&s, New_York, utc("2026-11-22T12:00:00Z")),
            Some(utc("2026-11-20T22:00:00Z"))
        );
    }

    #[test]
    fn a_wall_time_in_the_spring_gap_runs_once_when_the_gap_ends() {
        let s = cron("0 30 2 * * *");
        let fires: Vec<_> = std::iter::successors(next_fire(&s, Berlin, utc("2026-03-28T12:00:00Z")), |t| {
            next_fire(&s, Berlin, *t)
        })
        .take(3)
        .collect();
        assert_eq!(
            fires,
            [
                utc("2026-03-29T01:00:00Z"), // 03:00 CEST: 02:30 did not exist
                utc("2026-03-30T00:30:00Z"), // 02:30 CEST
                utc("2026-03-31T00:30:00Z"),
            ]
        );
        assert_eq!(
            prev_fire(&s, Berlin, utc("2026-03-29T01:30:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn a_wall_time_that_happens_twice_runs_once() {
        let s = cron("0 30 2 * * *");
        let first = next_fire(&s, Berlin, utc("2026-10-24T12:00:00Z"));
        assert_eq!(first, Some(utc("2026-10-25T00:30:00Z"))); // 02:30 CEST
        assert_eq!(
            next_fire(&s, Berlin, utc("2026-10-25T00:30:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        // From inside the repeated hour (02:10 CET), the 02:30 CET repeat does not fire.
        assert_eq!(
            next_fire(&s, Berlin, utc("2026-10-25T01:10:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        assert_eq!(
            prev_fire(&s, Berlin, utc("2026-10-25T01:10:00Z")),
            Some(utc("2026-10-25T00:30:00Z")),
            "the first 02:30 is already past at 02:10 CET"
        );
    }

    #[test]
    fn business_hours_open_on_monday_morning_local_time() {
        let hours: BusinessHours = "Mon-Fri 09:00-18:00".parse().unwrap();
        let friday_late = utc("2026-11-20T16:50:00Z"); // 17:50 CET, inside
        assert_eq!(next_open(&hours, Berlin, friday_late), Some(friday_late));
        assert_eq!(
            next_open(&hours, Berlin, utc("2026-11-20T17:20:00Z")), // 18:20 CET Friday
            Some(utc("2026-11-23T08:00:00Z"))                       // 09:00 CET Monday
        );
        assert_eq!(
            next_open(&hours, Berlin, utc("2026-11-23T07:59:30Z")),
            Some(utc("2026-11-23T08:00:00Z"))
        );
        // Across the spring change the opening is still 09:00 local (now UTC+2).
        assert_eq!(
            next_open(&hours, Berlin, utc("2026-03-27T18:00:00Z")),
            Some(utc("2026-03-30T07:00:00Z"))
        );
    }

    #[test]
    fn first_instant_resolves_gaps_and_folds() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            first_instant(Berlin, local("2026-03-29 02:30")),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            first_instant(Berlin, local("2026-10-25 02:30")),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            first_instant(Berlin, local("2026-11-20 12:00")),
            utc("2026-11-20T11:00:00Z")
        );
    }
}
