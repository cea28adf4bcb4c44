#[healthz::live(cache = "0s")]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
