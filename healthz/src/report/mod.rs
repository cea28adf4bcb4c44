//! What one run of a probe found, for every reader, and how a request's
//! selection (`?exclude=`, `/<probe>/<check>`) narrows it. It depends on
//! `base` alone.

use std::borrow::Cow;
use std::time::Duration;

use crate::HealthError;
use crate::base::kind::Probe;
pub(crate) use crate::base::status::Status;

/// What one run of a probe found, for every answer format.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    /// The public title of the failure; `None` when the probe passed.
    pub(crate) title: Option<String>,
    /// One entry per check; empty for a probe without checks.
    pub(crate) checks: Vec<CheckReport>,
    /// Checks left out of this answer with `?exclude=`.
    pub(crate) excluded: Vec<Cow<'static, str>>,
    /// Names in `?exclude=` that match no check.
    pub(crate) unmatched: Vec<String>,
    /// Whether the probe failed before it could name its checks, if it has
    /// any: it timed out, panicked, or its arguments could not be extracted.
    pub(crate) stopped_early: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct CheckReport {
    pub(crate) name: Cow<'static, str>,
    pub(crate) status: Status,
    /// The public title of the failure, for `Fail` and `Warn`.
    pub(crate) title: Option<String>,
    /// How long the check ran; `None` for what the app reports of itself
    /// (a heartbeat, a hold), which does not run.
    pub(crate) duration: Option<Duration>,
}

/// A failure kept for the log, with the error the body does not show.
pub(crate) struct Failure {
    /// The check that failed; `None` for the probe itself.
    pub(crate) check: Option<Cow<'static, str>>,
    pub(crate) error: HealthError,
    pub(crate) warn_only: bool,
    pub(crate) cause: Cause,
}

/// Why a check failed, which the title alone does not tell metrics and
/// spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// It returned a failure.
    Failed,
    TimedOut,
    Panicked,
}

/// Which checks a request asks for.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub(crate) exclude: Vec<String>,
    pub(crate) only: Option<String>,
}

impl Selection {
    pub(crate) fn is_all(&self) -> bool {
        self.exclude.is_empty() && self.only.is_none()
    }
}

/// The title a failure answers with: its reason, or a fixed one.
pub(crate) fn title(error: &HealthError, name: &str) -> String {
    match error.reason() {
        Some(reason) => reason.to_owned(),
        None => format!("The {name} check failed"),
    }
}

/// The probe's title for these checks: `None` unless one that is not
/// warning-only failed.
pub(crate) fn verdict(checks: &[CheckReport]) -> Option<String> {
    let failed: Vec<&CheckReport> = checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .collect();
    match failed.as_slice() {
        [] => None,
        [one] => one.title.clone(),
        several => {
            let names: Vec<&str> = several.iter().map(|check| &*check.name).collect();
            Some(format!("The {} checks failed", names.join(", ")))
        }
    }
}

impl Report {
    /// How the probe answers as a whole: failed, warned by a warning-only
    /// check, or passed.
    pub(crate) fn status(&self) -> Status {
        if self.title.is_some() {
            Status::Fail
        } else if (self.checks.iter()).any(|check| check.status == Status::Warn) {
            Status::Warn
        } else {
            Status::Pass
        }
    }

    /// The report of a probe that answered without checks.
    /// A warning passes it, and is only logged.
    pub(crate) fn single(kind: Probe, result: Result<(), HealthError>) -> (Report, Vec<Failure>) {
        match result {
            Ok(()) => (Report::default(), Vec::new()),
            Err(error) if error.is_warn_only() => (
                Report::default(),
                vec![Failure {
                    check: None,
                    error,
                    warn_only: true,
                    cause: Cause::Failed,
                }],
            ),
            Err(error) => {
                let report = Report {
                    title: Some(title(&error, kind.as_str())),
                    ..Report::default()
                };
                (
                    report,
                    vec![Failure {
                        check: None,
                        error,
                        warn_only: false,
                        cause: Cause::Failed,
                    }],
                )
            }
        }
    }

    /// The report of a probe that failed before it could name its checks.
    pub(crate) fn stopped_early(
        kind: Probe,
        error: HealthError,
        cause: Cause,
    ) -> (Report, Vec<Failure>) {
        let (mut report, mut failures) = Report::single(kind, Err(error));
        report.stopped_early = true;
        for failure in &mut failures {
            failure.cause = cause;
        }
        (report, failures)
    }

    /// This report with its names and titles withheld: its verdict alone,
    /// under the fixed title of its probe.
    pub(crate) fn withheld(&self, kind: Probe) -> Report {
        Report {
            title: (self.title.as_ref()).map(|_| format!("The {} check failed", kind.as_str())),
            ..Report::default()
        }
    }

    /// This report with the app's own signals (heartbeats, holds) listed
    /// beside its checks. A probe without checks is listed as one, under
    /// its own name, so that its verdict stays in view.
    pub(crate) fn with_signals(mut self, kind: Probe, signals: Vec<CheckReport>) -> Report {
        if signals.is_empty() {
            return self;
        }
        if self.checks.is_empty() && self.excluded.is_empty() {
            self.checks.push(CheckReport {
                name: Cow::Borrowed(kind.as_str()),
                status: self.status(),
                title: self.title.clone(),
                duration: None,
            });
        }
        self.checks.extend(signals);
        self
    }

    /// The part of this report a request selected. `None` when it asks for
    /// one check by a name the probe does not have.
    ///
    /// A probe that failed before it named its checks answers its failure
    /// to every selection: which checks it has is unknown.
    pub(crate) fn select(&self, selection: &Selection) -> Option<Report> {
        if self.checks.is_empty() {
            if selection.only.is_some() && !self.stopped_early {
                return None;
            }
            let unmatched = selection.exclude.clone();
            return Some(Report {
                title: self.title.clone(),
                unmatched,
                ..Report::default()
            });
        }
        let mut selected = Report::default();
        if let Some(only) = &selection.only {
            let check = self.checks.iter().find(|check| check.name == *only)?;
            selected.checks.push(check.clone());
        } else {
            for check in &self.checks {
                if selection.exclude.iter().any(|name| *name == check.name) {
                    selected.excluded.push(check.name.clone());
                } else {
                    selected.checks.push(check.clone());
                }
            }
            selected.unmatched = (selection.exclude.iter())
                .filter(|name| !self.checks.iter().any(|check| check.name == **name))
                .cloned()
                .collect();
        }
        selected.title = verdict(&selected.checks);
        Some(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, status: Status) -> CheckReport {
        let title = (status != Status::Pass).then(|| format!("{name} is down"));
        CheckReport {
            name: name.into(),
            status,
            title,
            duration: Some(Duration::ZERO),
        }
    }

    fn report(checks: Vec<CheckReport>) -> Report {
        Report {
            title: verdict(&checks),
            checks,
            ..Report::default()
        }
    }

    fn exclude(names: &[&str]) -> Selection {
        Selection {
            exclude: names.iter().map(|name| name.to_string()).collect(),
            only: None,
        }
    }

    #[test]
    fn excluding_a_failing_check_passes_the_probe() {
        let full = report(vec![
            check("db", Status::Fail),
            check("cache", Status::Pass),
        ]);
        assert_eq!(full.title.as_deref(), Some("db is down"));
        let selected = full.select(&exclude(&["db", "nope"])).unwrap();
        assert_eq!(selected.title, None);
        assert_eq!(selected.excluded, ["db"]);
        assert_eq!(selected.unmatched, ["nope"]);
        assert_eq!(selected.checks.len(), 1);
    }

    #[test]
    fn one_check_alone_answers_for_itself() {
        let full = report(vec![
            check("db", Status::Fail),
            check("search", Status::Warn),
        ]);
        let only = |name: &str| Selection {
            exclude: Vec::new(),
            only: Some(name.to_owned()),
        };
        assert_eq!(
            full.select(&only("db")).unwrap().title.as_deref(),
            Some("db is down")
        );
        assert_eq!(full.select(&only("search")).unwrap().title, None);
        assert!(full.select(&only("nope")).is_none());
    }

    #[test]
    fn a_probe_without_checks_has_no_check_endpoints() {
        let only = Selection {
            exclude: Vec::new(),
            only: Some("db".to_owned()),
        };
        let (passed, _) = Report::single(Probe::Ready, Ok(()));
        assert!(passed.select(&only).is_none());
        let (failed, _) = Report::single(Probe::Ready, Err(HealthError::new("Down")));
        assert!(failed.select(&only).is_none());
    }

    #[test]
    fn a_probe_stopped_before_naming_its_checks_answers_every_check_endpoint() {
        let only = Selection {
            exclude: Vec::new(),
            only: Some("db".to_owned()),
        };
        let (stopped, _) = Report::stopped_early(
            Probe::Ready,
            HealthError::new("The ready check timed out after 900ms"),
            Cause::TimedOut,
        );
        assert_eq!(stopped.select(&only).unwrap().title, stopped.title);
    }

    #[test]
    fn a_warning_does_not_fail_the_probe() {
        let (report, failures) = Report::single(
            Probe::Ready,
            Err(HealthError::new("Pool saturated").warn_only()),
        );
        assert_eq!(report.title, None);
        assert!(failures[0].warn_only, "it is still logged, as a warning");
    }

    #[test]
    fn several_failures_are_named_together() {
        let full = report(vec![
            check("db", Status::Fail),
            check("cache", Status::Fail),
            check("x", Status::Warn),
        ]);
        assert_eq!(full.title.as_deref(), Some("The db, cache checks failed"));
    }
}
