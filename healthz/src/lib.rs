//! Kubernetes liveness, readiness and startup endpoints for [axum], from
//! plain functions.
//!
//! Mark one function `#[healthz::live]` and one `#[healthz::ready]`, merge
//! [`healthz::router()`](router) into your app, and Kubernetes gets
//! `/healthz/live` and `/healthz/ready`:
//!
//! ```
//! use axum::{Router, extract::State, routing::get};
//! use healthz::HealthError;
//!
//! #[derive(Clone)]
//! struct Db;
//! impl Db {
//!     async fn ping(&self) -> Result<(), std::io::Error> { Ok(()) }
//! }
//!
//! #[healthz::live]
//! fn liveness() {}
//!
//! #[healthz::ready]
//! async fn readiness(State(db): State<Db>) -> Result<(), HealthError> {
//!     db.ping()
//!         .await
//!         .map_err(|e| HealthError::with_source("Can't connect to the database", e))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .merge(healthz::router())
//!     .with_state(Db);
//! ```
//!
//! Forget one of the two probes, or mark two functions for the same probe,
//! and `healthz::router()` does not compile:
//!
//! ```text
//! error[E0277]: no readiness probe is defined
//!   --> src/main.rs:9:24
//!    |
//! 9  |     let app: Router = healthz::router();
//!    |                       ^^^^^^^^^^^^^^^^^ this needs a readiness probe
//!    |
//!    = note: add `#[healthz::ready]` to a function, for example `#[healthz::ready] fn readiness() {}`
//! ```
//!
//! # Answers
//!
//! The endpoints answer with the bodies [Flask-Healthz] answers, byte for
//! byte, so clients and tests written for it keep working:
//! `application/problem+json` in the spacing of Python's `json.dumps`. They
//! add `Cache-Control: no-store`.
//!
//! | case | status | body |
//! | --- | --- | --- |
//! | probe passes | 200 | `{"status": 200, "title": "OK"}` |
//! | probe fails with reason R | 503 | `{"status": 503, "title": "R"}` |
//! | `/healthz/<name>`, no such probe | 404 | `{"status": 404, "title": "The <name> check endpoint is not setup"}` |
//!
//! `HEAD` answers like `GET` without a body; other methods get `405` with an
//! `Allow` header.
//!
//! # Probe functions
//!
//! A probe is an ordinary function, sync or `async`, that stays callable by
//! its name. Its arguments are axum extractors that read only the request's
//! parts: [`State`](axum::extract::State) (sub-states through
//! [`FromRef`](axum::extract::FromRef) included),
//! [`Extension`](axum::Extension), [`HeaderMap`](axum::http::HeaderMap), and
//! any other [`FromRequestParts`](axum::extract::FromRequestParts) type. It
//! returns a [`ProbeResult`]: `()`, `bool`, or `Result<(), E>` where `E` is
//! [`HealthError`] or converts into `Box<dyn Error + Send + Sync>` (any
//! error type, `anyhow::Error`, `eyre::Report`, a boxed error, `String`),
//! so `?` works; or [`Checks`], for a probe made of
//! [named checks](#named-checks).
//!
//! A sync probe runs inline on the async worker that serves the request:
//! keep it to cheap, in-memory checks, and make anything that does I/O
//! `async` or mark it [`blocking`](#timeouts-caching-and-panics).
//!
//! # What the body shows
//!
//! A reason given to [`HealthError::new`] is answered as written. An error
//! turned into a failure with `?` may name hosts or credentials: it is logged
//! in full through [`tracing`](https://docs.rs/tracing) and answered with a
//! fixed title, `The ready check failed`. To show an error's text, say so:
//! `HealthError::new(error.to_string())`.
//!
//! # Timeouts, caching and panics
//!
//! ```
//! # #[healthz::live] fn liveness() {}
//! #[healthz::ready(timeout = "2s", cache = "5s", stale = "1m")]
//! async fn readiness() -> bool {
//!     true
//! }
//! ```
//!
//! - A check that runs past its `timeout` (900 ms by default, to answer within
//!   Kubernetes' default `timeoutSeconds: 1`), counted from the start of its
//!   run, is dropped and answers `The ready check timed out after 2s`.
//! - A check that panics answers `The ready check panicked`; the message is
//!   logged and the server keeps serving (with the default
//!   `panic = "unwind"`).
//! - Requests that arrive while a check runs share its answer. The run
//!   belongs to the probe: if every request waiting for it goes away (the
//!   kubelet's timeout fired), it still goes on to its end or its timeout,
//!   and its answer is cached and served to the next requests.
//! - With `cache`, an answer, pass or fail, is reused for that long.
//! - With `stale` too, an expired answer is served at once for that long
//!   more while one run in the background refreshes it; `?verbose` says how
//!   old it is. Past it, requests wait for a run.
//! - With `blocking`, a sync probe runs on Tokio's blocking thread pool:
//!   it stalls no async worker, answers by its timeout, and holds at most
//!   one thread (while a call overruns, the probe answers its timeout title
//!   without starting another).
//! - A run that finishes at its first poll costs no task; one that waits is
//!   spawned onto the runtime serving the request (on a current-thread
//!   runtime, it runs whenever the serving task yields).
//! - Durations are written `"500ms"`, `"2s"`, `"1m"` or `"1h"`; anything
//!   else is a compile error at the value. [`Options`] says the same for the
//!   [builder](#without-attributes).
//!
//! # Logging
//!
//! Passing probes write nothing. A failing probe or named check is logged
//! once through [`tracing`](https://docs.rs/tracing) at `WARN`, with the
//! full error; the same error again is not logged, a different one is, and
//! each recovery is logged once at `INFO`. A request whose probe arguments
//! are rejected (a missing `Extension` layer, say) is logged at each
//! request instead: it says nothing of the probe's state, and fails every
//! probe until the app is fixed.
//! To keep probe requests out of an access log such as tower-http's
//! `TraceLayer`, merge [`router()`] after the `.layer(...)` call: axum layers
//! wrap only the routes added before them.
//!
//! # Metrics, spans, and the app's own view
//!
//! Logs, spans and metrics are recorded per run of a probe, never per
//! request: requests that share a run, or are served a cached answer,
//! record nothing more.
//!
//! - Each run has a `tracing` span at `DEBUG`, `healthz.probe` (fields
//!   `probe`, `result`, `duration_ms`), with a `healthz.check`
//!   span per named check (`check`, `result`, `duration_ms`). A run is
//!   shared by the requests that arrive while it runs, so its span has no
//!   parent and *follows from* the span of the request that started it.
//! - With the `metrics` cargo feature, runs are recorded through the
//!   [`metrics`](https://docs.rs/metrics) facade for the exporter the app
//!   installs: `healthz_probe_healthy`, `healthz_probe_runs_total` and
//!   `healthz_probe_duration_seconds`, and the same per named check
//!   (`healthz_check_*`), one series per probe whatever serves it.
//!   The repository's `docs/observability.md` lists them all, and
//!   `examples/metrics.rs` serves them to Prometheus.
//! - [`Lifecycle::health`] gives the app the last answer of each probe and
//!   check without a request, and waits for changes: see [`health`].
//!
//! # Startup, readiness held down, and shutdown
//!
//! The [`Lifecycle`] behind [`lifecycle()`] carries what the app says about
//! itself, and the endpoints consult it before running a probe:
//! `/healthz/startup`, for Kubernetes' `startupProbe`, answers 503 until
//! [`mark_started`](Lifecycle::mark_started), then as liveness does;
//! [`mark_not_ready`](Lifecycle::mark_not_ready) holds readiness down with a
//! reason; and [`shutdown_signal`](Lifecycle::shutdown_signal) fails readiness on SIGTERM, serves on
//! through a drain delay, then hands over to axum's graceful shutdown
//! ([Graceful shutdown](#graceful-shutdown)).
//! Readiness holds never touch liveness.
//!
//! The app also reports its own signals. A [`Heartbeat`] from
//! [`Lifecycle::heartbeat`] fails liveness, naming it, when its background
//! loop stops beating for a period or ends without
//! [`finish`](Heartbeat::finish); a [`ReadinessHold`] from
//! [`Lifecycle::hold_not_ready`] holds readiness down until it is dropped;
//! [`Lifecycle::mark_broken`] fails liveness and readiness for good.
//!
//! ```
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let lifecycle = healthz::lifecycle();
//! let warming = lifecycle.hold_not_ready("Warming the cache");
//! let beat = lifecycle.heartbeat("consumer", Duration::from_secs(30));
//! tokio::spawn(async move {
//!     loop {
//!         // ... take a message, or time out waiting for one ...
//! #       break;
//!         beat.beat();
//!     }
//! #   beat.finish();
//! });
//! drop(warming); // warm: readiness runs its probe again
//! # }
//! ```
//!
//! # Graceful shutdown
//!
//! When Kubernetes deletes a pod, it sends SIGTERM at the moment it takes
//! the pod out of the Service's endpoints, but load balancers and proxies
//! learn of it seconds later, some only from the readiness probe. So the
//! app fails readiness, serves on through a drain delay, and only then
//! stops taking connections and finishes the requests in flight:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! #[healthz::live]
//! fn liveness() {}
//!
//! #[healthz::ready]
//! fn readiness() {}
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app: axum::Router = healthz::router();
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     // Installs the signal handlers now. On SIGTERM or Ctrl-C, readiness
//!     // answers 503 while the app serves on for 15 s; then it resolves,
//!     // and axum stops accepting connections and waits for the requests
//!     // in flight. A second signal cuts the drain short.
//!     let shutdown = healthz::lifecycle().shutdown_signal(Duration::from_secs(15));
//!     // Nothing to warm up: the startup probe may pass.
//!     healthz::lifecycle().mark_started();
//!     axum::serve(listener, app).with_graceful_shutdown(shutdown).await
//! }
//! ```
//!
//! Liveness, startup and the app's own routes keep answering through the
//! drain, so a pod on its way out is not restarted. Choose the drain delay
//! above what readiness takes to fail, `periodSeconds × failureThreshold +
//! timeoutSeconds`, and `terminationGracePeriodSeconds` above the drain
//! delay plus the longest request (see [Kubernetes
//! settings](#kubernetes-settings)).
//!
//! # Named checks
//!
//! A probe that depends on several things can return [`Checks`]: named
//! futures, typically calls of plain `async fn`s, run concurrently, each
//! a [`Check`] with its own [timeout](Check::with_timeout). The probe fails
//! when any check fails, except one marked [`warn_only`](Check::warn_only),
//! which is reported as `warn`. The body lists every check with its outcome and
//! duration, and a request can ask for more or less:
//!
//! | request | answer |
//! | --- | --- |
//! | `?verbose` | Kubernetes-style text: `[+]database ok`, `[-]cache failed: <reason>`, `[!]search warning: <reason>`, then `ready check passed` or `ready check failed` |
//! | `?exclude=<name>`, repeatable | the probe without those checks |
//! | `/healthz/ready/<name>` | that check alone; 404 for a name the probe does not have |
//! | `Accept: application/health+json` | the IETF draft health check format, `pass`, `fail` or `warn` |
//!
//! Every body stays within 10 KiB, the most the kubelet reads. `?exclude=`
//! and `/healthz/ready/<name>` narrow the answer, not the run: they share
//! the run under way and the cached answer like any other request, so no
//! query string makes a dependency checked more often.
//!
//! ```
//! use std::time::Duration;
//! use axum::extract::State;
//! use healthz::{Check, Checks, HealthError};
//! # use axum::{body::Body, http::Request};
//! # use tower::ServiceExt;
//!
//! #[derive(Clone)]
//! struct App; // connection pools, clients, ...
//!
//! async fn database(app: App) -> Result<(), HealthError> {
//!     Ok(())
//! }
//!
//! async fn search(app: App) -> Result<(), HealthError> {
//!     Err(HealthError::new("Search index is stale"))
//! }
//!
//! # #[healthz::live] fn liveness() {}
//! #[healthz::ready]
//! fn readiness(State(app): State<App>) -> Checks {
//!     Checks::new()
//!         .add_check(Check::new("database", database(app.clone())).with_timeout(Duration::from_millis(500)))
//!         // The app serves without search, degraded: report, don't fail.
//!         .add_check(Check::new("search", search(app)).warn_only())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app: axum::Router = axum::Router::new()
//!     .merge(healthz::router())
//!     .with_state(App);
//!
//! let request = Request::get("/healthz/ready?verbose").body(Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! let text = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
//! assert_eq!(
//!     text,
//!     "[+]database ok\n[!]search warning: Search index is stale\nready check passed\n"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # gRPC health checking
//!
//! With the `grpc` feature, `healthz::grpc::Grpc::new().router()`, merged beside
//! [`router()`], serves `grpc.health.v1.Health` from the same probes:
//! `liveness`, `readiness` (and `""`) and `startup` answer `SERVING` or
//! `NOT_SERVING` exactly as `/healthz/live`, `/healthz/ready` and
//! `/healthz/startup` answer 200 or 503, for Kubernetes' `grpc:` probes.
//!
//! # Health over time
//!
//! `#[healthz::ready(interval = "10s")]` runs a probe every 10 s in the
//! background from its first request until the shutdown has drained, and
//! answers every request from the latest run at once
//! ([`Options::with_interval`]). Each probe, named check and lifecycle
//! entry keeps its last transitions in a bounded ring, read with
//! [`Health::history`] ([`history`] says what is kept). With the `ui`
//! feature, `healthz::ui::router()`, merged beside [`router()`],
//! serves them as a status page, JSON and a live event stream. Who may see
//! names and titles there, and in `?verbose` and `application/health+json`,
//! is the lifecycle's [`Details`] policy:
//!
//! ```
//! # #[healthz::live] fn liveness() {}
//! #[healthz::ready(interval = "10s", history = 64)]
//! async fn readiness() -> bool {
//!     true
//! }
//!
//! healthz::lifecycle().set_details(healthz::Details::header("x-health-token", "s3cret"));
//! let app: axum::Router = healthz::router();
//! # healthz::lifecycle().set_details(healthz::Details::always());
//! ```
//!
//! # Other paths
//!
//! [`router_at`] serves the probes under another prefix, and [`serve`] on
//! a port of their own, for a worker with no HTTP server or an app on
//! another framework;
//! [`live_route`], [`ready_route`] and [`startup_route`] are the endpoints
//! alone, for any path layout such as the apiserver's `/livez` and
//! `/readyz`.
//!
//! # Without attributes
//!
//! The attributes allow one liveness and one readiness probe per binary.
//! For several apps in one process (integration tests, two servers),
//! probes shipped by a library or chosen from configuration, [`Healthz`]
//! builds the same router from functions or closures, with the same
//! answers, and still refuses to compile without both probes:
//!
//! ```
//! use std::time::Duration;
//!
//! use healthz::{Healthz, Lifecycle, Options};
//!
//! let options = Options::DEFAULT
//!     .with_timeout(Duration::from_secs(2))
//!     .with_cache(Duration::from_secs(5));
//! // Optional, `healthz::lifecycle()` by default: an app of its own starts
//! // and shuts down on its own.
//! let lifecycle = Lifecycle::new();
//! let app: axum::Router = Healthz::new()
//!     .live(|| ())
//!     .ready_with(options, || async { true })
//!     .prefix("/internal/health") // optional, `/healthz` by default
//!     .lifecycle(lifecycle.clone())
//!     .router();
//!
//! lifecycle.mark_started();
//! ```
//!
//! `.live()` and `.ready()` take what the attributes take, and the router
//! answers byte for byte what the attributes' router answers, with the same
//! guard rails and lifecycle gates.
//!
//! # Kubernetes settings
//!
//! | setting | with the defaults | why |
//! | --- | --- | --- |
//! | `livenessProbe.httpGet.path` | `/healthz/live` | |
//! | `readinessProbe.httpGet.path` | `/healthz/ready` | |
//! | `startupProbe.httpGet.path` | `/healthz/startup` | passes once [`Lifecycle::mark_started`] is called |
//! | `timeoutSeconds` | `1` | above the 900 ms check timeout, so the kubelet reads the 503's title |
//! | drain delay of [`shutdown_signal`](Lifecycle::shutdown_signal) | above `periodSeconds × failureThreshold + timeoutSeconds` of readiness | endpoints stop routing to the pod before it stops serving |
//! | `terminationGracePeriodSeconds` | above the drain delay plus the longest request | the kubelet's SIGKILL comes at its end |
//!
//! The repository's `examples/kubernetes/` holds a Deployment with these
//! values, validated against the Kubernetes schemas.
//!
//! [Flask-Healthz]: https://github.com/fedora-infra/flask-healthz

#![cfg_attr(docsrs, feature(doc_cfg))]

mod base;
pub mod builder;
#[cfg(any(
    feature = "sqlx",
    feature = "sqlx_0_8",
    feature = "redis",
    feature = "tcp",
    feature = "http"
))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(
        feature = "sqlx",
        feature = "sqlx_0_8",
        feature = "redis",
        feature = "tcp",
        feature = "http"
    )))
)]
pub mod deps;
mod details;
mod format;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
pub mod health;
pub mod history;
mod lifecycle;
mod observe;
// The link between the attributes and `router()`: named by the expansion
// and by the compile errors, and by no user.
#[doc(hidden)]
pub mod probe;
mod report;
mod run;
mod serve;
#[cfg(feature = "ui")]
#[cfg_attr(docsrs, doc(cfg(feature = "ui")))]
pub mod ui;

#[doc(hidden)]
pub mod __private;

pub use base::checks::{Check, Checks, DuplicateCheck};
pub use base::error::{CarriedError, HealthError};
pub use base::kind::Probe;
pub use base::options::Options;
pub use base::probe_result::ProbeResult;
pub use base::status::Status;
pub use builder::Healthz;
pub use details::Details;
pub use health::Health;
pub use lifecycle::heartbeat::{Heartbeat, HeartbeatInUse};
pub use lifecycle::hold::ReadinessHold;
pub use lifecycle::shutdown::ShutdownSignal;
pub use lifecycle::{Lifecycle, lifecycle};
pub use probe::router::{
    live_route, ready_route, router, router_at, serve, serve_with_state, startup_route,
};

pub use healthz_macros::{live, ready};
