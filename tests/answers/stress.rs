//! A stress test of the single flight, the cache and the stale refresh over
//! real HTTP, bounded to a few seconds: many clients, one that cancels its
//! requests after microseconds, a probe that flips between pass and fail,
//! runs that finish at their first poll and runs that wait and are spawned.
//! No two runs overlap, every request is answered, and none is served an
//! answer older than one already served.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use healthz::{Checks, HealthError, Healthz, Lifecycle, Options};

/// How long the clients run.
const FOR: Duration = Duration::from_secs(3);
const CLIENTS: usize = 12;

#[derive(Default)]
struct Runs {
    started: AtomicU64,
    running: AtomicUsize,
    overlapped: AtomicBool,
}

/// A probe whose run `n` answers `run n` as a warning (200) or a failure
/// (503), by turns; every third run waits, so that it is spawned.
fn probe(runs: Arc<Runs>) -> impl Fn() -> Checks + Clone + Send + Sync + 'static {
    move || {
        let runs = runs.clone();
        Checks::new().check("seq", async move {
            if runs.running.fetch_add(1, Ordering::SeqCst) != 0 {
                runs.overlapped.store(true, Ordering::SeqCst);
            }
            let n = runs.started.fetch_add(1, Ordering::SeqCst) + 1;
            if n % 3 == 0 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            runs.running.fetch_sub(1, Ordering::SeqCst);
            let error = HealthError::new(format!("run {n}"));
            Err::<(), _>(if n % 2 == 0 { error.warn_only() } else { error })
        })
    }
}

/// The run an answer came from, read from its `?verbose` text.
fn run_of(text: &str) -> u64 {
    let at = text
        .find("run ")
        .unwrap_or_else(|| panic!("no run in {text:?}"));
    let digits: String = text[at + 4..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

async fn hammer(addr: SocketAddr, path: &'static str) -> (usize, u64) {
    let latest = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + FOR;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (latest, answered) = (latest.clone(), answered.clone());
        clients.push(tokio::spawn(async move {
            while Instant::now() < until {
                // What was served before this request was sent: its answer
                // may be no older.
                let floor = latest.load(Ordering::SeqCst);
                let reply = support::get(addr, path).await;
                assert!(matches!(reply.status, 200 | 503), "{reply:?}");
                let run = run_of(reply.text());
                assert!(run >= floor, "run {run} served after run {floor}");
                latest.fetch_max(run, Ordering::SeqCst);
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // One client that gives up on each request after microseconds.
    clients.push(tokio::spawn(async move {
        while Instant::now() < until {
            let cancelled = support::get(addr, path);
            let _ = tokio::time::timeout(Duration::from_micros(50), cancelled).await;
        }
    }));
    for client in clients {
        client
            .await
            .expect("a client's every request answered in order");
    }
    (
        answered.load(Ordering::SeqCst),
        latest.load(Ordering::SeqCst),
    )
}

async fn stress(options: Options) {
    let runs = Arc::new(Runs::default());
    let app = Healthz::new()
        .live(|| ())
        .ready_with(options, probe(runs.clone()))
        .lifecycle(Lifecycle::new())
        .router();
    let addr = support::serve(app).await;
    let (answered, latest) = hammer(addr, "/healthz/ready?verbose").await;
    assert!(
        !runs.overlapped.load(Ordering::SeqCst),
        "two runs overlapped"
    );
    assert!(answered > CLIENTS, "the clients were answered: {answered}");
    assert!(
        latest > 1,
        "the probe ran again and again: {latest} runs served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_cache() {
    stress(Options::DEFAULT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_cache_and_a_stale_refresh() {
    let options = Options::DEFAULT
        .with_cache(Duration::from_millis(1))
        .with_stale(Duration::from_millis(20));
    stress(options).await;
}
