#[healthz::live]
fn liveness<T: Default>() {}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
