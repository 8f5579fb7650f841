//! The process's counters for `GET /metrics` (design §11), in Prometheus' text format.
//! Counting is a relaxed atomic add from any task; this module must not do I/O. Like vector's
//! use of the `metrics` crate, the counters are process-wide: one talkback runs per process, and
//! a counter that every part can reach needs no handle threaded through every constructor.
//! Figures that already live elsewhere (source health, the store's queues and size) are read at
//! scrape time and passed to `render`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::sources::SourceHealth;

/// What went wrong, for `talkback_errors_total{kind=…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A chat platform call failed (alert, thread note, nag, answer).
    Chat,
    /// A reply could not be published on the network (each failed attempt).
    Publish,
    /// A source's fetch or stream failed.
    Source,
    /// The LLM failed or timed out; template drafts were kept.
    Llm,
    /// A store read or write failed.
    Store,
}

impl ErrorKind {
    const ALL: [ErrorKind; 5] = [
        ErrorKind::Chat,
        ErrorKind::Publish,
        ErrorKind::Source,
        ErrorKind::Llm,
        ErrorKind::Store,
    ];

    fn label(self) -> &'static str {
        match self {
            ErrorKind::Chat => "chat",
            ErrorKind::Publish => "publish",
            ErrorKind::Source => "source",
            ErrorKind::Llm => "llm",
            ErrorKind::Store => "store",
        }
    }
}

static ALERTS_POSTED: AtomicU64 = AtomicU64::new(0);
static REPLIES_PUBLISHED: AtomicU64 = AtomicU64::new(0);
static NAGS_SENT: AtomicU64 = AtomicU64::new(0);
static MENTIONS_PRUNED: AtomicU64 = AtomicU64::new(0);
static ERRORS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
/// New mentions stored, by source name.
static INGESTED: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

pub fn alerts_posted(n: usize) {
    ALERTS_POSTED.fetch_add(n as u64, Ordering::Relaxed);
}

pub fn reply_published() {
    REPLIES_PUBLISHED.fetch_add(1, Ordering::Relaxed);
}

pub fn nag_sent() {
    NAGS_SENT.fetch_add(1, Ordering::Relaxed);
}

/// Mentions forgotten by retention (`[store] keep_for`).
pub fn mentions_pruned(n: u64) {
    MENTIONS_PRUNED.fetch_add(n, Ordering::Relaxed);
}

pub fn error(kind: ErrorKind) {
    let i = ErrorKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    ERRORS[i].fetch_add(1, Ordering::Relaxed);
}

/// `n` new mentions stored from `source`.
pub fn mentions_ingested(source: &str, n: usize) {
    let mut map = INGESTED.lock().unwrap_or_else(|e| e.into_inner());
    match map.get_mut(source) {
        Some(count) => *count += n as u64,
        None => {
            map.insert(source.to_string(), n as u64);
        }
    }
}

/// What `render` reads from elsewhere at scrape time.
pub struct Scrape<'a> {
    pub sources: &'a BTreeMap<String, SourceHealth>,
    pub alerts_pending: usize,
    pub replies_pending: usize,
    pub store_bytes: u64,
    pub now: DateTime<Utc>,
}

/// The metrics page.
pub fn render(s: &Scrape<'_>) -> String {
    let mut out = String::new();
    let ingested = INGESTED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut names: Vec<&String> = s.sources.keys().chain(ingested.keys()).collect();
    names.sort();
    names.dedup();
    family(
        &mut out,
        "talkback_mentions_ingested_total",
        "counter",
        "New mentions stored, by source.",
    );
    for name in &names {
        let n = ingested.get(*name).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "talkback_mentions_ingested_total{{source=\"{}\"}} {n}",
            escape(name)
        );
    }
    family(
        &mut out,
        "talkback_source_posts_total",
        "counter",
        "Posts fetched, by source.",
    );
    per_source(&mut out, "talkback_source_posts_total", s, |h| Some(h.posts as f64));
    family(
        &mut out,
        "talkback_source_failures",
        "gauge",
        "Consecutive failed fetches, by source.",
    );
    per_source(&mut out, "talkback_source_failures", s, |h| {
        Some(f64::from(h.consecutive_failures))
    });
    family(
        &mut out,
        "talkback_source_lag_seconds",
        "gauge",
        "Seconds since the source last fetched successfully.",
    );
    per_source(&mut out, "talkback_source_lag_seconds", s, |h| {
        h.last_ok.map(|t| age(s.now, t))
    });
    let counters = [
        ("talkback_alerts_posted_total", "Alerts posted in chat.", &ALERTS_POSTED),
        (
            "talkback_replies_published_total",
            "Replies published on a network.",
            &REPLIES_PUBLISHED,
        ),
        (
            "talkback_nags_sent_total",
            "Nags sent about unanswered mentions.",
            &NAGS_SENT,
        ),
        (
            "talkback_mentions_pruned_total",
            "Mentions forgotten after `[store] keep_for` without activity.",
            &MENTIONS_PRUNED,
        ),
    ];
    for (name, help, value) in counters {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
    }
    family(&mut out, "talkback_errors_total", "counter", "Errors, by kind.");
    for (kind, count) in ErrorKind::ALL.iter().zip(&ERRORS) {
        let _ = writeln!(
            out,
            "talkback_errors_total{{kind=\"{}\"}} {}",
            kind.label(),
            count.load(Ordering::Relaxed)
        );
    }
    let gauges = [
        (
            "talkback_alerts_pending",
            "Mentions whose alert is not posted yet.",
            s.alerts_pending as f64,
        ),
        (
            "talkback_replies_pending",
            "Replies stored but not yet published.",
            s.replies_pending as f64,
        ),
        (
            "talkback_store_bytes",
            "The store's size on disk.",
            s.store_bytes as f64,
        ),
    ];
    for (name, help, value) in gauges {
        family(&mut out, name, "gauge", help);
        let _ = writeln!(out, "{name} {value}");
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn per_source(out: &mut String, name: &str, s: &Scrape<'_>, value: impl Fn(&SourceHealth) -> Option<f64>) {
    for (source, h) in s.sources {
        if let Some(v) = value(h) {
            let _ = writeln!(out, "{name}{{source=\"{}\"}} {v}", escape(source));
        }
    }
}

fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> f64 {
    (now - then).num_milliseconds().max(0) as f64 / 1000.0
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_in_the_text_format() {
        let mut sources = BTreeMap::new();
        let now = Utc::now();
        sources.insert(
            "masto \"main\"".to_string(),
            SourceHealth {
                last_ok: Some(now - chrono::Duration::seconds(90)),
                posts: 7,
                consecutive_failures: 2,
                ..SourceHealth::default()
            },
        );
        mentions_ingested("masto \"main\"", 3);
        error(ErrorKind::Llm);
        let page = render(&Scrape {
            sources: &sources,
            alerts_pending: 4,
            replies_pending: 1,
            store_bytes: 1024,
            now,
        });
        for line in [
            "# TYPE talkback_mentions_ingested_total counter",
            "talkback_source_posts_total{source=\"masto \\\"main\\\"\"} 7",
            "talkback_source_failures{source=\"masto \\\"main\\\"\"} 2",
            "talkback_source_lag_seconds{source=\"masto \\\"main\\\"\"} 90",
            "talkback_alerts_pending 4",
            "talkback_replies_pending 1",
            "talkback_store_bytes 1024",
        ] {
            assert!(page.lines().any(|l| l == line), "{line} missing in:\n{page}");
        }
        assert!(page.contains("talkback_mentions_ingested_total{source=\"masto \\\"main\\\"\"} "));
        assert!(page.contains("talkback_errors_total{kind=\"llm\"} "));
        for line in page.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap_or("");
            assert!(value.parse::<f64>().is_ok(), "not a sample: {line}");
        }
    }
}
