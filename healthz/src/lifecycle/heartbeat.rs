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
/// A beat is one relaxed atomic store, for the hottest loop. The time of the
/// last beat is read when a probe asks, so a stop is noticed within the
/// period plus the time between two probes.
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
    /// Set by each beat, cleared by the reader that sees it.
    beaten: AtomicBool,
    /// When a beat was last seen, in milliseconds after `created`.
    seen: AtomicU64,
    end: AtomicU8,
    /// Whether the lateness was logged, so that it is logged once.
    reported_late: AtomicBool,
}

const BEATING: u8 = 0;
const FINISHED: u8 = 1;
const DROPPED: u8 = 2;
const PANICKED: u8 = 3;

/// How a watched heartbeat stands when a probe asks.
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
            beaten: AtomicBool::new(false),
            seen: AtomicU64::new(0),
            end: AtomicU8::new(BEATING),
            reported_late: AtomicBool::new(false),
        }
    }

    pub(crate) fn is_beating(&self) -> bool {
        self.end.load(Ordering::Acquire) == BEATING
    }

    /// Reads the beats since the last look. The lifecycle's lock is held:
    /// one reader at a time.
    pub(crate) fn standing(&self) -> Standing {
        self.standing_at(|| u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// [`standing`](Beat::standing) at `now`, in milliseconds after
    /// `created`: the models give their own clock.
    fn standing_at(&self, now: impl FnOnce() -> u64) -> Standing {
        match self.end.load(Ordering::Acquire) {
            DROPPED => return Standing::Ended { panicked: false },
            PANICKED => return Standing::Ended { panicked: true },
            _ => {}
        }
        let beaten = self.beaten.swap(false, Ordering::Relaxed);
        // The clock is read after the beats are taken, so that a beat taken
        // is never dated before it was made: read before, a beat made in
        // between would be dated early, and could make a beating loop late.
        let age = now();
        if beaten {
            self.seen.store(age, Ordering::Relaxed);
        }
        let silent = Duration::from_millis(age.saturating_sub(self.seen.load(Ordering::Relaxed)));
        if silent > self.period {
            Standing::Late(silent)
        } else {
            Standing::Beating
        }
    }

    /// Whether `standing` turns the heartbeat late, or beating again, since
    /// the last look: true once per change, which the caller then logs with
    /// [`log_turn`](Beat::log_turn).
    pub(crate) fn has_turned(&self, standing: &Standing) -> bool {
        let late = match standing {
            Standing::Beating => false,
            Standing::Late(_) => true,
            Standing::Ended { .. } => return false,
        };
        late != self.reported_late.swap(late, Ordering::Relaxed)
    }

    /// Logs a turn found by [`has_turned`](Beat::has_turned). Called with
    /// the lifecycle's lock released: the log's subscriber is the app's
    /// code, which may read the lifecycle.
    pub(crate) fn log_turn(&self, standing: &Standing) {
        let (name, period) = (&*self.name, self.period);
        if let Standing::Late(silent) = standing {
            tracing::warn!(heartbeat = name, ?silent, ?period, "heartbeat late");
        } else {
            tracing::info!(heartbeat = name, "heartbeat beating again");
        }
    }

    /// How long ago the last beat seen was, and the period it must beat
    /// within: as of the last [`standing`](Beat::standing), which the
    /// caller has just read.
    #[cfg(feature = "ui")]
    pub(crate) fn silence(&self) -> (Duration, Duration) {
        let now = u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX);
        let silent = now.saturating_sub(self.seen.load(Ordering::Relaxed));
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

    /// Says the loop made progress: one relaxed atomic store, neither
    /// blocking nor allocating.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let beat = healthz::Lifecycle::new().heartbeat("scheduler", Duration::from_secs(60));
    /// beat.beat();
    /// # beat.finish();
    /// ```
    #[inline]
    pub fn beat(&self) {
        self.beat.beaten.store(true, Ordering::Relaxed);
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
        beat.beaten.store(true, Ordering::Relaxed);
        assert!(matches!(beat.standing(), Standing::Beating));
    }
}

/// Every interleaving of a beating loop and the reads of its heartbeat,
/// checked by loom:
/// `RUSTFLAGS="--cfg healthz_loom" cargo test -p healthz --lib --release loom`.
#[cfg(all(test, healthz_loom))]
mod loom_models {
    use loom::sync::Arc;

    use super::*;
    use crate::base::sync::{Mutex, lock};

    /// A loop that beats at each tick of the model's clock, one tick apart,
    /// and a reader that reads its heartbeat twice while it beats: a read
    /// never finds the loop late while its last beat is within the period.
    #[test]
    fn loom_a_beat_racing_a_read_never_fails_a_beating_loop() {
        const PERIOD: u64 = 1;
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let beat = Arc::new(Beat::new("consumer".into(), Duration::from_millis(PERIOD)));
            // The clock in milliseconds, behind a lock as time is ordered
            // with what happens in each thread.
            let clock = Arc::new(Mutex::new(0u64));
            // The tick of the last beat made, published after it.
            let made = Arc::new(AtomicU64::new(0));
            let beating = {
                let (beat, clock, made) = (beat.clone(), clock.clone(), made.clone());
                loom::thread::spawn(move || {
                    for tick in 1..=2 {
                        *lock(&clock) = tick;
                        // `Heartbeat::beat` stores; the model swaps. Loom
                        // 0.7 orders a plain store and a read-modify-write
                        // that race it only partly, and so lets the reader's
                        // swap read the value before a store it follows,
                        // which the memory model forbids. A swap is ordered
                        // as the store is for the reader.
                        beat.beaten.swap(true, Ordering::Relaxed);
                        made.store(tick, Ordering::Release);
                    }
                })
            };
            for _ in 0..2 {
                // A beat the read knows of, and so one made before it began.
                let known = made.load(Ordering::Acquire);
                let mut now = 0;
                let standing = beat.standing_at(|| {
                    now = *lock(&clock);
                    now
                });
                if known > 0 && now - known <= PERIOD {
                    assert!(
                        matches!(standing, Standing::Beating),
                        "late at {now}, with a beat at {known}"
                    );
                }
            }
            beating.join().unwrap();
        });
    }
}
