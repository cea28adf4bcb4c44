use std::fmt;
use std::time::Duration;

/// How a probe runs: set with `#[healthz::ready(timeout = "2s", cache = "5s")]`.
///
/// ```
/// use std::time::Duration;
/// use healthz::Options;
///
/// let options = Options::DEFAULT
///     .with_timeout(Duration::from_secs(2))
///     .with_cache(Duration::from_secs(5));
/// assert_eq!(options.timeout(), Duration::from_secs(2));
/// assert_eq!(options.cache(), Some(Duration::from_secs(5)));
/// assert_eq!(Options::DEFAULT.timeout(), Duration::from_millis(900));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    timeout: Duration,
    cache: Option<Duration>,
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
    };

    /// How long one run of the check may take before it is dropped and the
    /// probe fails. A zero timeout is raised to one millisecond, and one
    /// longer than a year is a year.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = healthz::Options::DEFAULT.with_timeout(Duration::from_secs(2));
    /// assert_eq!(options.timeout(), Duration::from_secs(2));
    /// ```
    pub const fn with_timeout(self, timeout: Duration) -> Options {
        Options {
            timeout: timeout_within_bounds(timeout),
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

/// A timeout between one millisecond, as a zero one has no time to run
/// the check at all, and a year.
pub(crate) const fn timeout_within_bounds(timeout: Duration) -> Duration {
    if timeout.is_zero() {
        Duration::from_millis(1)
    } else {
        at_most_a_year(timeout)
    }
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
    fn zero_means_the_smallest_timeout_and_no_cache() {
        let options = Options::DEFAULT
            .with_timeout(Duration::ZERO)
            .with_cache(Duration::ZERO);
        assert_eq!(options.timeout(), Duration::from_millis(1));
        assert_eq!(options.cache(), None);
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
