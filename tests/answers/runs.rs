//! A probe's run belongs to the probe: it outlives the request that started
//! it, and with `stale` the answer never waits for it. Shown against a real
//! server on 127.0.0.1, asserting on runs and the order of events rather
//! than on wall-clock thresholds.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use healthz::{HealthError, Healthz, Options};
use support::{get, serve};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// What happened, in order: runs starting and ending, answers arriving.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn count(&self, event: &str) -> usize {
        self.all().iter().filter(|e| *e == event).count()
    }
}

/// A readiness probe that takes `run` to answer `Database slow`.
async fn serve_probe(options: Options, run: Duration) -> (Events, SocketAddr) {
    let events = Events::default();
    let app = Router::new()
        .merge(
            Healthz::new()
                .live(|| ())
                .ready_with(options, move |State(events): State<Events>| async move {
                    events.push("run started");
                    tokio::time::sleep(run).await;
                    events.push("run ended");
                    Err::<(), _>(HealthError::new("Database slow"))
                })
                .router(),
        )
        .with_state(events.clone());
    (events.clone(), serve(app).await)
}

#[tokio::test]
async fn a_run_goes_on_after_its_request_disconnects_and_its_answer_is_shared_and_cached() {
    let options = Options::DEFAULT
        .with_timeout(Duration::from_secs(5))
        .with_cache(Duration::from_secs(3600));
    let (events, addr) = serve_probe(options, Duration::from_secs(1)).await;

    // The kubelet gives up after 100 ms and closes its connection.
    let mut impatient = TcpStream::connect(addr).await.unwrap();
    impatient
        .write_all(b"GET /healthz/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(impatient);

    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = get(addr, "/healthz/ready").await;
    events.push("second answered");
    assert_eq!(
        (second.status, second.text()),
        (503, r#"{"status": 503, "title": "Database slow"}"#)
    );
    assert_eq!(
        events.all(),
        ["run started", "run ended", "second answered"],
        "the second request shared the run the first one started"
    );

    let third = get(addr, "/healthz/ready").await;
    assert_eq!(third.text(), second.text());
    assert_eq!(events.count("run started"), 1, "the third one was cached");
}

#[tokio::test]
async fn an_expired_answer_is_served_at_once_while_one_run_refreshes_it() {
    let options = Options::DEFAULT
        .with_cache(Duration::from_millis(500))
        .with_stale(Duration::from_secs(10));
    let (events, addr) = serve_probe(options, Duration::from_millis(300)).await;

    assert_eq!(get(addr, "/healthz/ready").await.status, 503);
    tokio::time::sleep(Duration::from_millis(600)).await;

    for _ in 0..3 {
        let stale = get(addr, "/healthz/ready").await;
        assert_eq!(
            stale.text(),
            r#"{"status": 503, "title": "Database slow"}"#,
            "the body shows no difference"
        );
        events.push("stale answered");
    }
    let verbose = get(addr, "/healthz/ready?verbose").await;
    let age_line = (verbose.text().lines())
        .find(|line| line.starts_with("stale: this answer is "))
        .unwrap_or_else(|| panic!("no age in {:?}", verbose.text()));
    assert!(
        age_line.ends_with(" old, a run refreshing it is under way"),
        "{age_line}"
    );
    while events.count("run ended") < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        events.all()[..7],
        [
            "run started",
            "run ended",
            "run started",
            "stale answered",
            "stale answered",
            "stale answered",
            "run ended",
        ],
        "the requests did not wait for the one refresh"
    );
    let fresh = get(addr, "/healthz/ready?verbose").await;
    assert!(!fresh.text().contains("stale"), "{}", fresh.text());
    assert_eq!(events.count("run started"), 2);
}

#[tokio::test]
#[should_panic(expected = "the ready probe's `Options` are refused: `blocking` runs a sync probe")]
async fn the_builder_refuses_blocking_for_an_async_probe() {
    let _: Router = Healthz::new()
        .live(|| ())
        .ready_with(Options::DEFAULT.with_blocking(), || async {})
        .router();
}
