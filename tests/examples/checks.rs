//! The checks example, run as a real process and driven over HTTP on
//! 127.0.0.1 the way its doc comment drives it with curl; and its drain on
//! SIGTERM.

use std::time::Duration;

use support::{Example, get, request, timeless};

async fn start() -> Example {
    Example::start("checks", &[]).await
}

/// `POST path`, which must succeed.
async fn post(server: &Example, path: &str) {
    let reply = request(server.addr(), "POST", path).await;
    assert_eq!(reply.status, 200, "POST {path}: {}", reply.text());
}

#[tokio::test]
async fn every_check_passes_at_first() {
    let server = start().await;
    let reply = get(server.addr(), "/healthz/ready").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        timeless(&reply),
        r#"{"status": 200, "title": "OK", "checks": {"database": {"status": "pass", "title": "OK", "duration_ms": 0}, "cache": {"status": "pass", "title": "OK", "duration_ms": 0}, "recommendations": {"status": "pass", "title": "OK", "duration_ms": 0}}}"#
    );
    let reply = get(server.addr(), "/healthz/ready?verbose").await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            200,
            "[+]database ok\n[+]cache ok\n[+]recommendations ok\nready check passed\n"
        )
    );
    let reply = get(server.addr(), "/healthz/live").await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, r#"{"status": 200, "title": "OK"}"#)
    );
}

#[tokio::test]
async fn a_failing_database_fails_readiness_until_healed() {
    let server = start().await;
    post(&server, "/fail/database").await;

    let reply = get(server.addr(), "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert!(
        reply
            .text()
            .starts_with(r#"{"status": 503, "title": "Can't connect to the database", "#),
        "{}",
        reply.text()
    );
    let reply = get(server.addr(), "/healthz/ready?verbose").await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            503,
            "[-]database failed: Can't connect to the database\n[+]cache ok\n\
             [+]recommendations ok\nready check failed\n"
        )
    );
    // The I/O error behind the reason is logged, never answered.
    assert!(!reply.text().contains("refused"));

    let reply = get(server.addr(), "/healthz/ready?exclude=database").await;
    assert_eq!(reply.status, 200);

    post(&server, "/heal/database").await;
    assert_eq!(get(server.addr(), "/healthz/ready").await.status, 200);
}

#[tokio::test]
async fn failing_recommendations_only_warn() {
    let server = start().await;
    post(&server, "/fail/recommendations").await;

    let reply = get(server.addr(), "/healthz/ready").await;
    assert_eq!(reply.status, 200);
    assert!(
        timeless(&reply).ends_with(
            r#""recommendations": {"status": "warn", "title": "Recommendations are unavailable", "duration_ms": 0}}}"#
        ),
        "{}",
        reply.text()
    );
    let reply = get(server.addr(), "/healthz/ready?verbose").await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            200,
            "[+]database ok\n[+]cache ok\n\
             [!]recommendations warning: Recommendations are unavailable\nready check passed\n"
        )
    );
}

#[tokio::test]
async fn the_cache_can_be_checked_alone() {
    let server = start().await;
    let reply = get(server.addr(), "/healthz/ready/cache").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        timeless(&reply),
        r#"{"status": 200, "title": "OK", "checks": {"cache": {"status": "pass", "title": "OK", "duration_ms": 0}}}"#
    );

    // A hung cache is given up on after its own 200ms, and the database
    // failing meanwhile does not matter to this endpoint.
    post(&server, "/hang/cache").await;
    post(&server, "/fail/database").await;
    let reply = get(server.addr(), "/healthz/ready/cache").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        timeless(&reply),
        r#"{"status": 503, "title": "The cache check timed out after 200ms", "checks": {"cache": {"status": "fail", "title": "The cache check timed out after 200ms", "duration_ms": 0}}}"#
    );

    let reply = get(server.addr(), "/healthz/ready/nope").await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            404,
            r#"{"status": 404, "title": "The nope check endpoint is not setup"}"#
        )
    );
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_it_fails_readiness_and_serves_through_the_drain_then_exits() {
    let example = Example::start("checks", &[("DRAIN_SECONDS", "1")]).await;
    example
        .drains_on_sigterm(("POST", "/heal/database"), Duration::from_secs(1))
        .await;
}
