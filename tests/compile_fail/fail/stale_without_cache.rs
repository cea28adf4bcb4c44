#[healthz::live]
fn liveness() {}

#[healthz::ready(stale = "1m")]
async fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
