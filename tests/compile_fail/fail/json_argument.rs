use axum::Json;

#[healthz::live]
fn liveness(Json(_body): Json<u32>) {}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
