#[healthz::live]
fn liveness() {}

#[healthz::ready(timeout = "2s", blocking)]
async fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
