//! The daily digest of one brand (design §7): what came in on the brand's local day and what
//! became of it, how fast the first answers were, and what is still waiting. Pure: reads the
//! store, posts nothing.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    count, day_activity, duration_text, first_response, local_day, percentile, DayActivity, OpenItem, SHOWN_OPEN,
};
use crate::config::BrandConfig;
use crate::store::{MentionState, Store, StoreError};

/// One brand's day. The counts are of the mentions received that day (so they add up:
/// received = answered + dismissed + still open); `open_total` is every mention still waiting,
/// whichever day it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub brand: String,
    pub day: NaiveDate,
    pub received: u32,
    pub answered: u32,
    pub dismissed: u32,
    pub still_open: u32,
    pub open_total: u32,
    /// Median time to the first answer, of the day's answered mentions (nearest rank, as stats).
    pub median_first_response: Option<chrono::Duration>,
    /// The longest-waiting open mentions, oldest first (at most three).
    pub oldest_open: Vec<OpenItem>,
    /// The brand's own posts that day.
    pub activity: DayActivity,
}

/// The digest of the brand's local day that `now` falls on, up to `now`.
pub fn digest(store: &Store, brand: &BrandConfig, now: DateTime<Utc>) -> Result<Digest, StoreError> {
    digest_of_day(store, brand, local_day(now, brand.timezone), now)
}

/// The digest of a given local day (a morning run may want yesterday's); ages are as of `now`.
pub fn digest_of_day(
    store: &Store,
    brand: &BrandConfig,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Digest, StoreError> {
    let mut d = Digest {
        brand: brand.name.clone(),
        day,
        received: 0,
        answered: 0,
        dismissed: 0,
        still_open: 0,
        open_total: 0,
        median_first_response: None,
        oldest_open: Vec::new(),
        activity: day_activity(store, &brand.name, day, brand.timezone)?,
    };
    let mut times = Vec::new();
    for m in store.all_mentions() {
        let m = m?;
        if !m.brand.eq_ignore_ascii_case(&brand.name) || local_day(m.received_at, brand.timezone) != day {
            continue;
        }
        d.received += 1;
        match m.state {
            MentionState::Answered => d.answered += 1,
            MentionState::Dismissed => d.dismissed += 1,
            MentionState::New | MentionState::Open => d.still_open += 1,
        }
        // A mention answered and then reopened by the customer still had its first answer.
        if let Some(t) = first_response(&m) {
            times.push(t);
        }
    }
    d.median_first_response = percentile(&mut times, 50);
    let open = store.open_mentions(Some(&brand.name))?;
    d.open_total = open.len() as u32;
    d.oldest_open = open.iter().take(SHOWN_OPEN).map(|m| OpenItem::of(m, now)).collect();
    Ok(d)
}

impl Digest {
    /// Nothing is waiting and nothing came in unanswered: the digest fits on one line.
    pub fn is_good_day(&self) -> bool {
        self.open_total == 0
    }

    /// Plain text for chat. A good day gets a short line; otherwise a few lines with the
    /// oldest open mentions.
    pub fn render(&self) -> String {
        let day = self.day.format("%a %d %b %Y");
        let median = self
            .median_first_response
            .map(|t| format!(" Median first response: {}.", duration_text(t)))
            .unwrap_or_default();
        let own = self.own_posts_line();
        if self.is_good_day() {
            let mentions = if self.received == 0 {
                "a quiet day, no mentions".to_string()
            } else {
                format!(
                    "{}, {} answered, {} dismissed, nothing open",
                    count(self.received, "mention", "mentions"),
                    self.answered,
                    self.dismissed
                )
            };
            return format!("Daily digest for {}, {day}: {mentions}.{median}{own}", self.brand);
        }
        let mut out = format!(
            "Daily digest for {}, {day}\nMentions today: {} received, {} answered, {} dismissed, {} still open.",
            self.brand, self.received, self.answered, self.dismissed, self.still_open
        );
        out.push_str(&median);
        out.push_str(&format!(
            "\nWaiting for an answer: {} in all, oldest first:",
            self.open_total
        ));
        for item in &self.oldest_open {
            out.push('\n');
            out.push_str(&item.line());
        }
        if !own.is_empty() {
            out.push('\n');
            out.push_str(own.trim_start());
        }
        out
    }

    /// ` Own posts: 3 replies, 2 broadcasts, 1 share.`, or nothing on a day without any.
    fn own_posts_line(&self) -> String {
        let a = &self.activity;
        if a.broadcasts + a.replies + a.shares == 0 {
            return String::new();
        }
        format!(" Own posts: {}.", a.counts_text())
    }
}
