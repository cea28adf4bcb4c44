//! Health over time: the transitions of probes, checks and the lifecycle's
//! entries, kept in bounded rings and read from the app's health view,
//! driven over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use healthz::Probe;
use healthz::Status;
use healthz::history::{Entry, Subject};
use healthz::{Checks, HealthError, Healthz, Lifecycle, Options};

fn line(entry: &Entry) -> (String, Status, Option<&str>) {
    (entry.subject().to_string(), entry.status(), entry.title())
}

#[tokio::test]
async fn a_flapping_check_leaves_one_entry_per_transition() {
    let up = Arc::new(AtomicBool::new(true));
    let lifecycle = Lifecycle::new();
    let app = Healthz::new()
        .live(|| ())
        .ready({
            let up = up.clone();
            move || {
                let up = up.load(Ordering::SeqCst);
                Checks::new().check("database", async move {
                    match up {
                        true => Ok(()),
                        false => Err(HealthError::new("Can't connect to the database")),
                    }
                })
            }
        })
        .lifecycle(lifecycle.clone())
        .router();
    let addr = support::serve(app).await;
    let health = lifecycle.health();

    for _ in 0..3 {
        support::get(addr, "/healthz/ready").await;
    }
    up.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..3 {
        support::get(addr, "/healthz/ready").await;
    }
    up.store(true, Ordering::SeqCst);
    support::get(addr, "/healthz/ready").await;

    let history = health.history();
    let lines: Vec<_> = history.iter().map(line).collect();
    let down = Some("Can't connect to the database");
    assert_eq!(
        lines,
        [
            ("ready".to_owned(), Status::Pass, None),
            ("ready/database".to_owned(), Status::Pass, None),
            ("ready".to_owned(), Status::Fail, down),
            ("ready/database".to_owned(), Status::Fail, down),
            ("ready".to_owned(), Status::Pass, None),
            ("ready/database".to_owned(), Status::Pass, None),
        ],
        "seven runs, three transitions of each"
    );
    let failed = &history[2];
    assert_eq!(failed.subject(), &Subject::Probe(Probe::Ready));
    assert!(
        failed.held().unwrap() >= Duration::from_millis(20),
        "the pass held 20 ms at least"
    );
    assert!(failed.duration().is_some(), "a run's duration");
    assert!(history[3].duration().is_some(), "a check's duration");
    assert!(history.windows(2).all(|pair| pair[0].at() <= pair[1].at()));
}

#[tokio::test]
async fn each_subject_keeps_the_number_of_entries_set() {
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lifecycle = Lifecycle::new();
    let app = Healthz::new()
        .live(|| ())
        .ready_with(Options::DEFAULT.with_history(3), {
            let failures = failures.clone();
            move || {
                let n = failures.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(HealthError::new(format!("failure {n}")))
            }
        })
        .lifecycle(lifecycle.clone())
        .router();
    let addr = support::serve(app).await;
    for _ in 0..10 {
        support::get(addr, "/healthz/ready").await;
    }
    let titles: Vec<_> = (lifecycle.health().history().iter())
        .filter_map(|entry| entry.title().map(str::to_owned))
        .collect();
    assert_eq!(titles, ["failure 7", "failure 8", "failure 9"]);
}

#[tokio::test]
async fn the_lifecycle_entries_are_remembered() {
    let lifecycle = Lifecycle::new();
    lifecycle.mark_started();
    let first = lifecycle.hold_not_ready("Warming the cache");
    let second = lifecycle.hold_not_ready("Rebuilding the index");
    drop(first);
    drop(second);
    let beat = lifecycle.heartbeat("consumer", Duration::from_secs(30));
    drop(beat);
    lifecycle.mark_broken("Out of file descriptors");
    lifecycle.mark_shutting_down();

    let history = lifecycle.health().history();
    let lines: Vec<_> = history.iter().map(line).collect();
    let entry = |name: &str, status, title| (format!("lifecycle/{name}"), status, title);
    assert_eq!(
        lines,
        [
            entry("started", Status::Pass, None),
            entry("holds", Status::Fail, Some("Warming the cache")),
            entry("holds", Status::Fail, Some("Rebuilding the index")),
            entry("holds", Status::Pass, None),
            entry("heartbeat:consumer", Status::Pass, None),
            entry(
                "heartbeat:consumer",
                Status::Fail,
                Some("The consumer heartbeat ended: it was dropped without finish()")
            ),
            entry("broken", Status::Fail, Some("Out of file descriptors")),
            entry(
                "shutting down",
                Status::Fail,
                Some("The server is shutting down")
            ),
        ]
    );
}

/// Passing probes served with a lifecycle of their own, whose heartbeats a
/// liveness request reads.
async fn passing() -> (Lifecycle, std::net::SocketAddr) {
    let lifecycle = Lifecycle::new();
    let app = Healthz::new()
        .live(|| ())
        .ready(|| ())
        .lifecycle(lifecycle.clone())
        .router();
    (lifecycle, support::serve(app).await)
}

#[tokio::test]
async fn a_heartbeat_going_late_is_remembered_without_a_read() {
    let (lifecycle, addr) = passing().await;
    let turns = || {
        (lifecycle.health().history().iter())
            .filter(|entry| entry.subject().to_string() == "lifecycle/heartbeat:worker")
            .map(Entry::status)
            .collect::<Vec<_>>()
    };
    let beat = lifecycle.heartbeat("worker", Duration::from_millis(200));
    // No request: the clock records the turns, and reads add none.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(turns(), [Status::Pass, Status::Fail]);
    support::get(addr, "/healthz/live").await;
    support::get(addr, "/healthz/live").await;
    assert_eq!(turns(), [Status::Pass, Status::Fail]);
    beat.beat();
    // Seen beating again by the clock's next look, well within the period.
    for _ in 0..100 {
        if turns().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(turns(), [Status::Pass, Status::Fail, Status::Pass]);
    beat.finish();
}

#[tokio::test]
async fn a_late_heartbeat_finished_is_remembered_passing_again() {
    let (lifecycle, addr) = passing().await;
    let beat = lifecycle.heartbeat("importer", Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(support::get(addr, "/healthz/live").await.status, 503);
    beat.finish();
    assert_eq!(support::get(addr, "/healthz/live").await.status, 200);
    let turns: Vec<_> = (lifecycle.health().history().iter())
        .filter(|entry| entry.subject().to_string() == "lifecycle/heartbeat:importer")
        .map(|entry| entry.status())
        .collect();
    assert_eq!(
        turns,
        [Status::Pass, Status::Fail, Status::Pass],
        "watched, late, finished"
    );
}
