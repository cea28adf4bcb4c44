#[healthz::live(interval = "500ms")]
fn liveness() {}

#[healthz::ready(timeout = "10s", interval = "10s")]
async fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
