//! A soak run: a server with every feature on, under steady load on each of
//! its health surfaces for minutes, while its app takes and releases holds,
//! starts, beats and finishes heartbeats, and fails and heals a check.
//!
//! `benches/soak.sh [seconds]` runs it (600 s by default). The server is
//! this binary, started again as a child process with one Tokio worker:
//! `healthz::router()` and `healthz::grpc::Grpc::new().router()` on one port, a
//! Prometheus recorder scraped at `/metrics`. The load is four HTTP/1.1
//! clients on keep-alive connections (live, cached; ready with checks,
//! plain, `?verbose` and `application/health+json`; a metrics scrape), a
//! gRPC client calling `Check`, and four gRPC `Watch` streams held open.
//!
//! After a warm-up of a tenth of the run, and at its end, it reads the
//! server's resident memory and open file descriptors from `/proc`, and its
//! live Tokio tasks from the runtime's metrics; it reports them with the
//! requests served, the errors and the latency percentiles of each kind of
//! request, and whether the goals were met.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use healthz::{Checks, HealthError};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const SERVE: &str = "HEALTHZ_SOAK_SERVE";

/// The answer of a cached probe is what the p99 goal is about.
#[healthz::live(cache = "1s")]
fn liveness() {}

#[derive(Clone, Default)]
struct Flaky(Arc<AtomicBool>);

#[healthz::ready]
fn readiness(State(flaky): State<Flaky>) -> Checks {
    let failing = flaky.0.load(Ordering::Relaxed);
    Checks::new()
        .check("database", async move {
            if failing {
                Err(HealthError::new("Can't connect to the database"))
            } else {
                Ok(())
            }
        })
        .check("cache", async { Ok::<(), HealthError>(()) })
}

fn main() {
    if std::env::var_os(SERVE).is_some() {
        return serve();
    }
    if std::env::args().any(|arg| arg == "--list") {
        // `cargo test --benches` asks what there is to run.
        return;
    }
    let seconds = (std::env::args().skip(1))
        .find_map(|arg| arg.parse::<u64>().ok())
        .unwrap_or(600);
    soak(Duration::from_secs(seconds));
}

// The server.

fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the only recorder");
        // As an app does (examples/metrics.rs): the exporter keeps samples
        // until it is scraped or kept up.
        let upkeep = prometheus.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                upkeep.run_upkeep();
            }
        });
        let flaky = Flaky::default();
        let app = Router::new()
            .route("/metrics", get(move || async move { prometheus.render() }))
            .route(
                "/soak/tasks",
                get(|| async {
                    let tasks = tokio::runtime::Handle::current()
                        .metrics()
                        .num_alive_tasks();
                    tasks.to_string()
                }),
            )
            .merge(healthz::router())
            .merge(healthz::grpc::Grpc::new().router())
            .with_state(flaky.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        tokio::spawn(the_app_at_work(flaky));
        healthz::lifecycle().mark_started();
        axum::serve(listener, app).await.unwrap();
    });
}

/// What the app does meanwhile, over and over: a check fails and heals
/// every half second, a hold is taken for 100 ms of each second, and a job
/// with a heartbeat of its own starts every 20 ms, beats five times and
/// finishes.
async fn the_app_at_work(flaky: Flaky) {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for step in 0u64.. {
        tick.tick().await;
        if step % 25 == 0 {
            flaky.0.fetch_xor(true, Ordering::Relaxed);
        }
        if step % 50 == 0 {
            let hold = healthz::lifecycle().hold_not_ready("Reindexing");
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                drop(hold);
            });
        }
        tokio::spawn(async move {
            let name = format!("job-{step}");
            let beat = healthz::lifecycle().heartbeat(name, Duration::from_secs(1));
            for _ in 0..5 {
                beat.beat();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            beat.finish();
        });
    }
}

// The load.

/// A kind of request, and the statuses it may be answered with.
#[derive(Clone, Copy)]
struct Kind {
    name: &'static str,
    path: &'static str,
    accept: Option<&'static str>,
    ok: &'static [u16],
}

const LIVE: Kind = Kind {
    name: "live, cached",
    path: "/healthz/live",
    accept: None,
    ok: &[200],
};
const KINDS: [Kind; 5] = [
    LIVE,
    Kind {
        name: "ready, checks",
        path: "/healthz/ready",
        accept: None,
        ok: &[200, 503],
    },
    Kind {
        name: "ready?verbose",
        path: "/healthz/ready?verbose",
        accept: None,
        ok: &[200, 503],
    },
    Kind {
        name: "ready, health+json",
        path: "/healthz/ready",
        accept: Some("application/health+json"),
        ok: &[200, 503],
    },
    Kind {
        name: "metrics scrape",
        path: "/metrics",
        accept: None,
        ok: &[200],
    },
];

/// Latencies in whole microseconds, one bucket each up to 100 ms.
struct Latencies {
    buckets: Vec<u64>,
    errors: u64,
}

impl Latencies {
    const BUCKETS: usize = 100_001;

    fn new() -> Self {
        Latencies {
            buckets: vec![0; Self::BUCKETS],
            errors: 0,
        }
    }

    fn record(&mut self, took: Duration) {
        let micros = usize::try_from(took.as_micros()).unwrap_or(usize::MAX);
        self.buckets[micros.min(Self::BUCKETS - 1)] += 1;
    }

    fn add(&mut self, other: &Latencies) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.errors += other.errors;
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The latency under which `fraction` of the requests were answered.
    fn percentile(&self, fraction: f64) -> Duration {
        let rank = ((self.count() as f64) * fraction).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (micros, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_micros(micros as u64);
            }
        }
        Duration::ZERO
    }
}

/// One HTTP/1.1 keep-alive connection, and the answers it reads.
struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(Connection {
            reader: BufReader::new(stream),
        })
    }

    /// The status of the answer to `kind`, whose body was read whole.
    fn get(&mut self, kind: Kind) -> std::io::Result<u16> {
        let accept = kind
            .accept
            .map_or(String::new(), |accept| format!("accept: {accept}\r\n"));
        let request = format!("GET {} HTTP/1.1\r\nhost: soak\r\n{accept}\r\n", kind.path);
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = (line.split(' ').nth(1))
            .and_then(|status| status.parse().ok())
            .ok_or_else(|| invalid(format!("a status line: {line:?}")))?;
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.ok_or_else(|| invalid("no content-length".to_owned()))?;
        let mut body = vec![0; length];
        std::io::Read::read_exact(&mut self.reader, &mut body)?;
        if body.is_empty() {
            return Err(invalid("an empty body".to_owned()));
        }
        Ok(status)
    }
}

fn invalid(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

/// An HTTP client: live, the three forms of ready in turn, and a metrics
/// scrape every hundredth request, until `until`.
fn http_client(addr: SocketAddr, until: Instant) -> Vec<Latencies> {
    let mut latencies: Vec<_> = KINDS.iter().map(|_| Latencies::new()).collect();
    let mut connection = Connection::open(addr).expect("connect");
    for n in 0u64.. {
        if Instant::now() >= until {
            break;
        }
        let which = match n % 100 {
            99 => 4,
            n if n % 2 == 0 => 0,
            n => 1 + (n / 2 % 3) as usize,
        };
        let kind = KINDS[which];
        let started = Instant::now();
        match connection.get(kind) {
            Ok(status) if kind.ok.contains(&status) => latencies[which].record(started.elapsed()),
            Ok(_) => latencies[which].errors += 1,
            Err(_) => {
                latencies[which].errors += 1;
                connection = Connection::open(addr).expect("reconnect");
            }
        }
    }
    latencies
}

/// gRPC `Check` in a loop, and `Watch` streams held open, until `until`.
async fn grpc_clients(addr: SocketAddr, until: Instant) -> (Latencies, u64, u64) {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a URI")
        .connect()
        .await
        .expect("connect over h2c");
    let updates = Arc::new(AtomicU64::new(0));
    let watch_errors = Arc::new(AtomicU64::new(0));
    let watchers: Vec<_> = (0..4)
        .map(|_| {
            let mut client = HealthClient::new(channel.clone());
            let (updates, watch_errors) = (updates.clone(), watch_errors.clone());
            tokio::spawn(async move {
                let request = HealthCheckRequest {
                    service: String::new(),
                };
                let mut stream = match client.watch(request).await {
                    Ok(stream) => stream.into_inner(),
                    Err(_) => return watch_errors.fetch_add(1, Ordering::Relaxed),
                };
                let deadline = tokio::time::Instant::from_std(until);
                loop {
                    match tokio::time::timeout_at(deadline, stream.message()).await {
                        Err(_) => return 0,
                        Ok(Ok(Some(_))) => updates.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => return watch_errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    let mut client = HealthClient::new(channel);
    let mut latencies = Latencies::new();
    while Instant::now() < until {
        let request = HealthCheckRequest {
            service: String::new(),
        };
        let started = Instant::now();
        match client.check(request).await {
            Ok(_) => latencies.record(started.elapsed()),
            Err(_) => latencies.errors += 1,
        }
        // A steady rate, not a second flood on the server's one worker.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for watcher in watchers {
        watcher.await.expect("a watcher");
    }
    (
        latencies,
        updates.load(Ordering::Relaxed),
        watch_errors.load(Ordering::Relaxed),
    )
}

// The measures.

struct Sample {
    rss_kib: u64,
    fds: u64,
    tasks: u64,
}

fn sample(server: &Child, addr: SocketAddr) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    let rss_kib = (status.lines())
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rss| rss.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let fds = std::fs::read_dir(format!("/proc/{}/fd", server.id()))
        .unwrap()
        .count() as u64;
    let tasks = tasks(addr);
    Sample {
        rss_kib,
        fds,
        tasks,
    }
}

/// The server's live Tokio tasks, less the one that answers.
fn tasks(addr: SocketAddr) -> u64 {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /soak/tasks HTTP/1.1\r\nhost: soak\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    let tasks: u64 = (answer.rsplit("\r\n\r\n").next())
        .and_then(|body| body.trim().parse().ok())
        .expect("a task count");
    tasks - 1
}

fn change(before: u64, after: u64) -> f64 {
    (after as f64 - before as f64) / before as f64 * 100.0
}

fn soak(length: Duration) {
    let mut server = Command::new(std::env::current_exe().unwrap())
        .env(SERVE, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line.trim().parse().expect("the server's address");
    println!(
        "soak: {addr}, {} s, the first tenth to warm up",
        length.as_secs()
    );

    let began = Instant::now();
    let until = began + length;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let grpc = runtime.spawn(grpc_clients(addr, until));
    let http: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || http_client(addr, until)))
        .collect();

    std::thread::sleep(length / 10);
    let start = sample(&server, addr);
    let minute = Duration::from_secs(60);
    while Instant::now() + minute < until {
        std::thread::sleep(minute);
        let now = sample(&server, addr);
        println!(
            "  {:>4} s: RSS {} KiB, {} descriptors, {} tasks",
            began.elapsed().as_secs(),
            now.rss_kib,
            now.fds,
            now.tasks
        );
    }
    let mut latencies: Vec<_> = KINDS.iter().map(|_| Latencies::new()).collect();
    for client in http {
        for (all, mine) in latencies.iter_mut().zip(client.join().unwrap()) {
            all.add(&mine);
        }
    }
    let (check, updates, watch_errors) = runtime.block_on(grpc).unwrap();
    latencies.push(check);
    let names = KINDS.iter().map(|kind| kind.name).chain(["gRPC Check"]);
    // Every client has closed: what the server still holds is its own.
    std::thread::sleep(Duration::from_secs(1));
    let end = sample(&server, addr);
    server.kill().unwrap();
    server.wait().unwrap();

    let seconds = length.as_secs_f64();
    println!();
    println!("| request | served | per second | errors | p50 | p90 | p99 | p99.9 |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, latency) in names.zip(&latencies) {
        let served = latency.count();
        println!(
            "| {name} | {served} | {:.0} | {} | {:?} | {:?} | {:?} | {:?} |",
            served as f64 / seconds,
            latency.errors,
            latency.percentile(0.50),
            latency.percentile(0.90),
            latency.percentile(0.99),
            latency.percentile(0.999),
        );
    }
    println!("| gRPC Watch, 4 streams | {updates} updates | | {watch_errors} | | | | |");
    println!();
    println!("| after warm-up → at the end | RSS | descriptors | Tokio tasks |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| server | {} → {} KiB ({:+.1} %) | {} → {} | {} → {} |",
        start.rss_kib,
        end.rss_kib,
        change(start.rss_kib, end.rss_kib),
        start.fds,
        end.fds,
        start.tasks,
        end.tasks
    );
    let errors: u64 = latencies.iter().map(|latency| latency.errors).sum::<u64>() + watch_errors;
    let p99 = latencies[0].percentile(0.99); // KINDS[0] is LIVE
    let goals = [
        ("no errors", errors == 0),
        (
            "RSS flat within 10 %",
            change(start.rss_kib, end.rss_kib).abs() <= 10.0,
        ),
        // The end is sampled with every client gone: fewer, not more.
        (
            "descriptors flat within 10 %",
            end.fds as f64 <= start.fds as f64 * 1.1,
        ),
        (
            "p99 of a cached answer under 1 ms",
            p99 < Duration::from_millis(1),
        ),
    ];
    println!();
    for (goal, met) in goals {
        println!("{} {goal}", if met { "met:   " } else { "MISSED:" });
    }
    if goals.iter().any(|(_, met)| !met) {
        std::process::exit(1);
    }
}
