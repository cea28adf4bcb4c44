use std::fmt;
use std::time::Duration;

/// How a probe runs: set with `#[healthz::ready(timeout = "2s", cache = "5s")]`.
///
/// ```
/// use std::time::Duration;
/// use healthz::probe::Options;
///
/// let options = Options::DEFAULT.timeout_ms(2_000).cache_ms(5_000);
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
    pub const DEFAULT: Options = Options {
        timeout: Duration::from_millis(900),
        cache: None,
    };

    /// How long one run of the check may take before it is dropped and the
    /// probe fails. A zero timeout is raised to one millisecond.
    pub const fn timeout_ms(self, millis: u64) -> Options {
        let millis = if millis == 0 { 1 } else { millis };
        Options {
            timeout: Duration::from_millis(millis),
            ..self
        }
    }

    /// How long a result is reused before the check runs again; zero turns
    /// caching off.
    pub const fn cache_ms(self, millis: u64) -> Options {
        let cache = if millis == 0 {
            None
        } else {
            Some(Duration::from_millis(millis))
        };
        Options { cache, ..self }
    }

    /// The timeout of one run of the check.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long a result is reused, if it is.
    pub const fn cache(&self) -> Option<Duration> {
        self.cache
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
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
        let options = Options::DEFAULT.timeout_ms(0).cache_ms(0);
        assert_eq!(options.timeout(), Duration::from_millis(1));
        assert_eq!(options.cache(), None);
    }
}
