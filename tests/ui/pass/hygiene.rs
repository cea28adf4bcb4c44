// The expansion's own names cannot clash with the user's.
use axum::extract::State;

#[derive(Clone)]
struct AppState;

#[healthz::live]
fn state(State(_state): State<AppState>) {}

#[healthz::ready]
async fn parts(State(_parts): State<AppState>, _output: axum::http::HeaderMap) -> bool {
    true
}

fn main() {
    let _: axum::Router = axum::Router::new().merge(healthz::router()).with_state(AppState);
}
