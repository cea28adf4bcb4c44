//! The routes of `healthz::ui` over HTTP: the page's first paint, the
//! history as JSON, the event stream and its bound, and who may see their
//! details, with `?verbose` and `application/health+json` under the same
//! policy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use healthz::{Checks, Details, HealthError, Healthz, Lifecycle};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const DOWN: &str = "Can't connect to the database";

/// An app whose readiness has a `database` check that `up` breaks and
/// mends, with the ui routes of its lifecycle beside the probes, and how
/// many times readiness ran.
struct App {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    runs: Arc<AtomicUsize>,
    lifecycle: Lifecycle,
}

async fn app() -> App {
    let up = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let lifecycle = Lifecycle::new();
    let router = Healthz::new()
        .live(|| ())
        .ready({
            let (up, runs) = (up.clone(), runs.clone());
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                let up = up.load(Ordering::SeqCst);
                Checks::new().check("database", async move {
                    match up {
                        true => Ok(()),
                        false => Err(HealthError::new(DOWN)),
                    }
                })
            }
        })
        .lifecycle(lifecycle.clone())
        .router()
        // Beside the probes' `/healthz/{name}`, without a conflict.
        .merge(healthz::ui::router_for("/healthz", &lifecycle));
    let addr = support::serve(router).await;
    App {
        addr,
        up,
        runs,
        lifecycle,
    }
}

/// An open event stream, read line by line.
struct Stream(BufReader<TcpStream>);

impl Stream {
    async fn open(addr: SocketAddr) -> (u16, Stream) {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /healthz/events HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut stream = Stream(BufReader::new(socket));
        let status_line = stream.line().await;
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        // The headers, up to the blank line.
        while !stream.line().await.is_empty() {}
        (status, stream)
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(5), self.0.read_line(&mut line));
        read.await.expect("a line within 5 s").unwrap();
        line.trim_end().to_owned()
    }

    /// The data of the next event named `name`.
    async fn next(&mut self, name: &str) -> serde_json::Value {
        let mut event = String::new();
        loop {
            let line = self.line().await;
            if let Some(named) = line.strip_prefix("event: ") {
                event = named.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                if event == name {
                    return serde_json::from_str(data).unwrap();
                }
            }
        }
    }
}

#[tokio::test]
async fn the_page_is_painted_by_the_server_and_self_contained() {
    let app = app().await;
    app.up.store(false, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;
    let reply = support::get(app.addr, "/healthz/ui").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = reply.text();
    assert!(html.len() < 100 * 1024, "{} bytes", html.len());
    assert!(html.contains(r#"<tr class="row-fail" data-subject="ready/database">"#));
    assert!(
        html.contains(r#"<span class="badge fail">FAIL</span>"#),
        "status told in words"
    );
    assert!(html.contains("Can&#39;t connect to the database"));
    assert!(
        html.contains(r#"class="seg fail""#),
        "the timeline has the failure"
    );
    assert!(
        html.contains("connect-src 'self'"),
        "the page reaches its own origin only"
    );
    for outside in ["http://", "https://", "//cdn", "src=\"/"] {
        assert!(!html.contains(outside), "the page names {outside:?}");
    }
}

#[tokio::test]
async fn the_history_is_json_with_the_transitions_in_order() {
    let app = app().await;
    support::get(app.addr, "/healthz/ready").await;
    app.up.store(false, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;
    let reply = support::get(app.addr, "/healthz/history").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let history: serde_json::Value = serde_json::from_str(reply.text()).unwrap();
    let entries: Vec<(&str, &str)> = (history["history"].as_array().unwrap().iter())
        .map(|entry| {
            (
                entry["subject"].as_str().unwrap(),
                entry["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("ready", "pass"),
            ("ready/database", "pass"),
            ("ready", "fail"),
            ("ready/database", "fail")
        ]
    );
    let failed = &history["history"][2];
    assert_eq!(failed["title"], DOWN);
    assert!(failed["held_ms"].as_f64().is_some() && failed["duration_ms"].as_f64().is_some());
    let time = failed["time"].as_str().unwrap();
    assert!(
        time.ends_with('Z') && time.len() == "2026-12-07T10:00:00.000Z".len(),
        "{time}"
    );
    assert_eq!(history["probes"][1]["checks"][0]["title"], DOWN);
    assert!(
        history["probes"][1]["duration_ms"].as_f64().is_some(),
        "the last run's duration"
    );
}

#[tokio::test]
async fn fifty_open_streams_run_no_probe_and_each_gets_a_change() {
    let app = app().await;
    support::get(app.addr, "/healthz/ready").await;
    let mut streams = Vec::new();
    for _ in 0..50 {
        let (status, mut stream) = Stream::open(app.addr).await;
        assert_eq!(status, 200);
        let state = stream.next("state").await;
        assert_eq!(state["probes"][1]["checks"][0]["name"], "database");
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.runs.load(Ordering::SeqCst),
        1,
        "open streams ran the probe"
    );

    app.up.store(false, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;
    for stream in &mut streams {
        let entry = stream.next("entry").await;
        assert_eq!(
            (entry["subject"].as_str(), entry["status"].as_str()),
            (Some("ready"), Some("fail"))
        );
        let entry = stream.next("entry").await;
        assert_eq!(entry["subject"], "ready/database");
        assert_eq!(entry["title"], DOWN);
    }
    assert_eq!(app.runs.load(Ordering::SeqCst), 2, "the one request ran it");
}

#[tokio::test]
async fn the_stream_past_the_bound_is_answered_503_and_a_closed_one_frees_its_place() {
    let app = app().await;
    let mut streams = Vec::new();
    for _ in 0..128 {
        let (status, stream) = Stream::open(app.addr).await;
        assert_eq!(status, 200);
        streams.push(stream);
    }
    let reply = support::get(app.addr, "/healthz/events").await;
    assert_eq!(reply.status, 503);
    assert!(reply.text().contains("at most 128"), "{}", reply.text());
    drop(streams.pop());
    // The server notices the closed connection when it next writes to it:
    // a change written to every stream.
    drop(app.lifecycle.hold_not_ready("Freeing a place"));
    let reopened = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (status, stream) = Stream::open(app.addr).await;
            if status == 200 {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    reopened.await.expect("a place within 5 s");
}

#[tokio::test]
async fn without_details_no_name_or_title_is_shown_by_any_reader() {
    let app = app().await;
    app.lifecycle
        .set_details(Details::header("x-health-token", "s3cret"));
    drop(app.lifecycle.hold_not_ready("Warming the secret cache"));
    app.up.store(false, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;

    let secrets = ["database", DOWN, "Can&#39;t", "Warming the secret cache"];
    let withheld = |what: &str, body: &str| {
        for secret in secrets {
            assert!(!body.contains(secret), "{what} shows {secret:?}: {body}");
        }
    };
    let page = support::get(app.addr, "/healthz/ui").await;
    withheld("the page", page.text());
    assert!(
        page.text()
            .contains(r#"<span class="badge fail">FAIL</span>"#),
        "statuses stay"
    );
    let history = support::get(app.addr, "/healthz/history").await;
    withheld("the history", history.text());
    let verbose = support::get(app.addr, "/healthz/ready?verbose").await;
    assert_eq!(verbose.status, 503);
    withheld("?verbose", verbose.text());
    let json = support::request_with(
        app.addr,
        "GET",
        "/healthz/ready",
        &[("accept", "application/health+json")],
    )
    .await;
    assert_eq!(json.status, 503);
    withheld("health+json", json.text());
    assert!(json.text().contains("\"fail\""), "{}", json.text());
    let plain = support::get(app.addr, "/healthz/ready").await;
    assert!(
        plain.text().contains(DOWN),
        "the kubelet's body is the app's, as always"
    );

    let (_, mut stream) = Stream::open(app.addr).await;
    withheld("the first event", &stream.next("state").await.to_string());
    app.up.store(true, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;
    let entry = stream.next("entry").await;
    assert_eq!(
        (entry["subject"].as_str(), entry["status"].as_str()),
        (Some("ready"), Some("pass"))
    );
    app.up.store(false, Ordering::SeqCst);
    support::get(app.addr, "/healthz/ready").await;
    let entry = stream.next("entry").await;
    assert_eq!(entry["subject"], "ready", "no check's entry is sent");
    assert_eq!(entry["title"], serde_json::Value::Null);

    let token = [("x-health-token", "s3cret")];
    let allowed = support::request_with(app.addr, "GET", "/healthz/ready?verbose", &token).await;
    assert!(allowed.text().contains(DOWN), "{}", allowed.text());
    let allowed = support::request_with(app.addr, "GET", "/healthz/history", &token).await;
    assert!(allowed.text().contains(DOWN));
}
