//! `examples/worker.rs` run as a real process: its warm-up hold, and its
//! consumer stalled, then crashed, over HTTP; and its drain on SIGTERM.

use std::time::Duration;

use support::{Example, get, request, until};

/// As long as a heartbeat of the example may take to be noticed.
const WITHIN: Duration = Duration::from_secs(4);

#[tokio::test]
async fn the_worker_example_holds_readiness_then_fails_liveness_when_its_consumer_stalls_or_crashes()
 {
    let worker = Example::start("worker", &[("HEARTBEAT_MS", "300"), ("WARMUP_MS", "500")]).await;
    let addr = worker.addr();

    let warming = get(addr, "/healthz/ready").await;
    assert_eq!(
        warming.text(),
        r#"{"status": 503, "title": "Warming the cache", "checks": {"hold:Warming the cache": {"status": "fail", "title": "Warming the cache"}}}"#
    );
    until(addr, "/healthz/ready", 200, WITHIN).await;

    assert_eq!(request(addr, "POST", "/jobs").await.text(), "queued Work\n");
    assert_eq!(get(addr, "/healthz/live").await.status, 200);

    request(addr, "POST", "/stall").await;
    let stalled = until(addr, "/healthz/live", 503, WITHIN).await;
    assert!(
        stalled.text().starts_with(
            r#"{"status": 503, "title": "The consumer heartbeat is late: no beat for "#
        ),
        "{}",
        stalled.text()
    );
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
}

#[tokio::test]
async fn a_crashed_consumer_fails_liveness_with_its_name() {
    let worker = Example::start("worker", &[("WARMUP_MS", "0")]).await;
    let addr = worker.addr();
    request(addr, "POST", "/crash").await;
    let crashed = until(addr, "/healthz/live", 503, WITHIN).await;
    assert!(
        crashed.text().starts_with(
            r#"{"status": 503, "title": "The consumer heartbeat ended: its task panicked""#
        ),
        "{}",
        crashed.text()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_it_fails_readiness_and_serves_through_the_drain_then_exits() {
    let example = Example::start("worker", &[("DRAIN_SECONDS", "1")]).await;
    example
        .drains_on_sigterm(("POST", "/jobs"), Duration::from_secs(1))
        .await;
}
