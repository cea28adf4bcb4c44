//! What the probe endpoints answer, over real HTTP on 127.0.0.1: each
//! answer byte for byte, properties of the answers to generated requests,
//! the runs behind them and a stress test of those, the probes on a port of
//! their own, and the error types a probe may return.
//!
//! `endpoints` declares this binary's attribute probes, one pair per crate;
//! the other tests build their apps with `Healthz`.

mod endpoints;
mod error_types;
mod own_port;
mod properties;
mod runs;
mod stress;
