//! LLM drafts for a stored mention, with the templates as the fallback: asks the model (bounded
//! by its timeout), puts its drafts first and fills up to three with the template drafts; on any
//! failure the template drafts stay. Only suggestions: a person still picks and sends.

use std::collections::HashMap;

use super::llm::{DraftRequest, LlmDrafter, LlmSettings, ThreadLine};
use super::{draft_limit, first_name};
use crate::config::BrandConfig;
use crate::store::{Drafts, Mention, TriageResult};

pub struct LlmSuggester {
    drafter: LlmDrafter,
    model: String,
    /// Brand (lowercase) → its voice from the config.
    voices: HashMap<String, String>,
}

impl LlmSuggester {
    pub fn new(settings: LlmSettings, http: reqwest::Client, brands: &[BrandConfig]) -> LlmSuggester {
        let voices = brands
            .iter()
            .filter_map(|b| b.voice.clone().map(|v| (b.name.to_lowercase(), v)))
            .collect();
        LlmSuggester {
            model: settings.model.clone(),
            drafter: LlmDrafter::new(settings, http),
            voices,
        }
    }

    /// True when the mention still has only template drafts that nobody asked the model about.
    pub fn wants(&self, mention: &Mention) -> bool {
        mention.triage.as_ref().is_some_and(|t| t.drafts == Drafts::Templates)
    }

    /// The mention's triage with the model's drafts in front, or with the reason it fell back.
    pub async fn improve(&self, mention: &Mention) -> Option<TriageResult> {
        let triage = mention.triage.as_ref()?;
        let post = &mention.post;
        let thread: Vec<ThreadLine> = mention
            .conversation
            .iter()
            .map(|p| ThreadLine {
                author: p.author_label(),
                text: p.text.clone(),
            })
            .collect();
        let author = post.author_label();
        let first = first_name(post);
        let request = DraftRequest {
            brand: &mention.brand,
            voice: self.voices.get(&mention.brand.to_lowercase()).map(String::as_str),
            network: post.network,
            max_chars: draft_limit(post),
            intent: triage.intent,
            sentiment: triage.sentiment,
            guidance: &triage.guidance,
            author: &author,
            first_name: &first,
            title: post.title.as_deref(),
            text: &post.text,
            thread: &thread,
        };
        let mut better = triage.clone();
        match self.drafter.drafts(&request).await {
            Ok(drafts) => {
                let mut suggestions = drafts;
                for t in &triage.suggestions {
                    if suggestions.len() >= 3 {
                        break;
                    }
                    if !suggestions.contains(t) {
                        suggestions.push(t.clone());
                    }
                }
                better.suggestions = suggestions;
                better.drafts = Drafts::Llm {
                    model: self.model.clone(),
                };
            }
            Err(e) => {
                crate::metrics::error(crate::metrics::ErrorKind::Llm);
                tracing::warn!(mention = %mention.id, error = %e, "LLM drafts failed; keeping the template drafts");
                better.drafts = Drafts::Fallback { reason: e.to_string() };
            }
        }
        Some(better)
    }
}
