//! In-process latency of the loop's hot path (design §1): from a post arriving at a source to the
//! chat adapter's call that posts its alert.
//!
//! Target: p99 under 5 ms at 1,000 posts/s, release build, with fakes.
//!
//! Wiring is what `App::run` does: `App::build` on a temporary sled store on disk, the real
//! triage, `app.pipeline().with_notices(tx)`, `app.dispatcher().run(rx, 15s)` on its own task,
//! and a chat adapter that only records when each alert reaches it. A feeder plays a streaming
//! source: one post per `ingest` call, then the source cursor is saved, exactly as
//! `SourceContext::deliver` does, at a fixed rate (open loop: a post's time slot comes whether or
//! not the previous one is done).
//!
//! Run: `cargo bench --bench latency`. Knobs (environment): `LATENCY_SECS` (default 10),
//! `LATENCY_RATE` posts/s (default 1000), `LATENCY_WARMUP` posts left out of the figures
//! (default 500), `LATENCY_DIR` the folder the temporary store goes in (default the system's
//! temporary folder; `/dev/shm` takes the disk out of the figures).
//!
//! Figures, for posts that became alerts:
//! - `arrival→chat`: from the post being handed to the pipeline to the adapter's call (the
//!   target's figure);
//! - `ingest`: the `ingest` call itself (matching, triage, store writes, the sled flush);
//! - `dispatch wait`: from `ingest` returning (the notice is sent) to the adapter's call;
//! - `match+triage`: matching and triage alone for the same posts, timed apart after the run,
//!   so the rest of `ingest` is the store's writes and its flush;
//! - `slot→chat`: from the post's scheduled arrival slot, so time a post spent waiting behind
//!   the previous one at the source (the source's backlog, including its cursor flush) counts;
//! - `ingest (all)` / `cursor (all)`: every post's `ingest` and `set_cursor`;
//! - `1ms sleep late`: how late a plain thread wakes from a 1 ms sleep meanwhile, the machine's
//!   own noise (other processes on the cores), to tell it apart from stalls in talkback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use talkback::app::App;
use talkback::chat::{ChannelRef, ChatAdapter, ChatError};
use talkback::clock::{SharedClock, SystemClock};
use talkback::config::{Config, Needs};
use talkback::domain::Post;
use talkback::store::{Mention, MessageRef};

const CONFIG: &str = r##"
[[brands]]
name = "Acme"
query = '("acme cloud" OR acmecloud OR (acme AND (cloud OR hosting))) -careers'
own_accounts = ["mastodon:@acme@mastodon.social"]
channel = "alerts"

[[brands]]
name = "Globex"
query = 'globex OR "globex corp"'
channel = "alerts"

[[brands]]
name = "Initech"
query = 'initech* -jobs'
channel = "initech"

[channels.alerts]
slack = "#brand-mentions"

[channels.initech]
slack = "#initech"

[[sources]]
kind = "replay"
name = "bench"
path = "posts.jsonl"
"##;

/// Records the instant each alert reaches chat, by post index.
#[derive(Default)]
struct TimingChat {
    seen: Mutex<HashMap<usize, Instant>>,
}

impl TimingChat {
    fn stamp(&self, now: Instant, mentions: &[Mention]) {
        let mut seen = self.seen.lock().unwrap();
        for m in mentions {
            if let Some(i) = post_index(&m.post.id) {
                seen.entry(i).or_insert(now);
            }
        }
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn post_index(id: &str) -> Option<usize> {
    id.strip_prefix('p')?.parse().ok()
}

fn message(to: &ChannelRef, m: &Mention) -> MessageRef {
    MessageRef {
        platform: "bench".into(),
        channel: to.0.clone(),
        id: m.id.0.to_string(),
        group: vec![],
    }
}

#[async_trait]
impl ChatAdapter for TimingChat {
    fn platform(&self) -> &'static str {
        "bench"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        self.stamp(Instant::now(), std::slice::from_ref(mention));
        Ok(message(to, mention))
    }

    async fn post_alerts(&self, to: &ChannelRef, mentions: &[Mention]) -> (Vec<MessageRef>, Option<ChatError>) {
        self.stamp(Instant::now(), mentions);
        (mentions.iter().map(|m| message(to, m)).collect(), None)
    }

    async fn update_alert(&self, _msg: &MessageRef, _mentions: &[Mention]) -> Result<(), ChatError> {
        Ok(())
    }

    async fn say_in_thread(&self, _msg: &MessageRef, _text: &str) -> Result<(), ChatError> {
        Ok(())
    }

    async fn say(&self, _to: &ChannelRef, _text: &str) -> Result<(), ChatError> {
        Ok(())
    }
}

/// Deterministic xorshift, so every run feeds the same posts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const FILLER: &[&str] = &[
    "just",
    "shipped",
    "a",
    "new",
    "release",
    "of",
    "my",
    "side",
    "project",
    "today",
    "the",
    "weather",
    "is",
    "great",
    "anyone",
    "know",
    "a",
    "good",
    "coffee",
    "place",
    "deploy",
    "failed",
    "again",
    "kubernetes",
    "rust",
    "postgres",
    "why",
    "is",
    "this",
    "so",
    "slow",
    "love",
    "it",
    "hate",
    "it",
    "support",
    "pricing",
    "docs",
];

const MATCHING: &[&str] = &[
    "Does Acme Cloud support IPv6 on the free tier?",
    "the acme cloud dashboard is down during a deploy, really frustrated",
    "Moved to acmecloud last month, deploys are smooth. Kudos!",
    "Globex is $5 cheaper per month, thinking of switching",
    "anyone tried initech's new hosting? how is the support",
    "acme hosting price went up again, not happy",
];

/// Post `i`: a brand mention with probability `match_share`, else chatter that matches nothing.
fn make_post(i: usize, rng: &mut Rng, match_share: f64) -> Post {
    let matches = (rng.next() % 10_000) as f64 / 10_000.0 < match_share;
    let filler: Vec<&str> = (0..8 + rng.next() % 20).map(|_| rng.pick(FILLER)).collect();
    let text = if matches {
        format!("{} {}", rng.pick(MATCHING), filler[..4].join(" "))
    } else {
        filler.join(" ")
    };
    let network = ["mastodon", "bluesky", "reddit"][i % 3];
    let line = serde_json::json!({
        "network": network,
        "id": format!("p{i}"),
        "url": format!("https://example.social/@u{}/p{i}", i % 500),
        "author": {"handle": format!("@u{}@example.social", i % 500), "name": "Someone"},
        "text": text,
        "created_at": "2026-11-20T10:00:00Z",
        "lang": "en",
    });
    serde_json::from_value(line).expect("a valid post")
}

#[derive(Clone, Copy)]
struct Stamps {
    slot: Instant,
    handed: Instant,
    ingested: Instant,
}

struct Outcome {
    name: String,
    posts: usize,
    mentions: usize,
    alerted: usize,
    fed_for: Duration,
    slot_lag_max: Duration,
    to_chat: Vec<Duration>,
    from_slot: Vec<Duration>,
    ingest: Vec<Duration>,
    dispatch_wait: Vec<Duration>,
    ingest_all: Vec<Duration>,
    cursor_all: Vec<Duration>,
    /// Matching and triage alone for the posts that became alerts, timed apart from the run.
    cpu: Vec<Duration>,
    /// How late a 1 ms sleep on a plain thread woke during the run: the machine's own noise.
    oversleep: Vec<Duration>,
}

/// Samples how late a thread wakes from a 1 ms sleep until `stop` is set, so a stall that hits
/// every thread (another process on the cores, the disk) can be told apart from one in talkback.
fn noise_probe(stop: Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<Vec<Duration>> {
    std::thread::spawn(move || {
        let mut late = Vec::new();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let t = Instant::now();
            std::thread::sleep(Duration::from_millis(1));
            late.push(t.elapsed().saturating_sub(Duration::from_millis(1)));
        }
        late
    })
}

/// What matching and triage cost for `post`, without the store.
fn cpu_cost(matcher: &talkback::matcher::Matcher, triage: &talkback::triage::Triage, post: &Post) -> Duration {
    let t = Instant::now();
    for i in matcher.matching_brands(post) {
        std::hint::black_box(triage.triage(post, &matcher.brands()[i].name));
    }
    t.elapsed()
}

async fn run(name: &str, match_share: f64, secs: u64, rate: u64, warmup: usize) -> Outcome {
    let dir = match std::env::var_os("LATENCY_DIR") {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let config = Config::from_str(&dir.path().join("talkback.toml"), CONFIG, Needs::Everything, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(SystemClock);
    let sink: talkback::chat::console::Output = Arc::new(Mutex::new(Box::new(std::io::sink())));
    let mut app = App::build(config, &dir.path().join("store"), clock, sink).expect("the app builds");
    let chat = Arc::new(TimingChat::default());
    app.chat = chat.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let pipeline = Arc::new(app.pipeline().with_notices(tx));
    let dispatcher = tokio::spawn(app.dispatcher().run(rx, Duration::from_secs(15)));
    let store = app.store.clone();

    let total = (secs * rate) as usize;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let posts: Vec<Post> = (0..total).map(|i| make_post(i, &mut rng, match_share)).collect();
    let mut stamps: Vec<Option<Stamps>> = vec![None; total];
    let mut ingest_all = Vec::with_capacity(total);
    let mut cursor_all = Vec::with_capacity(total);
    let mut mentions = 0usize;
    let mut slot_lag_max = Duration::ZERO;
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = noise_probe(stop.clone());

    let start = Instant::now() + Duration::from_millis(50);
    for (i, post) in posts.iter().enumerate() {
        let slot = start + period * i as u32;
        let now = Instant::now();
        if slot > now {
            tokio::time::sleep_until(slot.into()).await;
        }
        // The post has arrived at the source: hand it over as `SourceContext::deliver` does.
        let handed = Instant::now();
        slot_lag_max = slot_lag_max.max(handed.saturating_duration_since(slot));
        let report = pipeline
            .ingest(std::slice::from_ref(post), false)
            .await
            .expect("ingest");
        let ingested = Instant::now();
        store.set_cursor("bench", &post.id).await.expect("cursor");
        ingest_all.push(ingested - handed);
        cursor_all.push(ingested.elapsed());
        if !report.new_mentions.is_empty() {
            mentions += report.new_mentions.len();
            stamps[i] = Some(Stamps { slot, handed, ingested });
        }
    }
    let fed_for = start.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let oversleep = probe.join().unwrap_or_default();

    // Every alert should be out almost at once; give the dispatcher a generous bound.
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = stamps.iter().filter(|s| s.is_some()).count();
    while chat.count() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(pipeline);
    let _ = dispatcher.await;

    let seen = chat.seen.lock().unwrap().clone();
    let mut out = Outcome {
        name: name.to_string(),
        posts: total,
        mentions,
        alerted: seen.len(),
        fed_for,
        slot_lag_max,
        to_chat: Vec::new(),
        from_slot: Vec::new(),
        ingest: Vec::new(),
        dispatch_wait: Vec::new(),
        ingest_all: ingest_all[warmup.min(total)..].to_vec(),
        cursor_all: cursor_all[warmup.min(total)..].to_vec(),
        cpu: Vec::new(),
        oversleep,
    };
    let matcher = talkback::matcher::Matcher::new(app.config.brands.iter().map(|b| b.rule()).collect());
    for (i, s) in stamps.iter().enumerate().skip(warmup) {
        let (Some(s), Some(at)) = (s, seen.get(&i)) else {
            continue;
        };
        out.to_chat.push(at.saturating_duration_since(s.handed));
        out.from_slot.push(at.saturating_duration_since(s.slot));
        out.ingest.push(s.ingested - s.handed);
        out.dispatch_wait.push(at.saturating_duration_since(s.ingested));
        out.cpu.push(cpu_cost(&matcher, &app.triage, &posts[i]));
    }
    drop(store);
    drop(app);
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:7.3}", d.as_secs_f64() * 1000.0)
}

fn row(label: &str, values: &[Duration]) {
    let mut v = values.to_vec();
    v.sort();
    println!(
        "  {label:<16} {:>7} {} {} {} {}",
        v.len(),
        ms(percentile(&v, 50.0)),
        ms(percentile(&v, 90.0)),
        ms(percentile(&v, 99.0)),
        ms(v.last().copied().unwrap_or_default()),
    );
}

fn report(o: &Outcome) {
    let rate = o.posts as f64 / o.fed_for.as_secs_f64();
    println!(
        "\n{}: {} posts in {:.2}s = {:.0} posts/s achieved; {} mentions, {} alerted; worst lag behind schedule {} ms",
        o.name,
        o.posts,
        o.fed_for.as_secs_f64(),
        rate,
        o.mentions,
        o.alerted,
        ms(o.slot_lag_max).trim(),
    );
    println!(
        "  {:<16} {:>7} {:>7} {:>7} {:>7} {:>7}   (ms)",
        "", "n", "p50", "p90", "p99", "max"
    );
    row("arrival→chat", &o.to_chat);
    row("  ingest", &o.ingest);
    row("    match+triage", &o.cpu);
    row("  dispatch wait", &o.dispatch_wait);
    row("slot→chat", &o.from_slot);
    row("ingest (all)", &o.ingest_all);
    row("cursor (all)", &o.cursor_all);
    row("1ms sleep late", &o.oversleep);
    let mut v = o.to_chat.clone();
    v.sort();
    let p99 = percentile(&v, 99.0);
    let verdict = if p99 < Duration::from_millis(5) {
        "meets"
    } else {
        "MISSES"
    };
    println!("  p99 arrival→chat {} ms: {verdict} the 5 ms target", ms(p99).trim());
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks one run by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let secs = env_or("LATENCY_SECS", 10);
    let rate = env_or("LATENCY_RATE", 1000).max(1);
    let warmup = env_or("LATENCY_WARMUP", 500) as usize;
    // As `#[tokio::main]` in `main.rs`: a multi-threaded runtime, one worker per core.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "latency: post handed to the pipeline → chat adapter call; {rate} posts/s for {secs}s, first {warmup} posts left out, {} cores",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    for (name, share) in [("mixed (15% match)", 0.15), ("all match", 1.0)] {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let o = rt.block_on(run(name, share, secs, rate, warmup));
        report(&o);
    }
}
