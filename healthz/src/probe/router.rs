//! The routes of the attribute probes: [`router`], [`router_at`] and the
//! single routes.

use axum::Router;
use axum::routing::MethodRouter;

use crate::base::kind::Kind;
use crate::lifecycle::Gate;
use crate::lifecycle::lifecycle;
use crate::lifecycle::registry::{Probe, register_route};
use crate::probe::{Live, Probes, Ready};
use crate::serve::{Assemble, CheckFn, Endpoint, Http};

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
    attributed::<L, R, S, _>(prefix, Http)
}

/// What `assembler` builds from the attribute probes' endpoints, gated by
/// the process-wide lifecycle.
pub(crate) fn attributed<L, R, S, A>(prefix: &str, assembler: A) -> A::Output
where
    Probes: Live<L, S> + Ready<R, S>,
    L: 'static,
    R: 'static,
    S: Clone + Send + Sync + 'static,
    A: Assemble<S>,
{
    let live = live_endpoint::<L, S>();
    let ready = ready_endpoint::<R, S>();
    assembler.assemble(prefix, &live, &ready, lifecycle())
}

/// The liveness endpoint alone, to mount at a path of your choosing.
///
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`. Each
/// call makes an endpoint with its own single flight and cache: mount it
/// once, or use [`router`](crate::router()), whose startup endpoint shares
/// the liveness endpoint's.
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
    let live = live_endpoint::<L, S>();
    register_route(lifecycle(), Probe::Liveness, &live.runner);
    live.gated(Gate::Live, lifecycle()).whole()
}

/// The readiness endpoint alone, to mount at a path of your choosing.
///
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`. While
/// the [`Lifecycle`](crate::Lifecycle) holds readiness down, it answers 503
/// without running the probe. Each call makes an endpoint with its own
/// single flight and cache: mount it once.
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
    let ready = ready_endpoint::<R, S>();
    register_route(lifecycle(), Probe::Readiness, &ready.runner);
    ready.gated(Gate::Ready, lifecycle()).whole()
}

/// The startup endpoint alone, to mount at a path of your choosing.
///
/// It answers 503 `The app has not started yet` until
/// [`Lifecycle::mark_started`](crate::Lifecycle::mark_started) is called on
/// [`lifecycle()`](crate::lifecycle()), then whatever the liveness endpoint
/// answers. [`router`](crate::router()) mounts it at
/// `/healthz/startup`. Here it runs the liveness probe apart from
/// [`live_route`]'s endpoint, with its own single flight and cache.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// let app: axum::Router = axum::Router::new()
///     .route("/livez", healthz::live_route())
///     .route("/readyz", healthz::ready_route())
///     .route("/startupz", healthz::startup_route());
/// ```
pub fn startup_route<L, S>() -> MethodRouter<S>
where
    Probes: Live<L, S>,
    L: 'static,
    S: Clone + Send + Sync + 'static,
{
    let live = live_endpoint::<L, S>();
    live.named(Kind::Startup)
        .gated(Gate::Startup, lifecycle())
        .whole()
}

/// The endpoint of the `#[healthz::live]` probe, with its own runner.
fn live_endpoint<L, S>() -> Endpoint<impl CheckFn<S>>
where
    Probes: Live<L, S>,
    L: 'static,
    S: Clone + Send + Sync + 'static,
{
    Endpoint::new(
        Kind::Live,
        <Probes as Live<L, S>>::OPTIONS,
        <Probes as Live<L, S>>::check,
    )
}

/// The endpoint of the `#[healthz::ready]` probe, with its own runner.
fn ready_endpoint<R, S>() -> Endpoint<impl CheckFn<S>>
where
    Probes: Ready<R, S>,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    Endpoint::new(
        Kind::Ready,
        <Probes as Ready<R, S>>::OPTIONS,
        <Probes as Ready<R, S>>::check,
    )
}
