// The expansion adds no warning to a crate that denies the strict lints,
// nor for a probe that is deprecated for the app's own callers.
#![deny(
    warnings,
    missing_debug_implementations,
    missing_copy_implementations,
    unnameable_types,
    unit_bindings,
    unused_qualifications
)]

use axum::http::HeaderMap;

#[healthz::live]
#[deprecated = "call the health endpoint instead"]
pub fn liveness() {}

#[healthz::ready]
pub async fn readiness(_headers: HeaderMap) {}

fn main() {
    let _: axum::Router = healthz::router();
}
