use axum::http::HeaderMap;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness(_headers: &HeaderMap) {}

fn main() {
    let _: axum::Router = healthz::router();
}
