//! `[triage]` and the triage files it names: the lexicon and the reply templates (both TOML,
//! in `bot-config/triage/`, with built-in copies for configs that have none), and the optional
//! LLM endpoint. Problems in those files are reported with their own `file:line:col`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use secrecy::SecretString;

use super::chat::url;
use super::diag::{ConfigErrors, Diagnostics, Problem};
use super::examples::{parse_examples, LabelledPost};
use super::ops::duration;
use super::section::Section;
use super::{BrandConfig, Needs};
use crate::triage::llm::LlmSettings;
use crate::triage::{Example, Lexicon, LexiconSpec, Model, Templates, Triage};

pub use super::triage_files::{parse_lexicon, parse_templates};

const BUILTIN_LEXICON: &str = include_str!("../../bot-config/triage/lexicon.toml");
const BUILTIN_TEMPLATES: &str = include_str!("../../bot-config/triage/templates.toml");
const BUILTIN_EXAMPLES: &str = include_str!("../../bot-config/triage/examples.jsonl");

/// Everything triage is built from.
#[derive(Debug, Clone)]
pub struct TriageConfig {
    pub lexicon: LexiconSpec,
    pub templates: Templates,
    /// Labelled mentions the model learns from.
    pub examples: Vec<LabelledPost>,
    /// Where the lexicon, templates and examples came from, for `check`.
    pub files: [PathBuf; 3],
    /// `[triage.llm]`: an OpenAI-compatible chat-completions endpoint for reply drafts.
    pub llm: Option<LlmSettings>,
}

impl TriageConfig {
    /// The lexicon, templates and examples bundled with talkback.
    pub fn builtin() -> TriageConfig {
        TriageConfig::from_files([None, None, None], &mut Vec::new())
    }

    /// Each of the three files from `paths` where given, else the built-in copy; problems in
    /// the given files go to `extra`.
    fn from_files(paths: [Option<PathBuf>; 3], extra: &mut Vec<Problem>) -> TriageConfig {
        let [l, t, e] = paths;
        let (lexicon, l) = part(l, "lexicon.toml", BUILTIN_LEXICON, parse_lexicon, extra);
        let (templates, t) = part(t, "templates.toml", BUILTIN_TEMPLATES, parse_templates, extra);
        let (examples, e) = part(e, "examples.jsonl", BUILTIN_EXAMPLES, parse_examples, extra);
        TriageConfig {
            lexicon,
            templates,
            examples,
            files: [l, t, e],
            llm: None,
        }
    }

    /// The triage component: the lexicon, each brand's competitors, and the model trained on
    /// the examples (a few hundred milliseconds for a thousand examples).
    pub fn build(&self, brands: &[BrandConfig]) -> Triage {
        let mut triage = Triage::new(Lexicon::new(&self.lexicon), self.templates.clone());
        for b in brands {
            triage = triage.with_competitors(&b.name, &b.competitors);
        }
        let model = trained(self, brands, || {
            let default_brand = brands.first().map(|b| b.name.as_str()).unwrap_or("Acme");
            let started = std::time::Instant::now();
            let examples: Vec<Example> = self
                .examples
                .iter()
                .map(|e| Example {
                    evidence: triage.evidence(&e.post, e.brand.as_deref().unwrap_or(default_brand)),
                    intent: e.intent,
                    sentiment: e.sentiment,
                })
                .collect();
            let read = started.elapsed();
            let model = Model::train(&examples);
            tracing::debug!(?read, trained = ?started.elapsed() - read, examples = examples.len(), "triage model");
            model
        });
        triage.with_model(model)
    }
}

/// Training is deterministic, so a process that builds triage again from the same lexicon,
/// examples and brands (tests, `demo` after `check`) reuses the model it trained first.
fn trained(config: &TriageConfig, brands: &[BrandConfig], train: impl FnOnce() -> Model) -> Arc<Model> {
    static MODELS: OnceLock<Mutex<HashMap<u64, Arc<Model>>>> = OnceLock::new();
    let mut hasher = DefaultHasher::new();
    format!("{:?}{:?}", config.lexicon, config.examples).hash(&mut hasher);
    for b in brands {
        (&b.name, &b.competitors).hash(&mut hasher);
    }
    let key = hasher.finish();
    let models = MODELS.get_or_init(Default::default);
    if let Some(m) = models.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return m;
    }
    let model = Arc::new(train());
    if let Ok(mut m) = models.lock() {
        m.insert(key, model.clone());
    }
    model
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("<built-in>/triage/{name}"))
}

/// Reads `[triage]`; the files it names (or `triage/*.toml` beside the config, when present)
/// are parsed into `extra` problems of their own.
pub(super) fn triage(
    root: &mut Section,
    d: &mut Diagnostics,
    base: &Path,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
    extra: &mut Vec<Problem>,
) -> TriageConfig {
    let mut lexicon_path = None;
    let mut templates_path = None;
    let mut examples_path = None;
    let mut llm_config = None;
    if let Some(mut s) = root.section(d, "triage") {
        lexicon_path = file_key(&mut s, d, base, "lexicon");
        templates_path = file_key(&mut s, d, base, "templates");
        examples_path = file_key(&mut s, d, base, "examples");
        if let Some(mut l) = s.section(d, "llm") {
            llm_config = llm(&mut l, d, needs, env);
            l.finish(d);
        }
        s.finish(d);
    }
    let paths = [
        (lexicon_path, "lexicon.toml"),
        (templates_path, "templates.toml"),
        (examples_path, "examples.jsonl"),
    ]
    .map(|(given, name)| given.or_else(|| existing(base.join("triage").join(name))));
    let mut config = TriageConfig::from_files(paths, extra);
    config.llm = llm_config;
    config
}

/// One triage file: read and parsed from `path` (its problems go to `extra`), or the built-in
/// copy. A test checks that the built-in copies parse; were one broken, triage would say less.
fn part<T: Default>(
    path: Option<PathBuf>,
    name: &str,
    builtin: &str,
    parse: fn(&Path, &str) -> Result<T, ConfigErrors>,
    extra: &mut Vec<Problem>,
) -> (T, PathBuf) {
    let Some(path) = path else {
        let path = builtin_path(name);
        return (parse(&path, builtin).unwrap_or_default(), path);
    };
    match read(&path).and_then(|src| parse(&path, &src)) {
        Ok(v) => (v, path),
        Err(e) => {
            extra.extend(e.0);
            (T::default(), path)
        }
    }
}

fn existing(p: PathBuf) -> Option<PathBuf> {
    p.is_file().then_some(p)
}

fn file_key(s: &mut Section, d: &mut Diagnostics, base: &Path, key: &'static str) -> Option<PathBuf> {
    let v = s.string(d, key)?;
    let p = base.join(&v.value);
    if !p.is_file() {
        d.error(
            v.span,
            format!("[triage]: `{key}` file `{}` does not exist", p.display()),
        );
        return None;
    }
    Some(p)
}

fn llm(
    s: &mut Section,
    d: &mut Diagnostics,
    needs: Needs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<LlmSettings> {
    let base_url = url(s, d, "base_url");
    let model = s.required_string(d, "model").map(|m| m.value);
    // The key is optional (a local server may need none), and `triage --llm` uses it even
    // though that command needs only the brands: so it is looked up here, not with `secret`.
    let api_key = s.string(d, "api_key_env").and_then(|name| {
        let value = env(&name.value).filter(|v| !v.trim().is_empty());
        if value.is_none() && needs == Needs::Everything {
            d.error(
                name.span,
                super::secrets::unset_variable("[triage.llm]", "api_key_env", &name.value),
            );
        }
        value.map(|v| {
            crate::redact::register(&v);
            SecretString::from(v)
        })
    });
    let timeout = duration(s, d, "timeout", 4).as_std();
    if base_url.is_none() && !s.has("base_url") {
        d.error(s.span.clone(), "[triage.llm]: missing required key `base_url`");
    }
    Some(LlmSettings {
        base_url: base_url?,
        model: model?,
        api_key,
        timeout,
    })
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![Problem {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read the file: {e}"),
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_copies_parse() {
        let mut problems = Vec::new();
        for (name, src) in [("lexicon.toml", BUILTIN_LEXICON), ("templates.toml", BUILTIN_TEMPLATES)] {
            let path = builtin_path(name);
            let ok = match name {
                "lexicon.toml" => parse_lexicon(&path, src).map(|_| ()),
                _ => parse_templates(&path, src).map(|_| ()),
            };
            if let Err(e) = ok {
                problems.extend(e.0);
            }
        }
        let examples = parse_examples(&builtin_path("examples.jsonl"), BUILTIN_EXAMPLES).map_err(|e| e.to_string());
        assert!(problems.is_empty(), "{}", ConfigErrors(problems));
        assert!(examples.expect("examples parse").len() >= 2000);
    }
}
