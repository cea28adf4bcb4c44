//! Health over time, for the people who run the app: a status page, the
//! history as JSON and a live event stream, mounted only where the app
//! merges [`ui::router()`](router) (feature `ui`).
//!
//! - `GET <prefix>/ui`: one self-contained HTML document (inline CSS and
//!   script, no request that leaves the app's origin) with each probe and
//!   check, the app's signals (heartbeats with the age of their last beat,
//!   holds, broken, shutdown), a timeline of the last hour per probe and
//!   check with each failure's title on hover or focus, and run durations.
//!   Its first paint is the server's, so `curl` sees the current state; it
//!   then follows the event stream without a reload, and reads the history
//!   each second for the ages that no event tells.
//! - `GET <prefix>/history`: the same data as JSON.
//! - `GET <prefix>/events`: `text/event-stream`. A new stream first gets an
//!   `event: state` with the JSON of `/history`, then an `event: entry` for
//!   each transition of a probe, check or signal, with the JSON of its
//!   history entry. A comment every 15 s keeps proxies from closing it, it
//!   ends when the shutdown has drained, and at most 128 are open at once
//!   per router: the next is answered 503. An open stream runs no probe.
//!
//! They read the probes served with the lifecycle, and show names and
//! titles as its [`Details`](crate::Details) policy allows (every request,
//! unless the app says otherwise): mounting them is already the app's
//! choice. Restrict them to a header token or to loopback with
//! [`Lifecycle::set_details`](crate::Lifecycle::set_details).
//!
//! ```
//! # #[healthz::live] fn liveness() {}
//! # #[healthz::ready] fn readiness() {}
//! let app: axum::Router = axum::Router::new()
//!     .merge(healthz::router())
//!     .merge(healthz::ui::router()); // /healthz/ui, /healthz/history, /healthz/events
//! ```

mod events;
mod page;
mod view;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::lifecycle::Lifecycle;
use crate::serve::check_prefix;
use events::Streams;

/// The page, the history and the events under `/healthz`, for the probes of
/// the process-wide [`lifecycle()`](crate::lifecycle()): those of the
/// attributes.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// let app: axum::Router = healthz::router().merge(healthz::ui::router());
/// ```
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router_for("/healthz", crate::lifecycle())
}

/// The same under `prefix` (`""` for the root), as
/// [`router_at`](crate::router_at) places the probes, for the probes served
/// with `lifecycle`: [`healthz::lifecycle()`](crate::lifecycle()) for the
/// attributes', or a [`Healthz`](crate::Healthz) builder's, given to
/// [`Healthz::lifecycle`](crate::Healthz::lifecycle).
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// let app: axum::Router = healthz::router_at("/internal")
///     .merge(healthz::ui::router_for("/internal", healthz::lifecycle()));
///
/// let lifecycle = healthz::Lifecycle::new();
/// let app: axum::Router = healthz::Healthz::new()
///     .live(|| ())
///     .ready(|| ())
///     .lifecycle(lifecycle.clone())
///     .router()
///     .merge(healthz::ui::router_for("/healthz", &lifecycle));
/// ```
///
/// # Panics
///
/// If `prefix` is neither empty nor starts with `/`.
#[track_caller]
pub fn router_for<S>(prefix: &str, lifecycle: &Lifecycle) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    check_prefix(prefix);
    let prefix = prefix.trim_end_matches('/');
    // A view: the router follows the lifecycle without keeping it
    // changeable.
    let lifecycle = lifecycle.view();
    let streams = Streams::default();
    let (for_page, for_history) = (lifecycle.clone(), lifecycle.clone());
    Router::new()
        .route(
            &format!("{prefix}/ui"),
            get(move |parts: Parts| async move { page(&for_page, &parts) }),
        )
        .route(
            &format!("{prefix}/history"),
            get(move |parts: Parts| async move { history(&for_history, &parts) }),
        )
        .route(
            &format!("{prefix}/events"),
            get(move |parts: Parts| async move { events(&lifecycle, &streams, &parts) }),
        )
}

fn page(lifecycle: &Lifecycle, parts: &Parts) -> Response {
    let details = lifecycle.shows_details(parts);
    let state = view::now(&lifecycle.health(), lifecycle, details);
    let html = page::page(&state);
    with_type("text/html; charset=utf-8", html)
}

fn history(lifecycle: &Lifecycle, parts: &Parts) -> Response {
    let details = lifecycle.shows_details(parts);
    let state = view::now(&lifecycle.health(), lifecycle, details);
    with_type("application/json", state.to_string())
}

fn events(lifecycle: &Lifecycle, streams: &Streams, parts: &Parts) -> Response {
    let Some(open) = streams.open() else {
        let title = format!(
            "Too many event streams: at most {} are open at once",
            events::MAX_STREAMS
        );
        let body = serde_json::json!({"status": 503, "title": title}).to_string();
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        let problem = HeaderValue::from_static(crate::format::PROBLEM_JSON);
        response.headers_mut().insert(header::CONTENT_TYPE, problem);
        return response;
    };
    let details = lifecycle.shows_details(parts);
    let mut response = events::stream(lifecycle.clone(), details, open).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_type(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::Request;
    use futures_util::StreamExt;
    use tower::ServiceExt;

    use crate::lifecycle::stop_signal::one_terminate;

    #[tokio::test(start_paused = true)]
    async fn a_stream_ends_when_the_shutdown_has_drained() {
        let lifecycle = crate::Lifecycle::new();
        let app: axum::Router = super::router_for("/healthz", &lifecycle);
        let request = Request::get("/healthz/events").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let mut body = response.into_body().into_data_stream();
        let first = body.next().await.unwrap().unwrap();
        assert!(first.starts_with(b"event: state\n"));

        let drain = tokio::spawn(async move {
            lifecycle
                .drain_on(one_terminate(), Duration::from_secs(20))
                .await;
        });
        let mut after = Vec::new();
        while let Some(chunk) = body.next().await {
            after.extend_from_slice(&chunk.unwrap());
        }
        assert!(
            drain.is_finished(),
            "the stream ended once drained, not before"
        );
        let after = String::from_utf8(after).unwrap();
        assert!(
            after.contains("lifecycle/shutting down"),
            "the drain's entry: {after}"
        );
        assert!(
            after.contains(":\n\n"),
            "a keep-alive comment in 20 s: {after}"
        );
    }
}
