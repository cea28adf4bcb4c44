//! A health server of its own: the probes on an address apart from the
//! app's, for workers with no HTTP server, apps on other frameworks, and
//! apps that keep health off their public port. Its readers are
//! [`serve`](crate::serve()) and [`Healthz::serve`](crate::Healthz::serve).

use std::fmt;
use std::io;

use axum::Router;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::lifecycle::Lifecycle;

/// Serves `probes` on `addr` until `lifecycle` has drained. The routes are
/// built by the caller, at the call, so that the probes are registered
/// with the health view before the server is polled.
pub(crate) async fn on_port<A>(addr: A, probes: Router, lifecycle: Lifecycle) -> io::Result<()>
where
    A: ToSocketAddrs + fmt::Debug,
{
    let shown = format!("{addr:?}");
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            let error = io::Error::new(
                error.kind(),
                format!("the health server cannot listen on {shown}: {error}"),
            );
            tracing::error!(%error, "the health probes are not served");
            return Err(error);
        }
    };
    tracing::info!(address = %listener.local_addr()?, "serving the health probes");
    axum::serve(listener, probes)
        .with_graceful_shutdown(async move { lifecycle.drained().await })
        .await
}
