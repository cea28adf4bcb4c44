#[healthz::live(timeout = "soon", cache = -1)]
fn liveness() {}

#[healthz::ready(timeout = "0s", cache = "5s", cache = "10s")]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
