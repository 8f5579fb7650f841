//! Turns the TOML document into a `Config`, section by section, collecting every problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::ImDocument;

use super::chat::chat;
use super::diag::{ConfigErrors, Diagnostics};
use super::ops::{digest, nag, nudge, server, team};
use super::publishers::publishers;
use super::section::{string_content_start, Section, Spanned};
use super::sources::sources;
use super::triage::triage;
use super::*;
use crate::domain::DiscordId;
use crate::matcher::Query;

pub(super) fn build(
    file: &Path,
    src: &str,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut d = Diagnostics::new(file, src);
    let doc = match ImDocument::parse(src.to_string()) {
        Ok(doc) => doc,
        Err(e) => {
            d.error(e.span(), format!("invalid TOML: {}", e.message().trim()));
            return Err(d.into_errors());
        }
    };
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut root = Section::new(doc.as_table(), "top level".to_string(), None);
    let store = store(&mut root, &mut d, &base);
    let channels = channels(&mut root, &mut d);
    let brands = brands(&mut root, &mut d, &channels);
    let sources = sources(&mut root, &mut d, &base, needs, env);
    let publishers = publishers(&mut root, &mut d, needs, env);
    let chat = chat(&mut root, &mut d, needs, env);
    let server = server(&mut root, &mut d);
    let team = team(&mut root, &mut d);
    let nag = nag(&mut root, &mut d);
    let nudge = nudge(&mut root, &mut d);
    let digest = digest(&mut root, &mut d);
    let mut file_problems = Vec::new();
    let triage = triage(&mut root, &mut d, &base, needs, env, &mut file_problems);
    root.finish(&mut d);
    let config = Config {
        file: file.to_path_buf(),
        store,
        brands,
        sources,
        publishers,
        channels,
        chat,
        server,
        team,
        nag,
        nudge,
        digest,
        triage,
    };
    // Problems in the triage files come after the config file's own. None quotes a pasted secret.
    let mut problems = super::secrets::hide(d.into_errors().0, src);
    problems.extend(file_problems);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// The largest `[store] cache_mb` (64 GiB): more is surely a typo for a smaller number.
const MAX_CACHE_MB: u64 = 64 * 1024;

/// The shortest `[store] keep_for`: the weekly digest reads a week of mentions and activity.
const MIN_KEEP_DAYS: u64 = 7;

fn store(root: &mut Section, d: &mut Diagnostics, base: &Path) -> StoreConfig {
    let mut path = PathBuf::from("data");
    let mut cache_mb = crate::store::DEFAULT_CACHE_MB;
    let mut keep_for = Some(StoreConfig::DEFAULT_KEEP_FOR);
    if let Some(mut s) = root.section(d, "store") {
        if let Some(p) = s.string(d, "path") {
            path = PathBuf::from(p.value);
        }
        if let Some(m) = s.integer(d, "cache_mb") {
            match u64::try_from(m.value) {
                Ok(v) if (1..=MAX_CACHE_MB).contains(&v) => cache_mb = v,
                _ => d.error(
                    m.span,
                    format!("[store]: `cache_mb` must be between 1 and {MAX_CACHE_MB} (MiB)"),
                ),
            }
        }
        if let Some(k) = s.string(d, "keep_for") {
            match keep_for_value(&k.value) {
                Ok(v) => keep_for = v,
                Err(e) => d.error(k.span, format!("[store]: `keep_for`: {e}")),
            }
        }
        s.finish(d);
    }
    StoreConfig {
        path: base.join(path),
        cache_mb,
        keep_for,
    }
}

/// `"forever"`, or a duration of at least [`MIN_KEEP_DAYS`].
fn keep_for_value(src: &str) -> Result<Option<HumanDuration>, String> {
    if src.trim() == "forever" {
        return Ok(None);
    }
    let d: HumanDuration = src.parse().map_err(|e: String| format!("{e}, or `forever`"))?;
    if d.as_std().as_secs() < MIN_KEEP_DAYS * 86_400 {
        return Err(format!(
            "`{src}` is shorter than the {MIN_KEEP_DAYS}d the weekly digest reads back (expected e.g. `90d`, or `forever`)"
        ));
    }
    Ok(Some(d))
}

fn channels(root: &mut Section, d: &mut Diagnostics) -> BTreeMap<String, ChannelConfig> {
    let mut out = BTreeMap::new();
    for (name, mut s) in root.named_sections(d, "channels") {
        let ch = ChannelConfig {
            slack: s.string(d, "slack").map(|v| v.value),
            discord: s.parsed::<DiscordId>(d, "discord").map(|v| v.value.to_string()),
        };
        s.finish(d);
        out.insert(name.value, ch);
    }
    out
}

fn brands(root: &mut Section, d: &mut Diagnostics, channels: &BTreeMap<String, ChannelConfig>) -> Vec<BrandConfig> {
    let sections = root.sections(d, "brands");
    if sections.is_empty() && !root.has("brands") {
        d.error(
            None,
            "no brands: add at least one `[[brands]]` table with a `name` and a `query`",
        );
    }
    // Brand names seen so far, ASCII-lowercased (names are compared ignoring ASCII case), with
    // where each was first defined.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for mut s in sections {
        let name = s.required_string(d, "name");
        if let Some(n) = &name {
            let offset = n.span.as_ref().map(|r| r.start).unwrap_or(0);
            if n.value.trim().is_empty() {
                d.error(n.span.clone(), format!("{}: `name` must not be empty", s.what));
            } else if let Some(first) = seen.get(&n.value.to_ascii_lowercase()) {
                let (line, _) = d.line_col(*first);
                d.error(
                    n.span.clone(),
                    format!("duplicate brand name `{}` (first defined on line {line})", n.value),
                );
            } else {
                seen.insert(n.value.to_ascii_lowercase(), offset);
            }
        }
        let label = name
            .as_ref()
            .map(|n| format!("brand `{}`", n.value))
            .unwrap_or_else(|| s.what.clone());
        let query = s.required_string(d, "query").and_then(|q| query(d, &label, q));
        let own_accounts = s
            .string_list(d, "own_accounts")
            .into_iter()
            .filter_map(|a| match a.value.parse() {
                Ok(acc) => Some(acc),
                Err(e) => {
                    d.error(a.span, format!("{label}: `own_accounts`: {e}"));
                    None
                }
            })
            .collect();
        let channel = s.string(d, "channel");
        if let Some(c) = &channel {
            if !channels.contains_key(&c.value) {
                let known: Vec<_> = channels.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    "no `[channels.NAME]` tables are defined".to_string()
                } else {
                    format!("defined: {}", known.join(", "))
                };
                d.error(
                    c.span.clone(),
                    format!(
                        "{label}: channel `{}` has no `[channels.{}]` table ({hint})",
                        c.value, c.value
                    ),
                );
            }
        }
        let timezone = s
            .parsed::<TimeZone>(d, "timezone")
            .map(|t| t.value.0)
            .unwrap_or(chrono_tz::UTC);
        let competitors = s.string_list(d, "competitors").into_iter().map(|c| c.value).collect();
        let voice = s.string(d, "voice").map(|v| v.value);
        s.finish(d);
        if let (Some(name), Some((query_src, query))) = (name, query) {
            out.push(BrandConfig {
                name: name.value,
                query_src,
                query,
                own_accounts,
                channel: channel.map(|c| c.value),
                timezone,
                competitors,
                voice,
            });
        }
    }
    out
}

/// Parses a brand's query; an error points at the exact character in the file.
fn query(d: &mut Diagnostics, label: &str, q: Spanned<String>) -> Option<(String, Query)> {
    match Query::parse(&q.value) {
        Ok(parsed) => Some((q.value, parsed)),
        Err(e) => {
            let at = q.span.as_ref().map(|span| {
                let start = string_content_start(d.src(), span);
                let in_query: usize = q
                    .value
                    .chars()
                    .take(e.column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                (start + in_query).min(span.end)
            });
            let message = format!("{label}: query column {}: {}", e.column, e.message);
            match at {
                Some(offset) => d.error_at(offset, message),
                None => d.error(None, message),
            }
            None
        }
    }
}

struct TimeZone(chrono_tz::Tz);

impl std::str::FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| format!("unknown time zone `{s}` (expected an IANA name like `Europe/Berlin` or `UTC`)"))
    }
}
