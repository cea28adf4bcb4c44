//! `examples/grpc.rs` run as a real process: gRPC health and HTTP probes on
//! one port, the database failed and healed over HTTP.

use std::time::Duration;

use support::{Example, get, request};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn the_grpc_example_answers_grpc_and_http_from_the_same_probe() {
    let example = Example::start("grpc", &[]).await;
    let addr = example.addr();
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect over h2c");
    let mut client = HealthClient::new(channel);
    let readiness = || HealthCheckRequest {
        service: "readiness".to_owned(),
    };

    let status = client.check(readiness()).await.unwrap().into_inner();
    assert_eq!(status.status(), ServingStatus::Serving);
    let mut watch = client.watch(readiness()).await.unwrap().into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    request(addr, "POST", "/fail").await;
    // The probe caches its answer for a second; the watch sees the change
    // at a later run.
    let change = tokio::time::timeout(Duration::from_secs(15), watch.message())
        .await
        .expect("a change within 15 s")
        .unwrap()
        .unwrap();
    assert_eq!(change.status(), ServingStatus::NotServing);
    let http = get(addr, "/healthz/ready").await;
    assert_eq!(
        (http.status, http.text()),
        (
            503,
            r#"{"status": 503, "title": "Can't connect to the database"}"#
        )
    );
}
