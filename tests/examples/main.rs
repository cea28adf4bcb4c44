//! The examples, each run as a real process and driven as its doc comment
//! drives it, over HTTP on 127.0.0.1 (and gRPC for `grpc`), most through
//! their drain on SIGTERM too. The quickstart's shutdown is tested in
//! `lifecycle`, the metrics example in `observability`, and the status
//! page's in `status_page`.

mod actix;
mod checks;
mod consumer;
mod grpc;
mod worker;
