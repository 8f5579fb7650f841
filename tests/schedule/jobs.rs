//! Cron jobs: a brand's timezone, both DST changes, and restarts with and without a missed run.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use talkback::schedule::Job;

use crate::bench::{hours, mins, utc, Bench};

/// A job that records the times it was scheduled for.
fn recording_job(name: &str, schedule: &str, tz: chrono_tz::Tz) -> (Job, Arc<Mutex<Vec<DateTime<Utc>>>>) {
    let runs = Arc::new(Mutex::new(Vec::new()));
    let seen = runs.clone();
    let job = Job::new(name, schedule.parse().unwrap(), tz, move |at| {
        let seen = seen.clone();
        async move { seen.lock().unwrap().push(at) }
    });
    (job, runs)
}

fn runs(r: &Arc<Mutex<Vec<DateTime<Utc>>>>) -> Vec<DateTime<Utc>> {
    r.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn a_five_pm_new_york_job_runs_at_22z_in_winter() {
    let b = Bench::new("America/New_York", "", "2026-11-20T12:00:00Z");
    let ran = Arc::new(Mutex::new(Vec::new()));
    let seen = ran.clone();
    let schedule = "0 0 17 * * Mon-Fri".parse().unwrap();
    let jobs = Job::per_brand("nudge", &schedule, &b.config.brands, move |brand, at| {
        let seen = seen.clone();
        async move { seen.lock().unwrap().push((brand, at)) }
    });
    let run = b.start(b.scheduler().with_jobs(jobs)).await;
    b.advance(hours(10) - mins(1)).await;
    assert!(ran.lock().unwrap().is_empty());
    b.advance(mins(1)).await;
    assert_eq!(
        *ran.lock().unwrap(),
        [("Acme".to_string(), utc("2026-11-20T22:00:00Z"))]
    );
    assert_eq!(
        b.store.job_last_run("nudge:Acme").unwrap(),
        Some(utc("2026-11-20T22:00:00Z"))
    );
    b.advance(Duration::days(2)).await; // the weekend
    assert_eq!(ran.lock().unwrap().len(), 1);
    run.stop().await;
}

/// Steps both clocks by ten minutes until `until`.
async fn walk(b: &Bench, until: &str) {
    while b.now() < utc(until) {
        b.advance(mins(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_at_two_thirty_berlin_survives_both_dst_changes_once_each() {
    let b = Bench::new("Europe/Berlin", "", "2026-03-28T12:00:00Z");
    let (job, ran) = recording_job("night", "0 30 2 * * *", chrono_tz::Europe::Berlin);
    let run = b.start(b.scheduler().with_job(job)).await;
    walk(&b, "2026-03-30T12:00:00Z").await;
    // 02:30 did not exist on the 29th: it ran at 03:00 CEST, the end of the gap.
    assert_eq!(runs(&ran), [utc("2026-03-29T01:00:00Z"), utc("2026-03-30T00:30:00Z")]);

    b.advance(utc("2026-10-24T12:00:00Z") - b.now()).await;
    ran.lock().unwrap().clear();
    walk(&b, "2026-10-26T12:00:00Z").await;
    // 02:30 happened twice on the 25th (CEST, then CET): it ran at the first only.
    assert_eq!(runs(&ran), [utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]);
    run.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_after_a_run_does_not_repeat_it() {
    let b = Bench::new("UTC", "", "2026-11-20T16:00:00Z");
    let (job, ran) = recording_job("digest", "0 0 17 * * *", chrono_tz::UTC);
    let first = b.start(b.scheduler().with_job(job.clone())).await;
    b.advance(hours(1)).await;
    assert_eq!(runs(&ran), [utc("2026-11-20T17:00:00Z")]);
    first.crash().await;
    b.advance(mins(10)).await;
    let second = b.start(b.scheduler().with_job(job)).await;
    assert_eq!(runs(&ran).len(), 1, "not repeated after the restart");
    b.advance(hours(24)).await;
    assert_eq!(runs(&ran), [utc("2026-11-20T17:00:00Z"), utc("2026-11-21T17:00:00Z")]);
    second.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_run_missed_while_down_is_made_up_within_the_grace_window_only() {
    for (down_until, made_up) in [("2026-11-20T17:20:00Z", true), ("2026-11-20T18:30:00Z", false)] {
        let b = Bench::new("UTC", "", "2026-11-20T16:00:00Z");
        let (job, ran) = recording_job("digest", "0 0 17 * * *", chrono_tz::UTC);
        let first = b.start(b.scheduler().with_job(job.clone())).await;
        b.advance(mins(30)).await;
        first.crash().await; // down from 16:30
        b.advance(utc(down_until) - b.now()).await;
        let second = b.start(b.scheduler().with_job(job)).await;
        let expected = if made_up {
            vec![utc("2026-11-20T17:00:00Z")]
        } else {
            vec![]
        };
        assert_eq!(runs(&ran), expected, "back at {down_until}");
        b.advance(hours(1)).await;
        assert_eq!(runs(&ran), expected, "once only");
        second.stop().await;
    }
}

/// `[store] keep_for` through the app's own scheduler: the hourly retention job forgets a
/// mention nobody touched for that long, no sooner, and keeps one still inside the window.
#[tokio::test(start_paused = true)]
async fn the_app_forgets_mentions_idle_for_keep_for_within_the_hour() {
    use talkback::app::App;
    use talkback::clock::ManualClock;
    use talkback::config::{Config, Needs};
    use talkback::domain::Post;
    use talkback::store::{Ingested, MessageRef, StoreError};

    let dir = tempfile::tempdir().unwrap();
    let text = "[store]\nkeep_for = \"7d\"\n\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n";
    let config = Config::from_str(&dir.path().join("talkback.toml"), text, Needs::Everything, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(utc("2026-11-01T09:00:00Z"));
    let sink: talkback::chat::console::Output = Arc::new(Mutex::new(Box::new(std::io::sink())));
    let store_path = config.store.path.clone();
    let app = App::build(config, &store_path, Arc::new(clock.clone()), sink).unwrap();
    let alerted = |post_id: &str| {
        let post: Post =
            serde_json::from_value(serde_json::json!({"network": "mastodon", "id": post_id, "text": "acme?"})).unwrap();
        let Ingested::New(m) = app
            .store
            .insert_mention("Acme", &post, None, false, clock.now())
            .unwrap()
        else {
            panic!("a new mention");
        };
        let msg = MessageRef {
            platform: "console".into(),
            channel: "alerts".into(),
            id: post_id.into(),
            group: vec![],
        };
        app.store.mark_alerted(m.id, msg).unwrap();
        // Dismissed, so no nag moves its last activity.
        let op = talkback::domain::ChatUser::new("console", "op");
        app.store.update(m.id, |m| m.dismiss(&op, None, clock.now())).unwrap();
        m.id
    };
    use talkback::clock::Clock;
    let old = alerted("1");
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(app.scheduler().run(shutdown));
    let step = |by: Duration| {
        let clock = clock.clone();
        async move {
            clock.advance(by);
            tokio::time::advance(by.to_std().unwrap()).await;
            crate::bench::settle().await;
        }
    };
    step(Duration::days(5)).await;
    let recent = alerted("2");
    let idle_since = app.store.mention(old).unwrap().last_activity();
    assert_eq!(idle_since, utc("2026-11-01T09:00:00Z"));
    while clock.now() < idle_since + Duration::days(7) - hours(1) {
        step(hours(1)).await;
    }
    assert!(app.store.mention(old).is_ok(), "kept until seven days are up");
    // Then gone within the hour, at the job's next run.
    step(hours(2)).await;
    assert!(matches!(app.store.mention(old), Err(StoreError::NoSuchMention(_))));
    assert!(app.store.mention(recent).is_ok());
    assert!(app.store.job_last_run("retention").unwrap().is_some());
    stop.send(true).unwrap();
    task.await.unwrap();
}
