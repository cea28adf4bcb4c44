#[healthz::live(timeout: "2s")]
fn liveness() {}

#[healthz::ready(timeout = "2s" cache = "5s")]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
