//! A probe's health state: its latest answer, which readers can watch for
//! changes, and when the run that gave it ended.
//!
//! Only finished runs write it, one at a time. A run that answers as the
//! one before it with the shared pass answer, what a healthy probe does at
//! every run, writes one atomic word and takes no lock; a cached pass is
//! read from that word alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::run::Answer;

/// A probe's latest answer, as its readers watch it: it changes only when
/// a run answers differently.
#[derive(Clone, Debug)]
pub(crate) struct Latest {
    /// `None` until the first run ends.
    pub(crate) answer: Option<Arc<Answer>>,
}

pub(crate) struct State {
    answers: watch::Sender<Latest>,
    /// When the latest run ended, as nanoseconds since `epoch`, and whether
    /// it answered `pass`: see [`Mark`].
    mark: AtomicU64,
    epoch: Instant,
    /// The answer of every passing run without checks, made once.
    pass: Arc<Answer>,
}

/// The word `State::mark` holds: zero before the first run ends, then the
/// time the latest run ended shifted left by two, `ANSWERED`, and `PASSED`
/// when its answer is the shared pass answer.
#[derive(Clone, Copy)]
struct Mark(u64);

impl Mark {
    const ANSWERED: u64 = 0b10;
    const PASSED: u64 = 0b01;

    fn of(since_epoch: Duration, passed: bool) -> Mark {
        let nanos = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
        Mark((nanos.min(u64::MAX >> 2) << 2) | Mark::ANSWERED | u64::from(passed))
    }

    fn read(word: &AtomicU64, order: Ordering) -> Mark {
        Mark(word.load(order))
    }

    fn since_epoch(self) -> Option<Duration> {
        (self.0 & Mark::ANSWERED != 0).then(|| Duration::from_nanos(self.0 >> 2))
    }

    fn passed(self) -> bool {
        self.0 & Mark::PASSED != 0
    }
}

impl State {
    pub(crate) fn new(pass: Arc<Answer>) -> Self {
        State {
            answers: watch::Sender::new(Latest { answer: None }),
            mark: AtomicU64::new(0),
            epoch: Instant::now(),
            pass,
        }
    }

    /// The shared answer of a passing run without checks.
    pub(crate) fn pass(&self) -> &Arc<Answer> {
        &self.pass
    }

    /// A receiver notified when a run answers differently from the last.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Latest> {
        self.answers.subscribe()
    }

    /// The latest answer, if a run has ended, and how long ago that run
    /// ended.
    pub(crate) fn latest(&self) -> Option<(Arc<Answer>, Duration)> {
        let mark = Mark::read(&self.mark, Ordering::Acquire);
        let ended = self.epoch + mark.since_epoch()?;
        let answer = if mark.passed() {
            self.pass.clone()
        } else {
            self.answers.borrow().answer.clone()?
        };
        Some((answer, ended.elapsed()))
    }

    /// Makes `answer`, of a run that ended `at`, the latest, notifying the
    /// receivers only when it differs from the previous one.
    pub(crate) fn store(&self, answer: &Arc<Answer>, at: Instant) {
        let passed = Arc::ptr_eq(answer, &self.pass);
        // Runs write one at a time, so the previous mark is this run's.
        let passed_before = Mark::read(&self.mark, Ordering::Relaxed).passed();
        if !(passed && passed_before) {
            self.answers.send_if_modified(|latest| {
                let changed =
                    (latest.answer.as_ref()).is_none_or(|previous| !previous.same_as(answer));
                latest.answer = Some(answer.clone());
                changed
            });
        }
        let since_epoch = at.saturating_duration_since(self.epoch);
        (self.mark).store(Mark::of(since_epoch, passed).0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    fn failed(title: &str) -> Arc<Answer> {
        Arc::new(Answer::new(Report {
            title: Some(title.to_owned()),
            ..Report::default()
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn the_latest_answer_and_its_age() {
        let state = State::new(Arc::new(Answer::new(Report::default())));
        assert!(state.latest().is_none(), "no run has ended");

        state.store(&state.pass().clone(), Instant::now());
        tokio::time::advance(Duration::from_secs(3)).await;
        let (answer, age) = state.latest().unwrap();
        assert!(Arc::ptr_eq(&answer, state.pass()));
        assert_eq!(age, Duration::from_secs(3));

        let down = failed("down");
        state.store(&down, Instant::now());
        let (answer, age) = state.latest().unwrap();
        assert!(Arc::ptr_eq(&answer, &down));
        assert_eq!(age, Duration::ZERO);
    }

    #[tokio::test]
    async fn only_a_changed_answer_notifies() {
        let state = State::new(Arc::new(Answer::new(Report::default())));
        let mut changes = state.subscribe();
        let pass = state.pass().clone();
        state.store(&pass, Instant::now());
        assert!(changes.has_changed().unwrap(), "the first answer");
        changes.mark_unchanged();
        state.store(&pass, Instant::now());
        assert!(!changes.has_changed().unwrap());
        state.store(&failed("down"), Instant::now());
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        state.store(&failed("down"), Instant::now());
        assert!(!changes.has_changed().unwrap(), "the same failure");
        state.store(&pass, Instant::now());
        assert!(changes.has_changed().unwrap(), "passes again");
    }
}
