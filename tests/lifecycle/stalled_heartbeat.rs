//! A loop that stalls right after a beat, with no request in between, is
//! found late once its period has passed since that beat, whoever reads:
//! the first HTTP read then answers 503 naming it, and a gRPC `Watch` on
//! `liveness`, asked by a client that is not ours, hears `NOT_SERVING`
//! without any other request, then `SERVING` once it beats again.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use healthz::grpc::Grpc;
use healthz::{Healthz, Heartbeat, Lifecycle};
use support::{get, serve};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

const PERIOD: Duration = Duration::from_millis(600);

/// HTTP probes and gRPC health on one port of a real server, gated by
/// `lifecycle`. gRPC's own rerun is left at its default, far above the
/// period, so that only the clock can tell a follower of the stall.
async fn server(lifecycle: &Lifecycle) -> SocketAddr {
    let health = Healthz::new()
        .live(|| ())
        .ready(|| ())
        .lifecycle(lifecycle.clone());
    let app: Router = Router::new()
        .merge(health.router())
        .merge(health.grpc_router(Grpc::new()));
    serve(app).await
}

/// Beats every 100 ms for half a second, then stalls right after a beat:
/// gives the heartbeat and the time of that last beat.
async fn stall(beat: Heartbeat) -> (Heartbeat, Instant) {
    for _ in 0..5 {
        beat.beat();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    beat.beat();
    (beat, Instant::now())
}

#[tokio::test]
async fn the_first_read_after_the_period_answers_503_naming_the_stalled_loop() {
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let beat = lifecycle.heartbeat("consumer", PERIOD);
    let (beat, last) = stall(beat).await;

    // No request since the beat: the first one past the period.
    tokio::time::sleep_until(last + PERIOD + Duration::from_millis(50)).await;
    let reply = get(addr, "/healthz/live").await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(
        reply.text().starts_with(
            r#"{"status": 503, "title": "The consumer heartbeat is late: no beat for "#
        ),
        "{}",
        reply.text()
    );
    beat.beat();
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
    beat.finish();
}

#[tokio::test]
async fn a_watch_on_liveness_hears_the_stall_without_a_request_and_the_beat_after() {
    let Some(python) = support::python_with(
        "grpc_health.v1.health_pb2_grpc",
        "grpcio-health-checking",
        "a_watch_on_liveness_hears_the_stall_without_a_request_and_the_beat_after",
    ) else {
        return;
    };
    let lifecycle = Lifecycle::new();
    let addr = server(&lifecycle).await;
    let beat = lifecycle.heartbeat("consumer", PERIOD);

    // Each status the stream sends, a line each, as it arrives.
    let script = r#"
import sys, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
request = health_pb2.HealthCheckRequest(service="liveness")
for response in stub.Watch(request, timeout=20, wait_for_ready=True):
    print(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status), flush=True)
"#;
    let mut watcher = tokio::process::Command::new(&python)
        .args(["-c", script, &addr.to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the Python client");
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("a status within 10 s")
            .expect("read the client's output")
            .expect("the stream is still open")
    };

    // Beating from the start, the first status is `SERVING`.
    let beating = tokio::spawn(stall(beat));
    assert_eq!(next().await, "SERVING");
    let (beat, last) = beating.await.unwrap();

    let status = next().await;
    let heard = last.elapsed();
    assert_eq!(status, "NOT_SERVING");
    assert!(
        heard <= PERIOD + Duration::from_millis(100),
        "NOT_SERVING heard {heard:?} after the last beat, more than its period and 100 ms"
    );
    assert!(
        heard >= PERIOD,
        "NOT_SERVING heard {heard:?} after the last beat, within its period"
    );

    beat.beat();
    let beaten = Instant::now();
    assert_eq!(next().await, "SERVING");
    let heard = beaten.elapsed();
    assert!(
        heard <= Duration::from_millis(100),
        "SERVING heard {heard:?} after the beat"
    );
    beat.finish();
}
