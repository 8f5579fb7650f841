//! The stored cursor of a Bluesky list read newest-first (search, notifications, an author
//! feed): a sweep pages back from the newest item to the newest time the previous sweep saw,
//! and only then moves that mark. A restart mid-sweep resumes at the saved page, so nothing is
//! skipped. Plain data: no I/O.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// The newest time seen when the last sweep finished: the next sweep stops there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// The newest time seen by the sweep under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<DateTime<Utc>>,
    /// The API's cursor for the next, older page of the sweep under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl Sweep {
    /// The stored cursor; one this version cannot read starts afresh (logged).
    pub fn parse(source: &str, cursor: Option<&str>) -> Sweep {
        let Some(c) = cursor.filter(|c| !c.is_empty()) else {
            return Sweep::default();
        };
        serde_json::from_str(c).unwrap_or_else(|e| {
            tracing::warn!(source, error = %e, "unreadable cursor; starting a new sweep");
            Sweep::default()
        })
    }

    pub fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Nothing was ever read: read one page of recent items rather than all of history.
    fn is_first(&self) -> bool {
        self.since.is_none() && self.top.is_none() && self.page.is_none()
    }

    /// Whether an item from `at` is older than what the last sweep already saw.
    pub fn reached(&self, at: Option<DateTime<Utc>>) -> bool {
        matches!((self.since, at), (Some(s), Some(a)) if a <= s)
    }

    /// The cursor after a page whose newest item is from `newest`; `next_page` is the API's
    /// cursor for older items, `caught_up` says the page reached the previous sweep. Returns
    /// the new cursor and whether to fetch the next page now.
    pub fn after_page(
        &self,
        newest: Option<DateTime<Utc>>,
        next_page: Option<String>,
        caught_up: bool,
    ) -> (Sweep, bool) {
        let top = self.top.max(newest);
        match next_page {
            Some(page) if !caught_up && !self.is_first() => {
                let s = Sweep {
                    since: self.since,
                    top,
                    page: Some(page),
                };
                (s, true)
            }
            _ => {
                let s = Sweep {
                    since: top.max(self.since),
                    top: None,
                    page: None,
                };
                (s, false)
            }
        }
    }
}

/// How Bluesky writes datetimes (`2026-11-20T10:00:00.000Z`).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn first_read_takes_one_page_then_sweeps_back_to_the_mark() {
        let first = Sweep::default();
        let (s, more) = first.after_page(t("2026-01-01T10:00:00Z"), Some("p2".into()), false);
        assert!(!more);
        assert_eq!(s.since, t("2026-01-01T10:00:00Z"));

        let (s2, more) = s.after_page(t("2026-01-01T11:00:00Z"), Some("p2".into()), false);
        assert!(more);
        assert_eq!(
            (s2.since, s2.top, s2.page.as_deref()),
            (s.since, t("2026-01-01T11:00:00Z"), Some("p2"))
        );
        let (s3, more) = s2.after_page(t("2026-01-01T10:30:00Z"), Some("p3".into()), true);
        assert!(!more);
        assert_eq!(
            s3,
            Sweep {
                since: t("2026-01-01T11:00:00Z"),
                top: None,
                page: None
            }
        );
        assert_eq!(Sweep::parse("x", Some(&s3.render())), s3);
        assert_eq!(Sweep::parse("x", Some("garbage")), Sweep::default());
    }

    #[test]
    fn an_empty_sweep_keeps_the_mark() {
        let s = Sweep {
            since: t("2026-01-01T10:00:00Z"),
            ..Sweep::default()
        };
        let (next, more) = s.after_page(None, None, true);
        assert!(!more);
        assert_eq!(next.since, s.since);
        assert!(s.reached(t("2026-01-01T10:00:00Z")));
        assert!(!s.reached(t("2026-01-01T10:00:01Z")));
    }
}
