//! The matcher's fast path (`matching_brands`) gives exactly the answer of evaluating every
//! brand's query (`matching_brands_exhaustive`) on a generated corpus of realistic shape
//! (`benches/corpus/mod.rs`: terms, phrases, prefixes, exclusions, fields, several scripts, near
//! misses that must not match).

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use std::collections::HashSet;

use talkback::domain::Post;
use talkback::matcher::{BrandRule, Matcher, Query};

const SEED: u64 = 1;
/// The size of the default test: every post costs an evaluation of every brand's query on the
/// reference path, which at the dev profile's opt-level 1 is about 0.75 µs a brand; this keeps the
/// test near 5 s of wall time on 2 cores. The ignored test below runs the full benchmark corpus.
const POSTS: usize = 10_000;
const BRANDS: usize = 1_500;

fn matcher(brands: &[corpus::Brand]) -> Matcher {
    let rules = brands
        .iter()
        .map(|b| BrandRule {
            name: b.name.clone(),
            query: Query::parse(&b.query).unwrap_or_else(|e| panic!("brand {}: `{}`: {e}", b.name, b.query)),
            own_accounts: Vec::new(),
        })
        .collect();
    Matcher::new(rules)
}

fn parse_posts(lines: &[String]) -> Vec<Post> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Compares both paths on every post (on every core); returns (posts that match, mentions).
fn compare(matcher: &Matcher, posts: &[Post]) -> (usize, usize) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = posts.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = posts
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let (mut matched, mut mentions) = (0, 0);
                    for post in part {
                        let fast = matcher.matching_brands(post);
                        let reference = matcher.matching_brands_exhaustive(post);
                        if fast != reference {
                            let show = |ids: &[usize]| -> Vec<String> {
                                let brands = matcher.brands();
                                ids.iter()
                                    .map(|&i| format!("#{i} {} `{}`", brands[i].name, brands[i].query))
                                    .collect()
                            };
                            panic!(
                                "post {}:{} (title {:?}, text {:?}, lang {:?})\n  fast path: {:?}\n  reference: {:?}",
                                post.network,
                                post.id,
                                post.title,
                                post.text,
                                post.lang,
                                show(&fast),
                                show(&reference)
                            );
                        }
                        matched += usize::from(!fast.is_empty());
                        mentions += fast.len();
                    }
                    (matched, mentions)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    })
}

#[test]
fn generated_queries_are_valid_distinct_and_have_terms() {
    let brands = corpus::brands(10_000, SEED);
    assert_eq!(brands.len(), 10_000);
    let mut names = HashSet::new();
    let mut queries = HashSet::new();
    for b in &brands {
        let query = Query::parse(&b.query).unwrap_or_else(|e| panic!("brand {}: `{}`: {e}", b.name, b.query));
        assert!(!b.terms.is_empty(), "{} has no positive term", b.query);
        assert!(!query.search_terms().is_empty(), "{}", b.query);
        assert!(names.insert(b.name.as_str()), "duplicate name {}", b.name);
        assert!(queries.insert(b.query.as_str()), "duplicate query {}", b.query);
    }
    // Realistic shape: mostly plain words, but every kind of query is there, and other scripts.
    let count = |f: &dyn Fn(&str) -> bool| brands.iter().filter(|b| f(&b.query)).count();
    assert!(count(&|q| q.contains('"')) > 1_000, "phrases");
    assert!(count(&|q| q.contains('*')) > 300, "prefixes");
    assert!(count(&|q| q.contains(" -") || q.contains("NOT ")) > 1_000, "exclusions");
    assert!(count(&|q| q.contains(" OR ")) > 1_000, "alternatives");
    assert!(
        count(&|q| q.contains("lang:") || q.contains("network:")) > 100,
        "fields"
    );
    let non_ascii = count(&|q| !q.split(['"', ' ']).next().unwrap_or("").is_ascii());
    assert!(
        (500..2_000).contains(&non_ascii),
        "{non_ascii} queries in other scripts"
    );

    // The same seed gives the same brands, and fewer brands are a prefix of more.
    let few = corpus::brands(10, SEED);
    assert_eq!(
        few.iter().map(|b| &b.query).collect::<Vec<_>>(),
        brands[..10].iter().map(|b| &b.query).collect::<Vec<_>>()
    );
    assert_eq!(corpus::posts(50, &few, SEED), corpus::posts(50, &few, SEED));
}

#[test]
fn fast_path_agrees_with_exhaustive_evaluation_on_generated_corpus() {
    let brands = corpus::brands(BRANDS, SEED);
    let posts = parse_posts(&corpus::posts(POSTS, &brands, SEED));
    let (matched, mentions) = compare(&matcher(&brands), &posts);
    // About 2% of the posts carry a mention (some of them spoiled by an exclusion or a field).
    assert!(
        (POSTS / 200..POSTS / 20).contains(&matched),
        "{matched} of {} posts match ({mentions} mentions)",
        posts.len()
    );
}

/// The full benchmark corpus; slow outside a release build:
/// `cargo test --release --test matcher_equivalence -- --ignored`.
#[test]
#[ignore]
fn fast_path_agrees_with_exhaustive_evaluation_on_200k_posts_and_10k_brands() {
    let brands = corpus::brands(10_000, SEED);
    let posts = parse_posts(&corpus::posts(200_000, &brands, SEED));
    let (matched, mentions) = compare(&matcher(&brands), &posts);
    assert!(
        (posts.len() / 200..posts.len() / 20).contains(&matched),
        "{matched} of {} posts match ({mentions} mentions)",
        posts.len()
    );
}
