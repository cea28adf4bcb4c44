#[healthz::live]
fn liveness() {}

#[healthz::live]
fn also_liveness() {}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
