#[healthz::live(interval = "10s", cache = "5s")]
fn liveness() {}

#[healthz::ready(interval = "10s", cache = "5s", stale = "1m")]
async fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
