//! A reader over one TOML table that records every key it is asked for, reports wrong types
//! with their place, and at the end flags the keys nobody asked for (with a "did you mean").
//! It knows TOML, not talkback: what the keys mean lives in `build.rs`.

use std::ops::Range;
use std::str::FromStr;

use toml_edit::{Item, TableLike, Value};

use super::diag::{did_you_mean, Diagnostics};

/// A value and where it was written.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Option<Range<usize>>,
}

/// One table of the config file, read key by key.
pub struct Section<'a> {
    table: &'a dyn TableLike,
    /// How the table is named in messages: `[store]`, `[[brands]] #2`.
    pub what: String,
    pub span: Option<Range<usize>>,
    asked: Vec<&'static str>,
}

impl<'a> Section<'a> {
    pub fn new(table: &'a dyn TableLike, what: String, span: Option<Range<usize>>) -> Section<'a> {
        Section {
            table,
            what,
            span,
            asked: Vec::new(),
        }
    }

    fn item(&mut self, key: &'static str) -> Option<&'a Item> {
        self.asked.push(key);
        self.table.get(key).filter(|i| !i.is_none())
    }

    /// Where `key` is written, else where the table starts.
    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table.key(key).and_then(|k| k.span()).or_else(|| self.span.clone())
    }

    /// True when the table has `key` (marks it as known).
    pub fn has(&mut self, key: &'static str) -> bool {
        self.item(key).is_some()
    }

    fn value(&mut self, d: &mut Diagnostics, key: &'static str, expected: &str) -> Option<&'a Value> {
        let item = self.item(key)?;
        match item.as_value() {
            Some(v) => Some(v),
            None => {
                d.error(
                    item.span().or_else(|| self.key_span(key)),
                    format!("{}: `{key}` must be {expected}, found a table", self.what),
                );
                None
            }
        }
    }

    fn wrong_type(&self, d: &mut Diagnostics, key: &str, v: &Value, expected: &str) {
        d.error(
            v.span(),
            format!(
                "{}: `{key}` must be {expected}, found {}",
                self.what,
                article(v.type_name())
            ),
        );
    }

    pub fn string(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Spanned<String>> {
        let v = self.value(d, key, "a string")?;
        match v.as_str() {
            Some(s) => Some(Spanned {
                value: s.to_string(),
                span: v.span(),
            }),
            None => {
                self.wrong_type(d, key, v, "a string");
                None
            }
        }
    }

    /// A required string: a missing key is an error at the table.
    pub fn required_string(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Spanned<String>> {
        let found = self.table.get(key).is_some();
        let s = self.string(d, key);
        if !found {
            d.error(
                self.span.clone(),
                format!("{}: missing required key `{key}`", self.what),
            );
        }
        s
    }

    /// A string parsed with `FromStr`; a parse failure is reported at the value.
    pub fn parsed<T: FromStr<Err = String>>(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Spanned<T>> {
        let s = self.string(d, key)?;
        match s.value.parse::<T>() {
            Ok(value) => Some(Spanned { value, span: s.span }),
            Err(e) => {
                d.error(s.span, format!("{}: `{key}`: {e}", self.what));
                None
            }
        }
    }

    pub fn string_list(&mut self, d: &mut Diagnostics, key: &'static str) -> Vec<Spanned<String>> {
        let Some(v) = self.value(d, key, "a list of strings") else {
            return Vec::new();
        };
        let Some(arr) = v.as_array() else {
            self.wrong_type(d, key, v, "a list of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for el in arr.iter() {
            match el.as_str() {
                Some(s) => out.push(Spanned {
                    value: s.to_string(),
                    span: el.span(),
                }),
                None => self.wrong_type(d, key, el, "a list of strings"),
            }
        }
        out
    }

    pub fn integer(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Spanned<i64>> {
        let v = self.value(d, key, "a whole number")?;
        match v.as_integer() {
            Some(n) => Some(Spanned {
                value: n,
                span: v.span(),
            }),
            None => {
                self.wrong_type(d, key, v, "a whole number");
                None
            }
        }
    }

    pub fn float(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Spanned<f64>> {
        let v = self.value(d, key, "a number")?;
        let n = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match n {
            Some(value) => Some(Spanned { value, span: v.span() }),
            None => {
                self.wrong_type(d, key, v, "a number");
                None
            }
        }
    }

    pub fn boolean(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<bool> {
        let v = self.value(d, key, "true or false")?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(d, key, v, "true or false");
                None
            }
        }
    }

    /// A sub-table (`[chat.slack]` or an inline table).
    pub fn section(&mut self, d: &mut Diagnostics, key: &'static str) -> Option<Section<'a>> {
        let item = self.item(key)?;
        let what = format!("[{}]", join_path(&self.what, key));
        match item.as_table_like() {
            Some(t) => Some(Section::new(t, what, item.span().or_else(|| self.key_span(key)))),
            None => {
                d.error(
                    item.span(),
                    format!(
                        "`{key}` must be a table like `{what}`, found {}",
                        article(item.type_name())
                    ),
                );
                None
            }
        }
    }

    /// An array of tables (`[[brands]]`), each as its own section named `[[key]] #n`.
    pub fn sections(&mut self, d: &mut Diagnostics, key: &'static str) -> Vec<Section<'a>> {
        let Some(item) = self.item(key) else {
            return Vec::new();
        };
        if let Some(aot) = item.as_array_of_tables() {
            return aot
                .iter()
                .enumerate()
                .map(|(i, t)| Section::new(t, format!("[[{key}]] #{}", i + 1), t.span()))
                .collect();
        }
        if let Some(arr) = item.as_array() {
            let mut out = Vec::new();
            for (i, v) in arr.iter().enumerate() {
                match v.as_inline_table() {
                    Some(t) => out.push(Section::new(t, format!("[[{key}]] #{}", i + 1), v.span())),
                    None => d.error(
                        v.span(),
                        format!("`{key}` entries must be tables, found {}", article(v.type_name())),
                    ),
                }
            }
            return out;
        }
        d.error(
            item.span().or_else(|| self.key_span(key)),
            format!(
                "`{key}` must be written as `[[{key}]]` tables, found {}",
                article(item.type_name())
            ),
        );
        Vec::new()
    }

    /// A table of named tables (`[channels.alerts]`, `[channels.ops]`), in file order.
    pub fn named_sections(&mut self, d: &mut Diagnostics, key: &'static str) -> Vec<(Spanned<String>, Section<'a>)> {
        let Some(mut outer) = self.section(d, key) else {
            return Vec::new();
        };
        let table = outer.table;
        let mut out = Vec::new();
        for (name, item) in table.iter() {
            let name_span = outer.key_span(name);
            match item.as_table_like() {
                Some(t) => out.push((
                    Spanned {
                        value: name.to_string(),
                        span: name_span.clone(),
                    },
                    Section::new(t, format!("[{key}.{name}]"), name_span),
                )),
                None => d.error(
                    name_span,
                    format!("`{key}.{name}` must be a table like `[{key}.{name}]`"),
                ),
            }
        }
        outer.asked.clear();
        out
    }

    /// Every key of this table as a list of strings (`[topics]`: `billing = ["invoice", …]`),
    /// in file order. Any key is allowed, so there is nothing to `finish`.
    pub fn string_lists(self, d: &mut Diagnostics) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for (name, item) in self.table.iter() {
            let list = item.as_array().and_then(|a| {
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<String>>>()
            });
            match list {
                Some(l) => out.push((name.to_string(), l)),
                None => d.error(
                    item.span().or_else(|| self.key_span(name)),
                    format!("{}: `{name}` must be a list of strings", self.what),
                ),
            }
        }
        out
    }

    /// Reports every key nobody asked for, suggesting the closest known one.
    pub fn finish(mut self, d: &mut Diagnostics) {
        let mut seen = Vec::new();
        self.asked.retain(|k| {
            let fresh = !seen.contains(k);
            seen.push(*k);
            fresh
        });
        for (key, _) in self.table.iter() {
            if self.asked.contains(&key) {
                continue;
            }
            let env_key = format!("{key}_env");
            if self.asked.iter().any(|k| *k == env_key) {
                d.error(
                    self.key_span(key),
                    format!(
                        "{}: `{key}` looks like a secret written into the file; secrets never live in files: \
                         put it in an environment variable and name it with `{env_key} = \"VARIABLE\"`",
                        self.what
                    ),
                );
                continue;
            }
            let hint = match did_you_mean(key, &self.asked) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None if self.asked.is_empty() => String::new(),
                None => format!(" (expected one of: {})", self.asked.join(", ")),
            };
            d.error(self.key_span(key), format!("{}: unknown key `{key}`{hint}", self.what));
        }
    }
}

fn join_path(what: &str, key: &str) -> String {
    let parent = what.trim_start_matches('[').trim_end_matches(']');
    if parent.is_empty() || parent.contains(' ') || parent.starts_with('[') {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}

/// Byte offset where a string value's text starts inside its span (after the quotes), so that a
/// column inside the string can be pointed at in the file.
pub fn string_content_start(src: &str, span: &Range<usize>) -> usize {
    let raw = src.get(span.clone()).unwrap_or("");
    if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
        let after = span.start + 3;
        return if src.get(after..after + 1) == Some("\n") {
            after + 1
        } else {
            after
        };
    }
    if raw.starts_with('\'') || raw.starts_with('"') {
        return span.start + 1;
    }
    span.start
}
