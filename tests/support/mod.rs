#![allow(dead_code)]
//! Fakes of third-party services for the integration tests.

pub mod fake_mastodon;
pub mod fake_slack;
