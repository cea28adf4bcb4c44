//! An app whose shutdown signal is never awaited, or dropped, run as a
//! process: SIGTERM and Ctrl-C still end it, after its drain, as they
//! would without healthz, and its log names the mistake and the fix. An
//! awaited signal beside a dropped one shuts the app down gracefully, with
//! nothing to say.
#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use support::{Example, get, until};

const APP: &str = env!("CARGO_BIN_EXE_shutdown-app");

/// What the ERROR says, in part: the mistake, and the fix.
const MISTAKE: &str = "the future of Lifecycle::shutdown_signal was never awaited, or was dropped";
const FIX: &str = "with_graceful_shutdown(shutdown)";

/// The app's drain delay, in seconds.
const DRAIN: f64 = 1.0;

async fn app(mode: &str) -> Example {
    let app = Example::start_program(APP, &[mode], &[("DRAIN_SECONDS", &DRAIN.to_string())]).await;
    until(app.addr(), "/healthz/ready", 200, Duration::from_secs(5)).await;
    app
}

/// Sends `signal`, and waits for readiness to fail with the shutdown's
/// title; gives when it was sent.
async fn signal_and_drain(app: &Example, signal: libc::c_int) -> Instant {
    let sent = Instant::now();
    app.signal(signal);
    let draining = until(
        app.addr(),
        "/healthz/ready",
        503,
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(
        draining.text(),
        r#"{"status": 503, "title": "The server is shutting down"}"#
    );
    sent
}

/// Sends `signal` to an app in `mode`, and checks that it drains, then ends
/// as the signal's default action would, within its drain and a second,
/// having logged the mistake once.
async fn ends_on(mode: &str, signal: libc::c_int) {
    let mut app = app(mode).await;
    let sent = signal_and_drain(&app, signal).await;
    assert_eq!(get(app.addr(), "/healthz/live").await.status, 200);

    let status = app.exit_status(Duration::from_secs_f64(DRAIN + 1.0)).await;
    assert!(
        sent.elapsed() >= Duration::from_secs_f64(DRAIN),
        "it drained first"
    );
    assert_eq!(
        status.signal(),
        Some(signal),
        "{status:?}: {:#?}",
        app.output()
    );
    let errors: Vec<String> = (app.output().into_iter())
        .filter(|line| line.contains("ERROR"))
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", app.output());
    assert!(
        errors[0].contains(MISTAKE) && errors[0].contains(FIX),
        "{}",
        errors[0]
    );
    assert_eq!(app.count_lines("stopped"), 0);
}

#[tokio::test]
async fn a_signal_never_awaited_still_ends_the_app_on_sigterm() {
    ends_on("unawaited", libc::SIGTERM).await;
}

#[tokio::test]
async fn a_dropped_signal_still_ends_the_app_on_sigterm() {
    ends_on("dropped", libc::SIGTERM).await;
}

#[tokio::test]
async fn a_signal_never_awaited_still_ends_the_app_on_ctrl_c() {
    ends_on("unawaited", libc::SIGINT).await;
}

#[tokio::test]
async fn a_second_signal_ends_an_app_that_never_awaited_at_once() {
    let mut app = app("unawaited").await;
    signal_and_drain(&app, libc::SIGTERM).await;
    app.signal(libc::SIGTERM);
    let status = app.exit_status(Duration::from_millis(500)).await;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert_eq!(app.count_lines(MISTAKE), 1);
}

#[tokio::test]
async fn an_awaited_signal_beside_a_dropped_one_shuts_down_gracefully() {
    let mut app = app("beside").await;
    signal_and_drain(&app, libc::SIGTERM).await;
    let status = app.exit_status(Duration::from_secs_f64(DRAIN + 1.0)).await;
    assert!(status.success(), "{status:?}: {:#?}", app.output());
    assert_eq!(app.count_lines("stopped"), 1);
    assert_eq!(app.count_lines("ERROR"), 0, "{:#?}", app.output());
}
