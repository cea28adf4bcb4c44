//! The probes on a port of their own: `Healthz::serve` on 127.0.0.1,
//! serving the probes and nothing else, and a port already taken as an
//! error that names the address.

use std::net::SocketAddr;
use std::time::Duration;

use healthz::Healthz;
use support::get;
use support::servers::free_port;

#[tokio::test]
async fn a_health_server_serves_the_probes_and_nothing_else() {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let health = Healthz::new().live(|| ()).ready(|| false);
    tokio::spawn(health.serve(addr));
    // It binds when its task first runs.
    let mut live = None;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            live = Some(get(addr, "/healthz/live").await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live = live.expect("the health server listens");
    assert_eq!(live.text(), r#"{"status": 200, "title": "OK"}"#);
    let ready = get(addr, "/healthz/ready").await;
    assert_eq!(ready.status, 503);
    assert_eq!(get(addr, "/").await.status, 404, "nothing but the probes");
}

#[tokio::test]
async fn a_port_already_taken_is_an_error_naming_the_address() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let health = Healthz::new().live(|| ()).ready(|| ());
    let error = health.serve(addr).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("the health server cannot listen on {addr}: ")),
        "{message}"
    );
}
