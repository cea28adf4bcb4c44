//! HTTP probes, gRPC health and a gRPC service of the app's own (server
//! reflection, so that `grpcurl` needs no `.proto` file) on one port, all
//! answered by the same probes.
//!
//! ```text
//! cargo run --example grpc --features grpc
//! curl localhost:8080/healthz/ready                         # HTTP, as ever
//! grpcurl -plaintext -d '{"service": "readiness"}' localhost:8080 grpc.health.v1.Health/Check
//! curl -X POST localhost:8080/fail                          # the database goes down
//! grpcurl -plaintext -d '{"service": "readiness"}' localhost:8080 grpc.health.v1.Health/Watch
//! curl -X POST localhost:8080/heal
//! ```
//!
//! `PORT` sets the port (8080; 0 picks a free one), `HOST` the address
//! (127.0.0.1) and `DRAIN_SECONDS` the drain delay after SIGTERM (5), during
//! which readiness is `NOT_SERVING` and each `Watch` stream ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use healthz::HealthError;

#[derive(Clone, Default)]
struct Database {
    down: Arc<AtomicBool>,
}

#[healthz::live]
fn liveness() {}

#[healthz::ready(cache = "1s")]
async fn readiness(State(db): State<Database>) -> Result<(), HealthError> {
    if db.down.load(Ordering::SeqCst) {
        Err(HealthError::new("Can't connect to the database"))
    } else {
        Ok(())
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
    let drain = Duration::from_secs(env_or("DRAIN_SECONDS", 5));

    // The app's own gRPC service: it describes the health service to clients.
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the health service's descriptors are valid");

    let db = Database::default();
    let app = Router::new()
        .route(
            "/fail",
            post(|State(db): State<Database>| async move { db.down.store(true, Ordering::SeqCst) }),
        )
        .route(
            "/heal",
            post(
                |State(db): State<Database>| async move { db.down.store(false, Ordering::SeqCst) },
            ),
        )
        // HTTP probes under /healthz and grpc.health.v1.Health, sharing runs.
        .merge(healthz::router())
        .merge(healthz::grpc::Grpc::new().router())
        .route_service("/grpc.reflection.v1.ServerReflection/{method}", reflection)
        .with_state(db);

    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    // With axum's `http2` feature (which `healthz/grpc` turns on), one port
    // serves HTTP/1.1 and the cleartext HTTP/2 that gRPC clients speak.
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
