use std::rc::Rc;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness() {
    let counter = Rc::new(1);
    tokio::task::yield_now().await;
    drop(counter);
}

fn main() {
    let _: axum::Router = healthz::router();
}
