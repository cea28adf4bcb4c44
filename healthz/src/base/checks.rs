use std::borrow::Cow;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use crate::{HealthError, ProbeResult};

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), HealthError>> + Send>>;

/// A probe made of several named checks, run concurrently.
///
/// Return `Checks` from a probe to report each dependency on its own: the
/// body names every check with its outcome and duration, `?verbose` lists
/// them as text, `/healthz/ready/<name>` answers for one alone and
/// `?exclude=<name>` leaves one out. The probe fails when any check fails,
/// except checks marked [`warn_only`](Checks::warn_only), which are reported
/// but never fail it.
///
/// A check is any future whose output is a [`ProbeResult`], typically a call
/// of a plain `async fn`, or anything that turns into one (`IntoFuture`),
/// such as the ready-made checks of `healthz::deps`. All of them run
/// concurrently at each run of the probe, each within its own timeout and
/// the probe's.
///
/// ```
/// use std::time::Duration;
/// use axum::extract::State;
/// use healthz::{Checks, HealthError};
///
/// #[derive(Clone)]
/// struct App { db: Db, cache: Cache }
/// #[derive(Clone)]
/// struct Db;
/// #[derive(Clone)]
/// struct Cache;
///
/// async fn database(db: Db) -> Result<(), HealthError> {
///     Ok(())
/// }
///
/// async fn cache(cache: Cache) -> bool {
///     true
/// }
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// fn readiness(State(app): State<App>) -> Checks {
///     Checks::new()
///         .check("database", database(app.db))
///         .check("cache", cache(app.cache))
///         .timeout(Duration::from_millis(200))
///         .warn_only()
/// }
///
/// let app: axum::Router = axum::Router::new()
///     .merge(healthz::router())
///     .with_state(App { db: Db, cache: Cache });
/// ```
#[must_use = "a probe reports the checks it returns"]
#[derive(Default)]
pub struct Checks {
    pub(crate) entries: Vec<Check>,
}

pub(crate) struct Check {
    pub(crate) name: Cow<'static, str>,
    pub(crate) future: CheckFuture,
    pub(crate) timeout: Option<Duration>,
    pub(crate) warn_only: bool,
}

impl Checks {
    /// No checks yet: a probe with none passes.
    ///
    /// ```
    /// assert_eq!(healthz::Checks::new().names().count(), 0);
    /// ```
    pub fn new() -> Self {
        Checks::default()
    }

    /// Adds the check `name`, run by awaiting `check`.
    ///
    /// Names are what `?exclude=` and `/healthz/ready/<name>` match, so keep
    /// them short and URL-safe, such as `database`.
    ///
    /// ```
    /// let checks = healthz::Checks::new().check("ping", async { true });
    /// assert_eq!(checks.names().collect::<Vec<_>>(), ["ping"]);
    /// ```
    ///
    /// # Panics
    ///
    /// If a check of that name was added already. Inside a probe the panic
    /// is caught like any other, and the probe answers 503.
    pub fn check<F>(mut self, name: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: ProbeResult,
    {
        let check = check.into_future();
        let name = name.into();
        assert!(
            self.names().all(|taken| taken != name),
            "two checks are named {name:?}: each check needs a name of its own"
        );
        self.entries.push(Check {
            name,
            future: Box::pin(async move { check.await.into_probe_result() }),
            timeout: None,
            warn_only: false,
        });
        self
    }

    /// Bounds the last check added: past `timeout` it fails as timed out,
    /// while the others go on. Without it, or past the probe's own timeout,
    /// the probe's timeout bounds it. As for the probe, a zero timeout is
    /// raised to one millisecond.
    ///
    /// ```
    /// use std::time::Duration;
    /// let checks = healthz::Checks::new()
    ///     .check("downstream", async { true })
    ///     .timeout(Duration::from_millis(300));
    /// ```
    ///
    /// # Panics
    ///
    /// If no check was added yet.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.last("timeout").timeout = Some(crate::base::options::timeout_within_bounds(timeout));
        self
    }

    /// Marks the last check added as a warning only: its failure is
    /// reported (`"warn"`) but does not fail the probe, for a dependency the
    /// app can work without, degraded.
    ///
    /// ```
    /// let checks = healthz::Checks::new()
    ///     .check("recommendations", async { false })
    ///     .warn_only();
    /// ```
    ///
    /// # Panics
    ///
    /// If no check was added yet.
    pub fn warn_only(mut self) -> Self {
        self.last("warn_only").warn_only = true;
        self
    }

    /// The names of the checks, in the order they were added.
    ///
    /// ```
    /// let checks = healthz::Checks::new().check("a", async {}).check("b", async {});
    /// assert_eq!(checks.names().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|check| &*check.name)
    }

    fn last(&mut self, method: &str) -> &mut Check {
        self.entries.last_mut().unwrap_or_else(|| {
            panic!("`Checks::{method}` applies to the last check added: add one first")
        })
    }
}

impl fmt::Debug for Checks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// What a probe function's return value becomes: one result, or checks to
/// run. Implemented for every [`ProbeResult`] and for [`Checks`].
#[doc(hidden)]
pub enum Outcome {
    Done(Result<(), HealthError>),
    Checks(Checks),
    /// A sync probe's call, made on the blocking thread pool by the runner,
    /// which bounds how many threads it may hold.
    Blocking(Box<dyn FnOnce() -> Outcome + Send>),
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done(result) => f.debug_tuple("Done").field(result).finish(),
            Outcome::Checks(checks) => f.debug_tuple("Checks").field(checks).finish(),
            Outcome::Blocking(_) => f.write_str("Blocking"),
        }
    }
}

impl Outcome {
    #[doc(hidden)]
    pub fn blocking(call: impl FnOnce() -> Outcome + Send + 'static) -> Outcome {
        Outcome::Blocking(Box::new(call))
    }
}

#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a probe result",
    label = "a probe returns `()`, `bool`, `Result<(), E>` or `healthz::Checks`",
    note = "in `Result<(), E>`, `E` is `healthz::HealthError` or converts into `Box<dyn std::error::Error + Send + Sync>`: any error type, `anyhow::Error`, `eyre::Report`, `String`"
)]
pub trait IntoOutcome {
    fn into_outcome(self) -> Outcome;
}

impl<T: ProbeResult> IntoOutcome for T {
    fn into_outcome(self) -> Outcome {
        Outcome::Done(self.into_probe_result())
    }
}

impl IntoOutcome for Checks {
    fn into_outcome(self) -> Outcome {
        Outcome::Checks(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "two checks are named \"db\"")]
    fn a_name_is_given_once() {
        let _ = Checks::new().check("db", async {}).check("db", async {});
    }

    #[test]
    #[should_panic(expected = "`Checks::warn_only` applies to the last check added")]
    fn options_need_a_check() {
        let _ = Checks::new().warn_only();
    }
}
