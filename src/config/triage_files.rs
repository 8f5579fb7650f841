//! The two TOML triage files, `lexicon.toml` and `templates.toml`: read key by key with the
//! config's `Section`, every problem reported with its own `file:line:col`. Knows the files'
//! shape, not how triage uses them.

use std::path::Path;

use toml_edit::ImDocument;

use super::diag::{ConfigErrors, Diagnostics};
use super::section::Section;
use crate::domain::Intent;
use crate::triage::{IntentCues, IntentTemplates, LexiconSpec, Templates};

fn parse(file: &Path, src: &str) -> Result<ImDocument<String>, ConfigErrors> {
    ImDocument::parse(src.to_string()).map_err(|e| {
        let mut d = Diagnostics::new(file, src);
        d.error(e.span(), format!("invalid TOML: {}", e.message().trim()));
        d.into_errors()
    })
}

fn intent_named(name: &str) -> Option<Intent> {
    Intent::ALL.into_iter().find(|i| i.as_str() == name)
}

fn strings(s: &mut Section, d: &mut Diagnostics, key: &'static str) -> Vec<String> {
    s.string_list(d, key).into_iter().map(|v| v.value).collect()
}

/// `lexicon.toml`: `[sentiment]`, `[intents.NAME]`, `competitors`, `[topics]`.
pub fn parse_lexicon(file: &Path, src: &str) -> Result<LexiconSpec, ConfigErrors> {
    let doc = parse(file, src)?;
    let mut d = Diagnostics::new(file, src);
    let mut root = Section::new(doc.as_table(), "top level".to_string(), None);
    let mut spec = LexiconSpec {
        competitors: strings(&mut root, &mut d, "competitors"),
        not_competitors: strings(&mut root, &mut d, "not_competitors"),
        ideas: strings(&mut root, &mut d, "ideas"),
        ..LexiconSpec::default()
    };
    if let Some(mut s) = root.section(&mut d, "sentiment") {
        spec.positive = strings(&mut s, &mut d, "positive");
        spec.negative = strings(&mut s, &mut d, "negative");
        spec.negators = strings(&mut s, &mut d, "negators");
        spec.contrast = strings(&mut s, &mut d, "contrast");
        spec.sarcasm = strings(&mut s, &mut d, "sarcasm");
        spec.sarcasm_in_context = strings(&mut s, &mut d, "sarcasm_in_context");
        s.finish(&mut d);
    }
    {
        for (name, mut s) in root.named_sections(&mut d, "intents") {
            let Some(intent) = intent_named(&name.value) else {
                d.error(
                    name.span,
                    format!("unknown intent `{}` (intents: {})", name.value, intent_list()),
                );
                continue;
            };
            if intent == Intent::Question {
                spec.question_openers = strings(&mut s, &mut d, "openers");
            }
            if intent == Intent::Comparison {
                spec.away = strings(&mut s, &mut d, "away");
                spec.toward = strings(&mut s, &mut d, "toward");
            }
            spec.intents.push(IntentCues {
                intent,
                weak: strings(&mut s, &mut d, "weak"),
                cues: strings(&mut s, &mut d, "cues"),
                strong: strings(&mut s, &mut d, "strong"),
            });
            s.finish(&mut d);
        }
    }
    if let Some(topics) = root.section(&mut d, "topics") {
        spec.topics = topics.string_lists(&mut d);
    }
    root.finish(&mut d);
    d.into_result(spec)
}

fn intent_list() -> String {
    Intent::ALL.map(|i| i.as_str()).join(", ")
}

/// `templates.toml`: one table per intent with `guidance` and `replies` (and optional
/// `guidance_negative`, `replies_negative`), plus `private_details` and `idea`.
pub fn parse_templates(file: &Path, src: &str) -> Result<Templates, ConfigErrors> {
    let doc = parse(file, src)?;
    let mut d = Diagnostics::new(file, src);
    let mut root = Section::new(doc.as_table(), "top level".to_string(), None);
    let mut templates = Templates {
        private_details: root.string(&mut d, "private_details").map(|v| v.value),
        idea: root.string(&mut d, "idea").map(|v| v.value),
        idea_replies: strings(&mut root, &mut d, "idea_replies"),
        ..Templates::default()
    };
    for intent in Intent::ALL {
        let Some(mut s) = root.section(&mut d, intent.as_str()) else {
            d.error(
                None,
                format!(
                    "missing `[{}]`: every intent needs guidance and replies",
                    intent.as_str()
                ),
            );
            continue;
        };
        let guidance = s
            .required_string(&mut d, "guidance")
            .map(|g| g.value)
            .unwrap_or_default();
        let guidance_negative = s.string(&mut d, "guidance_negative").map(|g| g.value);
        let mut lists = Vec::new();
        for key in ["replies", "replies_negative"] {
            let mut list = Vec::new();
            for t in s.string_list(&mut d, key) {
                let unknown = crate::triage::unknown_variables(&t.value);
                if !unknown.is_empty() {
                    d.error(
                        t.span.clone(),
                        format!(
                            "[{}]: unknown variable {{{}}} (variables: {})",
                            intent.as_str(),
                            unknown.join("}, {"),
                            crate::triage::VARIABLES.map(|v| format!("{{{v}}}")).join(", ")
                        ),
                    );
                }
                list.push(t.value);
            }
            lists.push(list);
        }
        if lists[0].is_empty() {
            d.error(
                s.span.clone(),
                format!("[{}]: `replies` needs at least one template", intent.as_str()),
            );
        }
        let replies_negative = lists.pop().unwrap_or_default();
        let replies = lists.pop().unwrap_or_default();
        templates.by_intent.push((
            intent,
            IntentTemplates {
                guidance,
                guidance_negative,
                replies,
                replies_negative,
            },
        ));
        s.finish(&mut d);
    }
    root.finish(&mut d);
    d.into_result(templates)
}
