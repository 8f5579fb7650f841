//! Soak: one million mentions through the real pipeline and retention, with nothing lost and
//! memory flat.
//!
//! Run (release; about 3 minutes on 2 cores, see `scripts/soak`):
//!
//! ```text
//! cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! Wiring is what `App::run` does, as in `benches/latency.rs`: `App::build` on a temporary sled
//! store on disk (with the config's `[store]` settings), the real triage,
//! `app.pipeline().with_notices(tx)`, and `app.dispatcher().run(rx, ..)` on its own task, posting
//! to a chat adapter that only counts. A feeder plays streaming sources, one per network: each
//! call hands the pipeline a batch of 1–100 posts and then moves that source's cursor, exactly
//! as `SourceContext::deliver` does (`ingest`, then `set_cursor`; the report `deliver` drops is
//! what the accounting below needs).
//!
//! Time is a `ManualClock` that the feeder moves: 10,000 mentions a simulated day, so the
//! million span 100 days. Every simulated hour it runs the retention pass the scheduler's hourly
//! job runs (`talkback::schedule::prune`, with the config's `keep_for = "14d"`), so the store
//! holds about two weeks of mentions, as a bot that has run for months does.
//!
//! The posts, from a fixed seed: 1,000,000 that each mention exactly one of five brands (six
//! networks, 50,000 authors, templated texts with varied filler), and among them about 1%
//! re-deliveries of a recent post (a source reading again after a restart), 0.5% posts by a
//! brand's own account (half of them replies that answer a recent mention) and 0.3% customer
//! follow-ups that join a recent mention's conversation.
//!
//! Checks:
//! - nothing lost: every distinct post became exactly one mention (ids 1..=N, each once), every
//!   mention exactly one alert (the chat adapter ticks a bitset by mention id and counts a
//!   second tick), re-deliveries were reported as duplicates, each answer or follow-up wrote
//!   one line in its alert's thread, and at the end no alert is pending, every stored mention
//!   is out of `new`, and every mention is either in the store or was forgotten by retention,
//!   and only once it had been idle for `keep_for`;
//! - memory flat: the process's resident set (`VmRSS` in `/proc/self/status`) is sampled every
//!   50,000 mentions; the average of the last three samples may be no more than
//!   [`RSS_SLACK_MB`] above the average of the first three from the 200,000 mark (warm-up: the
//!   first two weeks fill the store).
//!
//! Printed: the RSS series, throughput (mentions/s over the feed), the store's size on disk and
//! the run time. Knobs (environment), for a quicker look: `SOAK_MENTIONS` (default 1,000,000;
//! the memory check needs at least 400,000), `SOAK_DIR` the folder the temporary store goes in
//! (default the system's temporary folder; the store stays under 1 GB with retention),
//! `SOAK_CACHE_MB` sets `[store] cache_mb` (default: the config's default).
//!
//! Deterministic: a fixed seed, one feeder, a manual clock; the real clock is read only to
//! measure. The end is
//! reached by closing the notice channel (the dispatcher posts what is pending and returns),
//! never by waiting for time.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The allocator the binary uses (`src/main.rs`): what resident memory means depends on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use talkback::app::App;
use talkback::chat::{ChannelRef, ChatAdapter, ChatError};
use talkback::clock::{Clock, ManualClock};
use talkback::config::{Config, Needs};
use talkback::domain::{Author, Network, Post};
use talkback::matcher::Matcher;
use talkback::store::{Mention, MentionState, MessageRef, Store};

const DEFAULT_MENTIONS: u64 = 1_000_000;
/// RSS is sampled each time this many more mentions are stored.
const SAMPLE_EVERY: u64 = 50_000;
/// Warm-up: the first samples fill sled's page cache, the allocator's arenas and tokio's pools,
/// and the first 14 simulated days fill the store up to what retention keeps.
const WARM_UP: u64 = 200_000;
/// How far RSS may grow from the warm-up mark to the end.
///
/// This is the allocator's slack: glibc keeps freed blocks in its arenas, and between two
/// samples the resident set moves by up to about 15 MiB either way with no trend.
///
/// Before retention, the store kept every mention, and sled 0.34 keeps an entry in memory for
/// every page of the store, also for pages its cache has dropped: resident memory grew by about
/// 140 bytes per stored mention (+106 MiB from 200,000 to 1,000,000), whatever the page cache.
/// With retention the store, and so that table, stays the size of its window. A leak of about
/// 50 bytes per mention (one small `String` kept per mention) crosses this bound, and so does
/// sled's default 1 GiB page cache (no `[store] cache_mb`), which grew 460 MiB from 200,000 to
/// 400,000.
const RSS_SLACK_MB: u64 = 32;
/// Simulated time per mention: 10,000 a day.
const SIM_SECS_PER_MENTION: i64 = 86_400 / 10_000;
/// How often the retention pass runs, in simulated time (the scheduler's job: hourly).
const RETENTION_EVERY_SECS: i64 = 3600;

const CONFIG: &str = r##"
[store]
path = "store"
keep_for = "14d"

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

[[brands]]
name = "Hooli"
query = 'hooli OR "hooli xyz"'
channel = "hooli"

[[brands]]
name = "Umbrella"
query = '"umbrella corp" OR umbrellacorp'

[channels.alerts]
slack = "#brand-mentions"

[channels.initech]
slack = "#initech"

[channels.hooli]
slack = "#hooli"

[[sources]]
kind = "replay"
name = "soak"
path = "posts.jsonl"
"##;

/// Texts that mention exactly one brand, by brand (config order).
const TEXTS: [&[&str]; 5] = [
    &[
        "Does Acme Cloud support IPv6 on the free tier?",
        "the acme cloud dashboard is down during a deploy, really frustrated",
        "Moved to acmecloud last month, deploys are smooth. Kudos!",
        "acme hosting price went up again, not happy",
        "is acme cloud cheaper than running my own servers?",
    ],
    &[
        "Globex is $5 cheaper per month, thinking of switching",
        "globex corp support never answered my ticket",
        "is globex any good for a small team?",
        "Globex outage again this morning, third time this week",
    ],
    &[
        "anyone tried initech's new hosting? how is the support",
        "Initech TPS report export is broken since the update",
        "initechsoft released a new version, love the dark mode",
    ],
    &[
        "hooli xyz search keeps timing out for me",
        "Hooli just announced a new phone, looks great",
        "would be great if hooli had an export button",
    ],
    &[
        "umbrella corp pricing page is confusing",
        "UmbrellaCorp support fixed my issue in 5 minutes, thanks!",
        "how do I reset my password on umbrella corp?",
    ],
];

/// Words added to a text so no two read the same; none of them is in a brand's query.
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
    "this",
    "so",
    "slow",
    "love",
    "it",
    "hate",
    "support",
    "pricing",
    "docs",
    "team",
    "billing",
    "login",
    "latency",
    "region",
    "backup",
    "invoice",
    "🙂",
    "🔥",
    "😡",
    "lol",
    "tbh",
    "fwiw",
    "please",
    "help",
];

/// Customer follow-ups: they join a conversation and mention no brand.
const FOLLOW_UPS: &[&str] = &[
    "thanks, that worked",
    "still broken for me",
    "any update on this?",
    "nevermind, found it in the docs",
];

/// The brand's own posts: they mention it, but its own account wrote them, so they are no mention.
const OWN: &[&str] = &[
    "New on Acme Cloud: regional backups are live",
    "Sorry about that! The acme cloud dashboard is back, details in our status page",
    "Thanks for trying acmecloud, glad the deploys are smooth",
];

const NETWORKS: [Network; 6] = [
    Network::Mastodon,
    Network::Bluesky,
    Network::Reddit,
    Network::X,
    Network::Hackernews,
    Network::Rss,
];

/// One bit per mention id.
struct Bits(Vec<AtomicU64>);

impl Bits {
    fn new(ids: u64) -> Bits {
        Bits((0..ids / 64 + 1).map(|_| AtomicU64::new(0)).collect())
    }

    /// Sets the bit; false when it was set already or `id` is out of range.
    fn set(&self, id: u64) -> bool {
        let Some(word) = self.0.get((id / 64) as usize) else {
            return false;
        };
        let bit = 1 << (id % 64);
        word.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    fn contains(&self, id: u64) -> bool {
        self.0
            .get((id / 64) as usize)
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (id % 64)) != 0)
    }

    fn count(&self) -> u64 {
        self.0
            .iter()
            .map(|w| w.load(Ordering::Relaxed).count_ones() as u64)
            .sum()
    }

    fn same_as(&self, other: &Bits) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .all(|(a, b)| a.load(Ordering::Relaxed) == b.load(Ordering::Relaxed))
    }
}

/// A chat that keeps nothing per alert but a bit: counts alerts, second alerts of a mention,
/// thread lines and redraws.
struct CountingChat {
    alerted: Bits,
    alerts: AtomicU64,
    again: AtomicU64,
    thread_lines: AtomicU64,
    redraws: AtomicU64,
}

impl CountingChat {
    fn new(ids: u64) -> CountingChat {
        CountingChat {
            alerted: Bits::new(ids),
            alerts: AtomicU64::new(0),
            again: AtomicU64::new(0),
            thread_lines: AtomicU64::new(0),
            redraws: AtomicU64::new(0),
        }
    }

    fn tick(&self, to: &ChannelRef, m: &Mention) -> MessageRef {
        self.alerts.fetch_add(1, Ordering::Relaxed);
        if !self.alerted.set(m.id.0) {
            self.again.fetch_add(1, Ordering::Relaxed);
        }
        MessageRef {
            platform: "soak".into(),
            channel: to.0.clone(),
            id: m.id.0.to_string(),
            group: vec![],
        }
    }
}

#[async_trait]
impl ChatAdapter for CountingChat {
    fn platform(&self) -> &'static str {
        "soak"
    }

    async fn post_alert(&self, to: &ChannelRef, mention: &Mention) -> Result<MessageRef, ChatError> {
        Ok(self.tick(to, mention))
    }

    async fn post_alerts(&self, to: &ChannelRef, mentions: &[Mention]) -> (Vec<MessageRef>, Option<ChatError>) {
        (mentions.iter().map(|m| self.tick(to, m)).collect(), None)
    }

    async fn update_alert(&self, _msg: &MessageRef, _mentions: &[Mention]) -> Result<(), ChatError> {
        self.redraws.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn say_in_thread(&self, _msg: &MessageRef, _text: &str) -> Result<(), ChatError> {
        self.thread_lines.fetch_add(1, Ordering::Relaxed);
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

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// What a post should do to the store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A new mention of one brand.
    Mention,
    /// A post delivered before: a duplicate.
    Again,
    /// By the brand's own account: no mention; `true` when it answers a mention.
    Own(bool),
    /// A customer's follow-up in a mention's conversation: no mention, one thread line.
    FollowUp,
}

/// Makes the posts: the next one's kind is drawn, and re-deliveries, answers and follow-ups
/// point at recent mentions.
struct Feed {
    rng: Rng,
    next_id: u64,
    /// Recent mention posts (a ring), for re-deliveries and follow-ups.
    recent: Vec<Post>,
    /// Recent posts mentioning Acme on Mastodon, which its own account can answer.
    acme_mastodon: Vec<String>,
}

const RECENT: usize = 256;

impl Feed {
    fn new(seed: u64) -> Feed {
        Feed {
            rng: Rng(seed),
            next_id: 0,
            recent: Vec::with_capacity(RECENT),
            acme_mastodon: Vec::with_capacity(RECENT),
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        // Ids as networks write them: numbers on some, opaque strings on others.
        format!(
            "{:x}{:04}",
            self.next_id * 2_654_435_761 % 0xffff_ffff,
            self.next_id % 9973
        )
    }

    fn post(&mut self) -> (Post, Kind) {
        let roll = self.rng.below(1000);
        if roll < 5 {
            let answers = roll < 3 && !self.acme_mastodon.is_empty();
            let reply_to = answers.then(|| self.acme_mastodon[self.rng.below(self.acme_mastodon.len())].clone());
            let text = self.rng.pick(OWN).to_string();
            let post = self.make(Network::Mastodon, "@acme@mastodon.social", "Acme", text, reply_to);
            return (post, Kind::Own(answers));
        }
        if roll < 8 && !self.recent.is_empty() {
            let parent = &self.recent[self.rng.below(self.recent.len())];
            let (network, parent) = (parent.network, parent.id.clone());
            let author = format!("@u{}@example.social", self.rng.below(50_000));
            let text = self.rng.pick(FOLLOW_UPS).to_string();
            return (
                self.make(network, &author, "Someone", text, Some(parent)),
                Kind::FollowUp,
            );
        }
        if roll < 18 && !self.recent.is_empty() {
            return (self.recent[self.rng.below(self.recent.len())].clone(), Kind::Again);
        }
        let brand = self.rng.below(TEXTS.len());
        let network = NETWORKS[self.rng.below(NETWORKS.len())];
        let mut text = self.rng.pick(TEXTS[brand]).to_string();
        for _ in 0..self.rng.below(24) {
            text.push(' ');
            text.push_str(self.rng.pick(FILLER));
        }
        if self.rng.below(4) == 0 {
            text.push_str(&format!(" order {}", self.rng.below(1_000_000)));
        }
        let author = format!("@u{}@example.social", self.rng.below(50_000));
        let post = self.make(network, &author, "Someone Else", text, None);
        if brand == 0 && network == Network::Mastodon {
            remember(&mut self.acme_mastodon, post.id.clone(), &mut self.rng);
        }
        remember(&mut self.recent, post.clone(), &mut self.rng);
        (post, Kind::Mention)
    }

    fn make(&mut self, network: Network, handle: &str, name: &str, text: String, reply_to: Option<String>) -> Post {
        let id = self.id();
        Post {
            network,
            url: Some(format!("https://{network}.example/{handle}/{id}")),
            id,
            author: Some(Author {
                handle: Some(handle.to_string()),
                name: Some(name.to_string()),
            }),
            title: None,
            text,
            created_at: Some("2026-11-20T10:00:00Z".parse().unwrap()),
            reply_to,
            lang: Some("en".into()),
            repost_of: None,
        }
    }
}

/// Keeps `item` in a ring of at most `RECENT`, replacing a random one when full.
fn remember<T>(ring: &mut Vec<T>, item: T, rng: &mut Rng) {
    if ring.len() < RECENT {
        ring.push(item);
    } else {
        let i = rng.below(RECENT);
        ring[i] = item;
    }
}

/// The scheduler's hourly retention job, in simulated time.
struct Retention {
    next: DateTime<Utc>,
    last_cutoff: DateTime<Utc>,
    passes: u64,
    forgotten: u64,
}

impl Retention {
    fn new(start: DateTime<Utc>) -> Retention {
        Retention {
            next: start + chrono::Duration::seconds(RETENTION_EVERY_SECS),
            last_cutoff: DateTime::<Utc>::MIN_UTC,
            passes: 0,
            forgotten: 0,
        }
    }

    async fn run_when_due(&mut self, store: &Store, now: DateTime<Utc>, keep_for: chrono::Duration) {
        while self.next <= now {
            let cutoff = self.next - keep_for;
            let pruned = talkback::schedule::prune(store.clone(), cutoff)
                .await
                .expect("a retention pass");
            self.forgotten += pruned.mentions;
            self.passes += 1;
            self.last_cutoff = cutoff;
            self.next += chrono::Duration::seconds(RETENTION_EVERY_SECS);
        }
    }
}

/// The process's resident set, in KiB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

#[derive(Default)]
struct Tally {
    posts: u64,
    batches: u64,
    mentions: u64,
    duplicates: u64,
    own: u64,
    answers: u64,
    follow_ups: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak of about 3 minutes in release: cargo test --release --test soak -- --ignored --nocapture"]
async fn a_million_mentions_with_memory_flat() {
    let target: u64 = std::env::var("SOAK_MENTIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_MENTIONS);
    let started = Instant::now();
    let dir = match std::env::var_os("SOAK_DIR") {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    // The config's own `[store]` settings unless `SOAK_CACHE_MB` sets the page cache.
    let src = match std::env::var("SOAK_CACHE_MB") {
        Ok(mb) => CONFIG.replace("[store]\n", &format!("[store]\ncache_mb = {mb}\n")),
        Err(_) => CONFIG.to_string(),
    };
    let config = Config::from_str(&dir.path().join("talkback.toml"), &src, Needs::Everything, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let cache_mb = config.store.cache_mb;
    let keep_for = config
        .store
        .keep_for
        .expect("the soak's config sets keep_for")
        .as_chrono();

    // Each text must mention its brand and no other, or the accounting below is off.
    let matcher = Matcher::new(config.brands.iter().map(|b| b.rule()).collect());
    let mut check = Feed::new(1);
    for (brand, texts) in TEXTS.iter().enumerate() {
        for text in *texts {
            let post = check.make(Network::Reddit, "@someone", "Someone", text.to_string(), None);
            assert_eq!(matcher.matching_brands(&post), vec![brand], "{text:?}");
        }
    }
    for text in FOLLOW_UPS {
        let post = check.make(Network::Reddit, "@someone", "Someone", text.to_string(), None);
        assert!(matcher.matching_brands(&post).is_empty(), "{text:?}");
    }

    let clock = ManualClock::new("2026-11-20T10:00:00Z".parse().expect("a time"));
    let sink: talkback::chat::console::Output = Arc::new(Mutex::new(Box::new(std::io::sink())));
    let store_path = config.store.path.clone();
    let mut app = App::build(config, &store_path, Arc::new(clock.clone()), sink).expect("the app builds");
    let chat = Arc::new(CountingChat::new(target + 1));
    app.chat = chat.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let pipeline = app.pipeline().with_notices(tx);
    let dispatcher = tokio::spawn(app.dispatcher().run(rx, std::time::Duration::from_secs(15)));
    let store = app.store.clone();

    let stored = Bits::new(target + 1);
    let mut feed = Feed::new(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    let mut series: Vec<(u64, u64)> = vec![(0, rss_kb())];
    let mut batch: Vec<Post> = Vec::with_capacity(100);
    let mut kinds: Vec<Kind> = Vec::with_capacity(100);
    let mut retention = Retention::new(clock.now());
    let fed_from = Instant::now();
    while tally.mentions < target {
        // One source per network, as a streaming source delivers: a batch, then its cursor.
        let network = NETWORKS[(tally.batches % NETWORKS.len() as u64) as usize];
        let size = 1 + feed.rng.below(100);
        batch.clear();
        kinds.clear();
        let mut new_in_batch = 0;
        while batch.len() < size && tally.mentions + new_in_batch < target {
            let (post, kind) = feed.post();
            new_in_batch += u64::from(kind == Kind::Mention);
            batch.push(post);
            kinds.push(kind);
        }
        let report = pipeline.ingest(&batch, false).await.expect("ingest");
        let cursor = &batch.last().expect("a batch is never empty").id;
        store.set_cursor(network.as_str(), cursor).await.expect("cursor");

        let count = |k: Kind| kinds.iter().filter(|x| **x == k).count() as u64;
        let (again, answers, follow_ups) = (count(Kind::Again), count(Kind::Own(true)), count(Kind::FollowUp));
        let own = answers + count(Kind::Own(false));
        assert_eq!(
            report.new_mentions.len() as u64,
            new_in_batch,
            "batch {}",
            tally.batches
        );
        assert_eq!(report.duplicates as u64, again, "batch {}", tally.batches);
        assert_eq!(report.own_posts as u64, own, "batch {}", tally.batches);
        assert_eq!(
            report.notices.len() as u64,
            answers + follow_ups,
            "batch {}",
            tally.batches
        );
        for id in &report.new_mentions {
            assert!(stored.set(id.0), "mention {id} twice, or out of 1..={target}");
        }
        clock.advance(chrono::Duration::seconds(new_in_batch as i64 * SIM_SECS_PER_MENTION));
        retention.run_when_due(&store, clock.now(), keep_for).await;
        tally.posts += batch.len() as u64;
        tally.batches += 1;
        tally.duplicates += again;
        tally.own += own;
        tally.answers += answers;
        tally.follow_ups += follow_ups;
        let before = tally.mentions;
        tally.mentions += new_in_batch;
        if tally.mentions / SAMPLE_EVERY > before / SAMPLE_EVERY {
            let rss = rss_kb();
            series.push((tally.mentions, rss));
            println!(
                "soak: {:>9} mentions  RSS {:7.1} MiB  {:6.0} s  {:7.0} mentions/s",
                tally.mentions,
                mb(rss),
                fed_from.elapsed().as_secs_f64(),
                tally.mentions as f64 / fed_from.elapsed().as_secs_f64()
            );
        }
    }
    let fed_for = fed_from.elapsed();

    // Closing the notice channel ends the dispatcher once it has posted what is pending.
    drop(pipeline);
    dispatcher.await.expect("the dispatcher ends");
    let drained_for = fed_from.elapsed();
    let rss_end = rss_kb();

    let pending = store.pending_alerts().expect("pending alerts").len();
    let mut in_store = 0u64;
    let mut still_new = 0u64;
    let mut answered = 0u64;

    for m in store.all_mentions() {
        let m = m.expect("a readable mention");
        in_store += 1;
        still_new += u64::from(m.state == MentionState::New);
        answered += u64::from(m.state == MentionState::Answered);
        assert!(stored.contains(m.id.0), "{} in the store was never stored", m.id);
        assert!(
            !m.forgettable(retention.last_cutoff),
            "{} was idle since before the last cutoff and still stored",
            m.id
        );
    }
    let forgotten = retention.forgotten;
    let on_disk = dir_size(&store_path);

    let alerts = chat.alerts.load(Ordering::Relaxed);
    let again = chat.again.load(Ordering::Relaxed);
    let thread_lines = chat.thread_lines.load(Ordering::Relaxed);
    let lost = tally.mentions.saturating_sub(chat.alerted.count());
    println!(
        "\nsoak: {} posts in {} batches: {} mentions, {} duplicates, {} own posts ({} answering), {} follow-ups",
        tally.posts, tally.batches, tally.mentions, tally.duplicates, tally.own, tally.answers, tally.follow_ups
    );
    println!(
        "soak: {alerts} alerts ({again} repeated), {thread_lines} thread lines, {} redraws; lost {lost}; \
         {in_store} mentions in the store ({answered} answered), {still_new} still new, {pending} pending; \
         retention forgot {forgotten} in {} passes, the last at {}",
        chat.redraws.load(Ordering::Relaxed),
        retention.passes,
        retention.last_cutoff + keep_for,
    );
    println!(
        "soak: fed in {:.1} s = {:.0} mentions/s ({:.0} posts/s); all alerts out after {:.1} s",
        fed_for.as_secs_f64(),
        tally.mentions as f64 / fed_for.as_secs_f64(),
        tally.posts as f64 / fed_for.as_secs_f64(),
        drained_for.as_secs_f64()
    );
    println!(
        "soak: store {:.0} MiB on disk (sled says {:.0} MiB); page cache {cache_mb} MiB",
        on_disk as f64 / (1 << 20) as f64,
        store.size_on_disk() as f64 / (1 << 20) as f64
    );
    let series_text: Vec<String> = series
        .iter()
        .map(|(n, kb)| format!("{}k:{:.0}", n / 1000, mb(*kb)))
        .collect();
    println!(
        "soak: RSS MiB by mentions: {} end:{:.0}",
        series_text.join(" "),
        mb(rss_end)
    );

    assert_eq!(tally.mentions, target);
    assert_eq!(stored.count(), target, "every distinct post became one mention");
    assert_eq!(alerts, target, "one alert per mention");
    assert_eq!(again, 0, "no mention alerted twice");
    assert!(
        chat.alerted.same_as(&stored),
        "the alerted mentions are the stored ones"
    );
    assert_eq!(
        thread_lines,
        tally.answers + tally.follow_ups,
        "one thread line per answer or follow-up"
    );
    assert_eq!(pending, 0, "no alert left pending");
    assert_eq!(
        in_store + forgotten,
        target,
        "every mention is in the store or was forgotten by retention"
    );
    if target >= 2 * WARM_UP {
        assert!(forgotten > 0, "retention forgot the oldest mentions");
    }
    assert_eq!(still_new, 0, "every stored mention was alerted");

    if target >= 2 * WARM_UP {
        // Three samples on each side, averaged: one sample moves by up to 15 MiB either way.
        let after: Vec<(u64, u64)> = series.iter().copied().filter(|(n, _)| *n >= WARM_UP).collect();
        let mean = |s: &[(u64, u64)]| s.iter().map(|(_, kb)| kb).sum::<u64>() / s.len().max(1) as u64;
        let (early, late) = (
            mean(&after[..3.min(after.len())]),
            mean(&after[after.len().saturating_sub(3)..]),
        );
        let (low, high) = after
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), (_, kb)| (lo.min(*kb), hi.max(*kb)));
        let allowed = RSS_SLACK_MB * 1024;
        println!(
            "soak: RSS after warm-up between {:.0} and {:.0} MiB; the last three samples average {:+.0} MiB \
             from the first three; allowed {:+.0} MiB",
            mb(low),
            mb(high),
            mb(late) - mb(early),
            mb(allowed)
        );
        assert!(
            late <= early + allowed,
            "RSS grew from {:.0} MiB after warm-up to {:.0} MiB at the end, more than the {:.0} MiB allowed",
            mb(early),
            mb(late),
            mb(allowed)
        );
    }
    println!("soak: done in {:.1} s", started.elapsed().as_secs_f64());
    drop(store);
    drop(app);
}
