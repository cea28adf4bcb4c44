#[healthz::live(cache = "5s", stale = "forever", blocking = true)]
fn liveness() {}

#[healthz::ready(cache = "5s", stale = "0s", blocking, blocking)]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
