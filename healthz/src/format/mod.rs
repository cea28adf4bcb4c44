//! The bodies of a probe's answer, each format byte for byte, with no axum
//! in sight: Python's `json.dumps` spacing for Flask-Healthz's
//! problem+json, Kubernetes' verbose text, and the IETF health+json. It
//! depends on `base` and `report`.

pub(crate) mod json;
pub(crate) mod render;

/// Flask-Healthz's media type, RFC 7807's.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// The media type of the IETF draft "Health Check Response Format for HTTP
/// APIs".
pub(crate) const HEALTH_JSON: &str = "application/health+json";

/// The `?verbose` text's.
pub(crate) const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
