#[healthz::live]
async fn liveness() -> bool {
    true
}

#[healthz::ready]
pub async fn readiness() -> bool {
    tokio::task::yield_now().await;
    false
}

fn main() {
    let _: axum::Router = healthz::router();
}
