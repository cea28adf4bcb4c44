//! Runs a probe's named checks concurrently and gathers what they found.

use std::borrow::Cow;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use crate::HealthError;
use crate::checks::Checks;
use crate::probe::Kind;
use crate::runner::{Stopped, bounded, stopped_error};

/// What one run of a probe found, for every answer format.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// The public title of the failure; `None` when the probe passed.
    pub(crate) title: Option<String>,
    /// One entry per check that ran; empty for a probe without checks.
    pub(crate) checks: Vec<CheckReport>,
    /// Checks skipped with `?exclude=`.
    pub(crate) excluded: Vec<Cow<'static, str>>,
    /// Names in `?exclude=` that match no check.
    pub(crate) unmatched: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct CheckReport {
    pub(crate) name: Cow<'static, str>,
    pub(crate) status: Status,
    /// The public title of the failure, for `Fail` and `Warn`.
    pub(crate) title: Option<String>,
    pub(crate) duration: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Pass,
    Fail,
    /// Failed, but the check is warning-only.
    Warn,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
        }
    }
}

/// A failure kept for the log, with the error the body does not show.
pub(crate) struct Finding {
    pub(crate) check: Option<Cow<'static, str>>,
    pub(crate) title: String,
    pub(crate) error: HealthError,
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

impl Report {
    /// The report of a probe without checks.
    pub(crate) fn single(
        kind: Kind,
        result: Result<(), HealthError>,
        selection: &Selection,
    ) -> (Report, Vec<Finding>) {
        let mut report = Report::default_for(selection, &[]);
        let mut findings = Vec::new();
        if let Err(error) = result {
            let title = title(&error, kind.name());
            report.title = Some(title.clone());
            findings.push(Finding {
                check: None,
                title,
                error,
            });
        }
        (report, findings)
    }

    fn default_for(selection: &Selection, names: &[&str]) -> Report {
        Report {
            title: None,
            checks: Vec::new(),
            excluded: Vec::new(),
            unmatched: selection
                .exclude
                .iter()
                .filter(|name| !names.contains(&name.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// Runs the selected checks concurrently, each under its own timeout
    /// (`timeout` when it sets none). `None` when `selection.only` names no
    /// check.
    pub(crate) async fn run(
        checks: Checks,
        selection: &Selection,
        timeout: Duration,
    ) -> Option<(Report, Vec<Finding>)> {
        let names: Vec<&str> = checks.names().collect();
        if (selection.only.as_ref()).is_some_and(|only| !names.contains(&only.as_str())) {
            return None;
        }
        let mut report = Report::default_for(selection, &names);
        drop(names);

        let started = Instant::now();
        let mut runs = Vec::new();
        for check in checks.entries {
            if (selection.only.as_ref()).is_some_and(|only| *only != check.name) {
                continue;
            }
            if selection.exclude.iter().any(|name| *name == check.name) {
                report.excluded.push(check.name);
                continue;
            }
            let bound = check.timeout.unwrap_or(timeout);
            runs.push(Run {
                name: check.name,
                warn_only: check.warn_only,
                bound,
                future: Box::pin(bounded(check.future, bound)),
                done: None,
            });
        }

        // Poll every unfinished check at each wake-up: a handful of checks,
        // so this is simpler than spawning and no slower.
        poll_fn(|cx| {
            let mut pending = false;
            for run in runs.iter_mut().filter(|run| run.done.is_none()) {
                match run.future.as_mut().poll(cx) {
                    Poll::Ready(result) => run.done = Some((result, started.elapsed())),
                    Poll::Pending => pending = true,
                }
            }
            if pending {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;

        let mut findings = Vec::new();
        for run in runs {
            let (result, duration) = run.done.expect("every check finished");
            let result =
                result.unwrap_or_else(|stopped| Err(stopped_error(stopped, &run.name, run.bound)));
            let (status, title) = match result {
                Ok(()) => (Status::Pass, None),
                Err(error) => {
                    let title = title(&error, &run.name);
                    findings.push(Finding {
                        check: Some(run.name.clone()),
                        title: title.clone(),
                        error,
                    });
                    (
                        if run.warn_only {
                            Status::Warn
                        } else {
                            Status::Fail
                        },
                        Some(title),
                    )
                }
            };
            report.checks.push(CheckReport {
                name: run.name,
                status,
                title,
                duration,
            });
        }

        let failed: Vec<&CheckReport> = report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .collect();
        report.title = match failed.as_slice() {
            [] => None,
            [one] => one.title.clone(),
            several => {
                let names: Vec<&str> = several.iter().map(|check| &*check.name).collect();
                Some(format!("The {} checks failed", names.join(", ")))
            }
        };
        Some((report, findings))
    }
}

/// A check's result, or why it was stopped.
type Ended = Result<Result<(), HealthError>, Stopped>;

struct Run {
    name: Cow<'static, str>,
    warn_only: bool,
    bound: Duration,
    future: Pin<Box<dyn Future<Output = Ended> + Send>>,
    done: Option<(Ended, Duration)>,
}
