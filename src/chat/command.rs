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
    Stats {
        brand: Option<String>,
        days: u32,
    },
    /// Post the daily digest now (one brand, or every brand).
    Digest {
        brand: Option<String>,
    },
    /// Post the broadcast nudge now, where one is needed.
    Nudge {
        brand: Option<String>,
    },
    Help,
}

/// Days `stats` covers when none are given, and the most it accepts.
pub const STATS_DAYS: u32 = 7;
pub const STATS_MAX_DAYS: u32 = 366;

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
    (
        "stats",
        "/talkback stats [brand] [days]",
        "replies vs broadcasts, response rate, first-response times (7 days unless given)",
    ),
    ("digest", "/talkback digest [brand]", "post the daily digest now"),
    (
        "nudge",
        "/talkback nudge [brand]",
        "post the broadcast nudge now, where one is needed",
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
            "stats" => stats(rest),
            "digest" => Ok(Command::Digest { brand: brand(rest) }),
            "nudge" => Ok(Command::Nudge { brand: brand(rest) }),
            _ => Ok(Command::Help),
        }
    }
}

/// A brand name as typed (it may have spaces, or quotes around it); `None` when empty.
fn brand(s: &str) -> Option<String> {
    let s = s.trim().trim_matches('"').trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// `stats [brand] [days]`: a last word that is a number (`14` or `14d`) is the days.
fn stats(rest: &str) -> Result<Command, UsageError> {
    let (head, last) = match rest.rsplit_once(char::is_whitespace) {
        Some((h, l)) => (h, l),
        None => ("", rest),
    };
    let number = last.strip_suffix(['d', 'D']).unwrap_or(last);
    let looks_numeric = !number.is_empty()
        && number
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit());
    if !looks_numeric {
        return Ok(Command::Stats {
            brand: brand(rest),
            days: STATS_DAYS,
        });
    }
    match number.parse::<u32>() {
        Ok(days) if (1..=STATS_MAX_DAYS).contains(&days) => Ok(Command::Stats {
            brand: brand(head),
            days,
        }),
        _ => Err(usage(
            "stats",
            format!("days must be a number from 1 to {STATS_MAX_DAYS}, not `{last}`"),
        )),
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
        assert_eq!(
            ok("stats"),
            Command::Stats {
                brand: None,
                days: STATS_DAYS
            }
        );
        assert_eq!(ok("stats 14"), Command::Stats { brand: None, days: 14 });
        assert_eq!(
            ok("stats Acme Cloud 30d"),
            Command::Stats {
                brand: Some("Acme Cloud".into()),
                days: 30
            }
        );
        assert_eq!(
            ok("stats \"Acme\""),
            Command::Stats {
                brand: Some("Acme".into()),
                days: STATS_DAYS
            }
        );
        assert_eq!(ok("digest"), Command::Digest { brand: None });
        assert_eq!(
            ok("nudge acme"),
            Command::Nudge {
                brand: Some("acme".into())
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
            ("stats Acme 0", "usage: /talkback stats [brand] [days]"),
            ("stats -3", "from 1 to 366"),
            ("stats Acme 9999", "not `9999`"),
        ] {
            let e = Command::parse(input).unwrap_err().to_string();
            assert!(e.contains(needle), "{input}: {e}");
            assert!(e.contains("usage") || e.contains("talkback commands"), "{input}: {e}");
        }
    }
}
