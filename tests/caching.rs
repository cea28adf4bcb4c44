//! `cache = "..."`: a result, pass or fail, is reused for the period, so
//! probe traffic costs a dependency at most one check per period.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use healthz::HealthError;
use support::{get, serve};

#[derive(Clone, Default)]
struct Dependency {
    down: Arc<AtomicBool>,
    ready_runs: Arc<AtomicUsize>,
    live_runs: Arc<AtomicUsize>,
}

#[healthz::ready(cache = "1h")]
async fn readiness(State(dep): State<Dependency>) -> Result<(), HealthError> {
    dep.ready_runs.fetch_add(1, Ordering::SeqCst);
    if dep.down.load(Ordering::SeqCst) {
        Err(HealthError::new("Database unreachable"))
    } else {
        Ok(())
    }
}

#[healthz::live(cache = "200ms")]
fn liveness(State(dep): State<Dependency>) {
    dep.live_runs.fetch_add(1, Ordering::SeqCst);
}

async fn server() -> (Dependency, SocketAddr) {
    let dep = Dependency::default();
    let app = Router::new()
        .merge(healthz::router())
        .with_state(dep.clone());
    (dep.clone(), serve(app).await)
}

/// The readiness probe's cache is one for the process: this is the only
/// test of it, so that no other test's run fills it first.
#[tokio::test]
async fn a_cached_failure_is_served_to_every_request_and_router_without_running_again() {
    let (dep, addr) = server().await;
    dep.down.store(true, Ordering::SeqCst);
    let first = get(addr, "/healthz/ready").await;
    assert_eq!(
        first.text(),
        r#"{"status": 503, "title": "Database unreachable"}"#
    );

    dep.down.store(false, Ordering::SeqCst);
    for _ in 0..50 {
        let again = get(addr, "/healthz/ready").await;
        assert_eq!((again.status, again.text()), (503, first.text()));
    }
    for path in [
        "/healthz/ready?exclude=database",
        "/healthz/ready?exclude=",
        "/healthz/ready?verbose",
        "/healthz/ready/database",
        "/healthz/ready/anything",
    ] {
        get(addr, path).await;
    }
    // Another router, with another state value, reads the same probe.
    let (other, other_addr) = server().await;
    assert_eq!(get(other_addr, "/healthz/ready").await.text(), first.text());
    assert_eq!(
        dep.ready_runs.load(Ordering::SeqCst),
        1,
        "no request, query string or router runs the check again"
    );
    assert_eq!(other.ready_runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_cached_pass_is_reused_until_the_period_ends() {
    let (dep, addr) = server().await;
    for _ in 0..20 {
        assert_eq!(get(addr, "/healthz/live").await.status, 200);
    }
    let runs = dep.live_runs.load(Ordering::SeqCst);
    assert!(runs >= 1, "the check ran");
    assert!(runs < 20, "{runs} runs for 20 requests: nothing was reused");

    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
    assert_eq!(
        dep.live_runs.load(Ordering::SeqCst),
        runs + 1,
        "the period ended"
    );
}
