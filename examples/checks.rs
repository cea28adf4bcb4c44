//! Readiness made of named checks, each one you can break from the shell.
//!
//! ```text
//! cargo run --example checks
//! curl localhost:8080/healthz/ready                 # three checks, all pass
//! curl -X POST localhost:8080/fail/database         # 503, the database named
//! curl 'localhost:8080/healthz/ready?verbose'       # [-]database failed: ...
//! curl 'localhost:8080/healthz/ready?exclude=database'
//! curl -X POST localhost:8080/hang/cache            # times out after 200ms
//! curl localhost:8080/healthz/ready/cache           # that check alone
//! curl -X POST localhost:8080/fail/recommendations  # a warning, still 200
//! curl -X POST localhost:8080/heal/database         # and back
//! curl -H 'Accept: application/health+json' localhost:8080/healthz/ready
//! ```
//!
//! `PORT` sets the port (8080; 0 picks a free one), `HOST` the address
//! (127.0.0.1) and `DRAIN_SECONDS` the drain delay after SIGTERM (5), during
//! which readiness fails and the app serves on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use healthz::{Check, Checks, HealthError};

/// What a simulated dependency does when asked.
#[derive(Clone, Copy, Debug, Default)]
enum Mode {
    #[default]
    Up,
    Down,
    Hang,
}

/// Stands in for a connection pool or client: answers after `latency`,
/// unless told to fail or hang.
#[derive(Clone)]
struct Dependency {
    latency: Duration,
    mode: Arc<Mutex<Mode>>,
}

impl Dependency {
    fn new(latency_ms: u64) -> Self {
        Dependency {
            latency: Duration::from_millis(latency_ms),
            mode: Arc::default(),
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    async fn ping(&self) -> std::io::Result<()> {
        // Copied out so the lock is not held across the await.
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Up => {
                tokio::time::sleep(self.latency).await;
                Ok(())
            }
            Mode::Down => Err(std::io::ErrorKind::ConnectionRefused.into()),
            Mode::Hang => std::future::pending().await,
        }
    }
}

#[derive(Clone)]
struct AppState {
    database: Dependency,
    cache: Dependency,
    recommendations: Dependency,
}

impl AppState {
    fn dependency(&self, name: &str) -> Option<&Dependency> {
        match name {
            "database" => Some(&self.database),
            "cache" => Some(&self.cache),
            "recommendations" => Some(&self.recommendations),
            _ => None,
        }
    }
}

// Each check is a plain `async fn`: callable and testable on its own. It
// takes the state by value because `Checks` runs it after the probe
// function has returned.

async fn database(app: AppState) -> Result<(), HealthError> {
    // The reason is answered; the I/O error, which could name a host, is
    // only logged.
    app.database
        .ping()
        .await
        .map_err(|e| HealthError::with_source("Can't connect to the database", e))
}

async fn cache(app: AppState) -> Result<(), HealthError> {
    app.cache
        .ping()
        .await
        .map_err(|e| HealthError::with_source("Can't reach the cache", e))
}

async fn recommendations(app: AppState) -> Result<(), HealthError> {
    app.recommendations
        .ping()
        .await
        .map_err(|e| HealthError::with_source("Recommendations are unavailable", e))
}

#[healthz::live]
fn liveness() {}

/// Ready when the database and the cache answer. Without recommendations
/// the app still serves pages, so that check only warns.
#[healthz::ready]
fn readiness(State(app): State<AppState>) -> Checks {
    Checks::new()
        // Bounded by the probe's timeout, 900ms by default.
        .check("database", database(app.clone()))
        // A cache that is slow is as good as down: give up sooner.
        .add_check(Check::new("cache", cache(app.clone())).with_timeout(Duration::from_millis(200)))
        // The app can serve without it, degraded: report, don't fail.
        .add_check(
            Check::new("recommendations", recommendations(app))
                .with_timeout(Duration::from_millis(300))
                .warn_only(),
        )
}

/// `POST /fail/<check>`, `/hang/<check>` and `/heal/<check>`.
async fn set_mode(
    State(app): State<AppState>,
    Path((action, name)): Path<(String, String)>,
) -> (StatusCode, String) {
    let mode = match action.as_str() {
        "fail" => Mode::Down,
        "hang" => Mode::Hang,
        "heal" => Mode::Up,
        _ => return (StatusCode::NOT_FOUND, format!("no action {action:?}\n")),
    };
    match app.dependency(&name) {
        Some(dependency) => {
            dependency.set(mode);
            (StatusCode::OK, format!("{name}: {mode:?}\n"))
        }
        None => (StatusCode::NOT_FOUND, format!("no check {name:?}\n")),
    }
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

    let state = AppState {
        database: Dependency::new(3),
        cache: Dependency::new(1),
        recommendations: Dependency::new(8),
    };
    let app = Router::new()
        .route("/{action}/{check}", post(set_mode))
        .merge(healthz::router())
        .with_state(state);

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    // Installs the signal handlers before anyone learns the address.
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    // Nothing to warm up: started once it serves.
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
