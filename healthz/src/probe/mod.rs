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

use std::future::Future;

use axum::http::request::Parts;

use crate::HealthError;
use crate::base::checks::Outcome;
use crate::base::options::Options;
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
    /// router calls it, applications do not.
    #[doc(hidden)]
    fn check(
        parts: Parts,
        state: S,
    ) -> impl Future<Output = Result<Outcome, HealthError>> + Send + 'static;
}

/// The readiness probe: implemented by `#[healthz::ready]`, not by hand.
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
    /// router calls it, applications do not.
    #[doc(hidden)]
    fn check(
        parts: Parts,
        state: S,
    ) -> impl Future<Output = Result<Outcome, HealthError>> + Send + 'static;
}
