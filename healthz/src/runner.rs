//! Runs a probe's check so that it can neither hang, stampede a dependency
//! nor take the server down: one run at a time shared by every request that
//! arrives meanwhile, bounded by a timeout, with panics caught, and its
//! result optionally reused for a while.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use tokio::sync::watch;

use crate::HealthError;
use crate::options::{Options, Spelled};
use crate::probe::Kind;
use crate::response;

/// A probe's answer, cheap to share between the requests that wait for it.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    Passed,
    /// The rendered 503 body.
    Failed(Bytes),
}

pub(crate) struct Runner {
    kind: Kind,
    options: Options,
    slot: Mutex<Slot>,
    /// The title of the last failure, `None` after a pass: each change is
    /// logged once, not each request.
    last_failure: Mutex<Option<String>>,
}

enum Entry {
    Cached(Answer),
    Lead(watch::Sender<Option<Answer>>),
    Wait(watch::Receiver<Option<Answer>>),
}

enum Slot {
    Idle,
    Running(watch::Receiver<Option<Answer>>),
    Cached { until: Instant, answer: Answer },
}

impl Runner {
    pub(crate) fn new(kind: Kind, options: Options) -> Self {
        Runner {
            kind,
            options,
            slot: Mutex::new(Slot::Idle),
            last_failure: Mutex::new(None),
        }
    }

    /// The answer to one request: a fresh cached result, the result of the
    /// run under way, or the result of a run this request starts.
    pub(crate) async fn answer<Fut>(&self, check: impl FnOnce() -> Fut) -> Answer
    where
        Fut: Future<Output = Result<(), HealthError>>,
    {
        let mut check = Some(check);
        loop {
            match self.enter() {
                Entry::Cached(answer) => return answer,
                Entry::Lead(publish) => {
                    let check = check.take().expect("a request leads at most one run");
                    return self.lead(publish, check()).await;
                }
                Entry::Wait(mut running) => {
                    if let Ok(answer) = running.wait_for(Option::is_some).await {
                        return answer.clone().expect("waited for an answer");
                    }
                    // The request that led the run went away before it
                    // ended; the next one through the slot runs it again.
                }
            }
        }
    }

    fn enter(&self) -> Entry {
        let mut slot = self.slot.lock().expect("probe slot lock");
        match &*slot {
            Slot::Cached { until, answer } if Instant::now() < *until => {
                Entry::Cached(answer.clone())
            }
            Slot::Running(running) => Entry::Wait(running.clone()),
            _ => {
                let (publish, running) = watch::channel(None);
                *slot = Slot::Running(running);
                Entry::Lead(publish)
            }
        }
    }

    async fn lead<Fut>(&self, publish: watch::Sender<Option<Answer>>, check: Fut) -> Answer
    where
        Fut: Future<Output = Result<(), HealthError>>,
    {
        let abandoned = ResetIfAbandoned(Some(&self.slot));
        let timeout = self.options.timeout();
        let result = match CatchUnwind(Box::pin(tokio::time::timeout(timeout, check))).await {
            Ok(Ok(result)) => result,
            Ok(Err(_elapsed)) => Err(HealthError::new(format!(
                "The {} check timed out after {}",
                self.kind.name(),
                Spelled(timeout)
            ))),
            Err(panic) => Err(HealthError::with_source(
                format!("The {} check panicked", self.kind.name()),
                Panicked::from(panic),
            )),
        };
        let answer = self.settle(result);
        abandoned.disarm();
        *self.slot.lock().expect("probe slot lock") = match self.options.cache() {
            Some(period) => Slot::Cached {
                until: Instant::now() + period,
                answer: answer.clone(),
            },
            None => Slot::Idle,
        };
        publish.send_replace(Some(answer.clone()));
        answer
    }

    /// Renders the result and logs it if it differs from the previous one.
    fn settle(&self, result: Result<(), HealthError>) -> Answer {
        let probe = self.kind.name();
        match result {
            Ok(()) => {
                let mut last = self.last_failure.lock().expect("probe log lock");
                if let Some(failure) = last.take() {
                    tracing::info!(probe, previous = %failure, "health check passes again");
                }
                Answer::Passed
            }
            Err(error) => {
                let title = match error.reason() {
                    Some(reason) => reason.to_owned(),
                    None => format!("The {probe} check failed"),
                };
                let mut last = self.last_failure.lock().expect("probe log lock");
                if last.as_deref() != Some(title.as_str()) {
                    tracing::warn!(probe, %error, "health check failed");
                }
                let body = response::failure_body(&title);
                *last = Some(title);
                Answer::Failed(body)
            }
        }
    }
}

/// Frees the slot when the request leading a run goes away mid-run, so
/// that the waiting requests start another run instead of waiting forever.
struct ResetIfAbandoned<'a>(Option<&'a Mutex<Slot>>);

impl ResetIfAbandoned<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for ResetIfAbandoned<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            *slot.lock().expect("probe slot lock") = Slot::Idle;
        }
    }
}

/// Turns a panic while polling the check into an `Err` with its payload.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The future is dropped right after a panic, never polled again, so
        // no broken state of it can be observed.
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
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
