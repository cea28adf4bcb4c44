//! The server's CPU time per probe request under load, against a
//! hand-written axum handler that answers the same bytes and headers.
//!
//! Needs `wrk` (Debian: `apt-get install wrk`); `benches/cpu_per_request.sh`
//! runs it. Each server is this binary, started again as a child process
//! with one Tokio worker; wrk loads it over HTTP/1.1 on 127.0.0.1 for a
//! second, and the time the server's threads spent on a CPU over that span
//! (user and system, to the nanosecond, from `/proc/<pid>/task/*/schedstat`),
//! divided by the requests wrk completed, is its cost per request.
//!
//! The servers take turns in a rotating order, many times, so that a change
//! in the machine's load reaches each of them alike; with two CPUs or more,
//! the servers run on one and wrk on another, so that neither steals the
//! other's. Each round gives a ratio to the hand-written server; the medians
//! and the ratio of the totals are reported.

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
/// The server with `healthz::ui` merged, and how many event streams it
/// holds open.
const UI: &str = "healthz, ui and streams open";
const STREAMS: usize = 50;
const ROUNDS: usize = 21;
const SECONDS_PER_RUN: u32 = 1;

fn main() {
    if let Ok(which) = std::env::var(SERVE) {
        return serve(&which);
    }
    if std::env::args().any(|arg| arg == "--list") {
        // `cargo test --benches` asks what there is to run.
        return;
    }
    // A second hand-written server shows the noise floor of the same run;
    // the last serves the status page's routes too, with event streams held
    // open through its load.
    let names = ["hand-written", "hand-written again", "healthz", UI];
    let servers = names.map(Server::start);
    let _streams = open_streams(servers[3].port, STREAMS);
    let paths = ["/healthz/live", "/healthz/ready"];
    let mut ratios = vec![vec![Vec::new(); 3]; paths.len()];
    let mut totals = vec![[Load::default(); 4]; paths.len()];
    for round in 0..ROUNDS {
        for ((path, ratios), totals) in paths.iter().zip(&mut ratios).zip(&mut totals) {
            let mut loads = [Load::default(); 4];
            for turn in 0..servers.len() {
                let which = (round + turn) % servers.len();
                loads[which] = servers[which].load(path);
                totals[which].add(loads[which]);
            }
            let [hand, again, healthz, ui] = loads.map(Load::cost);
            println!(
                "round {} {path}: hand-written {hand:.2} µs, again {again:.2} µs, healthz {healthz:.2} µs, with ui {ui:.2} µs",
                round + 1
            );
            ratios[0].push(again / hand);
            ratios[1].push(healthz / hand);
            ratios[2].push(ui / hand);
        }
    }
    for ((path, ratios), totals) in paths.iter().zip(&mut ratios).zip(&totals) {
        let hand = totals[0].cost();
        for ((name, ratios), total) in names[1..].iter().zip(ratios.iter_mut()).zip(&totals[1..]) {
            ratios.sort_by(f64::total_cmp);
            println!(
                "{path}: {name} / hand-written CPU per request: median {:.3}, of totals {:.3}, range {:.3}–{:.3} over {ROUNDS} rounds",
                ratios[ROUNDS / 2],
                total.cost() / hand,
                ratios[0],
                ratios[ROUNDS - 1],
            );
        }
    }
}

/// `count` event streams of the server on `port`, each read to its end on
/// a thread of its own, once each has its first event.
fn open_streams(port: u16, count: usize) -> Vec<std::thread::JoinHandle<()>> {
    use std::io::{Read, Write};
    (0..count)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let request = "GET /healthz/events HTTP/1.1\r\nHost: bench\r\n\r\n";
            stream.write_all(request.as_bytes()).unwrap();
            let mut first = [0; 256];
            let read = stream.read(&mut first).unwrap();
            assert!(
                String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"),
                "an event stream opens"
            );
            std::thread::spawn(move || {
                let mut sink = [0; 4096];
                while matches!(stream.read(&mut sink), Ok(1..)) {}
            })
        })
        .collect()
}

/// What one or more wrk runs cost a server.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    cpu_nanos: u64,
    requests: u64,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.cpu_nanos += other.cpu_nanos;
        self.requests += other.requests;
    }

    /// Microseconds of CPU time per request.
    fn cost(self) -> f64 {
        self.cpu_nanos as f64 / self.requests as f64 / 1e3
    }
}

/// A server child process, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(which: &str) -> Server {
        let mut child = pinned(
            SERVER_CPU,
            &std::env::current_exe().unwrap().to_string_lossy(),
        )
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

    /// The server's CPU time over a wrk run against `path`.
    fn load(&self, path: &str) -> Load {
        let before = cpu_nanos(self.child.id());
        let output = pinned(LOAD_CPU, "wrk")
            .args(["-t1", "-c16", &format!("-d{SECONDS_PER_RUN}s")])
            .arg(format!("http://127.0.0.1:{}{path}", self.port))
            .output()
            .expect("run wrk: install it with `apt-get install wrk`");
        let cpu_nanos = cpu_nanos(self.child.id()) - before;
        let report = String::from_utf8_lossy(&output.stdout);
        let requests = report
            .lines()
            .find_map(|line| line.trim().split_once(" requests in "))
            .and_then(|(count, _)| count.parse().ok())
            .unwrap_or_else(|| panic!("no request count in wrk's report:\n{report}"));
        assert!(
            !report.contains("Non-2xx"),
            "the server answered errors:\n{report}"
        );
        Load {
            cpu_nanos,
            requests,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPUs the servers and wrk run on, when there are two or more.
const SERVER_CPU: usize = 1;
const LOAD_CPU: usize = 0;

/// `program`, run on `cpu` alone if the machine has CPUs to spare and
/// `taskset` is there.
fn pinned(cpu: usize, program: &str) -> Command {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let taskset = Command::new("taskset").arg("-V").output().is_ok();
    if cpus >= 2 && taskset {
        let mut command = Command::new("taskset");
        command.args(["-c", &cpu.to_string(), program]);
        command
    } else {
        Command::new(program)
    }
}

/// Nanoseconds that the threads of process `pid` have spent on a CPU.
fn cpu_nanos(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|task| {
            let schedstat =
                std::fs::read_to_string(task.unwrap().path().join("schedstat")).unwrap_or_default();
            // The first field; a thread that has just ended reads empty.
            (schedstat.split(' ').next())
                .and_then(|nanos| nanos.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

fn serve(which: &str) {
    let app: Router = match which {
        "healthz" => healthz::router(),
        UI => healthz::router().merge(healthz::ui::router()),
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
