use std::fmt;
use std::time::Duration;

/// How a probe runs: set with
/// `#[healthz::ready(timeout = "2s", cache = "5s", stale = "1m", blocking)]`,
/// or `#[healthz::ready(interval = "10s", history = 64)]`.
///
/// ```
/// use std::time::Duration;
/// use healthz::Options;
///
/// let options = Options::DEFAULT
///     .with_timeout(Duration::from_secs(2))
///     .with_cache(Duration::from_secs(5))
///     .with_stale(Duration::from_secs(60));
/// assert_eq!(options.timeout(), Duration::from_secs(2));
/// assert_eq!(options.cache(), Some(Duration::from_secs(5)));
/// assert_eq!(options.stale(), Some(Duration::from_secs(60)));
/// assert_eq!(Options::DEFAULT.timeout(), Duration::from_millis(900));
/// ```
///
/// # Refused options
///
/// The attributes and [`Healthz`](crate::Healthz) refuse the same options,
/// in the same words, which name each option as the attributes write it
/// (`cache` is [`with_cache`](Self::with_cache), and so on):
///
/// - a zero `timeout`;
/// - a `history` outside 1 to 65 535;
/// - `stale` without `cache`, which it extends;
/// - `cache` or `stale` beside `interval`, which answers every request;
/// - an `interval` not longer than the `timeout`;
/// - `blocking` on an `async` probe.
///
/// An attribute refuses them at compile time, with an error at the
/// argument. Given to the builder, the first two panic where they are set,
/// in [`with_timeout`](Self::with_timeout) and
/// [`with_history`](Self::with_history), and the others make
/// [`Healthz::router`](crate::Healthz::router) (and every method that
/// builds the probes' routes or services) panic, before anything is
/// served. A zero `cache`, `stale` or `interval` turns it off here, while
/// an attribute refuses `"0s"`, which would turn nothing on.
///
/// ```should_panic
/// # use std::time::Duration;
/// // Panics: `stale` serves an expired cached answer while it is refreshed,
/// // so it needs `cache`.
/// let options = healthz::Options::DEFAULT.with_stale(Duration::from_secs(60));
/// let _: axum::Router = healthz::Healthz::new().live(|| ()).ready_with(options, || ()).router();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Options {
    timeout: Duration,
    cache: Option<Duration>,
    stale: Option<Duration>,
    blocking: bool,
    interval: Option<Duration>,
    history: u16,
}

impl Options {
    /// A 900 ms timeout, so that the answer reaches the kubelet within its
    /// default `timeoutSeconds: 1`, and no caching.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT;
    /// assert_eq!((options.timeout(), options.cache()), (Duration::from_millis(900), None));
    /// ```
    pub const DEFAULT: Options = Options {
        timeout: Duration::from_millis(900),
        cache: None,
        stale: None,
        blocking: false,
        interval: None,
        history: 32,
    };

    /// How long one run of the check may take before it is dropped and the
    /// probe fails; one longer than a year is a year.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT.with_timeout(Duration::from_secs(2));
    /// assert_eq!(options.timeout(), Duration::from_secs(2));
    /// ```
    ///
    /// # Panics
    ///
    /// If `timeout` is zero, which leaves the check no time to run, as the
    /// attributes refuse `timeout = "0s"`. In a `const`, the panic is a
    /// compile error.
    #[track_caller]
    pub const fn with_timeout(self, timeout: Duration) -> Options {
        Options {
            timeout: checked_timeout(timeout),
            ..self
        }
    }

    /// How long an answer is reused before the check runs again; zero turns
    /// caching off, and a period longer than a year is a year.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT.with_cache(Duration::from_secs(5));
    /// assert_eq!(options.cache(), Some(Duration::from_secs(5)));
    /// ```
    pub const fn with_cache(self, period: Duration) -> Options {
        let cache = if period.is_zero() {
            None
        } else {
            Some(at_most_a_year(period))
        };
        Options { cache, ..self }
    }

    /// How long past the cache period the last answer is still served at
    /// once while one run in the background refreshes it
    /// (stale-while-revalidate). Past that, requests wait for a run. It
    /// needs [`with_cache`](Self::with_cache): without it, or beside
    /// [`with_interval`](Self::with_interval), the builder's router panics,
    /// as the attributes refuse it at compile time. Zero turns it off, and
    /// a period longer than a year is a year.
    ///
    /// ```
    /// # use std::time::Duration;
    /// // Answers at once, whatever the dependency's latency, while checking
    /// // it at most every 5 s.
    /// let options = healthz::Options::DEFAULT
    ///     .with_cache(Duration::from_secs(5))
    ///     .with_stale(Duration::from_secs(60));
    /// assert_eq!(options.stale(), Some(Duration::from_secs(60)));
    /// ```
    pub const fn with_stale(self, period: Duration) -> Options {
        let stale = if period.is_zero() {
            None
        } else {
            Some(at_most_a_year(period))
        };
        Options { stale, ..self }
    }

    /// Runs a sync probe on Tokio's blocking thread pool, for a probe that
    /// does blocking I/O: it then neither stalls an async worker nor runs
    /// past its timeout, and at most one blocking thread per probe is ever
    /// held by it (while a call overruns, the probe answers its timeout
    /// title without starting another). A sync probe without it runs
    /// inline, which is cheaper. Given to an `async` probe, it makes
    /// [`Healthz::router`](crate::Healthz::router) panic, as the attributes
    /// refuse it at compile time: only a sync call can run on that pool.
    ///
    /// ```
    /// let options = healthz::Options::DEFAULT.with_blocking();
    /// assert!(options.blocking());
    /// ```
    pub const fn with_blocking(self) -> Options {
        Options {
            blocking: true,
            ..self
        }
    }

    /// Runs the probe every `period` in the background, whether asked or
    /// not, from the first time it is served until the shutdown has
    /// drained; zero turns it off, and a period longer than a year is a
    /// year.
    ///
    /// Every request is then answered at once from the latest run, so
    /// [`with_cache`](Self::with_cache) and [`with_stale`](Self::with_stale)
    /// have nothing left to do, and there is still one run at a time, so a
    /// period not longer than the timeout would run back to back. The
    /// attributes refuse all three at compile time; a cache, a stale period
    /// or such a period given to [`Healthz`](crate::Healthz) makes its
    /// router panic, naming the fix.
    ///
    /// A background run has no request: its arguments are extracted from a
    /// `GET` of the path of the first request served (the probe's, or a
    /// gRPC method's) without headers or query, with the router's state and
    /// that request's extensions (where `Extension` layers put their
    /// values). An answer older than two periods and the timeout is no
    /// longer kept by the refresh (the shutdown has drained, or those
    /// arguments are refused), and requests run the probe again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT.with_interval(Duration::from_secs(10));
    /// assert_eq!(options.interval(), Some(Duration::from_secs(10)));
    /// ```
    pub const fn with_interval(self, period: Duration) -> Options {
        let interval = if period.is_zero() {
            None
        } else {
            Some(at_most_a_year(period))
        };
        Options { interval, ..self }
    }

    /// How many transitions the probe's [history](crate::history) keeps,
    /// for the probe and for each of its named checks: 32 unless set.
    ///
    /// ```
    /// let options = healthz::Options::DEFAULT.with_history(100);
    /// assert_eq!(options.history(), 100);
    /// assert_eq!(healthz::Options::DEFAULT.history(), 32);
    /// ```
    ///
    /// # Panics
    ///
    /// If `entries` is not from 1 to 65 535, as the attributes refuse
    /// `history = 0`. In a `const`, the panic is a compile error.
    #[track_caller]
    pub const fn with_history(self, entries: usize) -> Options {
        if entries == 0 || entries > u16::MAX as usize {
            refuse(Rule::HistoryOutOfRange);
        }
        Options {
            history: entries as u16,
            ..self
        }
    }

    /// How often the probe runs in the background, if it does.
    ///
    /// ```
    /// assert_eq!(healthz::Options::DEFAULT.interval(), None);
    /// ```
    pub const fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// How many transitions the history keeps per probe and per check.
    ///
    /// ```
    /// assert_eq!(healthz::Options::DEFAULT.history(), 32);
    /// ```
    pub const fn history(&self) -> usize {
        self.history as usize
    }

    /// The timeout of one run of the check.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(healthz::Options::DEFAULT.timeout(), Duration::from_millis(900));
    /// ```
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long an answer is reused, if it is.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT.with_cache(Duration::from_secs(5));
    /// assert_eq!(options.cache(), Some(Duration::from_secs(5)));
    /// assert_eq!(healthz::Options::DEFAULT.cache(), None);
    /// ```
    pub const fn cache(&self) -> Option<Duration> {
        self.cache
    }

    /// How long an expired answer is still served while it is refreshed,
    /// if it is.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT
    ///     .with_cache(Duration::from_secs(5))
    ///     .with_stale(Duration::from_secs(60));
    /// assert_eq!(options.stale(), Some(Duration::from_secs(60)));
    /// assert_eq!(healthz::Options::DEFAULT.stale(), None);
    /// ```
    pub const fn stale(&self) -> Option<Duration> {
        self.stale
    }

    /// Whether a sync probe runs on the blocking thread pool.
    ///
    /// ```
    /// assert!(!healthz::Options::DEFAULT.blocking());
    /// ```
    pub const fn blocking(&self) -> bool {
        self.blocking
    }

    /// The first rule these options break for a probe that is `async` or
    /// not. A zero timeout and a history out of range never get this far:
    /// their setters refuse them.
    ///
    /// The one definition of the rules: the builder calls it before
    /// serving, and each attribute's expansion in a `const`, behind the
    /// attribute's own errors at the user's tokens.
    pub(crate) const fn check(&self, is_async: bool) -> Result<(), Rule> {
        // In the order the attributes report them.
        if let Some(interval) = self.interval {
            if self.cache.is_some() {
                return Err(Rule::CacheWithInterval);
            }
            if self.stale.is_some() {
                return Err(Rule::StaleWithInterval);
            }
            if interval.as_nanos() <= self.timeout.as_nanos() {
                return Err(Rule::IntervalNotAboveTimeout);
            }
        } else if self.stale.is_some() && self.cache.is_none() {
            return Err(Rule::StaleWithoutCache);
        }
        if self.blocking && is_async {
            return Err(Rule::BlockingAsync);
        }
        Ok(())
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
}

/// A rule of the options, broken. Its message is the attributes' compile
/// error, word for word, and the builder's panic: each names the fix, and
/// names each option as the attributes write it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A zero timeout.
    ZeroTimeout,
    /// A history of no entries, or of more than 65 535.
    HistoryOutOfRange,
    /// A stale period without a cache.
    StaleWithoutCache,
    /// A cache beside an interval.
    CacheWithInterval,
    /// A stale period beside an interval.
    StaleWithInterval,
    /// An interval not longer than the timeout.
    IntervalNotAboveTimeout,
    /// `blocking` for an `async` probe.
    BlockingAsync,
}

impl Rule {
    /// What is wrong and how to fix it.
    pub const fn message(self) -> &'static str {
        match self {
            Rule::ZeroTimeout => {
                "a zero `timeout` leaves the check no time to run: give one above zero, such as 500ms"
            }
            Rule::HistoryOutOfRange => {
                "`history` keeps from 1 to 65535 entries: give a number in that range, such as 32"
            }
            Rule::StaleWithoutCache => {
                "`stale` serves an expired cached answer while it is refreshed, so it needs `cache`: give a `cache` too, such as 5s, or remove `stale`"
            }
            Rule::CacheWithInterval => {
                "`cache` has no effect with `interval`: every request is answered at once from the latest background run; remove `cache`"
            }
            Rule::StaleWithInterval => {
                "`stale` has no effect with `interval`: every request is answered at once from the latest background run; remove `stale`"
            }
            Rule::IntervalNotAboveTimeout => {
                "`interval` must be longer than `timeout` (900ms unless given), or runs follow one another back to back: give a longer `interval`, or a shorter `timeout`"
            }
            Rule::BlockingAsync => {
                "`blocking` runs a sync probe on the blocking thread pool, and this probe is `async`: remove `blocking`, or make the probe a sync function that calls the blocking code directly"
            }
        }
    }
}

/// Panics with the rule's message; at compile time in a `const`.
#[track_caller]
const fn refuse(rule: Rule) -> ! {
    panic!("{}", rule.message())
}

/// The longest timeout or cache period: as good as forever for a probe,
/// and short enough that adding it to the clock cannot overflow.
const A_YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

const fn at_most_a_year(duration: Duration) -> Duration {
    if duration.as_secs() >= A_YEAR.as_secs() {
        A_YEAR
    } else {
        duration
    }
}

/// A timeout of at most a year; a zero one, which leaves the check no time
/// to run at all, is refused as the attributes refuse `timeout = "0s"`.
#[track_caller]
pub(crate) const fn checked_timeout(timeout: Duration) -> Duration {
    if timeout.is_zero() {
        refuse(Rule::ZeroTimeout);
    }
    at_most_a_year(timeout)
}

/// A duration as the attributes spell it: `900ms`, `2s`.
pub(crate) struct Spelled(pub(crate) Duration);

impl fmt::Display for Spelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 1000 == 0 {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_whole_seconds_in_seconds() {
        assert_eq!(Spelled(Duration::from_secs(2)).to_string(), "2s");
        assert_eq!(Spelled(Duration::from_millis(1500)).to_string(), "1500ms");
        assert_eq!(Spelled(Duration::from_millis(900)).to_string(), "900ms");
    }

    #[test]
    fn a_zero_cache_means_no_cache() {
        let options = Options::DEFAULT.with_cache(Duration::ZERO);
        assert_eq!(options.cache(), None);
    }

    #[test]
    #[should_panic(expected = "a zero `timeout` leaves the check no time to run")]
    fn a_zero_timeout_is_refused_as_the_attributes_refuse_it() {
        let _ = Options::DEFAULT.with_timeout(Duration::ZERO);
    }

    #[test]
    fn the_interval_rule_names_the_default_timeout() {
        let default = Spelled(Options::DEFAULT.timeout()).to_string();
        let message = Rule::IntervalNotAboveTimeout.message();
        assert!(
            message.contains(&format!("({default} unless given)")),
            "{message}"
        );
    }

    #[test]
    fn durations_longer_than_a_year_are_a_year() {
        let options = Options::DEFAULT
            .with_timeout(Duration::MAX)
            .with_cache(Duration::MAX);
        assert_eq!(options.timeout(), A_YEAR);
        assert_eq!(options.cache(), Some(A_YEAR));
    }
}
