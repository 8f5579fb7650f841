//! `bot-config/triage/examples.jsonl`: labelled mentions triage learns from. One JSON object per
//! line: a `Post` with `intent`, `sentiment` and optionally `brand` (default: the first brand)
//! beside its fields. A bad line is reported as `file:line:1` like any config problem.

use std::path::Path;

use serde::Deserialize;

use super::diag::{ConfigErrors, Problem};
use crate::domain::{Intent, Post, Sentiment};

/// One labelled mention.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledPost {
    #[serde(flatten)]
    pub post: Post,
    pub intent: Intent,
    pub sentiment: Sentiment,
    #[serde(default)]
    pub brand: Option<String>,
}

/// Every line of an examples file, or every bad line's problem.
pub fn parse_examples(file: &Path, src: &str) -> Result<Vec<LabelledPost>, ConfigErrors> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        match serde_json::from_str::<LabelledPost>(line) {
            Ok(p) => out.push(p),
            Err(e) => problems.push(Problem {
                file: file.to_path_buf(),
                line: i + 1,
                col: e.column().max(1),
                message: format!("expected a post with `intent` and `sentiment` labels: {e}"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ConfigErrors(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_and_reports_bad_lines() {
        let src = concat!(
            r#"{"network":"x","id":"1","text":"love it","intent":"praise","sentiment":"positive"}"#,
            "\n\n",
            r#"{"network":"x","id":"2","text":"hm","intent":"rant","sentiment":"neutral"}"#,
            "\n"
        );
        let e = parse_examples(Path::new("ex.jsonl"), src).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].line, 3);
        assert!(e.0[0].message.contains("unknown variant `rant`"), "{}", e.0[0].message);
        let ok = parse_examples(Path::new("ex.jsonl"), src.lines().next().unwrap()).unwrap();
        assert_eq!(ok[0].intent, Intent::Praise);
    }
}
