//! The broadcast nudge (design §7): a brand's own posts on its local day, from the activity
//! ledger, and the nudge when it broadcast without talking. Pure: reads the store, posts nothing.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{count, local_day, OpenItem, SHOWN_OPEN};
use crate::config::{BrandConfig, NudgeConfig};
use crate::store::{ActivityKind, Store, StoreError};

/// A brand's own posts on one day. Shares never count as replies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayActivity {
    pub broadcasts: u32,
    pub replies: u32,
    pub shares: u32,
    /// Of the replies, those sent through talkback.
    pub via_talkback: u32,
}

impl DayActivity {
    pub fn add(&mut self, kind: ActivityKind, via_talkback: bool) {
        match kind {
            ActivityKind::Broadcast => self.broadcasts += 1,
            ActivityKind::Reply => {
                self.replies += 1;
                self.via_talkback += u32::from(via_talkback);
            }
            ActivityKind::Share => self.shares += 1,
        }
    }

    /// replies / (broadcasts + replies); `None` on a day with neither.
    pub fn reply_share(&self) -> Option<f64> {
        let talked = self.broadcasts + self.replies;
        (talked > 0).then(|| f64::from(self.replies) / f64::from(talked))
    }

    /// `5 broadcasts, 0 replies`, with the shares when there were any.
    pub fn counts_text(&self) -> String {
        let mut s = format!(
            "{}, {}",
            count(self.broadcasts, "broadcast", "broadcasts"),
            count(self.replies, "reply", "replies")
        );
        if self.shares > 0 {
            s.push_str(&format!(", {}", count(self.shares, "share", "shares")));
        }
        s
    }
}

/// The brand's own posts on its local `day`.
pub fn day_activity(store: &Store, brand: &str, day: NaiveDate, tz: Tz) -> Result<DayActivity, StoreError> {
    let mut a = DayActivity::default();
    for e in store.activity(Some(brand))? {
        if local_day(e.at, tz) == day {
            a.add(e.kind, e.via_talkback);
        }
    }
    Ok(a)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NudgeKind {
    /// At least one broadcast and no reply.
    OnlyBroadcast,
    /// Some replies, but fewer than `nudge.min_reply_share` of broadcasts + replies.
    FewReplies,
}

impl NudgeKind {
    pub fn decide(a: &DayActivity, min_reply_share: f64) -> Option<NudgeKind> {
        if a.broadcasts > 0 && a.replies == 0 {
            return Some(NudgeKind::OnlyBroadcast);
        }
        match a.reply_share() {
            Some(share) if share < min_reply_share => Some(NudgeKind::FewReplies),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Nudge {
    pub brand: String,
    pub day: NaiveDate,
    pub kind: NudgeKind,
    pub activity: DayActivity,
    pub min_reply_share: f64,
    /// Open, not snoozed, oldest first (at most three).
    pub worth_answering: Vec<OpenItem>,
}

/// The brand's activity on its local day of `now`, and the nudge if one is needed.
pub fn check_nudge(
    store: &Store,
    brand: &BrandConfig,
    cfg: &NudgeConfig,
    now: DateTime<Utc>,
) -> Result<(DayActivity, Option<Nudge>), StoreError> {
    let day = local_day(now, brand.timezone);
    let activity = day_activity(store, &brand.name, day, brand.timezone)?;
    let Some(kind) = NudgeKind::decide(&activity, cfg.min_reply_share) else {
        return Ok((activity, None));
    };
    let nudge = Nudge {
        brand: brand.name.clone(),
        day,
        kind,
        activity,
        min_reply_share: cfg.min_reply_share,
        worth_answering: worth_answering(store, &brand.name, now)?,
    };
    Ok((activity, Some(nudge)))
}

/// The nudge for the brand's local day of `now`, or `None` on a good (or quiet) day.
pub fn nudge(
    store: &Store,
    brand: &BrandConfig,
    cfg: &NudgeConfig,
    now: DateTime<Utc>,
) -> Result<Option<Nudge>, StoreError> {
    Ok(check_nudge(store, brand, cfg, now)?.1)
}

/// Up to three open mentions of the brand that nobody snoozed, oldest first.
pub fn worth_answering(store: &Store, brand: &str, now: DateTime<Utc>) -> Result<Vec<OpenItem>, StoreError> {
    Ok(store
        .open_mentions(Some(brand))?
        .iter()
        .filter(|m| !m.is_snoozed(now))
        .take(SHOWN_OPEN)
        .map(|m| OpenItem::of(m, now))
        .collect())
}

impl Nudge {
    /// The first sentence, also what the person who ran the job is told.
    pub fn headline(&self) -> String {
        let a = &self.activity;
        match self.kind {
            NudgeKind::OnlyBroadcast => format!("{} only broadcast today: {}", self.brand, a.counts_text()),
            NudgeKind::FewReplies => format!(
                "{} mostly broadcast today: {} ({:.0}% replies; the aim is at least {:.0}%)",
                self.brand,
                a.counts_text(),
                a.reply_share().unwrap_or(0.0) * 100.0,
                self.min_reply_share * 100.0
            ),
        }
    }

    pub fn render(&self) -> String {
        let mut out = format!("{}.", self.headline());
        if self.worth_answering.is_empty() {
            out.push_str(" Nobody is waiting in talkback right now; a reply to someone talking about ");
            out.push_str(&self.brand);
            out.push_str(" on the network counts too.");
            return out;
        }
        out.push_str(match self.kind {
            NudgeKind::OnlyBroadcast => "\nThese people are waiting for an answer:",
            NudgeKind::FewReplies => "\nWorth answering:",
        });
        for item in &self.worth_answering {
            out.push('\n');
            out.push_str(&item.line());
        }
        out
    }
}
