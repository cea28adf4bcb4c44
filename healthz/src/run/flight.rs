//! One run of a probe at a time: the run under way, and the requests that
//! wait for its end.
//!
//! A run that no request waits for, the common case, starts and ends with
//! one atomic operation each; the lock is taken only when a request joins
//! a run under way, or when such a run ends.

use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Notify;

use crate::base::sync::lock;
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

#[cfg(test)]
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
