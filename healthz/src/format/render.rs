//! The bodies of a probe's answer, in each format a client can ask for.
//!
//! Every body stays under [`MAX_BODY`], the most the kubelet reads: long
//! reasons are shortened, and if that is not enough, check details go.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};

use crate::base::kind::Probe;
use crate::format::json;
use crate::report::{CheckReport, Report, Status};

/// The kubelet reads at most 10 KiB of a probe's body.
pub(crate) const MAX_BODY: usize = 10 * 1024;

/// How many unmatched `?exclude=` names the verbose answer lists.
const UNMATCHED_SHOWN: usize = 10;

/// How much of the reasons a body may show.
#[derive(Clone, Copy)]
struct Limit {
    /// The most characters of any one title.
    title: usize,
    /// Whether each check is listed.
    checks: bool,
}

/// From the whole report down to a body that always fits.
const LIMITS: [Limit; 4] = [
    Limit {
        title: usize::MAX,
        checks: true,
    },
    Limit {
        title: 256,
        checks: true,
    },
    Limit {
        title: 32,
        checks: true,
    },
    Limit {
        title: 32,
        checks: false,
    },
];

fn fitting(render: impl Fn(Limit) -> Vec<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    for limit in LIMITS {
        body = render(limit);
        if body.len() <= MAX_BODY {
            break;
        }
    }
    body
}

/// `text` cut to `max` characters, with `…` when it was longer.
pub(crate) fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}\u{2026}", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// The Flask-Healthz body, `{"status": ..., "title": ...}`, followed by a
/// `checks` object when the probe has named checks.
pub(crate) fn plain(report: &Report) -> Vec<u8> {
    fitting(|limit| json::to_vec(&Plain { report, limit }))
}

struct Plain<'a> {
    report: &'a Report,
    limit: Limit,
}

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Plain { report, limit } = *self;
        let with_checks = limit.checks && !report.checks.is_empty();
        let mut body = serializer.serialize_struct("Problem", 3)?;
        body.serialize_field(
            "status",
            &if report.status().is_passed() {
                200
            } else {
                503
            },
        )?;
        body.serialize_field(
            "title",
            &shorten(report.title.as_deref().unwrap_or("OK"), limit.title),
        )?;
        if with_checks {
            body.serialize_field(
                "checks",
                &PlainChecks {
                    checks: &report.checks,
                    limit,
                },
            )?;
        }
        body.end()
    }
}

struct PlainChecks<'a> {
    checks: &'a [CheckReport],
    limit: Limit,
}

impl Serialize for PlainChecks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.checks.len()))?;
        for check in self.checks {
            map.serialize_entry(
                &*check.name,
                &PlainCheck {
                    check,
                    limit: self.limit,
                },
            )?;
        }
        map.end()
    }
}

struct PlainCheck<'a> {
    check: &'a CheckReport,
    limit: Limit,
}

impl Serialize for PlainCheck<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let check = self.check;
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("status", check.status.as_str())?;
        body.serialize_entry(
            "title",
            &shorten(check.title.as_deref().unwrap_or("OK"), self.limit.title),
        )?;
        if let Some(millis) = duration_ms(check) {
            body.serialize_entry("duration_ms", &millis)?;
        }
        body.end()
    }
}

fn duration_ms(check: &CheckReport) -> Option<u64> {
    let duration = check.duration?;
    Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// Kubernetes-style text for `?verbose`: a line per check, a line saying
/// how old a stale answer is, then a verdict.
pub(crate) fn verbose(kind: Probe, report: &Report, stale: Option<Duration>) -> Vec<u8> {
    fitting(|limit| verbose_text(kind, report, stale, limit).into_bytes())
}

fn verbose_text(kind: Probe, report: &Report, stale: Option<Duration>, limit: Limit) -> String {
    let mut text = String::new();
    let name = kind.as_str();
    if !limit.checks || (report.checks.is_empty() && report.excluded.is_empty()) {
        match &report.title {
            None => writeln!(text, "[+]{name} ok"),
            Some(title) => writeln!(text, "[-]{name} failed: {}", shorten(title, limit.title)),
        }
        .expect("writing to a String");
    }
    if limit.checks {
        for check in &report.checks {
            let title = shorten(check.title.as_deref().unwrap_or(""), limit.title);
            match check.status {
                Status::Pass => writeln!(text, "[+]{} ok", check.name),
                Status::Fail => writeln!(text, "[-]{} failed: {title}", check.name),
                Status::Warn => writeln!(text, "[!]{} warning: {title}", check.name),
            }
            .expect("writing to a String");
        }
        for excluded in &report.excluded {
            writeln!(text, "[+]{excluded} excluded: ok").expect("writing to a String");
        }
    }
    if limit.checks && !report.unmatched.is_empty() {
        // Names come from the query string: list a few, count the rest.
        let shown: Vec<String> = (report.unmatched.iter().take(UNMATCHED_SHOWN))
            .map(|name| format!("{:?}", shorten(name, limit.title)))
            .collect();
        let more = report.unmatched.len().saturating_sub(UNMATCHED_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(
            text,
            "warn: some health checks cannot be excluded: no matches for {}{more}",
            shown.join(",")
        )
        .expect("writing to a String");
    }
    if let Some(age) = stale {
        writeln!(
            text,
            "stale: this answer is {} old, a run refreshing it is under way",
            Age(age)
        )
        .expect("writing to a String");
    }
    let verdict = if report.status().is_passed() {
        "passed"
    } else {
        "failed"
    };
    writeln!(text, "{name} check {verdict}").expect("writing to a String");
    text
}

/// An age in whole seconds, or milliseconds under a second.
struct Age(Duration);

impl std::fmt::Display for Age {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_secs() {
            0 => write!(f, "{}ms", self.0.as_millis()),
            secs => write!(f, "{secs}s"),
        }
    }
}

/// The body in the IETF health check response format.
pub(crate) fn health_json(report: &Report) -> Vec<u8> {
    fitting(|limit| json::to_vec(&HealthJson { report, limit }))
}

struct HealthJson<'a> {
    report: &'a Report,
    limit: Limit,
}

impl Serialize for HealthJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let HealthJson { report, limit } = *self;
        let warned = report
            .checks
            .iter()
            .any(|check| check.status == Status::Warn);
        let status = match (&report.title, warned) {
            (Some(_), _) => Status::Fail,
            (None, true) => Status::Warn,
            (None, false) => Status::Pass,
        };
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("status", status.as_str())?;
        if let Some(title) = &report.title {
            body.serialize_entry("output", &shorten(title, limit.title))?;
        }
        if limit.checks && !report.checks.is_empty() {
            body.serialize_entry(
                "checks",
                &HealthJsonChecks {
                    checks: &report.checks,
                    limit,
                },
            )?;
        }
        body.end()
    }
}

struct HealthJsonChecks<'a> {
    checks: &'a [CheckReport],
    limit: Limit,
}

impl Serialize for HealthJsonChecks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.checks.len()))?;
        for check in self.checks {
            // A signal of the app's own is a component without a
            // measurement.
            let key = match check.duration {
                Some(_) => format!("{}:responseTime", check.name),
                None => check.name.to_string(),
            };
            map.serialize_entry(
                &key,
                &[HealthJsonCheck {
                    check,
                    limit: self.limit,
                }],
            )?;
        }
        map.end()
    }
}

struct HealthJsonCheck<'a> {
    check: &'a CheckReport,
    limit: Limit,
}

impl Serialize for HealthJsonCheck<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let check = self.check;
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("status", check.status.as_str())?;
        if let Some(millis) = duration_ms(check) {
            body.serialize_entry("observedValue", &millis)?;
            body.serialize_entry("observedUnit", "ms")?;
        }
        if let Some(title) = &check.title {
            body.serialize_entry("output", &shorten(title, self.limit.title))?;
        }
        body.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, status: Status, title: Option<&str>, millis: u64) -> CheckReport {
        CheckReport {
            name: name.into(),
            status,
            title: title.map(str::to_owned),
            duration: Some(Duration::from_millis(millis)),
        }
    }

    fn report(title: Option<&str>, checks: Vec<CheckReport>) -> Report {
        Report {
            title: title.map(str::to_owned),
            checks,
            ..Report::default()
        }
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn plain_body_keeps_flask_keys_first_then_checks() {
        let report = report(
            Some("Can't connect"),
            vec![
                check("database", Status::Fail, Some("Can't connect"), 12),
                check("cache", Status::Pass, None, 3),
            ],
        );
        assert_eq!(
            text(plain(&report)),
            r#"{"status": 503, "title": "Can't connect", "checks": {"database": {"status": "fail", "title": "Can't connect", "duration_ms": 12}, "cache": {"status": "pass", "title": "OK", "duration_ms": 3}}}"#
        );
    }

    #[test]
    fn verbose_lists_each_check_then_the_verdict() {
        let mut report = report(
            Some("The database check failed"),
            vec![
                check(
                    "database",
                    Status::Fail,
                    Some("The database check failed"),
                    1,
                ),
                check("cache", Status::Pass, None, 1),
                check("search", Status::Warn, Some("Slow"), 1),
            ],
        );
        report.excluded.push("payments".into());
        report.unmatched.push("nope".into());
        assert_eq!(
            text(verbose(Probe::Ready, &report, None)),
            "[-]database failed: The database check failed\n[+]cache ok\n[!]search warning: Slow\n\
             [+]payments excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\n\
             ready check failed\n"
        );
    }

    #[test]
    fn health_json_follows_the_draft() {
        let report = report(None, vec![check("cache", Status::Warn, Some("Slow"), 7)]);
        assert_eq!(
            text(health_json(&report)),
            r#"{"status": "warn", "checks": {"cache:responseTime": [{"status": "warn", "observedValue": 7, "observedUnit": "ms", "output": "Slow"}]}}"#
        );
    }

    #[test]
    fn bodies_stay_under_the_kubelet_limit() {
        let huge = "\u{1f4a5}".repeat(5_000);
        let many = (0..400)
            .map(|_| check("dependency", Status::Fail, Some(&huge), 1))
            .collect();
        let report = report(Some(&huge), many);
        for body in [
            plain(&report),
            verbose(Probe::Ready, &report, None),
            health_json(&report),
        ] {
            assert!(body.len() <= MAX_BODY, "{} bytes", body.len());
            assert!(body.len() > 100, "the verdict is still there");
        }
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("h\u{e9}llo", 2), "h\u{e9}\u{2026}");
        assert_eq!(shorten("hi", 2), "hi");
    }
}
