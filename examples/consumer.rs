//! A queue consumer with no HTTP server of its own: healthz serves its
//! probes on a port of their own. A heartbeat watches the consumer's loop,
//! a readiness hold covers its connection to the queue, and SIGTERM or
//! Ctrl-C drains it.
//!
//! ```text
//! cargo run --example consumer
//! curl localhost:8081/healthz/ready          # 503 "Connecting to the queue", for 2 s
//! curl 'localhost:8081/healthz/live?verbose'
//! ```
//!
//! Then type into the consumer, as an operator would break it:
//!
//! ```text
//! stall                                      # its next job never ends
//! curl localhost:8081/healthz/live           # 503 once 5 s pass without a beat
//! ```
//!
//! or, after a restart, `crash`: its next job panics, and liveness answers
//! 503 "The consumer heartbeat ended: its task panicked". On SIGTERM the
//! consumer takes no new job and readiness answers 503 through the drain;
//! then the probes stop and the process exits.
//!
//! `PORT` sets the probes' port (8081; 0 picks a free one), `HOST` their
//! address (127.0.0.1), `HEARTBEAT_MS` the heartbeat's period (5000),
//! `JOB_MS` the time between two jobs (1000), `CONNECT_MS` the time it
//! takes to connect (2000) and `DRAIN_SECONDS` the drain (2).

use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() {}

/// What the operator can make the next job do.
#[derive(Debug)]
enum Fault {
    /// Never finishes, as a job stuck on a lock or a dead connection would.
    Stall,
    Crash,
}

/// Reads faults from stdin, a line each, until it closes.
async fn operator(faults: mpsc::UnboundedSender<Fault>) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let fault = match line.trim() {
            "stall" => Fault::Stall,
            "crash" => Fault::Crash,
            other => {
                println!("unknown command {other:?}: type stall or crash");
                continue;
            }
        };
        println!("the next job will {fault:?}");
        if faults.send(fault).is_err() {
            return;
        }
    }
}

/// Takes a job every `every` until the shutdown begins, beating after each
/// one, so that a loop stuck on a job fails liveness.
async fn consume(mut faults: mpsc::UnboundedReceiver<Fault>, period: Duration, every: Duration) {
    let beat = healthz::lifecycle().heartbeat("consumer", period);
    let mut next = tokio::time::interval(every);
    let mut handled = 0_u64;
    while !healthz::lifecycle().is_shutting_down() {
        next.tick().await;
        match faults.try_recv() {
            Ok(Fault::Stall) => std::future::pending::<()>().await,
            Ok(Fault::Crash) => panic!("the consumer crashed on a job"),
            Err(_) => handled += 1,
        }
        beat.beat();
    }
    println!("the consumer stopped after {handled} jobs");
    // Ended on purpose: the heartbeat no longer counts, rather than failing.
    beat.finish();
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
    let port: u16 = env_or("PORT", 8081);
    let period = Duration::from_millis(env_or("HEARTBEAT_MS", 5_000));
    let every = Duration::from_millis(env_or("JOB_MS", 1_000));
    let connect = Duration::from_millis(env_or("CONNECT_MS", 2_000));
    let drain = Duration::from_secs_f64(env_or("DRAIN_SECONDS", 2.0));

    // Installed first, so a SIGTERM during the connection is not lost.
    let shutdown = healthz::lifecycle().shutdown_signal(drain);
    let mut probes = tokio::spawn(healthz::serve((host, port)));
    healthz::lifecycle().mark_started();

    let connecting = healthz::lifecycle().hold_not_ready("Connecting to the queue");
    // Stands in for connecting to the broker.
    tokio::time::sleep(connect).await;
    drop(connecting);

    let (send, faults) = mpsc::unbounded_channel();
    tokio::spawn(operator(send));
    tokio::spawn(consume(faults, period, every));

    tokio::select! {
        // A port already taken ends the worker: it could not be watched.
        served = &mut probes => return served.expect("the health server panicked"),
        () = shutdown => {}
    }
    // The drain is over: the health server stops on its own.
    probes.await.expect("the health server panicked")
}
