//! Stats over a span of local days (design §6, §9): replies vs broadcasts (and shares) per day,
//! the response rate and first-response times, as a compact table for chat and the command line
//! or as JSON lines. Pure: reads the store.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;

use super::{count, duration_text, first_response, local_day};
use crate::config::BrandConfig;
use crate::store::{Store, StoreError};

pub use super::chart::DayCount;

/// One local day. `received`/`answered` count the mentions that came in that day (answered by
/// now); the own posts are those written that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayStats {
    pub day: NaiveDate,
    pub received: u32,
    pub answered: u32,
    pub broadcasts: u32,
    pub replies: u32,
    pub shares: u32,
    /// Median first-response time of that day's answered mentions, in seconds.
    pub median_first_response_s: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// `None`: every brand together.
    pub brand: Option<String>,
    pub timezone: Tz,
    /// Oldest first, ending with today.
    pub days: Vec<DayStats>,
    pub median_first_response: Option<chrono::Duration>,
    pub p90_first_response: Option<chrono::Duration>,
}

/// The `p`th percentile (0 < p ≤ 100) by the nearest-rank method: sort the n values and take
/// the one at rank ⌈p/100 · n⌉ (1-based). Always a value that was observed; the median of an
/// even count is the lower middle one. `None` for no values. Sorts `values` in place.
pub fn percentile(values: &mut [chrono::Duration], p: u32) -> Option<chrono::Duration> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    let rank = (p.clamp(1, 100) as usize * n).div_ceil(100);
    values.get(rank.max(1) - 1).copied()
}

/// The brands' timezone when they all share one, else UTC: the days of an all-brands report.
pub fn common_timezone(brands: &[BrandConfig]) -> Tz {
    match brands.split_first() {
        Some((first, rest)) if rest.iter().all(|b| b.timezone == first.timezone) => first.timezone,
        _ => chrono_tz::UTC,
    }
}

/// Stats for the last `days` local days in `tz` (today included; at least one day).
pub fn stats(store: &Store, brand: Option<&str>, days: u32, now: DateTime<Utc>, tz: Tz) -> Result<Stats, StoreError> {
    let today = local_day(now, tz);
    let first = today
        .checked_sub_days(Days::new(u64::from(days.max(1) - 1)))
        .unwrap_or(today);
    let mut rows: Vec<DayStats> = first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|day| DayStats {
            day,
            received: 0,
            answered: 0,
            broadcasts: 0,
            replies: 0,
            shares: 0,
            median_first_response_s: None,
        })
        .collect();
    let index = |at: DateTime<Utc>| {
        let d = local_day(at, tz);
        (first..=today).contains(&d).then(|| (d - first).num_days() as usize)
    };
    for e in store.activity(brand)? {
        if let Some(row) = index(e.at).and_then(|i| rows.get_mut(i)) {
            match e.kind {
                crate::store::ActivityKind::Broadcast => row.broadcasts += 1,
                crate::store::ActivityKind::Reply => row.replies += 1,
                crate::store::ActivityKind::Share => row.shares += 1,
            }
        }
    }
    let mut per_day: Vec<Vec<chrono::Duration>> = vec![Vec::new(); rows.len()];
    for m in store.all_mentions() {
        let m = m?;
        if brand.is_some_and(|b| !m.brand.eq_ignore_ascii_case(b)) {
            continue;
        }
        let Some(i) = index(m.received_at) else { continue };
        rows[i].received += 1;
        if let Some(t) = first_response(&m) {
            rows[i].answered += 1;
            per_day[i].push(t);
        }
    }
    for (row, times) in rows.iter_mut().zip(per_day.iter_mut()) {
        row.median_first_response_s = percentile(times, 50).map(|t| t.num_seconds());
    }
    let mut all: Vec<chrono::Duration> = per_day.into_iter().flatten().collect();
    Ok(Stats {
        brand: brand.map(str::to_string),
        timezone: tz,
        days: rows,
        median_first_response: percentile(&mut all, 50),
        p90_first_response: percentile(&mut all, 90),
    })
}

impl Stats {
    fn total(&self, f: fn(&DayStats) -> u32) -> u32 {
        self.days.iter().map(f).sum()
    }

    /// answered / received over the whole span; `None` when nothing came in.
    pub fn response_rate(&self) -> Option<f64> {
        let received = self.total(|d| d.received);
        (received > 0).then(|| f64::from(self.total(|d| d.answered)) / f64::from(received))
    }

    pub fn day_counts(&self) -> Vec<DayCount> {
        self.days
            .iter()
            .map(|d| DayCount {
                day: d.day,
                broadcasts: d.broadcasts,
                replies: d.replies,
                shares: d.shares,
            })
            .collect()
    }

    /// A compact table, one row per day, and two summary lines.
    pub fn render(&self) -> String {
        let who = self.brand.as_deref().unwrap_or("all brands");
        let mut out = format!(
            "Stats for {who}, last {} ({})\n{:<10} {:>8} {:>8} {:>6} {:>6} {:>6} {:>8}",
            count(self.days.len() as u32, "day", "days"),
            self.timezone,
            "day",
            "received",
            "answered",
            "bcast",
            "reply",
            "share",
            "median"
        );
        for d in &self.days {
            let median = d
                .median_first_response_s
                .map(|s| duration_text(chrono::Duration::seconds(s)))
                .unwrap_or_else(|| "-".into());
            out.push_str(&format!(
                "\n{:<10} {:>8} {:>8} {:>6} {:>6} {:>6} {:>8}",
                d.day.format("%a %d %b"),
                d.received,
                d.answered,
                d.broadcasts,
                d.replies,
                d.shares,
                median
            ));
        }
        let (received, answered) = (self.total(|d| d.received), self.total(|d| d.answered));
        let rate = self
            .response_rate()
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "\nResponse rate: {rate} ({answered} of {received} answered). First response: median {}, p90 {}.",
            self.median_first_response
                .map(duration_text)
                .unwrap_or_else(|| "-".into()),
            self.p90_first_response.map(duration_text).unwrap_or_else(|| "-".into()),
        ));
        out.push_str(&format!(
            "\nOwn posts: {}, {}, {}.",
            count(self.total(|d| d.broadcasts), "broadcast", "broadcasts"),
            count(self.total(|d| d.replies), "reply", "replies"),
            count(self.total(|d| d.shares), "share", "shares")
        ));
        out
    }

    /// One JSON object per day, then `{"summary": {…}}`.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        let mut out: Vec<serde_json::Value> = self.days.iter().map(|d| json!(d)).collect();
        out.push(json!({"summary": {
            "brand": self.brand,
            "timezone": self.timezone.name(),
            "from": self.days.first().map(|d| d.day),
            "to": self.days.last().map(|d| d.day),
            "days": self.days.len(),
            "received": self.total(|d| d.received),
            "answered": self.total(|d| d.answered),
            "response_rate": self.response_rate(),
            "median_first_response_s": self.median_first_response.map(|t| t.num_seconds()),
            "p90_first_response_s": self.p90_first_response.map(|t| t.num_seconds()),
            "broadcasts": self.total(|d| d.broadcasts),
            "replies": self.total(|d| d.replies),
            "shares": self.total(|d| d.shares),
        }}));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(v: &[i64]) -> Vec<chrono::Duration> {
        v.iter().map(|m| chrono::Duration::minutes(*m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut ten = mins(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        assert_eq!(percentile(&mut ten, 50), Some(chrono::Duration::minutes(5)));
        assert_eq!(percentile(&mut ten, 90), Some(chrono::Duration::minutes(9)));
        assert_eq!(percentile(&mut ten, 100), Some(chrono::Duration::minutes(10)));
        let mut three = mins(&[30, 10, 20]);
        assert_eq!(percentile(&mut three, 50), Some(chrono::Duration::minutes(20)));
        assert_eq!(percentile(&mut three, 90), Some(chrono::Duration::minutes(30)));
        let mut one = mins(&[7]);
        assert_eq!(percentile(&mut one, 90), Some(chrono::Duration::minutes(7)));
        assert_eq!(percentile(&mut [], 50), None);
    }
}
