pub mod domain;
pub mod config;
pub mod matcher;
pub mod store;
