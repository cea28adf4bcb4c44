//! Background refresh: a probe with an `interval` runs whether asked or
//! not, and its requests are answered from the latest run, over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use healthz::{HealthError, Healthz, Options};

static READY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[healthz::live]
fn liveness() {}

#[healthz::ready(interval = "1s", timeout = "500ms", history = 4)]
fn readiness() {
    READY_RUNS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test]
async fn an_unasked_probe_runs_about_once_a_period() {
    let addr = support::serve(healthz::router()).await;
    let reply = support::get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        READY_RUNS.load(Ordering::SeqCst),
        1,
        "the first request runs it"
    );
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let runs = READY_RUNS.load(Ordering::SeqCst);
    assert!(
        (3..=5).contains(&runs),
        "{runs} runs in 3.5 s, with no request"
    );

    let asked = std::time::Instant::now();
    for _ in 0..20 {
        support::get(addr, "/healthz/ready").await;
    }
    // The ticks while they were asked, and none for the requests.
    let ticks = usize::try_from(asked.elapsed().as_secs()).unwrap() + 1;
    let after = READY_RUNS.load(Ordering::SeqCst);
    assert!(
        after - runs <= ticks,
        "20 requests in {ticks} ticks ran it {} times",
        after - runs
    );
}

#[tokio::test]
async fn a_request_never_waits_for_a_background_run() {
    let runs = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(AtomicBool::new(false));
    let app = Healthz::new()
        .live(|| ())
        .ready_with(
            Options::DEFAULT
                .with_interval(Duration::from_secs(3))
                .with_timeout(Duration::from_secs(2)),
            {
                let (runs, running) = (runs.clone(), running.clone());
                move || {
                    let (runs, running) = (runs.clone(), running.clone());
                    async move {
                        // The first run passes; each later one hangs until its
                        // timeout fails it.
                        if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                            return Ok(());
                        }
                        running.store(true, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                        Err(HealthError::new("never"))
                    }
                }
            },
        )
        .router();
    let addr = support::serve(app).await;
    assert_eq!(support::get(addr, "/healthz/ready").await.status, 200);
    while !running.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Joining the run under way would have answered its timeout: 503.
    let reply = support::get(addr, "/healthz/ready").await;
    assert_eq!(
        reply.status,
        200,
        "answered from the latest run: {}",
        reply.text()
    );

    let timed_out = support::until(addr, "/healthz/ready", 503, Duration::from_secs(10)).await;
    assert!(
        timed_out.text().contains("timed out after 2s"),
        "{}",
        timed_out.text()
    );
}

#[test]
#[should_panic(
    expected = "the ready probe's `Options` are refused: `cache` has no effect with `interval`"
)]
fn the_builder_refuses_a_cache_beside_an_interval() {
    let options = Options::DEFAULT
        .with_interval(Duration::from_secs(10))
        .with_cache(Duration::from_secs(5));
    let _: axum::Router = Healthz::new()
        .live(|| ())
        .ready_with(options, || ())
        .router();
}

#[test]
#[should_panic(
    expected = "the live probe's `Options` are refused: `interval` must be longer than `timeout` (900ms unless given)"
)]
fn the_builder_refuses_an_interval_not_longer_than_the_timeout() {
    let options = Options::DEFAULT.with_interval(Duration::from_millis(500));
    let _: axum::Router = Healthz::new()
        .live_with(options, || ())
        .ready(|| ())
        .router();
}
