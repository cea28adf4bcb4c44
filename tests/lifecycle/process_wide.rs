//! The lifecycle gates over real HTTP: startup, readiness held down by the
//! app, and shutdown.
//!
//! `healthz::lifecycle()` is one per process, and a shutdown cannot be
//! undone, so this is the one test of its binary that uses it, and walks
//! through the states in one test, in the order an app lives them.

use axum::Router;
use axum::routing;
use support::{get, request, serve};

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

const OK: &str = r#"{"status": 200, "title": "OK"}"#;

async fn answer(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let reply = get(addr, path).await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{path}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    (reply.status, reply.text().to_owned())
}

#[tokio::test]
async fn an_app_lives_through_startup_readiness_and_shutdown() {
    let app = Router::new()
        .route("/", routing::get(|| async { "home" }))
        .merge(healthz::router())
        .merge(
            Router::new()
                .route("/livez", healthz::live_route())
                .route("/readyz", healthz::ready_route())
                .route("/startupz", healthz::startup_route()),
        );
    let addr = serve(app).await;
    let lifecycle = healthz::lifecycle();

    // Starting: only the startup endpoint waits for the app.
    let not_started = (
        503,
        r#"{"status": 503, "title": "The app has not started yet"}"#.to_owned(),
    );
    assert_eq!(answer(addr, "/healthz/startup").await, not_started);
    assert_eq!(answer(addr, "/startupz").await, not_started);
    assert_eq!(answer(addr, "/healthz/live").await, (200, OK.to_owned()));
    assert_eq!(answer(addr, "/healthz/ready").await, (200, OK.to_owned()));
    let head = request(addr, "HEAD", "/healthz/startup").await;
    assert_eq!(head.status, 503);
    assert!(head.body.is_empty(), "HEAD got a body: {:?}", head.text());

    lifecycle.mark_started();
    for path in ["/healthz/startup", "/startupz", "/healthz/live"] {
        assert_eq!(answer(addr, path).await, (200, OK.to_owned()), "{path}");
    }

    // Held down by the app, then released.
    lifecycle.mark_not_ready("Warming the cache");
    let warming = (
        503,
        r#"{"status": 503, "title": "Warming the cache"}"#.to_owned(),
    );
    assert_eq!(answer(addr, "/healthz/ready").await, warming);
    assert_eq!(answer(addr, "/readyz").await, warming);
    assert_eq!(answer(addr, "/healthz/live").await.0, 200);
    assert_eq!(answer(addr, "/healthz/startup").await.0, 200);

    // The reason is escaped like any title.
    lifecycle.mark_not_ready(format!("Réindexation — {}%", 40));
    assert_eq!(
        answer(addr, "/healthz/ready").await.1,
        r#"{"status": 503, "title": "R\u00e9indexation \u2014 40%"}"#
    );

    lifecycle.mark_ready();
    assert_eq!(answer(addr, "/healthz/ready").await, (200, OK.to_owned()));

    // Shutting down: readiness fails for good, and before the app's reason.
    lifecycle.mark_not_ready("Down for maintenance");
    lifecycle.mark_shutting_down();
    let shutting_down = (
        503,
        r#"{"status": 503, "title": "The server is shutting down"}"#.to_owned(),
    );
    assert_eq!(answer(addr, "/healthz/ready").await, shutting_down);
    lifecycle.mark_ready();
    assert_eq!(answer(addr, "/healthz/ready").await, shutting_down);
    assert_eq!(answer(addr, "/readyz").await, shutting_down);
    for path in ["/healthz/live", "/livez", "/healthz/startup"] {
        assert_eq!(answer(addr, path).await, (200, OK.to_owned()), "{path}");
    }
    let home = get(addr, "/").await;
    assert_eq!((home.status, home.text()), (200, "home"));

    // Gated or not, the endpoints keep their methods.
    for path in ["/healthz/ready", "/healthz/startup"] {
        let reply = request(addr, "POST", path).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.header("allow"), Some("GET,HEAD"), "{path}");
    }
    let head = request(addr, "HEAD", "/healthz/ready").await;
    assert_eq!(head.status, 503);
    assert!(head.body.is_empty());
}
