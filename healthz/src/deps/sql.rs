use std::future::IntoFuture;
use std::time::Duration;

use super::{CheckFuture, Name};
use crate::HealthError;

/// Runs `SELECT 1` on a connection of the app's own sqlx pool: Postgres,
/// MySQL or SQLite, of sqlx 0.9 (feature `sqlx`) or sqlx 0.8 (feature
/// `sqlx_0_8`).
///
/// The check borrows a connection as the app's requests do, so it sees
/// what they see.
///
/// # A busy pool is not a failure
///
/// When every connection of the pool is checked out, the check waits for
/// one up to [`pool_wait`](Sql::pool_wait) (500 ms by default). If none
/// frees and the pool is at its `max_connections`, all in use, the check
/// opens one connection of its own, outside the pool, and runs the query
/// there. If the database answers, the check reports a *warning*,
/// `The PostgreSQL pool is saturated`, and the probe does not fail: the
/// app is busy with a database that works, and unrouting or restarting
/// the pod would only add load. If it does not, the check fails.
///
/// It fails, `Can't reach PostgreSQL`, when a connection cannot be opened
/// (the database is down, refuses the credentials, or does not answer in
/// time) or the query fails. The error, with the database's own message,
/// goes to the log. A database that never answers is stopped by the
/// probe's timeout, as any check.
///
/// ```no_run
/// use axum::extract::State;
/// use healthz::{Checks, deps::Sql};
///
/// #[derive(Clone)]
/// struct App {
///     db: sqlx::PgPool,
///     reports: sqlx::PgPool,
/// }
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// fn readiness(State(app): State<App>) -> Checks {
///     Checks::new()
///         .check("db", Sql::new(&app.db))
///         // Two databases, told apart by their names.
///         .check("reports", Sql::new(&app.reports).display_name("Reports database"))
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlx", feature = "sqlx_0_8"))))]
#[must_use = "a check does nothing until it is awaited or given to `Checks::check`"]
pub struct Sql<P: SqlPool> {
    pool: P,
    name: Name,
    pool_wait: Duration,
}

/// An sqlx pool that [`Sql`] can check: `sqlx::Pool<DB>` of sqlx 0.9
/// (feature `sqlx`) or of sqlx 0.8 (feature `sqlx_0_8`), for any database.
///
/// Sealed: the check needs what only sqlx's own pools tell.
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlx", feature = "sqlx_0_8"))))]
pub trait SqlPool: sealed::Pool {}

impl<P: sealed::Pool> SqlPool for P {}

impl<P: SqlPool> Sql<P> {
    /// A check of `pool`, named after its database (`PostgreSQL`, `MySQL`,
    /// `SQLite`).
    ///
    /// ```no_run
    /// # async fn example(pool: sqlx::PgPool) -> Result<(), healthz::HealthError> {
    /// healthz::deps::Sql::new(&pool).await
    /// # }
    /// ```
    pub fn new(pool: &P) -> Self {
        Sql {
            pool: pool.clone(),
            name: Name::Borrowed(P::DATABASE),
            pool_wait: Duration::from_millis(500),
        }
    }

    /// The name its failures' titles give instead of the database's, such
    /// as `Can't reach Orders database`. (The check's key, which paths and
    /// queries match, is the one given to [`Checks::check`](crate::Checks::check).)
    ///
    /// ```no_run
    /// # fn example(pool: sqlx::PgPool) {
    /// let check = healthz::deps::Sql::new(&pool).display_name("Orders database");
    /// # }
    /// ```
    pub fn display_name(mut self, name: impl Into<Name>) -> Self {
        self.name = name.into();
        self
    }

    /// How long to wait for a connection when all of them are busy before
    /// reporting the pool saturated, or, when it is not full, failing to
    /// connect. Keep it below the probe's timeout, with room for the query.
    ///
    /// ```no_run
    /// # fn example(pool: sqlx::PgPool) {
    /// use std::time::Duration;
    /// let check = healthz::deps::Sql::new(&pool).pool_wait(Duration::from_millis(200));
    /// # }
    /// ```
    pub fn pool_wait(mut self, wait: Duration) -> Self {
        self.pool_wait = wait;
        self
    }
}

impl<P: SqlPool> Clone for Sql<P> {
    fn clone(&self) -> Self {
        Sql {
            pool: self.pool.clone(),
            name: self.name.clone(),
            pool_wait: self.pool_wait,
        }
    }
}

impl<P: SqlPool> std::fmt::Debug for Sql<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("name", &self.name)
            .field("pool_wait", &self.pool_wait)
            .finish_non_exhaustive()
    }
}

impl<P: SqlPool> IntoFuture for Sql<P> {
    type Output = Result<(), HealthError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        self.pool.check(self.name, self.pool_wait)
    }
}

/// What a checked pool does, written once for both sqlx releases, whose
/// pools have the same API under different types.
mod sealed {
    use std::time::Duration;

    use crate::deps::{CheckFuture, Name};

    pub trait Pool: Clone + Send + Sync + 'static {
        /// The database's name, for the titles.
        const DATABASE: &'static str;

        /// `SELECT 1` on a connection of the pool.
        fn check(self, name: Name, pool_wait: Duration) -> CheckFuture;
    }

    macro_rules! pool_of {
        ($sqlx:ident) => {
            impl<DB> Pool for $sqlx::Pool<DB>
            where
                DB: $sqlx::Database,
                for<'c> &'c mut DB::Connection: $sqlx::Executor<'c, Database = DB>,
            {
                const DATABASE: &'static str = <DB as $sqlx::Database>::NAME;

                fn check(self, name: Name, pool_wait: Duration) -> CheckFuture {
                    use $sqlx::{ConnectOptions, Connection, Executor};

                    use crate::HealthError;
                    use crate::deps::{Doing, unreachable};

                    Box::pin(async move {
                        let pool = self;
                        let mut connection =
                            match tokio::time::timeout(pool_wait, pool.acquire()).await {
                                Ok(Ok(connection)) => connection,
                                Ok(Err(error)) => {
                                    return Err(unreachable(
                                        &name,
                                        "acquiring a connection".into(),
                                        error,
                                    ));
                                }
                                Err(_) => {
                                    // Why no connection came: all of them
                                    // are in use by the app, or none could
                                    // be opened in time.
                                    let max = pool.options().get_max_connections();
                                    let in_use =
                                        pool.size().saturating_sub(pool.num_idle() as u32);
                                    if in_use < max {
                                        let why = format!(
                                            "no connection could be opened within {pool_wait:?}"
                                        );
                                        return Err(HealthError::with_source(
                                            format!("Can't reach {name}"),
                                            Doing(why, "timed out".into()),
                                        ));
                                    }
                                    // A full pool also counts connections
                                    // still being opened, so only an answer
                                    // on a connection of the check's own
                                    // tells a busy pool from a database
                                    // that does not answer.
                                    let answered = async {
                                        let mut connection =
                                            pool.connect_options().connect().await?;
                                        connection.execute("SELECT 1").await?;
                                        connection.close().await
                                    };
                                    return Err(match answered.await {
                                        Ok(()) => {
                                            let why = format!(
                                                "all {max} connections of the pool stayed in use for {pool_wait:?}"
                                            );
                                            HealthError::with_source(
                                                format!("The {name} pool is saturated"),
                                                why,
                                            )
                                            .warn_only()
                                        }
                                        Err(error) => unreachable(
                                            &name,
                                            "connecting outside the full pool".into(),
                                            error,
                                        ),
                                    });
                                }
                            };
                        match connection.execute("SELECT 1").await {
                            Ok(_) => Ok(()),
                            Err(error) => {
                                Err(unreachable(&name, "running SELECT 1".into(), error))
                            }
                        }
                    })
                }
            }
        };
    }

    #[cfg(feature = "sqlx")]
    pool_of!(sqlx);
    #[cfg(feature = "sqlx_0_8")]
    pool_of!(sqlx_0_8);
}
