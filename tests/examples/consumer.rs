//! `examples/consumer.rs` run as a real process: a worker with no HTTP
//! server, its probes on a port of their own, held while it connects,
//! stalled and crashed from its stdin, and drained by SIGTERM.

use std::time::Duration;

use support::{Example, get, until};

/// As long as the example's heartbeat may take to be noticed.
const WITHIN: Duration = Duration::from_secs(4);

async fn consumer() -> Example {
    Example::start_worker(
        "consumer",
        &[
            ("HEARTBEAT_MS", "300"),
            ("JOB_MS", "30"),
            ("CONNECT_MS", "500"),
            ("DRAIN_SECONDS", "1"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_consumer_holds_readiness_while_it_connects_then_fails_liveness_when_it_stalls() {
    let mut consumer = consumer().await;
    let addr = consumer.addr();

    let connecting = get(addr, "/healthz/ready").await;
    assert_eq!(
        connecting.text(),
        r#"{"status": 503, "title": "Connecting to the queue", "checks": {"hold:Connecting to the queue": {"status": "fail", "title": "Connecting to the queue"}}}"#
    );
    until(addr, "/healthz/ready", 200, WITHIN).await;
    assert_eq!(get(addr, "/healthz/live").await.status, 200);

    consumer.type_line("stall").await;
    let stalled = until(addr, "/healthz/live", 503, WITHIN).await;
    assert!(
        stalled.text().starts_with(
            r#"{"status": 503, "title": "The consumer heartbeat is late: no beat for "#
        ),
        "{}",
        stalled.text()
    );
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
    assert_eq!(
        get(addr, "/").await.status,
        404,
        "it serves only the probes"
    );
}

#[tokio::test]
async fn a_crashed_consumer_fails_liveness_with_its_name() {
    let mut consumer = consumer().await;
    let addr = consumer.addr();
    until(addr, "/healthz/ready", 200, WITHIN).await;
    consumer.type_line("crash").await;
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
async fn on_sigterm_the_consumer_fails_readiness_through_the_drain_then_exits() {
    let mut consumer = consumer().await;
    let addr = consumer.addr();
    until(addr, "/healthz/ready", 200, WITHIN).await;

    // SAFETY: kill(2) with the pid of our own child and a valid signal.
    assert_eq!(
        unsafe { libc::kill(consumer.pid() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let draining = until(addr, "/healthz/ready", 503, Duration::from_millis(500)).await;
    assert_eq!(
        draining.text(),
        r#"{"status": 503, "title": "The server is shutting down"}"#
    );
    assert_eq!(
        get(addr, "/healthz/live").await.status,
        200,
        "liveness holds through the drain"
    );

    let status = consumer.exit_status(Duration::from_secs(3)).await;
    assert!(status.success(), "{status:?}: {:#?}", consumer.output());
    assert_eq!(
        consumer.count_lines("drain delay over, shutting down gracefully"),
        1
    );
    assert_eq!(consumer.count_lines("the consumer stopped after"), 1);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the probes are no longer served"
    );
}
