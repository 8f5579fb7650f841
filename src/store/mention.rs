//! A mention and its lifecycle (design §5) as plain data with checked transitions. No I/O:
//! the store persists what these methods decide.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{ChatUser, Intent, MentionId, Post, Sentiment};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MentionState {
    /// Stored; the alert has not been posted yet.
    New,
    /// The alert is in chat and nobody has answered.
    Open,
    Answered,
    Dismissed,
}

impl MentionState {
    pub fn as_str(self) -> &'static str {
        match self {
            MentionState::New => "new",
            MentionState::Open => "open",
            MentionState::Answered => "answered",
            MentionState::Dismissed => "dismissed",
        }
    }
}

/// What triage said about a mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageResult {
    pub intent: Intent,
    pub sentiment: Sentiment,
    pub guidance: String,
    pub suggestions: Vec<String>,
    /// Where the suggestions came from.
    #[serde(default, skip_serializing_if = "Drafts::is_templates")]
    pub drafts: Drafts,
}

/// Who wrote a mention's suggestions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Drafts {
    /// The templates; the LLM (if any) has not been asked yet.
    #[default]
    Templates,
    /// The LLM's drafts first, then the templates'.
    Llm { model: String },
    /// The LLM was asked and failed; the templates' drafts stand.
    Fallback { reason: String },
}

impl Drafts {
    pub fn is_templates(&self) -> bool {
        *self == Drafts::Templates
    }
}

/// Where a mention's alert lives in chat, so it can be updated and threaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub platform: String,
    pub channel: String,
    pub id: String,
    /// When one chat message lists several mentions (a burst), all of them, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<MentionId>,
}

/// A reply the brand published in this conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentReply {
    pub post_id: String,
    pub url: Option<String>,
    pub text: String,
    /// The chat user who sent it, or `None` for a reply posted natively on the network.
    pub by: Option<ChatUser>,
    pub at: DateTime<Utc>,
}

/// A reply waiting for an approver (`team.approvers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub text: String,
    pub by: ChatUser,
    pub at: DateTime<Utc>,
}

/// One line of a mention's history: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub by: Option<ChatUser>,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub id: MentionId,
    pub brand: String,
    pub post: Post,
    pub state: MentionState,
    /// Read by the replay source: replies go to the replay publisher whatever `post.network` says.
    #[serde(default)]
    pub replayed: bool,
    pub received_at: DateTime<Utc>,
    /// When the customer last spoke and started waiting: the nag clock starts here.
    pub waiting_since: DateTime<Utc>,
    #[serde(default)]
    pub dismissed_reason: Option<String>,
    #[serde(default)]
    pub claimed_by: Option<ChatUser>,
    #[serde(default)]
    pub snoozed_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub nags: u32,
    #[serde(default)]
    pub last_nag_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub first_response_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub triage: Option<TriageResult>,
    #[serde(default)]
    pub alert: Option<MessageRef>,
    /// Later posts of the conversation from other people (the brand's own are in `replies`).
    #[serde(default)]
    pub conversation: Vec<Post>,
    #[serde(default)]
    pub replies: Vec<SentReply>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Replies drafted by people who need an approver; the newest is sent on approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<Draft>,
}

/// Why a transition was refused; the text is shown to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("{0} is dismissed{1}; nothing more to do")]
    Dismissed(MentionId, String),
    #[error("{0} is already claimed by {1}")]
    ClaimedByOther(MentionId, ChatUser),
    #[error("{0} is not claimed")]
    NotClaimed(MentionId),
}

impl Mention {
    pub fn new(id: MentionId, brand: &str, post: Post, triage: Option<TriageResult>, now: DateTime<Utc>) -> Mention {
        let waiting_since = written_at(&post, now);
        Mention {
            id,
            brand: brand.to_string(),
            post,
            state: MentionState::New,
            replayed: false,
            received_at: now,
            waiting_since,
            dismissed_reason: None,
            claimed_by: None,
            snoozed_until: None,
            nags: 0,
            last_nag_at: None,
            first_response_at: None,
            triage,
            alert: None,
            conversation: Vec::new(),
            replies: Vec::new(),
            history: Vec::new(),
            drafts: Vec::new(),
        }
    }

    /// Open or new, i.e. somebody should still answer it.
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, MentionState::New | MentionState::Open)
    }

    pub fn is_snoozed(&self, now: DateTime<Utc>) -> bool {
        self.snoozed_until.is_some_and(|t| t > now)
    }

    /// The post a reply should answer: the customer's latest word in the conversation.
    pub fn reply_target(&self) -> &Post {
        self.conversation.last().unwrap_or(&self.post)
    }

    fn note(&mut self, by: Option<&ChatUser>, what: String, now: DateTime<Utc>) {
        self.history.push(HistoryEntry {
            at: now,
            by: by.cloned(),
            what,
        });
    }

    fn not_dismissed(&self) -> Result<(), LifecycleError> {
        if self.state == MentionState::Dismissed {
            let reason = self
                .dismissed_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(LifecycleError::Dismissed(self.id, reason));
        }
        Ok(())
    }

    pub fn add_draft(&mut self, text: &str, by: &ChatUser, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.not_dismissed()?;
        self.drafts.push(Draft {
            text: text.to_string(),
            by: by.clone(),
            at: now,
        });
        self.note(Some(by), format!("drafted a reply for approval: {text}"), now);
        Ok(())
    }

    pub fn alerted(&mut self, msg: MessageRef) {
        self.alert = Some(msg);
        if self.state == MentionState::New {
            self.state = MentionState::Open;
        }
    }

    pub fn claim(&mut self, by: &ChatUser, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.not_dismissed()?;
        match &self.claimed_by {
            Some(other) if other != by => Err(LifecycleError::ClaimedByOther(self.id, other.clone())),
            _ => {
                self.claimed_by = Some(by.clone());
                self.note(Some(by), "claimed".into(), now);
                Ok(())
            }
        }
    }

    pub fn unclaim(&mut self, by: &ChatUser, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        let Some(holder) = self.claimed_by.take() else {
            return Err(LifecycleError::NotClaimed(self.id));
        };
        let what = if &holder == by {
            "unclaimed".to_string()
        } else {
            format!("released {holder}'s claim")
        };
        self.note(Some(by), what, now);
        Ok(())
    }

    pub fn dismiss(&mut self, by: &ChatUser, reason: Option<String>, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.not_dismissed()?;
        self.state = MentionState::Dismissed;
        let what = match &reason {
            Some(r) => format!("dismissed: {r}"),
            None => "dismissed".to_string(),
        };
        self.dismissed_reason = reason;
        self.note(Some(by), what, now);
        Ok(())
    }

    pub fn snooze(&mut self, by: &ChatUser, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.not_dismissed()?;
        self.snoozed_until = Some(until);
        self.note(
            Some(by),
            format!("snoozed until {}", until.format("%Y-%m-%d %H:%M UTC")),
            now,
        );
        Ok(())
    }

    /// A reply was published (through talkback or natively on the network).
    pub fn answered(&mut self, reply: SentReply) {
        let what = match &reply.by {
            Some(_) => format!("replied: {}", reply.text),
            None => format!("replied on the network: {}", reply.text),
        };
        self.first_response_at.get_or_insert(reply.at);
        // A reply went out: pending drafts are answered too.
        self.drafts.clear();
        if self.state != MentionState::Dismissed {
            self.state = MentionState::Answered;
        }
        self.snoozed_until = None;
        let by = reply.by.clone();
        let at = reply.at;
        self.replies.push(reply);
        self.note(by.as_ref(), what, at);
    }

    /// Someone other than the brand answered back: the conversation is waiting again. A dismissed
    /// mention stays dismissed (it was closed on purpose, often as spam) but keeps the post.
    pub fn customer_followed_up(&mut self, post: Post, now: DateTime<Utc>) {
        let who = post.author_label();
        let written = written_at(&post, now);
        self.conversation.push(post);
        if self.state == MentionState::Answered {
            self.state = MentionState::Open;
        }
        if self.state != MentionState::Dismissed {
            self.waiting_since = written;
            self.nags = 0;
            self.last_nag_at = None;
        }
        self.note(None, format!("{who} answered back"), now);
    }
}

/// When the author wrote the post: its own time, never later than when talkback saw it.
fn written_at(post: &Post, seen: DateTime<Utc>) -> DateTime<Utc> {
    post.created_at.map(|t| t.min(seen)).unwrap_or(seen)
}
