//! The operational sections: `[server]`, `[team]`, `[nag]`, `[nudge]` and `[digest]`.

use super::diag::Diagnostics;
use super::section::Section;
use super::*;
use crate::domain::{ChatUser, HumanDuration};

pub(super) fn server(root: &mut Section, d: &mut Diagnostics) -> ServerConfig {
    let mut listen = None;
    let mut configured = false;
    if let Some(mut s) = root.section(d, "server") {
        configured = true;
        if let Some(v) = s.string(d, "listen") {
            match v.value.parse() {
                Ok(addr) => listen = Some(addr),
                Err(_) => d.error(
                    v.span,
                    format!(
                        "[server]: `listen` must be an address like `127.0.0.1:8080`, found `{}`",
                        v.value
                    ),
                ),
            }
        }
        s.finish(d);
    }
    ServerConfig {
        listen: listen.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
        configured,
    }
}

pub(super) fn team(root: &mut Section, d: &mut Diagnostics) -> TeamConfig {
    let Some(mut s) = root.section(d, "team") else {
        return TeamConfig::default();
    };
    let users = |key: &'static str, s: &mut Section, d: &mut Diagnostics| -> Vec<ChatUser> {
        s.string_list(d, key)
            .into_iter()
            .filter_map(|u| match u.value.split_once(':') {
                Some((p, id)) if ["slack", "discord", "console"].contains(&p) && !id.is_empty() => {
                    Some(ChatUser::new(p, id))
                }
                _ => {
                    d.error(
                        u.span,
                        format!(
                            "[team]: `{key}` entry `{}` must be `slack:USERID`, `discord:USERID` or `console:NAME`",
                            u.value
                        ),
                    );
                    None
                }
            })
            .collect()
    };
    let repliers = users("repliers", &mut s, d);
    let approvers = users("approvers", &mut s, d);
    s.finish(d);
    TeamConfig { repliers, approvers }
}

pub(super) fn duration(s: &mut Section, d: &mut Diagnostics, key: &'static str, default: u64) -> HumanDuration {
    s.parsed::<HumanDuration>(d, key)
        .map(|v| v.value)
        .unwrap_or(HumanDuration(std::time::Duration::from_secs(default)))
}

pub(super) fn nag(root: &mut Section, d: &mut Diagnostics) -> NagConfig {
    let mut sec = root.section(d, "nag");
    let mut cfg = NagConfig {
        first_after: HumanDuration(std::time::Duration::from_secs(30 * 60)),
        repeat_every: HumanDuration(std::time::Duration::from_secs(2 * 3600)),
        max: 3,
        escalate_after: HumanDuration(std::time::Duration::from_secs(4 * 3600)),
        business_hours: None,
    };
    if let Some(s) = sec.as_mut() {
        cfg.first_after = duration(s, d, "first_after", 30 * 60);
        cfg.repeat_every = duration(s, d, "repeat_every", 2 * 3600);
        cfg.escalate_after = duration(s, d, "escalate_after", 4 * 3600);
        if let Some(m) = s.integer(d, "max") {
            match u32::try_from(m.value) {
                Ok(v) => cfg.max = v,
                Err(_) => d.error(m.span, "[nag]: `max` must be 0 or more"),
            }
        }
        cfg.business_hours = s.parsed::<BusinessHours>(d, "business_hours").map(|v| v.value);
    }
    if let Some(s) = sec {
        s.finish(d);
    }
    cfg
}

fn schedule(s: &mut Section, d: &mut Diagnostics, default: &str) -> CronSchedule {
    s.parsed::<CronSchedule>(d, "schedule")
        .map(|v| v.value)
        .unwrap_or_else(|| default_schedule(default))
}

fn default_schedule(src: &str) -> CronSchedule {
    src.parse().unwrap_or_else(|_| CronSchedule {
        schedule: "0 0 17 * * *"
            .parse()
            .unwrap_or_else(|_| unreachable!("a fixed valid cron expression")),
        src: src.to_string(),
    })
}

pub(super) const NUDGE_SCHEDULE: &str = "0 0 17 * * Mon-Fri";
pub(super) const DIGEST_SCHEDULE: &str = "0 0 9 * * Mon-Fri";

pub(super) fn nudge(root: &mut Section, d: &mut Diagnostics) -> NudgeConfig {
    let Some(mut s) = root.section(d, "nudge") else {
        return NudgeConfig {
            schedule: default_schedule(NUDGE_SCHEDULE),
            min_reply_share: 0.3,
        };
    };
    let schedule = schedule(&mut s, d, NUDGE_SCHEDULE);
    let mut min_reply_share = 0.3;
    if let Some(v) = s.float(d, "min_reply_share") {
        if (0.0..=1.0).contains(&v.value) {
            min_reply_share = v.value;
        } else {
            d.error(v.span, "[nudge]: `min_reply_share` must be between 0 and 1 (e.g. 0.3)");
        }
    }
    s.finish(d);
    NudgeConfig {
        schedule,
        min_reply_share,
    }
}

pub(super) fn digest(root: &mut Section, d: &mut Diagnostics) -> DigestConfig {
    let Some(mut s) = root.section(d, "digest") else {
        return DigestConfig {
            schedule: default_schedule(DIGEST_SCHEDULE),
        };
    };
    let schedule = schedule(&mut s, d, DIGEST_SCHEDULE);
    s.finish(d);
    DigestConfig { schedule }
}
