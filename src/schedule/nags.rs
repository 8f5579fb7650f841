//! Nags (design §7): an open, unsnoozed, unanswered mention is reminded in its alert's thread
//! after `nag.first_after`, then every `nag.repeat_every` up to `nag.max`; once it has waited
//! `nag.escalate_after` the nag goes to the brand's channel instead, naming the claimer. Only
//! inside business hours in the brand's timezone. Reads and updates mentions; never alerts.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::times::next_open;
use crate::chat::dispatch::ChannelRoutes;
use crate::chat::ChatAdapter;
use crate::config::{Config, NagConfig};
use crate::domain::{HumanDuration, MentionId};
use crate::store::{HistoryEntry, Mention, MentionState, Store, StoreError};

/// When the next nag of `m` falls due (never before `now`), or `None` when it gets no more:
/// not open (new, answered, dismissed), no alert to nag in, or `nag.max` reached.
pub fn next_nag_at(m: &Mention, cfg: &NagConfig, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if m.state != MentionState::Open || m.alert.is_none() || m.nags >= cfg.max {
        return None;
    }
    let base = match m.last_nag_at {
        Some(last) if m.nags > 0 => last + cfg.repeat_every.as_chrono(),
        _ => m.waiting_since + cfg.first_after.as_chrono(),
    };
    // Overdue means due now; a snooze holds it until the snooze ends.
    let at = base.max(now).max(m.snoozed_until.unwrap_or(now));
    match &cfg.business_hours {
        Some(hours) => next_open(hours, tz, at),
        None => Some(at),
    }
}

/// Sends the nags that are due and says when the next one is.
pub struct Nagger {
    store: Store,
    chat: Arc<dyn ChatAdapter>,
    routes: ChannelRoutes,
    config: NagConfig,
    /// Brand (lowercase) → its timezone.
    zones: HashMap<String, Tz>,
}

impl Nagger {
    pub fn new(config: &Config, store: Store, chat: Arc<dyn ChatAdapter>, routes: ChannelRoutes) -> Nagger {
        let zones = config
            .brands
            .iter()
            .map(|b| (b.name.to_lowercase(), b.timezone))
            .collect();
        Nagger {
            store,
            chat,
            routes,
            config: config.nag.clone(),
            zones,
        }
    }

    fn tz(&self, brand: &str) -> Tz {
        // A brand since removed from the config keeps being nagged, in UTC.
        self.zones.get(&brand.to_lowercase()).copied().unwrap_or(Tz::UTC)
    }

    /// Sends every nag due at `now`; returns when the next one falls due.
    pub async fn pass(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.pass_while(now, || true).await
    }

    /// `pass`, stopping early (before the next nag) once `go_on` says no: nags to one channel
    /// are paced a second apart, and a shutdown must not wait for a long backlog of them.
    pub async fn pass_while(
        &self,
        now: DateTime<Utc>,
        go_on: impl Fn() -> bool,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut next: Option<DateTime<Utc>> = None;
        for m in self.store.open_mentions(None)? {
            if !go_on() {
                break;
            }
            let due = match next_nag_at(&m, &self.config, self.tz(&m.brand), now) {
                Some(due) if due <= now => self.nag(m.id, now).await?,
                other => other,
            };
            next = super::earliest(next, due);
        }
        Ok(next)
    }

    /// Records the nag (flushed, so a restart never repeats it), then sends it. Returns when the
    /// mention's next nag falls due.
    async fn nag(&self, id: MentionId, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (cfg, max) = (&self.config, self.config.max);
        let (due, m) = self.store.update(id, |m| {
            // Decide again under the store's lock: a command may have changed it meanwhile.
            let tz = self.tz(&m.brand);
            if next_nag_at(m, cfg, tz, now).is_none_or(|d| d > now) {
                return Ok(false);
            }
            m.nags += 1;
            m.last_nag_at = Some(now);
            let what = format!("nagged: unanswered ({} of {max})", m.nags);
            m.history.push(HistoryEntry {
                at: now,
                by: None,
                what,
            });
            Ok(true)
        })?;
        if due {
            self.store.flush().await?;
            self.send(&m, now).await;
        }
        Ok(next_nag_at(&m, cfg, self.tz(&m.brand), now))
    }

    /// Says the nag in the alert's thread, or in the brand's channel once it is escalated. A
    /// failure is logged, not retried: the nag is recorded and the next one will come.
    async fn send(&self, m: &Mention, now: DateTime<Utc>) {
        let waited = now - m.waiting_since;
        let escalated = waited >= self.config.escalate_after.as_chrono();
        let text = nag_text(m, waited, escalated);
        let result = match (&m.alert, escalated) {
            (Some(alert), false) => self.chat.say_in_thread(alert, &text).await,
            _ => self.chat.say(self.routes.for_brand(&m.brand), &text).await,
        };
        match result {
            Ok(()) => {
                crate::metrics::nag_sent();
                tracing::info!(mention = %m.id, nags = m.nags, escalated, "nagged")
            }
            Err(e) => {
                crate::metrics::error(crate::metrics::ErrorKind::Chat);
                tracing::warn!(mention = %m.id, error = %e, "could not send a nag")
            }
        }
    }
}

/// `30m`, `2h30m`, `2d15h10m`: whole minutes, at least one.
fn minutes(d: Duration) -> HumanDuration {
    let secs = (d.num_minutes().max(1) * 60) as u64;
    HumanDuration(std::time::Duration::from_secs(secs))
}

/// The nag: who is waiting and for how long, and who holds the mention.
pub fn nag_text(m: &Mention, waited: Duration, escalated: bool) -> String {
    let (id, n) = (m.id, m.id.0);
    let who = m.reply_target().author_label();
    let long = minutes(waited);
    if !escalated {
        let claim = match &m.claimed_by {
            Some(u) => format!("Claimed by {u}."),
            None => format!("`reply {n} <text>` · `claim {n}` · `snooze {n} 1h`"),
        };
        return format!("🔔 {id} unanswered for {long}: {who} is waiting for a reply. {claim}");
    }
    let claim = match &m.claimed_by {
        Some(u) => format!("{u} claimed it: please answer or hand it over (`unclaim {n}`)."),
        None => format!("Nobody has claimed it: `claim {n}`."),
    };
    let link = m
        .reply_target()
        .url
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    format!(
        ":rotating_light: {id} ({} · {}) still unanswered for {long}: {who} is waiting for a reply. {claim}{link}",
        m.brand,
        m.post.network.display_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Post;
    use crate::store::MessageRef;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn config(hours: Option<&str>) -> NagConfig {
        let d = |s: &str| s.parse::<HumanDuration>().unwrap();
        NagConfig {
            first_after: d("30m"),
            repeat_every: d("2h"),
            max: 3,
            escalate_after: d("4h"),
            business_hours: hours.map(|h| h.parse().unwrap()),
        }
    }

    fn open(at: DateTime<Utc>) -> Mention {
        let post: Post = serde_json::from_value(serde_json::json!({
            "network": "mastodon", "id": "1", "text": "acme?", "created_at": at,
            "author": {"handle": "@bob@example.social"}
        }))
        .unwrap();
        let mut m = Mention::new(MentionId(7), "Acme", post, None, at);
        m.alerted(MessageRef {
            platform: "test".into(),
            channel: "C".into(),
            id: "1".into(),
            group: vec![],
        });
        m
    }

    #[test]
    fn first_after_then_every_repeat_up_to_max() {
        let t0 = utc("2026-11-18T10:00:00Z");
        let cfg = config(None);
        let mut m = open(t0);
        let at = |m: &Mention, now| next_nag_at(m, &cfg, Tz::UTC, now);
        assert_eq!(at(&m, t0 + Duration::minutes(29)), Some(t0 + Duration::minutes(30)));
        assert_eq!(
            at(&m, t0 + Duration::hours(5)),
            Some(t0 + Duration::hours(5)),
            "overdue: now"
        );
        m.nags = 1;
        m.last_nag_at = Some(t0 + Duration::minutes(40));
        assert_eq!(at(&m, t0 + Duration::minutes(40)), Some(t0 + Duration::minutes(160)));
        m.snoozed_until = Some(t0 + Duration::hours(6));
        assert_eq!(at(&m, t0 + Duration::minutes(40)), Some(t0 + Duration::hours(6)));
        m.nags = 3;
        assert_eq!(at(&m, t0), None, "max reached");
    }

    #[test]
    fn due_outside_business_hours_waits_for_the_opening() {
        let friday = utc("2026-11-20T16:50:00Z"); // 17:50 in Berlin
        let m = open(friday);
        let cfg = config(Some("Mon-Fri 09:00-18:00"));
        let due = next_nag_at(&m, &cfg, chrono_tz::Europe::Berlin, friday);
        assert_eq!(due, Some(utc("2026-11-23T08:00:00Z")));
    }

    #[test]
    fn the_text_says_who_waits_how_long_and_who_holds_it() {
        let mut m = open(utc("2026-11-18T10:00:00Z"));
        let t = nag_text(&m, Duration::minutes(150), false);
        assert!(
            t.contains("#7 unanswered for 2h30m: @bob@example.social is waiting"),
            "{t}"
        );
        m.claimed_by = Some(crate::domain::ChatUser::new("slack", "U1"));
        let t = nag_text(&m, Duration::minutes(270), true);
        assert!(
            t.contains("still unanswered for 4h30m") && t.contains("slack:U1 claimed it"),
            "{t}"
        );
    }
}
