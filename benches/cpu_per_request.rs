//! The server's CPU time per probe request under load, against a
//! hand-written axum handler that answers the same bytes and headers.
//!
//! Needs `wrk` (Debian: `apt-get install wrk`); `benches/cpu_per_request.sh`
//! runs it. Each server is this binary, started again as a child process
//! with one Tokio worker; wrk loads it over HTTP/1.1 on 127.0.0.1 for a few
//! seconds, and the server's user + system time over that span (from
//! `/proc/<pid>/stat`), divided by the requests wrk completed, is its cost
//! per request. The servers take turns, so a change in the machine's load
//! reaches both.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

#[healthz::live]
fn liveness() {}

#[healthz::ready]
async fn readiness() -> Result<(), healthz::HealthError> {
    Ok(())
}

async fn hand_written() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/problem+json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        r#"{"status": 200, "title": "OK"}"#,
    )
}

const SERVE: &str = "HEALTHZ_BENCH_SERVE";
const ROUNDS: usize = 9;
const SECONDS_PER_RUN: u32 = 2;

fn main() {
    if let Ok(which) = std::env::var(SERVE) {
        return serve(&which);
    }
    if std::env::args().any(|arg| arg == "--list") {
        // `cargo test --benches` asks what there is to run.
        return;
    }
    // A second hand-written server shows the noise floor of the same run.
    let names = ["hand-written", "hand-written again", "healthz"];
    let servers = names.map(Server::start);
    let paths = ["/healthz/live", "/healthz/ready"];
    let mut ratios = vec![vec![Vec::new(); 2]; paths.len()];
    for round in 1..=ROUNDS {
        for (path, ratios) in paths.iter().zip(&mut ratios) {
            let [hand, again, healthz] = servers.each_ref().map(|server| server.cost(path));
            println!(
                "round {round} {path}: hand-written {hand:.2} µs, again {again:.2} µs, healthz {healthz:.2} µs"
            );
            ratios[0].push(again / hand);
            ratios[1].push(healthz / hand);
        }
    }
    for (path, ratios) in paths.iter().zip(&mut ratios) {
        for (name, ratios) in names[1..].iter().zip(ratios.iter_mut()) {
            ratios.sort_by(f64::total_cmp);
            println!(
                "{path}: {name} / hand-written CPU per request: median {:.3}, range {:.3}–{:.3} over {ROUNDS} rounds",
                ratios[ROUNDS / 2],
                ratios[0],
                ratios[ROUNDS - 1],
            );
        }
    }
}

/// A server child process, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(which: &str) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVE, which)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        Server { child, port }
    }

    /// Microseconds of the server's CPU time per request to `path`.
    fn cost(&self, path: &str) -> f64 {
        let before = cpu_seconds(self.child.id());
        let output = Command::new("wrk")
            .args(["-t1", "-c16", &format!("-d{SECONDS_PER_RUN}s")])
            .arg(format!("http://127.0.0.1:{}{path}", self.port))
            .output()
            .expect("run wrk: install it with `apt-get install wrk`");
        let cpu = cpu_seconds(self.child.id()) - before;
        let report = String::from_utf8_lossy(&output.stdout);
        let requests: f64 = report
            .lines()
            .find_map(|line| line.trim().split_once(" requests in "))
            .and_then(|(count, _)| count.parse().ok())
            .unwrap_or_else(|| panic!("no request count in wrk's report:\n{report}"));
        assert!(
            !report.contains("Non-2xx"),
            "the server answered errors:\n{report}"
        );
        cpu / requests * 1e6
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User plus system time of process `pid`, all its threads, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are the 14th and 15th fields of the line.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / per_second
}

fn serve(which: &str) {
    let app: Router = match which {
        "healthz" => healthz::router(),
        _ => Router::new()
            .route("/healthz/live", get(hand_written))
            .route("/healthz/ready", get(hand_written)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        // Killed by the parent, or ends by itself after a while.
        tokio::select! {
            result = axum::serve(listener, app) => result.unwrap(),
            () = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    });
}
