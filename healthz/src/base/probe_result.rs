use crate::HealthError;

/// What a probe function may return.
///
/// | returned | answer |
/// | --- | --- |
/// | `()` | passes |
/// | `bool` | `true` passes, `false` fails with the fixed title |
/// | `Result<(), E>` | `Ok` passes, `Err` fails; `E` is [`HealthError`] or converts into `Box<dyn Error + Send + Sync>` |
///
/// So `E` may be any `std::error::Error + Send + Sync + 'static` type,
/// `anyhow::Error`, `eyre::Report`, `Box<dyn Error + Send + Sync>`, `String`
/// or `&'static str`. Only a [`HealthError`]'s reason is ever answered; the
/// text of every other error, a `String` included, is logged and withheld
/// (see [`HealthError::into_error`] to give a reason through those types).
///
/// Implement it for your own status types to return them from probes:
///
/// ```
/// use healthz::{HealthError, ProbeResult};
///
/// enum Pool { Warm, Cold }
///
/// impl ProbeResult for Pool {
///     fn into_probe_result(self) -> Result<(), HealthError> {
///         match self {
///             Pool::Warm => Ok(()),
///             Pool::Cold => Err(HealthError::new("The pool is still warming up")),
///         }
///     }
/// }
///
/// #[healthz::ready]
/// fn readiness() -> Pool { Pool::Warm }
/// # #[healthz::live] fn liveness() {}
/// assert!(readiness().into_probe_result().is_ok());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a probe result",
    label = "a probe returns `()`, `bool` or `Result<(), E>`",
    note = "in `Result<(), E>`, `E` is `healthz::HealthError` or converts into `Box<dyn std::error::Error + Send + Sync>`: any error type, `anyhow::Error`, `eyre::Report`, `String`"
)]
pub trait ProbeResult {
    /// `Ok(())` when the probe passes.
    ///
    /// # Errors
    ///
    /// The probe's failure, answered 503 with the error's reason, if it has
    /// one, as the title.
    ///
    /// ```
    /// use healthz::ProbeResult;
    /// assert!(true.into_probe_result().is_ok());
    /// assert!(false.into_probe_result().is_err());
    /// ```
    fn into_probe_result(self) -> Result<(), HealthError>;
}

impl ProbeResult for () {
    fn into_probe_result(self) -> Result<(), HealthError> {
        Ok(())
    }
}

impl ProbeResult for bool {
    fn into_probe_result(self) -> Result<(), HealthError> {
        if self {
            Ok(())
        } else {
            Err(HealthError::unexplained())
        }
    }
}

// A `Result` whose error type cannot be converted is reported as not a probe
// result, with the note on `E`, rather than as a missing `From` impl.
#[diagnostic::do_not_recommend]
impl<E: Into<HealthError>> ProbeResult for Result<(), E> {
    fn into_probe_result(self) -> Result<(), HealthError> {
        self.map_err(Into::into)
    }
}
