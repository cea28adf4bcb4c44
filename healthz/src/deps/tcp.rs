use std::future::IntoFuture;

use tokio::net::TcpStream;

use super::{CheckFuture, Name, unreachable};

/// Passes when a TCP connection to `host:port` opens; it is closed at once.
///
/// For a dependency with no client in the app, or none worth a query: a
/// mail relay, a license server, a database behind a proxy.
///
/// ```no_run
/// use healthz::{Checks, deps::Tcp};
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// fn readiness() -> Checks {
///     Checks::new().check("smtp", Tcp::new("Mail server", "smtp.internal:25"))
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
#[derive(Clone, Debug)]
#[must_use = "a check does nothing until it is awaited or given to `Checks::check`"]
pub struct Tcp {
    name: Name,
    address: String,
}

impl Tcp {
    /// A connection to `address` (`host:port`), failing with
    /// `Can't reach <name>`.
    ///
    /// ```
    /// let check = healthz::deps::Tcp::new("Payments", "payments.internal:443");
    /// ```
    pub fn new(name: impl Into<Name>, address: impl Into<String>) -> Self {
        Tcp {
            name: name.into(),
            address: address.into(),
        }
    }
}

impl IntoFuture for Tcp {
    type Output = Result<(), crate::HealthError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        Box::pin(async move {
            match TcpStream::connect(&*self.address).await {
                Ok(_) => Ok(()),
                Err(error) => Err(unreachable(
                    &self.name,
                    format!("connecting to {}", self.address),
                    error,
                )),
            }
        })
    }
}
