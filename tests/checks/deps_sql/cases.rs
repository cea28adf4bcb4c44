// The cases of `deps::Sql`, included once for each sqlx release it takes,
// where `sqlx` names that release.

use std::future::IntoFuture;
use std::time::Duration;

use healthz::deps::Sql;
use healthz::{Checks, Healthz, Lifecycle, Options};
use support::Captured;
use support::servers::{POSTGRES_PASSWORD, Postgres};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// A lazy pool, as apps build them: nothing is opened until it is used.
fn pool(url: &str, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url)
        .expect("a valid URL")
}

/// Serves a readiness probe made of the `db` check on `pool`, and returns
/// the address.
async fn serve(pool: PgPool, timeout: Duration) -> std::net::SocketAddr {
    let app = Healthz::new()
        .live(|| ())
        .ready_with(Options::DEFAULT.with_timeout(timeout), move || {
            Checks::new().check("db", Sql::new(&pool))
        })
        .lifecycle(Lifecycle::new())
        .router();
    support::serve(app).await
}

#[tokio::test]
async fn passes_then_fails_when_the_database_stops() {
    let Some(mut postgres) = Postgres::start(concat!(module_path!(), "::passes_then_fails_when_the_database_stops")) else {
        return;
    };
    let pool = pool(&postgres.url("postgres", POSTGRES_PASSWORD), 2);
    Sql::new(&pool).await.expect("the database answers");

    postgres.stop();
    let error = Sql::new(&pool).await.unwrap_err();
    assert_eq!(error.reason(), Some("Can't reach PostgreSQL"));
    assert!(!error.is_warn_only());
}

#[tokio::test(flavor = "current_thread")]
async fn wrong_credentials_are_withheld_from_the_body_and_logged() {
    let Some(postgres) = Postgres::start(concat!(module_path!(), "::wrong_credentials_are_withheld_from_the_body_and_logged"))
    else {
        return;
    };
    let (log, _guard) = Captured::install();
    let pool = pool(&postgres.url("postgres", "not-the-password"), 2);
    let addr = serve(pool, Duration::from_secs(2)).await;

    let reply = support::get(addr, "/healthz/ready?verbose").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.text(),
        "[-]db failed: Can't reach PostgreSQL\nready check failed\n"
    );
    let text = log.text();
    assert!(
        text.contains("password authentication failed for user \"postgres\""),
        "the log has the database's reason:\n{text}"
    );
    for line in text.lines() {
        assert!(
            line.matches("password authentication failed").count() <= 1,
            "a source its parent already says is not repeated: {line}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_saturated_pool_is_a_warning_unless_the_database_is_down() {
    let Some(mut postgres) =
        Postgres::start(concat!(module_path!(), "::a_saturated_pool_is_a_warning_unless_the_database_is_down"))
    else {
        return;
    };
    let pool = pool(&postgres.url("postgres", POSTGRES_PASSWORD), 2);
    // The app holds every connection of the pool.
    let held = [pool.acquire().await.unwrap(), pool.acquire().await.unwrap()];
    let addr = serve(pool.clone(), Duration::from_secs(2)).await;

    let reply = support::get(addr, "/healthz/ready?verbose").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.text(),
        "[!]db warning: The PostgreSQL pool is saturated\nready check passed\n"
    );

    // Full, and the database does not answer a connection of its own: a
    // failure, not a busy pool.
    postgres.stop();
    let error = Sql::new(&pool).await.unwrap_err();
    assert_eq!(error.reason(), Some("Can't reach PostgreSQL"));
    assert!(!error.is_warn_only());
    drop(held);
}

#[tokio::test]
async fn a_connection_freed_in_time_passes() {
    let Some(postgres) = Postgres::start(concat!(module_path!(), "::a_connection_freed_in_time_passes")) else {
        return;
    };
    let pool = pool(&postgres.url("postgres", POSTGRES_PASSWORD), 1);
    let held = pool.acquire().await.unwrap();
    let check = tokio::spawn(
        Sql::new(&pool)
            .pool_wait(Duration::from_secs(2))
            .into_future(),
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(held);
    check.await.unwrap().expect("the freed connection answers");
}

#[tokio::test]
async fn a_server_that_never_answers_is_stopped_by_the_timeout() {
    // Accepts connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let pool = pool(
        &format!("postgres://postgres:x@127.0.0.1:{port}/postgres"),
        2,
    );
    let addr = serve(pool, Duration::from_millis(300)).await;

    let started = std::time::Instant::now();
    let reply = support::get(addr, "/healthz/ready?verbose").await;
    assert_eq!(
        reply.text(),
        "[-]db failed: The db check timed out after 300ms\nready check failed\n"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}
