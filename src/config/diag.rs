//! Config problems with their place in the file (`file:line:col: message`), all collected
//! before anything is reported. Knows nothing of what the keys mean.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Every problem found in a config, in file order.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Problem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems while one file is read; turns byte offsets into lines and columns.
pub struct Diagnostics {
    file: PathBuf,
    src: String,
    problems: Vec<(usize, String)>,
}

impl Diagnostics {
    pub fn new(file: &Path, src: &str) -> Diagnostics {
        Diagnostics {
            file: file.to_path_buf(),
            src: src.to_string(),
            problems: Vec::new(),
        }
    }

    pub fn src(&self) -> &str {
        &self.src
    }

    /// Records a problem at the start of `span` (or at the top of the file when unknown).
    pub fn error(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let offset = span.map(|s| s.start).unwrap_or(0);
        self.problems.push((offset, message.into()));
    }

    /// Records a problem at an exact byte offset.
    pub fn error_at(&mut self, offset: usize, message: impl Into<String>) {
        self.problems.push((offset, message.into()));
    }

    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let before = self.src.get(..offset).unwrap_or(&self.src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    pub fn into_result<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.problems.is_empty() {
            return Ok(value);
        }
        Err(self.into_errors())
    }

    pub fn into_errors(self) -> ConfigErrors {
        let mut problems = self.problems.clone();
        problems.sort_by_key(|(offset, _)| *offset);
        ConfigErrors(
            problems
                .into_iter()
                .map(|(offset, message)| {
                    let (line, col) = self.line_col(offset);
                    Problem {
                        file: self.file.clone(),
                        line,
                        col,
                        message,
                    }
                })
                .collect(),
        )
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let d = Diagnostics::new(Path::new("t.toml"), "a = 1\nbé = 2\n");
        assert_eq!(d.line_col(0), (1, 1));
        assert_eq!(d.line_col(6), (2, 1));
        assert_eq!(d.line_col(9), (2, 3));
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(did_you_mean("qeury", &["query", "name"]), Some("query"));
        assert_eq!(did_you_mean("zzzzzz", &["query", "name"]), None);
    }
}
