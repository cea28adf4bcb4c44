//! Which probe an endpoint serves.

use std::fmt;

/// Which probe an endpoint serves; it names the probe in fixed titles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Live,
    Ready,
    /// Liveness, once the app has started.
    Startup,
}

impl Kind {
    /// The probe whose runs it serves: the startup endpoint's are the
    /// liveness probe's.
    pub(crate) fn probe(self) -> Probe {
        match self {
            Kind::Live | Kind::Startup => Probe::Live,
            Kind::Ready => Probe::Ready,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Live => "live",
            Kind::Ready => "ready",
            Kind::Startup => "startup",
        }
    }
}

/// Which probe: what a [`ProbeState`](crate::health::ProbeState) is of,
/// and what a gRPC service name answers for.
///
/// The startup endpoint runs the liveness probe: its runs are the liveness
/// probe's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Probe {
    /// The liveness probe: `#[healthz::live]`, or
    /// [`Healthz::live`](crate::Healthz::live).
    Live,
    /// The readiness probe: `#[healthz::ready]`, or
    /// [`Healthz::ready`](crate::Healthz::ready).
    Ready,
}

impl Probe {
    /// `"live"` or `"ready"`, as in the endpoints' paths and the metrics'
    /// `probe` label.
    ///
    /// ```
    /// assert_eq!(healthz::probe::Probe::Ready.as_str(), "ready");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Probe::Live => "live",
            Probe::Ready => "ready",
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
