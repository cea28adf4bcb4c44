//! The routes of the attribute probes: [`router`], [`router_at`] and the
//! single routes.

use std::fmt;
use std::future::Future;
use std::io;

use axum::Router;
use axum::routing::MethodRouter;
use tokio::net::ToSocketAddrs;

use crate::base::kind::Probe;
use crate::lifecycle::lifecycle;
use crate::lifecycle::registry::register_route;
use crate::probe::{Live, Probes, Ready};
use crate::serve::server::on_port;
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
/// Mount it under as many prefixes as you like: every mount reads the same
/// probes, runs and cache. Merge one router per prefix, though: two under
/// the same prefix (or `router()` beside `router_at("/healthz")`) claim the
/// same routes, which axum refuses with a panic when they are merged.
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
#[track_caller]
pub fn router_at<L, R, S>(prefix: &str) -> Router<S>
where
    Probes: Live<L, S> + Ready<R, S>,
    L: 'static,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    crate::serve::check_prefix(prefix);
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
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`. It
/// shares the probe's runs, cache and state with every other reader of the
/// probe: [`router`](crate::router()), other routes, gRPC health.
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
    register_route(lifecycle(), Probe::Live, &live.runner);
    live.gated(Probe::Live, lifecycle()).whole()
}

/// The readiness endpoint alone, to mount at a path of your choosing.
///
/// It answers `GET` and `HEAD`; other methods get `405` with `Allow`. While
/// the [`Lifecycle`](crate::Lifecycle) holds readiness down, it answers 503
/// without running the probe. It shares the probe's runs, cache and state
/// with every other reader of the probe.
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
    register_route(lifecycle(), Probe::Ready, &ready.runner);
    ready.gated(Probe::Ready, lifecycle()).whole()
}

/// The startup endpoint alone, to mount at a path of your choosing.
///
/// It answers 503 `The app has not started yet` until
/// [`Lifecycle::mark_started`](crate::Lifecycle::mark_started) is called on
/// [`lifecycle()`](crate::lifecycle()), then whatever the liveness endpoint
/// answers. [`router`](crate::router()) mounts it at
/// `/healthz/startup`. It runs the liveness probe, sharing its runs and
/// cache with every other reader of it.
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
    register_route(lifecycle(), Probe::Live, &live.runner);
    live.named(Probe::Startup)
        .gated(Probe::Startup, lifecycle())
        .whole()
}

/// Serves the attribute probes under `/healthz` on `addr`, and nothing
/// else, until the drain of [`Lifecycle::shutdown_signal`](crate::Lifecycle::shutdown_signal)
/// is over.
///
/// A worker with no HTTP server of its own needs no more of axum than
/// this; the probes share their runs, caches and state with any other
/// reader of them, such as [`healthz::router()`](crate::router()) on the
/// app's own port.
///
/// ```no_run
/// use std::time::Duration;
///
/// #[healthz::live]
/// fn liveness() {}
///
/// #[healthz::ready]
/// fn readiness() {}
///
/// #[tokio::main]
/// async fn main() {
///     let shutdown = healthz::lifecycle().shutdown_signal(Duration::from_secs(5));
///     tokio::spawn(healthz::serve("0.0.0.0:8081"));
///     let beat = healthz::lifecycle().heartbeat("consumer", Duration::from_secs(30));
///     // ... the worker's loop, beating, until `shutdown` resolves ...
/// #   drop(beat);
///     shutdown.await;
/// }
/// ```
///
/// Through the drain, readiness answers 503 and liveness 200, as on any
/// other reader; then the server stops taking connections, finishes the
/// requests in flight, and the future resolves. Without a shutdown signal
/// it serves for as long as the process runs.
///
/// The address is bound when the future is first polled. If it cannot be
/// (the port is taken, say), the future resolves to an [`io::Error`]
/// naming the address, also logged at `ERROR`, since a spawned server's
/// result is easily dropped.
pub fn serve<L, R, A>(addr: A) -> impl Future<Output = io::Result<()>> + Send + 'static
where
    Probes: Live<L, ()> + Ready<R, ()>,
    L: 'static,
    R: 'static,
    A: ToSocketAddrs + fmt::Debug + Send + 'static,
{
    serve_with_state::<L, R, (), A>(addr, ())
}

/// [`serve`] for probes whose arguments read the app's state, such as
/// `State<Db>`.
///
/// ```no_run
/// use axum::extract::State;
///
/// #[derive(Clone)]
/// struct Db;
///
/// #[healthz::live]
/// fn liveness() {}
///
/// #[healthz::ready]
/// async fn readiness(State(_db): State<Db>) -> bool {
///     true
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// healthz::serve_with_state("0.0.0.0:8081", Db).await
/// # }
/// ```
pub fn serve_with_state<L, R, S, A>(
    addr: A,
    state: S,
) -> impl Future<Output = io::Result<()>> + Send + 'static
where
    Probes: Live<L, S> + Ready<R, S>,
    L: 'static,
    R: 'static,
    S: Clone + Send + Sync + 'static,
    A: ToSocketAddrs + fmt::Debug + Send + 'static,
{
    on_port(
        addr,
        router::<L, R, S>().with_state(state),
        lifecycle().clone(),
    )
}

/// The endpoint of the `#[healthz::live]` probe, with its one runner.
fn live_endpoint<L, S>() -> Endpoint<impl CheckFn<S>>
where
    Probes: Live<L, S>,
    L: 'static,
    S: Clone + Send + Sync + 'static,
{
    let runner =
        <Probes as Live<L, S>>::cell().runner(Probe::Live, <Probes as Live<L, S>>::OPTIONS);
    Endpoint::new(Probe::Live, runner.clone(), <Probes as Live<L, S>>::check)
}

/// The endpoint of the `#[healthz::ready]` probe, with its one runner.
fn ready_endpoint<R, S>() -> Endpoint<impl CheckFn<S>>
where
    Probes: Ready<R, S>,
    R: 'static,
    S: Clone + Send + Sync + 'static,
{
    let runner =
        <Probes as Ready<R, S>>::cell().runner(Probe::Ready, <Probes as Ready<R, S>>::OPTIONS);
    Endpoint::new(Probe::Ready, runner.clone(), <Probes as Ready<R, S>>::check)
}
