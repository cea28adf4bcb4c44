//! Named checks inside one probe, and the ready-made checks of
//! `healthz::deps` against real servers on 127.0.0.1: PostgreSQL, Redis,
//! TCP listeners and HTTP services.
//!
//! `named` declares this binary's attribute probes, one pair per crate; the
//! ready-made checks' tests build their apps with `Healthz`.

mod deps_redis;
mod deps_sql;
mod deps_tcp_http;
mod named;
