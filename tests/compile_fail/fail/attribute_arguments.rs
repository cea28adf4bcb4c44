#[healthz::live(fast)]
fn liveness() {}

#[healthz::ready(timeout)]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
