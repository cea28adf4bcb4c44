mod checks {
    pub mod live {
        #[healthz::live]
        pub(crate) fn liveness() {}
    }

    #[healthz::ready]
    pub async fn readiness() {}
}

fn main() {
    checks::live::liveness();
    let _: axum::Router = healthz::router_at("/probes");
}
