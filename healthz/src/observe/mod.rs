//! Where a probe's runs are reported: the log, the run's span, and with the
//! `metrics` feature, metrics. The runner calls [`Observer::run_finished`]
//! once per run, so a request that shares a run under way or is served a
//! cached answer records nothing.
//!
//! Spans go through `tracing` as logs do, and cost a check of the
//! subscriber's interest when nobody listens. Metrics are compiled only with
//! their feature; without it, [`metrics`] is a stand-in of empty functions,
//! so the runner reads the same either way. It depends on `base` and
//! `report`.

use std::borrow::Cow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tracing::Span;
use tracing::field::Empty;

use crate::base::kind::Kind;
use crate::base::sync::lock;
use crate::report::{Cause, Finding, Report, Status};

#[cfg(feature = "metrics")]
mod metrics;

/// Without the `metrics` feature: nothing recorded, nothing stored.
#[cfg(not(feature = "metrics"))]
mod metrics {
    use super::{Kind, RunRecord};

    #[derive(Default)]
    pub(super) struct Answers;

    impl Answers {
        #[inline(always)]
        pub(super) fn answered(&self, _: Kind, _: bool) {}
    }

    #[inline(always)]
    pub(super) fn run_finished(_: Kind, _: &RunRecord<'_>) {}
}

/// How a run of a probe, or of one of its named checks, ended: the `result`
/// label of the run counters and the `result` field of the spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    /// Failed, but warning-only: it counts as passing.
    Warn,
    Fail,
    Timeout,
    Panic,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Timeout => "timeout",
            Outcome::Panic => "panic",
        }
    }

    /// A check's outcome from its status and why it failed.
    fn of_check(status: Status, cause: Option<Cause>) -> Outcome {
        match (status, cause) {
            (Status::Pass, _) => Outcome::Pass,
            (_, Some(Cause::TimedOut)) => Outcome::Timeout,
            (_, Some(Cause::Panicked)) => Outcome::Panic,
            (Status::Warn, _) => Outcome::Warn,
            (Status::Fail, _) => Outcome::Fail,
        }
    }
}

/// One finished run whose answer became the probe's state.
pub(crate) struct RunRecord<'a> {
    pub(crate) report: &'a Report,
    pub(crate) findings: &'a [Finding],
    /// From the call of the probe function to the end of its last check.
    pub(crate) duration: Duration,
    /// The run's span, made by [`Observer::run_span`].
    pub(crate) span: &'a Span,
}

impl RunRecord<'_> {
    /// The probe's outcome. A probe with named checks passes, warns or
    /// fails by them; one that timed out or panicked says so only when the
    /// probe function itself did, before naming checks.
    pub(crate) fn outcome(&self) -> Outcome {
        if self.report.title.is_none() {
            let warned = (self.report.checks.iter()).any(|check| check.status == Status::Warn);
            return if warned { Outcome::Warn } else { Outcome::Pass };
        }
        match self.probe_cause() {
            Some(Cause::TimedOut) => Outcome::Timeout,
            Some(Cause::Panicked) => Outcome::Panic,
            _ => Outcome::Fail,
        }
    }

    fn probe_cause(&self) -> Option<Cause> {
        (self.findings.iter())
            .find(|finding| finding.check.is_none())
            .map(|finding| finding.cause)
    }
}

/// A runner's observer: what it needs to report runs between them.
pub(crate) struct Observer {
    kind: Kind,
    /// What is failing now, by check, with the full error text: a failure
    /// is logged when it starts or changes, not at each run.
    failing: Mutex<Vec<(Option<Cow<'static, str>>, String)>>,
    /// Whether `failing` has anything, so that a passing run after a
    /// passing run takes no lock.
    any_failing: AtomicBool,
    answers: metrics::Answers,
}

impl Observer {
    pub(crate) fn new(kind: Kind) -> Self {
        Observer {
            kind,
            failing: Mutex::new(Vec::new()),
            any_failing: AtomicBool::new(false),
            answers: Default::default(),
        }
    }

    /// The span of a run about to start, made in the context of the
    /// request that starts it.
    ///
    /// A run is shared by every request that arrives while it runs, and
    /// may outlive the one that started it, so it is no request's child: it
    /// has no parent and follows from the leading request's span.
    pub(crate) fn run_span(&self) -> Span {
        if !tracing::level_enabled!(tracing::Level::DEBUG) {
            // What a disabled span costs to make and drop, no more.
            return Span::none();
        }
        let span = tracing::debug_span!(
            parent: None,
            "healthz.probe",
            probe = self.kind.name(),
            result = Empty,
            duration_ms = Empty,
        );
        // Looking up the request's span costs a thread-local access: only
        // for a span someone records.
        if !span.is_disabled() {
            span.follows_from(Span::current());
        }
        span
    }

    /// Reports a run whose answer is now the probe's state.
    pub(crate) fn run_finished(&self, record: &RunRecord<'_>) {
        // Failures are logged in the run's span, which names the probe; a
        // span no one records is not even entered.
        let _entered = (!record.span.is_disabled()).then(|| {
            record.span.record("result", record.outcome().as_str());
            record.span.record("duration_ms", millis(record.duration));
            record.span.enter()
        });
        self.log(record.findings);
        metrics::run_finished(self.kind, record);
    }

    /// Logs a request whose probe arguments could not be extracted, at each
    /// such request: a missing layer fails every probe, and must not fail
    /// them silently. The probe's state is left alone.
    pub(crate) fn arguments_rejected(&self, findings: &[Finding]) {
        for finding in findings {
            let (probe, error) = (self.kind.name(), &finding.error);
            tracing::warn!(probe, %error, "health check arguments rejected");
        }
    }

    /// Notes the verdict of an answer an endpoint gave, `kind` naming the
    /// endpoint (the startup endpoint runs the liveness probe). Called at
    /// each request, so it records only when the verdict changes.
    #[inline]
    pub(crate) fn answered(&self, kind: Kind, passed: bool) {
        self.answers.answered(kind, passed);
    }

    /// Logs each failure that started or changed since the previous run,
    /// and each recovery.
    fn log(&self, findings: &[Finding]) {
        if findings.is_empty() && !self.any_failing.load(Ordering::Relaxed) {
            return;
        }
        self.any_failing
            .store(!findings.is_empty(), Ordering::Relaxed);
        let now: Vec<(Option<Cow<'static, str>>, String)> = findings
            .iter()
            .map(|finding| (finding.check.clone(), finding.error.to_string()))
            .collect();
        let before = std::mem::replace(&mut *lock(&self.failing), now.clone());
        let probe = self.kind.name();
        for (finding, state) in findings.iter().zip(&now) {
            if before.contains(state) {
                continue;
            }
            let (error, message) = match finding.warn_only {
                false => (&finding.error, "health check failed"),
                true => (&finding.error, "health check degraded"),
            };
            match &finding.check {
                Some(check) => tracing::warn!(probe, check = &**check, %error, "{message}"),
                None => tracing::warn!(probe, %error, "{message}"),
            }
        }
        for (check, _) in &before {
            if now.iter().all(|(failing, _)| failing != check) {
                match check {
                    Some(check) => {
                        tracing::info!(probe, check = &**check, "health check passes again")
                    }
                    None => tracing::info!(probe, "health check passes again"),
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn is_failing(&self) -> bool {
        !lock(&self.failing).is_empty()
    }
}

/// The span of one named check, a child of its run's.
pub(crate) fn check_span(name: &str) -> Span {
    tracing::debug_span!(
        "healthz.check",
        check = name,
        result = Empty,
        duration_ms = Empty
    )
}

/// Records how a check ended on its span, as soon as it ends.
pub(crate) fn check_ended(span: &Span, warn_only: bool, cause: Option<Cause>, duration: Duration) {
    let status = match (cause, warn_only) {
        (None, _) => Status::Pass,
        (Some(_), true) => Status::Warn,
        (Some(_), false) => Status::Fail,
    };
    span.record("result", Outcome::of_check(status, cause).as_str());
    span.record("duration_ms", millis(duration));
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
