use std::future::IntoFuture;

use redis::aio::ConnectionLike;

use super::{CheckFuture, Name, unreachable};
use crate::HealthError;

/// Sends `PING` on the app's own redis connection: a
/// `redis::aio::ConnectionManager`, a `MultiplexedConnection`, or any other
/// cloneable async connection. Passes on `PONG`.
///
/// ```no_run
/// use axum::extract::State;
/// use healthz::{Checks, deps::Redis};
/// use redis::aio::ConnectionManager;
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// fn readiness(State(cache): State<ConnectionManager>) -> Checks {
///     Checks::new().check("cache", Redis::new(&cache))
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
#[derive(Clone)]
#[must_use = "a check does nothing until it is awaited or given to `Checks::check`"]
pub struct Redis<C> {
    connection: C,
    name: Name,
}

impl<C: ConnectionLike + Clone + Send + 'static> Redis<C> {
    /// A check on a clone of `connection`, named `Redis`.
    ///
    /// ```no_run
    /// # async fn example(cache: redis::aio::MultiplexedConnection) -> Result<(), healthz::HealthError> {
    /// healthz::deps::Redis::new(&cache).await
    /// # }
    /// ```
    pub fn new(connection: &C) -> Self {
        Redis {
            connection: connection.clone(),
            name: Name::Borrowed("Redis"),
        }
    }

    /// The name its failures' titles give instead of `Redis`, such as
    /// `Can't reach Session store`. (The check's key, which paths and
    /// queries match, is the one given to [`Checks::check`](crate::Checks::check).)
    ///
    /// ```no_run
    /// # fn example(sessions: redis::aio::MultiplexedConnection) {
    /// let check = healthz::deps::Redis::new(&sessions).display_name("Session store");
    /// # }
    /// ```
    pub fn display_name(mut self, name: impl Into<Name>) -> Self {
        self.name = name.into();
        self
    }
}

impl<C> std::fmt::Debug for Redis<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<C: ConnectionLike + Clone + Send + 'static> IntoFuture for Redis<C> {
    type Output = Result<(), HealthError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        Box::pin(async move {
            let Redis {
                mut connection,
                name,
            } = self;
            match redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
            {
                Ok(pong) if pong == "PONG" => Ok(()),
                Ok(other) => Err(unreachable(
                    &name,
                    "sending PING".into(),
                    format!("the answer was {other:?}, not PONG"),
                )),
                Err(error) => Err(unreachable(&name, "sending PING".into(), error)),
            }
        })
    }
}
