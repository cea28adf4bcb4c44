//! The app's view of its probes, driven by failing and healing a check over
//! HTTP: the snapshot follows the runs, and a consumer waiting for
//! readiness pauses and resumes with them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use healthz::Probe;
use healthz::Status;
use healthz::health::Snapshot;
use healthz::{Checks, HealthError, Healthz, Lifecycle};

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .unwrap_or_else(|_| panic!("{what} within 5 s"))
}

#[tokio::test]
async fn the_snapshot_and_its_changes_follow_the_runs() {
    let database_up = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let lifecycle = Lifecycle::new();
    let app = Healthz::new()
        .live(|| ())
        .ready({
            let (database_up, runs) = (database_up.clone(), runs.clone());
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                let up = database_up.load(Ordering::SeqCst);
                Checks::new().check("database", async move {
                    match up {
                        true => Ok(()),
                        false => Err(HealthError::new("Can't connect to the database")),
                    }
                })
            }
        })
        .prefix("/internal")
        .lifecycle(lifecycle.clone())
        .router();
    let addr = support::serve(app).await;
    let ready = || support::get(addr, "/internal/ready");

    let mut health = lifecycle.health();
    let snapshot = health.snapshot();
    let probe = snapshot.ready().unwrap();
    assert_eq!(probe.probe(), Probe::Ready);
    assert_eq!(probe.status(), None, "not run yet");
    assert!(probe.produced_at().is_none());

    // A consumer that works while readiness passes.
    let (paused, mut pauses) = tokio::sync::watch::channel(true);
    let consumer = tokio::spawn({
        let mut health = lifecycle.health();
        async move {
            loop {
                health.wait_for(Snapshot::is_ready).await.unwrap();
                paused.send_replace(false);
                health.wait_for(|now| !now.is_ready()).await.unwrap();
                paused.send_replace(true);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(*pauses.borrow_and_update(), "paused until a run passes");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the view runs nothing");

    assert_eq!(ready().await.status, 200);
    within("the consumer resumes", pauses.wait_for(|paused| !paused))
        .await
        .unwrap();
    within("a change", health.changed()).await.unwrap();
    let snapshot = health.snapshot();
    let probe = snapshot.ready().unwrap();
    assert_eq!(probe.status(), Some(Status::Pass));
    assert!(probe.age().unwrap() < Duration::from_secs(5));
    let checks: Vec<_> = (probe.checks())
        .map(|check| (check.key(), check.status(), check.title()))
        .collect();
    assert_eq!(checks, [("database", Status::Pass, None)]);

    // The same answer again is no change.
    assert_eq!(ready().await.status, 200);
    let unchanged = tokio::time::timeout(Duration::from_millis(100), health.changed()).await;
    assert!(unchanged.is_err(), "an unchanged answer notifies nobody");

    database_up.store(false, Ordering::SeqCst);
    assert_eq!(ready().await.status, 503);
    within("the consumer pauses", pauses.wait_for(|paused| *paused))
        .await
        .unwrap();
    within("a change", health.changed()).await.unwrap();
    let snapshot = health.snapshot();
    let probe = snapshot.ready().unwrap();
    assert_eq!(probe.status(), Some(Status::Fail));
    assert_eq!(probe.title(), Some("Can't connect to the database"));
    let check = probe.checks().next().unwrap();
    assert_eq!(
        (check.status(), check.title()),
        (Status::Fail, Some("Can't connect to the database"))
    );
    assert!(!snapshot.is_ready());
    assert_eq!(snapshot.live().unwrap().status(), None);

    database_up.store(true, Ordering::SeqCst);
    assert_eq!(ready().await.status, 200);
    let snapshot = within("readiness", health.wait_for(Snapshot::is_ready))
        .await
        .unwrap();
    assert_eq!(snapshot.ready().unwrap().status(), Some(Status::Pass));
    within("the consumer resumes", pauses.wait_for(|paused| !paused))
        .await
        .unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        4,
        "one run per request, none more"
    );
    consumer.abort();
}

#[tokio::test]
async fn what_the_app_says_of_itself_is_in_the_view_too() {
    let lifecycle = Lifecycle::new();
    let app = Healthz::new()
        .live(|| ())
        .ready(|| true)
        .lifecycle(lifecycle.clone())
        .router();
    let addr = support::serve(app).await;
    assert_eq!(support::get(addr, "/healthz/ready").await.status, 200);
    let mut health = lifecycle.health();
    assert!(health.snapshot().is_ready());

    // A waiting consumer wakes when a hold is taken, with no run.
    let waiting = tokio::spawn({
        let mut health = lifecycle.health();
        async move { health.wait_for(|now| !now.is_ready()).await }
    });
    let hold = lifecycle.hold_not_ready("Reconnecting to the broker");
    let snapshot = within("the hold seen", waiting).await.unwrap().unwrap();
    let ready = snapshot.ready().unwrap();
    assert_eq!(ready.status(), Some(Status::Fail));
    assert_eq!(ready.title(), Some("Reconnecting to the broker"));

    drop(hold);
    let snapshot = within("the release seen", health.wait_for(Snapshot::is_ready))
        .await
        .unwrap();
    assert_eq!(snapshot.ready().unwrap().title(), None);
    lifecycle.mark_broken("Schema too new");
    assert_eq!(
        health.snapshot().live().unwrap().title(),
        Some("Schema too new")
    );
}

#[tokio::test]
async fn waiting_ends_with_an_error_once_nothing_can_change() {
    let lifecycle = Lifecycle::new();
    let app: axum::Router = Healthz::new()
        .live(|| ())
        .ready(|| false)
        .lifecycle(lifecycle.clone())
        .router();
    let mut health = lifecycle.health();
    let waiting = tokio::spawn(async move {
        let outcome = health.wait_for(Snapshot::is_ready).await;
        (outcome, health)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the router can still run the probe");

    drop(app);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the lifecycle can still change");

    drop(lifecycle);
    let (outcome, mut health) = within("the wait ends", waiting).await.unwrap();
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "the probes and lifecycle this health view follows are gone: nothing can change"
    );
    assert!(health.changed().await.is_err(), "and stays ended");
}

#[tokio::test]
async fn a_hold_keeps_the_lifecycle_changeable() {
    let lifecycle = Lifecycle::new();
    let hold = lifecycle.hold_not_ready("Migrating");
    let beat = lifecycle.heartbeat("consumer", Duration::from_secs(60));
    let mut health = lifecycle.health();
    drop(lifecycle);
    let unchanged = tokio::time::timeout(Duration::from_millis(100), health.changed()).await;
    assert!(
        unchanged.is_err(),
        "the hold and the heartbeat can still change it"
    );

    drop(hold);
    within("the release", health.changed()).await.unwrap();
    beat.finish();
    // The finish is a change; then nothing is left to make one.
    within("the finish", health.changed()).await.unwrap();
    assert!(within("the end", health.changed()).await.is_err());
}
