use std::future::Future;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::routing::{MethodRouter, get};

use crate::lifecycle::{Gate, lifecycle};
use crate::probe::{Kind, Live, Probes, Ready};
use crate::{HealthError, response};

/// The probe endpoints under `/healthz`, ready to merge into an app.
///
/// | path | answer |
/// | --- | --- |
/// | `/healthz/live` | the `#[healthz::live]` function |
/// | `/healthz/ready` | the `#[healthz::ready]` function, unless the [`Lifecycle`](crate::Lifecycle) holds it down |
/// | `/healthz/startup` | the `#[healthz::live]` function, once [`mark_started`](crate::Lifecycle::mark_started) |
/// | `/healthz/<other>` | 404, `The <other> check endpoint is not setup` |
///
/// The type parameters are inferred: `L` and `R` name the two probes, `S` is
/// the app's state type. Without exactly one function marked
/// `#[healthz::live]` and one marked `#[healthz::ready]`, the call does not
/// compile.
///
/// Merge the router after `.layer(...)` calls that should not see probe
/// traffic, such as an access log: axum layers wrap only the routes added
/// before them.
///
/// ```
/// use axum::{Router, routing::get};
///
/// #[healthz::live]
/// fn liveness() {}
///
/// #[healthz::ready]
/// fn readiness() {}
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .merge(healthz::router());
/// ```
pub fn router<L, R, S>() -> Router<S>
where
    Probes: Live<L, S> + Ready<R, S>,
    L: 'static,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    router_at("/healthz")
}

/// [`router`] with another prefix than `/healthz`.
///
/// `prefix` starts with `/`; a trailing `/` is ignored. With the empty prefix
/// (`""` or `"/"`) the probes answer at `/live`, `/ready` and `/startup`, and
/// unknown names are left to the app, since `/<name>` would shadow its own
/// 404s.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// // /internal/health/live and /internal/health/ready
/// let app: axum::Router = healthz::router_at("/internal/health");
/// ```
///
/// # Panics
///
/// If `prefix` is not empty and does not start with `/`.
pub fn router_at<L, R, S>(prefix: &str) -> Router<S>
where
    Probes: Live<L, S> + Ready<R, S>,
    L: 'static,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    let prefix = prefix.trim_end_matches('/');
    assert!(
        prefix.is_empty() || prefix.starts_with('/'),
        "a healthz prefix starts with `/`, got {prefix:?}"
    );
    let router = Router::new()
        .route(&format!("{prefix}/live"), live_route::<L, S>())
        .route(&format!("{prefix}/ready"), ready_route::<R, S>())
        .route(&format!("{prefix}/startup"), crate::startup_route::<L, S>());
    if prefix.is_empty() {
        router
    } else {
        router.route(
            &format!("{prefix}/{{name}}"),
            get(|Path(name): Path<String>| async move { response::not_setup(&name) }),
        )
    }
}

/// The liveness endpoint alone, to mount at a path of your choosing.
///
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`.
///
/// ```
/// use axum::Router;
///
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// // The apiserver's spelling: /livez and /readyz.
/// let app: Router = Router::new()
///     .route("/livez", healthz::live_route())
///     .route("/readyz", healthz::ready_route());
/// ```
pub fn live_route<L, S>() -> MethodRouter<S>
where
    Probes: Live<L, S>,
    L: 'static,
    S: Clone + Send + Sync + 'static,
{
    probe_route(Kind::Live, <Probes as Live<L, S>>::check)
}

/// The readiness endpoint alone, to mount at a path of your choosing.
///
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`. While
/// the [`Lifecycle`](crate::Lifecycle) holds readiness down, it answers 503
/// without running the probe.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// let app: axum::Router = axum::Router::new()
///     .route("/ready", healthz::ready_route())
///     .route("/live", healthz::live_route());
/// ```
pub fn ready_route<R, S>() -> MethodRouter<S>
where
    Probes: Ready<R, S>,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    let route = probe_route(Kind::Ready, <Probes as Ready<R, S>>::check);
    lifecycle().guard(Gate::Ready, route)
}

fn probe_route<S, F, Fut>(kind: Kind, check: F) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    F: FnOnce(Parts, S) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HealthError>> + Send + 'static,
{
    get(move |State(state): State<S>, request: Request| async move {
        let (parts, _body) = request.into_parts();
        response::probe(kind, check(parts, state).await)
    })
}
