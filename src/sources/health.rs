//! Source health: when each source last worked, how often it failed since, when it last brought
//! posts. Read by `/healthz` and the health watch that reports sick sources in chat.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceHealth {
    pub last_ok: Option<DateTime<Utc>>,
    pub last_post: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub posts: u64,
}

#[derive(Clone, Default)]
pub struct Health(Arc<Mutex<BTreeMap<String, SourceHealth>>>);

impl Health {
    fn with<T>(&self, source: &str, f: impl FnOnce(&mut SourceHealth) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(source.to_string()).or_default())
    }

    pub fn ok(&self, source: &str, posts: usize, now: DateTime<Utc>) {
        self.with(source, |h| {
            h.last_ok = Some(now);
            h.consecutive_failures = 0;
            h.last_error = None;
            if posts > 0 {
                h.last_post = Some(now);
                h.posts += posts as u64;
            }
        })
    }

    pub fn failed(&self, source: &str, error: &str, _now: DateTime<Utc>) {
        crate::metrics::error(crate::metrics::ErrorKind::Source);
        self.with(source, |h| {
            h.consecutive_failures += 1;
            h.last_error = Some(error.to_string());
        })
    }

    pub fn snapshot(&self) -> BTreeMap<String, SourceHealth> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
