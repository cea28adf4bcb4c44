#[healthz::live]
const fn liveness() {}

#[healthz::ready]
unsafe fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
