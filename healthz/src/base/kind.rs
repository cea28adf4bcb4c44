//! Which probe an endpoint serves.

/// Which probe an endpoint serves; it names the probe in fixed titles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Live,
    Ready,
    /// Liveness, once the app has started.
    Startup,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Live => "live",
            Kind::Ready => "ready",
            Kind::Startup => "startup",
        }
    }
}
