//! The HTTP answers, byte for byte those of Flask-Healthz.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::HealthError;
use crate::json::{self, Problem};
use crate::probe::Kind;

const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `json.dumps({"status": 200, "title": "OK"})`, answered by every passing probe.
const PASSED: &[u8] = br#"{"status": 200, "title": "OK"}"#;

/// The answer to one run of a probe.
pub(crate) fn probe(kind: Kind, result: Result<(), HealthError>) -> Response {
    match result {
        Ok(()) => problem(StatusCode::OK, Body::from(PASSED)),
        Err(error) => {
            tracing::warn!(probe = kind.name(), error = %error, "health check failed");
            let title = match error.reason() {
                Some(reason) => Cow::Borrowed(reason),
                None => Cow::Owned(format!("The {} check failed", kind.name())),
            };
            failed(StatusCode::SERVICE_UNAVAILABLE, &title)
        }
    }
}

/// The answer for `<prefix>/<name>` when no probe has that name.
pub(crate) fn not_setup(name: &str) -> Response {
    failed(
        StatusCode::NOT_FOUND,
        &format!("The {name} check endpoint is not setup"),
    )
}

/// The answer of an endpoint held closed by the app's lifecycle.
pub(crate) fn unavailable(title: &str) -> Response {
    failed(StatusCode::SERVICE_UNAVAILABLE, title)
}

fn failed(status: StatusCode, title: &str) -> Response {
    let body = json::to_vec(&Problem {
        status: status.as_u16(),
        title,
    });
    problem(status, Body::from(body))
}

fn problem(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, PROBLEM_JSON);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_body_is_what_the_serializer_writes() {
        assert_eq!(
            PASSED,
            json::to_vec(&Problem {
                status: 200,
                title: "OK"
            })
        );
    }
}
