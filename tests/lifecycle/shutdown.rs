//! The shutdown sequence of the quickstart example, as a real process
//! receiving real signals, watched over HTTP on 127.0.0.1.

#![cfg(unix)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{Example, Reply, get};

const SHUTTING_DOWN: &str = r#"{"status": 503, "title": "The server is shutting down"}"#;
const OK: &str = r#"{"status": 200, "title": "OK"}"#;

/// Starts the example on a free port of 127.0.0.1 with a drain delay.
async fn start(drain_seconds: f64) -> Example {
    let drain = drain_seconds.to_string();
    Example::start("quickstart", &[("DRAIN_SECONDS", &drain)]).await
}

fn signal(server: &Example, signal: libc::c_int) {
    let pid = server.pid() as libc::pid_t;
    // SAFETY: kill(2) with a pid we own and a valid signal number.
    let result = unsafe { libc::kill(pid, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal})");
}

/// Polls readiness until it fails, for at most `within`.
async fn wait_not_ready(addr: SocketAddr, within: Duration) -> Reply {
    let deadline = Instant::now() + within;
    loop {
        let reply = get(addr, "/healthz/ready").await;
        if reply.status != 200 || Instant::now() >= deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_answers(addr: SocketAddr, path: &str, status: u16, body: &str) {
    let reply = get(addr, path).await;
    assert_eq!((reply.status, reply.text()), (status, body), "{path}");
}

#[tokio::test]
async fn sigterm_fails_readiness_drains_then_exits_cleanly() {
    let drain = Duration::from_secs(3);
    let mut server = start(drain.as_secs_f64()).await;
    let addr = server.addr();
    for path in ["/healthz/live", "/healthz/ready", "/healthz/startup"] {
        assert_answers(addr, path, 200, OK).await;
    }

    // A request that will still be running when the graceful shutdown starts.
    let slow_started = Instant::now();
    let slow = tokio::spawn(get(addr, "/slow?seconds=4"));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    signal(&server, libc::SIGTERM);
    let reply = wait_not_ready(addr, Duration::from_secs(1)).await;
    assert_eq!((reply.status, reply.text()), (503, SHUTTING_DOWN));
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );

    // During the delay: liveness, startup and the app answer as before,
    // on new connections too.
    assert_answers(addr, "/healthz/live", 200, OK).await;
    assert_answers(addr, "/healthz/startup", 200, OK).await;
    assert_answers(addr, "/", 200, "Hello from healthz\n").await;
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(signalled.elapsed())).await;
    assert!(server.is_running(), "exited during the drain delay");
    assert_answers(addr, "/", 200, "Hello from healthz\n").await;
    assert_answers(addr, "/healthz/ready", 503, SHUTTING_DOWN).await;
    assert_answers(addr, "/healthz/live", 200, OK).await;

    // The request in flight completes, then the process exits 0.
    let slow = slow.await.expect("the slow request");
    assert_eq!((slow.status, slow.text()), (200, "done after 4s\n"));
    assert!(slow_started.elapsed() >= Duration::from_secs(4));
    let status = server.exit_status(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}; output: {:#?}", server.output());
    assert!(
        signalled.elapsed() >= drain,
        "exited {:?} after SIGTERM, before the {drain:?} drain delay",
        signalled.elapsed()
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    // Each step is logged once.
    assert_eq!(server.count_lines("shutting down: readiness fails"), 1);
    assert_eq!(server.count_lines("drain delay over"), 1);
    assert_eq!(server.count_lines("stopped"), 1);
}

#[tokio::test]
async fn a_second_signal_skips_the_rest_of_the_delay() {
    let mut server = start(600.0).await;
    let addr = server.addr();

    let signalled = Instant::now();
    signal(&server, libc::SIGINT);
    let reply = wait_not_ready(addr, Duration::from_secs(1)).await;
    assert_eq!((reply.status, reply.text()), (503, SHUTTING_DOWN));
    assert_answers(addr, "/healthz/live", 200, OK).await;

    // Even when the delay is cut short, a request in flight completes.
    let slow = tokio::spawn(get(addr, "/slow?seconds=1"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&server, libc::SIGTERM);

    let slow = slow.await.expect("the slow request");
    assert_eq!((slow.status, slow.text()), (200, "done after 1s\n"));
    let status = server.exit_status(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}; output: {:#?}", server.output());
    assert!(signalled.elapsed() < Duration::from_secs(15));
    assert_eq!(server.count_lines("second signal"), 1);
    assert_eq!(server.count_lines("drain delay over"), 0);
}
