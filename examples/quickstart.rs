//! The smallest app with probes.
//!
//! ```text
//! cargo run --example quickstart
//! curl -i localhost:8080/healthz/live
//! curl -i localhost:8080/healthz/ready
//! curl -X POST localhost:8080/maintenance    # readiness now fails
//! ```
//!
//! `PORT` sets the port (8080) and `HOST` the address (127.0.0.1).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use healthz::HealthError;

#[derive(Clone, Default)]
struct App {
    maintenance: Arc<AtomicBool>,
}

/// The process is alive as long as it can answer.
#[healthz::live]
fn liveness() {}

/// Ready unless switched into maintenance.
#[healthz::ready]
async fn readiness(State(app): State<App>) -> Result<(), HealthError> {
    if app.maintenance.load(Ordering::Relaxed) {
        Err(HealthError::new("Down for maintenance"))
    } else {
        Ok(())
    }
}

/// Switches maintenance on or off.
async fn toggle_maintenance(State(app): State<App>) -> &'static str {
    if app.maintenance.fetch_xor(true, Ordering::Relaxed) {
        "maintenance off: ready\n"
    } else {
        "maintenance on: not ready\n"
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().expect("PORT is a port number"),
        Err(_) => 8080,
    };

    let app = Router::new()
        .route("/", get(|| async { "Hello from healthz\n" }))
        .route("/maintenance", post(toggle_maintenance))
        .merge(healthz::router())
        .with_state(App::default());

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
