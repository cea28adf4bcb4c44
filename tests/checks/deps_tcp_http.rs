//! `healthz::deps::Tcp` and `healthz::deps::Http` against real listeners
//! and an axum server on 127.0.0.1.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use healthz::deps::{Http, Tcp};
use healthz::{Checks, Healthz, Lifecycle, Options};

/// A listener on 127.0.0.1 that accepts connections and never answers.
async fn silent() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    addr
}

/// A port of 127.0.0.1 where nothing listens.
fn closed() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn tcp_passes_on_a_listener_and_fails_on_a_closed_port() {
    let open = silent().await;
    Tcp::new(open.to_string()).await.unwrap();

    let error = Tcp::new(closed().to_string())
        .display_name("Mail server")
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Some("Can't reach Mail server"));
    let logged = format!("{error:#}");
    assert!(logged.contains("connecting to 127.0.0.1:"), "{logged}");
}

/// A service answering each way the check must tell apart.
async fn downstream() -> SocketAddr {
    let app = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/moved", get(|| async { Redirect::to("/ok") }))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "db at 10.1.2.3 down") }),
        )
        .route("/hung", get(std::future::pending::<()>))
        // 64 MiB, far past what the check reads.
        .route("/huge", get(|| async { vec![b'x'; 64 << 20] }));
    support::serve(app).await
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

#[tokio::test]
async fn http_passes_on_2xx_and_3xx_and_fails_on_5xx() {
    let addr = downstream().await;
    Http::new(&url(addr, "/ok")).unwrap().await.unwrap();
    Http::new(&url(addr, "/moved")).unwrap().await.unwrap();
    Http::new(&url(addr, "/huge")).unwrap().await.unwrap();

    let error = Http::new(&url(addr, "/broken"))
        .unwrap()
        .display_name("Payments")
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Some("Payments is unhealthy"));
    let logged = format!("{error:#}");
    assert!(logged.contains("500 Internal Server Error"), "{logged}");
    assert!(!logged.contains("10.1.2.3"), "the body is never read out");

    let error = Http::new(&url(closed(), "/")).unwrap().await.unwrap_err();
    assert_eq!(error.reason(), Some("Can't reach HTTP service"));
}

#[test]
fn http_refuses_what_it_cannot_check_where_it_is_built() {
    let refused = |url: &str| Http::new(url).unwrap_err().to_string();
    assert_eq!(
        refused("https://payments.internal/healthz"),
        "https://payments.internal/healthz: deps::Http speaks plain http:// only, not TLS; \
         check the service on a plain-HTTP health port, or its port with deps::Tcp, or with its own client"
    );
    assert_eq!(
        refused("payments.internal:8080"),
        "payments.internal:8080: deps::Http takes http://host[:port]/path URLs"
    );
    assert_eq!(
        refused("/healthz"),
        "/healthz: deps::Http takes http://host[:port]/path URLs"
    );
    assert_eq!(
        refused("http://pay ments/"),
        "http://pay ments/: deps::Http takes http://host[:port]/path URLs"
    );
}

#[tokio::test]
async fn hung_services_are_stopped_by_the_timeout_over_http() {
    let addr = downstream().await;
    let hung_listener = silent().await;
    let app = Healthz::new()
        .live(|| ())
        .ready_with(
            Options::DEFAULT.with_timeout(Duration::from_millis(300)),
            move || {
                Checks::new()
                    .check("hung", Http::new(&url(addr, "/hung")).unwrap())
                    .check("silent", Http::new(&url(hung_listener, "/")).unwrap())
                    .check("tcp", Tcp::new(hung_listener.to_string()))
            },
        )
        .lifecycle(Lifecycle::new())
        .router();
    let server = support::serve(app).await;

    let started = std::time::Instant::now();
    let reply = support::get(server, "/healthz/ready?verbose").await;
    assert_eq!(
        reply.text(),
        "[-]hung failed: The hung check timed out after 300ms\n\
         [-]silent failed: The silent check timed out after 300ms\n\
         [+]tcp ok\n\
         ready check failed\n"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}
