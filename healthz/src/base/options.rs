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
    /// applies only together with [`with_cache`](Self::with_cache);
    /// zero turns it off, and a period longer than a year is a year.
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
    /// [`Healthz::router`](crate::Healthz::router) panic: only a sync call
    /// can run on that pool.
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
    /// attributes refuse both at compile time; a cache or such a period
    /// given to [`Healthz`](crate::Healthz) makes its router panic, naming
    /// the fix.
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
    /// for the probe and for each of its named checks: 32 unless set, at
    /// least 1 and at most 65 535.
    ///
    /// ```
    /// let options = healthz::Options::DEFAULT.with_history(100);
    /// assert_eq!(options.history(), 100);
    /// assert_eq!(healthz::Options::DEFAULT.history(), 32);
    /// ```
    pub const fn with_history(self, entries: usize) -> Options {
        let history = if entries == 0 {
            1
        } else if entries > u16::MAX as usize {
            u16::MAX
        } else {
            entries as u16
        };
        Options { history, ..self }
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
    /// if it is: `None` without a cache.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let stale_only = healthz::Options::DEFAULT.with_stale(Duration::from_secs(60));
    /// assert_eq!(stale_only.stale(), None, "stale applies to a cached answer");
    /// ```
    pub const fn stale(&self) -> Option<Duration> {
        match self.cache {
            Some(_) => self.stale,
            None => None,
        }
    }

    /// Whether a sync probe runs on the blocking thread pool.
    ///
    /// ```
    /// assert!(!healthz::Options::DEFAULT.blocking());
    /// ```
    pub const fn blocking(&self) -> bool {
        self.blocking
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
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
    assert!(
        !timeout.is_zero(),
        "a zero timeout leaves no time to run the check: give it one of at least 1ms"
    );
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
    #[should_panic(expected = "a zero timeout leaves no time to run the check")]
    fn a_zero_timeout_is_refused_as_the_attributes_refuse_it() {
        let _ = Options::DEFAULT.with_timeout(Duration::ZERO);
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
