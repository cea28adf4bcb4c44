//! `examples/actix.rs` run as a real process: an actix-web app, its probes
//! with its state on a management port, and SIGTERM drained across both.

use std::time::Duration;

use support::{Example, get, request, until};

/// As long as the example's heartbeat may take to be noticed.
const WITHIN: Duration = Duration::from_secs(4);

async fn shop() -> Example {
    Example::start("actix", &[("HEARTBEAT_MS", "300"), ("DRAIN_SECONDS", "1")]).await
}

#[tokio::test]
async fn the_probes_on_the_management_port_read_the_apps_state_and_heartbeat() {
    let shop = shop().await;
    let (app, probes) = (shop.addr(), shop.probes_addr().await);
    assert_ne!(app.port(), probes.port());

    assert_eq!(get(app, "/").await.status, 200);
    assert_eq!(
        get(app, "/healthz/ready").await.status,
        404,
        "no probes on the app's port"
    );
    assert_eq!(
        get(probes, "/healthz/ready").await.text(),
        r#"{"status": 200, "title": "OK"}"#
    );

    request(app, "POST", "/database/fail").await;
    assert_eq!(
        get(probes, "/healthz/ready").await.text(),
        r#"{"status": 503, "title": "The database is down"}"#
    );
    request(app, "POST", "/database/heal").await;
    assert_eq!(get(probes, "/healthz/ready").await.status, 200);

    assert_eq!(get(probes, "/healthz/live").await.status, 200);
    request(app, "POST", "/stall").await;
    let stalled = until(probes, "/healthz/live", 503, WITHIN).await;
    assert!(
        stalled.text().starts_with(
            r#"{"status": 503, "title": "The dispatcher heartbeat is late: no beat for "#
        ),
        "{}",
        stalled.text()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_both_ports_serve_through_the_drain_then_the_app_exits() {
    let mut shop = shop().await;
    let (app, probes) = (shop.addr(), shop.probes_addr().await);
    assert_eq!(get(probes, "/healthz/ready").await.status, 200);

    // SAFETY: kill(2) with the pid of our own child and a valid signal.
    assert_eq!(
        unsafe { libc::kill(shop.pid() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let draining = until(probes, "/healthz/ready", 503, Duration::from_millis(500)).await;
    assert_eq!(
        draining.text(),
        r#"{"status": 503, "title": "The server is shutting down"}"#
    );
    assert_eq!(get(probes, "/healthz/live").await.status, 200);
    assert_eq!(
        get(app, "/").await.status,
        200,
        "the app serves on through the drain"
    );

    let status = shop.exit_status(Duration::from_secs(3)).await;
    assert!(status.success(), "{status:?}: {:#?}", shop.output());
    assert_eq!(
        shop.count_lines("drain delay over, shutting down gracefully"),
        1
    );
    for addr in [app, probes] {
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{addr} still open"
        );
    }
}
