//! The operating system's shutdown signals: SIGTERM, which Kubernetes sends,
//! and Ctrl-C.

use std::future::Future;

/// A source of shutdown signals, named for the log.
pub(crate) trait Signals: Send + 'static {
    fn recv(&mut self) -> impl Future<Output = &'static str> + Send;
}

#[cfg(unix)]
pub(crate) struct OsSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl OsSignals {
    /// Installs the handlers now, so that no signal is missed before the
    /// first poll.
    pub(crate) fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            terminate: signal(SignalKind::terminate()).expect("install the SIGTERM handler"),
            interrupt: signal(SignalKind::interrupt()).expect("install the SIGINT handler"),
        }
    }
}

#[cfg(unix)]
impl Signals for OsSignals {
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

#[cfg(windows)]
pub(crate) struct OsSignals(tokio::signal::windows::CtrlC);

#[cfg(windows)]
impl OsSignals {
    pub(crate) fn install() -> Self {
        Self(tokio::signal::windows::ctrl_c().expect("install the Ctrl-C handler"))
    }
}

#[cfg(windows)]
impl Signals for OsSignals {
    async fn recv(&mut self) -> &'static str {
        self.0.recv().await;
        "Ctrl-C"
    }
}
