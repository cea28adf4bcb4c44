//! The lifecycle's clock: the writer that turns a heartbeat late once its
//! period has passed since its last beat, and beating again once it beats,
//! whoever reads. A read only computes how a heartbeat stands; the clock
//! records the turn in the history, logs it, and notifies the change feed,
//! so that every follower (gRPC `Watch`, the app's health view, the event
//! stream, the metrics) hears of it at the same moment, without a request.

use std::time::Duration;

use tokio::time::Instant;

use super::Lifecycle;
use super::heartbeat::Standing;
use crate::base::kind::Probe;
use crate::base::sync::Ordering;
use crate::observe;

/// How often the clock looks at a late heartbeat: a beat tells no one, so
/// a loop beating again is seen within this.
const LATE_POLL: Duration = Duration::from_millis(50);

/// Starts the clock of `lifecycle` on the current Tokio runtime, unless one
/// runs. Outside a runtime it does nothing: reads still find a heartbeat
/// late, and the clock starts with the next heartbeat or follower made
/// inside one.
pub(super) fn start(lifecycle: &Lifecycle) {
    let state = &lifecycle.state;
    // Once the shutdown has begun, heartbeats fail nothing: no clock.
    if state.clock_runs.load(Ordering::Acquire) || lifecycle.is_shutting_down() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if state.clock_runs.swap(true, Ordering::AcqRel) {
        return;
    }
    let running = Running {
        lifecycle: lifecycle.view(),
        stopped: false,
    };
    runtime.spawn(async move {
        loop {
            let Some(next) = step(&running.lifecycle) else {
                return running.stop();
            };
            // A wake since the step left a permit, which this takes.
            let woken = running.lifecycle.state.clock.notified();
            match next {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = woken => {}
                    }
                }
                None => woken.await,
            }
        }
    });
}

/// The clock's task while it runs: dropped with its runtime, it lets the
/// next heartbeat or follower start another.
struct Running {
    lifecycle: Lifecycle,
    stopped: bool,
}

impl Running {
    /// Ends the task once `step` said the clock stops, under the lock: a
    /// clock started since then is not this one's to stop.
    fn stop(mut self) {
        self.stopped = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.stopped {
            (self.lifecycle.state.clock_runs).store(false, Ordering::Release);
        }
    }
}

/// One look at every heartbeat: records, logs and notifies the turns since
/// the last look. Gives when to look next (`None` inside: only when woken),
/// or `None` once no heartbeat beats, or the shutdown has begun (heartbeats
/// no longer fail liveness), when the clock stops.
pub(super) fn step(lifecycle: &Lifecycle) -> Option<Option<Instant>> {
    let signals = lifecycle.signals();
    if lifecycle.is_shutting_down() || !signals.heartbeats.iter().any(|beat| beat.is_beating()) {
        // Under the lock, so that a heartbeat watched after this look
        // starts a clock of its own.
        lifecycle.state.clock_runs.store(false, Ordering::Release);
        return None;
    }
    // With metrics, each look sets the heartbeats' gauges, and looks come
    // at least this often.
    let mut next = observe::RECORDS_METRICS.then(|| Instant::now() + observe::HEARTBEAT_GAUGES);
    let mut turned = Vec::new();
    let mut looked = Vec::new();
    for beat in &signals.heartbeats {
        let standing = beat.standing();
        if beat.turns(&standing) {
            // Under the lock, so that the turns of one heartbeat are written
            // in the order they were found.
            lifecycle.record(&beat.entry(), beat.title(&standing).as_deref());
            turned.push((beat.clone(), standing));
        }
        if let Some(at) = beat.next_look(&standing, LATE_POLL) {
            next = Some(next.map_or(at, |next| next.min(at)));
        }
        if observe::RECORDS_METRICS {
            looked.push((beat.clone(), standing));
        }
    }
    drop(signals);
    for (beat, standing) in &looked {
        let (silent, _) = beat.silence();
        observe::heartbeat(&beat.name, *standing == Standing::Beating, silent);
    }
    if !turned.is_empty() {
        for (beat, standing) in &turned {
            beat.log_turn(standing);
        }
        lifecycle.changed();
        if observe::RECORDS_METRICS {
            turn_liveness_gauge(lifecycle);
        }
    }
    Some(next)
}

/// Sets liveness's gauge as its endpoint now answers, after a heartbeat
/// turned: failing while the app's signals fail it, else as its probe's
/// last run, if it has run.
fn turn_liveness_gauge(lifecycle: &Lifecycle) {
    if lifecycle.gate(Probe::Live).is_some() {
        return observe::liveness_turned(false);
    }
    let registered = lifecycle.registry().0.borrow();
    let last = (registered.iter())
        .filter(|registered| registered.probe == Probe::Live)
        .find_map(|registered| registered.latest.upgrade()?.latest());
    if let Some((answer, _)) = last {
        observe::liveness_turned(answer.passed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stalled_heartbeat_is_turned_late_at_its_deadline_without_a_read() {
        let lifecycle = Lifecycle::new();
        let mut changes = lifecycle.changes();
        let beat = lifecycle.heartbeat("consumer", Duration::from_millis(600));
        changes.borrow_and_update();
        let turns = lifecycle.health();
        tokio::time::sleep(Duration::from_millis(100)).await;
        beat.beat();
        // No request: the clock alone turns it, once the period has passed
        // since the beat.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!changes.has_changed().unwrap(), "turned before its period");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert!(changes.has_changed().unwrap(), "not turned at its period");
        changes.borrow_and_update();
        let history = turns.history();
        let last = history.last().unwrap();
        assert_eq!(last.subject().to_string(), "lifecycle/heartbeat:consumer");
        assert_eq!(
            last.title(),
            Some("The consumer heartbeat is late: no beat for 601ms")
        );
        // Beating again is seen within the clock's poll.
        beat.beat();
        tokio::time::sleep(LATE_POLL).await;
        assert!(changes.has_changed().unwrap(), "beating again not seen");
        assert_eq!(turns.history().last().unwrap().title(), None);
        beat.finish();
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_stops_with_the_last_heartbeat_and_starts_with_the_next() {
        let lifecycle = Lifecycle::new();
        let beat = lifecycle.heartbeat("consumer", Duration::from_millis(600));
        tokio::task::yield_now().await;
        assert!(lifecycle.state.clock_runs.load(Ordering::Acquire));
        beat.finish();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!lifecycle.state.clock_runs.load(Ordering::Acquire));
        let again = lifecycle.heartbeat("consumer", Duration::from_millis(600));
        assert!(lifecycle.state.clock_runs.load(Ordering::Acquire));
        again.finish();
    }
}
