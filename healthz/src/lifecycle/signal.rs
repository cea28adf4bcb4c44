//! The operating system's shutdown signals: SIGTERM, which Kubernetes sends,
//! and Ctrl-C; and ending the process as their default action would.

use std::future::Future;

/// A shutdown signal received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGTERM, what Kubernetes sends.
    Terminate,
    /// SIGINT on Unix, Ctrl-C on Windows.
    Interrupt,
}

impl Signal {
    /// Its name, for the log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt if cfg!(windows) => "Ctrl-C",
            Signal::Interrupt => "SIGINT",
        }
    }

    /// Ends the process as the signal's default action does. The handlers
    /// that listen for it replaced that action for the whole process, so
    /// this puts it back first.
    #[cfg(unix)]
    pub(crate) fn end_process(self) -> ! {
        let number = match self {
            Signal::Terminate => libc::SIGTERM,
            Signal::Interrupt => libc::SIGINT,
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
pub(crate) trait Signals: Send + 'static {
    fn recv(&mut self) -> impl Future<Output = Signal> + Send;
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
    pub(crate) fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }
}

#[cfg(unix)]
impl Signals for OsSignals {
    async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.terminate.recv() => Signal::Terminate,
            _ = self.interrupt.recv() => Signal::Interrupt,
        }
    }
}

#[cfg(windows)]
pub(crate) struct OsSignals(tokio::signal::windows::CtrlC);

#[cfg(windows)]
impl OsSignals {
    pub(crate) fn install() -> std::io::Result<Self> {
        tokio::signal::windows::ctrl_c().map(Self)
    }
}

#[cfg(windows)]
impl Signals for OsSignals {
    async fn recv(&mut self) -> Signal {
        self.0.recv().await;
        Signal::Interrupt
    }
}

/// The tests' signals: those sent on the channel, then none.
#[cfg(test)]
impl Signals for tokio::sync::mpsc::UnboundedReceiver<Signal> {
    async fn recv(&mut self) -> Signal {
        match tokio::sync::mpsc::UnboundedReceiver::recv(self).await {
            Some(signal) => signal,
            None => std::future::pending().await,
        }
    }
}

/// Signals that send one SIGTERM, then none, for the tests of what ends
/// with a drain.
#[cfg(test)]
pub(crate) fn one_terminate() -> tokio::sync::mpsc::UnboundedReceiver<Signal> {
    let (send, signals) = tokio::sync::mpsc::unbounded_channel();
    send.send(Signal::Terminate).expect("the receiver is here");
    signals
}
