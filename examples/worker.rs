//! A queue consumer watched by a heartbeat, that you can stall and crash
//! from the shell, and a cache warm-up that holds readiness down.
//!
//! ```text
//! cargo run --example worker
//! curl localhost:8080/healthz/ready        # 503 "Warming the cache", for 3 s
//! curl -X POST localhost:8080/jobs         # queued; the consumer handles it
//! curl 'localhost:8080/healthz/live?verbose'
//! curl -X POST localhost:8080/stall        # the consumer blocks on a job
//! curl localhost:8080/healthz/live         # 503 once 5 s pass without a beat
//! curl -X POST localhost:8080/crash        # the consumer panics
//! curl localhost:8080/healthz/live         # 503 "The consumer heartbeat ended: its task panicked"
//! ```
//!
//! `PORT` sets the port (8080; 0 picks a free one), `HOST` the address
//! (127.0.0.1), `HEARTBEAT_MS` the heartbeat's period (5000), `WARMUP_MS`
//! the warm-up (3000) and `DRAIN_SECONDS` the drain delay after SIGTERM
//! (5), during which readiness fails and the app serves on.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use tokio::sync::mpsc;

#[derive(Debug)]
enum Job {
    Work,
    /// Never finishes, as a job stuck on a lock or a dead connection would.
    Stall,
    Crash,
}

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

/// Handles jobs, beating after each one and on a timer while idle: a loop
/// waiting for work is not stuck.
async fn consume(mut jobs: mpsc::Receiver<Job>, period: Duration) {
    let beat = healthz::lifecycle().heartbeat("consumer", period);
    let mut tick = tokio::time::interval(period / 5);
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(Job::Work) => println!("handled a job"),
                Some(Job::Stall) => std::future::pending::<()>().await,
                Some(Job::Crash) => panic!("the consumer crashed on a job"),
                None => break,
            },
            _ = tick.tick() => {}
        }
        beat.beat();
    }
    beat.finish();
}

async fn enqueue(State(jobs): State<mpsc::Sender<Job>>, job: Job) -> String {
    let sent = format!("queued {job:?}\n");
    match jobs.send(job).await {
        Ok(()) => sent,
        Err(_) => "the consumer is gone\n".to_owned(),
    }
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
    let period = Duration::from_millis(env_or("HEARTBEAT_MS", 5_000));
    let warmup = Duration::from_millis(env_or("WARMUP_MS", 3_000));
    let drain = Duration::from_secs_f64(env_or("DRAIN_SECONDS", 5.0));

    let (send, jobs) = mpsc::channel(64);
    tokio::spawn(consume(jobs, period));
    let warming = healthz::lifecycle().hold_not_ready("Warming the cache");
    tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        drop(warming);
    });

    let app = Router::new()
        .route("/jobs", post(|s| enqueue(s, Job::Work)))
        .route("/stall", post(|s| enqueue(s, Job::Stall)))
        .route("/crash", post(|s| enqueue(s, Job::Crash)))
        .merge(healthz::router())
        .with_state(send);
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    // Installs the signal handlers before anyone learns the address.
    let shutdown = healthz::lifecycle().try_shutdown_signal(drain)?;
    healthz::lifecycle().mark_started();
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
