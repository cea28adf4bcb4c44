//! The cost of a probe request through `healthz::router()` against a
//! hand-written axum handler that answers the same bytes: through the router
//! alone (`oneshot`), and over HTTP/1.1 on 127.0.0.1 with a kept-alive
//! connection, as the kubelet sends them. And the cost of a heartbeat's
//! beat.
//!
//! Then what observing runs adds: a request served a cached answer, which
//! records nothing, and both with a Prometheus recorder installed, as an app
//! with the `metrics` feature has. Spans are at `DEBUG`, and no subscriber
//! is installed, so every case also shows what an uninterested subscriber
//! costs.
//!
//! `cargo bench -p healthz-suite --bench probe` (with `metrics`), and
//! `cargo bench -p healthz-suite --bench probe --no-default-features`
//! (without).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness() -> Result<(), healthz::HealthError> {
    Ok(())
}

async fn hand_written() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/problem+json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        r#"{"status": 200, "title": "OK"}"#,
    )
}

fn request(path: &'static str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn call(app: &Router, path: &'static str) {
    let response = app.clone().oneshot(request(path)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    axum::body::to_bytes(response.into_body(), 64)
        .await
        .unwrap();
}

fn probe_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let healthz: Router = healthz::router();
    let hand: Router = Router::new()
        .route("/healthz/live", get(hand_written))
        .route("/healthz/ready", get(hand_written));

    let mut group = c.benchmark_group("probe request");
    group.bench_function("hand-written handler", |b| {
        b.to_async(&runtime).iter(|| call(&hand, "/healthz/live"))
    });
    group.bench_function("healthz sync probe", |b| {
        b.to_async(&runtime)
            .iter(|| call(&healthz, "/healthz/live"))
    });
    group.bench_function("healthz async probe", |b| {
        b.to_async(&runtime)
            .iter(|| call(&healthz, "/healthz/ready"))
    });
    group.finish();
}

/// One kept-alive HTTP/1.1 connection to a server on 127.0.0.1.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(app: Router) -> Connection {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Connection {
            stream,
            buffer: Vec::with_capacity(512),
        }
    }

    /// Sends `GET path` and reads the whole answer, whose body is 30 bytes.
    async fn get(&mut self, path: &str) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
        self.stream.write_all(request.as_bytes()).await.unwrap();
        self.buffer.clear();
        loop {
            let mut chunk = [0u8; 512];
            let read = self.stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..read]);
            if let Some(head) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                if self.buffer.len() >= head + 4 + 30 {
                    assert!(self.buffer.starts_with(b"HTTP/1.1 200"));
                    return;
                }
            }
        }
    }
}

fn probe_over_http(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut hand = runtime.block_on(Connection::open(
        Router::new().route("/healthz/live", get(hand_written)),
    ));
    let mut healthz = runtime.block_on(Connection::open(healthz::router()));

    let mut group = c.benchmark_group("probe over HTTP");
    group.bench_function("hand-written handler", |b| {
        b.iter(|| runtime.block_on(hand.get("/healthz/live")))
    });
    group.bench_function("healthz sync probe", |b| {
        b.iter(|| runtime.block_on(healthz.get("/healthz/live")))
    });
    group.bench_function("healthz async probe", |b| {
        b.iter(|| runtime.block_on(healthz.get("/healthz/ready")))
    });
    group.finish();
}

/// A sync probe run at each request, and one whose answer is cached: the
/// per-run and per-request costs, through the router alone.
fn observed(c: &mut Criterion, group: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let run: Router = healthz::Healthz::new()
        .live(|| ())
        .ready(|| ())
        .lifecycle(healthz::Lifecycle::new())
        .router();
    let cached: Router = healthz::Healthz::new()
        .live_with(
            healthz::Options::DEFAULT.with_cache(std::time::Duration::from_secs(3600)),
            || (),
        )
        .ready(|| ())
        .lifecycle(healthz::Lifecycle::new())
        .router();
    let mut group = c.benchmark_group(group);
    group.bench_function("a run per request", |b| {
        b.to_async(&runtime).iter(|| call(&run, "/healthz/live"))
    });
    group.bench_function("cached answer", |b| {
        b.to_async(&runtime).iter(|| call(&cached, "/healthz/live"))
    });
    group.finish();
}

fn without_recorder(c: &mut Criterion) {
    observed(c, "no recorder");
}

/// Last: the recorder stays installed for the rest of the process.
fn with_recorder(c: &mut Criterion) {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();
    observed(c, "Prometheus recorder");
    // What the runs recorded, so that the numbers are of real records.
    assert_eq!(
        cfg!(feature = "metrics"),
        handle.render().contains("healthz_probe_runs_total")
    );
}

/// `Heartbeat::beat`, called from the app's hottest loops.
fn heartbeat(c: &mut Criterion) {
    let lifecycle = healthz::Lifecycle::new();
    let beat = lifecycle.heartbeat("consumer", std::time::Duration::from_secs(30));
    c.bench_function("Heartbeat::beat", |b| b.iter(|| beat.beat()));
    beat.finish();
}

criterion_group!(
    benches,
    probe_path,
    probe_over_http,
    heartbeat,
    without_recorder,
    with_recorder
);
criterion_main!(benches);
