use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use crate::Options;
use crate::health::Probe;
use crate::lifecycle::{Gate, Lifecycle, lifecycle};
use crate::probe::{Kind, Live, Probes, Ready};
use crate::request::{self, Format};
use crate::response;
use crate::runner::{Evaluation, Runner};

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
    let live = Endpoint::new(
        Kind::Live,
        <Probes as Live<L, S>>::OPTIONS,
        <Probes as Live<L, S>>::check,
    );
    let ready = Endpoint::new(
        Kind::Ready,
        <Probes as Ready<R, S>>::OPTIONS,
        <Probes as Ready<R, S>>::check,
    );
    assembler.assemble(prefix, &live, &ready, lifecycle())
}

/// What is built from a router's two probe endpoints, whichever way the
/// probes were given: the HTTP routes, and with the `grpc` feature, gRPC
/// health from the same endpoints.
pub(crate) trait Assemble<S> {
    type Output;

    fn assemble<FL, FutL, FR, FutR>(
        self,
        prefix: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Self::Output
    where
        S: Clone + Send + Sync + 'static,
        FL: FnOnce(Parts, S) -> FutL + Clone + Send + Sync + 'static,
        FutL: Future<Output = Evaluation> + Send + 'static,
        FR: FnOnce(Parts, S) -> FutR + Clone + Send + Sync + 'static,
        FutR: Future<Output = Evaluation> + Send + 'static;
}

/// The HTTP probe routes.
pub(crate) struct Http;

impl<S> Assemble<S> for Http {
    type Output = Router<S>;

    fn assemble<FL, FutL, FR, FutR>(
        self,
        prefix: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        FL: FnOnce(Parts, S) -> FutL + Clone + Send + Sync + 'static,
        FutL: Future<Output = Evaluation> + Send + 'static,
        FR: FnOnce(Parts, S) -> FutR + Clone + Send + Sync + 'static,
        FutR: Future<Output = Evaluation> + Send + 'static,
    {
        assemble(prefix, live, ready, lifecycle)
    }
}

/// The probe routes under `prefix`, whichever way the probes were given.
pub(crate) fn assemble<S, FL, FutL, FR, FutR>(
    prefix: &str,
    live: &Endpoint<FL>,
    ready: &Endpoint<FR>,
    lifecycle: &Lifecycle,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    FL: FnOnce(Parts, S) -> FutL + Clone + Send + Sync + 'static,
    FutL: Future<Output = Evaluation> + Send + 'static,
    FR: FnOnce(Parts, S) -> FutR + Clone + Send + Sync + 'static,
    FutR: Future<Output = Evaluation> + Send + 'static,
{
    let prefix = prefix.trim_end_matches('/');
    assert!(
        prefix.is_empty() || prefix.starts_with('/'),
        "a healthz prefix starts with `/`, got {prefix:?}"
    );
    crate::health::register(lifecycle, prefix, &live.runner, &ready.runner);
    let router = Router::new()
        .route(
            &format!("{prefix}/live"),
            live.gated(Gate::Live, lifecycle).whole(),
        )
        .route(
            &format!("{prefix}/live/{{check}}"),
            live.gated(Gate::Live, lifecycle).one(),
        )
        .route(
            &format!("{prefix}/ready"),
            ready.gated(Gate::Ready, lifecycle).whole(),
        )
        .route(
            &format!("{prefix}/ready/{{check}}"),
            ready.gated(Gate::Ready, lifecycle).one(),
        )
        .route(
            &format!("{prefix}/startup"),
            live.named(Kind::Startup)
                .gated(Gate::Startup, lifecycle)
                .whole(),
        );
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
    let live = Endpoint::new(
        Kind::Live,
        <Probes as Live<L, S>>::OPTIONS,
        <Probes as Live<L, S>>::check,
    );
    crate::health::register_route(lifecycle(), Probe::Liveness, &live.runner);
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
    let ready = Endpoint::new(
        Kind::Ready,
        <Probes as Ready<R, S>>::OPTIONS,
        <Probes as Ready<R, S>>::check,
    );
    crate::health::register_route(lifecycle(), Probe::Readiness, &ready.runner);
    ready.gated(Gate::Ready, lifecycle()).whole()
}

/// The startup endpoint alone, to mount at a path of your choosing.
///
/// It answers 503 `The app has not started yet` until
/// [`Lifecycle::mark_started`] is called on [`lifecycle()`], then whatever
/// the liveness endpoint answers. [`router`](crate::router()) mounts it at
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
    let live = Endpoint::new(
        Kind::Live,
        <Probes as Live<L, S>>::OPTIONS,
        <Probes as Live<L, S>>::check,
    );
    live.named(Kind::Startup)
        .gated(Gate::Startup, lifecycle())
        .whole()
}

/// Serves one probe: the whole of it at the probe's path, and one of its
/// named checks at `<path>/<check>`, sharing one runner.
pub(crate) struct Endpoint<F> {
    pub(crate) kind: Kind,
    pub(crate) runner: Arc<Runner>,
    pub(crate) check: F,
    /// The lifecycle gate that answers for the probe while it is closed.
    pub(crate) gate: Option<(Gate, Lifecycle)>,
}

impl<F: Clone> Clone for Endpoint<F> {
    fn clone(&self) -> Self {
        Endpoint {
            kind: self.kind,
            runner: self.runner.clone(),
            check: self.check.clone(),
            gate: self.gate.clone(),
        }
    }
}

impl<F> Endpoint<F> {
    pub(crate) fn new(kind: Kind, options: Options, check: F) -> Self {
        Endpoint {
            kind,
            runner: Arc::new(Runner::new(kind, options)),
            check,
            gate: None,
        }
    }

    async fn answer<S, Fut>(
        self: Arc<Self>,
        state: S,
        request: Request,
        only: Option<String>,
    ) -> Response
    where
        F: FnOnce(Parts, S) -> Fut + Clone,
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        let (parts, _body) = request.into_parts();
        let (format, mut selection) = request::read(&parts);
        if let Some(report) =
            (self.gate.as_ref()).and_then(|(gate, lifecycle)| lifecycle.gate(*gate))
        {
            // The change of state that closed the gate was logged; each
            // answer it gives is not.
            self.runner.observer().answered(self.kind, false);
            return response::probe(self.kind, &report, format, None);
        }
        selection.only = only;
        let served = self
            .runner
            .answer(|| (self.check.clone())(parts, state))
            .await;
        self.runner
            .observer()
            .answered(self.kind, served.answer.passed());
        if format == Format::Plain && selection.is_all() {
            // What the kubelet asks for: bytes rendered once per run.
            return response::rendered(&served.answer);
        }
        let Some(mut report) = served.answer.select(&selection) else {
            return response::not_setup(selection.only.as_deref().unwrap_or_default());
        };
        if let (Some((gate, lifecycle)), false) = (&self.gate, format == Format::Plain) {
            // The app's own signals pass (the gate is open), and the
            // detailed formats list them all the same.
            report = report.with_signals(self.kind, lifecycle.entries(*gate));
        }
        response::probe(self.kind, &report, format, served.stale)
    }

    /// The same probe, answered by `lifecycle` instead while `gate` is
    /// closed: the gate is read before the runner, so a cached or slow probe
    /// never delays a shutdown.
    pub(crate) fn gated(&self, gate: Gate, lifecycle: &Lifecycle) -> Self
    where
        F: Clone,
    {
        Endpoint {
            gate: Some((gate, lifecycle.clone())),
            ..self.clone()
        }
    }

    /// The same probe, named `kind` in its answers.
    pub(crate) fn named(&self, kind: Kind) -> Self
    where
        F: Clone,
    {
        Endpoint {
            kind,
            ..self.clone()
        }
    }

    /// The probe as a whole.
    fn whole<S, Fut>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: FnOnce(Parts, S) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        // One `Arc` for the handler, which axum clones at every request.
        let endpoint = Arc::new(self.clone());
        get(move |State(state): State<S>, request: Request| endpoint.answer(state, request, None))
    }

    /// One named check of the probe, by the path's last segment.
    fn one<S, Fut>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: FnOnce(Parts, S) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        let endpoint = Arc::new(self.clone());
        get(
            move |State(state): State<S>, Path(check): Path<String>, request: Request| {
                endpoint.answer(state, request, Some(check))
            },
        )
    }
}
