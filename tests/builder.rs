//! Probes given at run time with `healthz::Healthz`: the same answers as the
//! attributes give, and several differently-probed apps in one process.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use healthz::Options;
use healthz::{Check, Checks, HealthError, Healthz, Lifecycle};
use support::{Reply, get, request, request_with, serve};

#[derive(Clone, Copy)]
enum Db {
    Up,
    Down(&'static str),
    Hidden(&'static str),
    Slow,
}

#[derive(Clone)]
struct AppState(Arc<Mutex<Db>>);

impl AppState {
    fn new(db: Db) -> Self {
        AppState(Arc::new(Mutex::new(db)))
    }
}

async fn ping(db: Db) -> Result<(), HealthError> {
    match db {
        Db::Up => Ok(()),
        Db::Down(reason) => Err(HealthError::new(reason)),
        Db::Hidden(secret) => Err(std::io::Error::other(secret))?,
        Db::Slow => std::future::pending().await,
    }
}

// The same functions serve both paths: the attributes keep them callable.
#[healthz::live(timeout = "200ms")]
async fn liveness(State(state): State<AppState>) -> Result<(), HealthError> {
    let db = *state.0.lock().unwrap();
    ping(db).await
}

#[healthz::ready(timeout = "200ms")]
fn readiness(State(state): State<AppState>, _headers: HeaderMap) -> Checks {
    let db = *state.0.lock().unwrap();
    Checks::new()
        .check("database", ping(db))
        .check("cache", async { true })
        .add_check(Check::new("search", async { false }).warn_only())
}

fn by_attributes(state: AppState) -> Router {
    Router::new().merge(healthz::router()).with_state(state)
}

fn by_builder(state: AppState) -> Router {
    let probes = Healthz::new()
        .live_with(
            Options::DEFAULT.with_timeout(Duration::from_millis(200)),
            liveness,
        )
        .ready_with(
            Options::DEFAULT.with_timeout(Duration::from_millis(200)),
            readiness,
        )
        .router();
    Router::new().merge(probes).with_state(state)
}

/// The parts of an answer that must match, with durations zeroed.
fn comparable(reply: &Reply) -> (u16, Option<String>, Option<String>, String) {
    let mut body = String::new();
    let mut rest = reply.text();
    while let Some(at) = rest.find("\": ") {
        let (head, tail) = rest.split_at(at + 3);
        body.push_str(head);
        rest = tail;
        if head.ends_with("duration_ms\": ") || head.ends_with("observedValue\": ") {
            body.push('0');
            rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    body.push_str(rest);
    let header = |name| reply.header(name).map(str::to_owned);
    (reply.status, header("content-type"), header("allow"), body)
}

/// A request: method, path and extra headers.
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CASES: &[Case] = &[
    ("GET", "/healthz/live", &[]),
    ("HEAD", "/healthz/live", &[]),
    ("POST", "/healthz/live", &[]),
    ("GET", "/healthz/live?verbose", &[]),
    ("GET", "/healthz/ready", &[]),
    ("GET", "/healthz/ready?verbose", &[]),
    (
        "GET",
        "/healthz/ready?verbose&exclude=database&exclude=nope",
        &[],
    ),
    ("GET", "/healthz/ready/database", &[]),
    ("GET", "/healthz/ready/nope", &[]),
    (
        "GET",
        "/healthz/ready",
        &[("Accept", "application/health+json")],
    ),
    ("GET", "/healthz/metrics", &[]),
    ("GET", "/healthz/startup", &[]),
];

async fn answers(addr: SocketAddr) -> Vec<(u16, Option<String>, Option<String>, String)> {
    let mut answers = Vec::new();
    for (method, path, headers) in CASES {
        answers.push(comparable(&request_with(addr, method, path, headers).await));
    }
    answers
}

#[tokio::test]
async fn the_builder_answers_exactly_as_the_attributes_do() {
    for db in [
        Db::Up,
        Db::Down("Base de données indisponible"),
        Db::Hidden("password=hunter2"),
        Db::Slow,
    ] {
        let attributes = serve(by_attributes(AppState::new(db))).await;
        let builder = serve(by_builder(AppState::new(db))).await;
        let (expected, actual) = (answers(attributes).await, answers(builder).await);
        for (case, (expected, actual)) in CASES.iter().zip(expected.iter().zip(&actual)) {
            assert_eq!(expected, actual, "{case:?}");
        }
        assert!(!actual.iter().any(|answer| answer.3.contains("hunter2")));
    }
}

#[tokio::test]
async fn two_differently_probed_apps_share_one_process() {
    let orders = Healthz::new()
        .live(|| ())
        .ready(|| async { Err::<(), _>(HealthError::new("Orders database down")) })
        .router();
    let billing = Healthz::new()
        .live(|| true)
        .ready(|State(ledger): State<Arc<str>>| async move { !ledger.is_empty() })
        .prefix("/probes")
        .router();
    let orders = serve(orders).await;
    let billing = serve(billing.with_state(Arc::from("ledger"))).await;

    let reply = get(orders, "/healthz/ready").await;
    assert_eq!(
        (reply.status, reply.text()),
        (503, r#"{"status": 503, "title": "Orders database down"}"#)
    );
    let reply = get(billing, "/probes/ready").await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, r#"{"status": 200, "title": "OK"}"#)
    );
    assert_eq!(get(billing, "/healthz/ready").await.status, 404);
    assert_eq!(
        get(orders, "/healthz/live").await.text(),
        r#"{"status": 200, "title": "OK"}"#
    );
}

#[tokio::test]
async fn each_app_can_have_its_own_lifecycle() {
    let (first, second) = (Lifecycle::new(), Lifecycle::new());
    let app = |lifecycle: &Lifecycle| {
        Healthz::new()
            .live(|| ())
            .ready(|| ())
            .lifecycle(lifecycle.clone())
            .router()
    };
    let first_addr = serve(app(&first)).await;
    let second_addr = serve(app(&second)).await;

    first.mark_not_ready("Warming the cache");
    second.mark_started();
    assert_eq!(
        get(first_addr, "/healthz/ready").await.text(),
        r#"{"status": 503, "title": "Warming the cache"}"#
    );
    assert_eq!(get(second_addr, "/healthz/ready").await.status, 200);
    assert_eq!(get(first_addr, "/healthz/startup").await.status, 503);
    assert_eq!(get(second_addr, "/healthz/startup").await.status, 200);
}

#[tokio::test]
async fn builder_probes_keep_timeouts_caching_and_panic_isolation() {
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    let app = Healthz::new()
        .live(|| -> bool { panic!("expected builder panic") })
        .ready_with(
            Options::DEFAULT
                .with_timeout(Duration::from_millis(100))
                .with_cache(Duration::from_millis(60_000)),
            move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { tokio::time::sleep(Duration::from_secs(60)).await }
            },
        )
        .router();
    let addr = serve(app).await;
    for _ in 0..3 {
        let reply = get(addr, "/healthz/ready").await;
        assert_eq!(
            reply.text(),
            r#"{"status": 503, "title": "The ready check timed out after 100ms"}"#
        );
    }
    assert_eq!(
        runs.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the failure was cached"
    );
    let reply = request(addr, "GET", "/healthz/live").await;
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The live check panicked"}"#
    );
}

#[test]
#[should_panic(
    expected = "a healthz prefix starts with `/`, got \"internal\": write \"/internal\""
)]
fn a_prefix_is_refused_where_it_is_given() {
    // No router is built: the setter refuses it.
    let _ = Healthz::new().prefix("internal");
}

/// Found by tests/answers/properties.rs: a check name that is not UTF-8
/// once decoded was answered 400 by axum's `Path`, a status the endpoints
/// never give. It names no check, so it is answered as an unknown one.
#[tokio::test]
async fn a_check_name_that_is_not_utf8_is_unknown_not_a_bad_request() {
    let app = Healthz::new()
        .live(|| ())
        .ready(|| Checks::new().check("database", async { true }))
        .lifecycle(Lifecycle::new())
        .router();
    let addr = serve(app).await;
    let reply = get(addr, "/healthz/ready/%FF%FE").await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert_eq!(
        reply.text(),
        get(addr, "/healthz/ready/nope")
            .await
            .text()
            .replace("nope", r"\ufffd\ufffd")
    );
    let reply = get(addr, "/healthz/%FF").await;
    assert_eq!(reply.status, 404, "{}", reply.text());
}
