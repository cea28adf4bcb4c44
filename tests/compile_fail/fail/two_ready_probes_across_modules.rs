mod database {
    #[healthz::ready]
    pub async fn readiness() {}
}

mod cache {
    #[healthz::ready]
    pub async fn readiness() {}
}

#[healthz::live]
fn liveness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
