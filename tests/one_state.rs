//! One health state per probe, whatever reads it: every router, prefix,
//! single route, gRPC service, health server and the health view built from
//! a probe share its runs, its cache and its metrics series. Real servers on
//! 127.0.0.1, asked over HTTP and gRPC.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use healthz::Probe;
use healthz::grpc::{HealthServer, HealthService};
use healthz::{Healthz, Lifecycle, Options};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use support::servers::free_port;
use support::{get, serve};
use tonic::transport::{Channel, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

static LIVE_RUNS: AtomicUsize = AtomicUsize::new(0);
static READY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// A sync probe run on the blocking thread pool.
#[healthz::live(blocking, cache = "30s")]
fn liveness() {
    LIVE_RUNS.fetch_add(1, Ordering::SeqCst);
}

#[healthz::ready(cache = "30s")]
async fn readiness() {
    READY_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// The process's recorder, installed once for every test of this binary.
fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("install the recorder")
    })
}

/// The lines of the metrics scrape that start with `name{`, for probe
/// `probe`.
fn series(name: &str, probe: &str) -> Vec<String> {
    let label = format!("probe=\"{probe}\"");
    (metrics().render().lines())
        .filter(|line| line.starts_with(&format!("{name}{{")) && line.contains(&label))
        .map(str::to_owned)
        .collect()
}

/// A tonic server on 127.0.0.1 with gRPC health alone.
fn tonic_server(service: HealthServer<HealthService<()>>) -> SocketAddr {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    tokio::spawn(Server::builder().add_service(service).serve(addr));
    addr
}

async fn grpc_check(addr: SocketAddr, service: &str) -> ServingStatus {
    let endpoint = Channel::from_shared(format!("http://{addr}")).unwrap();
    // The server binds when its task first runs.
    let mut tries = 0;
    let channel = loop {
        match endpoint.connect().await {
            Ok(channel) => break channel,
            Err(error) if tries < 50 => {
                tries += 1;
                let _ = error;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("connect over h2c to {addr}: {error}"),
        }
    };
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    (HealthClient::new(channel).check(request).await)
        .expect("a gRPC answer")
        .into_inner()
        .status()
}

#[tokio::test]
async fn every_reader_of_an_attribute_probe_shares_one_run_and_one_entry() {
    metrics();
    // Built before any request, in the order a user might.
    let app: Router = Router::new()
        .merge(healthz::router())
        .merge(healthz::router_at("/admin"))
        .route("/readyz", healthz::ready_route())
        .route("/livez", healthz::live_route())
        .merge(healthz::grpc::Grpc::new().router());
    let addr = serve(app).await;
    let tonic = tonic_server(healthz::grpc::Grpc::new().service(()));
    let own = format!("127.0.0.1:{}", free_port());
    tokio::spawn(healthz::serve(own.clone()));

    for path in ["/healthz/ready", "/admin/ready", "/readyz"] {
        assert_eq!(get(addr, path).await.status, 200, "{path}");
    }
    for path in ["/healthz/live", "/admin/live", "/livez", "/healthz/startup"] {
        get(addr, path).await;
    }
    assert_eq!(grpc_check(addr, "readiness").await, ServingStatus::Serving);
    assert_eq!(grpc_check(tonic, "readiness").await, ServingStatus::Serving);
    assert_eq!(grpc_check(tonic, "liveness").await, ServingStatus::Serving);
    let own: SocketAddr = own.parse().unwrap();
    assert_eq!(get(own, "/healthz/ready").await.status, 200);
    assert_eq!(get(own, "/healthz/live").await.status, 200);

    assert_eq!(READY_RUNS.load(Ordering::SeqCst), 1, "one readiness run");
    assert_eq!(LIVE_RUNS.load(Ordering::SeqCst), 1, "one liveness run");

    let snapshot = healthz::lifecycle().health().snapshot();
    let kinds: Vec<_> = snapshot.probes().iter().map(|p| p.probe()).collect();
    assert_eq!(kinds, [Probe::Live, Probe::Ready], "each once");

    let runs = series("healthz_probe_runs_total", "ready");
    assert_eq!(runs.len(), 1, "one series: {runs:?}");
    assert!(runs[0].ends_with(" 1"), "one run counted: {runs:?}");
    assert_eq!(series("healthz_probe_runs_total", "live").len(), 1);
}

/// A builder's probes, and how often its readiness probe ran, with
/// `$options` for readiness: a macro, as the closures' types have no name.
macro_rules! counted {
    ($options:expr, $lifecycle:expr) => {{
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let health = Healthz::new()
            .live_with(Options::DEFAULT.with_blocking(), || ())
            .ready_with($options, move || {
                let runs = counter.clone();
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .lifecycle($lifecycle.clone());
        (health, runs)
    }};
}

#[tokio::test]
async fn a_builder_and_its_clones_share_one_state_across_readers() {
    let lifecycle = Lifecycle::new();
    let options = Options::DEFAULT.with_cache(Duration::from_secs(30));
    let (health, runs) = counted!(options, lifecycle);
    let copy = health.clone();
    let app: Router = Router::new()
        .merge(health.router())
        .merge(copy.clone().prefix("/admin").router())
        .merge(health.grpc_router(
            healthz::grpc::Grpc::new().with_service("orders.v1.Orders", Probe::Ready),
        ));
    let addr = serve(app).await;
    let tonic = tonic_server(copy.grpc_service(healthz::grpc::Grpc::new(), ()));

    for path in ["/healthz/ready", "/admin/ready"] {
        assert_eq!(get(addr, path).await.status, 200, "{path}");
    }
    assert_eq!(grpc_check(addr, "readiness").await, ServingStatus::Serving);
    assert_eq!(grpc_check(tonic, "readiness").await, ServingStatus::Serving);
    assert_eq!(
        grpc_check(addr, "orders.v1.Orders").await,
        ServingStatus::Serving,
        "a service name of the app's own, answered by readiness"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one run for five readers");
    assert_eq!(lifecycle.health().snapshot().probes().len(), 2);

    // Another builder is another probe, with a state of its own.
    let (other, other_runs) = counted!(options, lifecycle);
    let addr = serve(other.router()).await;
    get(addr, "/healthz/ready").await;
    assert_eq!(other_runs.load(Ordering::SeqCst), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(lifecycle.health().snapshot().probes().len(), 4);
}

#[tokio::test]
async fn a_stale_answer_is_refreshed_once_for_every_reader() {
    let lifecycle = Lifecycle::new();
    let options = Options::DEFAULT
        .with_cache(Duration::from_millis(200))
        .with_stale(Duration::from_secs(60));
    let (health, runs) = counted!(options, lifecycle);
    let app: Router = Router::new()
        .merge(health.router())
        .merge(health.clone().prefix("/admin").router())
        .merge(health.grpc_router(healthz::grpc::Grpc::new()));
    let addr = serve(app).await;
    let paths = ["/healthz/ready", "/admin/ready"];
    for path in paths {
        get(addr, path).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in paths {
        let reply = get(addr, path).await;
        assert_eq!(reply.status, 200, "served stale at once: {path}");
    }
    assert_eq!(grpc_check(addr, "readiness").await, ServingStatus::Serving);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "one refresh for every reader"
    );
}
