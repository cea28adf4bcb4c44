//! A check run with panics caught and a deadline, and the fixed titles of
//! one that was stopped.

use std::any::Any;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::HealthError;
use crate::base::options::Spelled;
use crate::report::Cause;

/// The failure of a check that timed out or panicked.
pub(crate) fn stopped_error(stopped: Stopped, name: &str, timeout: Duration) -> HealthError {
    match stopped {
        Stopped::TimedOut => HealthError::new(format!(
            "The {name} check timed out after {}",
            Spelled(timeout)
        )),
        Stopped::Panicked(panic) => {
            HealthError::with_source(format!("The {name} check panicked"), Panicked::from(panic))
        }
    }
}

pub(crate) enum Stopped {
    TimedOut,
    Panicked(Box<dyn Any + Send>),
}

impl Stopped {
    pub(crate) fn cause(&self) -> Cause {
        match self {
            Stopped::TimedOut => Cause::TimedOut,
            Stopped::Panicked(_) => Cause::Panicked,
        }
    }
}

/// Runs `check` with panics caught until `deadline`, when it is dropped.
/// The timer is made only if the check does not finish at its first poll,
/// and boxed: a check that never waits costs no timer, and no room for one
/// in every run's future.
pub(crate) async fn bounded<F: Future>(check: F, deadline: Instant) -> Result<F::Output, Stopped> {
    let mut check = pin!(check);
    let mut timer = None::<Pin<Box<Sleep>>>;
    poll_fn(|cx| {
        // The check is dropped right after a panic, never polled again, so
        // no broken state of it can be observed.
        match catch_unwind(AssertUnwindSafe(|| check.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => return Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => {}
            Err(panic) => return Poll::Ready(Err(Stopped::Panicked(panic))),
        }
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Stopped::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// A check's panic message, for the log only.
#[derive(Debug)]
struct Panicked(String);

impl From<Box<dyn Any + Send>> for Panicked {
    fn from(payload: Box<dyn Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(message) => (*message).to_owned(),
                Err(_) => "a panic without a message".to_owned(),
            },
        };
        Panicked(message)
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Panicked {}
