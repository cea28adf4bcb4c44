//! The status page: the probes' health now and over the last hour, live.
//!
//! ```text
//! cargo run --example status
//! open http://localhost:8080/healthz/ui
//! curl -X POST localhost:8080/break/database   # its row turns to fail
//! curl -X POST localhost:8080/mend/database    # and back to pass
//! curl -X POST localhost:8080/worker/stall     # the heartbeat's age grows, then it is late
//! curl -X POST localhost:8080/worker/resume
//! curl localhost:8080/healthz/history          # the same, as JSON
//! curl -N localhost:8080/healthz/events        # each change as it happens
//! ```
//!
//! Both probes run every second in the background, so the page follows the
//! checks without a request from Kubernetes. `PORT` sets the port (8080; 0
//! picks a free one) and `HOST` the address (127.0.0.1).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use healthz::{Check, Checks, HealthError};
use tower::ServiceExt;

/// What the endpoints below break and mend.
static DATABASE_UP: AtomicBool = AtomicBool::new(true);
static CACHE_UP: AtomicBool = AtomicBool::new(true);
static WORKER_STALLED: AtomicBool = AtomicBool::new(false);

#[healthz::live(interval = "1s")]
fn liveness() {}

#[healthz::ready(interval = "1s")]
fn readiness() -> Checks {
    let up = |flag: &'static AtomicBool, down: &'static str| async move {
        match flag.load(Ordering::SeqCst) {
            true => Ok(()),
            false => Err(HealthError::new(down)),
        }
    };
    Checks::new()
        .check(
            "database",
            up(&DATABASE_UP, "Can't connect to the database"),
        )
        .add_check(Check::new("cache", up(&CACHE_UP, "The cache is cold")).warn_only())
}

fn flag(name: &str) -> Option<&'static AtomicBool> {
    match name {
        "database" => Some(&DATABASE_UP),
        "cache" => Some(&CACHE_UP),
        _ => None,
    }
}

async fn set(name: String, up: bool) -> (StatusCode, String) {
    match flag(&name) {
        Some(flag) => {
            flag.store(up, Ordering::SeqCst);
            let state = if up { "mended" } else { "broken" };
            (StatusCode::OK, format!("{name} {state}\n"))
        }
        None => (
            StatusCode::NOT_FOUND,
            format!("no check {name}: try database or cache\n"),
        ),
    }
}

/// A background loop that beats every 200 ms, and must within 2 s.
fn start_worker() {
    let heartbeat = healthz::lifecycle().heartbeat("worker", Duration::from_secs(2));
    tokio::spawn(async move {
        loop {
            if !WORKER_STALLED.load(Ordering::SeqCst) {
                heartbeat.beat();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} cannot be parsed")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let host: String = env_or("HOST", "127.0.0.1".into());
    let port: u16 = env_or("PORT", 8080);

    let app = Router::new()
        .route(
            "/break/{check}",
            post(|Path(name): Path<String>| set(name, false)),
        )
        .route(
            "/mend/{check}",
            post(|Path(name): Path<String>| set(name, true)),
        )
        .route(
            "/worker/stall",
            post(|| async {
                WORKER_STALLED.store(true, Ordering::SeqCst);
                "worker stalled\n"
            }),
        )
        .route(
            "/worker/resume",
            post(|| async {
                WORKER_STALLED.store(false, Ordering::SeqCst);
                "worker resumed\n"
            }),
        )
        .merge(healthz::router())
        .merge(healthz::ui::router());

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    let shutdown = healthz::lifecycle().shutdown_signal(Duration::from_secs(1));
    start_worker();
    // A probe's background runs begin when it is first served. The kubelet
    // asks within seconds of the start; without one, ask once here.
    for path in ["/healthz/live", "/healthz/ready"] {
        let request = Request::get(path)
            .body(Body::empty())
            .expect("a valid request");
        app.clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
    }
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    println!("status page: http://{}/healthz/ui", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    println!("stopped");
    Ok(())
}
