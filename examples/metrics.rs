//! Probe metrics for Prometheus, served at `/metrics` next to the probes.
//!
//! ```text
//! cargo run --example metrics --features metrics
//! curl -i localhost:8080/healthz/ready
//! curl localhost:8080/metrics
//! curl -X POST localhost:8080/database/down    # the database check fails
//! curl -X POST localhost:8080/database/slow    # it times out
//! curl -X POST localhost:8080/database/up      # it passes again
//! curl -X POST localhost:8080/worker/stall      # the worker's heartbeat goes late
//! curl -X POST localhost:8080/worker/resume     # and beats again
//! ```
//!
//! healthz records through the `metrics` facade; the app picks the
//! exporter, here `metrics-exporter-prometheus`, rendered by a route of the
//! app itself rather than a server of its own.
//!
//! On SIGTERM or Ctrl-C readiness answers 503 through a drain delay of
//! `DRAIN_SECONDS` (5), and `healthz_probe_healthy{probe="ready"}` turns 0
//! without a run. `PORT` sets the port (8080; 0 picks a free one) and
//! `HOST` the address (127.0.0.1).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use healthz::{Check, Checks, HealthError};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// A stand-in for a database whose state the routes below switch.
#[derive(Clone, Default)]
struct Database(Arc<AtomicU8>);

const UP: u8 = 0;
const DOWN: u8 = 1;
const SLOW: u8 = 2;

impl Database {
    /// A query that takes 200 ms when the database is up.
    async fn ping(self) -> Result<(), HealthError> {
        match self.0.load(Ordering::SeqCst) {
            DOWN => Err(HealthError::new("Can't connect to the database")),
            SLOW => {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(())
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(())
            }
        }
    }
}

#[derive(Clone)]
struct App {
    database: Database,
    metrics: PrometheusHandle,
}

impl axum::extract::FromRef<App> for Database {
    fn from_ref(app: &App) -> Database {
        app.database.clone()
    }
}

#[healthz::live]
fn liveness() {}

#[healthz::ready(timeout = "500ms")]
fn readiness(State(database): State<Database>) -> Checks {
    Checks::new()
        .check("database", database.ping())
        .add_check(Check::new("cache", async { Ok::<(), HealthError>(()) }).warn_only())
}

async fn switch(State(app): State<App>, Path(state): Path<String>) -> StatusCode {
    let state = match state.as_str() {
        "up" => UP,
        "down" => DOWN,
        "slow" => SLOW,
        _ => return StatusCode::NOT_FOUND,
    };
    app.database.0.store(state, Ordering::SeqCst);
    StatusCode::OK
}

async fn metrics(State(app): State<App>) -> String {
    app.metrics.render()
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

    // Installed before the first probe runs, so that it gets every record
    // and the metrics' descriptions (`# HELP`).
    // Buckets make the durations histograms, which Prometheus can add up
    // across pods; without them the exporter writes summaries, which it
    // cannot. These span a fast check to a probe's timeout.
    let metrics = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_duration_seconds".into()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        )
        .expect("buckets are given")
        .install_recorder()
        .expect("no other recorder is installed");
    // The exporter keeps histogram samples until it renders them: drain
    // them now and then even if nobody scrapes.
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });

    let app = Router::new()
        .route("/metrics", get(self::metrics))
        .route("/database/{state}", post(switch))
        .route("/worker/{state}", post(worker))
        .merge(healthz::router())
        .with_state(App {
            database: Database::default(),
            metrics,
        });

    start_worker();

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Whether the worker below skips its beats.
static WORKER_STALLED: AtomicBool = AtomicBool::new(false);

/// A background loop that beats every 100 ms, and must within 1 s: its
/// gauges are `healthz_heartbeat_healthy` and
/// `healthz_heartbeat_silence_seconds`, and a stall turns
/// `healthz_probe_healthy{probe="live"}` 0 with no request.
fn start_worker() {
    let heartbeat = healthz::lifecycle().heartbeat("worker", Duration::from_secs(1));
    tokio::spawn(async move {
        loop {
            if !WORKER_STALLED.load(Ordering::SeqCst) {
                heartbeat.beat();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

async fn worker(Path(state): Path<String>) -> (StatusCode, String) {
    let stalled = match state.as_str() {
        "stall" => true,
        "resume" => false,
        _ => return (StatusCode::NOT_FOUND, "try stall or resume\n".into()),
    };
    WORKER_STALLED.store(stalled, Ordering::SeqCst);
    (StatusCode::OK, format!("worker {state}d\n"))
}
