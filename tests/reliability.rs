//! Probes that never hang, never stampede a dependency and never take the
//! server down, shown against a real server on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::map_request;
use axum::routing;
use healthz::HealthError;
use support::{get, get_within, serve};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Pass,
    /// Wait until this many probe requests have reached the server.
    HoldUntil(usize),
    Hang,
    Panic,
}

#[derive(Clone)]
struct Harness {
    mode: Arc<Mutex<Mode>>,
    live_fails: Arc<AtomicBool>,
    runs: Arc<AtomicUsize>,
    arrivals: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

/// Counts a run that was dropped before it finished.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

const PANIC_MARK: &str = "expected probe panic";

#[healthz::ready(timeout = "300ms")]
async fn readiness(State(h): State<Harness>) -> Result<(), HealthError> {
    h.runs.fetch_add(1, Ordering::SeqCst);
    let mode = *h.mode.lock().unwrap();
    match mode {
        Mode::Pass => {}
        Mode::HoldUntil(_) => unreachable!("the herd test uses the live probe"),
        Mode::Hang => {
            let _counter = DropCounter(h.dropped.clone());
            std::future::pending::<()>().await;
        }
        Mode::Panic => panic!("{PANIC_MARK}: password=hunter2"),
    }
    Ok(())
}

#[healthz::live(timeout = "30s")]
async fn liveness(State(h): State<Harness>) -> Result<(), HealthError> {
    h.runs.fetch_add(1, Ordering::SeqCst);
    let mode = *h.mode.lock().unwrap();
    if let Mode::HoldUntil(herd) = mode {
        // Bounded: 30 s at most, the probe's own timeout.
        while h.arrivals.load(Ordering::SeqCst) < herd {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    if h.live_fails.load(Ordering::SeqCst) {
        Err(HealthError::new("Event loop stalled"))
    } else {
        Ok(())
    }
}

async fn server(mode: Mode) -> (Harness, SocketAddr) {
    let harness = Harness {
        mode: Arc::new(Mutex::new(mode)),
        live_fails: Arc::new(AtomicBool::new(false)),
        runs: Arc::new(AtomicUsize::new(0)),
        arrivals: Arc::new(AtomicUsize::new(0)),
        dropped: Arc::new(AtomicUsize::new(0)),
    };
    let arrivals = harness.arrivals.clone();
    let app = Router::new()
        .route("/", routing::get(|| async { "home" }))
        .merge(healthz::router())
        .layer(map_request(move |request: Request| {
            if request.uri().path().starts_with("/healthz/") {
                arrivals.fetch_add(1, Ordering::SeqCst);
            }
            async move { request }
        }))
        .with_state(harness.clone());
    let addr = serve(app).await;
    (harness, addr)
}

/// Keeps the expected panics of these tests out of the output, and only them.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let expected = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.contains(PANIC_MARK));
            if !expected {
                default(info);
            }
        }));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_herd_of_concurrent_probes_runs_the_check_once() {
    let _turn = support::one_at_a_time().await;
    // Below the smallest accept queue a kernel is set up with (128), so
    // that no connection waits on a retransmitted handshake; and every
    // request may wait as long as the herd takes to arrive on a busy
    // machine, below the probe's timeout.
    const HERD: usize = 100;
    let (harness, addr) = server(Mode::HoldUntil(HERD)).await;
    let requests: Vec<_> = (0..HERD)
        .map(|_| tokio::spawn(get_within(Duration::from_secs(25), addr, "/healthz/live")))
        .collect();
    for request in requests {
        let reply = request.await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, br#"{"status": 200, "title": "OK"}"#);
    }
    assert_eq!(harness.arrivals.load(Ordering::SeqCst), HERD);
    assert_eq!(
        harness.runs.load(Ordering::SeqCst),
        1,
        "every request waited for the same run"
    );

    // Once that run is over, the next request runs the check again.
    *harness.mode.lock().unwrap() = Mode::Pass;
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
    assert_eq!(harness.runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_check_that_never_returns_answers_503_at_its_timeout() {
    let _turn = support::one_at_a_time().await;
    let (harness, addr) = server(Mode::Hang).await;
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The ready check timed out after 300ms"}"#
    );
    assert_eq!(
        harness.dropped.load(Ordering::SeqCst),
        1,
        "the hung check was dropped"
    );
    assert_eq!(get(addr, "/").await.text(), "home");
}

#[tokio::test]
async fn panicking_probes_answer_503_and_the_server_keeps_serving() {
    let _turn = support::one_at_a_time().await;
    const PANICS: usize = 200;
    quiet_expected_panics();
    let (harness, addr) = server(Mode::Panic).await;
    for _ in 0..PANICS {
        let reply = get(addr, "/healthz/ready").await;
        assert_eq!(reply.status, 503);
        assert_eq!(
            reply.text(),
            r#"{"status": 503, "title": "The ready check panicked"}"#
        );
    }
    assert_eq!(harness.runs.load(Ordering::SeqCst), PANICS);
    assert_eq!(get(addr, "/").await.text(), "home");
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
    *harness.mode.lock().unwrap() = Mode::Pass;
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
}

#[tokio::test]
async fn uncached_probes_run_at_every_request() {
    let _turn = support::one_at_a_time().await;
    let (harness, addr) = server(Mode::Pass).await;
    harness.live_fails.store(true, Ordering::SeqCst);
    assert_eq!(get(addr, "/healthz/live").await.status, 503);
    harness.live_fails.store(false, Ordering::SeqCst);
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
    assert_eq!(harness.runs.load(Ordering::SeqCst), 2);
}
