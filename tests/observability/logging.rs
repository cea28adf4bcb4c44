//! What probes write to the log: nothing while they pass, one line per change
//! of state, and nothing in an access log merged before them.

use std::io;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use healthz::HealthError;
use support::Captured;
use tower_http::trace::TraceLayer;

#[derive(Clone, Default)]
struct Switch(Arc<Mutex<Option<Failure>>>);

#[derive(Clone, Copy)]
enum Failure {
    Reason(&'static str),
    Hidden(&'static str),
}

impl Switch {
    fn set(&self, failure: Option<Failure>) {
        *self.0.lock().unwrap() = failure;
    }
}

#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness(State(switch): State<Switch>) -> Result<(), HealthError> {
    let failure = *switch.0.lock().unwrap();
    match failure {
        None => Ok(()),
        Some(Failure::Reason(reason)) => Err(HealthError::new(reason)),
        Some(Failure::Hidden(text)) => Err(io::Error::other(text))?,
    }
}

/// A server whose readiness follows the returned switch.
async fn server() -> (Switch, std::net::SocketAddr) {
    let switch = Switch::default();
    let app = Router::new()
        .merge(healthz::router())
        .with_state(switch.clone());
    (switch, support::serve(app).await)
}

// A current-thread runtime keeps the server's tasks on the thread whose
// subscriber captures them.
#[tokio::test(flavor = "current_thread")]
async fn passing_probes_write_nothing_and_stay_out_of_the_access_log() {
    let _turn = support::one_at_a_time().await;
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(TraceLayer::new_for_http())
        .merge(healthz::router())
        .with_state(Switch::default());
    let addr = support::serve(app).await;
    // The probes' state is the process's: a test before may have left them
    // failing, and their recovery is logged once, before the capture.
    for path in ["/healthz/live", "/healthz/ready"] {
        assert_eq!(support::get(addr, path).await.status, 200);
    }
    let (log, _guard) = Captured::install();

    assert_eq!(support::get(addr, "/").await.status, 200);
    for _ in 0..5 {
        assert_eq!(support::get(addr, "/healthz/live").await.status, 200);
        assert_eq!(support::get(addr, "/healthz/ready").await.status, 200);
    }

    let text = log.text();
    assert_eq!(
        log.count("started processing request"),
        1,
        "only `/` is in the access log:\n{text}"
    );
    assert!(
        text.contains("uri=/ "),
        "the access log has the app's request:\n{text}"
    );
    assert!(
        !text.contains("/healthz"),
        "probe requests reached the access log:\n{text}"
    );
    assert!(
        !text.contains("healthz::"),
        "passing probes logged:\n{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_failure_is_logged_once_per_change_of_state() {
    let _turn = support::one_at_a_time().await;
    let (log, _guard) = Captured::install();
    let (switch, addr) = server().await;
    let ready = || support::get(addr, "/healthz/ready");

    switch.set(Some(Failure::Reason("Database down")));
    for _ in 0..5 {
        assert_eq!(ready().await.status, 503);
    }
    assert_eq!(log.count(" WARN "), 1, "{}", log.text());
    assert_eq!(log.count("Database down"), 1);

    switch.set(None);
    for _ in 0..3 {
        assert_eq!(ready().await.status, 200);
    }
    assert_eq!(log.count(" INFO "), 1, "{}", log.text());
    assert!(log.text().contains("health check passes again"));

    switch.set(Some(Failure::Reason("Cache down")));
    ready().await;
    ready().await;
    assert_eq!(
        log.count(" WARN "),
        2,
        "a new reason is a new state: {}",
        log.text()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_hidden_error_is_logged_in_full_but_not_answered() {
    let _turn = support::one_at_a_time().await;
    let (log, _guard) = Captured::install();
    let (switch, addr) = server().await;

    switch.set(Some(Failure::Hidden(
        "connect to db.internal:5432 as admin failed",
    )));
    let reply = support::get(addr, "/healthz/ready").await;
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The ready check failed"}"#
    );
    let text = log.text();
    assert!(
        text.contains("connect to db.internal:5432 as admin failed"),
        "{text}"
    );
    assert!(text.contains("WARN"), "{text}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_change_of_hidden_cause_is_logged_again() {
    let _turn = support::one_at_a_time().await;
    let (log, _guard) = Captured::install();
    let (switch, addr) = server().await;

    switch.set(Some(Failure::Hidden("connection refused")));
    support::get(addr, "/healthz/ready").await;
    support::get(addr, "/healthz/ready").await;
    switch.set(Some(Failure::Hidden("authentication failed")));
    let reply = support::get(addr, "/healthz/ready").await;
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The ready check failed"}"#
    );
    assert_eq!(log.count(" WARN "), 2, "{}", log.text());
    assert_eq!(log.count("authentication failed"), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejected_argument_is_logged_at_each_request_without_changing_state() {
    let _turn = support::one_at_a_time().await;
    let (log, _guard) = Captured::install();
    // The probe needs an `Extension` layer the app forgot.
    let app: Router = healthz::Healthz::new()
        .live(|| ())
        .ready(|axum::Extension(_pool): axum::Extension<u32>| async {})
        .router();
    let addr = support::serve(app).await;

    for _ in 0..3 {
        let reply = support::get(addr, "/healthz/ready").await;
        assert_eq!(
            reply.text(),
            r#"{"status": 503, "title": "The ready check failed"}"#
        );
    }
    let text = log.text();
    assert_eq!(
        log.count("health check arguments rejected"),
        3,
        "a missing layer must not fail silently:\n{text}"
    );
    assert!(text.contains("Extension<u32>"), "{text}");
    // axum logs its rejection at `TRACE` by itself; healthz's `WARN` must
    // hold the explanation too.
    let explained = text
        .lines()
        .filter(|line| line.contains("health check arguments rejected"))
        .filter(|line| {
            line.contains("Missing request extension: Extension of type `u32` was not found")
        })
        .count();
    assert_eq!(
        explained, 3,
        "axum's explanation of the rejection is logged:\n{text}"
    );
    assert!(
        !text.contains("health check failed") && !text.contains("passes again"),
        "the probe's own state did not change:\n{text}"
    );
}

/// An error that repeats its source's message in its own, as many do
/// (`broken pipe: broken pipe`).
#[derive(Debug)]
struct Repeating(io::Error);

impl std::fmt::Display for Repeating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing the request: {}", self.0)
    }
}

impl std::error::Error for Repeating {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_log_line_repeats_a_source_its_parent_already_says() {
    let (log, _guard) = Captured::install();
    let app: Router = healthz::Healthz::new()
        .live(|| ())
        .ready(|| -> Result<(), HealthError> {
            let cause = Repeating(io::Error::from(io::ErrorKind::BrokenPipe));
            Err(HealthError::with_source("Can't reach Payments", cause))
        })
        .lifecycle(healthz::Lifecycle::new())
        .router();
    let addr = support::serve(app).await;
    assert_eq!(support::get(addr, "/healthz/ready").await.status, 503);

    let text = log.text();
    let line = (text.lines())
        .find(|line| line.contains("health check failed"))
        .unwrap_or_else(|| panic!("the failure is logged:\n{text}"));
    assert!(
        line.contains("error=Can't reach Payments: writing the request: broken pipe"),
        "{line}"
    );
    assert_eq!(line.matches("broken pipe").count(), 1, "{line}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_sync_probe_that_blocks_past_its_timeout_is_logged_once_with_the_fix() {
    let (log, _guard) = Captured::install();
    let options = healthz::Options::DEFAULT.with_timeout(std::time::Duration::from_millis(50));
    let app: Router = healthz::Healthz::new()
        .live(|| ())
        .ready_with(options, || {
            std::thread::sleep(std::time::Duration::from_millis(200));
        })
        .lifecycle(healthz::Lifecycle::new())
        .router();
    let addr = support::serve(app).await;
    for _ in 0..3 {
        // It answers, late: a call that never waits cannot be stopped.
        assert_eq!(support::get(addr, "/healthz/ready").await.status, 200);
    }

    let text = log.text();
    assert_eq!(log.count(" WARN "), 1, "{text}");
    let line = (text.lines()).find(|line| line.contains(" WARN ")).unwrap();
    assert!(
        line.contains("the readiness probe blocked its thread for 2")
            && line.contains("past its 50ms timeout")
            && line.contains("#[healthz::ready(blocking)], or Options::with_blocking()"),
        "{line}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_probe_and_an_async_one_that_waits_are_not_logged() {
    let (log, _guard) = Captured::install();
    let options = healthz::Options::DEFAULT.with_timeout(std::time::Duration::from_millis(50));
    let app: Router = healthz::Healthz::new()
        .live_with(options.with_blocking(), || {
            std::thread::sleep(std::time::Duration::from_millis(200));
        })
        .ready_with(options, || async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        })
        .lifecycle(healthz::Lifecycle::new())
        .router();
    let addr = support::serve(app).await;
    assert_eq!(support::get(addr, "/healthz/live").await.status, 503);
    assert_eq!(support::get(addr, "/healthz/ready").await.status, 503);
    assert!(!log.text().contains("blocked its thread"), "{}", log.text());
}

/// A server of passing probes whose answers follow `lifecycle`.
async fn serve_passing_probes(lifecycle: &healthz::Lifecycle) -> std::net::SocketAddr {
    let app: Router = healthz::Healthz::new()
        .live(|| ())
        .ready(|| ())
        .lifecycle(lifecycle.clone())
        .router();
    support::serve(app).await
}

/// A log subscriber that reads the lifecycle at each event, as one that
/// adds the app's readiness to its lines would.
struct ReadsTheLifecycle(healthz::Lifecycle);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ReadsTheLifecycle {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let _ = self.0.not_ready_reason();
    }
}

/// The lifecycle logs with its lock released: a subscriber is the app's
/// code, and one that reads the lifecycle would otherwise wait on the lock
/// its own thread holds.
#[test]
fn a_subscriber_that_reads_the_lifecycle_is_not_deadlocked_by_its_logs() {
    use std::time::Duration;
    use tracing_subscriber::layer::SubscriberExt;

    let lifecycle = healthz::Lifecycle::new();
    let (done, finished) = std::sync::mpsc::channel();
    let logs = lifecycle.clone();
    std::thread::spawn(move || {
        let subscriber = tracing_subscriber::registry().with(ReadsTheLifecycle(logs.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let addr = serve_passing_probes(&logs).await;
                drop(logs.hold_not_ready("Warming the cache"));
                logs.mark_not_ready("Down for maintenance");
                logs.mark_ready();
                let beat = logs.heartbeat("consumer", Duration::from_millis(10));
                tokio::time::sleep(Duration::from_millis(50)).await;
                // Logged as late by the request that finds it so.
                let late = support::get(addr, "/healthz/live").await.status;
                beat.beat();
                let again = support::get(addr, "/healthz/live").await.status;
                beat.finish();
                done.send((late, again)).unwrap();
            });
        });
    });
    let statuses = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the lifecycle deadlocked a subscriber that reads it");
    assert_eq!(statuses, (503, 200));
}

#[tokio::test(flavor = "current_thread")]
async fn a_heartbeat_going_late_and_beating_again_is_logged_once_each() {
    use std::time::Duration;

    let (log, _guard) = Captured::install();
    let lifecycle = healthz::Lifecycle::new();
    let addr = serve_passing_probes(&lifecycle).await;
    // A period that three requests on 127.0.0.1 stay well within.
    let beat = lifecycle.heartbeat("consumer", Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..3 {
        assert_eq!(support::get(addr, "/healthz/live").await.status, 503);
    }
    beat.beat();
    for _ in 0..3 {
        assert_eq!(support::get(addr, "/healthz/live").await.status, 200);
    }
    // The clock, not the requests, finds it beating again, at its next
    // look: within a tenth of a second, well within the period.
    tokio::time::sleep(Duration::from_millis(100)).await;
    beat.finish();
    let text = log.text();
    assert_eq!(log.count("heartbeat late"), 1, "{text}");
    assert_eq!(log.count("heartbeat beating again"), 1, "{text}");
    let late = (text.lines())
        .find(|line| line.contains("heartbeat late"))
        .unwrap();
    assert!(
        late.contains(" WARN ") && late.contains("heartbeat=\"consumer\""),
        "{late}"
    );
}
