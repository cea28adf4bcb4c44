//! The cost of a probe request through `healthz::router()` against a
//! hand-written axum handler that answers the same bytes.
//!
//! `cargo bench --bench probe`

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, probe_path);
criterion_main!(benches);
