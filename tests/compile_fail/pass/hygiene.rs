// The expansion's own names cannot clash with the user's.
use axum::extract::State;

#[derive(Clone)]
struct AppState;

// Constants the expansion's patterns must not match against.
#[allow(non_upper_case_globals, dead_code)]
const arg0: () = ();
#[allow(non_upper_case_globals, dead_code)]
const argument: () = ();

#[healthz::live]
fn state(State(_state): State<AppState>) {}

#[healthz::ready]
async fn parts(State(_parts): State<AppState>, _output: axum::http::HeaderMap) -> bool {
    true
}

fn main() {
    let _: axum::Router = axum::Router::new().merge(healthz::router()).with_state(AppState);
}
