//! The scheduler in virtual time: nags (timings, escalation, business hours, snooze, restart)
//! and cron jobs (brand timezones, DST, restart and grace). Time is a `ManualClock` moved in
//! step with tokio's paused clock; nothing sleeps for real.

#[path = "../support/mod.rs"]
mod support;

mod bench;
mod jobs;
mod nags;
