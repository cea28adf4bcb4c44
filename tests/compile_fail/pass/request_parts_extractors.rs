use axum::extract::{OriginalUri, Query};
use axum::http::{HeaderMap, Method, Uri};
use axum::{Extension, Router};
use std::collections::HashMap;

#[derive(Clone)]
struct Pool;

#[healthz::live]
fn liveness(_method: Method, _uri: Uri, _headers: HeaderMap) {}

#[healthz::ready]
async fn readiness(
    Extension(_pool): Extension<Pool>,
    Query(_params): Query<HashMap<String, String>>,
    OriginalUri(_uri): OriginalUri,
) {
}

fn main() {
    let _: Router = Router::new().merge(healthz::router()).layer(Extension(Pool));
}
