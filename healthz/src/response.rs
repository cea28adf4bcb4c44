//! The HTTP answers, byte for byte those of Flask-Healthz.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::json::{self, Problem};
use crate::runner::Answer;

const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `json.dumps({"status": 200, "title": "OK"})`, answered by every passing probe.
const PASSED: &[u8] = br#"{"status": 200, "title": "OK"}"#;

/// The response for a probe's answer.
pub(crate) fn probe(answer: &Answer) -> Response {
    match answer {
        Answer::Passed => problem(StatusCode::OK, Body::from(PASSED)),
        Answer::Failed(body) => problem(StatusCode::SERVICE_UNAVAILABLE, Body::from(body.clone())),
    }
}

/// The body of a failed probe.
pub(crate) fn failure_body(title: &str) -> Bytes {
    Bytes::from(json::to_vec(&Problem { status: 503, title }))
}

/// The answer for `<prefix>/<name>` when no probe has that name.
pub(crate) fn not_setup(name: &str) -> Response {
    failed(
        StatusCode::NOT_FOUND,
        &format!("The {name} check endpoint is not setup"),
    )
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
