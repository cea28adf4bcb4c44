//! Property tests of the endpoints, on generated requests: paths under the
//! prefix, query strings (`verbose`, repeated `exclude`, unknown keys,
//! percent-encoding, invalid UTF-8), `Accept` headers and methods. Every
//! answer has a status the endpoints document, a body within what the
//! kubelet reads and valid for its content type, and no request makes a
//! probe run more often than its single flight and cache allow.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, header};
use healthz::{Check, Checks, HealthError, Healthz, Lifecycle, Options};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tower::ServiceExt;

/// Requests per run of the property: each is a handful of microseconds.
const CASES: u32 = 2_000;

/// What the kubelet reads of a body.
const KUBELET_READS: usize = 10 * 1024;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::GET),
        1 => Just(Method::HEAD),
        1 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::PATCH),
        1 => Just(Method::from_bytes(b"BREW").unwrap()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let known = prop_oneof![
        Just(""),
        Just("/live"),
        Just("/ready"),
        Just("/startup"),
        Just("/ready/database"),
        Just("/ready/cache"),
        Just("/ready/nope"),
        Just("/live/database"),
        Just("/ready/"),
        Just("/ready/%64atabase"),
        Just("/ready/%C3%A9"),
        Just("/ready/%FF%FE"),
        Just("//ready"),
        Just("/ready/database/more"),
        Just("/READY"),
    ];
    let tail = "[a-z0-9%/._~-]{0,12}";
    (known, prop::option::weighted(0.2, tail))
        .prop_map(|(known, tail)| format!("/healthz{known}{}", tail.unwrap_or_default()))
}

fn query() -> impl Strategy<Value = Option<String>> {
    let piece = prop_oneof![
        Just("verbose"),
        Just("verbose=1"),
        Just("verbose=false"),
        Just("exclude=database"),
        Just("exclude=cache"),
        Just("exclude=search"),
        Just("exclude=nope"),
        Just("exclude=%64atabase"),
        Just("exclude=%FF"),
        Just("exclude=%C3%A9"),
        Just("exclude"),
        Just("unknown=1"),
        Just("="),
        Just(""),
        Just("%ZZ"),
        Just("exclude=a+b"),
    ];
    prop::option::of(prop::collection::vec(piece, 1..6).prop_map(|pieces| pieces.join("&")))
}

fn accept() -> impl Strategy<Value = Option<HeaderValue>> {
    let value = prop_oneof![
        Just(HeaderValue::from_static("application/health+json")),
        Just(HeaderValue::from_static("application/health+json;q=0")),
        Just(HeaderValue::from_static("application/health+json;q=abc")),
        Just(HeaderValue::from_static("text/plain")),
        Just(HeaderValue::from_static("*/*")),
        Just(HeaderValue::from_static(
            "application/json, application/health+json;q=0.5"
        )),
        Just(HeaderValue::from_bytes(b"application/\xe9").unwrap()),
        Just(HeaderValue::from_static("")),
    ];
    prop::option::of(value)
}

/// Whether `body` is valid for `content_type`.
fn valid_body(content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    if body.is_empty() {
        return Ok(());
    }
    match content_type {
        Some(json) if json.contains("json") => serde_json::from_slice::<serde_json::Value>(body)
            .map(drop)
            .map_err(|error| format!("not JSON ({error}): {:?}", String::from_utf8_lossy(body))),
        Some(text) if text.starts_with("text/plain") => std::str::from_utf8(body)
            .map(drop)
            .map_err(|error| format!("not UTF-8: {error}")),
        other => Err(format!("a body of unknown type {other:?}")),
    }
}

#[test]
fn every_request_gets_a_documented_status_and_a_bounded_valid_body() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (live_runs, ready_runs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let lifecycle = Lifecycle::new();
    lifecycle.mark_started();
    let app: axum::Router = runtime.block_on(async {
        Healthz::new()
            .live({
                let runs = live_runs.clone();
                move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                }
            })
            .ready_with(Options::DEFAULT.with_cache(Duration::from_secs(3600)), {
                let runs = ready_runs.clone();
                move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Checks::new()
                        .check("database", async { true })
                        .check("cache", async {
                            Err::<(), _>(HealthError::new("Can't reach Redis \u{1F4A5} \"quoted\""))
                        })
                        .add_check(Check::new("search", async { false }).warn_only())
                }
            })
            .lifecycle(lifecycle.clone())
            .router()
    });

    let requests = (method(), path(), query(), accept());
    // Cells: the runner takes an `Fn`.
    let (requests_to_live, served) = (Cell::new(0_usize), Cell::new(0_usize));
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    runner
        .run(&requests, |(method, path, query, accept)| {
            let uri = match &query {
                Some(query) => format!("{path}?{query}"),
                None => path.clone(),
            };
            let mut request = Request::builder().method(method.clone()).uri(&uri);
            if let Some(accept) = &accept {
                request = request.header(header::ACCEPT, accept.clone());
            }
            // Text that is no URI never reaches a server.
            let Ok(request) = request.body(Body::empty()) else {
                return Ok(());
            };
            if path.starts_with("/healthz/live") || path.starts_with("/healthz/startup") {
                requests_to_live.set(requests_to_live.get() + 1);
            }
            let (status, content_type, body) = runtime.block_on(async {
                let response = app.clone().oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                let content_type = (response.headers().get(header::CONTENT_TYPE))
                    .map(|value| value.to_str().unwrap().to_owned());
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, content_type, body)
            });
            served.set(served.get() + 1);
            let asked = format!("{method} {uri} Accept: {accept:?}");
            prop_assert!(
                [200, 404, 405, 406, 503].contains(&status),
                "{asked}: status {status}"
            );
            prop_assert!(body.len() <= KUBELET_READS, "{asked}: {} bytes", body.len());
            if method == Method::HEAD {
                prop_assert!(body.is_empty(), "{asked}: a body for HEAD");
            }
            if let Err(why) = valid_body(content_type.as_deref(), &body) {
                return Err(TestCaseError::fail(format!("{asked}: {why}")));
            }
            Ok(())
        })
        .unwrap();

    let (requests_to_live, served) = (requests_to_live.get(), served.get());
    assert!(
        served > CASES as usize / 2,
        "most requests were served: {served}"
    );
    assert!(
        ready_runs.load(Ordering::SeqCst) <= 1,
        "an hour's cache runs readiness once, whatever was asked: {} runs",
        ready_runs.load(Ordering::SeqCst)
    );
    assert!(
        live_runs.load(Ordering::SeqCst) <= requests_to_live,
        "at most one liveness run per request to it: {} runs for {requests_to_live}",
        live_runs.load(Ordering::SeqCst)
    );
}
