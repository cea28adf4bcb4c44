#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness(_body: String) {}

fn main() {
    let _: axum::Router = healthz::router();
}
