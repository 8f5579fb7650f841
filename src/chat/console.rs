//! The console chat: alerts as text cards on stdout, thread notes as indented lines, commands
//! typed on stdin as `/talkback …`. Used by `talkback demo` and by `run` without Slack/Discord.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::{render, ChannelRef, ChatAdapter, ChatError, Commands};
use crate::clock::SharedClock;
use crate::domain::ChatUser;
use crate::store::{Mention, MessageRef};

/// Where console output goes (stdout, or a buffer in tests).
pub type Output = Arc<Mutex<Box<dyn Write + Send>>>;

pub fn stdout() -> Output {
    Arc::new(Mutex::new(Box::new(std::io::stdout())))
}

pub struct ConsoleChat {
    out: Output,
    clock: SharedClock,
}

impl ConsoleChat {
    pub fn new(out: Output, clock: SharedClock) -> ConsoleChat {
        ConsoleChat { out, clock }
    }

    fn print(&self, text: &str) -> Result<(), ChatError> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(out, "{text}")
            .and_then(|_| out.flush())
            .map_err(|e| ChatError::Transport(e.to_string()))
    }
}

#[async_trait]
impl ChatAdapter for ConsoleChat {
    fn platform(&self) -> &'static str {
        "console"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        self.print(&format!("\n{}", render::alert_text(mention, self.clock.now())))?;
        Ok(MessageRef {
            platform: "console".into(),
            channel: to.0.clone(),
            id: mention.id.0.to_string(),
            group: Vec::new(),
        })
    }

    /// A terminal cannot edit what it printed; the thread note already says what changed.
    async fn update_alert(&self, _msg: &MessageRef, _mentions: &[Mention]) -> Result<(), ChatError> {
        Ok(())
    }

    async fn say_in_thread(&self, msg: &MessageRef, text: &str) -> Result<(), ChatError> {
        self.print(&format!("  ↳ [#{}] {text}", msg.id))
    }

    async fn say(&self, to: &ChannelRef, text: &str) -> Result<(), ChatError> {
        self.print(&format!("\n[{}] {text}", to.0))
    }
}

/// Reads `/talkback …` lines until the input ends, answering each on `out`.
pub async fn read_commands(
    input: impl AsyncBufRead + Unpin,
    commands: &Commands,
    user: &ChatUser,
    out: &Output,
) -> std::io::Result<usize> {
    let mut lines = input.lines();
    let mut n = 0;
    while let Some(line) = lines.next_line().await? {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        echo(out, &format!("\n> {line}"))?;
        let answer = if line.starts_with("/talkback") {
            n += 1;
            commands.run(user, line).await
        } else {
            format!("Commands start with /talkback (try `/talkback help`); ignored: {line}")
        };
        echo(out, &answer)?;
    }
    Ok(n)
}

fn echo(out: &Output, text: &str) -> std::io::Result<()> {
    let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
    writeln!(o, "{text}")?;
    o.flush()
}
