//! The scheduler (design §7): nags and cron jobs (the digest, the nudge and retention register as jobs),
//! in each brand's timezone. It sleeps until the next due nag or job and is woken early when
//! mentions change. It is an edge of the app, like the sources: it stops on the shutdown flag.
//! It never posts alerts and never calls a network; it talks to chat and the store only.

mod jobs;
mod nags;
mod retention;
pub mod times;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::chat::dispatch::ChannelRoutes;
use crate::chat::ChatAdapter;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::store::{Store, StoreError};

pub use jobs::{Job, JobFn, GRACE};
pub use nags::{nag_text, next_nag_at, Nagger};
pub use retention::{prune, retention_job};

/// The longest single sleep. Tokio sleeps on the monotonic clock, the due times are wall-clock
/// times: waking now and then keeps a suspended machine or a clock step from delaying a nag
/// for hours. Not a sweep: a pass that finds nothing due just sleeps again.
const MAX_SLEEP: Duration = Duration::from_secs(15 * 60);

/// The shortest sleep, so nothing that stays due can make the loop spin.
const MIN_SLEEP: Duration = Duration::from_secs(1);

/// How long shutdown waits for jobs already started.
const JOB_DRAIN: Duration = Duration::from_secs(10);

/// After a store failure, try again this much later.
const RETRY: Duration = Duration::from_secs(30);

/// Pokes the scheduler when a mention changed (new alert, snooze, claim, reopen), so a nag that
/// is now due earlier than it planned goes out on time. Cheap to clone; a poke while the
/// scheduler is busy is kept for its next sleep.
#[derive(Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

pub struct Scheduler {
    nags: Nagger,
    jobs: Vec<Job>,
    store: Store,
    clock: SharedClock,
    wake: Wakeup,
}

impl Scheduler {
    /// Nags per `config.nag`, sent through `chat`; escalations go where `routes` sends the brand.
    pub fn new(
        config: &Config,
        store: Store,
        clock: SharedClock,
        chat: Arc<dyn ChatAdapter>,
        routes: ChannelRoutes,
    ) -> Scheduler {
        Scheduler {
            nags: Nagger::new(config, store.clone(), chat, routes),
            jobs: Vec::new(),
            store,
            clock,
            wake: Wakeup::default(),
        }
    }

    /// Uses `wake` (shared with the dispatcher and the commands) instead of its own.
    pub fn with_wakeup(mut self, wake: Wakeup) -> Scheduler {
        self.wake = wake;
        self
    }

    pub fn with_job(mut self, job: Job) -> Scheduler {
        self.jobs.push(job);
        self
    }

    /// E.g. `.with_jobs(Job::per_brand("digest", &config.digest.schedule, &config.brands, f))`.
    pub fn with_jobs(mut self, jobs: impl IntoIterator<Item = Job>) -> Scheduler {
        self.jobs.extend(jobs);
        self
    }

    /// What pokes this scheduler.
    pub fn wakeup(&self) -> Wakeup {
        self.wake.clone()
    }

    /// Runs until `shutdown` turns true; then waits (briefly) for jobs already started.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let jobs = std::mem::take(&mut self.jobs);
        let mut plans = loop {
            match jobs::plan(jobs.clone(), &self.store, self.clock.now()).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the jobs' last runs; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
            }
        };
        let mut running = JoinSet::new();
        while !*shutdown.borrow() {
            let next = self.pass(&mut plans, &mut running, &shutdown).await;
            let wait = match next {
                Some(t) => (t - self.clock.now()).to_std().unwrap_or(Duration::ZERO),
                None => MAX_SLEEP,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait.clamp(MIN_SLEEP, MAX_SLEEP)) => {}
                _ = self.wake.0.notified() => {}
                changed = shutdown.changed() => if changed.is_err() { break },
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "a scheduled job panicked");
                    }
                }
            }
        }
        // Let started jobs finish their message; one that hangs does not hold up the shutdown.
        let drain = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(JOB_DRAIN, drain).await.is_err() {
            tracing::warn!("a scheduled job was still running at shutdown and was stopped");
        }
        tracing::info!("scheduler stopped");
    }

    /// Starts the jobs and sends the nags that are due; returns when the next thing is due.
    async fn pass(
        &self,
        plans: &mut [jobs::Planned],
        running: &mut JoinSet<()>,
        shutdown: &watch::Receiver<bool>,
    ) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        let mut next = None;
        for p in plans.iter_mut() {
            if p.next.is_some_and(|t| t <= now) {
                if let Err(e) = self.start(p, now, running).await {
                    tracing::error!(job = %p.job.name, error = %e, "cannot record a job's run; retrying");
                    return Some(now + chrono::Duration::from_std(RETRY).unwrap_or_default());
                }
            }
            next = earliest(next, p.next);
        }
        match self.nags.pass_while(now, || !*shutdown.borrow()).await {
            Ok(due) => earliest(next, due),
            Err(e) => {
                tracing::error!(error = %e, "nags failed; retrying");
                earliest(next, Some(now + chrono::Duration::from_std(RETRY).unwrap_or_default()))
            }
        }
    }

    /// Records the run (flushed: a restart will not repeat it), then starts the job.
    async fn start(
        &self,
        p: &mut jobs::Planned,
        now: DateTime<Utc>,
        running: &mut JoinSet<()>,
    ) -> Result<(), StoreError> {
        let Some(at) = p.next else { return Ok(()) };
        self.store.set_job_last_run(&p.job.name, at).await?;
        tracing::info!(job = %p.job.name, scheduled = %at, "job started");
        running.spawn((p.job.run)(at));
        // Runs missed while this one was late are not stacked up: the next is after now.
        p.next = p.job.next_after(at.max(now));
        Ok(())
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
