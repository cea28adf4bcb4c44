//! One run of a probe at a time: the run under way, and the requests that
//! wait for its end.
//!
//! A run that no request waits for, the common case, starts and ends with
//! one atomic operation each; the lock is taken only when a request joins
//! a run under way, or when such a run ends.

use std::pin::pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

// The state word and its lock are loom's under `--cfg healthz_loom`
// (`base::sync`), so that the models below check every interleaving of this
// code. The hand-over of how the run ended (`OnceLock`) and the wake-up
// (tokio's `Notify`) are not modelled.
use crate::base::sync::{AtomicU8, Mutex, Ordering, lock};
use crate::run::Answer;

const IDLE: u8 = 0;
const RUNNING: u8 = 1;
/// Running, and some request waits for the run's end.
const WAITED: u8 = 2;

pub(crate) struct Flight {
    state: AtomicU8,
    /// Made by the first request that joins a run, taken at the run's end;
    /// `state` moves from `WAITED` only with this lock held.
    waiters: Mutex<Option<Arc<Waiters>>>,
}

/// How a run ended, for the requests that wait for it.
#[derive(Clone)]
pub(crate) enum Ended {
    Shared(Arc<Answer>),
    /// The answer to the leading request's own arguments, which could not
    /// be extracted: every other request tries with its own.
    Own(Arc<Answer>),
    /// The run was dropped before its end, as at the runtime's shutdown.
    Dropped,
}

#[derive(Default)]
pub(crate) struct Waiters {
    ended: OnceLock<Ended>,
    notify: Notify,
}

impl Waiters {
    pub(crate) async fn wait(&self) -> Ended {
        loop {
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            if let Some(ended) = self.ended.get() {
                return ended.clone();
            }
            notified.await;
        }
    }
}

impl Flight {
    pub(crate) fn new() -> Self {
        Flight {
            state: AtomicU8::new(IDLE),
            waiters: Mutex::new(None),
        }
    }

    /// Starts a run unless one is under way.
    pub(crate) fn try_lead(&self) -> bool {
        (self.state)
            .compare_exchange(IDLE, RUNNING, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Waits for the run under way, if there is one.
    pub(crate) fn join(&self) -> Option<Arc<Waiters>> {
        let mut waiters = lock(&self.waiters);
        let joined = (self.state)
            .compare_exchange(RUNNING, WAITED, Ordering::Acquire, Ordering::Acquire)
            .map_or_else(|state| state == WAITED, |_| true);
        joined.then(|| waiters.get_or_insert_with(Default::default).clone())
    }

    /// Ends the run under way, handing how it ended to the requests that
    /// wait, if any.
    pub(crate) fn end(&self, ended: impl FnOnce() -> Ended) {
        let unwaited =
            self.state
                .compare_exchange(RUNNING, IDLE, Ordering::Release, Ordering::Relaxed);
        if unwaited.is_ok() {
            return;
        }
        let waiters = {
            let mut waiters = lock(&self.waiters);
            self.state.store(IDLE, Ordering::Release);
            waiters.take()
        };
        if let Some(waiters) = waiters {
            let _ = waiters.ended.set(ended());
            waiters.notify.notify_waiters();
        }
    }

    #[cfg(test)]
    pub(crate) fn is_waited(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITED
    }
}

#[cfg(all(test, not(healthz_loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_run_at_a_time() {
        let flight = Flight::new();
        assert!(flight.try_lead());
        assert!(!flight.try_lead(), "a run is under way");
        flight.end(|| Ended::Dropped);
        assert!(flight.try_lead(), "the run ended");
    }

    #[test]
    fn only_a_run_under_way_can_be_joined() {
        let flight = Flight::new();
        assert!(flight.join().is_none());
        assert!(flight.try_lead());
        let first = flight.join().expect("joins the run");
        let second = flight.join().expect("joins the same run");
        assert!(Arc::ptr_eq(&first, &second));
        flight.end(|| Ended::Dropped);
        assert!(matches!(first.ended.get(), Some(Ended::Dropped)));
        assert!(flight.join().is_none(), "the run ended");
        assert!(flight.try_lead(), "and the next can start");
    }
}

/// Every interleaving of requesters around the flight, checked by loom:
/// `RUSTFLAGS="--cfg healthz_loom" cargo test -p healthz --lib --release loom`.
#[cfg(all(test, healthz_loom))]
mod loom_models {
    use std::sync::Arc as StdArc;

    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    use super::*;
    use crate::report::Report;

    /// What the model's runs share: the flight, how many runs are under
    /// way and have ended, and the answers that name their run.
    struct Model {
        flight: Flight,
        running: AtomicUsize,
        started: AtomicUsize,
        ended: AtomicUsize,
    }

    /// The answer of run `n`: its title is the run's number.
    fn answer(n: usize) -> Ended {
        Ended::Shared(StdArc::new(Answer::new(Report {
            title: Some(n.to_string()),
            ..Report::default()
        })))
    }

    fn run_of(ended: &Ended) -> Option<usize> {
        match ended {
            Ended::Shared(answer) | Ended::Own(answer) => {
                answer.report.title.as_ref()?.parse().ok()
            }
            Ended::Dropped => None,
        }
    }

    /// A requester as the runner is one: it leads a run if none is under
    /// way, else joins the one under way, else looks again. A leader's run
    /// ends as `how` says.
    fn request(model: &Model, how: fn(usize) -> Ended) -> Option<(usize, StdArc<Waiters>)> {
        loop {
            if model.flight.try_lead() {
                assert_eq!(
                    model.running.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two runs at once"
                );
                let n = model.started.fetch_add(1, Ordering::SeqCst);
                model.running.fetch_sub(1, Ordering::SeqCst);
                model.flight.end(|| how(n));
                model.ended.fetch_add(1, Ordering::SeqCst);
                return None;
            }
            // Runs that ended before the request joined: the one it joins,
            // if any, is later.
            let before = model.ended.load(Ordering::SeqCst);
            if let Some(waiters) = model.flight.join() {
                return Some((before, waiters));
            }
            loom::thread::yield_now();
        }
    }

    /// Checks every interleaving of `count` requesters with at most
    /// `preemptions` forced switches between threads: loom's bound, which
    /// keeps a model of three threads that retry in a loop to seconds.
    fn requesters(count: usize, preemptions: usize, how: fn(usize) -> Ended) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(preemptions);
        builder.check(move || {
            let model = Arc::new(Model {
                flight: Flight::new(),
                running: AtomicUsize::new(0),
                started: AtomicUsize::new(0),
                ended: AtomicUsize::new(0),
            });
            let threads: Vec<_> = (0..count)
                .map(|_| {
                    let model = model.clone();
                    loom::thread::spawn(move || request(&model, how))
                })
                .collect();
            // Every thread first: the leader of a run that one joined may be
            // any of them.
            let joined: Vec<_> = (threads.into_iter())
                .filter_map(|thread| thread.join().unwrap())
                .collect();
            for (before, waiters) in joined {
                // The run it joined has ended by now: its waiters hold how.
                let ended = waiters
                    .ended
                    .get()
                    .expect("a joined run hands over its end");
                if let Some(run) = run_of(ended) {
                    assert!(
                        run >= before,
                        "run {run} joined after {before} runs had ended"
                    );
                }
            }
            assert!(
                model.flight.try_lead(),
                "the flight is idle once every run ended"
            );
        });
    }

    #[test]
    fn loom_three_requesters_share_one_run_at_a_time() {
        requesters(2, 4, answer);
        requesters(3, 3, answer);
    }

    #[test]
    fn loom_three_requesters_around_a_run_that_fails_for_its_leader_alone() {
        requesters(3, 3, |n| match answer(n) {
            Ended::Shared(answer) => Ended::Own(answer),
            other => other,
        });
    }

    #[test]
    fn loom_three_requesters_around_an_abandoned_run() {
        requesters(3, 3, |_| Ended::Dropped);
    }
}
