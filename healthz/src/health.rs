//! The app's own view of its probes, without an HTTP request: the last
//! answer of each probe and named check, and a way to wait for changes.
//!
//! [`Lifecycle::health`] hands out a [`Health`]; its
//! [`snapshot`](Health::snapshot) says how each probe answered last, and
//! [`wait_for`](Health::wait_for) waits until it answers the way you need.
//!
//! ```
//! use healthz::{Healthz, Lifecycle};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let lifecycle = Lifecycle::new();
//! let app: axum::Router = Healthz::new()
//!     .live(|| ())
//!     .ready(|| true)
//!     .lifecycle(lifecycle.clone())
//!     .router();
//!
//! let health = lifecycle.health();
//! let snapshot = health.snapshot();
//! let ready = snapshot.ready().expect("the router is built");
//! // Nothing has asked the probe yet, and the view never runs it.
//! assert_eq!(ready.status(), None);
//! # }
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::Lifecycle;
use crate::base::kind::Probe;
use crate::base::status::Status;
use crate::history::Entry;
use crate::lifecycle::registry::Registered;
use crate::report::CheckReport;
use crate::run::Answer;

impl Lifecycle {
    /// The app's view of the probes served with this lifecycle: how each
    /// answered last, and a way to wait for a change.
    ///
    /// The readers of the attribute probes ([`healthz::router()`](crate::router),
    /// the single routes, gRPC, [`serve`](crate::serve())) register them
    /// with the process-wide [`lifecycle()`](crate::lifecycle()); a
    /// [`Healthz`](crate::Healthz) builder with the lifecycle given to
    /// [`Healthz::lifecycle`](crate::Healthz::lifecycle). The view reflects
    /// runs that happened: it never runs a probe itself.
    ///
    /// ```
    /// # #[healthz::live] fn liveness() {}
    /// # #[healthz::ready] fn readiness() {}
    /// let app: axum::Router = healthz::router();
    /// let health = healthz::lifecycle().health();
    /// assert!(health.snapshot().ready().is_some());
    /// ```
    pub fn health(&self) -> Health {
        let mut health = Health {
            registry: self.registry().0.subscribe(),
            probes: Vec::new(),
            lifecycle: self.view(),
            signals: self.changes(),
            handles: self.handles(),
        };
        health.adopt();
        health
    }
}

/// A handle on the health state of the probes registered with a
/// [`Lifecycle`], from [`Lifecycle::health`].
///
/// [`snapshot`](Self::snapshot) reads the last answer of each probe;
/// [`changed`](Self::changed) and [`wait_for`](Self::wait_for) wait for a
/// run to answer differently. Both reflect the runs the probe endpoints
/// made for their requests, and never start one: a probe that nothing has
/// asked yet has no status.
///
/// A consumer of a queue can pause while readiness fails and resume when
/// it passes, so that a pod taken out of its Service also stops taking work
/// from the queue:
///
/// ```no_run
/// # async fn next_job() -> u32 { 0 }
/// # async fn process(_: u32) {}
/// # async fn consume() -> Result<(), healthz::health::Closed> {
/// use healthz::health::Snapshot;
///
/// let mut health = healthz::lifecycle().health();
/// loop {
///     // Returns at once while readiness passes.
///     health.wait_for(Snapshot::is_ready).await?;
///     tokio::select! {
///         _ = health.wait_for(|now| !now.is_ready()) => {} // pause
///         job = next_job() => process(job).await,
///     }
/// }
/// # }
/// ```
///
/// Clones watch the same probes and see changes apart.
#[derive(Clone)]
pub struct Health {
    registry: watch::Receiver<Vec<Registered>>,
    /// The probes as last seen by this handle, whose receivers mark what it
    /// has seen.
    probes: Vec<Registered>,
    /// What the app says of itself, which answers for a probe while it
    /// holds it down.
    lifecycle: Lifecycle,
    signals: watch::Receiver<()>,
    /// Closed once no lifecycle that could change anything is left.
    handles: watch::Receiver<()>,
}

impl fmt::Debug for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Health")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl Health {
    /// The last answer of each probe, as it is now, each probe once
    /// however many readers serve it. A builder's probe leaves the snapshot
    /// when the builder and every reader built from it are dropped.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| ())
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// let snapshot = lifecycle.health().snapshot();
    /// assert_eq!(snapshot.probes().len(), 2);
    /// assert!(!snapshot.is_ready(), "no run yet");
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        let probes = (self.registry.borrow().iter())
            .filter(|probe| !probe.is_gone())
            .map(|probe| {
                let state = probe.latest.upgrade();
                let latest = state.as_ref().and_then(|state| state.latest());
                let (answer, age) = latest.unzip();
                let took = state.and_then(|state| state.took());
                ProbeState {
                    probe: probe.probe,
                    said: (self.lifecycle.gate(probe.probe)).and_then(|report| report.title),
                    answer,
                    age,
                    produced_at: age.and_then(|age| SystemTime::now().checked_sub(age)),
                    took,
                }
            })
            .collect();
        Snapshot { probes }
    }

    /// The last transitions of every probe, named check and lifecycle
    /// entry, oldest first: what failed, when, and for how long. See
    /// [`history`](crate::history) for what is kept and its bound.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let hold = lifecycle.hold_not_ready("Warming the cache");
    /// drop(hold);
    /// let history = lifecycle.health().history();
    /// let titles: Vec<_> = history.iter().map(|entry| entry.title()).collect();
    /// assert_eq!(titles, [Some("Warming the cache"), None]);
    /// ```
    pub fn history(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        for probe in self.registry.borrow().iter() {
            if let Some(state) = probe.latest.upgrade() {
                state.history().read_into(&mut entries);
            }
        }
        self.lifecycle.history_into(&mut entries);
        entries.sort_by_key(Entry::sequence);
        entries
    }

    /// Waits until a probe answers differently from before, or a reader
    /// registers a probe not seen before, since the handle was made or `changed` last
    /// returned.
    ///
    /// A run that answers as the previous one did (same verdict, titles and
    /// checks) is no change.
    ///
    /// # Errors
    ///
    /// [`Closed`] once nothing can change any more, as tokio's
    /// `watch::Receiver::changed` does: every builder, router and reader of
    /// its probes is dropped, and so is every clone of the lifecycle (the
    /// process-wide [`lifecycle()`](crate::lifecycle()) never is), with its
    /// heartbeats and holds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum::{body::Body, http::Request};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), healthz::health::Closed> {
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| false)
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// let mut health = lifecycle.health();
    ///
    /// let request = Request::get("/healthz/ready").body(Body::empty()).unwrap();
    /// app.clone().oneshot(request).await.unwrap();
    ///
    /// tokio::time::timeout(Duration::from_secs(1), health.changed()).await.unwrap()?;
    /// let snapshot = health.snapshot();
    /// assert_eq!(snapshot.ready().unwrap().status(), Some(healthz::Status::Fail));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn changed(&mut self) -> Result<(), Closed> {
        if !matches!(self.registry.has_changed(), Ok(true)) {
            let registry = &mut self.registry;
            // The registry and the signals live as long as the lifecycle's
            // state, which this handle keeps: only the probes and the
            // lifecycle's handles can close.
            let mut changes: Vec<Change<'_>> = (self.probes.iter_mut())
                .map(|probe| Change::new(&mut probe.state, true))
                .collect();
            changes.push(Change::new(registry, false));
            changes.push(Change::new(&mut self.signals, false));
            changes.push(Change::new(&mut self.handles, true));
            poll_fn(|cx| {
                // Polled in turn: each keeps its place in the queue of
                // waiters until one is ready.
                let mut open = false;
                for change in &mut changes {
                    match change.poll(cx) {
                        Poll::Ready(true) => return Poll::Ready(Ok(())),
                        Poll::Ready(false) => {}
                        Poll::Pending => open |= change.closes,
                    }
                }
                match open {
                    true => Poll::Pending,
                    false => Poll::Ready(Err(Closed(()))),
                }
            })
            .await?;
        }
        self.adopt();
        Ok(())
    }

    /// Waits until `condition` holds for the probes' health, and returns
    /// the snapshot it held for; at once if it holds already.
    ///
    /// # Errors
    ///
    /// [`Closed`], as [`changed`](Health::changed), once nothing can change
    /// any more and `condition` still does not hold.
    ///
    /// ```
    /// use axum::{body::Body, http::Request};
    /// use tower::ServiceExt;
    /// use healthz::health::Snapshot;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), healthz::health::Closed> {
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| true)
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// let mut health = lifecycle.health();
    ///
    /// // The kubelet asks, elsewhere.
    /// let server = app.clone();
    /// tokio::spawn(async move {
    ///     let request = Request::get("/healthz/ready").body(Body::empty()).unwrap();
    ///     server.oneshot(request).await.unwrap();
    /// });
    ///
    /// let ready = health.wait_for(Snapshot::is_ready).await?;
    /// assert!(ready.ready().unwrap().is_passed());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(
        &mut self,
        mut condition: impl FnMut(&Snapshot) -> bool,
    ) -> Result<Snapshot, Closed> {
        loop {
            let snapshot = self.snapshot();
            if condition(&snapshot) {
                return Ok(snapshot);
            }
            self.changed().await?;
        }
    }

    /// Takes the registered probes as they are now, each as seen.
    fn adopt(&mut self) {
        let registry = self.registry.borrow_and_update();
        self.probes = (registry.iter())
            .filter(|probe| !probe.is_gone())
            .cloned()
            .collect();
        for probe in &mut self.probes {
            probe.state.mark_unchanged();
        }
        self.signals.mark_unchanged();
    }
}

/// The next change of one receiver: `true` for a change, `false` once its
/// sender is gone; `closes` says whether that can happen while the handle
/// lives.
struct Change<'a> {
    next: Pin<Box<dyn Future<Output = bool> + Send + 'a>>,
    closes: bool,
    ended: bool,
}

impl<'a> Change<'a> {
    fn new<T: Send + Sync>(receiver: &'a mut watch::Receiver<T>, closes: bool) -> Self {
        Change {
            next: Box::pin(async move { receiver.changed().await.is_ok() }),
            closes,
            ended: false,
        }
    }

    /// Polls the change until it ends, then reports it ended without a
    /// change.
    fn poll(&mut self, cx: &mut std::task::Context<'_>) -> Poll<bool> {
        if self.ended {
            return Poll::Ready(false);
        }
        let polled = self.next.as_mut().poll(cx);
        if polled == Poll::Ready(false) {
            self.ended = true;
        }
        polled
    }
}

/// What [`Health::changed`] and [`Health::wait_for`] return once nothing
/// can change any more: the probes and lifecycle they follow are gone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let lifecycle = healthz::Lifecycle::new();
/// let mut health = lifecycle.health();
/// drop(lifecycle);
/// assert!(health.changed().await.is_err());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed(());

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the probes and lifecycle this health view follows are gone: nothing can change",
        )
    }
}

impl std::error::Error for Closed {}

/// The health of the probes at one moment, from [`Health::snapshot`].
///
/// Two snapshots are equal when every probe answers the same, as
/// [`ProbeState`]'s equality says.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    probes: Vec<ProbeState>,
}

impl Snapshot {
    /// Every probe, once each however many readers serve it, in the order
    /// the first reader of each was built.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let snapshot = lifecycle.health().snapshot();
    /// assert!(snapshot.probes().is_empty(), "no router built with it");
    /// ```
    pub fn probes(&self) -> &[ProbeState] {
        &self.probes
    }

    /// The liveness probe; of several (builders sharing a lifecycle), the
    /// one whose first reader was built last.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| ())
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// assert_eq!(lifecycle.health().snapshot().live().unwrap().status(), None);
    /// ```
    pub fn live(&self) -> Option<&ProbeState> {
        self.last(Probe::Live)
    }

    /// The readiness probe; of several, the one whose first reader was
    /// built last.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| ())
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// assert_eq!(lifecycle.health().snapshot().ready().unwrap().status(), None);
    /// ```
    pub fn ready(&self) -> Option<&ProbeState> {
        self.last(Probe::Ready)
    }

    /// Whether there is a readiness probe and every one passes as its
    /// endpoint would answer now: its last run passed (a warning passes)
    /// and the [`Lifecycle`] does not hold it down (not ready, held,
    /// broken, shutting down). False until a run has answered.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// assert!(!lifecycle.health().snapshot().is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        let mut ready = self
            .probes
            .iter()
            .filter(|probe| probe.probe == Probe::Ready);
        let mut any = false;
        let all = ready.all(|probe| {
            any = true;
            probe.is_passed()
        });
        any && all
    }

    fn last(&self, probe: Probe) -> Option<&ProbeState> {
        self.probes.iter().rev().find(|state| state.probe == probe)
    }
}

/// How one probe answered at its last run.
#[derive(Clone)]
pub struct ProbeState {
    probe: Probe,
    /// The lifecycle's title while it answers for the probe.
    said: Option<String>,
    answer: Option<Arc<Answer>>,
    age: Option<Duration>,
    produced_at: Option<SystemTime>,
    took: Option<Duration>,
}

impl ProbeState {
    /// Which probe this is.
    ///
    /// ```
    /// use healthz::Probe;
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert_eq!(lifecycle.health().snapshot().ready().unwrap().probe(), Probe::Ready);
    /// ```
    pub fn probe(&self) -> Probe {
        self.probe
    }

    /// How its endpoint answers now: `Fail` while the [`Lifecycle`] answers
    /// for it (held down, broken, shutting down, a late heartbeat), else how
    /// its last run answered; `None` until a run has ended.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert_eq!(lifecycle.health().snapshot().live().unwrap().status(), None);
    /// ```
    pub fn status(&self) -> Option<Status> {
        if self.said.is_some() {
            return Some(Status::Fail);
        }
        Some(self.answer.as_ref()?.report.status())
    }

    /// Whether its last run passed (a warning passes); false before any.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert!(!lifecycle.health().snapshot().live().unwrap().is_passed());
    /// ```
    pub fn is_passed(&self) -> bool {
        self.status().is_some_and(Status::is_passed)
    }

    /// The title its endpoint answers with while it fails, as in its body:
    /// the lifecycle's while it answers for the probe, else the last run's.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert_eq!(lifecycle.health().snapshot().ready().unwrap().title(), None);
    /// ```
    pub fn title(&self) -> Option<&str> {
        if let Some(said) = &self.said {
            return Some(said);
        }
        self.answer.as_ref()?.report.title.as_deref()
    }

    /// When the last run ended, by the system clock; `None` before any.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert!(lifecycle.health().snapshot().ready().unwrap().produced_at().is_none());
    /// ```
    pub fn produced_at(&self) -> Option<SystemTime> {
        self.produced_at
    }

    /// How long ago the last run ended, when the snapshot was taken;
    /// `None` before any. Cached answers keep their age.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert!(lifecycle.health().snapshot().ready().unwrap().age().is_none());
    /// ```
    pub fn age(&self) -> Option<Duration> {
        self.age
    }

    /// How long its last run took; `None` before any.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert!(lifecycle.health().snapshot().ready().unwrap().duration().is_none());
    /// ```
    pub fn duration(&self) -> Option<Duration> {
        self.took
    }

    /// The named checks of its last run, in the probe's order; none for a
    /// probe without checks, or one stopped before it named them.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let app: axum::Router = healthz::Healthz::new()
    ///     .live(|| ()).ready(|| ()).lifecycle(lifecycle.clone()).router();
    /// assert_eq!(lifecycle.health().snapshot().ready().unwrap().checks().len(), 0);
    /// ```
    pub fn checks(&self) -> impl ExactSizeIterator<Item = CheckState<'_>> {
        let checks = self
            .answer
            .as_deref()
            .map_or(&[][..], |answer| &answer.report.checks);
        checks.iter().map(CheckState)
    }
}

/// Equal when the probe, its status, title, checks, and when its last
/// run ended are the same: two snapshots of one run, taken apart, are
/// equal, though their ages differ.
impl PartialEq for ProbeState {
    fn eq(&self, other: &Self) -> bool {
        self.probe == other.probe
            && self.status() == other.status()
            && self.title() == other.title()
            && self.checks().eq(other.checks())
            && self.produced_at == other.produced_at
    }
}

impl fmt::Debug for ProbeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeState")
            .field("probe", &self.probe)
            .field("status", &self.status())
            .field("title", &self.title())
            .field("age", &self.age)
            .field("checks", &self.checks().collect::<Vec<_>>())
            .finish()
    }
}

/// How one named check answered at its probe's last run, from
/// [`ProbeState::checks`].
///
/// Equal when the key, status, title and duration are the same.
#[derive(Clone, Copy)]
pub struct CheckState<'a>(&'a CheckReport);

impl<'a> CheckState<'a> {
    /// Its key, as given to [`Checks::check`](crate::Checks::check) or
    /// [`Check::new`](crate::Check::new).
    ///
    /// ```
    /// # fn keys(probe: &healthz::health::ProbeState) -> Vec<&str> {
    /// probe.checks().map(|check| check.key()).collect()
    /// # }
    /// ```
    pub fn key(&self) -> &'a str {
        &self.0.name
    }

    /// How it answered: `Warn` for a warning-only check that failed.
    ///
    /// ```
    /// # fn failing(probe: &healthz::health::ProbeState) -> usize {
    /// probe.checks().filter(|check| !check.status().is_passed()).count()
    /// # }
    /// ```
    pub fn status(&self) -> Status {
        self.0.status
    }

    /// Its failure's title, for `Fail` and `Warn`.
    ///
    /// ```
    /// # fn titles(probe: &healthz::health::ProbeState) -> Vec<&str> {
    /// probe.checks().filter_map(|check| check.title()).collect()
    /// # }
    /// ```
    pub fn title(&self) -> Option<&'a str> {
        self.0.title.as_deref()
    }

    /// How long it ran.
    ///
    /// ```
    /// # fn slowest(probe: &healthz::health::ProbeState) -> Option<std::time::Duration> {
    /// probe.checks().map(|check| check.duration()).max()
    /// # }
    /// ```
    pub fn duration(&self) -> std::time::Duration {
        // Only the app's own signals have none, and runs hold none.
        self.0.duration.unwrap_or_default()
    }
}

impl PartialEq for CheckState<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
            && self.status() == other.status()
            && self.title() == other.title()
            && self.0.duration == other.0.duration
    }
}

impl fmt::Debug for CheckState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckState")
            .field("key", &self.key())
            .field("status", &self.status())
            .field("title", &self.title())
            .field("duration", &self.duration())
            .finish()
    }
}
