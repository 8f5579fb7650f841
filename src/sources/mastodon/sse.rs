//! A server-sent events parser for Mastodon's streaming API: bytes in, `(event, data)` out.
//! Comment lines (`:thump`, the heartbeat) are dropped; `data:` lines of one event are joined with
//! newlines; an event ends at a blank line. No I/O here.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of a line not yet complete (a chunk can end mid-line, even mid-character).
    partial: Vec<u8>,
    name: String,
    data: Vec<String>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.partial.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(nl) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if let Some(e) = self.line(line) {
                out.push(e);
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = value.to_string(),
            "data" => self.data.push(value.to_string()),
            // `id` and `retry` are not used by Mastodon; anything else is ignored by the spec.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let name = std::mem::take(&mut self.name);
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(Event {
            name: if name.is_empty() { "message".into() } else { name },
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_across_chunks_and_skips_heartbeats() {
        let mut p = Parser::default();
        assert!(p.push(b":)\n\n:thump\n\nevent: upd").is_empty());
        let events = p.push(b"ate\r\ndata: {\"id\":\"1\"}\r\n\r\nevent: delete\ndata: 1\n\n");
        assert_eq!(
            events,
            vec![
                Event {
                    name: "update".into(),
                    data: "{\"id\":\"1\"}".into()
                },
                Event {
                    name: "delete".into(),
                    data: "1".into()
                },
            ]
        );
        let e = p.push("data: a\ndata: é\n".as_bytes());
        assert!(e.is_empty());
        assert_eq!(p.push(b"\n")[0].data, "a\né");
    }
}
