#[healthz::live(history = 0)]
fn liveness() {}

#[healthz::ready(history = "32", interval = "0s")]
async fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
