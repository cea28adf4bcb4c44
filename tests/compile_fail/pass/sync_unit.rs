#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

fn main() {
    liveness();
    readiness();
    let _: axum::Router = healthz::router();
}
