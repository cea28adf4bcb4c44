//! Heartbeats: background loops that report they still make progress, and
//! fail liveness when they stop.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::base::sync::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use crate::lifecycle::Lifecycle;

/// A background loop's proof of life, made by
/// [`Lifecycle::heartbeat`]: call [`beat`](Heartbeat::beat) at least once
/// per period, and liveness fails when it stops.
///
/// | the loop | `/healthz/live` |
/// | --- | --- |
/// | beats within its period | runs the liveness probe |
/// | no beat for longer than its period | 503, `The consumer heartbeat is late: no beat for 41s` |
/// | the `Heartbeat` was dropped without [`finish`](Heartbeat::finish) (the task returned early, was aborted, or panicked) | 503 until the process restarts |
/// | called [`finish`](Heartbeat::finish) | runs the liveness probe: no longer watched |
///
/// Once shutdown has begun, heartbeats no longer fail liveness: loops
/// stopping during the drain are expected.
///
/// A beat is one relaxed atomic store of the time, for the hottest loop.
/// The lifecycle's clock turns the heartbeat late once its period has
/// passed since its last beat, whoever reads: a probe request read then
/// answers 503, and gRPC `Watch`, [`Health::changed`](crate::Health::changed),
/// the history, the metrics and the log hear of the turn within
/// milliseconds, without a request.
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (send, mut queue) = tokio::sync::mpsc::channel::<String>(16);
/// let consumer = tokio::spawn(async move {
///     let beat = healthz::lifecycle().heartbeat("consumer", Duration::from_secs(30));
///     let mut tick = tokio::time::interval(Duration::from_secs(10));
///     loop {
///         tokio::select! {
///             message = queue.recv() => match message {
///                 Some(message) => println!("handling {message}"),
///                 None => break,
///             },
///             // Idle is not stuck: beat on a timer too.
///             _ = tick.tick() => {}
///         }
///         beat.beat();
///     }
///     beat.finish(); // a planned end: stop watching it
/// });
/// send.send("hello".to_owned()).await.unwrap();
/// drop(send);
/// consumer.await.unwrap();
/// # }
/// ```
#[must_use = "a heartbeat dropped without `finish()` fails liveness"]
pub struct Heartbeat {
    beat: Arc<Beat>,
    lifecycle: Lifecycle,
}

/// What a heartbeat shares with the lifecycle that watches it.
pub(crate) struct Beat {
    pub(crate) name: Cow<'static, str>,
    period: Duration,
    created: Instant,
    /// When the loop last beat, in milliseconds after `created`: written by
    /// each beat, read by everyone, so that a beat is dated when it is
    /// made, not when a reader next looks.
    last: AtomicU64,
    end: AtomicU8,
    /// Whether the lifecycle's clock has turned it late: the turn that the
    /// history, the log, the metrics and the change feed were told of.
    /// Written by the clock alone, under the lifecycle's lock.
    turned_late: AtomicBool,
}

const BEATING: u8 = 0;
const FINISHED: u8 = 1;
const DROPPED: u8 = 2;
const PANICKED: u8 = 3;

/// How a watched heartbeat stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    Beating,
    Late(Duration),
    Ended { panicked: bool },
}

impl Beat {
    pub(crate) fn new(name: Cow<'static, str>, period: Duration) -> Self {
        Beat {
            name,
            period,
            created: Instant::now(),
            last: AtomicU64::new(0),
            end: AtomicU8::new(BEATING),
            turned_late: AtomicBool::new(false),
        }
    }

    pub(crate) fn is_beating(&self) -> bool {
        self.end.load(Ordering::Acquire) == BEATING
    }

    /// Milliseconds since the heartbeat was made, on the clock that dates
    /// its beats.
    fn now(&self) -> u64 {
        u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Dates a beat now: one relaxed store after a read of the clock.
    #[inline]
    fn beat(&self) {
        self.last.store(self.now(), Ordering::Relaxed);
    }

    /// How it stands now. A pure read: it writes, logs and notifies nothing.
    pub(crate) fn standing(&self) -> Standing {
        self.standing_at(|| self.now())
    }

    /// [`standing`](Beat::standing) at `now`, in milliseconds after
    /// `created`: the models give their own clock.
    fn standing_at(&self, now: impl FnOnce() -> u64) -> Standing {
        match self.end.load(Ordering::Acquire) {
            DROPPED => return Standing::Ended { panicked: false },
            PANICKED => return Standing::Ended { panicked: true },
            _ => {}
        }
        // The clock is read before the last beat: a beat made in between is
        // then dated at or after `now`, and counts as no silence at all.
        // Read after, the read could date a beat made meanwhile from the one
        // before it, and find a beating loop late.
        let now = now();
        let silent = Duration::from_millis(now.saturating_sub(self.last.load(Ordering::Relaxed)));
        if silent > self.period {
            Standing::Late(silent)
        } else {
            Standing::Beating
        }
    }

    /// The clock's step: whether the heartbeat turned late, or beating
    /// again, at `standing` since the clock last looked. True once per
    /// change, which the caller then records, logs and notifies. Called
    /// under the lifecycle's lock, the clock's writes are in order.
    pub(crate) fn turns(&self, standing: &Standing) -> bool {
        let late = match standing {
            Standing::Beating => false,
            Standing::Late(_) => true,
            // An ended heartbeat's turn is its drop's.
            Standing::Ended { .. } => return false,
        };
        late != self.turned_late.swap(late, Ordering::Relaxed)
    }

    /// When the clock must look at this heartbeat next, in milliseconds
    /// after `created`, if ever: at the end of its period while it beats;
    /// soon, while it is late, to see it beat again, since a beat tells
    /// no one.
    pub(crate) fn next_look(&self, standing: &Standing, poll: Duration) -> Option<Instant> {
        match standing {
            Standing::Beating => {
                let last = self.last.load(Ordering::Relaxed);
                let due = Duration::from_millis(last) + self.period + Duration::from_millis(1);
                Some(self.created + due)
            }
            Standing::Late(_) => Some(Instant::now() + poll),
            Standing::Ended { .. } => None,
        }
    }

    /// Logs a turn found by [`turns`](Beat::turns). Called with the
    /// lifecycle's lock released: the log's subscriber is the app's code,
    /// which may read the lifecycle.
    pub(crate) fn log_turn(&self, standing: &Standing) {
        let (name, period) = (&*self.name, self.period);
        if let Standing::Late(silent) = standing {
            tracing::warn!(heartbeat = name, ?silent, ?period, "heartbeat late");
        } else {
            tracing::info!(heartbeat = name, "heartbeat beating again");
        }
    }

    /// How long ago the last beat was, and the period it must beat within.
    pub(crate) fn silence(&self) -> (Duration, Duration) {
        let now = self.now();
        let silent = now.saturating_sub(self.last.load(Ordering::Relaxed));
        (Duration::from_millis(silent), self.period)
    }

    /// The name of its entry in the detailed answers and the history:
    /// `heartbeat:<name>`.
    pub(crate) fn entry(&self) -> String {
        entry(&self.name)
    }

    /// The title of a heartbeat that fails liveness.
    pub(crate) fn title(&self, standing: &Standing) -> Option<String> {
        let name = &self.name;
        match standing {
            Standing::Beating => None,
            Standing::Late(silent) => Some(format!(
                "The {name} heartbeat is late: no beat for {}",
                Whole(*silent)
            )),
            Standing::Ended { panicked: true } => {
                Some(format!("The {name} heartbeat ended: its task panicked"))
            }
            Standing::Ended { panicked: false } => Some(format!(
                "The {name} heartbeat ended: it was dropped without finish()"
            )),
        }
    }
}

/// The entry name of the heartbeat named `name`.
pub(crate) fn entry(name: &str) -> String {
    format!("heartbeat:{name}")
}

/// A duration in whole seconds, or milliseconds under a second.
struct Whole(Duration);

impl fmt::Display for Whole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_secs() {
            0 => write!(f, "{}ms", self.0.as_millis()),
            secs => write!(f, "{secs}s"),
        }
    }
}

impl Heartbeat {
    pub(crate) fn new(beat: Arc<Beat>, lifecycle: Lifecycle) -> Self {
        Heartbeat { beat, lifecycle }
    }

    /// Says the loop made progress: a read of the monotonic clock and one
    /// relaxed atomic store, neither blocking nor allocating.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let beat = healthz::Lifecycle::new().heartbeat("scheduler", Duration::from_secs(60));
    /// beat.beat();
    /// # beat.finish();
    /// ```
    #[inline]
    pub fn beat(&self) {
        self.beat.beat();
    }

    /// Ends the heartbeat on purpose: liveness no longer watches it, and
    /// its name is free for a new one.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let lifecycle = healthz::Lifecycle::new();
    /// let beat = lifecycle.heartbeat("migration", Duration::from_secs(60));
    /// beat.finish();
    /// let again = lifecycle.heartbeat("migration", Duration::from_secs(60));
    /// # again.finish();
    /// ```
    pub fn finish(self) {
        self.beat.end.store(FINISHED, Ordering::Release);
        self.lifecycle.unwatch(&self.beat);
    }

    /// The name given to [`Lifecycle::heartbeat`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let beat = healthz::Lifecycle::new().heartbeat("consumer", Duration::from_secs(30));
    /// assert_eq!(beat.name(), "consumer");
    /// # beat.finish();
    /// ```
    pub fn name(&self) -> &str {
        &self.beat.name
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        if !self.beat.is_beating() {
            return;
        }
        let panicked = std::thread::panicking();
        let end = if panicked { PANICKED } else { DROPPED };
        self.beat.end.store(end, Ordering::Release);
        let name = &*self.beat.name;
        let title = self.beat.title(&Standing::Ended { panicked });
        self.lifecycle.record(&self.beat.entry(), title.as_deref());
        self.lifecycle.changed();
        self.lifecycle.wake_clock();
        if self.lifecycle.is_shutting_down() {
            tracing::info!(heartbeat = name, "heartbeat ended during shutdown");
        } else if panicked {
            tracing::error!(
                heartbeat = name,
                "heartbeat ended: its task panicked; liveness fails until a restart"
            );
        } else {
            tracing::error!(
                heartbeat = name,
                "heartbeat ended: dropped without finish(); liveness fails until a restart"
            );
        }
    }
}

impl fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heartbeat")
            .field("name", &self.beat.name)
            .field("period", &self.beat.period)
            .finish()
    }
}

/// A heartbeat refused by [`Lifecycle::try_heartbeat`]: a loop still beats
/// with that name.
///
/// ```
/// use std::time::Duration;
/// let lifecycle = healthz::Lifecycle::new();
/// let _beating = lifecycle.heartbeat("consumer", Duration::from_secs(30));
/// let refused = lifecycle.try_heartbeat("consumer", Duration::from_secs(30)).unwrap_err();
/// assert_eq!(refused.to_string(), "a heartbeat named \"consumer\" is already beating");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatInUse {
    pub(crate) name: Cow<'static, str>,
}

impl HeartbeatInUse {
    /// The name asked for.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let lifecycle = healthz::Lifecycle::new();
    /// # let _beating = lifecycle.heartbeat("consumer", Duration::from_secs(30));
    /// let refused = lifecycle.try_heartbeat("consumer", Duration::from_secs(30)).unwrap_err();
    /// assert_eq!(refused.name(), "consumer");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for HeartbeatInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a heartbeat named {:?} is already beating", self.name)
    }
}

impl std::error::Error for HeartbeatInUse {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_still_beating_is_refused_without_a_panic_until_it_ends() {
        let lifecycle = Lifecycle::new();
        let period = Duration::from_secs(30);
        let old = lifecycle.heartbeat("consumer", period);
        let refused = lifecycle.try_heartbeat("consumer", period).unwrap_err();
        assert_eq!(refused.name(), "consumer");
        let other = lifecycle.try_heartbeat("indexer", period).unwrap();
        drop(old); // ended without finish: no longer beating
        let again = lifecycle.try_heartbeat("consumer", period).unwrap();
        again.finish();
        other.finish();
    }

    #[test]
    #[should_panic(
        expected = "a heartbeat named \"consumer\" is already beating: give each loop a name of its own"
    )]
    fn heartbeat_panics_where_try_heartbeat_refuses() {
        let lifecycle = Lifecycle::new();
        let _old = lifecycle.heartbeat("consumer", Duration::from_secs(30));
        let _ = lifecycle.heartbeat("consumer", Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_heartbeat_is_late_once_its_period_passes_without_a_beat() {
        let beat = Beat::new("consumer".into(), Duration::from_millis(300));
        assert!(matches!(beat.standing(), Standing::Beating));
        tokio::time::advance(Duration::from_millis(301)).await;
        let standing = beat.standing();
        assert_eq!(
            beat.title(&standing).as_deref(),
            Some("The consumer heartbeat is late: no beat for 301ms")
        );
        beat.beat();
        assert!(matches!(beat.standing(), Standing::Beating));
    }
}

/// Every interleaving of a beating loop, the reads of its heartbeat and
/// the clock's looks, checked by loom:
/// `RUSTFLAGS="--cfg healthz_loom" cargo test -p healthz --lib --release loom`.
#[cfg(all(test, healthz_loom))]
mod loom_models {
    use loom::sync::Arc;

    use super::*;
    use crate::base::sync::{Mutex, lock};

    const PERIOD: u64 = 1;

    /// A beat as `Heartbeat::beat` makes it, on the model's clock: the
    /// time read and stored, with the clock's lock ordering it with the
    /// reads of the time.
    fn beat_at(beat: &Beat, clock: &Mutex<u64>, tick: u64) {
        let mut now = lock(clock);
        *now = tick;
        beat.last.store(tick, Ordering::Relaxed);
    }

    /// A loop that beats at each tick of the model's clock, which only it
    /// advances, while a reader reads its heartbeat twice: it is never
    /// found late. Reading the last beat before the clock would find it
    /// late, dating a beat made in between from the one before.
    #[test]
    fn loom_a_read_never_finds_a_loop_late_while_it_beats_each_tick() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let beat = Arc::new(Beat::new("consumer".into(), Duration::from_millis(PERIOD)));
            let clock = Arc::new(Mutex::new(0u64));
            let beating = {
                let (beat, clock) = (beat.clone(), clock.clone());
                loom::thread::spawn(move || {
                    for tick in 1..=2 {
                        beat_at(&beat, &clock, tick);
                    }
                })
            };
            for _ in 0..2 {
                let standing = beat.standing_at(|| *lock(&clock));
                assert_eq!(
                    standing,
                    Standing::Beating,
                    "a loop beating each tick found late"
                );
            }
            beating.join().unwrap();
        });
    }

    /// A loop that beats once, then stalls while time passes, and the
    /// clock's looks racing it: the clock turns it late once, never before
    /// its period has passed since the beat, and a read after the turn
    /// finds it late too.
    #[test]
    fn loom_the_clock_turns_a_stalled_loop_late_once_past_its_period() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let beat = Arc::new(Beat::new("consumer".into(), Duration::from_millis(PERIOD)));
            let clock = Arc::new(Mutex::new(0u64));
            let stalling = {
                let (beat, clock) = (beat.clone(), clock.clone());
                loom::thread::spawn(move || {
                    beat_at(&beat, &clock, 1);
                    // Stalled: time passes, with no beat.
                    *lock(&clock) = 1 + PERIOD + 1;
                })
            };
            // The clock's looks, each a step as `clock::step` takes it.
            let look = |beat: &Beat| {
                let mut now = 0;
                let standing = beat.standing_at(|| {
                    now = *lock(&clock);
                    now
                });
                if let Standing::Late(_) = standing {
                    assert!(
                        now > 1 + PERIOD,
                        "late at {now}, within the period of the beat"
                    );
                }
                (beat.turns(&standing), standing)
            };
            let mut turns = 0;
            for _ in 0..2 {
                if let (true, Standing::Late(_)) = look(&beat) {
                    turns += 1;
                }
            }
            stalling.join().unwrap();
            if let (true, Standing::Late(_)) = look(&beat) {
                turns += 1;
            }
            let (_, after) = look(&beat);
            assert!(
                matches!(after, Standing::Late(_)),
                "stalled, yet read as beating"
            );
            assert_eq!(turns, 1, "turned late {turns} times");
        });
    }
}
