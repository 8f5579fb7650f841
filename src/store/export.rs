//! The whole store as JSON lines, for backup and migration (`talkback export` / `import`).
//! Only primary records are written; the indexes are rebuilt from them on import.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::mention::Mention;
use super::mentions::brand_key;
use super::records::{ActivityEntry, AuditEntry, OutboxEntry};
use super::{be_u64, encode, Store, StoreError, NEXT_MENTION_ID};

/// One line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record {
    Meta { next_mention_id: u64 },
    Cursor { source: String, cursor: String },
    Mention(Box<Mention>),
    Outbox(OutboxEntry),
    Activity(ActivityEntry),
    Audit(AuditEntry),
}

impl Store {
    /// Writes every record; returns how many lines were written.
    pub fn export(&self, out: &mut dyn Write) -> Result<usize, StoreError> {
        let mut n = 0;
        let mut line = |r: &Record, out: &mut dyn Write| -> Result<(), StoreError> {
            out.write_all(&encode(r))?;
            out.write_all(b"\n")?;
            n += 1;
            Ok(())
        };
        let next = self.inner.meta.get(NEXT_MENTION_ID)?.map(|v| be_u64(&v)).unwrap_or(1);
        line(&Record::Meta { next_mention_id: next }, out)?;
        for e in self.inner.cursors.iter() {
            let (k, v) = e?;
            let source = String::from_utf8_lossy(&k).into_owned();
            let cursor = String::from_utf8_lossy(&v).into_owned();
            line(&Record::Cursor { source, cursor }, out)?;
        }
        for m in self.all_mentions() {
            line(&Record::Mention(Box::new(m?)), out)?;
        }
        for o in self.outbox_all()? {
            line(&Record::Outbox(o), out)?;
        }
        for a in self.activity(None)? {
            line(&Record::Activity(a), out)?;
        }
        for a in self.audit_log(None)? {
            line(&Record::Audit(a), out)?;
        }
        out.flush()?;
        Ok(n)
    }

    /// Reads an export into this store, which must be empty. Returns how many records were read.
    pub async fn import(&self, input: &mut dyn BufRead) -> Result<usize, StoreError> {
        if !self.inner.mentions.is_empty() || !self.inner.cursors.is_empty() || !self.inner.audit.is_empty() {
            return Err(StoreError::NotEmpty(self.path().to_path_buf()));
        }
        let mut n = 0;
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(&line).map_err(|e| StoreError::Import {
                line: i + 1,
                message: e.to_string(),
            })?;
            self.import_record(record)?;
            n += 1;
        }
        self.flush().await?;
        Ok(n)
    }

    fn import_record(&self, record: Record) -> Result<(), StoreError> {
        let t = &self.inner;
        match record {
            Record::Meta { next_mention_id } => {
                let current = t.meta.get(NEXT_MENTION_ID)?.map(|v| be_u64(&v)).unwrap_or(1);
                t.meta
                    .insert(NEXT_MENTION_ID, &next_mention_id.max(current).to_be_bytes())?;
            }
            Record::Cursor { source, cursor } => {
                t.cursors.insert(source.as_bytes(), cursor.as_bytes())?;
            }
            Record::Mention(m) => self.import_mention(&m)?,
            Record::Outbox(o) => {
                t.outbox.insert(o.key.as_bytes(), encode(&o))?;
            }
            Record::Activity(a) => {
                self.record_activity(&a)?;
            }
            Record::Audit(a) => self.put_audit(&a)?,
        }
        Ok(())
    }

    fn import_mention(&self, m: &Mention) -> Result<(), StoreError> {
        let t = &self.inner;
        t.mentions.insert(m.id.0.to_be_bytes(), encode(m))?;
        let key = brand_key(m.post.network, &m.post.id, &m.brand);
        t.by_post.insert(key, &m.id.0.to_be_bytes())?;
        let network = m.post.network;
        self.add_to_thread(network, &m.post.id, m.id)?;
        for p in &m.conversation {
            self.add_to_thread(p.network, &p.id, m.id)?;
        }
        for r in &m.replies {
            self.add_to_thread(network, &r.post_id, m.id)?;
        }
        if m.alert.is_none() {
            t.pending.insert(m.id.0.to_be_bytes(), &[])?;
        }
        let next = t.meta.get(NEXT_MENTION_ID)?.map(|v| be_u64(&v)).unwrap_or(1);
        if m.id.0 >= next {
            t.meta.insert(NEXT_MENTION_ID, &(m.id.0 + 1).to_be_bytes())?;
        }
        Ok(())
    }
}
