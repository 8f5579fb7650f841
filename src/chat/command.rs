//! The `/talkback` command language (design §6), parsed once into `Command` whatever the
//! platform. Bad arguments give a usage line, never an error trace.

use std::fmt;

use crate::domain::{HumanDuration, MentionId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyText {
    Text(String),
    /// `#2`: the mention's second suggested reply.
    Suggestion(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List {
        brand: Option<String>,
    },
    Show {
        id: MentionId,
    },
    Reply {
        id: MentionId,
        text: ReplyText,
    },
    Claim {
        id: MentionId,
    },
    Unclaim {
        id: MentionId,
    },
    Dismiss {
        id: MentionId,
        reason: Option<String>,
    },
    Snooze {
        id: MentionId,
        duration: HumanDuration,
    },
    /// Send the newest draft of a mention (approvers only).
    Approve {
        id: MentionId,
    },
    Help,
}

/// Every command with its usage, in the order `help` lists them.
pub const USAGE: &[(&str, &str, &str)] = &[
    ("list", "/talkback list [brand]", "open mentions, oldest first"),
    (
        "show",
        "/talkback show <id>",
        "one mention with its suggestions and history",
    ),
    (
        "reply",
        "/talkback reply <id> <text>",
        "publish a reply on the network; `reply <id> #2` sends suggestion 2",
    ),
    ("claim", "/talkback claim <id>", "take a mention"),
    ("unclaim", "/talkback unclaim <id>", "release a mention"),
    ("dismiss", "/talkback dismiss <id> [reason]", "close without replying"),
    (
        "snooze",
        "/talkback snooze <id> <duration>",
        "hide from nags for a while, e.g. 30m, 2h, 1d",
    ),
    (
        "approve",
        "/talkback approve <id>",
        "send the reply drafted for <id> (when `team.approvers` is set)",
    ),
    ("help", "/talkback help", "this list"),
];

/// A command that could not be understood, with the usage that would have worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    pub command: Option<&'static str>,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        match self.command.and_then(|c| USAGE.iter().find(|u| u.0 == c)) {
            Some((_, usage, _)) => write!(f, "\nusage: {usage}"),
            None => write!(f, "\n{}", help_text()),
        }
    }
}

impl std::error::Error for UsageError {}

pub fn help_text() -> String {
    let mut out = String::from("talkback commands:");
    for (_, usage, what) in USAGE {
        out.push_str(&format!("\n  {usage:<36} {what}"));
    }
    out.push_str("\n<id> is written 42 or #42.");
    out
}

fn usage(command: &'static str, message: impl Into<String>) -> UsageError {
    UsageError {
        message: message.into(),
        command: Some(command),
    }
}

impl Command {
    /// Parses the text after `/talkback` (a leading `/talkback` is accepted too).
    pub fn parse(input: &str) -> Result<Command, UsageError> {
        let input = input.trim();
        let input = input.strip_prefix("/talkback").map(str::trim_start).unwrap_or(input);
        let (word, rest) = match input.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (input, ""),
        };
        let Some(&(name, _, _)) = USAGE.iter().find(|u| u.0.eq_ignore_ascii_case(word)) else {
            if word.is_empty() {
                return Ok(Command::Help);
            }
            return Err(UsageError {
                message: format!("unknown command `{word}`"),
                command: None,
            });
        };
        let (first, tail) = match rest.split_once(char::is_whitespace) {
            Some((a, b)) => (a, b.trim()),
            None => (rest, ""),
        };
        let id = || -> Result<MentionId, UsageError> {
            if first.is_empty() {
                return Err(usage(name, format!("`{name}` needs a mention id")));
            }
            first.parse::<MentionId>().map_err(|e| usage(name, e))
        };
        let no_more = |cmd: Command| -> Result<Command, UsageError> {
            if tail.is_empty() {
                Ok(cmd)
            } else {
                Err(usage(
                    name,
                    format!("`{name}` takes only a mention id, but got `{tail}` too"),
                ))
            }
        };
        match name {
            "list" => Ok(Command::List {
                brand: (!rest.is_empty()).then(|| rest.trim_matches('"').to_string()),
            }),
            "show" => no_more(Command::Show { id: id()? }),
            "claim" => no_more(Command::Claim { id: id()? }),
            "unclaim" => no_more(Command::Unclaim { id: id()? }),
            "approve" => no_more(Command::Approve { id: id()? }),
            "reply" => {
                let id = id()?;
                if tail.is_empty() {
                    return Err(usage(name, "`reply` needs the text to send, or #N for suggestion N"));
                }
                let text = match tail.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n >= 1 => ReplyText::Suggestion(n),
                    Some(_) => return Err(usage(name, "suggestions are numbered from #1")),
                    None => ReplyText::Text(tail.to_string()),
                };
                Ok(Command::Reply { id, text })
            }
            "dismiss" => Ok(Command::Dismiss {
                id: id()?,
                reason: (!tail.is_empty()).then(|| tail.to_string()),
            }),
            "snooze" => {
                let id = id()?;
                if tail.is_empty() {
                    return Err(usage(name, "`snooze` needs a duration like 30m, 2h or 1d"));
                }
                let duration = tail.parse::<HumanDuration>().map_err(|e| usage(name, e))?;
                Ok(Command::Snooze { id, duration })
            }
            _ => Ok(Command::Help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        Command::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(ok("list"), Command::List { brand: None });
        assert_eq!(
            ok("/talkback list Acme"),
            Command::List {
                brand: Some("Acme".into())
            }
        );
        assert_eq!(
            ok("list Acme Cloud"),
            Command::List {
                brand: Some("Acme Cloud".into())
            }
        );
        assert_eq!(ok("show #4"), Command::Show { id: MentionId(4) });
        assert_eq!(
            ok("reply 42 Thanks  for asking!"),
            Command::Reply {
                id: MentionId(42),
                text: ReplyText::Text("Thanks  for asking!".into())
            }
        );
        assert_eq!(
            ok("reply #42 #2"),
            Command::Reply {
                id: MentionId(42),
                text: ReplyText::Suggestion(2)
            }
        );
        assert_eq!(ok("claim 1"), Command::Claim { id: MentionId(1) });
        assert_eq!(ok("UNCLAIM 1"), Command::Unclaim { id: MentionId(1) });
        assert_eq!(
            ok("dismiss 1"),
            Command::Dismiss {
                id: MentionId(1),
                reason: None
            }
        );
        assert_eq!(
            ok("dismiss 1 job ad, not a customer"),
            Command::Dismiss {
                id: MentionId(1),
                reason: Some("job ad, not a customer".into())
            }
        );
        assert_eq!(
            ok("snooze 1 2h").clone(),
            Command::Snooze {
                id: MentionId(1),
                duration: "2h".parse().unwrap()
            }
        );
        assert_eq!(ok("help"), Command::Help);
        assert_eq!(ok("/talkback"), Command::Help);
    }

    #[test]
    fn bad_arguments_answer_with_usage() {
        for (input, needle) in [
            ("reply", "usage: /talkback reply <id> <text>"),
            ("reply 4", "needs the text"),
            ("reply x hello", "not a mention id"),
            ("reply 4 #0", "numbered from #1"),
            ("snooze 4", "needs a duration"),
            ("snooze 4 soon", "not a duration"),
            ("show", "needs a mention id"),
            ("claim 4 5", "takes only a mention id"),
            ("frobnicate 4", "unknown command `frobnicate`"),
        ] {
            let e = Command::parse(input).unwrap_err().to_string();
            assert!(e.contains(needle), "{input}: {e}");
            assert!(e.contains("usage") || e.contains("talkback commands"), "{input}: {e}");
        }
    }
}
