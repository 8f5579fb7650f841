#![allow(dead_code)]
//! Fakes of third-party services for the integration tests.

pub mod fake_bluesky;
pub mod fake_discord;
pub mod fake_hackernews;
pub mod fake_llm;
pub mod fake_mastodon;
pub mod fake_reddit;
pub mod fake_rss;
pub mod fake_slack;
pub mod fake_x;
pub mod faults;
pub mod outbox;
pub mod recording_chat;
pub mod running;
