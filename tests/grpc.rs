//! gRPC health checking from the same probes as HTTP, on one port of a real
//! server on 127.0.0.1, asked by tonic's client and by Python's
//! `grpcio-health-checking`, a client that is not ours.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use healthz::grpc::Grpc;
use healthz::{HealthError, Healthz, Lifecycle, Options};
use support::{get, serve};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[derive(Clone, Default)]
struct Database {
    down: Arc<AtomicBool>,
    runs: Arc<AtomicUsize>,
}

async fn ping(State(db): State<Database>) -> Result<(), HealthError> {
    db.runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    if db.down.load(Ordering::SeqCst) {
        Err(HealthError::new("Can't connect to the database"))
    } else {
        Ok(())
    }
}

/// HTTP probes and gRPC health on one port, gated by `lifecycle`.
async fn server(lifecycle: &Lifecycle, options: Options) -> (Database, SocketAddr) {
    let db = Database::default();
    let health = Healthz::new()
        .live(|| ())
        .ready_with(options, ping)
        .lifecycle(lifecycle.clone());
    let app: Router = Router::new()
        .merge(health.router())
        .merge(health.grpc_router(Grpc::new().watch_interval(Duration::from_millis(100))))
        .with_state(db.clone());
    (db, serve(app).await)
}

async fn client(addr: SocketAddr) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("connect over h2c");
    HealthClient::new(channel)
}

async fn check(client: &mut HealthClient<Channel>, service: &str) -> Result<ServingStatus, Code> {
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    match client.check(request).await {
        Ok(response) => Ok(response.into_inner().status()),
        Err(status) => Err(status.code()),
    }
}

#[tokio::test]
async fn check_answers_every_name_from_the_probes_and_the_lifecycle() {
    let lifecycle = Lifecycle::new();
    let (db, addr) = server(&lifecycle, Options::DEFAULT).await;
    let mut client = client(addr).await;

    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(ServingStatus::Serving)
    );
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(ServingStatus::Serving)
    );
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
    assert_eq!(
        check(&mut client, "startup").await,
        Ok(ServingStatus::NotServing),
        "not started yet"
    );
    assert_eq!(check(&mut client, "payments").await, Err(Code::NotFound));

    db.down.store(true, Ordering::SeqCst);
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(ServingStatus::NotServing)
    );
    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(ServingStatus::Serving)
    );
    db.down.store(false, Ordering::SeqCst);

    lifecycle.mark_started();
    assert_eq!(
        check(&mut client, "startup").await,
        Ok(ServingStatus::Serving)
    );
    let warming = lifecycle.hold_not_ready("Warming the cache");
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::NotServing));
    drop(warming);
    lifecycle.mark_shutting_down();
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(ServingStatus::NotServing),
        "readiness fails during the drain"
    );
    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(ServingStatus::Serving),
        "liveness stays serving during the drain"
    );
    // The HTTP probes on the same port agree.
    assert_eq!(get(addr, "/healthz/ready").await.status, 503);
    assert_eq!(get(addr, "/healthz/live").await.status, 200);
}

#[tokio::test]
async fn check_shares_runs_and_the_cache_with_http() {
    let lifecycle = Lifecycle::new();
    let options = Options::DEFAULT.with_cache(Duration::from_secs(3600));
    let (db, addr) = server(&lifecycle, options).await;
    let mut client = client(addr).await;
    let mut calls = Vec::new();
    for _ in 0..20 {
        let mut client = client.clone();
        calls.push(tokio::spawn(async move {
            check(&mut client, "readiness").await
        }));
    }
    for call in calls {
        assert_eq!(call.await.unwrap(), Ok(ServingStatus::Serving));
    }
    assert_eq!(get(addr, "/healthz/ready").await.status, 200);
    assert_eq!(check(&mut client, "").await, Ok(ServingStatus::Serving));
    assert_eq!(
        db.runs.load(Ordering::SeqCst),
        1,
        "one run for gRPC and HTTP"
    );
}

#[tokio::test]
async fn watch_sends_the_status_then_each_change_made_over_http_and_ends_at_shutdown() {
    let lifecycle = Lifecycle::new();
    let (db, addr) = server(&lifecycle, Options::DEFAULT).await;
    let mut client = client(addr).await;
    let mut stream = client
        .watch(HealthCheckRequest {
            service: "readiness".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(5), stream.message())
            .await
            .expect("a message within 5 s")
            .expect("a message, not an error")
            .map(|response| response.status())
    };
    assert_eq!(next().await, Some(ServingStatus::Serving));

    // Failed and healed through an HTTP route of the app.
    db.down.store(true, Ordering::SeqCst);
    assert_eq!(next().await, Some(ServingStatus::NotServing));
    db.down.store(false, Ordering::SeqCst);
    assert_eq!(next().await, Some(ServingStatus::Serving));

    let hold = lifecycle.hold_not_ready("Reconnecting");
    assert_eq!(next().await, Some(ServingStatus::NotServing));
    drop(hold);
    assert_eq!(next().await, Some(ServingStatus::Serving));

    lifecycle.mark_shutting_down();
    assert_eq!(next().await, Some(ServingStatus::NotServing));
    assert_eq!(next().await, None, "the stream ends at shutdown");
}

#[tokio::test]
async fn watch_of_an_unknown_service_says_so_and_stays_open() {
    let lifecycle = Lifecycle::new();
    let (_, addr) = server(&lifecycle, Options::DEFAULT).await;
    let mut client = client(addr).await;
    let mut stream = client
        .watch(HealthCheckRequest {
            service: "payments".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::ServiceUnknown);
    let more = tokio::time::timeout(Duration::from_millis(300), stream.message()).await;
    assert!(more.is_err(), "still open, with nothing more to say");
}

/// A Python with grpcio-health-checking, or, outside CI, `None`.
fn python_client(test: &str) -> Option<String> {
    support::python_with(
        "grpc_health.v1.health_pb2_grpc",
        "grpcio-health-checking",
        test,
    )
}

/// What Python's client reads at `addr` for each service name, a line each.
async fn python_statuses(python: &str, addr: SocketAddr) -> String {
    let script = r#"
import sys, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
for name in sys.argv[2:]:
    try:
        status = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5, wait_for_ready=True).status
        print(name or '""', health_pb2.HealthCheckResponse.ServingStatus.Name(status))
    except grpc.RpcError as error:
        print(name or '""', error.code().name)
"#;
    let output = tokio::process::Command::new(python)
        .args(["-c", script, &addr.to_string()])
        .args(["liveness", "readiness", "", "startup", "payments"])
        .output()
        .await
        .expect("run the Python client");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The database down: what every server of these tests answers then.
const DOWN: &str = "liveness SERVING\nreadiness NOT_SERVING\n\"\" NOT_SERVING\nstartup NOT_SERVING\npayments NOT_FOUND\n";

#[tokio::test]
async fn a_client_that_is_not_ours_reads_the_same_statuses() {
    let Some(python) = python_client("a_client_that_is_not_ours_reads_the_same_statuses") else {
        return;
    };
    let lifecycle = Lifecycle::new();
    let (db, addr) = server(&lifecycle, Options::DEFAULT).await;
    db.down.store(true, Ordering::SeqCst);
    assert_eq!(python_statuses(&python, addr).await, DOWN);
}

#[tokio::test]
async fn a_client_that_is_not_ours_reads_the_service_in_a_tonic_server() {
    let Some(python) =
        python_client("a_client_that_is_not_ours_reads_the_service_in_a_tonic_server")
    else {
        return;
    };
    let db = Database::default();
    let health = Healthz::new()
        .live(|| ())
        .ready(ping)
        .lifecycle(Lifecycle::new());
    let addr = SocketAddr::from(([127, 0, 0, 1], support::servers::free_port()));
    let service = health.grpc_service(Grpc::new(), db.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve(addr),
    );
    db.down.store(true, Ordering::SeqCst);
    assert_eq!(python_statuses(&python, addr).await, DOWN);
}
