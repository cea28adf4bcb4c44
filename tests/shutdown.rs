//! The shutdown sequence of the quickstart example, as a real process
//! receiving real signals, watched over HTTP on 127.0.0.1.

#![cfg(unix)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use healthz_suite::{Reply, get};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SHUTTING_DOWN: &str = r#"{"status": 503, "title": "The server is shutting down"}"#;
const OK: &str = r#"{"status": 200, "title": "OK"}"#;

/// The example's binary, built (if stale) into this test's target directory.
fn quickstart() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        // <target>/<profile dir>/deps/shutdown-<hash>
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("a target directory");
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        // `cargo test --workspace` has built it already, and then this is
        // quick; `cargo test --test shutdown` alone has not.
        let target_dir = profile_dir.parent().expect("a target directory");
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "quickstart"])
            .args(["--profile", profile])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --example quickstart failed");
        let path = profile_dir
            .join("examples")
            .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "no example binary at {}", path.display());
        path
    })
}

/// A running example; dropping it kills the process.
struct Server {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the example on a free port of 127.0.0.1 with a drain delay.
    async fn start(drain_seconds: f64) -> Server {
        let mut child = Command::new(quickstart())
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("DRAIN_SECONDS", drain_seconds.to_string())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the example");

        // Read every line, so the child never blocks on a full pipe.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let collected = output.clone();
        tokio::spawn(async move {
            let mut addr_tx = Some(addr_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    if let Some(tx) = addr_tx.take() {
                        let _ = tx.send(addr.parse::<SocketAddr>().expect("an address"));
                    }
                }
                collected.lock().unwrap().push(line);
            }
        });
        let addr = tokio::time::timeout(Duration::from_secs(30), addr_rx)
            .await
            .expect("the example listens within 30 s")
            .expect("the example printed its address");
        assert!(addr.ip().is_loopback());
        Server {
            child,
            addr,
            output,
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.child.id().expect("still running") as libc::pid_t;
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        let result = unsafe { libc::kill(pid, signal) };
        assert_eq!(result, 0, "kill({pid}, {signal})");
    }

    /// Polls readiness until it fails, for at most `within`.
    async fn wait_not_ready(&self, within: Duration) -> Reply {
        let deadline = Instant::now() + within;
        loop {
            let reply = get(self.addr, "/healthz/ready").await;
            if reply.status != 200 || Instant::now() >= deadline {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "still running {within:?} later; output: {:#?}",
                    self.output()
                )
            })
            .expect("wait for the example")
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll the example").is_none()
    }

    fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    fn count_lines(&self, needle: &str) -> usize {
        self.output()
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }
}

async fn assert_answers(addr: SocketAddr, path: &str, status: u16, body: &str) {
    let reply = get(addr, path).await;
    assert_eq!((reply.status, reply.text()), (status, body), "{path}");
}

#[tokio::test]
async fn sigterm_fails_readiness_drains_then_exits_cleanly() {
    let drain = Duration::from_secs(3);
    let mut server = Server::start(drain.as_secs_f64()).await;
    let addr = server.addr;
    for path in ["/healthz/live", "/healthz/ready", "/healthz/startup"] {
        assert_answers(addr, path, 200, OK).await;
    }

    // A request that will still be running when the graceful shutdown starts.
    let slow_started = Instant::now();
    let slow = tokio::spawn(get(addr, "/slow?seconds=4"));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    server.signal(libc::SIGTERM);
    let reply = server.wait_not_ready(Duration::from_secs(1)).await;
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
    let mut server = Server::start(600.0).await;
    let addr = server.addr;

    let signalled = Instant::now();
    server.signal(libc::SIGINT);
    let reply = server.wait_not_ready(Duration::from_secs(1)).await;
    assert_eq!((reply.status, reply.text()), (503, SHUTTING_DOWN));
    assert_answers(addr, "/healthz/live", 200, OK).await;

    // Even when the delay is cut short, a request in flight completes.
    let slow = tokio::spawn(get(addr, "/slow?seconds=1"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal(libc::SIGTERM);

    let slow = slow.await.expect("the slow request");
    assert_eq!((slow.status, slow.text()), (200, "done after 1s\n"));
    let status = server.exit_status(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}; output: {:#?}", server.output());
    assert!(signalled.elapsed() < Duration::from_secs(15));
    assert_eq!(server.count_lines("second signal"), 1);
    assert_eq!(server.count_lines("drain delay over"), 0);
}
