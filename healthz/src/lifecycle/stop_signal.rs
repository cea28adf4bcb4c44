//! The stop signals: the operating system's SIGTERM, which Kubernetes sends,
//! and Ctrl-C, which start a drain; and ending the process as their default
//! action would. "Signals" alone are the app's own (started, holds,
//! heartbeats, broken, shutting down).

use std::future::Future;

/// A stop signal received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// SIGTERM, what Kubernetes sends.
    Terminate,
    /// SIGINT on Unix, Ctrl-C on Windows.
    Interrupt,
}

impl StopSignal {
    /// Its name, for the log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Interrupt if cfg!(windows) => "Ctrl-C",
            StopSignal::Interrupt => "SIGINT",
        }
    }

    /// Ends the process as the signal's default action does. The handlers
    /// that listen for it replaced that action for the whole process, so
    /// this puts it back first.
    #[cfg(unix)]
    pub(crate) fn end_process(self) -> ! {
        let number = match self {
            StopSignal::Terminate => libc::SIGTERM,
            StopSignal::Interrupt => libc::SIGINT,
        };
        // SAFETY: restoring a signal's default disposition and raising it
        // touch no memory of this process; nothing runs after either.
        unsafe {
            libc::signal(number, libc::SIG_DFL);
            libc::raise(number);
        }
        // Only reached if the signal is blocked on this thread.
        std::process::exit(128 + number)
    }

    /// Ends the process with the status Windows gives a console program
    /// that Ctrl-C ends.
    #[cfg(windows)]
    pub(crate) fn end_process(self) -> ! {
        const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;
        std::process::exit(STATUS_CONTROL_C_EXIT as i32)
    }
}

/// A source of shutdown signals.
pub(crate) trait StopSignals: Send + 'static {
    fn recv(&mut self) -> impl Future<Output = StopSignal> + Send;
}

#[cfg(unix)]
pub(crate) struct OsStopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl OsStopSignals {
    /// Installs the handlers now, so that no signal is missed before the
    /// first poll.
    pub(crate) fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }
}

#[cfg(unix)]
impl StopSignals for OsStopSignals {
    async fn recv(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.terminate.recv() => StopSignal::Terminate,
            _ = self.interrupt.recv() => StopSignal::Interrupt,
        }
    }
}

#[cfg(windows)]
pub(crate) struct OsStopSignals(tokio::signal::windows::CtrlC);

#[cfg(windows)]
impl OsStopSignals {
    pub(crate) fn install() -> std::io::Result<Self> {
        tokio::signal::windows::ctrl_c().map(Self)
    }
}

#[cfg(windows)]
impl StopSignals for OsStopSignals {
    async fn recv(&mut self) -> StopSignal {
        self.0.recv().await;
        StopSignal::Interrupt
    }
}

/// The tests' signals: those sent on the channel, then none.
#[cfg(test)]
impl StopSignals for tokio::sync::mpsc::UnboundedReceiver<StopSignal> {
    async fn recv(&mut self) -> StopSignal {
        match tokio::sync::mpsc::UnboundedReceiver::recv(self).await {
            Some(signal) => signal,
            None => std::future::pending().await,
        }
    }
}

/// StopSignals that send one SIGTERM, then none, for the tests of what ends
/// with a drain.
#[cfg(test)]
pub(crate) fn one_terminate() -> tokio::sync::mpsc::UnboundedReceiver<StopSignal> {
    let (send, signals) = tokio::sync::mpsc::unbounded_channel();
    send.send(StopSignal::Terminate)
        .expect("the receiver is here");
    signals
}
