//! What a probe request asks for, beyond the probe itself.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query};
use axum::http::Uri;
use axum::http::header::ACCEPT;
use axum::http::request::Parts;

use crate::format::HEALTH_JSON;
use crate::report::Selection;

/// The format of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Flask-Healthz's `application/problem+json`.
    Plain,
    /// `?verbose`: Kubernetes-style text.
    Verbose,
    /// `Accept: application/health+json`.
    HealthJson,
}

/// The path's last segment, as axum decoded it; or, where it is not
/// UTF-8 once decoded (`%FF`), decoded with replacement characters, so that
/// it names no check and is answered 404 like any unknown name, not 400.
pub(crate) fn segment(decoded: Result<Path<String>, PathRejection>, uri: &Uri) -> String {
    if let Ok(Path(segment)) = decoded {
        return segment;
    }
    let raw = uri.path().rsplit('/').next().unwrap_or_default().as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        let hex = |byte: u8| (byte as char).to_digit(16);
        if let [b'%', high, low, ..] = raw[at..] {
            if let (Some(high), Some(low)) = (hex(high), hex(low)) {
                // Two hex digits: below 256.
                bytes.push((high * 16 + low) as u8);
                at += 3;
                continue;
            }
        }
        bytes.push(raw[at]);
        at += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads `?verbose`, `?exclude=<name>` (repeatable) and the `Accept` header.
pub(crate) fn read(parts: &Parts) -> (Format, Selection) {
    let mut verbose = false;
    let mut selection = Selection::default();
    if parts.uri.query().is_some() {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).unwrap_or_default();
        for (key, value) in pairs {
            match key.as_str() {
                "verbose" => verbose = true,
                "exclude" => selection.exclude.push(value),
                _ => {}
            }
        }
    }
    let format = if verbose {
        Format::Verbose
    } else if accepts_health_json(parts) {
        Format::HealthJson
    } else {
        Format::Plain
    };
    (format, selection)
}

/// Whether `Accept` lists `application/health+json` with a weight above
/// zero (`;q=0` means "not acceptable").
fn accepts_health_json(parts: &Parts) -> bool {
    (parts.headers.get_all(ACCEPT).iter())
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut params = range.split(';').map(str::trim);
            let media = params.next().unwrap_or_default();
            let refused = params.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case(HEALTH_JSON) && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(uri: &str, accept: Option<&str>) -> Parts {
        let mut request = Request::get(uri);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn reads_verbose_and_repeated_excludes() {
        let (format, selection) = read(&parts(
            "/healthz/ready?verbose&exclude=db&exclude=caf%C3%A9",
            None,
        ));
        assert_eq!(format, Format::Verbose);
        assert_eq!(selection.exclude, ["db", "caf\u{e9}"]);
    }

    #[test]
    fn negotiates_health_json() {
        let (format, _) = read(&parts(
            "/",
            Some("text/html, application/health+json;q=0.9"),
        ));
        assert_eq!(format, Format::HealthJson);
        let (format, _) = read(&parts("/", Some("application/json")));
        assert_eq!(format, Format::Plain);
        let (format, _) = read(&parts("/", Some("application/health+json;q=0")));
        assert_eq!(format, Format::Plain);
    }
}
