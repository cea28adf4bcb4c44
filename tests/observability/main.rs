//! What healthz tells of its probes besides their answers: the log, the
//! spans, the metrics (those of the metrics example, run as a process), and
//! the app's view of its health, now and over time.
//!
//! `logging` declares this binary's attribute probes, one pair per crate;
//! the other tests build their apps with `Healthz`.

mod health_view;
mod history;
mod logging;
#[cfg(feature = "metrics")]
mod metrics;
mod spans;
