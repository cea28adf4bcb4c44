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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tracing::Span;
use tracing::field::Empty;

use crate::base::kind::Probe;
use crate::base::sync::{Mutex, lock};
use crate::report::{Cause, Failure, Report, Status};

#[cfg(feature = "metrics")]
mod metrics;

/// Without the `metrics` feature: nothing recorded, nothing stored.
#[cfg(not(feature = "metrics"))]
mod metrics {
    use super::{Probe, RunRecord};

    #[derive(Default)]
    pub(super) struct Answers;

    impl Answers {
        #[inline(always)]
        pub(super) fn answered(&self, _: Probe, _: bool) {}
    }

    #[inline(always)]
    pub(super) fn run_finished(_: Probe, _: &RunRecord<'_>) {}

    #[inline(always)]
    pub(super) fn heartbeat(_: &str, _: bool, _: std::time::Duration) {}

    #[inline(always)]
    pub(super) fn liveness(_: bool) {}
}

/// Whether metrics are recorded: the lifecycle's clock then looks at its
/// heartbeats each [`HEARTBEAT_GAUGES`] for their gauges.
pub(crate) const RECORDS_METRICS: bool = cfg!(feature = "metrics");

/// How often the heartbeats' gauges are set while metrics are recorded:
/// their silence grows between beats, which tell no one.
pub(crate) const HEARTBEAT_GAUGES: Duration = Duration::from_secs(1);

/// Sets the gauges of a watched heartbeat: whether it beats within its
/// period, and the seconds since its last beat.
pub(crate) fn heartbeat(name: &str, beating: bool, silent: Duration) {
    metrics::heartbeat(name, beating, silent);
}

/// Sets liveness's `healthz_probe_healthy` when a heartbeat turns it,
/// without a request.
pub(crate) fn liveness_turned(passed: bool) {
    metrics::liveness(passed);
}

/// How a run of a probe, or of one of its named checks, ended: the `result`
/// label of the run counters and the `result` field of the spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResultLabel {
    Pass,
    /// Failed, but warning-only: it counts as passing.
    Warn,
    Fail,
    Timeout,
    Panic,
}

impl ResultLabel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ResultLabel::Pass => "pass",
            ResultLabel::Warn => "warn",
            ResultLabel::Fail => "fail",
            ResultLabel::Timeout => "timeout",
            ResultLabel::Panic => "panic",
        }
    }

    /// A check's label from its status and why it failed.
    fn of_check(status: Status, cause: Option<Cause>) -> ResultLabel {
        match (status, cause) {
            (Status::Pass, _) => ResultLabel::Pass,
            (_, Some(Cause::TimedOut)) => ResultLabel::Timeout,
            (_, Some(Cause::Panicked)) => ResultLabel::Panic,
            (Status::Warn, _) => ResultLabel::Warn,
            (Status::Fail, _) => ResultLabel::Fail,
        }
    }
}

/// One finished run whose answer became the probe's state.
pub(crate) struct RunRecord<'a> {
    pub(crate) report: &'a Report,
    pub(crate) failures: &'a [Failure],
    /// From the call of the probe function to the end of its last check.
    pub(crate) duration: Duration,
    /// The run's span, made by [`Observer::run_span`].
    pub(crate) span: &'a Span,
}

impl RunRecord<'_> {
    /// The probe's `result` label. A probe with named checks passes, warns or
    /// fails by them; one that timed out or panicked says so only when the
    /// probe function itself did, before naming checks.
    pub(crate) fn result_label(&self) -> ResultLabel {
        match self.report.status() {
            Status::Pass => return ResultLabel::Pass,
            Status::Warn => return ResultLabel::Warn,
            Status::Fail => {}
        }
        match self.probe_cause() {
            Some(Cause::TimedOut) => ResultLabel::Timeout,
            Some(Cause::Panicked) => ResultLabel::Panic,
            _ => ResultLabel::Fail,
        }
    }

    fn probe_cause(&self) -> Option<Cause> {
        (self.failures.iter())
            .find(|failure| failure.check.is_none())
            .map(|failure| failure.cause)
    }
}

/// A runner's observer: what it needs to report runs between them.
pub(crate) struct Observer {
    kind: Probe,
    /// What is failing now, by check, with the full error text: a failure
    /// is logged when it starts or changes, not at each run.
    failing: Mutex<Vec<(Option<Cow<'static, str>>, String)>>,
    /// Whether `failing` has anything, so that a passing run after a
    /// passing run takes no lock.
    any_failing: AtomicBool,
    /// Whether a run that held its thread past the timeout was logged: once
    /// per probe, as its fix is in the code.
    told_blocked: AtomicBool,
    answers: metrics::Answers,
}

impl Observer {
    pub(crate) fn new(kind: Probe) -> Self {
        Observer {
            kind,
            failing: Mutex::new(Vec::new()),
            any_failing: AtomicBool::new(false),
            told_blocked: AtomicBool::new(false),
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
            probe = self.kind.as_str(),
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
            record.span.record("result", record.result_label().as_str());
            record.span.record("duration_ms", millis(record.duration));
            record.span.enter()
        });
        self.log(record.failures);
        metrics::run_finished(self.kind, record);
    }

    /// Logs, the first time only, a run whose probe function returned
    /// `took` after it began, past its `timeout`: it blocked its thread,
    /// where no timeout can stop it, and the runtime's other tasks waited.
    pub(crate) fn blocked_past_timeout(&self, took: Duration, timeout: Duration) {
        if self.told_blocked.swap(true, Ordering::Relaxed) {
            return;
        }
        let probe = self.kind.as_str();
        let which = match self.kind {
            Probe::Ready => "readiness",
            Probe::Live | Probe::Startup => "liveness",
        };
        let took = Duration::from_millis(took.as_millis() as u64);
        tracing::warn!(
            probe,
            took = ?took,
            timeout = ?timeout,
            "the {which} probe blocked its thread for {took:?}, past its {timeout:?} timeout, \
             which cannot stop a call that never waits; the runtime's other tasks waited too. \
             Run a sync probe that blocks on the blocking thread pool, where its timeout holds: \
             #[healthz::{probe}(blocking)], or Options::with_blocking() in the builder"
        );
    }

    /// Logs a request whose probe arguments could not be extracted, at each
    /// such request: a missing layer fails every probe, and must not fail
    /// them silently. The probe's state is left alone.
    pub(crate) fn arguments_rejected(&self, failures: &[Failure]) {
        for failure in failures {
            let (probe, error) = (self.kind.as_str(), format_args!("{:#}", failure.error));
            tracing::warn!(probe, %error, "health check arguments rejected");
        }
    }

    /// Notes the verdict of an answer an endpoint gave, `kind` naming the
    /// endpoint (the startup endpoint runs the liveness probe). Called at
    /// each request, so it records only when the verdict changes.
    #[inline]
    pub(crate) fn answered(&self, kind: Probe, passed: bool) {
        self.answers.answered(kind, passed);
    }

    /// Logs each failure that started or changed since the previous run,
    /// and each recovery.
    fn log(&self, failures: &[Failure]) {
        if failures.is_empty() && !self.any_failing.load(Ordering::Relaxed) {
            return;
        }
        self.any_failing
            .store(!failures.is_empty(), Ordering::Relaxed);
        let now: Vec<(Option<Cow<'static, str>>, String)> = failures
            .iter()
            .map(|failure| (failure.check.clone(), format!("{:#}", failure.error)))
            .collect();
        let before = std::mem::replace(&mut *lock(&self.failing), now.clone());
        let probe = self.kind.as_str();
        for (failure, state) in failures.iter().zip(&now) {
            if before.contains(state) {
                continue;
            }
            // The whole chain, which only the log may hold.
            let error = format_args!("{:#}", failure.error);
            let message = match failure.warn_only {
                false => "health check failed",
                true => "health check degraded",
            };
            match &failure.check {
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
    span.record("result", ResultLabel::of_check(status, cause).as_str());
    span.record("duration_ms", millis(duration));
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
