use std::future::Future;

#[healthz::live]
fn liveness() -> impl Future<Output = ()> {
    async {}
}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
