//! The compile-time link between the attributes and [`router`](crate::router).
//!
//! `#[healthz::live]` expands to the function itself plus an implementation
//! of [`Live`] for [`Probes`], keyed by a marker type private to the
//! expansion. `router()` asks for `Probes: Live<L, S> + Ready<R, S>` and lets
//! rustc infer the markers: with exactly one implementation of each trait in
//! the crate graph the call needs no arguments, with none it does not
//! compile, and with two rustc reports both.
//!
//! ```
//! use healthz::probe::{Live, Probes, Ready};
//!
//! #[healthz::live]
//! fn liveness() {}
//! #[healthz::ready]
//! async fn readiness() {}
//!
//! fn both_probes<L, R, P: Live<L, ()> + Ready<R, ()>>() {}
//! both_probes::<_, _, Probes>();
//! ```

pub(crate) mod argument;
pub(crate) mod router;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use axum::http::request::Parts;

use crate::HealthError;
use crate::base::checks::Outcome;
use crate::base::kind::Probe;
use crate::base::options::Options;
use crate::run::Runner;
pub use argument::ProbeArgument;

/// The type the probe attributes implement [`Live`] and [`Ready`] for.
///
/// It is never built; it only names the implementations.
///
/// ```
/// use healthz::probe::{Live, Probes};
///
/// #[healthz::live]
/// fn liveness() {}
///
/// fn has_live_probe<M, P: Live<M, ()>>() {}
/// has_live_probe::<_, Probes>();
/// ```
#[derive(Debug)]
pub struct Probes {
    _never: (),
}

/// The liveness probe: implemented by `#[healthz::live]`, not by hand.
///
/// It cannot be sealed, as the attribute implements it in the app's crate;
/// its hidden `check` and `cell`, and everything in `healthz::__private`
/// that the expansion names, are outside semver and may change in any
/// release.
///
/// `M` is a marker type private to one attribute expansion and `S` is the
/// router's state type. The implementation exists for every `S` from which
/// the probe's arguments can be extracted.
///
/// ```
/// #[healthz::live]
/// fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
///
/// let app: axum::Router = healthz::router();
/// ```
#[diagnostic::on_unimplemented(
    message = "no liveness probe is defined",
    label = "this needs a liveness probe",
    note = "add `#[healthz::live]` to a function, for example `#[healthz::live] fn liveness() {{}}`"
)]
pub trait Live<M, S> {
    /// The timeout and caching set in the attribute, such as
    /// `#[healthz::live(timeout = "2s")]`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use healthz::probe::{Live, Probes};
    ///
    /// #[healthz::live(timeout = "2s")]
    /// fn liveness() {}
    ///
    /// fn options<M, P: Live<M, ()>>() -> healthz::Options { P::OPTIONS }
    /// assert_eq!(options::<_, Probes>().timeout(), Duration::from_secs(2));
    /// ```
    const OPTIONS: Options = Options::DEFAULT;

    /// Extracts the probe's arguments from the request and runs it; the
    /// router calls it, applications do not. Outside semver.
    #[doc(hidden)]
    fn check(
        parts: Parts,
        state: S,
    ) -> impl Future<Output = Result<Outcome, HealthError>> + Send + 'static;

    /// The probe's one health state in the process, a static of the
    /// attribute's expansion. Outside semver.
    #[doc(hidden)]
    fn cell() -> &'static ProbeCell;
}

/// The readiness probe: implemented by `#[healthz::ready]`, not by hand.
///
/// It cannot be sealed, as the attribute implements it in the app's crate;
/// its hidden `check` and `cell`, and everything in `healthz::__private`
/// that the expansion names, are outside semver and may change in any
/// release.
///
/// `M` is a marker type private to one attribute expansion and `S` is the
/// router's state type. The implementation exists for every `S` from which
/// the probe's arguments can be extracted.
///
/// ```
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// async fn readiness() -> bool {
///     true
/// }
///
/// let app: axum::Router = healthz::router();
/// ```
#[diagnostic::on_unimplemented(
    message = "no readiness probe is defined",
    label = "this needs a readiness probe",
    note = "add `#[healthz::ready]` to a function, for example `#[healthz::ready] fn readiness() {{}}`"
)]
pub trait Ready<M, S> {
    /// The timeout and caching set in the attribute, such as
    /// `#[healthz::ready(cache = "5s")]`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use healthz::probe::{Probes, Ready};
    ///
    /// #[healthz::ready(cache = "5s")]
    /// fn readiness() {}
    ///
    /// fn options<M, P: Ready<M, ()>>() -> healthz::Options { P::OPTIONS }
    /// assert_eq!(options::<_, Probes>().cache(), Some(Duration::from_secs(5)));
    /// ```
    const OPTIONS: Options = Options::DEFAULT;

    /// Extracts the probe's arguments from the request and runs it; the
    /// router calls it, applications do not. Outside semver.
    #[doc(hidden)]
    fn check(
        parts: Parts,
        state: S,
    ) -> impl Future<Output = Result<Outcome, HealthError>> + Send + 'static;

    /// The probe's one health state in the process, a static of the
    /// attribute's expansion. Outside semver.
    #[doc(hidden)]
    fn cell() -> &'static ProbeCell;
}

/// Where an attribute probe keeps its one health state: its runs, cache and
/// change feed, made when the first reader is built and kept for the life of
/// the process, so that every router, route, gRPC service and health server
/// built from the probe shares them. Each expansion has a `static` of its
/// own; the cell is not generic, so neither is the state it holds, whatever
/// the app's state type.
#[doc(hidden)]
pub struct ProbeCell(OnceLock<Arc<Runner>>);

impl ProbeCell {
    #[doc(hidden)]
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        ProbeCell(OnceLock::new())
    }

    /// The probe's runner, made at the first call with `options`, which
    /// are the attribute's constants and so the same at every call.
    pub(crate) fn runner(&self, kind: Probe, options: Options) -> &Arc<Runner> {
        self.0.get_or_init(|| Arc::new(Runner::new(kind, options)))
    }
}

impl fmt::Debug for ProbeCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeCell")
            .field("made", &self.0.get().is_some())
            .finish()
    }
}
