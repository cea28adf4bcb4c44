async fn readiness() -> bool {
    true
}

fn main() {
    let _: axum::Router = healthz::Healthz::new().ready(readiness).prefix("/probes").router();
}
