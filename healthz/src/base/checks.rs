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
/// them as text, `/healthz/ready/<key>` answers for one alone and
/// `?exclude=<key>` leaves one out. The probe fails when any check fails,
/// except checks marked [`warn_only`](Check::warn_only), which are reported
/// but never fail it.
///
/// A check is any future whose output is a [`ProbeResult`], typically a call
/// of a plain `async fn`, or anything that turns into one (`IntoFuture`),
/// such as the ready-made checks of `healthz::deps`. All of them run
/// concurrently at each run of the probe, each within its own timeout and
/// the probe's. [`check`](Checks::check) adds one as it is;
/// [`add`](Checks::add_check) adds a [`Check`] with settings of its own.
///
/// ```
/// use std::time::Duration;
/// use axum::extract::State;
/// use healthz::{Check, Checks, HealthError};
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
///         .add_check(
///             Check::new("cache", cache(app.cache))
///                 .with_timeout(Duration::from_millis(200))
///                 .warn_only(),
///         )
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

/// One named check of [`Checks`], with its own settings.
///
/// Its key is what `?exclude=` and `/healthz/ready/<key>` match, and what
/// the body and the logs call it: keep it short and URL-safe, such as
/// `database`. (A ready-made check's display name, from `healthz::deps`,
/// is another thing: the text its failures give as their title.)
///
/// ```
/// use std::time::Duration;
/// use healthz::{Check, Checks};
///
/// let search = Check::new("search", async { true })
///     .with_timeout(Duration::from_millis(300))
///     .warn_only();
/// assert_eq!(search.key(), "search");
/// assert!(search.is_warn_only());
/// let checks = Checks::new().check("database", async { true }).add_check(search);
/// assert_eq!(checks.keys().collect::<Vec<_>>(), ["database", "search"]);
/// ```
#[must_use = "a check runs only once added to `Checks`"]
pub struct Check {
    pub(crate) name: Cow<'static, str>,
    pub(crate) future: CheckFuture,
    pub(crate) timeout: Option<Duration>,
    pub(crate) warn_only: bool,
}

impl Check {
    /// The check `key`, run by awaiting `check`, with the probe's timeout
    /// and failing the probe when it fails.
    ///
    /// ```
    /// let check = healthz::Check::new("ping", async { true });
    /// assert_eq!(check.timeout(), None);
    /// ```
    pub fn new<F>(key: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: ProbeResult,
    {
        let check = check.into_future();
        Check {
            name: key.into(),
            future: Box::pin(async move { check.await.into_probe_result() }),
            timeout: None,
            warn_only: false,
        }
    }

    /// Bounds this check: past `timeout` it fails as timed out, while the
    /// others go on. Without it, or past the probe's own timeout, the
    /// probe's timeout bounds it; one longer than a year is a year.
    ///
    /// ```
    /// use std::time::Duration;
    /// let check = healthz::Check::new("downstream", async { true })
    ///     .with_timeout(Duration::from_millis(300));
    /// assert_eq!(check.timeout(), Some(Duration::from_millis(300)));
    /// ```
    ///
    /// # Panics
    ///
    /// If `timeout` is zero, which leaves the check no time to run, as the
    /// attributes refuse `timeout = "0s"`.
    #[track_caller]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(crate::base::options::checked_timeout(timeout));
        self
    }

    /// Makes this check a warning only: its failure is reported (`"warn"`)
    /// but does not fail the probe, for a dependency the app can work
    /// without, degraded.
    ///
    /// ```
    /// let check = healthz::Check::new("recommendations", async { false }).warn_only();
    /// assert!(check.is_warn_only());
    /// ```
    pub fn warn_only(mut self) -> Self {
        self.warn_only = true;
        self
    }

    /// The key that `?exclude=` and `/healthz/ready/<key>` match.
    ///
    /// ```
    /// assert_eq!(healthz::Check::new("db", async {}).key(), "db");
    /// ```
    pub fn key(&self) -> &str {
        &self.name
    }

    /// The timeout given with [`with_timeout`](Check::with_timeout), if any.
    ///
    /// ```
    /// assert_eq!(healthz::Check::new("db", async {}).timeout(), None);
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether this check is a [warning](Check::warn_only) only.
    ///
    /// ```
    /// assert!(!healthz::Check::new("db", async {}).is_warn_only());
    /// ```
    pub fn is_warn_only(&self) -> bool {
        self.warn_only
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("key", &self.name)
            .field("timeout", &self.timeout)
            .field("warn_only", &self.warn_only)
            .finish_non_exhaustive()
    }
}

impl Checks {
    /// No checks yet: a probe with none passes.
    ///
    /// ```
    /// assert_eq!(healthz::Checks::new().keys().count(), 0);
    /// ```
    pub fn new() -> Self {
        Checks::default()
    }

    /// Adds the check `key`, run by awaiting `check`, with the probe's
    /// timeout: the same as `.add_check(Check::new(key, check))`.
    ///
    /// ```
    /// let checks = healthz::Checks::new().check("ping", async { true });
    /// assert_eq!(checks.keys().collect::<Vec<_>>(), ["ping"]);
    /// ```
    ///
    /// # Panics
    ///
    /// If a check of that key was added already: see [`add`](Checks::add_check).
    #[track_caller]
    pub fn check<F>(self, key: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: ProbeResult,
    {
        self.add_check(Check::new(key, check))
    }

    /// Adds `check`, with its own settings.
    ///
    /// ```
    /// use healthz::{Check, Checks};
    /// let checks = Checks::new().add_check(Check::new("search", async { true }).warn_only());
    /// assert_eq!(checks.keys().collect::<Vec<_>>(), ["search"]);
    /// ```
    ///
    /// # Panics
    ///
    /// If a check of that key was added already. For keys that come from
    /// configuration, [`try_add_check`](Checks::try_add_check) refuses a duplicate
    /// without a panic, so that the app can refuse it where it reads the
    /// configuration.
    #[track_caller]
    pub fn add_check(mut self, check: Check) -> Self {
        if let Err(duplicate) = self.try_add_check(check) {
            panic!("{duplicate}: give each check a key of its own");
        }
        self
    }

    /// Adds `check`, unless a check of its key was added already.
    ///
    /// ```
    /// use healthz::{Check, Checks};
    ///
    /// let mut checks = Checks::new();
    /// for key in ["db", "cache", "db"] {
    ///     if let Err(duplicate) = checks.try_add_check(Check::new(key, async { true })) {
    ///         assert_eq!(duplicate.key(), "db");
    ///         assert_eq!(duplicate.to_string(), "two checks have the key \"db\"");
    ///     }
    /// }
    /// assert_eq!(checks.keys().collect::<Vec<_>>(), ["db", "cache"]);
    /// ```
    pub fn try_add_check(&mut self, check: Check) -> Result<(), DuplicateCheck> {
        if self.keys().any(|taken| taken == check.name) {
            return Err(DuplicateCheck { key: check.name });
        }
        self.entries.push(check);
        Ok(())
    }

    /// The keys of the checks, in the order they were added.
    ///
    /// ```
    /// let checks = healthz::Checks::new().check("a", async {}).check("b", async {});
    /// assert_eq!(checks.keys().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|check| &*check.name)
    }
}

impl fmt::Debug for Checks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.entries).finish()
    }
}

/// A check refused by [`Checks::try_add_check`]: one of its key was added
/// already.
///
/// ```
/// use healthz::{Check, Checks};
/// let mut checks = Checks::new().check("db", async {});
/// let refused = checks.try_add_check(Check::new("db", async {})).unwrap_err();
/// assert_eq!(refused.key(), "db");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateCheck {
    key: Cow<'static, str>,
}

impl DuplicateCheck {
    /// The key given twice.
    ///
    /// ```
    /// # use healthz::{Check, Checks};
    /// # let mut checks = Checks::new().check("db", async {});
    /// let refused = checks.try_add_check(Check::new("db", async {})).unwrap_err();
    /// assert_eq!(refused.key(), "db");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for DuplicateCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "two checks have the key {:?}", self.key)
    }
}

impl std::error::Error for DuplicateCheck {}

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
    #[should_panic(expected = "two checks have the key \"db\": give each check a key of its own")]
    fn a_key_is_given_once() {
        let _ = Checks::new().check("db", async {}).check("db", async {});
    }

    #[test]
    fn a_duplicate_is_refused_and_the_checks_kept() {
        let mut checks = Checks::new().check("db", async {});
        let refused = checks.try_add_check(Check::new("db", async { false }).warn_only());
        assert_eq!(refused.unwrap_err().key(), "db");
        assert_eq!(checks.keys().collect::<Vec<_>>(), ["db"]);
        assert!(
            !checks.entries[0].warn_only,
            "the first check stays as it was"
        );
    }

    #[test]
    #[should_panic(expected = "a zero `timeout` leaves the check no time to run")]
    fn a_zero_timeout_is_refused() {
        let _ = Check::new("db", async {}).with_timeout(Duration::ZERO);
    }
}
