use std::future::IntoFuture;
use std::time::Duration;

use sqlx::{ConnectOptions, Connection, Database, Executor, Pool};

use super::{CheckFuture, Doing, Name, unreachable};
use crate::HealthError;

/// Runs `SELECT 1` on a connection of the app's own sqlx pool: Postgres,
/// MySQL or SQLite.
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
///         .check("reports", Sql::new(&app.reports).name("Reports database"))
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
#[must_use = "a check does nothing until it is awaited or given to `Checks::check`"]
pub struct Sql<DB: Database> {
    pool: Pool<DB>,
    name: Name,
    pool_wait: Duration,
}

impl<DB: Database> Sql<DB> {
    /// A check of `pool`, named after its database (`PostgreSQL`, `MySQL`,
    /// `SQLite`).
    ///
    /// ```no_run
    /// # async fn example(pool: sqlx::PgPool) -> Result<(), healthz::HealthError> {
    /// healthz::deps::Sql::new(&pool).await
    /// # }
    /// ```
    pub fn new(pool: &Pool<DB>) -> Self {
        Sql {
            pool: pool.clone(),
            name: Name::Borrowed(DB::NAME),
            pool_wait: Duration::from_millis(500),
        }
    }

    /// The name its titles use instead of the database's.
    ///
    /// ```no_run
    /// # fn example(pool: sqlx::PgPool) {
    /// let check = healthz::deps::Sql::new(&pool).name("Orders database");
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<Name>) -> Self {
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

impl<DB: Database> Clone for Sql<DB> {
    fn clone(&self) -> Self {
        Sql {
            pool: self.pool.clone(),
            name: self.name.clone(),
            pool_wait: self.pool_wait,
        }
    }
}

impl<DB: Database> std::fmt::Debug for Sql<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("name", &self.name)
            .field("pool_wait", &self.pool_wait)
            .finish_non_exhaustive()
    }
}

impl<DB> IntoFuture for Sql<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Output = Result<(), HealthError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        Box::pin(async move {
            let Sql {
                pool,
                name,
                pool_wait,
            } = self;
            let mut connection = match tokio::time::timeout(pool_wait, pool.acquire()).await {
                Ok(Ok(connection)) => connection,
                Ok(Err(error)) => {
                    return Err(unreachable(&name, "acquiring a connection".into(), error));
                }
                Err(_) => return Err(no_connection(&pool, &name, pool_wait).await),
            };
            match connection.execute("SELECT 1").await {
                Ok(_) => Ok(()),
                Err(error) => Err(unreachable(&name, "running SELECT 1".into(), error)),
            }
        })
    }
}

/// Why no connection came within `wait`: all of them are in use by the
/// app, or none could be opened in time.
async fn no_connection<DB>(pool: &Pool<DB>, name: &str, wait: Duration) -> HealthError
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let max = pool.options().get_max_connections();
    let in_use = pool.size().saturating_sub(pool.num_idle() as u32);
    if in_use < max {
        let why = format!("no connection could be opened within {wait:?}");
        return HealthError::with_source(
            format!("Can't reach {name}"),
            Doing(why, "timed out".into()),
        );
    }
    // A full pool also counts connections still being opened, so only an
    // answer on a connection of the check's own tells a busy pool from a
    // database that does not answer.
    let answered = async {
        let mut connection = pool.connect_options().connect().await?;
        connection.execute("SELECT 1").await?;
        connection.close().await
    };
    match answered.await {
        Ok(()) => {
            let why = format!("all {max} connections of the pool stayed in use for {wait:?}");
            HealthError::with_source(format!("The {name} pool is saturated"), why).warn_only()
        }
        Err(error) => unreachable(name, "connecting outside the full pool".into(), error),
    }
}
