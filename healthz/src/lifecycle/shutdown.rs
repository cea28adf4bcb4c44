//! The future of [`shutdown_signal`](crate::Lifecycle::shutdown_signal), and what
//! happens when nobody awaits it.
//!
//! The signal handlers replace the signals' default action for the whole
//! process, so a future that is never awaited, or dropped, would leave the
//! process deaf to SIGTERM. The drain therefore runs in a task of its own,
//! and the future only waits for it to end. When it ends and no future of
//! the lifecycle is being awaited, nothing is going to shut the app down:
//! the task says so and ends the process as the signal would have.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::base::sync::Ordering;
use crate::lifecycle::Lifecycle;
use crate::lifecycle::stop_signal::StopSignals;

/// The future [`shutdown_signal`](crate::Lifecycle::shutdown_signal) returns: it
/// resolves a drain delay after SIGTERM or Ctrl-C, for axum's
/// `with_graceful_shutdown`.
///
/// Await it, or hand it to whatever shuts the app down. If a signal comes
/// while no `ShutdownSignal` of the lifecycle is being awaited, because it
/// was never polled or was dropped, healthz still drains, then logs an
/// ERROR and ends the process as the signal would have without healthz.
///
/// ```no_run
/// use std::time::Duration;
/// # #[healthz::live] fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
///
/// # async fn run() -> std::io::Result<()> {
/// let shutdown: healthz::ShutdownSignal = healthz::lifecycle().shutdown_signal(Duration::from_secs(15));
/// let app: axum::Router = healthz::router();
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// axum::serve(listener, app)
///     .with_graceful_shutdown(shutdown)
///     .await
/// # }
/// ```
#[must_use = "the app is shut down only if this future is awaited: pass it to `with_graceful_shutdown`"]
pub struct ShutdownSignal {
    lifecycle: Lifecycle,
    /// `None` once it has resolved.
    drained: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Whether it counts among the lifecycle's awaited futures.
    polled: bool,
}

impl ShutdownSignal {
    /// Listens for `signals` from now on, draining `lifecycle` at the first.
    pub(crate) fn new(lifecycle: &Lifecycle, signals: impl StopSignals, drain: Duration) -> Self {
        tokio::spawn(lifecycle.clone().shut_down_on(signals, drain));
        let waiting = lifecycle.clone();
        Self {
            lifecycle: lifecycle.clone(),
            drained: Some(Box::pin(async move { waiting.drained().await })),
            polled: false,
        }
    }
}

impl Lifecycle {
    /// Drains at the first of `signals`; then, if no [`ShutdownSignal`] is
    /// there to end the app, ends the process.
    async fn shut_down_on(self, signals: impl StopSignals, drain: Duration) {
        let signal = self.drain_on(signals, drain).await;
        let state = &self.state;
        if state.shutdown_heard.load(Ordering::SeqCst)
            || state.shutdown_awaited.load(Ordering::SeqCst) > 0
        {
            return;
        }
        const MISTAKE: &str = "the future of Lifecycle::shutdown_signal was never awaited, or was \
            dropped, so nothing shuts the app down: ending the process as the signal would. \
            Await it: axum::serve(listener, app).with_graceful_shutdown(shutdown)";
        tracing::error!(signal = signal.name(), "{MISTAKE}");
        if !tracing::dispatcher::has_been_set() {
            eprintln!("healthz: {} after {}", MISTAKE, signal.name());
        }
        signal.end_process();
    }
}

impl Future for ShutdownSignal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(drained) = this.drained.as_mut() else {
            return Poll::Ready(());
        };
        if !this.polled {
            this.polled = true;
            this.lifecycle
                .state
                .shutdown_awaited
                .fetch_add(1, Ordering::SeqCst);
        }
        let ready = drained.as_mut().poll(cx);
        if ready.is_ready() {
            // Before any drop, so that the drain never finds neither.
            this.lifecycle
                .state
                .shutdown_heard
                .store(true, Ordering::SeqCst);
            this.drained = None;
        }
        ready
    }
}

impl Drop for ShutdownSignal {
    fn drop(&mut self) {
        if self.polled {
            self.lifecycle
                .state
                .shutdown_awaited
                .fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownSignal")
            .field("resolved", &self.drained.is_none())
            .finish_non_exhaustive()
    }
}
