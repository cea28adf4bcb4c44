//! An actix-web app whose probes healthz serves on a management port of
//! their own, with the app's state: the way to add the probes to an app on
//! another framework, or to keep them off an axum app's public port.
//!
//! ```text
//! cargo run --example actix --features actix
//! curl localhost:8080/                        # the app: orders dispatched so far
//! curl localhost:9090/healthz/ready           # the probes, on the management port
//! curl -X POST localhost:8080/database/fail   # the app's database goes down
//! curl localhost:9090/healthz/ready           # 503 "The database is down"
//! curl -X POST localhost:8080/database/heal
//! curl -X POST localhost:8080/stall           # the dispatcher stops beating
//! curl localhost:9090/healthz/live            # 503 once 5 s pass without a beat
//! ```
//!
//! On SIGTERM or Ctrl-C readiness answers 503 through the drain while both
//! ports serve on; then actix-web stops gracefully and the process exits.
//!
//! `PORT` sets the app's port (8080), `MANAGEMENT_PORT` the probes' (9090;
//! 0 picks a free one for either), `HOST` the address of both (127.0.0.1),
//! `HEARTBEAT_MS` the dispatcher's heartbeat period (5000) and
//! `DRAIN_SECONDS` the drain (2).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::{App, HttpServer, post, web};
use axum::extract::State;
use healthz::HealthError;

/// What the app shares between its handlers, its dispatcher and its
/// readiness probe: one value, handed to actix-web and to healthz.
#[derive(Clone, Default)]
struct Shop {
    database_up: Arc<AtomicBool>,
    dispatched: Arc<AtomicU64>,
    stalled: Arc<AtomicBool>,
}

#[healthz::live]
fn liveness() {}

/// Reads the same state as the app's handlers do.
#[healthz::ready]
fn readiness(State(shop): State<Shop>) -> Result<(), HealthError> {
    if shop.database_up.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(HealthError::new("The database is down"))
    }
}

/// Dispatches an order every tenth of the heartbeat's period, beating after
/// each, until told to stall.
async fn dispatch(shop: Shop, period: Duration) {
    let beat = healthz::lifecycle().heartbeat("dispatcher", period);
    let mut next = tokio::time::interval(period / 10);
    loop {
        next.tick().await;
        if !shop.stalled.load(Ordering::SeqCst) {
            shop.dispatched.fetch_add(1, Ordering::SeqCst);
            beat.beat();
        }
    }
}

#[actix_web::get("/")]
async fn index(shop: web::Data<Shop>) -> String {
    format!(
        "{} orders dispatched\n",
        shop.dispatched.load(Ordering::SeqCst)
    )
}

#[post("/database/{action}")]
async fn database(shop: web::Data<Shop>, action: web::Path<String>) -> String {
    let up = action.as_str() == "heal";
    shop.database_up.store(up, Ordering::SeqCst);
    format!("the database is {}\n", if up { "up" } else { "down" })
}

#[post("/stall")]
async fn stall(shop: web::Data<Shop>) -> &'static str {
    shop.stalled.store(true, Ordering::SeqCst);
    "the dispatcher stalls\n"
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} cannot be parsed")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let host: String = env_or("HOST", "127.0.0.1".into());
    let port: u16 = env_or("PORT", 8080);
    let management: u16 = env_or("MANAGEMENT_PORT", 9090);
    let period = Duration::from_millis(env_or("HEARTBEAT_MS", 5_000));
    let drain = Duration::from_secs_f64(env_or("DRAIN_SECONDS", 2.0));

    let shop = Shop::default();
    shop.database_up.store(true, Ordering::SeqCst);
    tokio::spawn(dispatch(shop.clone(), period));

    // healthz owns the signals: actix-web's own handling would stop the app
    // at once, with no drain.
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    let mut probes = tokio::spawn(healthz::serve_with_state(
        (host.clone(), management),
        shop.clone(),
    ));

    let data = web::Data::new(shop);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(index)
            .service(database)
            .service(stall)
    })
    .disable_signals()
    .bind((host.as_str(), port))?;
    for addr in server.addrs() {
        println!("listening on http://{addr}");
    }
    let server = server.run();
    let handle = server.handle();
    let app = tokio::spawn(server);
    healthz::lifecycle().mark_started();

    tokio::select! {
        // A port already taken ends the app: it could not be watched.
        served = &mut probes => return served.expect("the health server panicked"),
        () = shutdown => {}
    }
    // Graceful: requests in flight finish, then actix-web's workers stop.
    handle.stop(true).await;
    app.await.expect("the app panicked")?;
    probes.await.expect("the health server panicked")
}
