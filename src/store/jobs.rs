//! When each scheduled job last ran, so a restart neither repeats a run nor forgets one. A small
//! tree of its own (`jobs`: job name → time); it holds no mentions and is not exported.

use chrono::{DateTime, Utc};

use super::{decode, encode, Store, StoreError};

const TREE: &str = "jobs";

impl Store {
    fn jobs(&self) -> Result<sled::Tree, StoreError> {
        // sled keeps opened trees in a map: opening again is a lookup, not a second tree.
        Ok(self.inner.db.open_tree(TREE)?)
    }

    /// The newest scheduled time `job` ran for (or the time the scheduler first saw it), if any.
    pub fn job_last_run(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.jobs()?.get(job.as_bytes())? {
            Some(v) => decode("job's last run", &v).map(Some),
            None => Ok(None),
        }
    }

    /// Records that `job` ran for the time `at` and flushes, before the job does anything.
    pub async fn set_job_last_run(&self, job: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.jobs()?.insert(job.as_bytes(), encode(&at))?;
        self.flush().await
    }
}
