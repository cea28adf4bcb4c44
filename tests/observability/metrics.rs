//! The metrics example run as a real process: probes driven over HTTP, then
//! `/metrics` scraped over HTTP, with exact counts per run.

use support::{Example, get, request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The value of the sample `name` whose labels include every one of
/// `labels`; `None` if it is not exposed.
fn sample(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in (exposition.lines()).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        let rest = rest.strip_suffix('}').expect("closed labels");
        let has = |(key, value): &(&str, &str)| {
            rest.split(',')
                .any(|pair| pair == format!("{key}=\"{value}\""))
        };
        if metric == name && labels.iter().all(has) {
            assert!(found.is_none(), "{name} {labels:?} matches several series");
            found = Some(value.parse().expect("a number"));
        }
    }
    found
}

async fn scrape(server: &Example) -> String {
    let reply = get(server.addr(), "/metrics").await;
    assert_eq!(reply.status, 200);
    reply.text().to_owned()
}

async fn set_database(server: &Example, state: &str) {
    let path = format!("/database/{state}");
    assert_eq!(request(server.addr(), "POST", &path).await.status, 200);
}

const READY: (&str, &str) = ("probe", "ready");

#[tokio::test]
async fn runs_are_counted_once_each_whatever_the_requests() {
    let server = Example::start("metrics", &[]).await;
    let runs = |text: &str, result: &str| {
        sample(
            text,
            "healthz_probe_runs_total",
            &[READY, ("result", result)],
        )
        .unwrap_or(0.0)
    };

    // A burst of 50 requests shares the one 200 ms run. The connections
    // are open before the first request is sent, so that all 50 arrive
    // well within the run even on a busy machine.
    let mut connections = Vec::new();
    for _ in 0..50 {
        connections.push(TcpStream::connect(server.addr()).await.unwrap());
    }
    let burst: Vec<_> = (connections.into_iter())
        .map(|mut connection| {
            tokio::spawn(async move {
                let request = "GET /healthz/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                connection.write_all(request.as_bytes()).await.unwrap();
                let mut reply = Vec::new();
                connection.read_to_end(&mut reply).await.unwrap();
                reply
            })
        })
        .collect();
    for request in burst {
        assert!(request.await.unwrap().starts_with(b"HTTP/1.1 200"));
    }
    let text = scrape(&server).await;
    assert_eq!(runs(&text, "pass"), 1.0, "{text}");
    assert_eq!(sample(&text, "healthz_probe_healthy", &[READY]), Some(1.0));
    let database = [READY, ("check", "database")];
    assert_eq!(sample(&text, "healthz_check_healthy", &database), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "healthz_check_runs_total",
            &[READY, ("check", "database"), ("result", "pass")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "healthz_probe_duration_seconds_count", &[READY]),
        Some(1.0)
    );
    let took = sample(&text, "healthz_probe_duration_seconds_sum", &[READY]).unwrap();
    assert!((0.2..0.5).contains(&took), "the run took {took}s");
    for help in [
        "# HELP healthz_probe_healthy ",
        "# HELP healthz_probe_runs_total ",
        "# HELP healthz_probe_duration_seconds ",
        "# HELP healthz_check_healthy ",
        "# HELP healthz_check_runs_total ",
        "# HELP healthz_check_duration_seconds ",
    ] {
        assert!(text.contains(help), "no {help:?} in {text}");
    }

    // Failing: one run per request, as the probe has no cache.
    set_database(&server, "down").await;
    for _ in 0..2 {
        assert_eq!(get(server.addr(), "/healthz/ready").await.status, 503);
    }
    let text = scrape(&server).await;
    assert_eq!(runs(&text, "fail"), 2.0, "{text}");
    assert_eq!(sample(&text, "healthz_probe_healthy", &[READY]), Some(0.0));
    assert_eq!(sample(&text, "healthz_check_healthy", &database), Some(0.0));
    assert!(!text.contains("Can't connect"), "no reason in a label");

    // Timing out: the check is stopped at the probe's 500 ms.
    set_database(&server, "slow").await;
    assert_eq!(get(server.addr(), "/healthz/ready").await.status, 503);
    let text = scrape(&server).await;
    assert_eq!(runs(&text, "fail"), 3.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "healthz_check_runs_total",
            &[READY, ("check", "database"), ("result", "timeout")]
        ),
        Some(1.0)
    );

    // Passing again; the warning-only cache check passed at every run.
    set_database(&server, "up").await;
    assert_eq!(get(server.addr(), "/healthz/ready").await.status, 200);
    let text = scrape(&server).await;
    assert_eq!(runs(&text, "pass"), 2.0, "{text}");
    assert_eq!(sample(&text, "healthz_probe_healthy", &[READY]), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "healthz_check_runs_total",
            &[READY, ("check", "cache"), ("result", "pass")]
        ),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "healthz_probe_duration_seconds_count", &[READY]),
        Some(5.0)
    );
}

#[tokio::test]
async fn the_startup_endpoint_and_the_lifecycle_set_their_gauges() {
    let server = Example::start("metrics", &[("DRAIN_SECONDS", "30")]).await;
    let healthy =
        |text: &str, probe: &str| sample(text, "healthz_probe_healthy", &[("probe", probe)]);
    assert_eq!(get(server.addr(), "/healthz/live").await.status, 200);
    assert_eq!(get(server.addr(), "/healthz/startup").await.status, 200);
    assert_eq!(get(server.addr(), "/healthz/ready").await.status, 200);
    let text = scrape(&server).await;
    assert_eq!(healthy(&text, "live"), Some(1.0));
    assert_eq!(healthy(&text, "startup"), Some(1.0));
    assert_eq!(healthy(&text, "ready"), Some(1.0));
    // Both endpoints ran the liveness probe, once each.
    let live_runs = [("probe", "live"), ("result", "pass")];
    assert_eq!(
        sample(&text, "healthz_probe_runs_total", &live_runs),
        Some(2.0)
    );

    // SIGTERM: readiness answers 503 from the lifecycle, running nothing.
    #[cfg(unix)]
    {
        // SAFETY: kill(2) with the pid of our own child and a valid signal.
        let sent = unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0);
        // Answers before the signal is handled run the probe.
        let mut passed = 1.0;
        loop {
            match get(server.addr(), "/healthz/ready").await.status {
                503 => break,
                _ if passed > 100.0 => panic!("still ready after SIGTERM"),
                _ => passed += 1.0,
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let text = scrape(&server).await;
        assert_eq!(healthy(&text, "ready"), Some(0.0));
        let ready_runs = [READY, ("result", "pass")];
        assert_eq!(
            sample(&text, "healthz_probe_runs_total", &ready_runs),
            Some(passed),
            "the 503 ran nothing"
        );
    }
}

#[tokio::test]
async fn durations_are_histograms_with_buckets() {
    let server = Example::start("metrics", &[]).await;
    assert_eq!(get(server.addr(), "/healthz/ready").await.status, 200);
    let text = scrape(&server).await;
    for name in [
        "healthz_probe_duration_seconds",
        "healthz_check_duration_seconds",
    ] {
        assert!(
            text.lines()
                .any(|line| line == format!("# TYPE {name} histogram")),
            "{name} is a histogram:\n{text}"
        );
        let buckets = (text.lines())
            .filter(|line| line.starts_with(&format!("{name}_bucket{{")))
            .count();
        // One per bound the example sets, and `+Inf`, for each series.
        assert!(buckets >= 14, "{name} has {buckets} buckets:\n{text}");
    }
    assert_eq!(
        sample(
            &text,
            "healthz_probe_duration_seconds_bucket",
            &[READY, ("le", "+Inf")]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_stalled_heartbeat_turns_its_gauges_and_liveness_without_a_probe_request() {
    let server = Example::start("metrics", &[]).await;
    let live = ("probe", "live");
    let worker = [("heartbeat", "worker")];
    assert_eq!(get(server.addr(), "/healthz/live").await.status, 200);
    let text = scrape(&server).await;
    assert_eq!(sample(&text, "healthz_probe_healthy", &[live]), Some(1.0));

    // Stalled past its 1 s period; only `/metrics` is asked meanwhile.
    assert_eq!(
        request(server.addr(), "POST", "/worker/stall").await.status,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let text = scrape(&server).await;
    assert_eq!(
        sample(&text, "healthz_heartbeat_healthy", &worker),
        Some(0.0),
        "{text}"
    );
    let silent = sample(&text, "healthz_heartbeat_silence_seconds", &worker).unwrap();
    assert!(silent >= 1.0, "silent for {silent} s:\n{text}");
    assert_eq!(
        sample(&text, "healthz_probe_healthy", &[live]),
        Some(0.0),
        "{text}"
    );

    assert_eq!(
        request(server.addr(), "POST", "/worker/resume")
            .await
            .status,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let text = scrape(&server).await;
    assert_eq!(
        sample(&text, "healthz_heartbeat_healthy", &worker),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "healthz_probe_healthy", &[live]),
        Some(1.0),
        "{text}"
    );
}
