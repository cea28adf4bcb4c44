//! gRPC health checking, `grpc.health.v1.Health`, answered by the very
//! probes, runners, caches and lifecycle that answer HTTP, for Kubernetes'
//! `grpc:` probes and any gRPC health client.
//!
//! | service name | probe |
//! | --- | --- |
//! | `liveness` | `/healthz/live` |
//! | `readiness`, and `""` (can this server take traffic?) | `/healthz/ready` |
//! | `startup` | `/healthz/startup` |
//! | anything else | `NOT_FOUND` (`Check`), `SERVICE_UNKNOWN` (`Watch`) |
//!
//! A probe that passes, a warning included, is `SERVING`; one that fails, or
//! that the [`Lifecycle`] answers for (not started, held
//! down, shutting down, a late heartbeat), is `NOT_SERVING`. Nothing is
//! `SERVING` before its probe has run and passed.
//!
//! [`Grpc::router`] gives gRPC health as axum routes to merge beside
//! [`healthz::router()`](crate::router()); serve them with `axum::serve`,
//! which speaks HTTP/2 without TLS (h2c) as the kubelet's gRPC prober does.
//! [`Grpc::service`] is the same service for a `tonic::transport::Server`,
//! and [`Healthz::grpc_router`](crate::Healthz::grpc_router) and
//! [`Healthz::grpc_service`](crate::Healthz::grpc_service) serve a
//! builder's probes. One service follows at most 1024 `Watch` streams at
//! once; past it, `Watch` answers `RESOURCE_EXHAUSTED` and `Check` still
//! answers.
//! Every reader of a probe shares its runs, cached answer and state.
//!
//! ```
//! # #[healthz::live] fn liveness() {}
//! # #[healthz::ready] fn readiness() {}
//! // HTTP probes under /healthz and gRPC health, on one port.
//! let app: axum::Router = axum::Router::new()
//!     .merge(healthz::router())
//!     .merge(healthz::grpc::Grpc::new().router());
//! ```
//!
//! In a Kubernetes manifest:
//!
//! ```yaml
//! livenessProbe:
//!   grpc: { port: 8080, service: liveness }
//! readinessProbe:
//!   grpc: { port: 8080, service: readiness }
//! startupProbe:
//!   grpc: { port: 8080, service: startup }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::routing::post;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::Service;
use tonic::metadata::MetadataMap;
use tonic::{Status, async_trait};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::Health;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use crate::Healthz;
use crate::base::kind::Probe;
use crate::base::sync::{Mutex, lock};
use crate::builder::{LiveGiven, ReadyGiven};
use crate::lifecycle::Lifecycle;
use crate::lifecycle::registry::register;
use crate::probe::router::attributed;
use crate::probe::{Live, Probes, Ready};
use crate::run::Latest;
use crate::serve::{Assemble, CheckFn, Endpoint};

pub use tonic_health::pb::health_server::HealthServer;

/// How often a watched probe runs while someone watches it, unless
/// [`Grpc::watch_interval`] says otherwise.
const WATCH_INTERVAL: Duration = Duration::from_secs(5);

/// How many `Watch` streams one service serves at once; past it, `Watch`
/// answers `RESOURCE_EXHAUSTED` and `Check` still answers.
const MAX_WATCHERS: usize = 1024;

/// How gRPC health is served: which service names stand for which probe,
/// and how often a watched probe runs.
///
/// ```
/// use std::time::Duration;
/// use healthz::Probe;
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
///
/// let app: axum::Router = healthz::grpc::Grpc::new()
///     .with_service("orders.v1.Orders", Probe::Ready)
///     .watch_interval(Duration::from_secs(2))
///     .router();
/// ```
#[derive(Clone, Debug)]
pub struct Grpc {
    services: Vec<(String, Probe)>,
    watch_interval: Duration,
}

impl Default for Grpc {
    fn default() -> Self {
        Grpc::new()
    }
}

impl Grpc {
    /// The protocol's service names only (`liveness`, `readiness`, `""`,
    /// `startup`), watched probes run every 5 s.
    ///
    /// ```
    /// let grpc = healthz::grpc::Grpc::new();
    /// ```
    pub fn new() -> Self {
        Grpc {
            services: Vec::new(),
            watch_interval: WATCH_INTERVAL,
        }
    }

    /// Answers for the service `name` with `probe`, as grpc-go's
    /// `SetServingStatus` lets a server name its real services: a client
    /// that asks for `orders.v1.Orders` gets the readiness probe's status.
    /// Names not given stay `NOT_FOUND`; a name given twice answers with
    /// the probe given last.
    ///
    /// ```
    /// use healthz::Probe;
    ///
    /// let grpc = healthz::grpc::Grpc::new()
    ///     .with_service("orders.v1.Orders", Probe::Ready)
    ///     .with_service("orders.v1.Admin", Probe::Live);
    /// ```
    pub fn with_service(mut self, name: impl Into<String>, probe: Probe) -> Self {
        let name = name.into();
        self.services.retain(|(known, _)| *known != name);
        self.services.push((name, probe));
        self
    }

    /// How often a probe runs while at least one `Watch` stream follows
    /// it (one run per interval, however many follow it, shared with
    /// every other request); a probe nobody watches runs only when asked.
    /// The app's signals, a heartbeat going late among them, are sent as
    /// they change, whatever the interval. At least a millisecond.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let grpc = healthz::grpc::Grpc::new().watch_interval(Duration::from_secs(1));
    /// ```
    pub fn watch_interval(mut self, interval: Duration) -> Self {
        self.watch_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// gRPC health from the attribute probes, as routes to merge beside
    /// [`healthz::router()`](crate::router()): both share the probes'
    /// runs, caches and state.
    ///
    /// ```
    /// # #[healthz::live] fn liveness() {}
    /// # #[healthz::ready] fn readiness() {}
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(healthz::router())
    ///     .merge(healthz::grpc::Grpc::new().router());
    /// ```
    pub fn router<L, R, S>(self) -> Router<S>
    where
        Probes: Live<L, S> + Ready<R, S>,
        L: 'static,
        R: 'static,
        S: Clone + Send + Sync + 'static,
    {
        attributed::<L, R, S, _>("", Beside(self))
    }

    /// gRPC health alone from the attribute probes, for a
    /// `tonic::transport::Server`, sharing the probes' runs, caches and
    /// state with every other reader of them.
    ///
    /// ```
    /// # #[healthz::live] fn liveness() {}
    /// # #[healthz::ready] fn readiness() {}
    /// let health = healthz::grpc::Grpc::new().service(());
    /// # let _ = health;
    /// ```
    pub fn service<L, R, S>(self, state: S) -> HealthServer<HealthService<S>>
    where
        Probes: Live<L, S> + Ready<R, S>,
        L: 'static,
        R: 'static,
        S: Clone + Send + Sync + 'static,
    {
        attributed::<L, R, S, _>("", Alone(self, state))
    }
}

impl<L, R> Healthz<L, R> {
    /// gRPC health from the given probes, as routes to merge beside
    /// [`router`](Healthz::router): both share the probes' runs, caches
    /// and state.
    ///
    /// ```
    /// let health = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| async { true });
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(health.router())
    ///     .merge(health.grpc_router(healthz::grpc::Grpc::new()));
    /// ```
    ///
    /// # Panics
    ///
    /// As [`router`](Healthz::router).
    pub fn grpc_router<S>(&self, grpc: Grpc) -> Router<S>
    where
        L: LiveGiven<S>,
        R: ReadyGiven<S>,
        S: Clone + Send + Sync + 'static,
    {
        self.build(Beside(grpc))
    }

    /// gRPC health alone from the given probes, for a
    /// `tonic::transport::Server`, as [`Grpc::service`] says.
    ///
    /// ```
    /// let health = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| true)
    ///     .grpc_service(healthz::grpc::Grpc::new(), ());
    /// # let _ = health;
    /// ```
    ///
    /// # Panics
    ///
    /// As [`router`](Healthz::router).
    pub fn grpc_service<S>(&self, grpc: Grpc, state: S) -> HealthServer<HealthService<S>>
    where
        L: LiveGiven<S>,
        R: ReadyGiven<S>,
        S: Clone + Send + Sync + 'static,
    {
        self.build(Alone(grpc, state))
    }
}

/// gRPC health as routes of its own, to merge beside the HTTP probes.
struct Beside(Grpc);

impl<S> Assemble<S> for Beside {
    type Output = Router<S>;

    fn assemble<FL, FR>(
        self,
        _: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        FL: CheckFn<S>,
        FR: CheckFn<S>,
    {
        register(lifecycle, &live.runner, &ready.runner);
        let probes = Arc::new(Watched::new(live, ready, lifecycle, self.0));
        let grpc = move |State(state): State<S>, request: Request| {
            let mut server = HealthServer::new(HealthService {
                probes: probes.clone(),
                state,
            });
            async move {
                // Always ready: the generated server has no back-pressure.
                match server.call(request).await {
                    Ok(response) => response.map(axum::body::Body::new),
                    Err(never) => match never {},
                }
            }
        };
        Router::new().route("/grpc.health.v1.Health/{method}", post(grpc))
    }
}

/// gRPC health alone, with the state its probes' arguments come from.
struct Alone<S>(Grpc, S);

impl<S> Assemble<S> for Alone<S> {
    type Output = HealthServer<HealthService<S>>;

    fn assemble<FL, FR>(
        self,
        _: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Self::Output
    where
        S: Clone + Send + Sync + 'static,
        FL: CheckFn<S>,
        FR: CheckFn<S>,
    {
        register(lifecycle, &live.runner, &ready.runner);
        let Alone(grpc, state) = self;
        HealthServer::new(HealthService {
            probes: Arc::new(Watched::new(live, ready, lifecycle, grpc)),
            state,
        })
    }
}

/// `grpc.health.v1.Health` over a router's probes, with the state their
/// arguments come from. Made by [`Grpc::router`] for each call, or by
/// [`Grpc::service`] once.
pub struct HealthService<S> {
    probes: Arc<Watched<S>>,
    state: S,
}

impl<S> fmt::Debug for HealthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthService")
            .field("watchers", &self.probes.watchers.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A probe's endpoint as gRPC reads it.
trait Followed<S>: Send + Sync {
    /// Whether it passes now: the gate, then a run or the cached answer.
    fn passes(&self, state: S, parts: Parts) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
    /// Whether it passes from what is known, without a run; `None` before
    /// its first run.
    fn known(&self) -> Option<bool>;
    /// Its runs' answers, notified when one differs from the last.
    fn answers(&self) -> watch::Receiver<Latest>;
}

impl<F, S> Followed<S> for Endpoint<F>
where
    F: CheckFn<S>,
    S: Clone + Send + 'static,
{
    fn passes(&self, state: S, parts: Parts) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move {
            let served = self.served(state, parts).await;
            served.is_ok_and(|served| served.answer.passed())
        })
    }

    fn known(&self) -> Option<bool> {
        if let Some(passed) = self.closed() {
            return Some(passed);
        }
        let (answer, _) = self.runner.state().latest()?;
        Some(answer.passed())
    }

    fn answers(&self) -> watch::Receiver<Latest> {
        self.runner.state().subscribe()
    }
}

impl<F> Endpoint<F> {
    /// `Some(false)` while the lifecycle answers for the probe.
    fn closed(&self) -> Option<bool> {
        let (gate, lifecycle) = self.gate.as_ref()?;
        lifecycle.gate(*gate).map(|_| false)
    }
}

/// A probe, with when it last ran for its watchers.
type WatchedProbe<S> = (Box<dyn Followed<S>>, Mutex<Option<Instant>>);

/// A router's three probes as gRPC serves them, with what their watchers
/// share.
struct Watched<S> {
    probes: [WatchedProbe<S>; 3],
    lifecycle: Lifecycle,
    /// The app's own service names, and the probe each stands for.
    services: Vec<(String, Probe)>,
    interval: Duration,
    watchers: AtomicUsize,
}

impl<S: Clone + Send + Sync + 'static> Watched<S> {
    fn new<FL, FR>(
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
        grpc: Grpc,
    ) -> Self
    where
        FL: CheckFn<S>,
        FR: CheckFn<S>,
    {
        let probe = |probe: Box<dyn Followed<S>>| (probe, Mutex::new(None));
        Watched {
            probes: [
                probe(Box::new(live.gated(Probe::Live, lifecycle))),
                probe(Box::new(ready.gated(Probe::Ready, lifecycle))),
                probe(Box::new(
                    live.named(Probe::Startup).gated(Probe::Startup, lifecycle),
                )),
            ],
            lifecycle: lifecycle.clone(),
            services: grpc.services,
            interval: grpc.watch_interval,
            watchers: AtomicUsize::new(0),
        }
    }

    /// The probe a service name stands for.
    fn probe(&self, service: &str) -> Option<usize> {
        let named = self.services.iter().find(|(name, _)| name == service);
        if let Some((_, probe)) = named {
            return Some(match probe {
                Probe::Live => 0,
                Probe::Ready => 1,
                Probe::Startup => 2,
            });
        }
        match service {
            "liveness" => Some(0),
            "" | "readiness" => Some(1),
            "startup" => Some(2),
            _ => None,
        }
    }

    /// Whether the probe is due a run for its watchers: once per interval,
    /// however many watch it.
    fn due(&self, probe: usize) -> bool {
        let mut last = lock(&self.probes[probe].1);
        let due = last.is_none_or(|at| at.elapsed() >= self.interval);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

fn answer(passed: bool) -> HealthCheckResponse {
    let status = if passed {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    HealthCheckResponse {
        status: status.into(),
    }
}

fn unknown(service: &str) -> Status {
    Status::not_found(format!(
        "no probe is served as {service:?}: ask for \"liveness\", \"readiness\", \"startup\" or \"\""
    ))
}

/// The request parts a probe's arguments are extracted from: the call's
/// metadata as headers.
fn parts(metadata: MetadataMap, method: &str) -> Parts {
    let mut parts = axum::http::Request::post(format!("/grpc.health.v1.Health/{method}"))
        .body(())
        .expect("a constant path is a valid URI")
        .into_parts()
        .0;
    parts.headers = metadata.into_headers();
    parts
}

/// The call's deadline, from its `grpc-timeout` header: digits then a unit
/// (`H`, `M`, `S`, `m`, `u`, `n`).
fn deadline(metadata: &MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[async_trait]
impl<S: Clone + Send + Sync + 'static> Health for HealthService<S> {
    async fn check(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, Status> {
        let within = deadline(request.metadata());
        let (metadata, _, message) = request.into_parts();
        let Some(probe) = self.probes.probe(&message.service) else {
            return Err(unknown(&message.service));
        };
        let passes = self.probes.probes[probe]
            .0
            .passes(self.state.clone(), parts(metadata, "Check"));
        let passed = match within {
            // The run goes on past the call's deadline, and its answer is
            // cached as usual.
            Some(within) => tokio::time::timeout(within, passes).await.map_err(|_| {
                Status::deadline_exceeded("the probe did not answer within the call's deadline")
            })?,
            None => passes.await,
        };
        Ok(tonic::Response::new(answer(passed)))
    }

    type WatchStream = ReceiverStream<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, Status> {
        let watchers = &self.probes.watchers;
        if watchers.fetch_add(1, Ordering::AcqRel) >= MAX_WATCHERS {
            watchers.fetch_sub(1, Ordering::AcqRel);
            return Err(Status::resource_exhausted(format!(
                "this server follows at most {MAX_WATCHERS} Watch streams at once: use Check"
            )));
        }
        let watcher = Watcher(self.probes.clone());
        let (metadata, _, message) = request.into_parts();
        let (send, receive) = mpsc::channel(4);
        let probe = self.probes.probe(&message.service);
        let (state, parts) = (self.state.clone(), parts(metadata, "Watch"));
        tokio::spawn(async move {
            match probe {
                Some(probe) => follow(&watcher.0, probe, state, parts, send).await,
                None => unknown_service(&watcher.0.lifecycle, send).await,
            }
            drop(watcher);
        });
        Ok(tonic::Response::new(ReceiverStream::new(receive)))
    }
}

/// Counts one `Watch` stream while it lives.
struct Watcher<S>(Arc<Watched<S>>);

impl<S> Drop for Watcher<S> {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::AcqRel);
    }
}

type Sender = mpsc::Sender<Result<HealthCheckResponse, Status>>;

/// Sends the probe's status at once, then each change, until the client
/// goes away or the shutdown begins (after sending the status it then has).
/// Changes come from the probe's runs and the lifecycle's change feed,
/// which the lifecycle's clock notifies when a heartbeat goes late or beats
/// again; the probe runs once per interval for all its watchers.
async fn follow<S: Clone + Send + Sync + 'static>(
    watched: &Watched<S>,
    probe: usize,
    state: S,
    parts: Parts,
    send: Sender,
) {
    let endpoint = &watched.probes[probe].0;
    let mut answers = endpoint.answers();
    let mut signals = watched.lifecycle.changes();
    let mut tick = tokio::time::interval(watched.interval);
    let mut sent = None;
    loop {
        let passed = tokio::select! {
            _ = tick.tick() => {
                if watched.due(probe) || sent.is_none() {
                    Some(endpoint.passes(state.clone(), clone_parts(&parts)).await)
                } else {
                    endpoint.known()
                }
            }
            Ok(()) = answers.changed() => endpoint.known(),
            Ok(()) = signals.changed() => endpoint.known(),
            () = send.closed() => return,
        };
        // Nothing is sent before the probe has run.
        if let Some(passed) = passed.filter(|passed| sent != Some(*passed)) {
            if send.send(Ok(answer(passed))).await.is_err() {
                return;
            }
            sent = Some(passed);
        }
        if watched.lifecycle.is_shutting_down() && sent.is_some() {
            return;
        }
    }
}

/// `SERVICE_UNKNOWN`, as the protocol asks, then the stream stays open
/// until the client goes away or the shutdown begins.
async fn unknown_service(lifecycle: &Lifecycle, send: Sender) {
    let unknown = HealthCheckResponse {
        status: ServingStatus::ServiceUnknown.into(),
    };
    if send.send(Ok(unknown)).await.is_err() {
        return;
    }
    let mut signals = lifecycle.changes();
    while !lifecycle.is_shutting_down() {
        tokio::select! {
            changed = signals.changed() => if changed.is_err() { return },
            () = send.closed() => return,
        }
    }
}

fn clone_parts(parts: &Parts) -> Parts {
    let mut clone = axum::http::Request::post(parts.uri.clone())
        .body(())
        .expect("a URI taken from a request is valid")
        .into_parts()
        .0;
    clone.headers = parts.headers.clone();
    clone
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    #[tokio::test]
    async fn a_call_deadline_shorter_than_the_probe_timeout_is_honoured() {
        let options = Options::DEFAULT.with_timeout(Duration::from_secs(5));
        let runner = Arc::new(crate::run::Runner::new(Probe::Live, options));
        let probe = Endpoint::new(Probe::Live, runner, |_, ()| async {
            std::future::pending::<crate::run::Evaluation>().await
        });
        let service = HealthService {
            probes: Arc::new(Watched::new(&probe, &probe, &Lifecycle::new(), Grpc::new())),
            state: (),
        };
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: "liveness".to_owned(),
        });
        // As a client sets it; tonic's own client also enforces it, so only
        // a call made here shows the server's side.
        request
            .metadata_mut()
            .insert("grpc-timeout", "100m".parse().unwrap());
        let status = service.check(request).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    }

    #[test]
    fn reads_grpc_timeouts() {
        let mut metadata = MetadataMap::new();
        for (value, expected) in [
            ("100m", Some(Duration::from_millis(100))),
            ("2S", Some(Duration::from_secs(2))),
            ("1H", Some(Duration::from_secs(3600))),
            ("5u", Some(Duration::from_micros(5))),
            ("x", None),
            ("10", None),
        ] {
            metadata.insert("grpc-timeout", value.parse().unwrap());
            assert_eq!(deadline(&metadata), expected, "{value}");
        }
    }
}
