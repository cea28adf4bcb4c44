#[healthz::live(timeout = "250ms")]
fn liveness() {}

#[healthz::ready(timeout = "2s", cache = "5s")]
async fn readiness() {}

fn main() {
    use healthz::Options;
    use healthz::probe::{Live, Probes, Ready};
    use std::time::Duration;

    fn live_options<M, P: Live<M, ()>>() -> Options {
        P::OPTIONS
    }
    fn ready_options<M, P: Ready<M, ()>>() -> Options {
        P::OPTIONS
    }
    assert_eq!(live_options::<_, Probes>(), Options::DEFAULT.with_timeout(Duration::from_millis(250)));
    assert_eq!(ready_options::<_, Probes>(), Options::DEFAULT.with_timeout(Duration::from_millis(2_000)).with_cache(Duration::from_millis(5_000)));
    let _: axum::Router = healthz::router();
}
