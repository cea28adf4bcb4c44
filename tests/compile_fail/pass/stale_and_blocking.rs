#[healthz::live(blocking, timeout = "250ms")]
fn liveness() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}

#[healthz::ready(cache = "5s", stale = "1m")]
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
    assert_eq!(
        live_options::<_, Probes>(),
        Options::DEFAULT.with_blocking().with_timeout(Duration::from_millis(250))
    );
    assert_eq!(
        ready_options::<_, Probes>(),
        Options::DEFAULT.with_cache(Duration::from_secs(5)).with_stale(Duration::from_secs(60))
    );
    liveness();
    let _: axum::Router = healthz::router();
}
