//! Sharing files in Slack (the weekly chart) with Slack's external upload flow:
//! `files.getUploadURLExternal` → POST the bytes to the returned URL →
//! `files.completeUploadExternal`. (`files.upload` is retired.) Sends only what it is given.

use slack_morphism::prelude::*;

use super::{blocks, SlackChat};
use crate::chat::{ChannelRef, ChatError, ChatFile};

/// Slack refuses longer screen-reader descriptions (`alt_txt_too_large`).
const ALT_TEXT_MAX: usize = 1000;

impl SlackChat {
    /// Uploads `file` and shares it in `to` with its comment. Every step is retried on 429
    /// (honouring Retry-After); an `ok: false` answer is a `ChatError::Rejected` with Slack's code.
    pub(super) async fn upload(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        self.upload_steps(to, file).await.map_err(|e| match e {
            ChatError::Rejected(code) if code == "missing_scope" => ChatError::Rejected(
                "missing_scope: sharing files needs the files:write scope \
                 (bot-config/slack-manifest.yml); add it and reinstall the Slack app"
                    .to_string(),
            ),
            other => other,
        })
    }

    async fn upload_steps(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        let alt: String = file.title.chars().take(ALT_TEXT_MAX).collect();
        let ask = SlackApiFilesGetUploadUrlExternalRequest::new(file.name.clone(), file.bytes.len()).with_alt_txt(alt);
        let target = self
            .call(|c, t| {
                let ask = ask.clone();
                async move { c.open_session(&t).get_upload_url_external(&ask).await }
            })
            .await?;

        // Slack takes the raw bytes (or a multipart form) and answers 200 with a short text.
        let send = SlackApiFilesUploadViaUrlRequest::new(
            target.upload_url.clone(),
            file.bytes.clone(),
            "application/octet-stream".to_string(),
        );
        self.call(|c, t| {
            let send = send.clone();
            async move { c.open_session(&t).files_upload_via_url(&send).await }
        })
        .await?;

        // Only now, with the bytes at Slack, may anything appear in the channel.
        let comment = blocks::escape(&file.comment);
        let (channel, comment) = match self.channel_id(&to.0).await {
            Some(id) => (id, Some(comment)),
            // completeUploadExternal takes channel IDs only, chat.postMessage also names: say the
            // comment first, which tells us the ID, then share the file right after it.
            None => (self.post(&to.0, comment, None, None).await?.0, None),
        };
        // Completing the upload posts the message: paced like any other message to the channel
        // (keyed by the name callers use, as `say` is, so a comment said just before counts).
        self.pace(&to.0).await;
        let files = vec![SlackApiFilesComplete::new(target.file_id.clone()).with_title(file.title.clone())];
        let done = SlackApiFilesCompleteUploadExternalRequest::new(files)
            .with_channel_id(channel.as_str().into())
            .opt_initial_comment(comment);
        self.call(|c, t| {
            let done = done.clone();
            async move { c.open_session(&t).files_complete_upload_external(&done).await }
        })
        .await
        .map(|_| ())
    }

    /// The channel's ID: `to` itself when it is one, else what an earlier post learned.
    async fn channel_id(&self, channel: &str) -> Option<String> {
        if is_channel_id(channel) {
            return Some(channel.to_string());
        }
        self.channel_ids.lock().await.get(channel).cloned()
    }
}

/// Slack IDs are capitals and digits after a type letter (`C024BE91L`); channel names are
/// lower case, often with a leading `#`, so the two cannot be confused.
pub(super) fn is_channel_id(channel: &str) -> bool {
    let mut chars = channel.chars();
    matches!(chars.next(), Some('C' | 'G' | 'D'))
        && channel.len() >= 2
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_told_from_names() {
        assert!(is_channel_id("C0ALERTS"));
        assert!(is_channel_id("C024BE91L"));
        assert!(is_channel_id("G012AB3CD"));
        assert!(!is_channel_id("#brand-mentions"));
        assert!(!is_channel_id("brand-mentions"));
        assert!(!is_channel_id("C"));
        assert!(!is_channel_id("alerts"));
    }
}
