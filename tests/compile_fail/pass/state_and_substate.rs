use axum::Router;
use axum::extract::{FromRef, State};

#[derive(Clone)]
struct Db;

#[derive(Clone)]
struct AppState {
    db: Db,
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

#[healthz::live]
fn liveness(State(_app): State<AppState>) {}

#[healthz::ready]
async fn readiness(State(_db): State<Db>) -> bool {
    true
}

fn main() {
    let _: Router = Router::new()
        .merge(healthz::router())
        .with_state(AppState { db: Db });
}
