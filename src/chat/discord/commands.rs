//! `/talkback` as a Discord application command: one subcommand per command of design §6, with
//! string options named after the placeholders in `USAGE` (`id`, `text`, `reason`, `duration`,
//! `brand`, `days`), so `help` and Discord always agree. Turning a filled-in command back into
//! text lets the one shared parser give the same usage errors as Slack and the console.

use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption};

use crate::chat::command::USAGE;

/// Discord caps descriptions at 100 characters.
const DESCRIPTION_MAX: usize = 100;

/// What each option asks for.
fn option_help(name: &str) -> &'static str {
    match name {
        "id" => "Mention id, e.g. 42 or #42",
        "text" => "What to post, or #2 to send suggestion 2",
        "reason" => "Why it needs no reply (optional)",
        "duration" => "How long, e.g. 30m, 2h, 1d",
        "brand" => "A brand's name (all brands when empty)",
        "days" => "How many days back (default 7)",
        _ => "value",
    }
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(DESCRIPTION_MAX).collect();
    if text.chars().count() > DESCRIPTION_MAX {
        s.pop();
        s.push('…');
    }
    s
}

/// The placeholders of a usage line, in order, with whether each is required:
/// `/talkback reply <id> <text>` → `[("id", true), ("text", true)]`.
pub fn placeholders(usage: &str) -> Vec<(&str, bool)> {
    usage
        .split_whitespace()
        .filter_map(|w| {
            if let Some(n) = w.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
                Some((n, true))
            } else {
                w.strip_prefix('[')
                    .and_then(|w| w.strip_suffix(']'))
                    .map(|n| (n, false))
            }
        })
        .collect()
}

/// The `/talkback` command with all its subcommands.
pub fn definition() -> CreateCommand {
    let mut cmd = CreateCommand::new("talkback").description("Answer social mentions: list, reply, claim, snooze…");
    for (name, usage, what) in USAGE {
        let mut sub = CreateCommandOption::new(CommandOptionType::SubCommand, *name, short(what));
        for (opt, required) in placeholders(usage) {
            sub = sub.add_sub_option(
                CreateCommandOption::new(CommandOptionType::String, opt, option_help(opt)).required(required),
            );
        }
        cmd = cmd.add_option(sub);
    }
    cmd
}

/// A filled-in `/talkback <sub> …` as the text the shared parser reads (`reply 42 thanks!`).
/// Options go in the usage line's order whatever order Discord sent them in.
pub fn to_text(options: &[CommandDataOption]) -> String {
    let Some(sub) = options.first() else {
        return "help".to_string();
    };
    let given = match &sub.value {
        CommandDataOptionValue::SubCommand(opts) => opts.as_slice(),
        _ => &[],
    };
    let value = |name: &str| {
        given.iter().find(|o| o.name == name).and_then(|o| match &o.value {
            CommandDataOptionValue::String(s) => Some(s.trim().to_string()),
            CommandDataOptionValue::Integer(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let mut words = vec![sub.name.clone()];
    if let Some((_, usage, _)) = USAGE.iter().find(|u| u.0 == sub.name) {
        words.extend(placeholders(usage).into_iter().filter_map(|(n, _)| value(n)));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_command_is_a_subcommand_with_string_options() {
        let v = serde_json::to_value(definition()).unwrap();
        assert_eq!(v["name"], "talkback");
        let subs = v["options"].as_array().unwrap();
        assert_eq!(subs.len(), USAGE.len());
        let reply = subs.iter().find(|s| s["name"] == "reply").unwrap();
        assert_eq!(reply["type"], 1);
        let names: Vec<&str> = reply["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["id", "text"]);
        assert!(reply["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["type"] == 3 && o["required"] == true));
        let stats = subs.iter().find(|s| s["name"] == "stats").unwrap();
        assert!(stats["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["required"] == false));
        for s in subs {
            assert!(s["description"].as_str().unwrap().chars().count() <= DESCRIPTION_MAX);
        }
    }

    #[test]
    fn options_become_the_shared_command_text_in_usage_order() {
        let opts: Vec<CommandDataOption> = serde_json::from_value(json!([{
            "name": "reply", "type": 1,
            "options": [{"name": "text", "type": 3, "value": "Thanks, Bob!\nSee you"}, {"name": "id", "type": 3, "value": "#42"}]
        }]))
        .unwrap();
        assert_eq!(to_text(&opts), "reply #42 Thanks, Bob!\nSee you");
        let opts: Vec<CommandDataOption> =
            serde_json::from_value(json!([{"name": "list", "type": 1, "options": []}])).unwrap();
        assert_eq!(to_text(&opts), "list");
        assert_eq!(to_text(&[]), "help");
    }
}
