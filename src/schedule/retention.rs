//! The retention job: once an hour, the store forgets what has been idle longer than
//! `[store] keep_for` (`Store::prune`). Store only; it never talks to chat or a network.

use chrono::{DateTime, Utc};

use super::Job;
use crate::clock::SharedClock;
use crate::domain::HumanDuration;
use crate::store::{Pruned, Store, StoreError};

/// Every hour at a quarter past, so it does not start with the digests and nudges on the hour.
const EVERY_HOUR: &str = "0 15 * * * *";

/// The job the scheduler runs; its name keys its last run in the store.
pub fn retention_job(store: Store, clock: SharedClock, keep_for: HumanDuration) -> Job {
    // A constant, checked by the test below.
    let schedule = EVERY_HOUR.parse().expect("EVERY_HOUR is a cron schedule");
    Job::new("retention", schedule, chrono_tz::UTC, move |_| {
        let (store, cutoff) = (store.clone(), clock.now() - keep_for.as_chrono());
        async move {
            match prune(store, cutoff).await {
                Ok(p) if p.is_empty() => tracing::debug!(%cutoff, "retention: nothing to forget"),
                Ok(p) => tracing::info!(
                    %cutoff,
                    mentions = p.mentions,
                    outbox = p.outbox,
                    audit = p.audit,
                    activity = p.activity,
                    "retention: forgot what was idle since before the cutoff"
                ),
                Err(e) => {
                    crate::metrics::error(crate::metrics::ErrorKind::Store);
                    tracing::error!(error = %e, "retention failed; the next run tries again");
                }
            }
        }
    })
}

/// One pass and its count in the metrics.
pub async fn prune(store: Store, cutoff: DateTime<Utc>) -> Result<Pruned, StoreError> {
    let pruned = store.prune_and_flush(cutoff).await?;
    crate::metrics::mentions_pruned(pruned.mentions);
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hourly_at_a_quarter_past() {
        let store_dir = tempfile::tempdir().unwrap();
        let store = Store::open(store_dir.path()).unwrap();
        let clock: SharedClock = std::sync::Arc::new(crate::clock::SystemClock);
        let job = retention_job(store, clock, "30d".parse().unwrap());
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            job.next_after(at("2026-11-24T08:20:00Z")),
            Some(at("2026-11-24T09:15:00Z"))
        );
    }
}
