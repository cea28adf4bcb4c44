use std::future::IntoFuture;
use std::pin::pin;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{CheckFuture, Doing, Name, unreachable};
use crate::HealthError;

/// How much of a body is read before the connection is dropped: what the
/// kubelet reads.
const BODY_LIMIT: usize = 10 * 1024;

/// `GET`s another service's health URL over plain HTTP/1.1 and passes on a
/// `2xx` or `3xx` status, as the kubelet does; redirects are not followed.
///
/// The body is read up to 10 KiB, then dropped, and never shown. A service
/// behind TLS is better checked through its own client, or with [`Tcp`].
///
/// [`Tcp`]: super::Tcp
///
/// ```no_run
/// use healthz::{Checks, deps::Http};
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// fn readiness() -> Checks {
///     let url = "http://payments.internal:8080/healthz/ready".parse().unwrap();
///     Checks::new()
///         .check("payments", Http::new("Payments", url))
///         .warn_only()
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[derive(Clone, Debug)]
#[must_use = "a check does nothing until it is awaited or given to `Checks::check`"]
pub struct Http {
    name: Name,
    url: Uri,
}

impl Http {
    /// A `GET` of `url` (`http://host[:port]/path`), failing with
    /// `Can't reach <name>` or `<name> is unhealthy`.
    ///
    /// ```
    /// let url = "http://search:9200/_cluster/health".parse().unwrap();
    /// let check = healthz::deps::Http::new("Search", url);
    /// ```
    pub fn new(name: impl Into<Name>, url: Uri) -> Self {
        Http {
            name: name.into(),
            url,
        }
    }
}

impl IntoFuture for Http {
    type Output = Result<(), HealthError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        Box::pin(async move {
            let doing = format!("GET {}", self.url);
            match get(&self.url).await {
                Ok(status) if status.is_success() || status.is_redirection() => Ok(()),
                Ok(status) => Err(HealthError::with_source(
                    format!("{} is unhealthy", self.name),
                    Doing(doing, format!("the answer was {status}").into()),
                )),
                Err(error) => Err(unreachable(&self.name, doing, error)),
            }
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The status of a `GET` of `url`, once up to `BODY_LIMIT` bytes of its
/// body have arrived.
async fn get(url: &Uri) -> Result<StatusCode, BoxError> {
    if url.scheme_str() != Some("http") {
        return Err("only http:// URLs are supported".into());
    }
    let authority = url.authority().ok_or("the URL has no host")?;
    let port = authority.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((authority.host(), port)).await?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    let request = Request::get(url.path_and_query().map_or("/", |path| path.as_str()))
        .header(hyper::header::HOST, authority.as_str())
        .header(hyper::header::USER_AGENT, "healthz")
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())?;
    let exchange = async move {
        let response = sender.send_request(request).await?;
        let status = response.status();
        let mut body = response.into_body();
        let mut read = 0;
        while read < BODY_LIMIT {
            match body.frame().await {
                Some(frame) => read += frame?.data_ref().map_or(0, Bytes::len),
                None => break,
            }
        }
        Ok::<_, BoxError>(status)
    };
    // The connection is driven here, not spawned, so that nothing outlives
    // the check when the probe's timeout drops it.
    let mut exchange = pin!(exchange);
    tokio::select! {
        biased;
        status = &mut exchange => return status,
        ended = connection => ended?,
    }
    // The server closed the connection after its answer: the answer is
    // read from what arrived.
    exchange.await
}
