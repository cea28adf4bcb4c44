//! What the application says about itself, as opposed to what its probes
//! find: whether it has started, whether it holds readiness down, and whether
//! it is shutting down.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use crate::health::Registry;
use crate::runner::lock;

/// The readiness title while the server drains before shutting down.
const SHUTTING_DOWN: &str = "The server is shutting down";

/// The startup title until [`Lifecycle::mark_started`].
const NOT_STARTED: &str = "The app has not started yet";

/// The application's own say in its probes: started, ready, shutting down.
///
/// Probes find out whether the app *can* serve; a `Lifecycle` records what
/// the app *says*, and the endpoints consult it before running a probe:
///
/// | endpoint | answers 503 when | title |
/// | --- | --- | --- |
/// | `/healthz/ready` | shutting down | `The server is shutting down` |
/// | `/healthz/ready` | marked not ready | the reason given |
/// | `/healthz/startup` | not marked started | `The app has not started yet` |
/// | `/healthz/live` | never: liveness is not gated | |
///
/// Otherwise the endpoint runs its probe (`/healthz/startup` runs the
/// liveness probe). [`healthz::router()`](crate::router) consults the
/// process-wide instance, [`healthz::lifecycle()`](crate::lifecycle()).
///
/// A `Lifecycle` is a handle to shared state: clones see and make the same
/// changes, and cloning is cheap.
///
/// ```
/// let lifecycle = healthz::lifecycle();
/// lifecycle.mark_started();
/// lifecycle.mark_not_ready("Warming the cache");
/// // ... /healthz/ready answers {"status": 503, "title": "Warming the cache"}
/// lifecycle.mark_ready();
/// assert!(lifecycle.is_started() && !lifecycle.is_shutting_down());
/// ```
#[derive(Clone)]
pub struct Lifecycle {
    state: Arc<State>,
}

struct State {
    started: AtomicBool,
    shutting_down: AtomicBool,
    not_ready: Mutex<Option<Cow<'static, str>>>,
    /// The probes of the routers built with this lifecycle, for
    /// [`Lifecycle::health`].
    probes: Registry,
}

/// An endpoint the lifecycle can hold closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    Ready,
    Startup,
}

static GLOBAL: LazyLock<Lifecycle> = LazyLock::new(Lifecycle::new);

/// The process-wide [`Lifecycle`] that [`healthz::router()`](crate::router)
/// and the single routes consult.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
/// let app: axum::Router = healthz::router();
/// // Flip readiness from anywhere in the app:
/// healthz::lifecycle().mark_not_ready("Down for maintenance");
/// healthz::lifecycle().mark_ready();
/// ```
pub fn lifecycle() -> &'static Lifecycle {
    &GLOBAL
}

/// [`Lifecycle::shutdown_signal`] of the process-wide [`lifecycle()`].
///
/// Resolves once a drain delay has passed after SIGTERM or Ctrl-C; until
/// then readiness answers 503 while the app serves on. Hand it to axum's
/// graceful shutdown:
///
/// ```no_run
/// use std::time::Duration;
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app: axum::Router = healthz::router();
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
///     let shutdown = healthz::shutdown_signal(Duration::from_secs(15));
///     healthz::lifecycle().mark_started();
///     axum::serve(listener, app).with_graceful_shutdown(shutdown).await
/// }
/// ```
///
/// # Panics
///
/// Outside a Tokio runtime, or if the signal handlers cannot be installed.
pub fn shutdown_signal(drain: Duration) -> impl Future<Output = ()> + Send + 'static {
    lifecycle().shutdown_signal(drain)
}

impl Lifecycle {
    /// A lifecycle of its own, not started, not held down, not shutting
    /// down: for an app built with [`Healthz::lifecycle`](crate::Healthz::lifecycle)
    /// that must start and stop apart from the others in the process.
    /// [`lifecycle()`] is the process-wide one that [`router()`](crate::router)
    /// uses.
    ///
    /// Keep a clone: that app's startup probe passes once *this* lifecycle is
    /// [started](Lifecycle::mark_started), and its readiness fails on *this*
    /// lifecycle's [`shutdown_signal`](Lifecycle::shutdown_signal), not the
    /// process-wide one's.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// assert!(!lifecycle.is_started());
    /// assert!(!healthz::lifecycle().is_shutting_down());
    /// ```
    #[allow(clippy::new_without_default)] // a default would hide which lifecycle is meant
    pub fn new() -> Self {
        Self {
            state: Arc::new(State {
                started: AtomicBool::new(false),
                shutting_down: AtomicBool::new(false),
                not_ready: Mutex::new(None),
                probes: Registry::new(),
            }),
        }
    }

    /// Lets the startup endpoint pass, from then on answering as liveness.
    ///
    /// Kubernetes holds back liveness and readiness probes until the startup
    /// probe passes, so a slow starter serves the endpoints at once and calls
    /// this when its warm-up is done. An app with nothing to warm up calls
    /// it right before serving. Until it is called, `/healthz/startup`
    /// answers 503 `The app has not started yet`, so a `startupProbe` makes
    /// a forgotten call fail at the first deploy rather than go unnoticed.
    ///
    /// ```no_run
    /// # #[healthz::live] fn liveness() {}
    /// # #[healthz::ready] fn readiness() {}
    /// # async fn warm_up() {}
    /// # #[tokio::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let app: axum::Router = healthz::router();
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// tokio::spawn(async {
    ///     warm_up().await;
    ///     healthz::lifecycle().mark_started();
    /// });
    /// axum::serve(listener, app).await
    /// # }
    /// ```
    pub fn mark_started(&self) {
        if !self.state.started.swap(true, Ordering::SeqCst) {
            tracing::info!("the app has started");
        }
    }

    /// Whether [`mark_started`](Self::mark_started) was called.
    ///
    /// ```
    /// healthz::lifecycle().mark_started();
    /// assert!(healthz::lifecycle().is_started());
    /// ```
    pub fn is_started(&self) -> bool {
        self.state.started.load(Ordering::SeqCst)
    }

    /// Makes readiness answer 503 with `reason` as its title, without
    /// running the probe, until [`mark_ready`](Self::mark_ready).
    ///
    /// For the times the app knows it should get no traffic: a cache
    /// warm-up, a maintenance window, a backlog to work off. Liveness is not
    /// affected. Like [`HealthError::new`](crate::HealthError::new), the
    /// reason is shown to whoever calls the endpoint.
    ///
    /// ```
    /// let lifecycle = healthz::lifecycle();
    /// lifecycle.mark_not_ready("Rebuilding the search index");
    /// assert_eq!(lifecycle.not_ready_reason().as_deref(), Some("Rebuilding the search index"));
    /// lifecycle.mark_ready();
    /// assert_eq!(lifecycle.not_ready_reason(), None);
    /// ```
    pub fn mark_not_ready(&self, reason: impl Into<Cow<'static, str>>) {
        let reason = reason.into();
        let mut not_ready = self.lock_not_ready();
        if not_ready.as_deref() != Some(&*reason) {
            tracing::info!(reason = %reason, "readiness held down by the app");
            *not_ready = Some(reason);
        }
    }

    /// Lets readiness run its probe again after
    /// [`mark_not_ready`](Self::mark_not_ready). It does not undo a
    /// shutdown.
    ///
    /// ```
    /// healthz::lifecycle().mark_ready();
    /// assert_eq!(healthz::lifecycle().not_ready_reason(), None);
    /// ```
    pub fn mark_ready(&self) {
        if self.lock_not_ready().take().is_some() {
            tracing::info!("readiness released by the app");
        }
    }

    /// The reason given to [`mark_not_ready`](Self::mark_not_ready), while
    /// it holds.
    ///
    /// ```
    /// healthz::lifecycle().mark_not_ready("Down for maintenance");
    /// assert_eq!(healthz::lifecycle().not_ready_reason().as_deref(), Some("Down for maintenance"));
    /// # healthz::lifecycle().mark_ready();
    /// ```
    pub fn not_ready_reason(&self) -> Option<Cow<'static, str>> {
        self.lock_not_ready().clone()
    }

    /// Makes readiness answer 503 `The server is shutting down` for good.
    ///
    /// [`shutdown_signal`](Self::shutdown_signal) calls this on the first
    /// signal; call it yourself when something else starts the shutdown.
    /// Liveness keeps answering as before, so Kubernetes does not restart
    /// a pod that is on its way out.
    ///
    /// ```
    /// healthz::lifecycle().mark_shutting_down();
    /// assert!(healthz::lifecycle().is_shutting_down());
    /// ```
    pub fn mark_shutting_down(&self) {
        if self.begin_shutdown() {
            tracing::info!("readiness fails from now on: the server is shutting down");
        }
    }

    /// Whether the shutdown has begun.
    ///
    /// ```
    /// assert!(!healthz::lifecycle().is_shutting_down());
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        self.state.shutting_down.load(Ordering::SeqCst)
    }

    /// A future for axum's `with_graceful_shutdown` that resolves a drain
    /// delay after SIGTERM or Ctrl-C (SIGINT).
    ///
    /// On the first signal readiness answers 503 `The server is shutting
    /// down`, so load balancers stop sending new traffic, while liveness
    /// and every other route keep answering. After `drain`, the future
    /// resolves and axum's graceful shutdown stops accepting connections
    /// and waits for the requests in flight. A second signal during the
    /// delay cuts it short.
    ///
    /// Pick `drain` longer than the time your load balancers take to notice
    /// a failing readiness probe (in Kubernetes, `periodSeconds *
    /// failureThreshold + timeoutSeconds` of the readiness probe) and
    /// shorter than `terminationGracePeriodSeconds` less your longest
    /// request.
    ///
    /// The signal handlers are installed by this call, so a signal that
    /// arrives between it and the start of serving is not lost.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # #[healthz::live] fn liveness() {}
    /// # #[healthz::ready] fn readiness() {}
    ///
    /// #[tokio::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let app: axum::Router = healthz::router();
    ///     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    ///     let lifecycle = healthz::lifecycle();
    ///     let shutdown = lifecycle.shutdown_signal(Duration::from_secs(15));
    ///     lifecycle.mark_started();
    ///     axum::serve(listener, app).with_graceful_shutdown(shutdown).await
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, or if the signal handlers cannot be installed.
    pub fn shutdown_signal(&self, drain: Duration) -> impl Future<Output = ()> + Send + 'static {
        let signals = crate::signal::OsSignals::install();
        self.clone().drain_on(signals, drain)
    }

    /// Waits for a first signal, drains, and returns early on a second.
    async fn drain_on(self, mut signals: impl Signals, drain: Duration) {
        let signal = signals.recv().await;
        self.begin_shutdown();
        tracing::info!(
            signal,
            drain = ?drain,
            "shutting down: readiness fails and the app serves on through the drain delay"
        );
        tokio::select! {
            () = tokio::time::sleep(drain) => {
                tracing::info!("drain delay over, shutting down gracefully");
            }
            signal = signals.recv() => {
                tracing::info!(signal, "second signal, shutting down gracefully now");
            }
        }
    }

    /// Flags the shutdown; true the first time only.
    fn begin_shutdown(&self) -> bool {
        !self.state.shutting_down.swap(true, Ordering::SeqCst)
    }

    /// Why `gate` is closed now, if it is; `None` lets its probe run.
    pub(crate) fn gate(&self, gate: Gate) -> Option<Cow<'static, str>> {
        match gate {
            Gate::Ready if self.is_shutting_down() => Some(Cow::Borrowed(SHUTTING_DOWN)),
            Gate::Ready => self.not_ready_reason(),
            Gate::Startup if !self.is_started() => Some(Cow::Borrowed(NOT_STARTED)),
            Gate::Startup => None,
        }
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.state.probes
    }

    fn lock_not_ready(&self) -> std::sync::MutexGuard<'_, Option<Cow<'static, str>>> {
        lock(&self.state.not_ready)
    }
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("started", &self.is_started())
            .field("not_ready", &self.not_ready_reason())
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}

/// A source of shutdown signals, named for the log.
pub(crate) trait Signals: Send + 'static {
    fn recv(&mut self) -> impl Future<Output = &'static str> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    impl Signals for mpsc::UnboundedReceiver<&'static str> {
        async fn recv(&mut self) -> &'static str {
            match mpsc::UnboundedReceiver::recv(self).await {
                Some(signal) => signal,
                None => std::future::pending().await,
            }
        }
    }

    #[test]
    fn readiness_gate_prefers_shutdown_to_the_apps_reason() {
        let lifecycle = Lifecycle::new();
        assert_eq!(lifecycle.gate(Gate::Ready), None);
        lifecycle.mark_not_ready("Warming up");
        assert_eq!(lifecycle.gate(Gate::Ready).as_deref(), Some("Warming up"));
        lifecycle.mark_shutting_down();
        assert_eq!(lifecycle.gate(Gate::Ready).as_deref(), Some(SHUTTING_DOWN));
        lifecycle.mark_ready();
        assert_eq!(
            lifecycle.gate(Gate::Ready).as_deref(),
            Some(SHUTTING_DOWN),
            "a shutdown cannot be undone"
        );
    }

    #[test]
    fn startup_gate_opens_once_started_and_ignores_shutdown() {
        let lifecycle = Lifecycle::new();
        assert_eq!(lifecycle.gate(Gate::Startup).as_deref(), Some(NOT_STARTED));
        lifecycle.clone().mark_started();
        assert_eq!(lifecycle.gate(Gate::Startup), None, "clones share state");
        lifecycle.mark_shutting_down();
        assert_eq!(lifecycle.gate(Gate::Startup), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_drain_delay_follows_the_first_signal() {
        let lifecycle = Lifecycle::new();
        let (send, signals) = mpsc::unbounded_channel();
        let drained = tokio::spawn(lifecycle.clone().drain_on(signals, Duration::from_secs(15)));

        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!lifecycle.is_shutting_down() && !drained.is_finished());

        send.send("SIGTERM").unwrap();
        tokio::time::sleep(Duration::from_secs(14)).await;
        assert!(lifecycle.is_shutting_down());
        assert!(!drained.is_finished(), "resolved before the drain delay");

        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(drained.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_signal_ends_the_drain_delay() {
        let lifecycle = Lifecycle::new();
        let (send, signals) = mpsc::unbounded_channel();
        let drained = tokio::spawn(
            lifecycle
                .clone()
                .drain_on(signals, Duration::from_secs(3600)),
        );

        send.send("SIGTERM").unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(lifecycle.is_shutting_down() && !drained.is_finished());

        send.send("SIGINT").unwrap();
        tokio::time::timeout(Duration::from_secs(1), drained)
            .await
            .expect("resolved at the second signal")
            .unwrap();
    }
}
