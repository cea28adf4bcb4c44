//! The smallest app with probes, and the shutdown Kubernetes expects.
//!
//! ```text
//! cargo run --example quickstart
//! curl -i localhost:8080/healthz/live
//! curl -i localhost:8080/healthz/ready
//! curl -X POST localhost:8080/maintenance      # readiness now fails
//! curl -X DELETE localhost:8080/maintenance    # and passes again
//! ```
//!
//! Ctrl-C or SIGTERM turns readiness to 503 while the app serves on for
//! `DRAIN_SECONDS` (5), then it shuts down gracefully; a second Ctrl-C skips
//! the rest of the delay. `GET /slow?seconds=3` is a request that takes a
//! while, to watch one finish during the shutdown.
//!
//! `PORT` sets the port (8080; 0 picks a free one) and `HOST` the address
//! (127.0.0.1).

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::routing::{get, post};

/// The process is alive as long as it can answer.
#[healthz::live]
fn liveness() {}

/// Nothing to check beyond what the app says through `healthz::lifecycle()`.
#[healthz::ready]
fn readiness() {}

async fn maintenance_on() -> &'static str {
    healthz::lifecycle().mark_not_ready("Down for maintenance");
    "maintenance on: not ready\n"
}

async fn maintenance_off() -> &'static str {
    healthz::lifecycle().mark_ready();
    "maintenance off: ready\n"
}

/// Answers after `?seconds=` (1 by default, at most 60).
async fn slow(Query(query): Query<HashMap<String, String>>) -> String {
    let seconds = query
        .get("seconds")
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(1.0, |s| s.clamp(0.0, 60.0));
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    format!("done after {seconds}s\n")
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
    let drain = Duration::from_secs_f64(env_or("DRAIN_SECONDS", 5.0));

    let app = Router::new()
        .route("/", get(|| async { "Hello from healthz\n" }))
        .route("/slow", get(slow))
        .route("/maintenance", post(maintenance_on).delete(maintenance_off))
        .merge(healthz::router());

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    // Installs the signal handlers before anyone learns the address.
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    // Nothing to warm up: started once it serves.
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    println!("stopped");
    Ok(())
}
