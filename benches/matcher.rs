//! Matcher throughput (posts per second) on the generated corpus of `corpus/mod.rs`:
//! `matching_brands` (the fast path) for 10, 1,000 and 10,000 brands over 20,000 posts, and
//! `matching_brands_exhaustive` (every brand evaluated, the reference) for 10 and 1,000 brands
//! over the first 2,000 of those posts (it is linear in brands; at 10,000 it is skipped).
//!
//! `cargo bench --bench matcher`; the whole process is measured by `scripts/bench-match`.

#[path = "corpus/mod.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use talkback::domain::Post;
use talkback::matcher::{BrandRule, Matcher, Query};

const SEED: u64 = 1;
const POSTS: usize = 20_000;
const EXHAUSTIVE_POSTS: usize = 2_000;

fn matcher(brands: &[corpus::Brand]) -> Matcher {
    let rules = brands
        .iter()
        .map(|b| BrandRule {
            name: b.name.clone(),
            query: Query::parse(&b.query).unwrap_or_else(|e| panic!("{}: {e}", b.query)),
            own_accounts: Vec::new(),
        })
        .collect();
    Matcher::new(rules)
}

/// The corpus posts for these brands (the same words for every brand count, mentions of these).
fn posts(brands: &[corpus::Brand]) -> Vec<Post> {
    corpus::posts(POSTS, brands, SEED)
        .iter()
        .map(|line| serde_json::from_str(line).expect("a generated post parses"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let all = corpus::brands(10_000, SEED);
    let setups: Vec<(usize, Matcher, Vec<Post>)> = [10, 1_000, 10_000]
        .into_iter()
        .map(|n| (n, matcher(&all[..n]), posts(&all[..n])))
        .collect();

    let mut group = c.benchmark_group("matching_brands");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (n, matcher, posts) in &setups {
        group.throughput(Throughput::Elements(posts.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), posts, |b, posts| {
            b.iter(|| {
                posts
                    .iter()
                    .map(|p| matcher.matching_brands(black_box(p)).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("matching_brands_exhaustive");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (n, matcher, posts) in setups.iter().filter(|(n, _, _)| *n <= 1_000) {
        let posts = &posts[..EXHAUSTIVE_POSTS];
        group.throughput(Throughput::Elements(posts.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), posts, |b, posts| {
            b.iter(|| {
                posts
                    .iter()
                    .map(|p| matcher.matching_brands_exhaustive(black_box(p)).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
