//! talkback: listens for a brand on social networks, brings each mention into chat with a
//! suggested reply, nags until someone answers, and publishes the team's replies.
//!
//! The crate follows the loop of the design (§1):
//! `sources` → `pipeline` (`matcher`, `triage`) → `store` → `chat` (alerts, commands) →
//! `publish` (outbox, publishers); `schedule` nags and runs the daily jobs. `config` builds everything up front; `app` wires it;
//! `cli` and `demo` are the entry points. `redact` keeps every secret in use out of what
//! talkback logs, stores and says.

pub mod app;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod matcher;
pub mod metrics;
pub mod ops;
pub mod pipeline;
pub mod publish;
pub mod redact;
pub mod report;
pub mod schedule;
pub mod server;
pub mod sources;
pub mod store;
pub mod triage;
