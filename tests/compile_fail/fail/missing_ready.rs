#[healthz::live]
fn liveness() {}

fn main() {
    let _: axum::Router = axum::Router::new().merge(healthz::router());
}
