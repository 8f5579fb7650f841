//! The console chat: alerts as text cards on stdout, thread notes as indented lines, commands
//! typed on stdin as `/talkback …`. Used by `talkback demo` and by `run` without Slack/Discord.
//! Shared files (the weekly chart) are saved in a folder and their path printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::{render, ChannelRef, ChatAdapter, ChatError, ChatFile, Commands};
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
    /// Where shared files are saved; the system's temporary folder when unset.
    files_dir: Option<PathBuf>,
}

impl ConsoleChat {
    pub fn new(out: Output, clock: SharedClock) -> ConsoleChat {
        ConsoleChat {
            out,
            clock,
            files_dir: None,
        }
    }

    /// Saves shared files in `dir` (the demo's data folder) instead of the temporary folder.
    pub fn with_files_dir(mut self, dir: impl Into<PathBuf>) -> ConsoleChat {
        self.files_dir = Some(dir.into());
        self
    }

    /// Where `post_file` saves a file called `name`.
    pub fn file_path(&self, name: &str) -> PathBuf {
        let dir = self.files_dir.clone().unwrap_or_else(std::env::temp_dir);
        dir.join(safe_name(name))
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

    /// A terminal cannot show a picture: the file is saved and its path printed under the comment.
    async fn post_file(&self, to: &ChannelRef, file: &ChatFile) -> Result<(), ChatError> {
        let path = self.file_path(&file.name);
        let save = async {
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::write(&path, &file.bytes).await
        };
        save.await
            .map_err(|e| ChatError::Transport(format!("could not save {}: {e}", path.display())))?;
        self.print(&format!(
            "\n[{}] {}\n  ↳ {}: {}",
            to.0,
            file.comment,
            file.title,
            path.display()
        ))
    }
}

/// The file name alone, with anything but letters, digits, `.`, `-` and `_` replaced, so a name
/// can never climb out of the folder or hide as a dotfile.
fn safe_name(name: &str) -> String {
    let base = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned.to_string()
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

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn saved_file_names_stay_in_their_folder() {
        assert_eq!(safe_name("acme-week-2026-11-23.png"), "acme-week-2026-11-23.png");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("/tmp/x y.png"), "x_y.png");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name(""), "file");
    }
}
