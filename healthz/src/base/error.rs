use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// Why a probe failed.
///
/// A `HealthError` carries up to two things, and they go to different readers:
///
/// - a **reason**, written for the operator, answered as the body's `title`
///   (`HealthError::new`);
/// - a **source** error, which may name hosts, users or credentials, so it is
///   logged in full and never sent (`?` on any error type, or
///   `HealthError::with_source`).
///
/// A failure without a reason is answered with a fixed title such as
/// `"The ready check failed"`.
///
/// ```
/// use healthz::HealthError;
///
/// # fn connect() -> Result<(), std::io::Error> { Ok(()) }
/// #[healthz::ready]
/// fn readiness() -> Result<(), HealthError> {
///     // The body says "Can't connect to the database"; the log says why.
///     connect().map_err(|e| HealthError::with_source("Can't connect to the database", e))?;
///     // The body says "The ready check failed"; the log has the error.
///     connect()?;
///     Ok(())
/// }
/// # #[healthz::live] fn liveness() {}
/// assert!(readiness().is_ok());
/// ```
///
/// `HealthError` converts from every type that converts into
/// `Box<dyn Error + Send + Sync>`: every `std::error::Error + Send + Sync +
/// 'static` type, `anyhow::Error`, `eyre::Report`, boxed errors, `String`
/// and `&str`. That blanket conversion is why it cannot implement `Error`
/// itself, nor convert into a boxed error: either would make it one of the
/// types it converts from. anyhow, whose `From` takes `std::error::Error`
/// types only, can do both; here, [`into_error`](HealthError::into_error)
/// gives an error that keeps the reason through other error types, so a
/// function returning `anyhow::Result` or `Box<dyn Error>` takes a
/// `HealthError` with `.map_err(HealthError::into_error)?`:
///
/// ```
/// use std::error::Error;
/// use healthz::HealthError;
///
/// fn disk() -> Result<(), HealthError> {
///     Err(HealthError::new("The disk is full"))
/// }
///
/// fn with_anyhow() -> anyhow::Result<()> {
///     disk().map_err(HealthError::into_error)?;
///     Ok(())
/// }
///
/// fn with_box() -> Result<(), Box<dyn Error + Send + Sync>> {
///     disk().map_err(HealthError::into_error)?;
///     Ok(())
/// }
///
/// assert_eq!(with_anyhow().unwrap_err().to_string(), "The disk is full");
/// // Back in a probe, the reason is answered again.
/// let error = HealthError::from(with_box().unwrap_err());
/// assert_eq!(error.reason(), Some("The disk is full"));
/// ```
///
/// Its `Display` writes the reason only, so that `error.to_string()` is
/// safe to answer; `{:#}` writes the source chain too, for logs.
pub struct HealthError {
    reason: Option<Cow<'static, str>>,
    source: Option<Box<dyn Error + Send + Sync + 'static>>,
    warn_only: bool,
}

impl HealthError {
    /// A failure whose `reason` is shown to whoever calls the endpoint.
    ///
    /// ```
    /// let error = healthz::HealthError::new("Can't connect to the database");
    /// assert_eq!(error.reason(), Some("Can't connect to the database"));
    /// ```
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: Some(reason.into()),
            source: None,
            warn_only: false,
        }
    }

    /// A failure with a public `reason` and a `source` that is only logged.
    ///
    /// ```
    /// use std::io;
    /// let cause = io::Error::new(io::ErrorKind::ConnectionRefused, "10.0.0.7:5432 refused");
    /// let error = healthz::HealthError::with_source("Can't connect to the database", cause);
    /// assert_eq!(error.reason(), Some("Can't connect to the database"));
    /// assert_eq!(error.source().unwrap().to_string(), "10.0.0.7:5432 refused");
    /// ```
    pub fn with_source(
        reason: impl Into<Cow<'static, str>>,
        source: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            reason: Some(reason.into()),
            source: Some(source.into()),
            warn_only: false,
        }
    }

    /// Makes this failure a warning: reported as `warn` (`[!]` in
    /// `?verbose`) and logged, but it does not fail the probe, for a
    /// dependency that is degraded rather than down.
    ///
    /// Inside [`Checks`](crate::Checks) the check is reported as `warn`,
    /// as with [`Check::warn_only`](crate::Check::warn_only); a probe
    /// without checks answers `200`.
    ///
    /// ```
    /// use healthz::HealthError;
    ///
    /// async fn queue(depth: usize) -> Result<(), HealthError> {
    ///     if depth > 10_000 {
    ///         return Err(HealthError::new("The queue is backing up").warn_only());
    ///     }
    ///     Ok(())
    /// }
    /// # #[healthz::live] fn liveness() {}
    /// #[healthz::ready]
    /// fn readiness() -> healthz::Checks {
    ///     healthz::Checks::new().check("queue", queue(20_000))
    /// }
    /// assert!(HealthError::new("Slow").warn_only().is_warn_only());
    /// ```
    pub fn warn_only(mut self) -> Self {
        self.warn_only = true;
        self
    }

    /// Whether this failure is a [warning](HealthError::warn_only) only.
    ///
    /// ```
    /// assert!(!healthz::HealthError::new("Disk full").is_warn_only());
    /// ```
    pub fn is_warn_only(&self) -> bool {
        self.warn_only
    }

    /// This failure as a `std::error::Error`, for code whose error type is
    /// `anyhow::Error`, `eyre::Report` or `Box<dyn Error + Send + Sync>`.
    ///
    /// A probe returning one of those answers with this failure's reason,
    /// and logs its source, as if it had returned the `HealthError`
    /// itself, however many contexts were added on the way.
    ///
    /// ```
    /// use healthz::{HealthError, ProbeResult};
    ///
    /// fn replication(lag_seconds: u64) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ///     if lag_seconds > 30 {
    ///         Err(HealthError::new("The replica is behind").into_error())?;
    ///     }
    ///     Ok(())
    /// }
    ///
    /// let error = replication(60).into_probe_result().unwrap_err();
    /// assert_eq!(error.reason(), Some("The replica is behind"));
    /// ```
    pub fn into_error(self) -> CarriedError {
        CarriedError(Carried(Mutex::new(Some(self))))
    }

    /// A failure with nothing to say, answered with the probe's fixed title.
    pub(crate) fn unexplained() -> Self {
        Self {
            reason: None,
            source: None,
            warn_only: false,
        }
    }

    /// The reason shown in the response body, if one was given.
    ///
    /// ```
    /// # #[derive(Debug)] struct Timeout;
    /// # impl std::fmt::Display for Timeout {
    /// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("timeout") }
    /// # }
    /// # impl std::error::Error for Timeout {}
    /// let error = healthz::HealthError::from(Timeout);
    /// assert_eq!(error.reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The error behind this failure, if any; it is logged, never answered.
    ///
    /// ```
    /// let error = healthz::HealthError::new("Disk full");
    /// assert!(error.source().is_none());
    /// ```
    pub fn source(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

/// Lets `?` turn any error into a failure whose text stays out of the body,
/// unless it carries a `HealthError` made with
/// [`into_error`](HealthError::into_error), which is given back whole.
impl<E> From<E> for HealthError
where
    E: Into<Box<dyn Error + Send + Sync + 'static>>,
{
    fn from(source: E) -> Self {
        let source = source.into();
        // anyhow and eyre box an error inside a wrapper of their own, which
        // a downcast does not see through, but they keep its source chain.
        // So the carried error sits one step down that chain.
        let mut next: Option<&(dyn Error + 'static)> = Some(&*source);
        while let Some(error) = next {
            if let Some(carried) = error.downcast_ref::<Carried>() {
                if let Some(error) = carried.take() {
                    return error;
                }
            }
            next = error.source();
        }
        Self {
            reason: None,
            source: Some(source),
            warn_only: false,
        }
    }
}

/// A [`HealthError`] as a `std::error::Error`, from
/// [`HealthError::into_error`], for code whose error type is `anyhow::Error`,
/// `eyre::Report` or `Box<dyn Error + Send + Sync>`.
///
/// It shows the failure's reason (`check failed` without one), and its
/// source is the failure's source chain. Turned back into a `HealthError`
/// with `?` or `From`, however deep in another error's chain, it gives the
/// failure back whole.
///
/// ```
/// use std::error::Error;
/// use healthz::{CarriedError, HealthError};
///
/// let cause = std::io::Error::other("10.0.0.7 refused");
/// let error: CarriedError = HealthError::with_source("Database down", cause).into_error();
/// assert_eq!(error.to_string(), "Database down");
/// assert_eq!(error.source().unwrap().to_string(), "10.0.0.7 refused");
/// ```
#[derive(Debug)]
pub struct CarriedError(Carried);

/// A `HealthError` in the source chain of another error, where a
/// conversion back finds it by reference, and so takes it out of a lock.
struct Carried(Mutex<Option<HealthError>>);

impl Carried {
    fn take(&self) -> Option<HealthError> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn with<T>(&self, read: impl FnOnce(Option<&HealthError>) -> T) -> T {
        read(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref(),
        )
    }
}

impl fmt::Display for CarriedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .with(|error| match error.and_then(HealthError::reason) {
                Some(reason) => f.write_str(reason),
                None => f.write_str("check failed"),
            })
    }
}

impl Error for CarriedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// The carried error's source, as text: the chain cannot be lent out of
/// the lock.
impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|error| match error {
            Some(HealthError {
                source: Some(source),
                ..
            }) => write_chain(f, "", source.as_ref()),
            _ => f.write_str("no further cause"),
        })
    }
}

impl fmt::Debug for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|error| fmt::Debug::fmt(&error, f))
    }
}

impl Error for Carried {}

/// Writes the reason alone, which is safe to show anyone; with `{:#}`, the
/// reason and then each error of the source chain, separated by `: `, as
/// anyhow does, for logs.
///
/// ```
/// use std::io;
/// let cause = io::Error::other("10.0.0.7:5432 refused");
/// let error = healthz::HealthError::with_source("Can't connect to the database", cause);
/// assert_eq!(format!("{error}"), "Can't connect to the database");
/// assert_eq!(format!("{error:#}"), "Can't connect to the database: 10.0.0.7:5432 refused");
///
/// // Without a reason, `{}` withholds the source's text too.
/// let error = healthz::HealthError::from(io::Error::other("10.0.0.7:5432 refused"));
/// assert_eq!(format!("{error}"), "check failed");
/// assert_eq!(format!("{error:#}"), "10.0.0.7:5432 refused");
/// ```
impl fmt::Display for HealthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (f.alternate(), &self.reason, &self.source) {
            (true, Some(reason), Some(source)) => {
                f.write_str(reason)?;
                write_chain(f, ": ", source.as_ref())
            }
            (true, None, Some(source)) => write_chain(f, "", source.as_ref()),
            (_, Some(reason), _) => f.write_str(reason),
            (_, None, _) => f.write_str("check failed"),
        }
    }
}

/// What an error that cannot write itself is written as.
const UNWRITABLE: &str = "<error while formatting>";

/// Writes `error` after `separator`, then each error of its source chain
/// after `: `, but for a source whose text its parent's already holds, as
/// many errors repeat their source's message in their own.
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    separator: &str,
    error: &(dyn Error + 'static),
) -> fmt::Result {
    let mut parent = text_of(error);
    write!(f, "{separator}{parent}")?;
    let mut next = error.source();
    while let Some(error) = next {
        let text = text_of(error);
        if !parent.contains(&text) {
            write!(f, ": {text}")?;
        }
        parent = text;
        next = error.source();
    }
    Ok(())
}

/// An error's own text, from its `Display`; one that fails to write itself
/// still gives a text.
fn text_of(error: &dyn Error) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    match write!(text, "{error}") {
        Ok(()) => text,
        Err(fmt::Error) => UNWRITABLE.to_owned(),
    }
}

impl fmt::Debug for HealthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthError")
            .field("reason", &self.reason)
            .field("source", &self.source)
            .field("warn_only", &self.warn_only)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug)]
    struct Outer(io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("query failed")
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn display_shows_the_reason_and_the_alternate_form_the_chain() {
        let cause = Outer(io::Error::other("password=hunter2 rejected"));
        let error = HealthError::with_source("Database down", cause);
        assert_eq!(error.to_string(), "Database down");
        assert_eq!(
            format!("{error:#}"),
            "Database down: query failed: password=hunter2 rejected"
        );
    }

    /// An error that repeats its source's message in its own, as many do.
    #[derive(Debug)]
    struct Repeating(io::Error);

    impl fmt::Display for Repeating {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "error returned from database: {}", self.0)
        }
    }

    impl Error for Repeating {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_source_whose_text_its_parent_holds_is_written_once() {
        let cause = Repeating(io::Error::other("password authentication failed"));
        let error = HealthError::with_source("Database down", cause);
        assert_eq!(
            format!("{error:#}"),
            "Database down: error returned from database: password authentication failed"
        );
        let cause = Outer(io::Error::other("query failed"));
        assert_eq!(format!("{:#}", HealthError::from(cause)), "query failed");
    }

    /// An error whose `Display` fails.
    #[derive(Debug)]
    struct Unwritable;

    impl fmt::Display for Unwritable {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            Err(fmt::Error)
        }
    }

    impl Error for Unwritable {}

    #[test]
    fn a_source_that_cannot_write_itself_is_named_so() {
        let error = HealthError::with_source("Database down", Unwritable);
        assert_eq!(
            format!("{error:#}"),
            "Database down: <error while formatting>"
        );
    }

    #[test]
    fn question_mark_keeps_the_text_out_of_the_reason() {
        fn probe() -> Result<(), HealthError> {
            Err(io::Error::other("secret host"))?
        }
        let error = probe().unwrap_err();
        assert_eq!(error.reason(), None);
        assert_eq!(error.to_string(), "check failed");
        assert_eq!(format!("{error:#}"), "secret host");
    }

    #[test]
    fn strings_and_boxed_errors_are_withheld() {
        let error = HealthError::from("db.internal refused");
        assert_eq!(
            (error.reason(), format!("{error:#}").as_str()),
            (None, "db.internal refused")
        );
        let error = HealthError::from(String::from("secret"));
        assert_eq!(error.reason(), None);
        let boxed: Box<dyn Error + Send + Sync> = Box::new(io::Error::other("secret host"));
        let error = HealthError::from(boxed);
        assert_eq!(
            (error.reason(), format!("{error:#}").as_str()),
            (None, "secret host")
        );
    }

    /// An error type that wraps another without being downcastable to it,
    /// the way anyhow's and eyre's boxes do.
    #[derive(Debug)]
    struct Opaque(Box<dyn Error + Send + Sync>);

    impl fmt::Display for Opaque {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}", self.0)
        }
    }

    impl Error for Opaque {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.0.source()
        }
    }

    #[test]
    fn a_carried_health_error_comes_back_whole() {
        let cause = io::Error::other("10.0.0.7 refused");
        let carried = HealthError::with_source("Database down", cause)
            .warn_only()
            .into_error();
        assert_eq!(carried.to_string(), "Database down");
        assert_eq!(carried.source().unwrap().to_string(), "10.0.0.7 refused");

        let boxed: Box<dyn Error + Send + Sync> = Box::new(Opaque(Box::new(carried)));
        let error = HealthError::from(boxed);
        assert_eq!(error.reason(), Some("Database down"));
        assert!(error.is_warn_only());
        assert_eq!(format!("{error:#}"), "Database down: 10.0.0.7 refused");
    }

    #[test]
    fn unexplained_failure_still_displays() {
        assert_eq!(HealthError::unexplained().to_string(), "check failed");
        assert_eq!(format!("{:#}", HealthError::unexplained()), "check failed");
    }
}
