//! Keeps secrets out of what talkback says. The value of every `*_env` variable is registered
//! here as the config reads it, and `redact` blanks registered values out of text that came from
//! outside — an error body that echoes the credentials it was sent — before that text becomes
//! part of an error, and so before it is logged, stored, audited or said in chat. The readers of
//! error answers call it: `sources::http::classify` (sources and publishers), the XRPC and
//! Discord error readers, Slack's transport errors and the LLM client. `Basic` credentials
//! (base64 of `id:secret`) are blanked by their shape. Short-lived session tokens that networks
//! hand out are not registered.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not registered: blanking every `abc` would garble messages, and no
/// credential any network issues is that short.
const MIN_LEN: usize = 6;

/// Every registered secret in each spelling it can be echoed in, longest first.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `secret` so that `redact` blanks it: as written, form-encoded (an echoed request
/// body) and JSON-escaped (an echoed JSON body).
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_LEN {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    for spelling in spellings(secret) {
        if !known.contains(&spelling) {
            known.push(spelling);
        }
    }
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

fn spellings(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    if let Ok(form) = serde_urlencoded::to_string([("", secret)]) {
        out.push(form.trim_start_matches('=').to_string());
    }
    if let Ok(json) = serde_json::to_string(secret) {
        out.push(json.trim_matches('"').to_string());
    }
    out.dedup();
    out
}

/// `text` with every registered secret, and every `Basic` credential, replaced by `[redacted]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
        for secret in known.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    match basic_credentials(&out) {
        Some(redacted) => Cow::Owned(redacted),
        None => out,
    }
}

/// Blanks each `Basic <base64 of id:secret>` credential, or `None` when there is none.
fn basic_credentials(text: &str) -> Option<String> {
    const SCHEME: &str = "basic ";
    let lower = text.to_ascii_lowercase();
    let (mut out, mut kept, mut from) = (String::new(), 0, 0);
    while let Some(at) = lower[from..].find(SCHEME).map(|i| from + i) {
        let start = at + SCHEME.len();
        let len = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
            .unwrap_or(text.len() - start);
        from = start + len;
        if decodes_to_credentials(&text[start..from]) {
            out.push_str(&text[kept..start]);
            out.push_str(REDACTED);
            kept = from;
        }
    }
    (kept > 0).then(|| out + &text[kept..])
}

/// True when `b64` is base64 of `something:something`, as a `Basic` credential is.
fn decodes_to_credentials(b64: &str) -> bool {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in b64.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return false,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    let colon = bytes.iter().position(|b| *b == b':');
    bytes.len() >= 3 && colon.is_some_and(|i| i > 0 && i + 1 < bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_blanked_in_every_spelling() {
        register("s3cr3t-t0ken/with+chars");
        let echoed = "401: bad token s3cr3t-t0ken/with+chars in password=s3cr3t-t0ken%2Fwith%2Bchars";
        assert_eq!(redact(echoed), "401: bad token [redacted] in password=[redacted]");
        register("quote\"d-secret");
        assert_eq!(
            redact(r#"{"password":"quote\"d-secret"}"#),
            r#"{"password":"[redacted]"}"#
        );
        assert!(matches!(redact("nothing to hide here"), Cow::Borrowed(_)));
    }

    #[test]
    fn basic_credentials_are_blanked_by_their_shape() {
        assert_eq!(
            redact("you sent authorization=Basic cmVkZGl0LWlkOnJlZGRpdC1zZWNyZXQ= body=x"),
            "you sent authorization=Basic [redacted] body=x"
        );
        assert_eq!(
            redact("AUTHORIZATION: BASIC dXNlcjpwYXNzd29yZA"),
            "AUTHORIZATION: BASIC [redacted]"
        );
        for plain in ["a basic question", "Basic Authentication required", "basic "] {
            assert_eq!(redact(plain), plain);
        }
    }

    #[test]
    fn short_values_are_not_registered() {
        register("abc");
        register("  ");
        assert_eq!(redact("abc is fine"), "abc is fine");
    }
}
