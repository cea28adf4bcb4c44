//! The probes registered with a lifecycle by the readers built from them:
//! what the app's health view reads.

use std::sync::{Arc, Weak};

use tokio::sync::watch;

use crate::base::kind::Probe;
use crate::lifecycle::Lifecycle;
use crate::run::{Latest, Runner, State};

/// The probes registered with one [`Lifecycle`] by the readers built from
/// them, each once, as a receiver of its runner's state.
pub(crate) struct Registry(pub(crate) watch::Sender<Vec<Registered>>);

#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) probe: Probe,
    /// Notified when the probe answers differently.
    pub(crate) state: watch::Receiver<Latest>,
    /// The latest answer and its age, while the probe is kept.
    pub(crate) latest: Weak<State>,
}

impl Registered {
    /// Whether the probe was dropped (a builder's, with the last of its
    /// readers): its state can change no more.
    pub(crate) fn is_gone(&self) -> bool {
        self.state.has_changed().is_err()
    }
}

impl Registry {
    pub(crate) fn new() -> Self {
        Registry(watch::Sender::new(Vec::new()))
    }

    /// Registers the probe of `runner`, unless a reader built before did:
    /// each probe is listed once, however many read it.
    fn add(&self, probe: Probe, runner: &Runner) {
        let state = Arc::as_ptr(runner.state());
        self.0.send_if_modified(|probes| {
            probes.retain(|probe| !probe.is_gone());
            if probes.iter().any(|known| known.latest.as_ptr() == state) {
                return false;
            }
            probes.push(Registered {
                probe,
                state: runner.state().subscribe(),
                latest: Arc::downgrade(runner.state()),
            });
            true
        });
    }
}

/// Registers both probes of a reader with `lifecycle`.
pub(crate) fn register(lifecycle: &Lifecycle, live: &Runner, ready: &Runner) {
    lifecycle.registry().add(Probe::Live, live);
    lifecycle.registry().add(Probe::Ready, ready);
}

/// Registers the probe of a single route.
pub(crate) fn register_route(lifecycle: &Lifecycle, probe: Probe, runner: &Runner) {
    lifecycle.registry().add(probe, runner);
}
