#![deny(warnings)]

fn main() {
    #[healthz::live]
    fn liveness() {}

    #[healthz::ready]
    async fn readiness() {}

    let _: axum::Router = axum::Router::new()
        .route("/livez", healthz::live_route())
        .route("/readyz", healthz::ready_route());
}
