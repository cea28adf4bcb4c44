//! Who may see the details of the app's health: names and titles.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// Who may see the names of checks and lifecycle entries and the titles of
/// failures, where an answer would show them: `?verbose`,
/// `application/health+json`, and with the `ui` feature the status page,
/// the history and the event stream. Without details, each shows statuses
/// alone. The Flask-Healthz body, which Kubernetes reads, is never changed.
///
/// One policy per [`Lifecycle`](crate::Lifecycle), applied by every reader
/// of its probes, set with
/// [`Lifecycle::set_details`](crate::Lifecycle::set_details). The default,
/// [`Details::always`], is what 0.2 answered.
///
/// ```
/// use healthz::Details;
///
/// // Only requests that carry the operators' token.
/// healthz::lifecycle().set_details(Details::header("x-health-token", "s3cret"));
/// // Only requests from the pod itself (`kubectl exec`, a sidecar): needs
/// // `into_make_service_with_connect_info::<SocketAddr>()`.
/// healthz::lifecycle().set_details(Details::loopback());
/// // Anything on the request's parts.
/// healthz::lifecycle().set_details(Details::when(|parts| parts.uri.query().is_none()));
/// # healthz::lifecycle().set_details(Details::always());
/// ```
#[derive(Clone)]
pub struct Details(Policy);

#[derive(Clone)]
enum Policy {
    Always,
    Never,
    When(Arc<dyn Fn(&Parts) -> bool + Send + Sync>),
}

impl Details {
    /// Every request sees the details.
    ///
    /// ```
    /// # use axum::http::Request;
    /// let parts = Request::get("/").body(()).unwrap().into_parts().0;
    /// assert!(healthz::Details::always().allows(&parts));
    /// ```
    pub fn always() -> Self {
        Details(Policy::Always)
    }

    /// No request sees them.
    ///
    /// ```
    /// # use axum::http::Request;
    /// let parts = Request::get("/").body(()).unwrap().into_parts().0;
    /// assert!(!healthz::Details::never().allows(&parts));
    /// ```
    pub fn never() -> Self {
        Details(Policy::Never)
    }

    /// The requests for which `allows` returns true see them. It is called
    /// once per request that could show details, never for the plain body.
    ///
    /// ```
    /// # use axum::http::Request;
    /// let internal = healthz::Details::when(|parts| parts.headers.contains_key("x-internal"));
    /// let parts = Request::get("/").header("x-internal", "1").body(()).unwrap().into_parts().0;
    /// assert!(internal.allows(&parts));
    /// ```
    pub fn when(allows: impl Fn(&Parts) -> bool + Send + Sync + 'static) -> Self {
        Details(Policy::When(Arc::new(allows)))
    }

    /// The requests whose header `name` is `value`. Give the token a
    /// secret's strength: the comparison takes the same time wherever the
    /// values differ.
    ///
    /// ```
    /// # use axum::http::Request;
    /// let token = healthz::Details::header("x-health-token", "s3cret");
    /// let with = Request::get("/").header("x-health-token", "s3cret").body(()).unwrap();
    /// let without = Request::get("/").body(()).unwrap();
    /// assert!(token.allows(&with.into_parts().0));
    /// assert!(!token.allows(&without.into_parts().0));
    /// ```
    pub fn header(name: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        Details::when(move |parts| {
            (parts.headers.get_all(name).iter())
                .any(|given| same(given.as_bytes(), value.as_bytes()))
        })
    }

    /// The requests from a loopback address: from inside the pod. The peer
    /// is read from axum's `ConnectInfo<SocketAddr>`, which the server must
    /// be given (`app.into_make_service_with_connect_info::<SocketAddr>()`);
    /// without it, no request is from loopback.
    ///
    /// ```
    /// # use axum::{extract::ConnectInfo, http::Request};
    /// let mut parts = Request::get("/").body(()).unwrap().into_parts().0;
    /// assert!(!healthz::Details::loopback().allows(&parts));
    /// parts.extensions.insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40_000))));
    /// assert!(healthz::Details::loopback().allows(&parts));
    /// ```
    pub fn loopback() -> Self {
        Details::when(|parts| {
            (parts.extensions.get::<ConnectInfo<SocketAddr>>())
                .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback())
        })
    }

    /// Whether the request with these parts sees the details.
    ///
    /// ```
    /// # use axum::http::Request;
    /// let parts = Request::get("/healthz/ready?verbose").body(()).unwrap().into_parts().0;
    /// assert!(healthz::Details::default().allows(&parts));
    /// ```
    pub fn allows(&self, parts: &Parts) -> bool {
        match &self.0 {
            Policy::Always => true,
            Policy::Never => false,
            Policy::When(allows) => allows(parts),
        }
    }
}

/// Whether `given` is `expected`, in a time that depends on their lengths
/// alone.
fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && (given.iter().zip(expected)).fold(0, |differ, (a, b)| differ | (a ^ b)) == 0
}

impl Default for Details {
    /// [`Details::always`].
    fn default() -> Self {
        Details::always()
    }
}

impl fmt::Debug for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Policy::Always => "Details::always()",
            Policy::Never => "Details::never()",
            Policy::When(_) => "Details::when(..)",
        })
    }
}
