use std::borrow::Cow;
use std::error::Error;
use std::fmt;

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
/// `HealthError` converts from every `std::error::Error + Send + Sync +
/// 'static` type, so it does not implement `Error` itself (the same trade-off
/// `anyhow::Error` makes).
pub struct HealthError {
    reason: Option<Cow<'static, str>>,
    source: Option<Box<dyn Error + Send + Sync + 'static>>,
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
        }
    }

    /// A failure with nothing to say, answered with the probe's fixed title.
    pub(crate) fn unexplained() -> Self {
        Self {
            reason: None,
            source: None,
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

/// Lets `?` turn any error into a failure whose text stays out of the body.
impl<E> From<E> for HealthError
where
    E: Error + Send + Sync + 'static,
{
    fn from(source: E) -> Self {
        Self {
            reason: None,
            source: Some(Box::new(source)),
        }
    }
}

/// Writes the reason, then each error of the source chain, separated by `: `.
impl fmt::Display for HealthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        if let Some(reason) = &self.reason {
            f.write_str(reason)?;
            separator = ": ";
        }
        let mut next: Option<&(dyn Error + 'static)> = match &self.source {
            Some(source) => Some(source.as_ref()),
            None => None,
        };
        while let Some(error) = next {
            write!(f, "{separator}{error}")?;
            separator = ": ";
            next = error.source();
        }
        if separator.is_empty() {
            f.write_str("check failed")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HealthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthError")
            .field("reason", &self.reason)
            .field("source", &self.source)
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
    fn display_joins_reason_and_source_chain() {
        let cause = Outer(io::Error::other("password=hunter2 rejected"));
        let error = HealthError::with_source("Database down", cause);
        assert_eq!(
            error.to_string(),
            "Database down: query failed: password=hunter2 rejected"
        );
    }

    #[test]
    fn question_mark_keeps_the_text_out_of_the_reason() {
        fn probe() -> Result<(), HealthError> {
            Err(io::Error::other("secret host"))?
        }
        let error = probe().unwrap_err();
        assert_eq!(error.reason(), None);
        assert_eq!(error.to_string(), "secret host");
    }

    #[test]
    fn unexplained_failure_still_displays() {
        assert_eq!(HealthError::unexplained().to_string(), "check failed");
    }
}
