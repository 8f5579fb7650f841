//! A chat that records everything said to it, for tests of what talkback tells people.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use talkback::chat::{ChannelRef, ChatAdapter, ChatError, ChatFile};
use talkback::store::{Mention, MessageRef};

#[derive(Clone, Default)]
pub struct RecordingChat {
    pub lines: Arc<Mutex<Vec<String>>>,
    /// Files posted, with the channel; their comments are also recorded as `say` lines.
    pub files: Arc<Mutex<Vec<(String, ChatFile)>>>,
}

impl RecordingChat {
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn files(&self) -> Vec<(String, ChatFile)> {
        self.files.lock().unwrap().clone()
    }

    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
}

#[async_trait]
impl ChatAdapter for RecordingChat {
    fn platform(&self) -> &'static str {
        "test"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        self.push(format!("alert {} {}", to.0, mention.id));
        Ok(MessageRef {
            platform: "test".into(),
            channel: to.0.clone(),
            id: mention.id.0.to_string(),
            group: vec![],
        })
    }

    async fn update_alert(&self, msg: &MessageRef, _mentions: &[Mention]) -> Result<(), ChatError> {
        self.push(format!("update {}", msg.id));
        Ok(())
    }

    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError> {
        self.push(format!("thread {} {text}", msg.id));
        Ok(())
    }

    async fn say(&self, to: &ChannelRef, text: &str) -> Result<(), ChatError> {
        self.push(format!("say {} {text}", to.0));
        Ok(())
    }

    async fn post_file(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        self.files.lock().unwrap().push((to.0.clone(), file.clone()));
        self.say(to, &file.comment).await
    }
}
