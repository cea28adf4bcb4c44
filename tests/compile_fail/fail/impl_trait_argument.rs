#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness(_db: impl Clone) {}

fn main() {
    let _: axum::Router = healthz::router();
}
