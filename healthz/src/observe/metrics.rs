//! Runs recorded through the `metrics` facade, for the exporter the app
//! installs. Keys are built at each record: a handle registered once would
//! stay a no-op if the app installed its recorder after building the router.

use std::sync::Once;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

use super::{Probe, ResultLabel, RunRecord};

/// The verdict each endpoint answered last, as recorded in
/// `healthz_probe_healthy`: 0 before any, then 1 for failing, 2 for passing.
#[derive(Default)]
pub(super) struct Answers([AtomicU8; 3]);

impl Answers {
    /// Sets `healthz_probe_healthy` when the verdict differs from the one
    /// recorded last: at each request this is one atomic load, and a change
    /// of the gauge, whether from a run or from the lifecycle, is recorded
    /// once.
    pub(super) fn answered(&self, kind: Probe, passed: bool) {
        let last = &self.0[match kind {
            Probe::Live => 0,
            Probe::Ready => 1,
            Probe::Startup => 2,
        }];
        let mut verdict = 1 + u8::from(passed);
        if last.load(Ordering::Relaxed) == verdict
            || last.swap(verdict, Ordering::Relaxed) == verdict
        {
            return;
        }
        describe();
        let gauge = gauge!(
            "healthz_probe_healthy",
            "probe" => kind.as_str(),
        );
        // Two answers that disagree, racing, may record in the other order
        // than they swapped: set the gauge again until it matches the verdict
        // stored last, which every later answer compares against.
        loop {
            gauge.set(f64::from(verdict - 1));
            let now = last.load(Ordering::Relaxed);
            if now == verdict {
                return;
            }
            verdict = now;
        }
    }
}

pub(super) fn run_finished(kind: Probe, record: &RunRecord<'_>) {
    describe();
    let probe = kind.as_str();
    let result = record.result_label();
    counter!(
        "healthz_probe_runs_total",
        "probe" => probe,
        "result" => result.as_str(),
    )
    .increment(1);
    histogram!(
        "healthz_probe_duration_seconds",
        "probe" => probe,
    )
    .record(record.duration.as_secs_f64());
    for (check, result, duration) in record.checks() {
        let labels = [("probe", probe.to_owned()), ("check", check.to_owned())];
        gauge!("healthz_check_healthy", &labels).set(f64::from(u8::from(result.passed())));
        histogram!("healthz_check_duration_seconds", &labels).record(duration.as_secs_f64());
        counter!(
            "healthz_check_runs_total",
            "probe" => probe,
            "check" => check.to_owned(),
            "result" => result.as_str(),
        )
        .increment(1);
    }
}

pub(super) fn heartbeat(name: &str, beating: bool, silent: Duration) {
    describe();
    let labels = [("heartbeat", name.to_owned())];
    gauge!("healthz_heartbeat_healthy", &labels).set(f64::from(u8::from(beating)));
    gauge!("healthz_heartbeat_silence_seconds", &labels).set(silent.as_secs_f64());
}

pub(super) fn liveness(passed: bool) {
    describe();
    gauge!("healthz_probe_healthy", "probe" => Probe::Live.as_str())
        .set(f64::from(u8::from(passed)));
}

/// Describes the metrics once, at the first record: a recorder installed
/// before the app serves its probes receives the descriptions.
fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_gauge!(
            "healthz_probe_healthy",
            "1 when the probe's last answer passed (a warning passes), 0 otherwise"
        );
        describe_counter!(
            "healthz_probe_runs_total",
            "Runs of the probe's function, by result"
        );
        describe_histogram!(
            "healthz_probe_duration_seconds",
            Unit::Seconds,
            "Duration of each run of the probe"
        );
        describe_gauge!(
            "healthz_check_healthy",
            "1 when the named check's last run passed (a warning passes), 0 otherwise"
        );
        describe_counter!(
            "healthz_check_runs_total",
            "Runs of the named check, by result"
        );
        describe_histogram!(
            "healthz_check_duration_seconds",
            Unit::Seconds,
            "Duration of each run of the named check"
        );
        describe_gauge!(
            "healthz_heartbeat_healthy",
            "1 while the heartbeat beats within its period, 0 once late or ended"
        );
        describe_gauge!(
            "healthz_heartbeat_silence_seconds",
            Unit::Seconds,
            "Seconds since the heartbeat's last beat"
        );
    });
}

impl ResultLabel {
    fn passed(self) -> bool {
        matches!(self, ResultLabel::Pass | ResultLabel::Warn)
    }
}

impl RunRecord<'_> {
    /// Each named check with its `result` label, in the probe's order.
    fn checks(&self) -> impl Iterator<Item = (&str, ResultLabel, Duration)> {
        self.report.checks.iter().map(|check| {
            let cause = (self.failures.iter())
                .find(|failure| failure.check.as_deref() == Some(&*check.name))
                .map(|failure| failure.cause);
            (
                &*check.name,
                ResultLabel::of_check(check.status, cause),
                // Only the app's own signals have none, and runs hold none.
                check.duration.unwrap_or_default(),
            )
        })
    }
}
