//! Reports over the store (design §7): the daily digest, the broadcast nudge and stats, computed
//! from mentions and the activity ledger, and the jobs that post them to each brand's channel.
//! The weekly chart (`chart`) is drawn on a small pixel canvas with a built-in bitmap font.
//! Reports only read the store (they never change a mention) and never call a network.

mod canvas;
pub mod chart;
mod digest;
mod font;
mod nudge;
mod stats;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

pub use digest::{digest, digest_of_day, Digest};
pub use nudge::{check_nudge, day_activity, nudge, worth_answering, DayActivity, Nudge, NudgeKind};
pub use stats::{common_timezone, percentile, stats, DayCount, DayStats, Stats};

use crate::chat::{render, ChannelRef, ChannelRoutes, ChatAdapter, ChatFile};
use crate::clock::SharedClock;
use crate::config::{BrandConfig, Config, NudgeConfig};
use crate::domain::{HumanDuration, MentionId};
use crate::pipeline::snippet;
use crate::store::{Mention, Store, StoreError};

/// How many open mentions a digest or nudge lists.
pub const SHOWN_OPEN: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("No brand named `{name}`. Brands: {known}")]
    UnknownBrand { name: String, known: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An open mention as a digest or nudge lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenItem {
    pub id: MentionId,
    pub author: String,
    pub snippet: String,
    /// When the customer asked (the post's time).
    pub since: DateTime<Utc>,
    /// How long they have been waiting, as a word (`5h ago`).
    pub age: String,
    pub snoozed: bool,
}

impl OpenItem {
    pub fn of(m: &Mention, now: DateTime<Utc>) -> OpenItem {
        let since = asked_at(m);
        OpenItem {
            id: m.id,
            author: m.post.author_handle().unwrap_or("someone").to_string(),
            snippet: snippet(&m.post.text, 80),
            since,
            age: render::age(now, since),
            snoozed: m.is_snoozed(now),
        }
    }

    /// `  #3  @ana@example.social  5h ago  "the dashboard crashes…"`
    pub fn line(&self) -> String {
        let snoozed = if self.snoozed { "  (snoozed)" } else { "" };
        format!(
            "  {}  {}  {}  \"{}\"{snoozed}",
            self.id, self.author, self.age, self.snippet
        )
    }
}

/// When the customer asked: the post's own time, never later than when talkback saw it
/// (a skewed clock on the network must not make a response look faster than it was).
pub fn asked_at(m: &Mention) -> DateTime<Utc> {
    m.post.created_at.map(|t| t.min(m.received_at)).unwrap_or(m.received_at)
}

/// How long the first answer took, for an answered mention.
pub fn first_response(m: &Mention) -> Option<chrono::Duration> {
    m.first_response_at
        .map(|at| (at - asked_at(m)).max(chrono::Duration::zero()))
}

/// The calendar day `at` falls on in `tz`.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// `45s`, `12m`, `3h5m`, `2d4h`: whole minutes once past a minute (seconds are noise there).
pub fn duration_text(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0) as u64;
    let secs = if secs >= 60 { secs / 60 * 60 } else { secs };
    HumanDuration(std::time::Duration::from_secs(secs)).to_string()
}

/// `1 reply`, `2 replies`.
pub(crate) fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What one job did for one brand.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Posted,
    /// Nothing worth posting (a good day needs no nudge).
    NothingToSay,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct JobResult {
    pub brand: String,
    pub channel: ChannelRef,
    /// The message posted (or that would have been).
    pub text: Option<String>,
    pub delivery: Delivery,
    /// One line for whoever ran the job.
    pub summary: String,
}

/// Joins the jobs' summaries into the answer for the person who ran them.
pub fn answer(results: &[JobResult]) -> String {
    results
        .iter()
        .map(|r| r.summary.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The digest and nudge jobs, run on cron by the scheduler or on demand by chat commands.
pub struct Reports {
    store: Store,
    clock: SharedClock,
    chat: Arc<dyn ChatAdapter>,
    brands: Vec<BrandConfig>,
    nudge: NudgeConfig,
    routes: ChannelRoutes,
}

impl Reports {
    pub fn new(
        config: &Config,
        store: Store,
        clock: SharedClock,
        chat: Arc<dyn ChatAdapter>,
        routes: ChannelRoutes,
    ) -> Reports {
        Reports {
            store,
            clock,
            chat,
            brands: config.brands.clone(),
            nudge: config.nudge.clone(),
            routes,
        }
    }

    pub fn brands(&self) -> &[BrandConfig] {
        &self.brands
    }

    /// One brand by name (any case), or every brand.
    fn chosen(&self, brand: Option<&str>) -> Result<Vec<&BrandConfig>, ReportError> {
        match brand {
            Some(name) => Ok(vec![find_brand(&self.brands, name)?]),
            None => Ok(self.brands.iter().collect()),
        }
    }

    /// Computes and posts the digest of one brand (or of each) to its channel.
    pub async fn run_digest(&self, brand: Option<&str>) -> Result<Vec<JobResult>, ReportError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for b in self.chosen(brand)? {
            let d = digest_of_day(&self.store, b, digest_day(now, b.timezone), now)?;
            let what = format!(
                "{} received, {} answered, {} dismissed, {} open",
                d.received, d.answered, d.dismissed, d.open_total
            );
            let week = stats(&self.store, Some(&b.name), 7, now, b.timezone)?.day_counts();
            let chart = ChatFile {
                name: format!("{}-week-{}.png", b.name.to_lowercase().replace(' ', "-"), d.day),
                title: format!("{}: replies vs broadcasts, last 7 days", b.name),
                bytes: chart::weekly_chart_png(&b.name, &week),
                comment: d.render(),
            };
            out.push(self.post(b, "digest", Message::WithFile(chart), what).await);
        }
        Ok(out)
    }

    /// Computes each brand's nudge for its local day and posts the ones that are needed.
    pub async fn run_nudge(&self, brand: Option<&str>) -> Result<Vec<JobResult>, ReportError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for b in self.chosen(brand)? {
            let (activity, nudge) = check_nudge(&self.store, b, &self.nudge, now)?;
            match nudge {
                Some(n) => {
                    let headline = n.headline();
                    out.push(self.post(b, "nudge", Message::Text(n.render()), headline).await);
                }
                None => out.push(JobResult {
                    brand: b.name.clone(),
                    channel: self.routes.for_brand(&b.name).clone(),
                    text: None,
                    delivery: Delivery::NothingToSay,
                    summary: format!(
                        "No nudge needed for {}: {}, {} today.",
                        b.name,
                        count(activity.replies, "reply", "replies"),
                        count(activity.broadcasts, "broadcast", "broadcasts")
                    ),
                }),
            }
        }
        Ok(out)
    }

    async fn post(&self, brand: &BrandConfig, job: &str, message: Message, what: String) -> JobResult {
        let channel = self.routes.for_brand(&brand.name).clone();
        let (sent, text) = match message {
            Message::Text(text) => (self.chat.say(&channel, &text).await, text),
            // The text rides along as the file's comment; a chat without files just says it.
            Message::WithFile(file) => (self.chat.post_file(&channel, &file).await, file.comment),
        };
        let (delivery, summary) = match sent {
            Ok(()) => (
                Delivery::Posted,
                format!("Posted the {job} for {} to {}: {what}.", brand.name, channel.0),
            ),
            Err(e) => {
                tracing::warn!(brand = %brand.name, job, error = %e, "could not post a report");
                (
                    Delivery::Failed(e.to_string()),
                    format!("Could not post the {job} for {} to {}: {e}", brand.name, channel.0),
                )
            }
        };
        JobResult {
            brand: brand.name.clone(),
            channel,
            text: Some(text),
            delivery,
            summary,
        }
    }

    /// Stats for one brand or all, as [`stats_for`] says.
    pub fn stats(&self, brand: Option<&str>, days: u32) -> Result<Stats, ReportError> {
        stats_for(&self.store, &self.brands, brand, days, self.clock.now())
    }
}

/// What a job posts: text, or text with a file (the digest's weekly chart).
enum Message {
    Text(String),
    WithFile(ChatFile),
}

/// The day a digest covers: a morning digest (before noon, local time) looks back at
/// yesterday, a later one sums up today.
pub fn digest_day(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    if local.hour() < 12 {
        today.pred_opt().unwrap_or(today)
    } else {
        today
    }
}

/// A brand by name, any case.
pub fn find_brand<'a>(brands: &'a [BrandConfig], name: &str) -> Result<&'a BrandConfig, ReportError> {
    brands
        .iter()
        .find(|b| b.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ReportError::UnknownBrand {
            name: name.to_string(),
            known: brands.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", "),
        })
}

/// Stats for one brand (its days in its timezone) or for all brands together (in their common
/// timezone, else UTC).
pub fn stats_for(
    store: &Store,
    brands: &[BrandConfig],
    brand: Option<&str>,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Stats, ReportError> {
    let (name, tz) = match brand {
        Some(b) => {
            let b = find_brand(brands, b)?;
            (Some(b.name.as_str()), b.timezone)
        }
        None => (None, common_timezone(brands)),
    };
    Ok(stats(store, name, days, now, tz)?)
}
