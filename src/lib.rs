pub mod domain;
pub mod config;
pub mod matcher;
pub mod store;
pub mod clock;
pub mod triage;
