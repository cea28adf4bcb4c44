//! `#[healthz::ready(blocking)]`: a sync probe doing blocking I/O runs on
//! the blocking thread pool, so it stalls no async worker, answers by its
//! timeout, and never holds more than one thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get as route;
use support::{get, serve};

#[derive(Clone, Default)]
struct Disk {
    calls: Arc<AtomicUsize>,
    inside: Arc<AtomicUsize>,
    most_inside: Arc<AtomicUsize>,
    released: Arc<AtomicBool>,
}

/// Blocks its thread for up to 5 s, as a stuck `read(2)` on a network disk
/// would; the test releases it early so as not to wait at the end.
#[healthz::ready(blocking, timeout = "500ms")]
fn readiness(State(disk): State<Disk>) -> bool {
    disk.calls.fetch_add(1, Ordering::SeqCst);
    let inside = disk.inside.fetch_add(1, Ordering::SeqCst) + 1;
    disk.most_inside.fetch_max(inside, Ordering::SeqCst);
    for _ in 0..500 {
        if disk.released.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    disk.inside.fetch_sub(1, Ordering::SeqCst);
    true
}

#[healthz::live]
fn liveness() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_stuck_blocking_probe_answers_by_its_timeout_and_holds_one_thread() {
    let disk = Disk::default();
    let app = Router::new()
        .route("/", route(|| async { "hello" }))
        .merge(healthz::router())
        .with_state(disk.clone());
    let addr = serve(app).await;

    let probe = tokio::spawn(async move { get(addr, "/healthz/ready").await });
    while disk.inside.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let other = get(addr, "/").await;
    assert_eq!(other.text(), "hello");
    assert_eq!(
        disk.inside.load(Ordering::SeqCst),
        1,
        "the app answered while the probe was still blocked, on its only worker"
    );

    let probe = probe.await.unwrap();
    assert_eq!(
        (probe.status, probe.text()),
        (
            503,
            r#"{"status": 503, "title": "The ready check timed out after 500ms"}"#
        )
    );
    for _ in 0..5 {
        let again = get(addr, "/healthz/ready").await;
        assert_eq!(again.text(), probe.text());
    }
    assert_eq!(disk.calls.load(Ordering::SeqCst), 1, "no second thread");
    assert_eq!(disk.most_inside.load(Ordering::SeqCst), 1);

    disk.released.store(true, Ordering::SeqCst);
    while disk.inside.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The thread is free once the call returns; the next run may use it.
    let mut passed = get(addr, "/healthz/ready").await;
    for _ in 0..100 {
        if passed.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        passed = get(addr, "/healthz/ready").await;
    }
    assert_eq!(passed.status, 200);
    assert_eq!(disk.calls.load(Ordering::SeqCst), 2);
}
