//! The words triage looks for, the guidance per intent and the reply templates.

use crate::domain::{Intent, Sentiment};

#[derive(Debug, Clone)]
pub struct Lexicon {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
    pub negators: Vec<String>,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon {
            positive: words(&[
                "love",
                "loving",
                "great",
                "awesome",
                "amazing",
                "thanks",
                "thank you",
                "excellent",
                "fantastic",
                "impressed",
                "happy",
                "nice",
                "best",
                "brilliant",
                "smooth",
                "kudos",
                "shoutout",
                "perfect",
                "🎉",
                "❤️",
                "😍",
                "🙌",
                "👏",
            ]),
            negative: words(&[
                "broken",
                "down",
                "outage",
                "terrible",
                "awful",
                "worst",
                "hate",
                "angry",
                "frustrated",
                "disappointed",
                "refund",
                "crash",
                "crashes",
                "error",
                "fails",
                "failing",
                "failed",
                "bug",
                "unusable",
                "slow",
                "overcharged",
                "ridiculous",
                "useless",
                "waiting",
                "no response",
                "😡",
                "🤬",
                "👎",
            ]),
            negators: words(&[
                "not ",
                "never ",
                "no longer ",
                "isn't ",
                "doesn't ",
                "don't ",
                "wasn't ",
                "hardly ",
            ]),
        }
    }
}

fn has_any(text: &str, list: &[&str]) -> bool {
    list.iter().any(|w| text.contains(w))
}

impl Lexicon {
    /// Counts positive and negative cues; a negator just before a cue flips it.
    pub fn sentiment(&self, text: &str) -> Sentiment {
        let mut score = 0i32;
        for (list, sign) in [(&self.positive, 1), (&self.negative, -1)] {
            for w in list.iter() {
                for (at, _) in text.match_indices(w.as_str()) {
                    let before = &text[..at];
                    let window: String = before
                        .chars()
                        .rev()
                        .take(12)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    let negated = self.negators.iter().any(|n| window.ends_with(n.as_str()));
                    score += if negated { -sign } else { sign };
                }
            }
        }
        match score {
            s if s > 0 => Sentiment::Positive,
            s if s < 0 => Sentiment::Negative,
            _ => Sentiment::Neutral,
        }
    }

    pub fn intent(&self, text: &str, sentiment: Sentiment) -> Intent {
        if has_any(
            text,
            &[
                " vs ",
                " vs. ",
                "versus",
                "cheaper",
                "compared to",
                "switching to",
                "switch to",
                "alternative to",
                "better than",
            ],
        ) {
            return Intent::Comparison;
        }
        if has_any(
            text,
            &[
                "bug",
                "crash",
                "error",
                "stack trace",
                "500",
                "broken",
                "doesn't work",
                "does not work",
                "fails to",
                "returns",
            ],
        ) {
            return Intent::BugReport;
        }
        if sentiment == Sentiment::Positive && !text.contains('?') {
            return Intent::Praise;
        }
        if has_any(
            text,
            &[
                "pricing",
                "how much",
                "buy",
                "purchase",
                "sign up",
                "trial",
                "quote",
                "upgrade to",
                "looking for a",
            ],
        ) && sentiment != Sentiment::Negative
        {
            return Intent::PurchaseIntent;
        }
        if sentiment == Sentiment::Negative {
            return Intent::Complaint;
        }
        if text.contains('?')
            || has_any(
                text,
                &[
                    "anyone know",
                    "does anyone",
                    "how do i",
                    "how to",
                    "wondering",
                    "is there a way",
                ],
            )
        {
            return Intent::Question;
        }
        if sentiment == Sentiment::Positive {
            return Intent::Praise;
        }
        Intent::Other
    }
}

pub fn guidance(intent: Intent) -> &'static str {
    match intent {
        Intent::Question => "Answer the question directly and link to the doc; offer to follow up.",
        Intent::Complaint => "Acknowledge before explaining; take account details to a private channel.",
        Intent::BugReport => "Thank them, confirm you can reproduce or ask for steps, and say what happens next.",
        Intent::Praise => "Thank them warmly and personally; no upsell.",
        Intent::Comparison => "Never argue price in public: state what you do well and invite a conversation.",
        Intent::PurchaseIntent => "Help them decide; answer what they asked, no hard sell in the thread.",
        Intent::Other => "Listen first: reply only if you can add something useful.",
    }
}

pub fn templates(intent: Intent) -> &'static [&'static str] {
    match intent {
        Intent::Question => &[
            "Hi {first_name}! Good question: yes, we can help with that. Here's how it works in {brand} →",
            "Thanks for asking, {first_name}! Let me point you to the right place in our docs.",
        ],
        Intent::Complaint => &[
            "{first_name}, I'm sorry about this, that's not the experience we want. Could you DM us your account email so we can sort it out?",
            "Thanks for telling us, {first_name}. We're looking into it now and will update you here.",
        ],
        Intent::BugReport => &[
            "Thanks for the report, {first_name}! Could you share the steps to reproduce? We'll dig in.",
            "Thanks {first_name}, we can see this too and are working on a fix. We'll reply here when it ships.",
        ],
        Intent::Praise => &[
            "Thank you, {first_name}! This made the team's day 💙",
            "So glad it's working well for you, {first_name}. Thanks for the kind words!",
        ],
        Intent::Comparison => &[
            "Thanks for considering {brand}, {first_name}! Happy to walk you through what's included. Want to chat?",
        ],
        Intent::PurchaseIntent => &[
            "Hi {first_name}! Happy to help you choose. What are you planning to run on {brand}?",
        ],
        Intent::Other => &["Thanks for mentioning {brand}, {first_name}!"],
    }
}
