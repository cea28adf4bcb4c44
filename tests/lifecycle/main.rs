//! What the app says of itself, and how it ends: startup, readiness holds,
//! heartbeats and the broken switch over HTTP, a stalled loop seen by HTTP
//! and gRPC `Watch` without a request, and the shutdown of real processes
//! receiving real signals.
//!
//! `process_wide` alone uses `healthz::lifecycle()`, the process's own, which
//! a shutdown ends for good, with the attribute probes it gates (one pair
//! per crate); every other test makes a lifecycle of its own, or runs a
//! process.

mod process_wide;
mod shutdown;
mod signals;
mod stalled_heartbeat;
mod unawaited_shutdown;
