//! Ready-made checks for the dependencies most services have, each behind
//! the cargo feature of its name.
//!
//! | check | feature | what it does | fails with |
//! | --- | --- | --- | --- |
//! | [`Sql`] | `sqlx` (sqlx 0.9), `sqlx_0_8` | `SELECT 1` on the app's own sqlx pool (Postgres, MySQL, SQLite) | `Can't reach PostgreSQL`; `The PostgreSQL pool is saturated` is a warning |
//! | [`Redis`] | `redis` | `PING` on the app's connection manager or multiplexed connection | `Can't reach Redis` |
//! | [`Tcp`] | `tcp` | a TCP connection to `host:port` | `Can't reach TCP service` |
//! | [`Http`] | `http` | a `GET` of another service's health URL; 2xx and 3xx pass | `Can't reach HTTP service`, `HTTP service is unhealthy` |
//!
//! All four have one shape: `new` takes what is checked (a pool or a
//! connection, which it clones, an address or a URL), and
//! `display_name` the name the titles give instead of the default, so that
//! two databases can be told apart. The display name is text for people;
//! the key given to [`Checks::check`](crate::Checks::check) (`"orders"`
//! below) is what paths, queries, logs and metrics name the check by.
//!
//! Each one is a value that turns into a future (`IntoFuture`): give it to
//! [`Checks::check`](crate::Checks::check), or `.await` it in a probe.
//! Titles name the dependency, never a host, user or password; the full
//! error goes to the log. None has a timeout of its own: the probe's, or
//! the check's [`Check::with_timeout`](crate::Check::with_timeout), bounds
//! it, as for any check.
//!
//! ```no_run
//! # #[cfg(all(feature = "sqlx", feature = "tcp"))] {
//! use axum::extract::State;
//! use healthz::{Check, Checks, deps};
//!
//! #[derive(Clone)]
//! struct App {
//!     orders: sqlx::PgPool,
//! }
//!
//! # #[healthz::live] fn liveness() {}
//! #[healthz::ready]
//! fn readiness(State(app): State<App>) -> Checks {
//!     Checks::new()
//!         .check("orders", deps::Sql::new(&app.orders).display_name("Orders database"))
//!         .add_check(Check::new("smtp", deps::Tcp::new("smtp.internal:25").display_name("Mail server")).warn_only())
//! }
//! # }
//! ```

use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::HealthError;

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(feature = "sqlx", feature = "sqlx_0_8"))]
mod sql;
#[cfg(feature = "tcp")]
mod tcp;

#[cfg(feature = "http")]
pub use http::{Http, UnsupportedUrl};
#[cfg(feature = "redis")]
pub use redis::Redis;
#[cfg(any(feature = "sqlx", feature = "sqlx_0_8"))]
pub use sql::{Sql, SqlPool};
#[cfg(feature = "tcp")]
pub use tcp::Tcp;

/// What every check here turns into, as its `IntoFuture`.
pub(crate) type CheckFuture = Pin<Box<dyn Future<Output = Result<(), HealthError>> + Send>>;

/// A display name, as the checks take it.
type Name = Cow<'static, str>;

/// A failure to reach `name`, with what was tried, for the log only.
fn unreachable(
    name: &str,
    doing: String,
    error: impl Into<Box<dyn Error + Send + Sync>>,
) -> HealthError {
    HealthError::with_source(format!("Can't reach {name}"), Doing(doing, error.into()))
}

/// An error with what the check was doing when it happened: the log says
/// which host, the body never does.
#[derive(Debug)]
struct Doing(String, Box<dyn Error + Send + Sync>);

impl fmt::Display for Doing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Doing {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.1)
    }
}
