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
///     Checks::new().check("smtp", Tcp::new("smtp.internal:25").display_name("Mail server"))
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
    /// `Can't reach TCP service`, or the [display name](Tcp::display_name)
    /// given: titles never name the host.
    ///
    /// ```
    /// let check = healthz::deps::Tcp::new("payments.internal:443");
    /// ```
    pub fn new(address: impl Into<String>) -> Self {
        Tcp {
            name: Name::Borrowed("TCP service"),
            address: address.into(),
        }
    }

    /// The name its failures' titles give, such as `Can't reach Mail
    /// server`. (The check's key, which paths and queries match, is the one
    /// given to [`Checks::check`](crate::Checks::check).)
    ///
    /// ```
    /// let check = healthz::deps::Tcp::new("smtp.internal:25").display_name("Mail server");
    /// ```
    pub fn display_name(mut self, name: impl Into<Name>) -> Self {
        self.name = name.into();
        self
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
