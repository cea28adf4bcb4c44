//! Runs a probe's check so that it can neither hang, stampede a dependency
//! nor take the server down: one run at a time shared by every request that
//! arrives meanwhile, bounded by a timeout, with panics caught, and its
//! result optionally reused for a while.

use std::any::Any;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use crate::HealthError;
use crate::checks::Outcome;
use crate::options::{Options, Spelled};
use crate::probe::Kind;
use crate::report::{Finding, Report, Selection};

/// A probe's answer, cheap to share between the requests that wait for it.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    /// A probe without checks passed: the answer needs no report.
    Passed,
    Report(Arc<Report>),
}

/// What a probe's check function yields: its outcome, or the failure to
/// extract its arguments.
pub(crate) type Evaluation = Result<Outcome, HealthError>;

pub(crate) struct Runner {
    kind: Kind,
    options: Options,
    slot: Mutex<Slot>,
    /// What the last full run found, as text: each change is logged once,
    /// not each request.
    last_findings: Mutex<String>,
}

enum Slot {
    Idle,
    /// A run is under way; these requests wait for its answer.
    Running(Vec<oneshot::Sender<Answer>>),
    Cached {
        until: Instant,
        answer: Answer,
    },
}

enum Entry {
    Cached(Answer),
    Lead,
    Wait(oneshot::Receiver<Answer>),
}

impl Runner {
    pub(crate) fn new(kind: Kind, options: Options) -> Self {
        Runner {
            kind,
            options,
            slot: Mutex::new(Slot::Idle),
            last_findings: Mutex::new(String::new()),
        }
    }

    /// The answer to a request for the whole probe: a fresh cached answer,
    /// the answer of the run under way, or that of a run this request starts.
    pub(crate) async fn answer<Fut>(&self, check: impl FnOnce() -> Fut) -> Answer
    where
        Fut: Future<Output = Evaluation>,
    {
        let mut check = Some(check);
        loop {
            match self.enter() {
                Entry::Cached(answer) => return answer,
                Entry::Lead => {
                    let check = check.take().expect("a request leads at most one run");
                    return self.lead(check()).await;
                }
                Entry::Wait(answer) => {
                    if let Ok(answer) = answer.await {
                        return answer;
                    }
                    // The request that led the run went away before it
                    // ended; the next one through the slot runs it again.
                }
            }
        }
    }

    /// The answer to a request for some checks only (`?exclude=`, or one
    /// check by name): a run of its own, neither shared nor cached. `None`
    /// when the request names a check the probe does not have.
    pub(crate) async fn answer_alone<Fut>(
        &self,
        check: Fut,
        selection: &Selection,
    ) -> Option<Answer>
    where
        Fut: Future<Output = Evaluation>,
    {
        let (report, _findings) = self.evaluate(check, selection).await?;
        Some(Answer::Report(Arc::new(report)))
    }

    fn enter(&self) -> Entry {
        let mut slot = self.slot.lock().expect("probe slot lock");
        match &mut *slot {
            Slot::Cached { until, answer } if Instant::now() < *until => {
                Entry::Cached(answer.clone())
            }
            Slot::Running(waiting) => {
                let (send, receive) = oneshot::channel();
                waiting.push(send);
                Entry::Wait(receive)
            }
            _ => {
                *slot = Slot::Running(Vec::new());
                Entry::Lead
            }
        }
    }

    async fn lead<Fut>(&self, check: Fut) -> Answer
    where
        Fut: Future<Output = Evaluation>,
    {
        let abandoned = ResetIfAbandoned(Some(&self.slot));
        let (report, findings) = self
            .evaluate(check, &Selection::default())
            .await
            .expect("a run of every check has no unknown name");
        self.log(&findings);
        let answer = if report.title.is_none() && report.checks.is_empty() {
            Answer::Passed
        } else {
            Answer::Report(Arc::new(report))
        };
        abandoned.disarm();
        let next = match self.options.cache() {
            Some(period) => Slot::Cached {
                until: Instant::now() + period,
                answer: answer.clone(),
            },
            None => Slot::Idle,
        };
        let previous = std::mem::replace(&mut *self.slot.lock().expect("probe slot lock"), next);
        if let Slot::Running(waiting) = previous {
            for waiter in waiting {
                // A waiter whose request went away no longer listens.
                let _ = waiter.send(answer.clone());
            }
        }
        answer
    }

    /// Runs the probe function under the probe's timeout, then the checks it
    /// returned, if any, each under its own.
    async fn evaluate<Fut>(
        &self,
        check: Fut,
        selection: &Selection,
    ) -> Option<(Report, Vec<Finding>)>
    where
        Fut: Future<Output = Evaluation>,
    {
        let kind = self.kind;
        let timeout = self.options.timeout();
        let result = match bounded(check, timeout).await {
            Ok(Ok(Outcome::Checks(checks))) => {
                return Report::run(checks, selection, timeout).await;
            }
            Ok(Ok(Outcome::Done(result))) => result,
            Ok(Err(extraction)) => Err(extraction),
            Err(stopped) => Err(stopped_error(stopped, kind.name(), timeout)),
        };
        if selection.only.is_some() {
            return None;
        }
        Some(Report::single(kind, result, selection))
    }

    /// Logs what a full run found when it differs from the previous run.
    fn log(&self, findings: &[Finding]) {
        let probe = self.kind.name();
        let summary: String = findings
            .iter()
            .map(|finding| {
                format!(
                    "{}: {}\n",
                    finding.check.as_deref().unwrap_or(probe),
                    finding.title
                )
            })
            .collect();
        let mut last = self.last_findings.lock().expect("probe log lock");
        if *last == summary {
            return;
        }
        if summary.is_empty() {
            tracing::info!(probe, "health check passes again");
        }
        for finding in findings {
            let error = &finding.error;
            match &finding.check {
                Some(check) => {
                    tracing::warn!(probe, check = &**check, %error, "health check failed")
                }
                None => tracing::warn!(probe, %error, "health check failed"),
            }
        }
        *last = summary;
    }
}

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

pub(crate) enum Stopped {
    TimedOut,
    Panicked(Box<dyn Any + Send>),
}

/// Runs `check` with panics caught and a `timeout`, after which it is
/// dropped. The timer starts only if the check does not finish at its first
/// poll, so a check that never waits costs no timer.
pub(crate) async fn bounded<F: Future>(check: F, timeout: Duration) -> Result<F::Output, Stopped> {
    let mut check = pin!(check);
    let mut timer = pin!(None::<Sleep>);
    poll_fn(|cx| {
        // The check is dropped right after a panic, never polled again, so
        // no broken state of it can be observed.
        match catch_unwind(AssertUnwindSafe(|| check.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => return Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => {}
            Err(panic) => return Poll::Ready(Err(Stopped::Panicked(panic))),
        }
        if timer.is_none() {
            timer.set(Some(tokio::time::sleep(timeout)));
        }
        match timer.as_mut().as_pin_mut().map(|timer| timer.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Err(Stopped::TimedOut)),
            _ => Poll::Pending,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn title(answer: &Answer) -> Option<&str> {
        match answer {
            Answer::Passed => None,
            Answer::Report(report) => report.title.as_deref(),
        }
    }

    fn done(result: Result<(), HealthError>) -> Evaluation {
        Ok(Outcome::Done(result))
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_past_its_timeout_fails_with_a_fixed_title() {
        let runner = Runner::new(Kind::Ready, Options::DEFAULT.timeout_ms(1_500));
        let answer = runner.answer(std::future::pending).await;
        assert_eq!(
            title(&answer),
            Some("The ready check timed out after 1500ms")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cached_answer_expires_after_its_period() {
        let runner = Runner::new(Kind::Live, Options::DEFAULT.cache_ms(5_000));
        let runs = AtomicUsize::new(0);
        let check = || async {
            runs.fetch_add(1, Ordering::SeqCst);
            done(Err(HealthError::new("down")))
        };
        assert_eq!(title(&runner.answer(check).await), Some("down"));
        tokio::time::advance(Duration::from_millis(4_999)).await;
        runner.answer(check).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        runner.answer(check).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_waiter_runs_the_check_when_the_leading_request_goes_away() {
        let runner = Arc::new(Runner::new(Kind::Ready, Options::DEFAULT));
        let mut leader = Box::pin(runner.answer(std::future::pending));
        tokio::select! {
            biased;
            _ = &mut leader => unreachable!("the leader's check never ends"),
            () = tokio::task::yield_now() => {}
        }

        let waiter = tokio::spawn({
            let runner = runner.clone();
            async move { runner.answer(|| async { done(Ok(())) }).await }
        });
        // Let the waiter queue behind the leader's run, then drop the leader.
        while !matches!(&*runner.slot.lock().unwrap(), Slot::Running(waiting) if !waiting.is_empty())
        {
            tokio::task::yield_now().await;
        }
        drop(leader);
        assert!(matches!(waiter.await.unwrap(), Answer::Passed));
    }
}
