//! Readiness held down while something runs, released when its guard drops.

use std::fmt;

use crate::lifecycle::Lifecycle;

/// Holds readiness down while it lives, made by
/// [`Lifecycle::hold_not_ready`]; dropping it releases the hold.
///
/// While any hold lives, `/healthz/ready` answers 503 with the reason of the
/// oldest one, without running the probe. Holds from several places are
/// independent: readiness passes again once the last is dropped (and
/// nothing else, such as [`Lifecycle::mark_not_ready`], holds it down).
/// Liveness is never held down.
///
/// ```
/// let lifecycle = healthz::Lifecycle::new();
/// let warming = lifecycle.hold_not_ready("Warming the cache");
/// let migrating = lifecycle.hold_not_ready("Running migrations");
/// assert_eq!(lifecycle.not_ready_reason().as_deref(), Some("Warming the cache"));
/// drop(warming);
/// assert_eq!(lifecycle.not_ready_reason().as_deref(), Some("Running migrations"));
/// drop(migrating);
/// assert_eq!(lifecycle.not_ready_reason(), None);
/// ```
#[must_use = "readiness is released as soon as the hold is dropped"]
pub struct ReadinessHold {
    id: u64,
    lifecycle: Lifecycle,
}

impl ReadinessHold {
    pub(crate) fn new(id: u64, lifecycle: Lifecycle) -> Self {
        ReadinessHold { id, lifecycle }
    }
}

impl Drop for ReadinessHold {
    fn drop(&mut self) {
        self.lifecycle.release(self.id);
    }
}

impl fmt::Debug for ReadinessHold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadinessHold")
            .field("id", &self.id)
            .finish()
    }
}
