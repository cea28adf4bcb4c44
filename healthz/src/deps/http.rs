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
/// The body is read up to 10 KiB, then dropped, and never shown. Only
/// `http://` URLs are taken, refused where the check is built: a service
/// behind TLS is better checked through its own client, or with [`Tcp`].
///
/// [`Tcp`]: super::Tcp
///
/// ```no_run
/// use healthz::{Checks, deps::Http};
///
/// // Built once, where the app reads its configuration.
/// let payments = Http::new("http://payments.internal:8080/healthz/ready")?.display_name("Payments");
///
/// let app: axum::Router = healthz::Healthz::new()
///     .live(|| ())
///     .ready(move || Checks::new().check("payments", payments.clone()))
///     .router();
/// # Ok::<(), healthz::deps::UnsupportedUrl>(())
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
    /// `Can't reach HTTP service` or `HTTP service is unhealthy`, or the
    /// [display name](Http::display_name) given: titles never name the host.
    ///
    /// # Errors
    ///
    /// An [`UnsupportedUrl`] for text that is not an `http://` URL.
    ///
    /// ```
    /// let check = healthz::deps::Http::new("http://search:9200/_cluster/health")?;
    ///
    /// let refused = healthz::deps::Http::new("https://search:9200/_cluster/health").unwrap_err();
    /// assert!(refused.to_string().starts_with("https://search:9200/_cluster/health: deps::Http speaks plain http:// only"));
    /// # Ok::<(), healthz::deps::UnsupportedUrl>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, UnsupportedUrl> {
        let why = match url.parse::<Uri>() {
            // A URL with a scheme has a host: `Uri` parses no other.
            Ok(url) if url.scheme_str() == Some("http") => {
                return Ok(Http {
                    name: Name::Borrowed("HTTP service"),
                    url,
                });
            }
            Ok(url) if url.scheme_str() == Some("https") => Why::Tls,
            _ => Why::Scheme,
        };
        Err(UnsupportedUrl {
            url: url.to_owned(),
            why,
        })
    }

    /// The name its failures' titles give, such as `Can't reach Payments`
    /// or `Payments is unhealthy`. (The check's key, which paths and queries
    /// match, is the one given to [`Checks::check`](crate::Checks::check).)
    ///
    /// ```
    /// let check = healthz::deps::Http::new("http://payments:8080/healthz/ready")?
    ///     .display_name("Payments");
    /// # Ok::<(), healthz::deps::UnsupportedUrl>(())
    /// ```
    pub fn display_name(mut self, name: impl Into<Name>) -> Self {
        self.name = name.into();
        self
    }
}

/// A URL that [`Http`] cannot check: not `http://`.
///
/// ```
/// let error = healthz::deps::Http::new("search:9200").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "search:9200: deps::Http takes http://host[:port]/path URLs",
/// );
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[derive(Clone, Debug)]
pub struct UnsupportedUrl {
    url: String,
    why: Why,
}

#[derive(Clone, Copy, Debug)]
enum Why {
    Tls,
    Scheme,
}

impl std::fmt::Display for UnsupportedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = &self.url;
        match self.why {
            Why::Tls => write!(
                f,
                "{url}: deps::Http speaks plain http:// only, not TLS; check the service \
                 on a plain-HTTP health port, or its port with deps::Tcp, or with its own client"
            ),
            Why::Scheme => write!(f, "{url}: deps::Http takes http://host[:port]/path URLs"),
        }
    }
}

impl std::error::Error for UnsupportedUrl {}

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
