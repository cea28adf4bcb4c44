//! Runs a probe's check so that it can neither hang, stampede a dependency
//! nor take the server down: one run at a time shared by every request that
//! arrives meanwhile, bounded by a timeout, with panics caught, and its
//! result optionally reused for a while.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
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

impl Answer {
    /// The part of the answer a request selected; `None` when it names a
    /// check the probe does not have.
    pub(crate) fn select(&self, selection: &Selection) -> Option<Answer> {
        if selection.is_all() {
            return Some(self.clone());
        }
        let report = match self {
            Answer::Passed => &Report::default(),
            Answer::Report(report) => &**report,
        };
        report
            .select(selection)
            .map(|report| Answer::Report(Arc::new(report)))
    }
}

/// What a probe's check function yields: its outcome, or the failure to
/// extract its arguments.
pub(crate) type Evaluation = Result<Outcome, HealthError>;

pub(crate) struct Runner {
    kind: Kind,
    options: Options,
    slot: Mutex<Slot>,
    /// What is failing now, by check, with the full error text: a failure
    /// is logged when it starts or changes, not at each request.
    failing: Mutex<Vec<(Option<Cow<'static, str>>, String)>>,
    /// Whether `failing` has anything, so that a passing run after a
    /// passing run takes no lock.
    any_failing: AtomicBool,
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

/// The crate's locks guard plain values replaced whole, so a panic elsewhere
/// cannot leave them half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Runner {
    pub(crate) fn new(kind: Kind, options: Options) -> Self {
        Runner {
            kind,
            options,
            slot: Mutex::new(Slot::Idle),
            failing: Mutex::new(Vec::new()),
            any_failing: AtomicBool::new(false),
        }
    }

    /// The answer to a request: a fresh cached answer, the answer of the run
    /// under way, or that of a run this request starts. Every request, the
    /// ones that select checks included, goes through here, so that no
    /// request pattern can run a check more often than this allows.
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
                    // The run ended without an answer to share: its request
                    // went away, or its arguments could not be extracted. The
                    // next request through the slot runs the check again.
                }
            }
        }
    }

    fn enter(&self) -> Entry {
        let mut slot = lock(&self.slot);
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
        let unshared = ResetIfUnshared(Some(&self.slot));
        let (report, findings, shareable) = self.evaluate(check).await;
        let answer = if report.title.is_none() && report.checks.is_empty() {
            Answer::Passed
        } else {
            Answer::Report(Arc::new(report))
        };
        if !shareable {
            // The request's own arguments failed, not the probe, so the
            // probe's state is left alone. Logged at each request: a missing
            // layer fails every probe, and must not fail them silently.
            for finding in &findings {
                let (probe, error) = (self.kind.name(), &finding.error);
                tracing::warn!(probe, %error, "health check arguments rejected");
            }
            // Dropping the guard frees the slot: each waiting request tries
            // with its own arguments.
            return answer;
        }
        self.log(&findings);
        unshared.disarm();
        let next = match self.options.cache() {
            Some(period) => Slot::Cached {
                until: Instant::now() + period,
                answer: answer.clone(),
            },
            None => Slot::Idle,
        };
        if let Slot::Running(waiting) = std::mem::replace(&mut *lock(&self.slot), next) {
            for waiter in waiting {
                // A waiter whose request went away no longer listens.
                let _ = waiter.send(answer.clone());
            }
        }
        answer
    }

    /// Runs the probe function, then the checks it returned, if any, all
    /// within the probe's timeout. The flag says whether the answer may be
    /// shared: not when it comes from this request's own arguments failing.
    async fn evaluate<Fut>(&self, check: Fut) -> (Report, Vec<Finding>, bool)
    where
        Fut: Future<Output = Evaluation>,
    {
        let (kind, timeout) = (self.kind, self.options.timeout());
        // The std clock: cheaper to read than tokio's, which can be paused.
        let deadline = std::time::Instant::now() + timeout;
        let (result, shareable) = match bounded(check, deadline).await {
            Ok(Ok(Outcome::Checks(checks))) => {
                // Boxed: named checks are the rare path, and inline they would make
                // every probe request's future several times larger.
                let (report, findings) = Box::pin(Report::run(checks, deadline, timeout)).await;
                return (report, findings, true);
            }
            Ok(Ok(Outcome::Done(result))) => {
                let (report, findings) = Report::single(kind, result);
                return (report, findings, true);
            }
            Ok(Err(extraction)) => (extraction, false),
            Err(stopped) => (stopped_error(stopped, kind.name(), timeout), true),
        };
        let (report, findings) = Report::stopped_early(kind, result);
        (report, findings, shareable)
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

/// Frees the slot unless the run's answer is shared: when the leading
/// request goes away mid-run, or its answer is its own, the waiting
/// requests start another run instead of waiting forever.
struct ResetIfUnshared<'a>(Option<&'a Mutex<Slot>>);

impl ResetIfUnshared<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for ResetIfUnshared<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            *lock(slot) = Slot::Idle;
        }
    }
}

pub(crate) enum Stopped {
    TimedOut,
    Panicked(Box<dyn Any + Send>),
}

/// Runs `check` with panics caught until `deadline`, when it is dropped.
/// The timer is armed only if the check does not finish at its first poll,
/// so a check that never waits costs no timer.
pub(crate) async fn bounded<F: Future>(
    check: F,
    deadline: std::time::Instant,
) -> Result<F::Output, Stopped> {
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
            timer.set(Some(tokio::time::sleep_until(deadline.into())));
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
        let runner = Runner::new(
            Kind::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(1_500)),
        );
        let answer = runner.answer(std::future::pending).await;
        assert_eq!(
            title(&answer),
            Some("The ready check timed out after 1500ms")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cached_answer_expires_after_its_period() {
        let runner = Runner::new(
            Kind::Live,
            Options::DEFAULT.with_cache(Duration::from_millis(5_000)),
        );
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

    #[tokio::test]
    async fn the_timeout_counts_from_the_start_of_the_run() {
        let runner = Runner::new(
            Kind::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(100)),
        );
        let answer = runner
            .answer(|| async {
                // Work before the first await counts against the timeout.
                std::thread::sleep(Duration::from_millis(80));
                tokio::time::sleep(Duration::from_millis(80)).await;
                done(Ok(()))
            })
            .await;
        assert_eq!(
            title(&answer),
            Some("The ready check timed out after 100ms")
        );
    }

    #[tokio::test]
    async fn checks_end_by_the_probe_deadline() {
        let runner = Runner::new(
            Kind::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(100)),
        );
        let answer = runner
            .answer(|| async {
                tokio::time::sleep(Duration::from_millis(80)).await;
                let slow = tokio::time::sleep(Duration::from_millis(80));
                Ok(Outcome::Checks(
                    crate::Checks::new()
                        .check("slow", slow)
                        .timeout(Duration::from_secs(5)),
                ))
            })
            .await;
        // The probe's timeout stopped it, and its title says so, the same
        // at every run, rather than the time left when the check started.
        assert_eq!(title(&answer), Some("The slow check timed out after 100ms"));
    }

    #[tokio::test(start_paused = true)]
    async fn durations_too_long_for_the_clock_still_answer_and_cache() {
        let runner = Runner::new(
            Kind::Ready,
            Options::DEFAULT
                .with_timeout(Duration::MAX)
                .with_cache(Duration::MAX),
        );
        let runs = AtomicUsize::new(0);
        let check = || async {
            runs.fetch_add(1, Ordering::SeqCst);
            done(Ok(()))
        };
        assert!(matches!(runner.answer(check).await, Answer::Passed));
        assert!(matches!(runner.answer(check).await, Answer::Passed));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_to_extract_arguments_is_not_shared() {
        let runner = Arc::new(Runner::new(
            Kind::Ready,
            Options::DEFAULT.with_cache(Duration::from_millis(60_000)),
        ));
        let release = Arc::new(tokio::sync::Notify::new());
        let leader = tokio::spawn({
            let (runner, release) = (runner.clone(), release.clone());
            async move {
                runner
                    .answer(|| async move {
                        release.notified().await;
                        Err(HealthError::new("bad query string"))
                    })
                    .await
            }
        });
        while !matches!(&*runner.slot.lock().unwrap(), Slot::Running(_)) {
            tokio::task::yield_now().await;
        }
        let waiter = tokio::spawn({
            let runner = runner.clone();
            async move { runner.answer(|| async { done(Ok(())) }).await }
        });
        while !matches!(&*runner.slot.lock().unwrap(), Slot::Running(waiting) if !waiting.is_empty())
        {
            tokio::task::yield_now().await;
        }
        release.notify_one();
        assert_eq!(title(&leader.await.unwrap()), Some("bad query string"));
        assert!(
            lock(&runner.failing).is_empty(),
            "a request's own arguments are not the probe failing"
        );
        assert!(
            matches!(waiter.await.unwrap(), Answer::Passed),
            "the waiter ran with its own arguments"
        );
        assert!(
            matches!(
                runner
                    .answer(|| async { done(Err(HealthError::new("down"))) })
                    .await,
                Answer::Passed
            ),
            "the pass was cached"
        );
    }
}
