//! The status page of `healthz::ui`: its routes over HTTP (the page's first
//! paint, the history as JSON, the event stream, and who may see their
//! details), and the page of `examples/status.rs` in a real browser.

mod browser;
mod routes;
