//! `healthz::deps::Redis` against a real Redis on 127.0.0.1.

use std::time::Duration;

use healthz::deps::Redis;
use support::servers::Redis as Server;

#[tokio::test]
async fn ping_passes_then_fails_when_redis_stops() {
    let Some(mut server) = Server::start("ping_passes_then_fails_when_redis_stops") else {
        return;
    };
    let client = redis::Client::open(server.url()).unwrap();
    let manager = redis::aio::ConnectionManager::new(client.clone())
        .await
        .unwrap();
    let multiplexed = client.get_multiplexed_async_connection().await.unwrap();
    Redis::new(&manager).await.expect("PONG");
    Redis::new(&multiplexed).await.expect("PONG");

    server.stop();
    let error = tokio::time::timeout(
        Duration::from_secs(5),
        Redis::new(&manager).display_name("Sessions"),
    )
    .await
    .expect("a stopped server is noticed");
    assert_eq!(error.unwrap_err().reason(), Some("Can't reach Sessions"));
}
