//! Real PostgreSQL and Redis servers for the tests of the ready-made checks,
//! each on a free port of 127.0.0.1 in a directory of its own, stopped and
//! removed when dropped.
//!
//! They come from the Debian packages `postgresql` and `redis-server`. On a
//! machine without them a test is skipped with a line saying what to
//! install; in CI (`CI=true`) a missing server fails the test instead.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The password of the `postgres` user of every test database.
pub const POSTGRES_PASSWORD: &str = "test-password";

/// A PostgreSQL server for one test.
pub struct Postgres {
    server: Server,
    port: u16,
}

impl Postgres {
    /// Starts one, or returns `None`, having said why, when PostgreSQL is
    /// not installed outside CI.
    pub fn start(test: &str) -> Option<Postgres> {
        let bin = postgres_bin().or_else(|| missing(test, "PostgreSQL", "postgresql"))?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        // PostgreSQL refuses to run as root: run it as `nobody` then.
        let user = is_root().then_some("nobody");
        let data = dir.path().join("data");
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, POSTGRES_PASSWORD).expect("write the password file");
        if user.is_some() {
            run(Command::new("chown")
                .arg("-R")
                .arg("nobody:")
                .arg(dir.path()));
        }
        run(as_user(user, &bin.join("initdb"))
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", "postgres", "--auth-local", "trust"])
            .args(["--auth-host", "scram-sha-256", "--no-sync"])
            .arg(format!("--pwfile={}", password_file.display())));
        let port = free_port();
        let child = as_user(user, &bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "fsync=off", "-c", "max_connections=20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let server = Server::new(child, dir, port);
        Some(Postgres { server, port })
    }

    /// A connection URL as `user` with `password`.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// Stops the server now, as a database going down under the app.
    pub fn stop(&mut self) {
        self.server.stop();
    }
}

/// A Redis server for one test.
pub struct Redis {
    server: Server,
}

impl Redis {
    /// Starts one, or returns `None`, having said why, when Redis is not
    /// installed outside CI.
    pub fn start(test: &str) -> Option<Redis> {
        let bin = find(&["/usr/bin/redis-server", "/usr/local/bin/redis-server"])
            .or_else(|| missing(test, "Redis", "redis-server"))?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        Some(Redis {
            server: Server::new(child, dir, port),
        })
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.server.port)
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        self.server.stop();
    }
}

/// A child server and its directory, ready once its port accepts.
struct Server {
    child: Option<Child>,
    port: u16,
    // Removed after the process is stopped, by field order in `Drop`.
    _dir: TempDir,
}

impl Server {
    fn new(child: Child, dir: TempDir, port: u16) -> Server {
        let mut server = Server {
            child: Some(child),
            port,
            _dir: dir,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            let child = server.child.as_mut().expect("running");
            if let Some(status) = child.try_wait().expect("poll the server") {
                panic!("the server on port {port} exited at start: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server on port {port} did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// SIGTERM, then SIGKILL if it has not exited within five seconds.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg(child.id().to_string())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Skips a test outside CI, with one line saying what to install; fails it
/// in CI.
fn missing<T>(test: &str, server: &str, package: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test}: no {server} server: `apt-get install -y {package}`");
    }
    // Straight to stderr, past the test harness's capture, so that the line
    // shows although the test passes.
    let line = format!(
        "skipped {test}: it needs a {server} server: `apt-get install -y {package}`, as .ci/run does\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    None
}

/// The newest installed PostgreSQL's `bin` directory.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn find(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|path| path.exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// `program`, run as `user` when given, with no supplementary groups.
fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("setpriv");
            command
                .arg(format!("--reuid={user}"))
                .arg(format!("--regid={}", group_of(user)))
                .args(["--clear-groups", "--"])
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// The id of `user`'s own group: `nobody`'s is named differently across
/// distributions.
fn group_of(user: &str) -> String {
    let output = Command::new("id")
        .args(["-g", user])
        .output()
        .expect("run id");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a server set-up command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A port of 127.0.0.1 free at the time of the call.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("local address").port()
}
