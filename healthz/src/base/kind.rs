//! Which probe: liveness, readiness or startup.

use std::fmt;

/// Which probe: what an endpoint serves, a gRPC service name answers for,
/// a [`ProbeState`](crate::health::ProbeState) or a history entry is of.
///
/// The startup endpoint runs the liveness probe: its runs, state and
/// history are the liveness probe's.
///
/// ```
/// assert_eq!(healthz::Probe::Ready.as_str(), "ready");
/// assert_eq!(healthz::Probe::Startup.to_string(), "startup");
/// ```
///
/// More probes may come: a `match` on it needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Probe {
    /// Liveness: `#[healthz::live]`, or [`Healthz::live`](crate::Healthz::live),
    /// at `/healthz/live`.
    Live,
    /// Readiness: `#[healthz::ready]`, or
    /// [`Healthz::ready`](crate::Healthz::ready), at `/healthz/ready`.
    Ready,
    /// Startup, at `/healthz/startup`: closed until the app has started,
    /// then liveness.
    Startup,
}

impl Probe {
    /// `"live"`, `"ready"` or `"startup"`, as in the endpoints' paths, the
    /// fixed titles and the metrics' `probe` label.
    ///
    /// ```
    /// assert_eq!(healthz::Probe::Live.as_str(), "live");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Probe::Live => "live",
            Probe::Ready => "ready",
            Probe::Startup => "startup",
        }
    }

    /// The probe whose runs this one's endpoint serves: the startup
    /// endpoint's are the liveness probe's.
    pub(crate) fn runs(self) -> Probe {
        match self {
            Probe::Live | Probe::Startup => Probe::Live,
            Probe::Ready => Probe::Ready,
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
