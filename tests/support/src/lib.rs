//! Helpers shared by the integration tests: a real server on 127.0.0.1, the
//! examples run as child processes, and a plain HTTP/1.1 client that returns
//! the bytes as they came off the wire.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tracing::subscriber::DefaultGuard;

pub mod servers;

/// A turn at the attribute probes: their health state is one for the
/// process, so the tests of one binary that drive them take turns, and no
/// test joins another's run or reads its cached answer. Hold the guard for
/// the test.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// Serves `app` on an ephemeral port of 127.0.0.1 until the test ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// One response, as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

/// Sends `method path` over a fresh connection and reads the whole answer.
///
/// Gives up after five seconds, so a hung server fails the test instead of
/// stalling it.
pub async fn request(addr: SocketAddr, method: &str, path: &str) -> Reply {
    request_with(addr, method, path, &[]).await
}

/// [`request`] with extra request headers.
pub async fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    within(Duration::from_secs(5), addr, method, path, headers).await
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path).await
}

/// `GET path`, giving up after `limit` rather than five seconds: for a
/// request that waits on purpose, as one of a herd held until all of it
/// has arrived.
pub async fn get_within(limit: Duration, addr: SocketAddr, path: &str) -> Reply {
    within(limit, addr, "GET", path, &[]).await
}

async fn within(
    limit: Duration,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    tokio::time::timeout(limit, exchange(addr, method, path, headers))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {limit:?}"))
}

async fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Asks `path` every 20 ms until it answers `status`, for at most `within`,
/// and returns that answer.
pub async fn until(addr: SocketAddr, path: &str, status: u16, within: Duration) -> Reply {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let reply = get(addr, path).await;
        if reply.status == status {
            return reply;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} still answers {} {:?} after {within:?}",
            reply.status,
            reply.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The body with every `duration_ms` and `observedValue` set to 0, so that
/// answers with named checks can be compared exactly.
pub fn timeless(reply: &Reply) -> String {
    let mut text = reply.text().to_owned();
    for key in ["\"duration_ms\": ", "\"observedValue\": "] {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(key) {
            out.push_str(&rest[..at + key.len()]);
            rest = rest[at + key.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
            out.push('0');
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// The binary of the example `name`, built (if stale) into the running
/// test's own target directory and profile.
///
/// `cargo test --workspace` has built the examples already, and then this
/// is quick; `cargo test -p healthz-suite --test <name>` alone has not.
///
/// The examples are the package in `examples/`; `--workspace` builds this
/// one with the features `cargo test --workspace` resolves, so that its
/// build is reused.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    // Held through the build, so the tests of one binary build it once.
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = built.get(name) {
        return path.clone();
    }

    // <target>/<profile dir>/deps/<test>-<hash>
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a target directory");
    let profile = match profile_dir.file_name().and_then(|dir| dir.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let target_dir = profile_dir.parent().expect("a target directory");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--workspace", "--example", name])
        // Each example's own feature, where it has one.
        .args([
            "--features",
            "healthz-examples/grpc,healthz-examples/actix,healthz-examples/ui",
        ])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "no example binary at {}", path.display());
    built.insert(name.to_owned(), path.clone());
    path
}

/// An example running as a child process; dropping it kills the process.
pub struct Example {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
    /// Reads its stdout until the end; awaited once it has exited, so
    /// that its last lines are in `output`.
    reader: Option<tokio::task::JoinHandle<()>>,
}

/// What an example prints once its app listens.
const APP_LISTENS: &str = "listening on http://";
/// What healthz logs once a health server of its own listens.
const PROBES_LISTEN: &str = "serving the health probes address=";

impl Example {
    /// Starts the example `name` on a free port of 127.0.0.1, with `env`
    /// added to its environment, and waits for the address it prints
    /// (`listening on http://<addr>`).
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Example {
        Example::spawn(name, env, APP_LISTENS).await
    }

    /// [`start`](Example::start) for an example with no HTTP server of its
    /// own: waits for the address of its health server, as healthz logs it.
    pub async fn start_worker(name: &str, env: &[(&str, &str)]) -> Example {
        Example::spawn(name, env, PROBES_LISTEN).await
    }

    /// [`start`](Example::start) for a program of the suite's own, run with
    /// `args`.
    pub async fn start_program(program: &str, args: &[&str], env: &[(&str, &str)]) -> Example {
        let mut command = Command::new(program);
        command.args(args);
        Example::spawn_command(command, program, env, APP_LISTENS).await
    }

    async fn spawn(name: &str, env: &[(&str, &str)], listens: &str) -> Example {
        Example::spawn_command(Command::new(example_binary(name)), name, env, listens).await
    }

    async fn spawn_command(
        mut command: Command,
        name: &str,
        env: &[(&str, &str)],
        listens: &str,
    ) -> Example {
        let mut child = command
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("MANAGEMENT_PORT", "0")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));

        // Read every line, so the child never blocks on a full pipe.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let output = Arc::new(Mutex::new(Vec::new()));
        let collected = output.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                collected.lock().unwrap().push(line);
            }
        });
        let mut example = Example {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            output,
            reader: Some(reader),
        };
        example.addr = example.address(listens).await;
        example
    }

    /// The address on the first line of output that holds `after`, right
    /// after it; waits up to 30 s for that line.
    async fn address(&self, after: &str) -> SocketAddr {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let seen = self.output().into_iter().find_map(|line| {
                    let (_, rest) = line.split_once(after)?;
                    rest.split_whitespace().next()?.parse::<SocketAddr>().ok()
                });
                if let Some(addr) = seen {
                    return addr;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let addr = found.unwrap_or_else(|_| {
            panic!(
                "no {after:?} line within 30 s; output: {:#?}",
                self.output()
            )
        });
        assert!(addr.ip().is_loopback());
        addr
    }

    /// Where its health server of its own listens, once healthz has logged
    /// it.
    pub async fn probes_addr(&self) -> SocketAddr {
        self.address(PROBES_LISTEN).await
    }

    /// Writes `line` and a newline to its stdin.
    pub async fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to the example's stdin");
        stdin.flush().await.expect("flush the example's stdin");
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("still running")
    }

    /// What it has written to stdout so far, line by line.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// How many lines of its output contain `needle`.
    pub fn count_lines(&self, needle: &str) -> usize {
        self.output()
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }

    /// Whether it has not exited yet.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll the example").is_none()
    }

    /// Sends it `signal`.
    #[cfg(unix)]
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with the pid of our own child and a valid signal.
        assert_eq!(unsafe { libc::kill(self.pid() as libc::pid_t, signal) }, 0);
    }

    /// Sends it SIGTERM, then checks that it drains as the quickstart does:
    /// readiness fails at once with the shutdown's title while liveness and
    /// the app's own route (`method`, `path`) still answer; it exits cleanly
    /// once `drain` is over, within a few seconds more.
    #[cfg(unix)]
    pub async fn drains_on_sigterm(mut self, (method, path): (&str, &str), drain: Duration) {
        let addr = self.addr();
        until(addr, "/healthz/ready", 200, Duration::from_secs(10)).await;
        let sent = std::time::Instant::now();
        self.signal(libc::SIGTERM);
        let draining = until(addr, "/healthz/ready", 503, Duration::from_millis(500)).await;
        assert_eq!(
            draining.text(),
            r#"{"status": 503, "title": "The server is shutting down"}"#
        );
        assert_eq!(get(addr, "/healthz/live").await.status, 200);
        let app = request(addr, method, path).await;
        assert!(
            (200..300).contains(&app.status),
            "{method} {path} through the drain: {}",
            app.status
        );
        let status = self.exit_status(drain + Duration::from_secs(3)).await;
        assert!(status.success(), "{status:?}: {:#?}", self.output());
        assert!(
            sent.elapsed() >= drain,
            "exited before the drain delay was over"
        );
    }

    /// Waits for it to exit, failing the test with its output if it is
    /// still running after `within`.
    pub async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "still running {within:?} later; output: {:#?}",
                    self.output()
                )
            })
            .expect("wait for the example");
        if let Some(reader) = self.reader.take() {
            // A child of its own may still hold the pipe: don't wait on it.
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        status
    }
}

/// Everything logged on this thread, as text.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Sends every event and span on this thread, at every level, here.
    pub fn install() -> (Captured, DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.text().matches(needle).count()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A Python that can `import module`, `HEALTHZ_PYTHON` or `python3`; or,
/// outside CI, `None`, having said in one line that `test` is skipped and
/// how to get `package`. Under `CI=true` a missing one fails the test.
pub fn python_with(module: &str, package: &str, test: &str) -> Option<String> {
    let python = std::env::var("HEALTHZ_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    // Quiet: a missing module is told in one line below, not a traceback.
    let has_module = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if has_module {
        return Some(python);
    }
    skip_unless_ci(
        test,
        &format!(
            "{python} lacks Python's {package}; `pip install {package}`, or set HEALTHZ_PYTHON \
             to a Python that has it, as .ci/run does"
        ),
    );
    None
}

/// Says in one line that `test` is skipped because of `missing`, or, under
/// `CI=true`, where nothing may be skipped, fails it.
pub fn skip_unless_ci(test: &str, missing: &str) {
    assert!(
        !std::env::var("CI").is_ok_and(|ci| ci == "true"),
        "{test}: {missing}"
    );
    // Straight to stderr, past the test harness's capture, so that the line
    // shows although the test passes.
    let line = format!("skipped {test}: {missing}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}
