//! A probe's named checks, run concurrently, each bounded by its own
//! timeout and the probe's deadline.

use std::borrow::Cow;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument, Span};

use crate::HealthError;
use crate::base::checks::Checks;
use crate::observe;
use crate::report::{Cause, CheckReport, Failure, Report, Status, title, verdict};
use crate::run::bounded::{Stopped, bounded, stopped_error};

/// Runs every check concurrently, each until its own timeout or the
/// probe's `deadline` (`timeout` after the probe started), whichever
/// comes first.
pub(crate) async fn run(
    checks: Checks,
    deadline: Instant,
    timeout: Duration,
) -> (Report, Vec<Failure>) {
    let started = Instant::now();
    let mut runs: Vec<Run> = checks
        .entries
        .into_iter()
        .map(|check| {
            // The title names the limit that applies, not the time left
            // at the start, so that it reads the same at every run.
            let (until, bound) = match check.timeout {
                Some(own) if started + own < deadline => (started + own, own),
                _ => (deadline, timeout),
            };
            let span = observe::check_span(&check.name);
            Run {
                future: Box::pin(bounded(check.future, until).instrument(span.clone())),
                name: check.name,
                warn_only: check.warn_only,
                bound,
                span,
                done: None,
            }
        })
        .collect();

    // Poll every unfinished check at each wake-up: a handful of checks,
    // so this is simpler than spawning them, and no slower.
    poll_fn(|cx| {
        let mut pending = false;
        for run in runs.iter_mut().filter(|run| run.done.is_none()) {
            match run.future.as_mut().poll(cx) {
                Poll::Ready(result) => {
                    let duration = started.elapsed();
                    let cause = cause(&result);
                    observe::check_ended(&run.span, run.warn_only, cause, duration);
                    run.done = Some((result, duration));
                }
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

    let mut report = Report::default();
    let mut failures = Vec::new();
    for run in runs {
        let (result, duration) = run.done.expect("every check finished");
        let cause = cause(&result).unwrap_or(Cause::Failed);
        let result =
            result.unwrap_or_else(|stopped| Err(stopped_error(stopped, &run.name, run.bound)));
        let (status, title) = match result {
            Ok(()) => (Status::Pass, None),
            Err(error) => {
                let title = title(&error, &run.name);
                let warn_only = run.warn_only || error.is_warn_only();
                failures.push(Failure {
                    check: Some(run.name.clone()),
                    error,
                    warn_only,
                    cause,
                });
                (
                    if warn_only {
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
            duration: Some(duration),
        });
    }
    report.title = verdict(&report.checks);
    (report, failures)
}

/// A check's result, or why it was stopped.
type Checked = Result<Result<(), HealthError>, Stopped>;

/// Why a check failed; `None` when it passed.
fn cause(checked: &Checked) -> Option<Cause> {
    match checked {
        Ok(Ok(())) => None,
        Ok(Err(_)) => Some(Cause::Failed),
        Err(stopped) => Some(stopped.cause()),
    }
}

struct Run {
    name: Cow<'static, str>,
    warn_only: bool,
    /// How long it was allowed, for the title if it runs out.
    bound: Duration,
    future: Pin<Box<dyn Future<Output = Checked> + Send>>,
    span: Span,
    done: Option<(Checked, Duration)>,
}
