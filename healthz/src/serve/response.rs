//! The HTTP answers, byte for byte those of Flask-Healthz.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::base::kind::Probe;
use crate::format;
use crate::format::json::{self, Problem};
use crate::format::render;
use crate::report::Report;
use crate::run::Answer;
use crate::serve::request::Format;

const PROBLEM_JSON: HeaderValue = HeaderValue::from_static(format::PROBLEM_JSON);
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static(format::TEXT_PLAIN);
const HEALTH_JSON: HeaderValue = HeaderValue::from_static(format::HEALTH_JSON);

/// The response for a whole answer in Flask-Healthz's format, from the
/// bytes its run rendered.
pub(crate) fn rendered(answer: &Answer) -> Response {
    problem(status(answer.passed()), Body::from(answer.plain.clone()))
}

/// The response for a report, rendered in the format the request asked
/// for; `stale` is the answer's age when it is served while refreshed.
pub(crate) fn probe(
    kind: Probe,
    report: &Report,
    format: Format,
    stale: Option<Duration>,
) -> Response {
    let (body, content_type) = match format {
        Format::Plain => (render::plain(report), PROBLEM_JSON),
        Format::Verbose => (render::verbose(kind, report, stale), TEXT_PLAIN),
        Format::HealthJson => (render::health_json(report), HEALTH_JSON),
    };
    answer_with(
        status(report.status().is_passed()),
        content_type,
        Body::from(body),
    )
}

fn status(passed: bool) -> StatusCode {
    if passed {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
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
