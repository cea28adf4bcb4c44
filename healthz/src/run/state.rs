//! A probe's health state: its latest answer, which readers can watch for
//! changes, and when the run that gave it ended.
//!
//! Only finished runs write it, one at a time. A run that answers as the
//! one before it with the shared pass answer, what a healthy probe does at
//! every run, writes one atomic word and takes no lock; a cached pass is
//! read from that word alone.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::base::kind::Probe;
use crate::base::sync::{AtomicU64, Ordering};
use crate::history::Rings;
use crate::run::Answer;

/// A probe's latest answer, as its readers watch it: it changes only when
/// a run answers differently.
#[derive(Clone, Debug)]
pub(crate) struct Latest {
    /// `None` until the first run ends.
    pub(crate) answer: Option<Arc<Answer>>,
}

/// Where a state's answers go to the readers that watch them: tokio's
/// `watch`. Loom cannot model it, so the models put a lock of loom's in its
/// place and check the atomic word around it alone.
pub(crate) trait Feed {
    fn empty() -> Self;
    /// Changes the latest answer, and notifies the watchers if `modify`
    /// says that it changed.
    fn send_if_modified(&self, modify: impl FnOnce(&mut Latest) -> bool);
    /// The answer last sent.
    fn current(&self) -> Option<Arc<Answer>>;
}

impl Feed for watch::Sender<Latest> {
    fn empty() -> Self {
        watch::Sender::new(Latest { answer: None })
    }

    fn send_if_modified(&self, modify: impl FnOnce(&mut Latest) -> bool) {
        watch::Sender::send_if_modified(self, modify);
    }

    fn current(&self) -> Option<Arc<Answer>> {
        self.borrow().answer.clone()
    }
}

pub(crate) struct State<F = watch::Sender<Latest>> {
    answers: F,
    /// When the latest run ended, as nanoseconds since `epoch`, and whether
    /// it answered `pass`: see [`Mark`].
    mark: AtomicU64,
    epoch: Instant,
    /// The answer of every passing run without checks, made once.
    pass: Arc<Answer>,
    /// The transitions of the probe and its checks, written by the runs
    /// that answer differently.
    history: Rings,
    probe: Probe,
    /// How long the latest run took, in nanoseconds; zero before the first.
    /// std's atomic in the loom models too: what it holds orders nothing.
    took: std::sync::atomic::AtomicU64,
}

/// The most subjects one probe's history keeps: the probe and its named
/// checks.
const SUBJECTS: usize = 65;

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

impl<F: Feed> State<F> {
    /// The state of `probe`, whose history keeps `history` transitions per
    /// subject.
    pub(crate) fn new(pass: Arc<Answer>, probe: Probe, history: usize) -> Self {
        State {
            answers: F::empty(),
            mark: AtomicU64::new(0),
            epoch: Instant::now(),
            pass,
            history: Rings::new(history, SUBJECTS),
            probe,
            took: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How long the latest run took, once one has ended.
    pub(crate) fn took(&self) -> Option<Duration> {
        let nanos = self.took.load(std::sync::atomic::Ordering::Relaxed);
        (nanos != 0).then(|| Duration::from_nanos(nanos))
    }

    /// The transitions of the probe and its checks.
    pub(crate) fn history(&self) -> &Rings {
        &self.history
    }

    /// The shared answer of a passing run without checks.
    pub(crate) fn pass(&self) -> &Arc<Answer> {
        &self.pass
    }

    /// The latest answer, if a run has ended, and how long ago that run
    /// ended.
    pub(crate) fn latest(&self) -> Option<(Arc<Answer>, Duration)> {
        let (answer, ended) = self.latest_ended()?;
        Some((answer, ended.elapsed()))
    }

    /// The latest answer, if a run has ended, and when that run ended.
    fn latest_ended(&self) -> Option<(Arc<Answer>, Instant)> {
        let mark = Mark::read(&self.mark, Ordering::Acquire);
        let ended = self.epoch + mark.since_epoch()?;
        let answer = if mark.passed() {
            self.pass.clone()
        } else {
            // Sent before the mark was stored, so at least as new as it.
            self.answers.current()?
        };
        Some((answer, ended))
    }

    /// Makes `answer`, of a run that ended `at` after `duration`, the
    /// latest, notifying the receivers only when it differs from the
    /// previous one, and then after its transitions are in the history.
    pub(crate) fn store(&self, answer: &Arc<Answer>, at: Instant, duration: Duration) {
        let passed = Arc::ptr_eq(answer, &self.pass);
        // Runs write one at a time, so the previous mark is this run's.
        let passed_before = Mark::read(&self.mark, Ordering::Relaxed).passed();
        if !(passed && passed_before) {
            self.answers.send_if_modified(|latest| {
                let changed =
                    (latest.answer.as_ref()).is_none_or(|previous| !previous.same_as(answer));
                latest.answer = Some(answer.clone());
                if changed {
                    (self.history).record_report(self.probe, &answer.report, duration);
                }
                changed
            });
        }
        let nanos = u64::try_from(duration.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        (self.took).store(nanos, std::sync::atomic::Ordering::Relaxed);
        let since_epoch = at.saturating_duration_since(self.epoch);
        (self.mark).store(Mark::of(since_epoch, passed).0, Ordering::Release);
    }
}

impl State {
    /// A receiver notified when a run answers differently from the last.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Latest> {
        self.answers.subscribe()
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
        let state: State = State::new(Arc::new(Answer::new(Report::default())), Probe::Ready, 32);
        assert!(state.latest().is_none(), "no run has ended");

        state.store(&state.pass().clone(), Instant::now(), Duration::ZERO);
        tokio::time::advance(Duration::from_secs(3)).await;
        let (answer, age) = state.latest().unwrap();
        assert!(Arc::ptr_eq(&answer, state.pass()));
        assert_eq!(age, Duration::from_secs(3));

        let down = failed("down");
        state.store(&down, Instant::now(), Duration::ZERO);
        let (answer, age) = state.latest().unwrap();
        assert!(Arc::ptr_eq(&answer, &down));
        assert_eq!(age, Duration::ZERO);
    }

    #[tokio::test]
    async fn only_a_changed_answer_notifies() {
        let state: State = State::new(Arc::new(Answer::new(Report::default())), Probe::Ready, 32);
        let mut changes = state.subscribe();
        let pass = state.pass().clone();
        state.store(&pass, Instant::now(), Duration::ZERO);
        assert!(changes.has_changed().unwrap(), "the first answer");
        changes.mark_unchanged();
        state.store(&pass, Instant::now(), Duration::ZERO);
        assert!(!changes.has_changed().unwrap());
        state.store(&failed("down"), Instant::now(), Duration::ZERO);
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        state.store(&failed("down"), Instant::now(), Duration::ZERO);
        assert!(!changes.has_changed().unwrap(), "the same failure");
        state.store(&pass, Instant::now(), Duration::ZERO);
        assert!(changes.has_changed().unwrap(), "passes again");
    }
}

/// Every interleaving of runs writing a state and readers reading it,
/// checked by loom:
/// `RUSTFLAGS="--cfg healthz_loom" cargo test -p healthz --lib --release loom`.
/// The state word is loom's; tokio's `watch` is replaced by a lock of loom's
/// that counts its notifications, so the wake-up itself is tokio's and not
/// modelled.
#[cfg(all(test, healthz_loom))]
mod loom_models {
    use loom::sync::Arc as ModelArc;

    use super::*;
    use crate::base::sync::{AtomicUsize, Mutex, lock};
    use crate::report::Report;

    /// The feed: the latest answer and how many times its watchers were
    /// notified.
    struct LockFeed(Mutex<(Latest, usize)>);

    impl Feed for LockFeed {
        fn empty() -> Self {
            LockFeed(Mutex::new((Latest { answer: None }, 0)))
        }

        fn send_if_modified(&self, modify: impl FnOnce(&mut Latest) -> bool) {
            let mut feed = lock(&self.0);
            if modify(&mut feed.0) {
                feed.1 += 1;
            }
        }

        fn current(&self) -> Option<Arc<Answer>> {
            lock(&self.0).0.answer.clone()
        }
    }

    impl LockFeed {
        fn watch(&self) -> (Option<Arc<Answer>>, usize) {
            let feed = lock(&self.0);
            (feed.0.answer.clone(), feed.1)
        }
    }

    #[derive(Clone, Copy)]
    enum Write {
        Pass,
        Fail(&'static str),
    }

    struct Model {
        state: State<LockFeed>,
        answers: Vec<Arc<Answer>>,
        /// How many runs have written: runs write one at a time, in turn,
        /// as the flight has them (its own models check that).
        turn: AtomicUsize,
    }

    impl Model {
        /// When run `n` ended.
        fn ended(&self, n: usize) -> Instant {
            self.state.epoch + Duration::from_secs(n as u64 + 1)
        }

        /// Which run wrote `answer`: the latest of those that gave it.
        fn run_of(&self, answer: &Arc<Answer>) -> usize {
            (self.answers.iter())
                .rposition(|written| Arc::ptr_eq(written, answer))
                .expect("an answer that a run wrote")
        }
    }

    /// One thread per run writing `writes` in turn, and a reader that reads
    /// the state and watches the feed twice while they do.
    fn runs(writes: &'static [Write]) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(move || {
            let state =
                State::<LockFeed>::new(Arc::new(Answer::new(Report::default())), Probe::Ready, 1);
            let answers = (writes.iter())
                .map(|write| match write {
                    Write::Pass => state.pass().clone(),
                    Write::Fail(title) => Arc::new(Answer::new(Report {
                        title: Some((*title).to_owned()),
                        ..Report::default()
                    })),
                })
                .collect();
            let model = ModelArc::new(Model {
                state,
                answers,
                turn: AtomicUsize::new(0),
            });
            let writers: Vec<_> = (0..writes.len())
                .map(|n| {
                    let model = model.clone();
                    loom::thread::spawn(move || {
                        while model.turn.load(Ordering::Acquire) != n {
                            loom::thread::yield_now();
                        }
                        model
                            .state
                            .store(&model.answers[n], model.ended(n), Duration::ZERO);
                        model.turn.store(n + 1, Ordering::Release);
                    })
                })
                .collect();
            let reader = {
                let model = model.clone();
                loom::thread::spawn(move || {
                    let mut newest = None;
                    let mut watched: Vec<(Option<Arc<Answer>>, usize)> = Vec::new();
                    for _ in 0..2 {
                        watched.push(model.state.answers.watch());
                        let Some((answer, ended)) = model.state.latest_ended() else {
                            assert!(newest.is_none(), "a state read as answered, then not");
                            continue;
                        };
                        let run = model.run_of(&answer);
                        let marked = (0..writes.len())
                            .find(|&n| model.ended(n) == ended)
                            .expect("the time a run ended");
                        assert!(
                            run >= marked,
                            "run {marked}'s time read with run {run}'s older answer"
                        );
                        assert!(
                            newest <= Some((marked, run)),
                            "read run {run} at {marked} after {newest:?}"
                        );
                        newest = Some((marked, run));
                    }
                    watched
                })
            };
            for writer in writers {
                writer.join().unwrap();
            }
            let watched = reader.join().unwrap();

            let last = model.answers.last().unwrap();
            let (answer, _) = model.state.latest_ended().unwrap();
            assert!(Arc::ptr_eq(&answer, last), "the last run's answer is read");
            let (fed, notified) = model.state.answers.watch();
            assert!(
                fed.is_some_and(|fed| fed.same_as(last)),
                "the feed holds the last run's answer"
            );
            // Every change notified once: a watcher that saw an older answer
            // is woken, and one that saw the latest is not woken again.
            let changes = 1
                + (model.answers.windows(2))
                    .filter(|pair| !pair[0].same_as(&pair[1]))
                    .count();
            assert_eq!(notified, changes, "one notification per change");
            for pair in watched.windows(2) {
                let ((before, seen_before), (after, seen_after)) = (&pair[0], &pair[1]);
                let same = match (before, after) {
                    (Some(before), Some(after)) => before.same_as(after),
                    (before, after) => before.is_none() && after.is_none(),
                };
                assert!(same || seen_after > seen_before, "a change not notified");
            }
        });
    }

    #[test]
    fn loom_a_failure_after_a_pass_is_never_hidden() {
        runs(&[Write::Pass, Write::Fail("down")]);
    }

    #[test]
    fn loom_a_pass_after_a_failure_is_read_and_notified() {
        runs(&[Write::Fail("down"), Write::Pass]);
    }

    #[test]
    fn loom_two_failures_and_two_passes() {
        runs(&[Write::Fail("down"), Write::Fail("still down")]);
        runs(&[Write::Pass, Write::Pass]);
    }
}
