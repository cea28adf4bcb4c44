//! What the app reports of itself: heartbeats of its background loops,
//! readiness holds and the broken switch, answered by a real server on
//! 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use healthz::{Checks, Healthz, Lifecycle};
use support::{get, request_with, serve, until};

/// A server whose readiness has a `database` check, gated by `lifecycle`.
async fn server(lifecycle: &Lifecycle) -> SocketAddr {
    let app: Router = Healthz::new()
        .live(|| ())
        .ready(|| Checks::new().check("database", async { true }))
        .lifecycle(lifecycle.clone())
        .router();
    serve(app).await
}

/// A loop that beats every 20 ms while `stalled` is false.
fn consumer(lifecycle: &Lifecycle, stalled: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    let beat = lifecycle.heartbeat("consumer", Duration::from_millis(300));
    tokio::spawn(async move {
        loop {
            if !stalled.load(Ordering::SeqCst) {
                beat.beat();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[tokio::test]
async fn a_stalled_loop_fails_liveness_until_it_beats_again() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let stalled = Arc::new(AtomicBool::new(false));
    let _consumer = consumer(&lifecycle, stalled.clone());
    assert_eq!(get(addr, "/healthz/live").await.status, 200);

    stalled.store(true, Ordering::SeqCst);
    // Noticed within the period, plus the time between two looks.
    let late = until(addr, "/healthz/live", 503, Duration::from_millis(1_300)).await;
    let body = late.text();
    assert!(
        body.starts_with(
            r#"{"status": 503, "title": "The consumer heartbeat is late: no beat for "#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#""checks": {"heartbeat:consumer": {"status": "fail", "title": "The consumer heartbeat is late: no beat for "#),
        "{body}"
    );
    assert_eq!(
        get(addr, "/healthz/ready").await.status,
        200,
        "readiness is not failed by a heartbeat"
    );

    stalled.store(false, Ordering::SeqCst);
    let again = until(addr, "/healthz/live", 200, Duration::from_secs(1)).await;
    assert_eq!(again.text(), r#"{"status": 200, "title": "OK"}"#);
    let verbose = get(addr, "/healthz/live?verbose").await;
    assert_eq!(
        verbose.text(),
        "[+]live ok\n[+]heartbeat:consumer ok\nlive check passed\n"
    );
}

#[tokio::test]
async fn a_task_that_panics_with_its_heartbeat_fails_liveness_until_a_restart() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let beat = lifecycle.heartbeat("scheduler", Duration::from_secs(60));
    let task = tokio::spawn(async move {
        beat.beat();
        panic!("expected panic in the scheduler");
    });
    assert!(task.await.unwrap_err().is_panic());

    let live = get(addr, "/healthz/live").await;
    assert_eq!(
        (live.status, live.text()),
        (
            503,
            r#"{"status": 503, "title": "The scheduler heartbeat ended: its task panicked", "checks": {"heartbeat:scheduler": {"status": "fail", "title": "The scheduler heartbeat ended: its task panicked"}}}"#
        )
    );
    // A new loop of the same name does not make the ended one pass.
    let restarted = lifecycle.heartbeat("scheduler", Duration::from_secs(60));
    restarted.beat();
    assert_eq!(get(addr, "/healthz/live").await.status, 503);
    restarted.finish();
}

#[tokio::test]
async fn holds_from_two_tasks_keep_readiness_down_until_the_last_is_dropped() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let (release_first, first_released) = tokio::sync::oneshot::channel::<()>();
    let (release_second, second_released) = tokio::sync::oneshot::channel::<()>();
    let (held, mut holding) = tokio::sync::mpsc::channel(2);
    for (reason, released) in [
        ("Warming the cache", first_released),
        ("Running migrations", second_released),
    ] {
        let (lifecycle, held) = (lifecycle.clone(), held.clone());
        let hold = lifecycle.hold_not_ready(reason);
        held.send(()).await.unwrap();
        tokio::spawn(async move {
            let _ = released.await;
            drop(hold);
        });
    }
    holding.recv().await.unwrap();
    holding.recv().await.unwrap();

    let ready = get(addr, "/healthz/ready").await;
    assert_eq!(
        ready.text(),
        r#"{"status": 503, "title": "Warming the cache", "checks": {"hold:Warming the cache": {"status": "fail", "title": "Warming the cache"}, "hold:Running migrations": {"status": "fail", "title": "Running migrations"}}}"#
    );
    let excluded = get(addr, "/healthz/ready?exclude=hold:Warming%20the%20cache").await;
    assert_eq!(excluded.status, 503, "a hold is not a check to exclude");
    assert_eq!(get(addr, "/healthz/live").await.status, 200);

    release_first.send(()).unwrap();
    let mut second = get(addr, "/healthz/ready").await;
    while second.text().contains("Warming") {
        tokio::time::sleep(Duration::from_millis(5)).await;
        second = get(addr, "/healthz/ready").await;
    }
    assert!(
        second
            .text()
            .starts_with(r#"{"status": 503, "title": "Running migrations""#),
        "{}",
        second.text()
    );

    lifecycle.mark_not_ready("Maintenance");
    release_second.send(()).unwrap();
    let maintenance = get(addr, "/healthz/ready").await;
    assert!(
        maintenance
            .text()
            .starts_with(r#"{"status": 503, "title": "Maintenance""#)
    );
    lifecycle.mark_ready();
    let ready = until(addr, "/healthz/ready", 200, Duration::from_secs(1)).await;
    assert!(ready.text().contains(r#""database": {"status": "pass""#));
}

#[tokio::test]
async fn a_broken_app_fails_liveness_and_readiness_with_its_first_reason() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    lifecycle.mark_broken("The schema version is newer than this build");
    lifecycle.mark_broken("Another reason");
    let expected = r#"{"status": 503, "title": "The schema version is newer than this build", "checks": {"broken": {"status": "fail", "title": "The schema version is newer than this build"}}}"#;
    for path in ["/healthz/live", "/healthz/ready"] {
        let reply = get(addr, path).await;
        assert_eq!((reply.status, reply.text()), (503, expected), "{path}");
    }
    let verbose = get(addr, "/healthz/live?verbose").await;
    assert_eq!(
        verbose.text(),
        "[-]broken failed: The schema version is newer than this build\nlive check failed\n"
    );
    let health = request_with(
        addr,
        "GET",
        "/healthz/live",
        &[("accept", "application/health+json")],
    )
    .await;
    assert_eq!(
        health.text(),
        r#"{"status": "fail", "output": "The schema version is newer than this build", "checks": {"broken": [{"status": "fail", "output": "The schema version is newer than this build"}]}}"#
    );
}

#[tokio::test]
async fn loops_ending_during_the_drain_keep_liveness_passing() {
    let lifecycle = Lifecycle::new();
    lifecycle.mark_started();
    let addr = server(&lifecycle).await;
    let stalled = Arc::new(AtomicBool::new(false));
    let consumer = consumer(&lifecycle, stalled.clone());
    let idle = lifecycle.heartbeat("idle", Duration::from_millis(100));

    lifecycle.mark_shutting_down();
    consumer.abort();
    let _ = consumer.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in ["/healthz/live", "/healthz/startup"] {
        let reply = get(addr, path).await;
        assert_eq!(
            (reply.status, reply.text()),
            (200, r#"{"status": 200, "title": "OK"}"#),
            "{path}: an ended and a late heartbeat during the drain"
        );
    }
    assert_eq!(get(addr, "/healthz/ready").await.status, 503);
    drop(idle);
}

#[tokio::test]
async fn startup_follows_a_late_heartbeat_once_started() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let late = lifecycle.heartbeat("warmup", Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let startup = get(addr, "/healthz/startup").await;
    assert_eq!(
        startup.text(),
        r#"{"status": 503, "title": "The app has not started yet"}"#
    );
    lifecycle.mark_started();
    let startup = get(addr, "/healthz/startup").await;
    assert!(
        startup
            .text()
            .starts_with(r#"{"status": 503, "title": "The warmup heartbeat is late"#),
        "{}",
        startup.text()
    );
    late.finish();
    assert_eq!(get(addr, "/healthz/startup").await.status, 200);
}
