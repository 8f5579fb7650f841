//! Cron jobs: a name, a schedule in a timezone and an async callback, and when each runs next.
//! The store remembers each job's last run, so a restart neither repeats a run nor, within
//! `GRACE`, misses one. What a job does (digest, nudge) is its callback's business.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use futures_util::future::BoxFuture;

use super::times::{next_fire, prev_fire};
use crate::config::{BrandConfig, CronSchedule};
use crate::store::{Store, StoreError};

/// A run missed while talkback was down is made up on start if it fell due at most this long
/// ago; older ones are skipped (a 09:00 digest at 15:00 is noise).
pub const GRACE: Duration = Duration::hours(1);

/// What a job does; it gets the time it was scheduled for (not when it started).
pub type JobFn = Arc<dyn Fn(DateTime<Utc>) -> BoxFuture<'static, ()> + Send + Sync>;

/// A job on a cron schedule, read on the wall clock of `tz`.
#[derive(Clone)]
pub struct Job {
    /// The key of its last run in the store: keep it stable (`digest:Acme`).
    pub name: String,
    pub schedule: CronSchedule,
    pub tz: Tz,
    pub run: JobFn,
}

impl Job {
    pub fn new<F, Fut>(name: impl Into<String>, schedule: CronSchedule, tz: Tz, f: F) -> Job
    where
        F: Fn(DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Job {
            name: name.into(),
            schedule,
            tz,
            run: Arc::new(move |at| Box::pin(f(at))),
        }
    }

    /// One job per brand, named `{name}:{brand}`, in that brand's timezone. `f` gets the
    /// brand's name and the scheduled time: the way the digest and the nudge are registered.
    pub fn per_brand<F, Fut>(name: &str, schedule: &CronSchedule, brands: &[BrandConfig], f: F) -> Vec<Job>
    where
        F: Fn(String, DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let f = Arc::new(f);
        brands
            .iter()
            .map(|b| {
                let (f, brand) = (f.clone(), b.name.clone());
                Job::new(format!("{name}:{}", b.name), schedule.clone(), b.timezone, move |at| {
                    f(brand.clone(), at)
                })
            })
            .collect()
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_fire(&self.schedule.schedule, self.tz, after)
    }

    /// When this job should first run after a start at `now`, given its stored last run.
    ///
    /// No stored run means the job is new: nothing before `now` is owed (the scheduler records
    /// `now` as its starting point, so a crash before the first run is made up on restart).
    pub fn first_due(&self, last_run: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let (Some(last), Some(prev)) = (last_run, prev_fire(&self.schedule.schedule, self.tz, now)) {
            if last < prev && now - prev <= GRACE {
                return Some(prev);
            }
        }
        self.next_after(last_run.map_or(now, |l| l.max(now)))
    }
}

/// A job and when it runs next.
pub(super) struct Planned {
    pub job: Job,
    pub next: Option<DateTime<Utc>>,
}

/// Reads every job's last run and decides its first due time; records a starting point for
/// jobs the store has never seen.
pub(super) async fn plan(jobs: Vec<Job>, store: &Store, now: DateTime<Utc>) -> Result<Vec<Planned>, StoreError> {
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let last = store.job_last_run(&job.name)?;
        if last.is_none() {
            store.set_job_last_run(&job.name, now).await?;
        }
        let next = job.first_due(last, now);
        tracing::debug!(job = %job.name, schedule = %job.schedule, ?next, "job planned");
        out.push(Planned { job, next });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(src: &str) -> Job {
        Job::new("t", src.parse().unwrap(), chrono_tz::UTC, |_| async {})
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_restart_makes_up_a_missed_run_only_within_the_grace_window() {
        let j = job("0 0 17 * * *");
        let before = Some(utc("2026-11-20T16:30:00Z"));
        let ran = Some(utc("2026-11-20T17:00:00Z"));
        let now = utc("2026-11-20T17:20:00Z");
        assert_eq!(
            j.first_due(before, now),
            Some(utc("2026-11-20T17:00:00Z")),
            "missed: run now"
        );
        assert_eq!(
            j.first_due(ran, now),
            Some(utc("2026-11-21T17:00:00Z")),
            "ran: not again"
        );
        assert_eq!(
            j.first_due(None, now),
            Some(utc("2026-11-21T17:00:00Z")),
            "new: nothing owed"
        );
        let late = utc("2026-11-20T18:30:00Z");
        assert_eq!(
            j.first_due(before, late),
            Some(utc("2026-11-21T17:00:00Z")),
            "beyond grace"
        );
    }
}
