//! An app that makes its shutdown signal wrong, for
//! tests/lifecycle/unawaited_shutdown.rs: `unawaited` keeps the future and
//! never awaits it, `dropped` drops it, `beside` drops one and awaits
//! another, as an app with two servers may. It serves the probes on `PORT`
//! of 127.0.0.1 until it is ended, with a drain delay of `DRAIN_SECONDS`.

use std::time::Duration;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_ansi(false).init();
    let mode = std::env::args()
        .nth(1)
        .expect("a mode: unawaited, dropped or beside");
    let port: u16 = std::env::var("PORT").map_or(0, |port| port.parse().expect("a port"));
    let drain = Duration::from_secs_f64(
        std::env::var("DRAIN_SECONDS").map_or(1.0, |seconds| seconds.parse().expect("seconds")),
    );

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let app: axum::Router = healthz::router();
    let serve = axum::serve(listener, app);
    let mut kept = None;
    let awaited = match mode.as_str() {
        "unawaited" => {
            kept = Some(healthz::lifecycle().shutdown_signal(drain));
            None
        }
        "dropped" => {
            drop(healthz::lifecycle().shutdown_signal(drain));
            None
        }
        "beside" => {
            drop(healthz::lifecycle().shutdown_signal(drain));
            Some(healthz::lifecycle().shutdown_signal(drain))
        }
        other => panic!("no mode {other:?}"),
    };
    println!("listening on http://{addr}");
    match awaited {
        Some(shutdown) => serve.with_graceful_shutdown(shutdown).await?,
        None => serve.await?,
    }
    println!("stopped");
    drop(kept);
    Ok(())
}
