//! Runs a probe so that it can neither hang, stampede a dependency nor take
//! the server down, and keeps the probe's health state: its latest answer.
//!
//! A run belongs to the probe, not to the request that started it: one run
//! at a time, shared by every request that arrives meanwhile, bounded by
//! the probe's timeout, with panics caught. A run that finishes at its
//! first poll (a sync probe, an `async` one that never waits) is run inline
//! and costs no task; one that waits is spawned onto the runtime, so it
//! goes on to its end even if every request waiting for it goes away, and
//! its answer is still shared and cached.
//!
//! One word for each thing a run goes through: the probe function returns
//! an `Outcome` (a result, checks to run, or a call to make on the blocking
//! pool); with its arguments' extraction that is an `Evaluation`. The run
//! turns it into a `Report` (what it found, check by check) and the
//! `Failure`s it logs (each with the error the body never shows). An
//! `Answer` is a report with its body rendered: the probe's state. The
//! flight tells the requests that waited how the run `Ended`, and each
//! request is `Served` an answer with its age. Metrics and spans label the
//! run with a `ResultLabel`.
//!
//! The engine, writer of each probe's health state. It depends on `base`,
//! `report`, `format` (an answer's bytes are rendered once per run) and
//! `observe` (each finished run is reported once).

pub(crate) mod bounded;
mod flight;
pub(crate) mod named;
pub(crate) mod state;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use crate::HealthError;
use crate::base::checks::Outcome;
use crate::base::kind::Probe;
use crate::base::options::Options;
use crate::format::render;
use crate::observe::{Observer, RunRecord};
use crate::report::{Cause, Failure, Report, Selection};
use bounded::{Stopped, stopped_error};
use flight::{Ended, Flight, Waiters};
pub(crate) use state::{Latest, State};

/// One run's answer, with its Flask-Healthz body rendered once, so that
/// every request it serves writes bytes already there.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) report: Report,
    /// The `application/problem+json` body of the whole report.
    pub(crate) plain: Bytes,
}

impl Answer {
    fn new(report: Report) -> Self {
        let plain = Bytes::from(render::plain(&report));
        Answer { report, plain }
    }

    pub(crate) fn passed(&self) -> bool {
        self.report.status().is_passed()
    }

    /// Whether `other` answers the same: the same verdict, titles and
    /// checks, whatever the durations.
    fn same_as(&self, other: &Answer) -> bool {
        let same_checks = self.report.checks.len() == other.report.checks.len()
            && (self.report.checks.iter().zip(&other.report.checks))
                .all(|(a, b)| (&a.name, a.status, &a.title) == (&b.name, b.status, &b.title));
        self.report.title == other.report.title && same_checks
    }

    /// The part of the answer a request selected; `None` when it names a
    /// check the probe does not have.
    pub(crate) fn select(&self, selection: &Selection) -> Option<Report> {
        self.report.select(selection)
    }
}

/// What a request is answered with.
#[derive(Debug)]
pub(crate) struct Served {
    pub(crate) answer: Arc<Answer>,
    /// How old the answer is, when it is served past its cache period while
    /// a run refreshes it.
    pub(crate) stale: Option<Duration>,
}

/// What a probe's check function yields: its outcome, or the failure to
/// extract its arguments.
pub(crate) type Evaluation = Result<Outcome, HealthError>;

pub(crate) struct Runner {
    kind: Probe,
    options: Options,
    state: Arc<State>,
    flight: Flight,
    /// Whether a blocking call of the probe still holds its thread: the
    /// next run does not start another meanwhile. Shared with that thread,
    /// which may outlive the run.
    blocking: Arc<AtomicBool>,
    /// Reports each run: logs, spans, metrics.
    observer: Observer,
    /// Whether the background refresh of an `interval` has begun: once per
    /// probe, however many readers serve it, and again if it ended before
    /// the shutdown drained (its runtime shut down).
    refreshing: AtomicBool,
    /// Dropped with the probe, which ends its refresh at once.
    alive: tokio::sync::watch::Sender<()>,
}

/// A run, boxed so that it can go on on a task of its own from its first
/// wait on.
type Run = Pin<Box<dyn Future<Output = Ended> + Send>>;

/// How a request gets its answer, as decided when it arrives: at once, by
/// a run it leads, or by joining the run under way.
pub(crate) enum Start {
    Served(Served),
    Lead(Lead),
    /// Waiting for another request's run; boxed, as the rare path.
    Join(Pin<Box<dyn Future<Output = Served> + Send>>),
}

impl Start {
    /// The answer, from `runner`, which decided how to get it.
    async fn served(self, runner: &Arc<Runner>) -> Served {
        let mut start = Some(self);
        std::future::poll_fn(|cx| Start::poll_served(&mut start, runner, cx)).await
    }

    /// Polls for the answer, as a future's `poll` does. A run that waits
    /// goes on on a task of its own, and `start` becomes waiting for it.
    pub(crate) fn poll_served(
        start: &mut Option<Start>,
        runner: &Arc<Runner>,
        cx: &mut Context<'_>,
    ) -> Poll<Served> {
        loop {
            match start
                .take()
                .expect("a probe's answer polled after it was given")
            {
                Start::Served(served) => return Poll::Ready(served),
                Start::Lead(mut lead) => match lead.0.as_mut().poll(cx) {
                    Poll::Ready(ended) => return Poll::Ready(runner.led(ended)),
                    Poll::Pending => *start = Some(Start::Join(lead.waited(runner.clone()))),
                },
                Start::Join(mut joined) => {
                    let served = joined.as_mut().poll(cx);
                    if served.is_pending() {
                        *start = Some(Start::Join(joined));
                    }
                    return served;
                }
            }
        }
    }
}

/// A run that a request starts. The request polls it first, so that a run
/// that needs no waiting ends without a task; from its first wait on, the
/// run goes on on a task of its own, and the request waits for it with any
/// other.
pub(crate) struct Lead(Run);

impl Lead {
    /// The answer once the run, which waits, has gone on on a task of its
    /// own; boxed, as the rare path.
    fn waited(self, runner: Arc<Runner>) -> Pin<Box<dyn Future<Output = Served> + Send>> {
        Box::pin(async move {
            let ended = runner.spawned(self.0).await;
            runner.led(ended)
        })
    }
}

enum Entry {
    Fresh(Arc<Answer>),
    Stale(Arc<Answer>, Duration),
    Lead,
    Wait(Arc<Waiters>),
}

impl Runner {
    pub(crate) fn new(kind: Probe, options: Options) -> Self {
        Runner {
            kind,
            options,
            state: Arc::new(State::new(
                Arc::new(Answer::new(Report::default())),
                kind.runs(),
                options.history(),
            )),
            flight: Flight::new(),
            blocking: Arc::new(AtomicBool::new(false)),
            observer: Observer::new(kind),
            refreshing: AtomicBool::new(false),
            alive: tokio::sync::watch::Sender::new(()),
        }
    }

    /// A receiver whose `changed` fails once the probe is dropped.
    pub(crate) fn alive(&self) -> tokio::sync::watch::Receiver<()> {
        self.alive.subscribe()
    }

    /// The refresh ended before the shutdown drained: the next request
    /// begins another.
    pub(crate) fn refresh_ended(&self) {
        self.refreshing.store(false, Ordering::Release);
    }

    /// Whether the caller is the first to begin the probe's background
    /// refresh: true once, and never without an `interval`.
    pub(crate) fn begins_refresh(&self) -> bool {
        // A load first: every later request of the probe reads, and writes
        // nothing.
        self.options.interval().is_some()
            && !self.refreshing.load(Ordering::Acquire)
            && !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// One background run, unless a run is under way: it is then the
    /// refresh, and this tick is skipped. Requests meanwhile are answered
    /// from the latest run.
    pub(crate) async fn refresh<Fut>(self: &Arc<Self>, check: impl FnOnce() -> Fut)
    where
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        if self.flight.try_lead() {
            self.clone().run(check()).await;
        }
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// The probe's health state, to read or to watch for changes.
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }

    pub(crate) fn observer(&self) -> &Observer {
        &self.observer
    }

    /// The answer to a request, as an endpoint gets it.
    #[cfg(test)]
    async fn answer<Fut>(self: &Arc<Self>, check: impl FnOnce() -> Fut + Send + 'static) -> Served
    where
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        self.start(check).served(self).await
    }

    /// How a request gets its answer: a fresh cached answer, a stale one
    /// while a background run refreshes it, the answer of the run under
    /// way, or that of a run this request starts, the only case that calls
    /// `check`. Every request, the ones that select checks included, goes
    /// through here, so that no request pattern can run a check more often
    /// than this allows.
    pub(crate) fn start<Fut>(
        self: &Arc<Self>,
        check: impl FnOnce() -> Fut + Send + 'static,
    ) -> Start
    where
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        match self.enter() {
            Entry::Fresh(answer) => Start::Served(Served {
                answer,
                stale: None,
            }),
            Entry::Stale(answer, age) => {
                if self.flight.try_lead() {
                    tokio::spawn(self.clone().run(check()));
                }
                Start::Served(Served {
                    answer,
                    stale: Some(age),
                })
            }
            Entry::Lead => Start::Lead(Lead(self.clone().run(check()))),
            Entry::Wait(waiters) => Start::Join(Box::pin(self.clone().joined(waiters, check))),
        }
    }

    /// The answer of the run `waiters` wait for, or, if it was not for this
    /// request (its arguments were the leader's) or it never ended, the
    /// answer of going through again.
    async fn joined<Fut>(
        self: Arc<Self>,
        waiters: Arc<Waiters>,
        check: impl FnOnce() -> Fut + Send + 'static,
    ) -> Served
    where
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        match waiters.wait().await {
            Ended::Shared(answer) => Served {
                answer,
                stale: None,
            },
            Ended::Own(_) | Ended::Dropped => self.start(check).served(&self).await,
        }
    }

    fn enter(&self) -> Entry {
        loop {
            if let Some(entry) = self.cached() {
                return entry;
            }
            if self.flight.try_lead() {
                // A run may have ended since the look at the cache.
                return match self.cached() {
                    Some(entry) => {
                        self.flight.end(|| Ended::Dropped);
                        entry
                    }
                    None => Entry::Lead,
                };
            }
            if let Some(waiters) = self.flight.join() {
                return Entry::Wait(waiters);
            }
            // The run under way ended meanwhile: look again.
        }
    }

    /// The cached answer, fresh or stale, if the options keep one; with an
    /// `interval`, the latest answer, fresh while the background keeps it.
    fn cached(&self) -> Option<Entry> {
        if let Some(interval) = self.options.interval() {
            let (answer, age) = self.state.latest()?;
            // Older than two periods and a run, no refresh keeps it: the
            // shutdown has drained, or the background runs' arguments are
            // refused. Requests run the probe again, as without `interval`.
            let kept = age <= interval * 2 + self.options.timeout();
            return kept.then_some(Entry::Fresh(answer));
        }
        let cache = self.options.cache()?;
        let (answer, age) = self.state.latest()?;
        if age < cache {
            return Some(Entry::Fresh(answer));
        }
        let stale = self.options.stale()?;
        (age < cache + stale).then_some(Entry::Stale(answer, age))
    }

    /// The answer to the request that led a run which ended so.
    fn led(&self, ended: Ended) -> Served {
        let answer = match ended {
            Ended::Shared(answer) | Ended::Own(answer) => answer,
            // Its own run never ended: answer as for a run that ran out of
            // time.
            Ended::Dropped => {
                let (kind, timeout) = (self.kind, self.options.timeout());
                let error = stopped_error(Stopped::TimedOut, kind.as_str(), timeout);
                Arc::new(Answer::new(
                    Report::stopped_early(kind, error, Cause::TimedOut).0,
                ))
            }
        };
        Served {
            answer,
            stale: None,
        }
    }

    /// Goes on with `run` on a task of its own, and waits for its end.
    async fn spawned(&self, run: Run) -> Ended {
        let waiters = (self.flight.join()).expect("the flight stays running until its run ends");
        tokio::spawn(run);
        waiters.wait().await
    }

    /// One run, from the call of the probe function to its answer stored
    /// and handed to the requests that wait for it. Its span is made here,
    /// in the context of the request that starts it, wherever it runs.
    fn run<Fut>(self: Arc<Self>, check: Fut) -> Run
    where
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        let span = self.observer.run_span();
        // Made with the run, not at its first poll: a run dropped unpolled
        // (its runtime shut down first) still ends the flight.
        let flying = Flying(Some(self.clone()));
        if span.is_disabled() {
            // Entering a span no one records costs at each poll all the same.
            Box::pin(self.run_in(flying, check, span))
        } else {
            Box::pin(self.run_in(flying, check, span.clone()).instrument(span))
        }
    }

    async fn run_in<Fut>(self: Arc<Self>, flying: Flying, check: Fut, span: tracing::Span) -> Ended
    where
        Fut: Future<Output = Evaluation>,
    {
        // The std clock for the run's own times: Tokio's, which a test can
        // pause, costs more to read, and only the cache needs it.
        let started = std::time::Instant::now();
        let deadline = Instant::from_std(started) + self.options.timeout();
        let (report, failures, shareable, returned) = self.evaluate(check, deadline).await;
        let duration = started.elapsed();
        if returned && duration > self.options.timeout() && !self.options.blocking() {
            // A timeout stops a probe only where it waits: this one held its
            // thread past it.
            self.observer
                .blocked_past_timeout(duration, self.options.timeout());
        }
        let ended = if shareable {
            self.observer.run_finished(&RunRecord {
                report: &report,
                failures: &failures,
                duration,
                span: &span,
            });
            let answer = self.answer_of(report);
            let ended_at = match self.options.cache() {
                Some(_) => Instant::now(),
                None => Instant::from_std(started + duration),
            };
            self.state.store(&answer, ended_at, duration);
            Ended::Shared(answer)
        } else {
            // The request's own arguments failed, not the probe, so the
            // probe's state is left alone.
            self.observer.arguments_rejected(&failures);
            Ended::Own(self.answer_of(report))
        };
        flying.land(&ended);
        ended
    }

    fn answer_of(&self, report: Report) -> Arc<Answer> {
        if report.title.is_none() && report.checks.is_empty() {
            self.state.pass().clone()
        } else {
            Arc::new(Answer::new(report))
        }
    }

    /// Runs the probe function, then the checks it returned, if any, all
    /// within the probe's `deadline`. The first flag says whether the
    /// answer may be shared: not when it comes from this request's own
    /// arguments failing. The second, whether the probe function's own
    /// result is the answer, returned rather than stopped, with nothing run
    /// after it.
    async fn evaluate<Fut>(
        &self,
        check: Fut,
        deadline: Instant,
    ) -> (Report, Vec<Failure>, bool, bool)
    where
        Fut: Future<Output = Evaluation>,
    {
        let (kind, timeout) = (self.kind, self.options.timeout());
        let mut outcome = bounded::bounded(check, deadline).await;
        while let Ok(Ok(Outcome::Blocking(call))) = outcome {
            outcome = self.call_blocking(call, deadline).await;
        }
        let (result, shareable, cause) = match outcome {
            Ok(Ok(Outcome::Checks(checks))) => {
                // Boxed: named checks are the rare path, and inline they would make
                // every run's future several times larger.
                let (report, failures) = Box::pin(named::run(checks, deadline, timeout)).await;
                return (report, failures, true, false);
            }
            Ok(Ok(Outcome::Done(result))) => {
                let (report, failures) = Report::single(kind, result);
                return (report, failures, true, true);
            }
            Ok(Ok(Outcome::Blocking(_))) => unreachable!("blocking calls were made above"),
            Ok(Err(extraction)) => (extraction, false, Cause::Failed),
            Err(stopped) => {
                let cause = stopped.cause();
                (stopped_error(stopped, kind.as_str(), timeout), true, cause)
            }
        };
        let (report, failures) = Report::stopped_early(kind, result, cause);
        (report, failures, shareable, false)
    }

    /// Calls a sync probe on the blocking thread pool, unless its previous
    /// call still holds a thread there: then the run fails as timed out
    /// rather than take a second thread.
    async fn call_blocking(
        &self,
        call: Box<dyn FnOnce() -> Outcome + Send>,
        deadline: Instant,
    ) -> Result<Evaluation, Stopped> {
        if self.blocking.swap(true, Ordering::AcqRel) {
            return Err(Stopped::TimedOut);
        }
        let held = HeldThread(self.blocking.clone());
        let thread = tokio::task::spawn_blocking(move || {
            let _held = held;
            call()
        });
        match bounded::bounded(thread, deadline).await {
            Ok(Ok(outcome)) => Ok(Ok(outcome)),
            Ok(Err(error)) => match error.try_into_panic() {
                Ok(panic) => Err(Stopped::Panicked(panic)),
                // Cancelled: the runtime is shutting down.
                Err(_) => Err(Stopped::TimedOut),
            },
            Err(stopped) => Err(stopped),
        }
    }
}

/// Ends the flight a run took, however the run ends: with its answer, or,
/// if it is dropped or unwinds first (before its first poll included), as
/// dropped, so that the requests waiting for it try again. A flight is
/// never left running.
struct Flying(Option<Arc<Runner>>);

impl Flying {
    fn land(mut self, ended: &Ended) {
        if let Some(runner) = self.0.take() {
            runner.flight.end(|| ended.clone());
        }
    }
}

impl Drop for Flying {
    fn drop(&mut self) {
        if let Some(runner) = self.0.take() {
            runner.flight.end(|| Ended::Dropped);
        }
    }
}

/// Marks the probe's blocking thread free when its call returns or panics.
struct HeldThread(Arc<AtomicBool>);

impl Drop for HeldThread {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn title(served: &Served) -> Option<&str> {
        served.answer.report.title.as_deref()
    }

    fn done(result: Result<(), HealthError>) -> Evaluation {
        Ok(Outcome::Done(result))
    }

    type Check = std::pin::Pin<Box<dyn Future<Output = Evaluation> + Send>>;

    /// A check that counts its runs, waits `wait`, then fails.
    fn counted(runs: &Arc<AtomicUsize>, wait: Duration) -> impl FnOnce() -> Check + use<> {
        let runs = runs.clone();
        move || {
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                done(Err(HealthError::new("down")))
            })
        }
    }

    fn runner(kind: Probe, options: Options) -> Arc<Runner> {
        Arc::new(Runner::new(kind, options))
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_past_its_timeout_fails_with_a_fixed_title() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(1_500)),
        );
        let served = runner.answer(std::future::pending).await;
        assert_eq!(
            title(&served),
            Some("The ready check timed out after 1500ms")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cached_answer_expires_after_its_period() {
        let runner = runner(
            Probe::Live,
            Options::DEFAULT.with_cache(Duration::from_millis(5_000)),
        );
        let runs = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            title(&runner.answer(counted(&runs, Duration::ZERO)).await),
            Some("down")
        );
        tokio::time::advance(Duration::from_millis(4_999)).await;
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_outlives_the_request_that_started_it() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT
                .with_timeout(Duration::from_secs(5))
                .with_cache(Duration::from_secs(60)),
        );
        let runs = Arc::new(AtomicUsize::new(0));
        let leader = tokio::spawn({
            let (runner, check) = (runner.clone(), counted(&runs, Duration::from_secs(1)));
            async move { runner.answer(check).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        leader.abort();
        assert!(leader.await.unwrap_err().is_cancelled());

        // Joins the run the aborted request started, and gets its answer.
        let waiter = runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(title(&waiter), Some("down"));
        // Served from the cache that run filled.
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one run served all three");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_answer_is_served_at_once_while_one_run_refreshes_it() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT
                .with_cache(Duration::from_millis(500))
                .with_stale(Duration::from_secs(10)),
        );
        let runs = Arc::new(AtomicUsize::new(0));
        runner
            .answer(counted(&runs, Duration::from_millis(300)))
            .await;
        tokio::time::advance(Duration::from_millis(600)).await;

        for _ in 0..5 {
            let served = runner
                .answer(counted(&runs, Duration::from_millis(300)))
                .await;
            assert!(served.stale.is_some(), "served stale, without waiting");
        }
        tokio::task::yield_now().await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "one refresh for five requests"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        let served = runner.answer(counted(&runs, Duration::ZERO)).await;
        assert!(served.stale.is_none(), "the refresh's answer is fresh");
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        tokio::time::advance(Duration::from_secs(20)).await;
        let served = runner.answer(counted(&runs, Duration::ZERO)).await;
        assert!(served.stale.is_none(), "past `stale`, the request waits");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interval_answer_no_refresh_kept_is_run_again() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_interval(Duration::from_secs(1)),
        );
        let runs = Arc::new(AtomicUsize::new(0));
        runner.answer(counted(&runs, Duration::ZERO)).await;
        tokio::time::advance(Duration::from_millis(2_900)).await;
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "within two periods and a timeout"
        );
        tokio::time::advance(Duration::from_millis(100)).await;
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "past them, the request runs it"
        );
    }

    #[tokio::test]
    async fn the_timeout_counts_from_the_start_of_the_run() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(100)),
        );
        let served = runner
            .answer(|| async {
                // Work before the first await counts against the timeout.
                std::thread::sleep(Duration::from_millis(80));
                tokio::time::sleep(Duration::from_millis(80)).await;
                done(Ok(()))
            })
            .await;
        assert_eq!(
            title(&served),
            Some("The ready check timed out after 100ms")
        );
    }

    #[tokio::test]
    async fn checks_end_by_the_probe_deadline() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(100)),
        );
        let served = runner
            .answer(|| async {
                tokio::time::sleep(Duration::from_millis(80)).await;
                let slow = tokio::time::sleep(Duration::from_millis(80));
                Ok(Outcome::Checks(crate::Checks::new().add_check(
                    crate::Check::new("slow", slow).with_timeout(Duration::from_secs(5)),
                )))
            })
            .await;
        // The probe's timeout stopped it, and its title says so, the same
        // at every run, rather than the time left when the check started.
        assert_eq!(title(&served), Some("The slow check timed out after 100ms"));
    }

    #[tokio::test(start_paused = true)]
    async fn durations_too_long_for_the_clock_still_answer_and_cache() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT
                .with_timeout(Duration::MAX)
                .with_cache(Duration::MAX)
                .with_stale(Duration::MAX),
        );
        let runs = Arc::new(AtomicUsize::new(0));
        runner.answer(counted(&runs, Duration::ZERO)).await;
        runner.answer(counted(&runs, Duration::ZERO)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_blocking_call_overrunning_its_timeout_holds_one_thread_at_most() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_timeout(Duration::from_millis(50)),
        );
        let calls = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let blocking = || {
            let (calls, release) = (calls.clone(), release.clone());
            move || async move {
                Ok(Outcome::blocking(move || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    while !release.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Outcome::Done(Ok(()))
                }))
            }
        };
        for _ in 0..3 {
            let served = runner.answer(blocking()).await;
            assert_eq!(title(&served), Some("The ready check timed out after 50ms"));
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "no second thread while the first is held"
        );
        release.store(true, Ordering::SeqCst);
        while runner.blocking.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(runner.answer(blocking()).await.answer.passed());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_blocking_call_that_panics_is_reported_and_frees_its_thread() {
        let runner = runner(Probe::Live, Options::DEFAULT);
        let served = runner
            .answer(|| async { Ok(Outcome::blocking(|| panic!("stuck"))) })
            .await;
        assert_eq!(title(&served), Some("The live check panicked"));
        assert!(!runner.blocking.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn only_a_changed_answer_notifies_the_state() {
        let runner = runner(Probe::Ready, Options::DEFAULT);
        let mut changes = runner.state().subscribe();
        runner.answer(|| async { done(Ok(())) }).await;
        assert!(
            changes.has_changed().unwrap(),
            "the first answer is a change"
        );
        changes.mark_unchanged();
        runner.answer(|| async { done(Ok(())) }).await;
        assert!(!changes.has_changed().unwrap());
        runner
            .answer(|| async { done(Err(HealthError::new("down"))) })
            .await;
        assert!(changes.has_changed().unwrap());
        let latest = changes.borrow_and_update().clone();
        assert_eq!(latest.answer.unwrap().report.title.as_deref(), Some("down"));
    }

    #[tokio::test]
    async fn a_pass_serves_the_flask_healthz_body() {
        let runner = runner(Probe::Live, Options::DEFAULT);
        let served = runner.answer(|| async { done(Ok(())) }).await;
        assert_eq!(
            &served.answer.plain[..],
            br#"{"status": 200, "title": "OK"}"#
        );
    }

    #[tokio::test]
    async fn a_failure_to_extract_arguments_is_not_shared() {
        let runner = runner(
            Probe::Ready,
            Options::DEFAULT.with_cache(Duration::from_millis(60_000)),
        );
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
        let joined = |runner: &Runner| runner.flight.is_waited();
        // The leader's run waits, so the leader waits for it with the
        // flight's waiters.
        while !joined(&runner) {
            tokio::task::yield_now().await;
        }
        let waiter = tokio::spawn({
            let runner = runner.clone();
            async move { runner.answer(|| async { done(Ok(())) }).await }
        });
        tokio::task::yield_now().await;
        release.notify_one();
        assert_eq!(title(&leader.await.unwrap()), Some("bad query string"));
        assert!(
            !runner.observer.is_failing(),
            "a request's own arguments are not the probe failing"
        );
        assert!(
            waiter.await.unwrap().answer.passed(),
            "the waiter ran with its own arguments"
        );
        assert!(
            runner
                .answer(|| async { done(Err(HealthError::new("down"))) })
                .await
                .answer
                .passed(),
            "the pass was cached"
        );
    }
}
