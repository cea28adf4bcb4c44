//! The answers of the probe endpoints, byte for byte, over real HTTP.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::routing;
use healthz::HealthError;
use support::{get, request, serve};

/// What the readiness probe will find.
#[derive(Clone)]
enum Db {
    Up,
    Down(&'static str),
    Broken(&'static str),
}

#[derive(Clone)]
struct AppState {
    db: Arc<Mutex<Db>>,
    alive: Arc<AtomicBool>,
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.lock().unwrap().clone()
    }
}

#[healthz::live]
fn liveness(State(state): State<AppState>) -> bool {
    state.alive.load(Ordering::SeqCst)
}

#[healthz::ready]
async fn readiness(State(db): State<Db>, headers: HeaderMap) -> Result<(), HealthError> {
    assert!(
        headers.contains_key("host"),
        "the probe sees the request's headers"
    );
    match db {
        Db::Up => Ok(()),
        Db::Down(reason) => Err(HealthError::new(reason)),
        Db::Broken(secret) => Err(io::Error::other(secret))?,
    }
}

fn app(db: Db) -> (AppState, Router) {
    let state = AppState {
        db: Arc::new(Mutex::new(db)),
        alive: Arc::new(AtomicBool::new(true)),
    };
    let app = Router::new()
        .route("/", routing::get(|| async { "home" }))
        .merge(healthz::router())
        .with_state(state.clone());
    (state, app)
}

async fn server(db: Db) -> (AppState, std::net::SocketAddr) {
    let (state, app) = app(db);
    (state, serve(app).await)
}

const PROBLEM_JSON: &str = "application/problem+json";

#[tokio::test]
async fn a_passing_probe_answers_200_ok() {
    let (_, addr) = server(Db::Up).await;
    for path in ["/healthz/live", "/healthz/ready"] {
        let reply = get(addr, path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.body, br#"{"status": 200, "title": "OK"}"#, "{path}");
        assert_eq!(reply.header("content-type"), Some(PROBLEM_JSON));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("content-length"), Some("30"));
    }
}

#[tokio::test]
async fn a_failing_probe_answers_503_with_its_reason() {
    let (_, addr) = server(Db::Down("Can't connect to the database")).await;
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "Can't connect to the database"}"#
    );
    assert_eq!(reply.header("content-type"), Some(PROBLEM_JSON));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_reason_is_escaped_as_python_does() {
    // json.dumps({"status": 503, "title": "Base de donn\u00e9es \"pg\" \u2014 \U0001f4a5"})
    let (_, addr) = server(Db::Down("Base de données \"pg\" — 💥")).await;
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "Base de donn\u00e9es \"pg\" \u2014 \ud83d\udca5"}"#
    );
}

#[tokio::test]
async fn an_error_raised_with_question_mark_is_not_shown() {
    let (_, addr) = server(Db::Broken(
        "connection to 10.1.2.3 as admin:hunter2 refused",
    ))
    .await;
    let reply = get(addr, "/healthz/ready").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The ready check failed"}"#
    );
}

#[tokio::test]
async fn a_false_probe_answers_503_with_a_fixed_title() {
    let (state, addr) = server(Db::Up).await;
    state.alive.store(false, Ordering::SeqCst);
    let reply = get(addr, "/healthz/live").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        r#"{"status": 503, "title": "The live check failed"}"#
    );
    assert_eq!(
        get(addr, "/healthz/ready").await.status,
        200,
        "the other probe is unaffected"
    );
}

#[tokio::test]
async fn the_probe_sees_each_change_of_state() {
    let (state, addr) = server(Db::Up).await;
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
    *state.db.lock().unwrap() = Db::Down("Database restarting");
    assert_eq!(get(addr, "/healthz/ready").await.status, 503);
    *state.db.lock().unwrap() = Db::Up;
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
}

#[tokio::test]
async fn an_unknown_check_answers_404() {
    let (_, addr) = server(Db::Up).await;
    let reply = get(addr, "/healthz/metrics").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.text(),
        r#"{"status": 404, "title": "The metrics check endpoint is not setup"}"#
    );
    assert_eq!(reply.header("content-type"), Some(PROBLEM_JSON));
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    // The name is percent-decoded, then escaped like any title.
    let reply = get(addr, "/healthz/caf%C3%A9").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.text(),
        r#"{"status": 404, "title": "The caf\u00e9 check endpoint is not setup"}"#
    );

    // However long the name in the path, the body stays within the 10 KiB
    // the kubelet reads.
    let reply = get(addr, &format!("/healthz/{}", "%C3%A9".repeat(2_000))).await;
    assert_eq!(reply.status, 404);
    let shortened = format!(
        r#"{{"status": 404, "title": "The {}\u2026 check endpoint is not setup"}}"#,
        r"\u00e9".repeat(256)
    );
    assert_eq!(reply.text(), shortened);
    assert!(reply.body.len() <= 10 * 1024);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let (state, addr) = server(Db::Up).await;
    let reply = request(addr, "HEAD", "/healthz/live").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(PROBLEM_JSON));
    assert!(reply.body.is_empty(), "HEAD got a body: {:?}", reply.text());

    state.alive.store(false, Ordering::SeqCst);
    let reply = request(addr, "HEAD", "/healthz/live").await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn other_methods_answer_405_with_allow() {
    let (_, addr) = server(Db::Up).await;
    for method in ["POST", "PUT", "DELETE"] {
        for path in ["/healthz/live", "/healthz/ready", "/healthz/other"] {
            let reply = request(addr, method, path).await;
            assert_eq!(reply.status, 405, "{method} {path}");
            assert_eq!(reply.header("allow"), Some("GET,HEAD"), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn the_app_keeps_its_own_routes() {
    let (_, addr) = server(Db::Up).await;
    let reply = get(addr, "/").await;
    assert_eq!((reply.status, reply.text()), (200, "home"));
    assert_eq!(get(addr, "/healthz").await.status, 404);
    assert_eq!(get(addr, "/healthz/live/extra").await.status, 404);
}

#[tokio::test]
async fn probes_can_be_served_under_another_prefix() {
    let state = AppState {
        db: Arc::new(Mutex::new(Db::Up)),
        alive: Arc::new(AtomicBool::new(true)),
    };
    let app = Router::new()
        .merge(healthz::router_at("/internal/health/"))
        .with_state(state);
    let addr = serve(app).await;
    assert_eq!(get(addr, "/internal/health/live").await.status, 200);
    assert_eq!(get(addr, "/internal/health/ready").await.status, 200);
    assert_eq!(
        get(addr, "/internal/health/x").await.text(),
        r#"{"status": 404, "title": "The x check endpoint is not setup"}"#
    );
    assert_eq!(get(addr, "/healthz/live").await.status, 404);
}

#[tokio::test]
async fn probes_can_be_mounted_at_any_path() {
    let state = AppState {
        db: Arc::new(Mutex::new(Db::Down("Warming up"))),
        alive: Arc::new(AtomicBool::new(true)),
    };
    let app = Router::new()
        .route("/livez", healthz::live_route())
        .route("/readyz", healthz::ready_route())
        .with_state(state);
    let addr = serve(app).await;
    assert_eq!(
        get(addr, "/livez").await.text(),
        r#"{"status": 200, "title": "OK"}"#
    );
    assert_eq!(
        get(addr, "/readyz").await.text(),
        r#"{"status": 503, "title": "Warming up"}"#
    );
}

#[tokio::test]
async fn an_empty_prefix_leaves_unknown_paths_to_the_app() {
    let state = AppState {
        db: Arc::new(Mutex::new(Db::Up)),
        alive: Arc::new(AtomicBool::new(true)),
    };
    let app = Router::new()
        .merge(healthz::router_at(""))
        .with_state(state);
    let addr = serve(app).await;
    assert_eq!(get(addr, "/live").await.status, 200);
    assert_eq!(get(addr, "/ready").await.status, 200);
    let reply = get(addr, "/other").await;
    assert_eq!(reply.status, 404);
    assert!(reply.body.is_empty(), "axum's own 404, not a probe answer");
}

#[test]
#[should_panic(expected = "a healthz prefix starts with `/`")]
fn a_prefix_without_a_slash_is_refused() {
    let _: Router<AppState> = healthz::router_at("healthz");
}

#[test]
fn probes_stay_ordinary_functions() {
    let state = AppState {
        db: Arc::new(Mutex::new(Db::Up)),
        alive: Arc::new(AtomicBool::new(false)),
    };
    assert!(!liveness(State(state)));
}
