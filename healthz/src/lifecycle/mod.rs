//! What the application says about itself, as opposed to what its probes
//! find: whether it has started, whether it holds readiness down, whether
//! its background loops still beat, whether it is broken, and whether it
//! is shutting down; with the stop signals, and the registry of the probes
//! the app's health view reads, and the clock that turns heartbeats. The
//! other writer of health state, beside the engine; it depends on `base`,
//! `report`, `run`, `history`, `observe` and `details`.

mod clock;
pub(crate) mod heartbeat;
pub(crate) mod hold;
pub(crate) mod registry;
pub(crate) mod shutdown;
pub(crate) mod stop_signal;

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use axum::http::request::Parts;
use tokio::sync::{Notify, watch};

use crate::Details;
use crate::base::kind::Probe;
use crate::base::sync::{AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering, lock};
use crate::history::{Entry, Rings, Subject};
use crate::lifecycle::heartbeat::{Beat, Heartbeat, HeartbeatInUse};
use crate::lifecycle::hold::ReadinessHold;
use crate::lifecycle::registry::Registry;
use crate::lifecycle::shutdown::ShutdownSignal;
use crate::lifecycle::stop_signal::{OsStopSignals, StopSignal, StopSignals};
use crate::report::{CheckReport, Report, Status};

/// How many transitions each lifecycle entry keeps.
const HISTORY: usize = 32;
/// How many entries the history keeps at most: heartbeats come and go by
/// name.
const HISTORY_SUBJECTS: usize = 64;

/// The readiness title while the server drains before shutting down.
const SHUTTING_DOWN: &str = "The server is shutting down";

/// The startup title until [`Lifecycle::mark_started`].
const NOT_STARTED: &str = "The app has not started yet";

/// The application's own say in its probes: started, ready, held down,
/// beating, broken, shutting down.
///
/// Probes find out whether the app *can* serve; a `Lifecycle` records what
/// the app *says*, and the endpoints consult it before running a probe:
///
/// | endpoint | answers 503 when | title |
/// | --- | --- | --- |
/// | `/healthz/ready` | shutting down | `The server is shutting down` |
/// | `/healthz/ready`, `/healthz/live` | [marked broken](Lifecycle::mark_broken) | the reason given |
/// | `/healthz/ready` | [marked not ready](Lifecycle::mark_not_ready) or [held](Lifecycle::hold_not_ready) | the reason given (the oldest hold's) |
/// | `/healthz/live` | a [heartbeat](Lifecycle::heartbeat) is late or ended, unless shutting down | `The consumer heartbeat is late: no beat for 41s` |
/// | `/healthz/startup` | not marked started | `The app has not started yet` |
/// | `/healthz/startup` | started, and `/healthz/live` fails as above | as `/healthz/live` |
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
    /// Held by every lifecycle that can still change something, and not by
    /// the views of the readers that only follow it: once the last one is
    /// dropped, `State::handles` closes, and a [`Health`](crate::Health)
    /// waiting for a change knows that none will come from here.
    _handle: Option<Arc<watch::Sender<()>>>,
}

struct State {
    started: AtomicBool,
    shutting_down: AtomicBool,
    /// Whether the drain delay of a shutdown signal is over: the health
    /// servers of [`serve`](crate::serve()) stop then.
    drained: AtomicBool,
    /// How many [`ShutdownSignal`]s are being awaited (polled, not yet
    /// dropped), and whether one has resolved: if neither at the end of a
    /// drain, nothing shuts the app down.
    shutdown_awaited: AtomicUsize,
    shutdown_heard: AtomicBool,
    broken: OnceLock<Cow<'static, str>>,
    /// Whether `signals` holds readiness down, and whether it watches a
    /// heartbeat: kept beside it so that a probe request reads an atomic,
    /// not the lock, while neither is the case.
    held: AtomicBool,
    watching: AtomicBool,
    signals: Mutex<Said>,
    /// Woken when a heartbeat is watched, ended or finished, for the
    /// clock to look again; and whether a clock runs.
    clock: Notify,
    clock_runs: AtomicBool,
    /// The probes served with this lifecycle, each once, for
    /// [`Lifecycle::health`].
    probes: Registry,
    /// Notified at each change of the above, for the readers that follow
    /// them (the app's health view, gRPC `Watch`).
    changes: watch::Sender<()>,
    /// The transitions of the entries above, each written before the
    /// change is notified.
    history: Rings,
    /// Who may see names and titles; read only by the answers that show
    /// them, never by the plain body.
    details: RwLock<Details>,
    /// Closed once no lifecycle that can change anything is left.
    handles: watch::Receiver<()>,
}

/// What the app said of its readiness and loops, behind one lock.
#[derive(Default)]
struct Said {
    not_ready: Option<Cow<'static, str>>,
    /// Oldest first.
    holds: Vec<(u64, Cow<'static, str>)>,
    next_hold: u64,
    heartbeats: Vec<Arc<Beat>>,
}

impl Said {
    fn is_held(&self) -> bool {
        self.not_ready.is_some() || !self.holds.is_empty()
    }
}

/// The app's own signals as the status page shows them.
#[cfg(feature = "ui")]
pub(crate) struct SignalsView {
    pub(crate) started: bool,
    pub(crate) shutting_down: bool,
    pub(crate) broken: Option<String>,
    pub(crate) not_ready: Option<String>,
    pub(crate) holds: Vec<String>,
    pub(crate) heartbeats: Vec<HeartbeatView>,
}

#[cfg(feature = "ui")]
pub(crate) struct HeartbeatView {
    pub(crate) name: String,
    /// Since the last beat seen.
    pub(crate) silent: Duration,
    pub(crate) period: Duration,
    /// While it fails liveness.
    pub(crate) title: Option<String>,
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
        let (handle, handles) = watch::channel(());
        Self {
            _handle: Some(Arc::new(handle)),
            state: Arc::new(State {
                started: AtomicBool::new(false),
                shutting_down: AtomicBool::new(false),
                drained: AtomicBool::new(false),
                shutdown_awaited: AtomicUsize::new(0),
                shutdown_heard: AtomicBool::new(false),
                broken: OnceLock::new(),
                held: AtomicBool::new(false),
                watching: AtomicBool::new(false),
                signals: Mutex::new(Said::default()),
                clock: Notify::new(),
                clock_runs: AtomicBool::new(false),
                probes: Registry::new(),
                changes: watch::Sender::new(()),
                history: Rings::new(HISTORY, HISTORY_SUBJECTS),
                details: RwLock::new(Details::always()),
                handles,
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
            self.record("started", None);
            self.changed();
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
        let mut signals = self.signals();
        if signals.not_ready.as_deref() != Some(&*reason) {
            signals.not_ready = Some(reason.clone());
            self.state.held.store(true, Ordering::Release);
            self.record("not ready", Some(&reason));
            drop(signals);
            self.changed();
            tracing::info!(reason = %reason, "readiness held down by the app");
        }
    }

    /// Lets readiness run its probe again after
    /// [`mark_not_ready`](Self::mark_not_ready), unless a
    /// [`ReadinessHold`] still holds it down. It does not undo a shutdown.
    ///
    /// ```
    /// healthz::lifecycle().mark_ready();
    /// assert_eq!(healthz::lifecycle().not_ready_reason(), None);
    /// ```
    pub fn mark_ready(&self) {
        let mut signals = self.signals();
        if signals.not_ready.take().is_some() {
            self.state.held.store(signals.is_held(), Ordering::Release);
            self.record("not ready", None);
            drop(signals);
            self.changed();
            tracing::info!("readiness released by the app");
        }
    }

    /// Why the app holds readiness down, while it does: the reason given to
    /// [`mark_not_ready`](Self::mark_not_ready), or else that of the oldest
    /// [`hold_not_ready`](Self::hold_not_ready).
    ///
    /// ```
    /// healthz::lifecycle().mark_not_ready("Down for maintenance");
    /// assert_eq!(healthz::lifecycle().not_ready_reason().as_deref(), Some("Down for maintenance"));
    /// # healthz::lifecycle().mark_ready();
    /// ```
    pub fn not_ready_reason(&self) -> Option<Cow<'static, str>> {
        let signals = self.signals();
        (signals.not_ready.iter())
            .chain(signals.holds.iter().map(|(_, reason)| reason))
            .next()
            .cloned()
    }

    /// Holds readiness down with `reason` until the returned guard is
    /// dropped, for work that must finish before the app takes traffic: a
    /// cache warm-up, a migration, a reconnection.
    ///
    /// Several holds, from several places, are independent; readiness
    /// answers the reason of the oldest, and passes again once the last is
    /// dropped. Holds and [`mark_not_ready`](Self::mark_not_ready) compose:
    /// either keeps readiness down. Liveness is never held down. Like
    /// [`HealthError::new`](crate::HealthError::new), the reason is shown to
    /// whoever calls the endpoint.
    ///
    /// ```
    /// # async fn warm_cache() {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let warming = healthz::lifecycle().hold_not_ready("Warming the cache");
    /// warm_cache().await;
    /// drop(warming);
    /// # }
    /// ```
    pub fn hold_not_ready(&self, reason: impl Into<Cow<'static, str>>) -> ReadinessHold {
        let reason = reason.into();
        let mut signals = self.signals();
        let id = signals.next_hold;
        signals.next_hold += 1;
        signals.holds.push((id, reason.clone()));
        self.state.held.store(true, Ordering::Release);
        self.record_holds(&signals);
        drop(signals);
        self.changed();
        tracing::info!(reason = %reason, "readiness held down");
        ReadinessHold::new(id, self.clone())
    }

    /// Drops the hold `id`.
    pub(crate) fn release(&self, id: u64) {
        let mut signals = self.signals();
        if let Some(at) = signals.holds.iter().position(|(hold, _)| *hold == id) {
            let (_, reason) = signals.holds.remove(at);
            self.state.held.store(signals.is_held(), Ordering::Release);
            self.record_holds(&signals);
            drop(signals);
            self.changed();
            tracing::info!(reason = %reason, "readiness hold released");
        }
    }

    /// Watches a background loop: it must call [`Heartbeat::beat`] at
    /// least once per `period`, or liveness answers 503 naming it
    /// (`The consumer heartbeat is late: no beat for 41s`) without running
    /// the liveness probe, until it beats again. The first period starts now.
    ///
    /// A `Heartbeat` dropped without [`finish`](Heartbeat::finish), because
    /// its task returned early, was aborted or panicked, fails liveness
    /// until the process restarts. Once shutdown has begun, heartbeats no
    /// longer fail liveness.
    ///
    /// Pick `period` above the longest a healthy loop can go between two
    /// beats, including its idle waits (beat on a timer too, not only after
    /// work), and remember that Kubernetes restarts the pod only after
    /// `failureThreshold` failing probes `periodSeconds` apart.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let beat = healthz::lifecycle().heartbeat("consumer", Duration::from_secs(30));
    /// beat.beat();
    /// beat.finish();
    /// ```
    ///
    /// # Panics
    ///
    /// If `name` is empty, `period` is zero, or a heartbeat of that name is
    /// still beating: each is a mistake in the app's code.
    /// [`try_heartbeat`](Self::try_heartbeat) returns the last as an error.
    #[track_caller]
    pub fn heartbeat(&self, name: impl Into<Cow<'static, str>>, period: Duration) -> Heartbeat {
        match self.try_heartbeat(name, period) {
            Ok(heartbeat) => heartbeat,
            Err(in_use) => panic!("{in_use}: give each loop a name of its own"),
        }
    }

    /// [`heartbeat`](Self::heartbeat), refusing a name that a loop still
    /// beats with an error instead of a panic: for a supervisor that
    /// restarts a loop while the old one may still be stopping, and tries
    /// again once it has finished or dropped its heartbeat.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lifecycle = healthz::Lifecycle::new();
    /// let old = lifecycle.heartbeat("consumer", Duration::from_secs(30));
    /// let refused = lifecycle.try_heartbeat("consumer", Duration::from_secs(30)).unwrap_err();
    /// assert_eq!(refused.name(), "consumer");
    /// old.finish();
    /// let new = lifecycle.try_heartbeat("consumer", Duration::from_secs(30))?;
    /// # new.finish();
    /// # Ok::<(), healthz::HeartbeatInUse>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HeartbeatInUse`](crate::HeartbeatInUse) while a heartbeat of that
    /// name is still beating.
    ///
    /// # Panics
    ///
    /// If `name` is empty or `period` is zero.
    #[track_caller]
    pub fn try_heartbeat(
        &self,
        name: impl Into<Cow<'static, str>>,
        period: Duration,
    ) -> Result<Heartbeat, HeartbeatInUse> {
        let name = name.into();
        assert!(
            !name.is_empty(),
            "a heartbeat needs a name, such as \"consumer\""
        );
        assert!(
            !period.is_zero(),
            "the {name} heartbeat needs a period above zero, such as Duration::from_secs(30)"
        );
        let mut signals = self.signals();
        if (signals.heartbeats.iter()).any(|other| other.is_beating() && other.name == name) {
            return Err(HeartbeatInUse { name });
        }
        // Unless one of its name that ended still fails liveness.
        if !(signals.heartbeats.iter()).any(|other| other.name == name) {
            self.record(&heartbeat::entry(&name), None);
        }
        let beat = Arc::new(Beat::new(name, period));
        signals.heartbeats.push(beat.clone());
        self.state.watching.store(true, Ordering::Release);
        drop(signals);
        self.changed();
        self.wake_clock();
        Ok(Heartbeat::new(beat, self.clone()))
    }

    /// Stops watching a finished heartbeat.
    pub(crate) fn unwatch(&self, beat: &Arc<Beat>) {
        let mut signals = self.signals();
        signals.heartbeats.retain(|other| !Arc::ptr_eq(other, beat));
        // Finished: it fails liveness no more.
        self.record(&beat.entry(), None);
        self.state
            .watching
            .store(!signals.heartbeats.is_empty(), Ordering::Release);
        drop(signals);
        self.changed();
        self.wake_clock();
    }

    /// Says the app is in a state only a restart fixes: liveness answers
    /// 503 with `reason` from now on, so Kubernetes restarts the pod, and
    /// readiness fails too, so it gets no traffic meanwhile. A second call
    /// keeps the first reason. Logged once, at `ERROR`.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// lifecycle.mark_broken("The schema version is newer than this build");
    /// lifecycle.mark_broken("Something else");
    /// assert_eq!(
    ///     lifecycle.broken_reason().as_deref(),
    ///     Some("The schema version is newer than this build")
    /// );
    /// ```
    pub fn mark_broken(&self, reason: impl Into<Cow<'static, str>>) {
        // Converted first: the app's `Into` is not called inside the cell's
        // initialisation, which it could not re-enter.
        let reason = reason.into();
        let mut first = false;
        let reason = self.state.broken.get_or_init(|| {
            first = true;
            reason
        });
        if first {
            self.record("broken", Some(reason));
            self.changed();
            tracing::error!(reason = %reason, "the app is broken: liveness fails until a restart");
        }
    }

    /// The reason given to [`mark_broken`](Self::mark_broken), once it is,
    /// as [`not_ready_reason`](Self::not_ready_reason) gives its own.
    ///
    /// ```
    /// assert_eq!(healthz::Lifecycle::new().broken_reason(), None);
    /// ```
    pub fn broken_reason(&self) -> Option<Cow<'static, str>> {
        self.state.broken.get().cloned()
    }

    /// Whether [`mark_broken`](Self::mark_broken) was called.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// lifecycle.mark_broken("Out of file descriptors");
    /// assert!(lifecycle.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.broken().is_some()
    }

    fn broken(&self) -> Option<&str> {
        self.state.broken.get().map(|reason| &**reason)
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
    /// arrives between it and the start of serving is not lost. They
    /// replace the signals' default action for the whole process, so the
    /// drain runs in a task of its own: if the returned future is never
    /// awaited, or dropped, the first signal still drains, then an ERROR
    /// names the mistake and the process ends as the signal would have
    /// ended it without healthz.
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
    /// Outside a Tokio runtime, or if the signal handlers cannot be
    /// installed: [`try_shutdown_signal`](Self::try_shutdown_signal)
    /// returns that error instead.
    #[track_caller]
    pub fn shutdown_signal(&self, drain: Duration) -> ShutdownSignal {
        match self.try_shutdown_signal(drain) {
            Ok(signal) => signal,
            Err(error) => panic!("the shutdown signals' handlers cannot be installed: {error}"),
        }
    }

    /// [`shutdown_signal`](Self::shutdown_signal), with an error instead of
    /// a panic when the signal handlers cannot be installed, as tokio's
    /// `signal()` returns one.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # #[tokio::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let lifecycle = healthz::Lifecycle::new();
    /// let shutdown = lifecycle.try_shutdown_signal(Duration::from_secs(15))?;
    /// shutdown.await;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error if a signal handler cannot be
    /// installed.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn try_shutdown_signal(&self, drain: Duration) -> std::io::Result<ShutdownSignal> {
        Ok(ShutdownSignal::new(self, OsStopSignals::install()?, drain))
    }

    /// Waits for a first signal, drains, and returns early on a second;
    /// gives the first.
    pub(crate) async fn drain_on(
        &self,
        mut signals: impl StopSignals,
        drain: Duration,
    ) -> StopSignal {
        let first = signals.recv().await;
        // Each shutdown signal of the lifecycle hears the OS signal; the
        // first to act on it says so, for all of them.
        if self.begin_shutdown() {
            tracing::info!(
                signal = first.name(),
                drain = ?drain,
                "shutting down: readiness fails and the app serves on through the drain delay"
            );
        }
        let second = tokio::select! {
            () = tokio::time::sleep(drain) => None,
            second = signals.recv() => Some(second),
        };
        if !self.state.drained.swap(true, Ordering::SeqCst) {
            match second {
                None => tracing::info!("drain delay over, shutting down gracefully"),
                Some(second) => tracing::info!(
                    signal = second.name(),
                    "second signal, shutting down gracefully now"
                ),
            }
            self.changed();
        }
        first
    }

    /// Resolves once the drain delay of a shutdown signal is over, at once
    /// if it already is.
    pub(crate) async fn drained(&self) {
        let mut changes = self.changes();
        while !self.state.drained.load(Ordering::SeqCst) {
            if changes.changed().await.is_err() {
                // Unreachable while `self` holds the sender.
                return;
            }
        }
    }

    /// Flags the shutdown; true the first time only.
    fn begin_shutdown(&self) -> bool {
        let first = !self.state.shutting_down.swap(true, Ordering::SeqCst);
        if first {
            self.record("shutting down", Some(SHUTTING_DOWN));
            self.changed();
        }
        first
    }

    /// Has the clock look at the heartbeats again, starting it if none runs.
    fn wake_clock(&self) {
        self.state.clock.notify_one();
        clock::start(self);
    }

    /// Tells the readers of [`changes`](Self::changes) that what the app
    /// says of itself changed.
    pub(crate) fn changed(&self) {
        self.state.changes.send_replace(());
    }

    /// A receiver notified at each change of what the app says of itself:
    /// started, held, released, broken, a heartbeat watched, ended or
    /// finished, shutting down, and a heartbeat turned late or beating
    /// again by the clock.
    pub(crate) fn changes(&self) -> watch::Receiver<()> {
        // A follower hears of a heartbeat's turns from the clock: one is
        // started if its runtime ended under it.
        if self.state.watching.load(Ordering::Acquire) {
            clock::start(self);
        }
        self.state.changes.subscribe()
    }

    /// The answer the app's own signals give for `gate`'s endpoint, if
    /// they fail it; `None` lets its probe run.
    pub(crate) fn gate(&self, gate: Probe) -> Option<Report> {
        let titled = |title: &str| Report {
            title: Some(title.to_owned()),
            ..Report::default()
        };
        match gate {
            Probe::Ready if self.is_shutting_down() => return Some(titled(SHUTTING_DOWN)),
            Probe::Startup if !self.is_started() => return Some(titled(NOT_STARTED)),
            _ => {}
        }
        if self.is_quiet(gate) {
            return None;
        }
        let checks = self.entries(gate);
        // `mark_not_ready` answers as it always has, with its reason alone.
        let said = match gate {
            Probe::Ready => self.signals().not_ready.clone(),
            Probe::Live | Probe::Startup => None,
        };
        let failing = (checks.iter())
            .filter(|entry| entry.status == Status::Fail)
            .filter_map(|entry| entry.title.clone());
        let title = (self.broken().map(str::to_owned))
            .or(said.map(Cow::into_owned))
            .or_else(|| failing.into_iter().next())?;
        Some(Report {
            title: Some(title),
            checks,
            ..Report::default()
        })
    }

    /// Whether no signal of the app's bears on `gate`'s probe: the common
    /// case, read from atomics alone.
    fn is_quiet(&self, gate: Probe) -> bool {
        let state = &*self.state;
        state.broken.get().is_none()
            && match gate {
                Probe::Ready => !state.held.load(Ordering::Acquire),
                Probe::Live | Probe::Startup => {
                    !state.watching.load(Ordering::Acquire) || self.is_shutting_down()
                }
            }
    }

    /// Each of the app's signals that bears on `gate`'s probe, as an entry
    /// of its own beside the probe's checks: `broken`, `hold:<reason>`,
    /// `heartbeat:<name>`. `mark_not_ready` is not one: its answer is the
    /// reason alone, as it always was.
    pub(crate) fn entries(&self, gate: Probe) -> Vec<CheckReport> {
        if self.is_quiet(gate) {
            return Vec::new();
        }
        let entry = |name: String, title: Option<&str>| CheckReport {
            name: name.into(),
            status: if title.is_some() {
                Status::Fail
            } else {
                Status::Pass
            },
            title: title.map(str::to_owned),
            duration: None,
        };
        let mut entries = Vec::new();
        if let Some(reason) = self.broken() {
            entries.push(entry("broken".to_owned(), Some(reason)));
        }
        let signals = self.signals();
        match gate {
            Probe::Ready => {
                for (_, reason) in &signals.holds {
                    entries.push(entry(format!("hold:{reason}"), Some(reason)));
                }
            }
            Probe::Live | Probe::Startup if !self.is_shutting_down() => {
                for beat in &signals.heartbeats {
                    let name = beat.entry();
                    // A loop restarted after its heartbeat ended is listed
                    // once, as ended: that still fails liveness.
                    if entries.iter().any(|listed| listed.name == name) {
                        continue;
                    }
                    let title = beat.title(&beat.standing());
                    entries.push(entry(name, title.as_deref()));
                }
            }
            Probe::Live | Probe::Startup => {}
        }
        entries
    }

    /// What the status page shows of the app's own signals, as a probe
    /// request reads them.
    #[cfg(feature = "ui")]
    pub(crate) fn signals_view(&self) -> SignalsView {
        let entries = self.entries(Probe::Live);
        let signals = self.signals();
        let heartbeats = (signals.heartbeats.iter())
            .map(|beat| {
                let (silent, period) = beat.silence();
                let name = beat.entry();
                let entry = entries.iter().find(|entry| entry.name == name);
                HeartbeatView {
                    name: beat.name.to_string(),
                    silent,
                    period,
                    title: entry.and_then(|entry| entry.title.clone()),
                }
            })
            .collect();
        SignalsView {
            started: self.is_started(),
            shutting_down: self.is_shutting_down(),
            broken: self.broken().map(str::to_owned),
            not_ready: signals.not_ready.as_deref().map(str::to_owned),
            holds: (signals.holds.iter())
                .map(|(_, reason)| reason.to_string())
                .collect(),
            heartbeats,
        }
    }

    /// Whether the drain delay of a shutdown signal is over.
    #[cfg(feature = "ui")]
    pub(crate) fn has_drained(&self) -> bool {
        self.state.drained.load(Ordering::SeqCst)
    }

    /// Sets who may see the names and titles of this lifecycle's probes,
    /// checks and entries, in every reader that would show them: see
    /// [`Details`]. It applies from the next request on.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// lifecycle.set_details(healthz::Details::never());
    /// ```
    pub fn set_details(&self, details: Details) {
        *self
            .state
            .details
            .write()
            .unwrap_or_else(PoisonError::into_inner) = details;
    }

    /// Whether the request with `parts` may see names and titles.
    pub(crate) fn shows_details(&self, parts: &Parts) -> bool {
        // Cloned out, so that the app's predicate runs with no lock held.
        let details = self
            .state
            .details
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        details.allows(parts)
    }

    /// Records that the entry `name` fails with `title`, or passes, if that
    /// is a transition.
    pub(crate) fn record(&self, name: &str, title: Option<&str>) {
        let status = if title.is_some() {
            Status::Fail
        } else {
            Status::Pass
        };
        let subject = Subject::Lifecycle(Cow::Owned(name.to_owned()));
        self.state.history.record(subject, status, title, None);
    }

    /// Records the holds' transition: held by the oldest reason left, or
    /// released by the last. Under the lock, so that the holds' entries are
    /// in the order they were taken and released.
    fn record_holds(&self, signals: &Said) {
        let oldest = signals.holds.first().map(|(_, reason)| &**reason);
        self.record("holds", oldest);
    }

    /// Every transition of the lifecycle's entries kept, appended to
    /// `into`.
    pub(crate) fn history_into(&self, into: &mut Vec<Entry>) {
        self.state.history.read_into(into);
    }

    fn signals(&self) -> MutexGuard<'_, Said> {
        lock(&self.state.signals)
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.state.probes
    }

    /// This lifecycle for a reader that only follows it, and does not keep
    /// it changeable.
    pub(crate) fn view(&self) -> Lifecycle {
        Lifecycle {
            state: Arc::clone(&self.state),
            _handle: None,
        }
    }

    /// A receiver closed once no lifecycle that can change anything is
    /// left.
    pub(crate) fn handles(&self) -> watch::Receiver<()> {
        self.state.handles.clone()
    }
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("started", &self.is_started())
            .field("not_ready", &self.not_ready_reason())
            .field("broken", &self.broken_reason())
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn title(lifecycle: &Lifecycle, gate: Probe) -> Option<String> {
        lifecycle.gate(gate).and_then(|report| report.title)
    }

    #[test]
    fn readiness_gate_prefers_shutdown_to_the_apps_reason() {
        let lifecycle = Lifecycle::new();
        assert_eq!(title(&lifecycle, Probe::Ready), None);
        lifecycle.mark_not_ready("Warming up");
        assert_eq!(
            title(&lifecycle, Probe::Ready).as_deref(),
            Some("Warming up")
        );
        lifecycle.mark_shutting_down();
        assert_eq!(
            title(&lifecycle, Probe::Ready).as_deref(),
            Some(SHUTTING_DOWN)
        );
        lifecycle.mark_ready();
        assert_eq!(
            title(&lifecycle, Probe::Ready).as_deref(),
            Some(SHUTTING_DOWN),
            "a shutdown cannot be undone"
        );
    }

    #[test]
    fn startup_gate_opens_once_started_and_ignores_shutdown() {
        let lifecycle = Lifecycle::new();
        assert_eq!(
            title(&lifecycle, Probe::Startup).as_deref(),
            Some(NOT_STARTED)
        );
        lifecycle.clone().mark_started();
        assert_eq!(
            title(&lifecycle, Probe::Startup),
            None,
            "clones share state"
        );
        lifecycle.mark_shutting_down();
        assert_eq!(title(&lifecycle, Probe::Startup), None);
    }

    #[test]
    fn holds_and_mark_not_ready_compose_and_list_each_entry() {
        let lifecycle = Lifecycle::new();
        let warming = lifecycle.hold_not_ready("Warming the cache");
        lifecycle.mark_not_ready("Maintenance");
        let report = lifecycle.gate(Probe::Ready).unwrap();
        assert_eq!(report.title.as_deref(), Some("Maintenance"));
        let names: Vec<&str> = report.checks.iter().map(|c| &*c.name).collect();
        assert_eq!(names, ["hold:Warming the cache"]);
        lifecycle.mark_ready();
        assert_eq!(
            title(&lifecycle, Probe::Ready).as_deref(),
            Some("Warming the cache")
        );
        assert_eq!(
            title(&lifecycle, Probe::Live),
            None,
            "liveness is never held"
        );
        drop(warming);
        assert_eq!(title(&lifecycle, Probe::Ready), None);
    }

    #[test]
    fn broken_fails_liveness_and_readiness_with_its_first_reason() {
        let lifecycle = Lifecycle::new();
        lifecycle.mark_broken("Schema too new");
        lifecycle.mark_broken("Later");
        for gate in [Probe::Live, Probe::Ready] {
            assert_eq!(title(&lifecycle, gate).as_deref(), Some("Schema too new"));
        }
        lifecycle.mark_started();
        assert_eq!(
            title(&lifecycle, Probe::Startup).as_deref(),
            Some("Schema too new"),
            "startup follows liveness once started"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_fail_liveness_when_late_or_dropped_until_shutdown() {
        let lifecycle = Lifecycle::new();
        let beat = lifecycle.heartbeat("consumer", Duration::from_millis(300));
        assert_eq!(title(&lifecycle, Probe::Live), None);
        tokio::time::advance(Duration::from_millis(400)).await;
        assert_eq!(
            title(&lifecycle, Probe::Live).as_deref(),
            Some("The consumer heartbeat is late: no beat for 400ms")
        );
        assert_eq!(
            title(&lifecycle, Probe::Ready),
            None,
            "readiness is not failed"
        );
        beat.beat();
        assert_eq!(title(&lifecycle, Probe::Live), None);
        drop(beat);
        assert_eq!(
            title(&lifecycle, Probe::Live).as_deref(),
            Some("The consumer heartbeat ended: it was dropped without finish()")
        );
        lifecycle.mark_shutting_down();
        assert_eq!(title(&lifecycle, Probe::Live), None, "a drain ends loops");
    }

    #[test]
    fn a_finished_heartbeat_is_no_longer_watched() {
        let lifecycle = Lifecycle::new();
        lifecycle
            .heartbeat("migration", Duration::from_secs(1))
            .finish();
        assert!(lifecycle.entries(Probe::Live).is_empty());
        lifecycle
            .heartbeat("migration", Duration::from_secs(1))
            .finish();
    }

    #[test]
    #[should_panic(expected = "a heartbeat named \"consumer\" is already beating")]
    fn two_beating_heartbeats_cannot_share_a_name() {
        let lifecycle = Lifecycle::new();
        let _first = lifecycle.heartbeat("consumer", Duration::from_secs(1));
        let _second = lifecycle.heartbeat("consumer", Duration::from_secs(1));
    }

    #[test]
    #[should_panic(expected = "the consumer heartbeat needs a period above zero")]
    fn a_heartbeat_needs_a_period() {
        let _ = Lifecycle::new().heartbeat("consumer", Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_drain_delay_follows_the_first_signal() {
        let lifecycle = Lifecycle::new();
        let (send, signals) = mpsc::unbounded_channel();
        let draining = lifecycle.clone();
        let drained =
            tokio::spawn(async move { draining.drain_on(signals, Duration::from_secs(15)).await });

        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!lifecycle.is_shutting_down() && !drained.is_finished());

        send.send(StopSignal::Terminate).unwrap();
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
        let draining = lifecycle.clone();
        let drained =
            tokio::spawn(
                async move { draining.drain_on(signals, Duration::from_secs(3600)).await },
            );

        send.send(StopSignal::Terminate).unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(lifecycle.is_shutting_down() && !drained.is_finished());

        send.send(StopSignal::Interrupt).unwrap();
        tokio::time::timeout(Duration::from_secs(1), drained)
            .await
            .expect("resolved at the second signal")
            .unwrap();
    }
}

/// Every interleaving of holds taken and released at once, checked by loom:
/// `RUSTFLAGS="--cfg healthz_loom" cargo test -p healthz --lib --release loom`.
#[cfg(all(test, healthz_loom))]
mod loom_models {
    use super::*;

    /// With holds `before` taken, one thread releases `before[released]`
    /// while another takes `taken` and a third reads readiness: once both
    /// are done, readiness is held with the oldest reason left.
    fn release_while_taking(before: &'static [&'static str], released: usize, taken: &'static str) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(move || {
            let lifecycle = Lifecycle::new();
            let mut holds: Vec<_> = (before.iter())
                .map(|reason| Some(lifecycle.hold_not_ready(*reason)))
                .collect();
            let releasing = holds[released].take().unwrap();
            let releaser = loom::thread::spawn(move || drop(releasing));
            let taker = {
                let lifecycle = lifecycle.clone();
                loom::thread::spawn(move || lifecycle.hold_not_ready(taken))
            };
            let reader = {
                let lifecycle = lifecycle.clone();
                loom::thread::spawn(move || {
                    let title = lifecycle.gate(Probe::Ready).and_then(|report| report.title);
                    assert!(
                        title.is_none_or(|title| before.contains(&&*title) || title == taken),
                        "a reason no hold gave"
                    );
                })
            };
            releaser.join().unwrap();
            let taken_hold = taker.join().unwrap();
            reader.join().unwrap();

            let oldest = (before.iter().enumerate())
                .find(|&(n, _)| n != released)
                .map_or(taken, |(_, reason)| *reason);
            let title = lifecycle.gate(Probe::Ready).and_then(|report| report.title);
            assert_eq!(
                title.as_deref(),
                Some(oldest),
                "held, by the oldest hold left"
            );
            drop((holds, taken_hold));
            assert!(
                lifecycle.gate(Probe::Ready).is_none(),
                "released by the last"
            );
        });
    }

    #[test]
    fn loom_a_hold_released_while_another_is_taken() {
        release_while_taking(&["Warming the cache"], 0, "Running migrations");
    }

    #[test]
    fn loom_the_oldest_reason_left_holds_whichever_hold_is_released() {
        release_while_taking(
            &["Warming the cache", "Reindexing"],
            1,
            "Running migrations",
        );
        release_while_taking(
            &["Warming the cache", "Reindexing"],
            0,
            "Running migrations",
        );
    }
}
