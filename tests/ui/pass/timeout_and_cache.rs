#[healthz::live(timeout = "250ms")]
fn liveness() {}

#[healthz::ready(timeout = "2s", cache = "5s")]
async fn readiness() {}

fn main() {
    use healthz::probe::{Live, Options, Probes, Ready};

    fn live_options<M, P: Live<M, ()>>() -> Options {
        P::OPTIONS
    }
    fn ready_options<M, P: Ready<M, ()>>() -> Options {
        P::OPTIONS
    }
    assert_eq!(live_options::<_, Probes>(), Options::DEFAULT.timeout_ms(250));
    assert_eq!(ready_options::<_, Probes>(), Options::DEFAULT.timeout_ms(2_000).cache_ms(5_000));
    let _: axum::Router = healthz::router();
}
