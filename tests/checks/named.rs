//! Named checks inside one probe, over real HTTP on 127.0.0.1: each reported
//! in the body, in `?verbose` text and in `application/health+json`, run
//! concurrently under their own timeouts, selectable one by one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use healthz::{Check, Checks, HealthError};
use support::{get, request_with, serve, timeless};
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Up,
    Down(&'static str),
    Hidden(&'static str),
    Huge,
    Slow(u64),
    Hang,
    Panic,
}

/// One dependency: how it behaves, and when its checks ran.
#[derive(Clone)]
struct Dependency {
    behaviour: Arc<Mutex<Behaviour>>,
    spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
}

impl Dependency {
    fn new() -> Self {
        Dependency {
            behaviour: Arc::new(Mutex::new(Behaviour::Up)),
            spans: Arc::default(),
        }
    }

    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }
}

#[derive(Clone)]
struct Deps {
    database: Dependency,
    cache: Dependency,
    search: Dependency,
}

async fn ping(dependency: Dependency) -> Result<(), HealthError> {
    let start = Instant::now();
    let behaviour = *dependency.behaviour.lock().unwrap();
    let result = match behaviour {
        Behaviour::Up => Ok(()),
        Behaviour::Down(reason) => Err(HealthError::new(reason)),
        Behaviour::Hidden(secret) => Err(std::io::Error::other(secret).into()),
        Behaviour::Huge => Err(HealthError::new("x".repeat(50_000))),
        Behaviour::Slow(millis) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(())
        }
        Behaviour::Hang => std::future::pending().await,
        Behaviour::Panic => panic!("search index corrupted"),
    };
    dependency
        .spans
        .lock()
        .unwrap()
        .push((start, Instant::now()));
    result
}

#[healthz::live]
fn liveness() {}

#[healthz::ready(timeout = "2s")]
fn readiness(State(deps): State<Deps>) -> Checks {
    Checks::new()
        .check("database", ping(deps.database))
        .add_check(Check::new("cache", ping(deps.cache)).with_timeout(Duration::from_millis(300)))
        .add_check(Check::new("search", ping(deps.search)).warn_only())
}

async fn server() -> (Deps, SocketAddr) {
    let deps = Deps {
        database: Dependency::new(),
        cache: Dependency::new(),
        search: Dependency::new(),
    };
    let app = Router::new()
        .merge(healthz::router())
        .with_state(deps.clone());
    (deps, serve(app).await)
}

#[tokio::test]
async fn a_passing_probe_reports_each_check() {
    let _turn = support::one_at_a_time().await;
    let (_, addr) = server().await;
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        timeless(&reply),
        r#"{"status": 200, "title": "OK", "checks": {"database": {"status": "pass", "title": "OK", "duration_ms": 0}, "cache": {"status": "pass", "title": "OK", "duration_ms": 0}, "search": {"status": "pass", "title": "OK", "duration_ms": 0}}}"#
    );
}

#[tokio::test]
async fn a_failing_check_fails_the_probe_and_is_named() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database
        .set(Behaviour::Down("Can't connect to the database"));
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        timeless(&reply),
        r#"{"status": 503, "title": "Can't connect to the database", "checks": {"database": {"status": "fail", "title": "Can't connect to the database", "duration_ms": 0}, "cache": {"status": "pass", "title": "OK", "duration_ms": 0}, "search": {"status": "pass", "title": "OK", "duration_ms": 0}}}"#
    );

    let reply = get(addr, "/healthz/ready?verbose").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        reply.text(),
        "[-]database failed: Can't connect to the database\n[+]cache ok\n[+]search ok\nready check failed\n"
    );
}

#[tokio::test]
async fn several_failures_are_all_named() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database.set(Behaviour::Hidden("password=hunter2"));
    deps.cache.set(Behaviour::Panic);
    let reply = get(addr, "/healthz/ready?verbose").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        "[-]database failed: The database check failed\n[-]cache failed: The cache check panicked\n\
         [+]search ok\nready check failed\n"
    );
    let reply = get(addr, "/healthz/ready").await;
    assert!(reply.text().starts_with(
        r#"{"status": 503, "title": "The database, cache checks failed", "checks": "#
    ));
    assert!(!reply.text().contains("hunter2"));
}

#[tokio::test]
async fn a_warning_only_check_is_reported_without_failing_the_probe() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.search.set(Behaviour::Down("Search index is stale"));
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 200);
    assert!(
        timeless(&reply).ends_with(
            r#""search": {"status": "warn", "title": "Search index is stale", "duration_ms": 0}}}"#
        ),
        "{}",
        reply.text()
    );
    let reply = get(addr, "/healthz/ready?verbose").await;
    assert_eq!(
        reply.text(),
        "[+]database ok\n[+]cache ok\n[!]search warning: Search index is stale\nready check passed\n"
    );
}

#[tokio::test]
async fn checks_run_concurrently() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    for dependency in [&deps.database, &deps.cache, &deps.search] {
        dependency.set(Behaviour::Slow(250));
    }
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
    let spans: Vec<(Instant, Instant)> = [&deps.database, &deps.cache, &deps.search]
        .iter()
        .map(|d| d.spans.lock().unwrap()[0])
        .collect();
    let last_start = spans.iter().map(|(start, _)| *start).max().unwrap();
    let first_end = spans.iter().map(|(_, end)| *end).min().unwrap();
    assert!(
        last_start < first_end,
        "every check started before any ended: {spans:?}"
    );
}

#[tokio::test]
async fn a_slow_check_times_out_alone() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.cache.set(Behaviour::Hang);
    let reply = get(addr, "/healthz/ready?verbose").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        "[+]database ok\n[-]cache failed: The cache check timed out after 300ms\n[+]search ok\nready check failed\n"
    );
}

#[tokio::test]
async fn exclude_skips_checks_and_warns_about_unknown_names() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database.set(Behaviour::Down("Database down"));
    let reply = get(addr, "/healthz/ready?verbose&exclude=database&exclude=nope").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.text(),
        "[+]cache ok\n[+]search ok\n[+]database excluded: ok\n\
         warn: some health checks cannot be excluded: no matches for \"nope\"\nready check passed\n"
    );

    let reply = get(addr, "/healthz/ready?exclude=database").await;
    assert_eq!(reply.status, 200);
    assert!(!reply.text().contains("database"));
}

#[tokio::test]
async fn one_check_can_be_run_alone() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database.set(Behaviour::Down("Database down"));
    deps.cache.set(Behaviour::Down("Cache down"));
    let reply = get(addr, "/healthz/ready/cache").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        timeless(&reply),
        r#"{"status": 503, "title": "Cache down", "checks": {"cache": {"status": "fail", "title": "Cache down", "duration_ms": 0}}}"#
    );

    let reply = get(addr, "/healthz/ready/search?verbose").await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, "[+]search ok\nready check passed\n")
    );

    let reply = get(addr, "/healthz/ready/nope").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.text(),
        r#"{"status": 404, "title": "The nope check endpoint is not setup"}"#
    );

    let reply = get(addr, "/healthz/live/anything").await;
    assert_eq!(
        reply.status, 404,
        "a probe without checks has no check endpoints"
    );
}

#[tokio::test]
async fn health_json_is_served_on_request() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database.set(Behaviour::Down("Database down"));
    let reply = request_with(
        addr,
        "GET",
        "/healthz/ready",
        &[("Accept", "application/health+json")],
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.header("content-type"),
        Some("application/health+json")
    );
    assert_eq!(
        timeless(&reply),
        r#"{"status": "fail", "output": "Database down", "checks": {"database:responseTime": [{"status": "fail", "observedValue": 0, "observedUnit": "ms", "output": "Database down"}], "cache:responseTime": [{"status": "pass", "observedValue": 0, "observedUnit": "ms"}], "search:responseTime": [{"status": "pass", "observedValue": 0, "observedUnit": "ms"}]}}"#
    );

    let reply = request_with(
        addr,
        "GET",
        "/healthz/live",
        &[("Accept", "application/health+json")],
    )
    .await;
    assert_eq!((reply.status, reply.text()), (200, r#"{"status": "pass"}"#));
}

#[tokio::test]
async fn an_oversized_reason_keeps_every_body_under_10_kib() {
    let _turn = support::one_at_a_time().await;
    let (deps, addr) = server().await;
    deps.database.set(Behaviour::Huge);
    for (path, accept) in [
        ("/healthz/ready", "*/*"),
        ("/healthz/ready?verbose", "*/*"),
        ("/healthz/ready", "application/health+json"),
    ] {
        let reply = request_with(addr, "GET", path, &[("Accept", accept)]).await;
        assert_eq!(reply.status, 503);
        assert!(
            reply.body.len() <= 10 * 1024,
            "{path} {accept}: {} bytes",
            reply.body.len()
        );
        assert!(
            reply.text().contains("xxxxxxxx\u{2026}") || reply.text().contains(r"xxxxxxxx\u2026"),
            "{}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn a_probe_without_checks_answers_as_before() {
    let _turn = support::one_at_a_time().await;
    let (_, addr) = server().await;
    assert_eq!(
        get(addr, "/healthz/live").await.text(),
        r#"{"status": 200, "title": "OK"}"#
    );
    assert_eq!(
        get(addr, "/healthz/live?verbose").await.text(),
        "[+]live ok\nlive check passed\n"
    );
    assert_eq!(
        get(addr, "/healthz/live?exclude=x").await.text(),
        r#"{"status": 200, "title": "OK"}"#
    );
}
