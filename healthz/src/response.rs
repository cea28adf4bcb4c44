//! The HTTP answers, byte for byte those of Flask-Healthz.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::json::{self, Problem};
use crate::probe::Kind;
use crate::render;
use crate::report::Report;
use crate::request::Format;
use crate::runner::Answer;

const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// `json.dumps({"status": 200, "title": "OK"})`, answered by every passing probe.
const PASSED: &[u8] = br#"{"status": 200, "title": "OK"}"#;

/// The response for a probe's answer, in the format the request asked for.
pub(crate) fn probe(kind: Kind, answer: &Answer, format: Format) -> Response {
    let report = match answer {
        Answer::Passed if format == Format::Plain => {
            return problem(StatusCode::OK, Body::from(PASSED));
        }
        Answer::Passed => &Report::default(),
        Answer::Report(report) => &**report,
    };
    let status = if report.title.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let (body, content_type) = match format {
        Format::Plain => (render::plain(report), PROBLEM_JSON),
        Format::Verbose => (render::verbose(kind, report), TEXT_PLAIN),
        Format::HealthJson => (
            render::health_json(report),
            HeaderValue::from_static(render::HEALTH_JSON),
        ),
    };
    answer_with(status, content_type, Body::from(body))
}

/// The answer for `<prefix>/<name>` when no probe has that name. The name
/// comes from the path, of any length: shortened, it keeps the body within
/// the kubelet's 10 KiB even with every character escaped.
pub(crate) fn not_setup(name: &str) -> Response {
    let name = render::shorten(name, 256);
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
    answer_with(status, PROBLEM_JSON, body)
}

fn answer_with(status: StatusCode, content_type: HeaderValue, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
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
