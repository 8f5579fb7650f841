//! The pipeline: from posts to stored mentions. Applies the brand queries, joins follow-ups to
//! their conversations, records the brands' own posts in the activity ledger and triages new
//! mentions. It stores and flushes, then tells chat what changed; it never calls chat itself.

use tokio::sync::mpsc;

use crate::clock::SharedClock;
use crate::config::BrandConfig;
use crate::domain::{MentionId, Post};
use crate::matcher::{BrandRule, Matcher};
use crate::store::{ActivityEntry, ActivityKind, Ingested, Mention, SentReply, Store, StoreError};
use crate::triage::Triage;

/// Something chat should show: a new alert to post, or a line in an alert's thread.
#[derive(Debug, Clone)]
pub enum Notice {
    /// New mentions are waiting in the store for their alerts.
    NewMentions,
    /// The mention changed without a chat command (a follow-up, a native reply).
    Changed { mention: Box<Mention>, note: String },
}

/// What one `ingest` call did.
#[derive(Debug, Default)]
pub struct IngestReport {
    pub new_mentions: Vec<MentionId>,
    pub duplicates: usize,
    pub notices: Vec<Notice>,
    pub own_posts: usize,
}

pub struct Pipeline {
    matcher: Matcher,
    triage: Triage,
    store: Store,
    clock: SharedClock,
    notify: Option<mpsc::UnboundedSender<Notice>>,
}

impl Pipeline {
    pub fn new(brands: &[BrandConfig], triage: Triage, store: Store, clock: SharedClock) -> Pipeline {
        let rules = brands.iter().map(BrandConfig::rule).collect();
        Pipeline {
            matcher: Matcher::new(rules),
            triage,
            store,
            clock,
            notify: None,
        }
    }

    /// Where notices go while the bot runs (the chat dispatcher).
    pub fn with_notices(mut self, tx: mpsc::UnboundedSender<Notice>) -> Pipeline {
        self.notify = Some(tx);
        self
    }

    /// Stores everything `posts` mean, flushes, then sends the notices.
    pub async fn ingest(&self, posts: &[Post], replayed: bool) -> Result<IngestReport, StoreError> {
        let mut report = IngestReport::default();
        for post in posts {
            self.ingest_one(post, replayed, &mut report)?;
        }
        self.store.flush().await?;
        if let Some(tx) = &self.notify {
            if !report.new_mentions.is_empty() {
                let _ = tx.send(Notice::NewMentions);
            }
            for n in &report.notices {
                let _ = tx.send(n.clone());
            }
        }
        Ok(report)
    }

    fn ingest_one(&self, post: &Post, replayed: bool, report: &mut IngestReport) -> Result<(), StoreError> {
        let now = self.clock.now();
        let own: Vec<&BrandRule> = self
            .matcher
            .brands()
            .iter()
            .filter(|b| b.own_accounts.iter().any(|a| a.wrote(post)))
            .collect();
        let mut joined_brands: Vec<String> = Vec::new();
        if own.is_empty() {
            for j in self.store.join_conversations(post, now)? {
                joined_brands.push(j.mention.brand.to_lowercase());
                let verb = if j.reopened {
                    "answered back and is waiting again"
                } else {
                    "added to the conversation"
                };
                let note = format!("{} {verb}: {}", post.author_label(), snippet(&post.text, 200));
                report.notices.push(Notice::Changed {
                    mention: Box::new(j.mention),
                    note,
                });
            }
        } else {
            report.own_posts += 1;
            for brand in &own {
                self.own_post(brand, post, now, report)?;
            }
        }
        for i in self.matcher.matching_brands(post) {
            let brand = &self.matcher.brands()[i].name;
            if joined_brands.contains(&brand.to_lowercase()) {
                continue;
            }
            let triage = self.triage.triage(post, brand);
            match self.store.insert_mention(brand, post, Some(triage), replayed, now)? {
                Ingested::New(m) => report.new_mentions.push(m.id),
                Ingested::Duplicate(_) => report.duplicates += 1,
            }
        }
        Ok(())
    }

    /// A post by one of the brand's own accounts: count it, and if it answers a conversation of
    /// that brand, the mention is answered.
    fn own_post(
        &self,
        brand: &BrandRule,
        post: &Post,
        now: chrono::DateTime<chrono::Utc>,
        report: &mut IngestReport,
    ) -> Result<(), StoreError> {
        let kind = match (&post.repost_of, &post.reply_to) {
            (Some(_), _) => ActivityKind::Share,
            (None, None) => ActivityKind::Broadcast,
            (None, Some(parent)) if self.store.is_own_post(post.network, parent)? => ActivityKind::Broadcast,
            (None, Some(_)) => ActivityKind::Reply,
        };
        self.store.record_activity(&ActivityEntry {
            brand: brand.name.clone(),
            network: post.network,
            post_id: post.id.clone(),
            kind,
            at: post.created_at.unwrap_or(now),
            via_talkback: false,
        })?;
        let Some(parent) = post.reply_to.as_deref() else {
            return Ok(());
        };
        for id in self.store.conversations_of(post.network, parent)? {
            let m = self.store.mention(id)?;
            if !m.brand.eq_ignore_ascii_case(&brand.name) || m.replies.iter().any(|r| r.post_id == post.id) {
                continue;
            }
            let reply = SentReply {
                post_id: post.id.clone(),
                url: post.url.clone(),
                text: post.text.clone(),
                by: None,
                at: post.created_at.unwrap_or(now),
            };
            let m = self.store.record_reply(id, reply)?;
            let note = format!(
                "answered on {} by {}: {}",
                post.network.display_name(),
                post.author_label(),
                snippet(&post.text, 200)
            );
            report.notices.push(Notice::Changed {
                mention: Box::new(m),
                note,
            });
        }
        Ok(())
    }
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
pub fn snippet(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}
