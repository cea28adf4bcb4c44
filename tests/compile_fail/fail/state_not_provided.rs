use axum::Router;
use axum::extract::State;
use axum::routing::get;

#[derive(Clone)]
struct Db;

#[derive(Clone)]
struct AppState;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness(State(_db): State<Db>) {}

async fn index(State(_app): State<AppState>) {}

fn main() {
    let _: Router = Router::new()
        .route("/", get(index))
        .merge(healthz::router())
        .with_state(AppState);
}
