//! Writes a reproducible matcher corpus (see `corpus/mod.rs`) into a directory:
//! `posts.jsonl` (design §3 posts), `talkback.toml` (one `[[brands]]` table per brand, for
//! `talkback match --config DIR`) and `terms.txt` (every positive term and phrase, one a line, for
//! `grep -F -i -f`).
//!
//! `cargo run --release --example gen-corpus -- --posts 200000 --brands 10000 --seed 1 --out DIR`

#[path = "corpus/mod.rs"]
mod corpus;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: gen-corpus [--posts N] [--brands R] [--seed S] --out DIR";

struct Args {
    posts: usize,
    brands: usize,
    seed: u64,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut posts = 200_000;
    let mut brands = 10_000;
    let mut seed = 1;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{flag}: `{v}` is not a number"));
        match flag.as_str() {
            "--posts" => posts = number(&value)? as usize,
            "--brands" => brands = number(&value)? as usize,
            "--seed" => seed = number(&value)?,
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    Ok(Args {
        posts,
        brands,
        seed,
        out,
    })
}

fn write(args: &Args) -> std::io::Result<()> {
    fs::create_dir_all(&args.out)?;
    let brands = corpus::brands(args.brands, args.seed);
    fs::write(args.out.join("talkback.toml"), corpus::config_toml(&brands))?;
    let mut terms = corpus::terms(&brands).join("\n");
    terms.push('\n');
    fs::write(args.out.join("terms.txt"), terms)?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(args.out.join("posts.jsonl"))?);
    let mut gen = corpus::PostGen::new(args.seed, &brands);
    for _ in 0..args.posts {
        out.write_all(gen.next_json().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    if let Err(e) = write(&args) {
        eprintln!("gen-corpus: {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "gen-corpus: {} posts, {} brands (seed {}) in {} in {:.2}s",
        args.posts,
        args.brands,
        args.seed,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
