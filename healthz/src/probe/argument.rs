//! How a probe's arguments are taken from the request.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;

use crate::HealthError;
use crate::base::sealed;

/// Extracts a probe argument of type `T` from a request to a router whose
/// state is `Self`.
///
/// Implemented for every state type from which `T` can be extracted; the
/// attributes use it, there is no need to implement it by hand.
///
/// The expansion bounds the state type `S: ProbeArgument<T>` rather than
/// `T: FromRequestParts<S>`: an obligation on a state type that is still
/// unknown waits until the app fixes it, so a state that cannot provide `T`
/// is reported against the app's state instead of being inferred from `T`.
///
/// ```
/// use axum::extract::State;
/// use axum::http::HeaderMap;
/// use healthz::probe::ProbeArgument;
///
/// fn can_extract<S: ProbeArgument<T>, T>() {}
/// can_extract::<(), HeaderMap>();
/// can_extract::<u32, State<u32>>();
/// ```
///
/// Sealed: every [`FromRequestParts`] type is one already, and nothing else
/// can be; implement `FromRequestParts` for an extractor of your own.
pub trait ProbeArgument<T>: Send + Sync + sealed::Argument<T> {
    /// Extracts `T`; a rejection fails the probe without answering the
    /// rejection's own text, which is logged instead.
    ///
    /// ```
    /// use axum::http::{HeaderMap, Request};
    /// use healthz::probe::ProbeArgument;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (mut parts, ()) = Request::get("/").header("x-probe", "1").body(()).unwrap().into_parts();
    /// let headers: HeaderMap = <() as ProbeArgument<HeaderMap>>::extract(&mut parts, &()).await.unwrap();
    /// assert_eq!(headers["x-probe"], "1");
    /// # }
    /// ```
    fn extract(
        parts: &mut Parts,
        state: &Self,
    ) -> impl Future<Output = Result<T, HealthError>> + Send;
}

impl<S, T> sealed::Argument<T> for S where T: FromRequestParts<S> {}

impl<S, T> ProbeArgument<T> for S
where
    S: Send + Sync,
    T: FromRequestParts<S>,
{
    async fn extract(parts: &mut Parts, state: &Self) -> Result<T, HealthError> {
        // A rejection need not implement `Display`, nor be `Send`; the
        // response it would answer holds axum's explanation (say, which
        // layer is missing).
        let response = match T::from_request_parts(parts, state).await {
            Ok(argument) => return Ok(argument),
            Err(rejection) => rejection.into_response(),
        };
        let status = response.status();
        let explanation = axum::body::to_bytes(response.into_body(), EXPLANATION_LIMIT)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
            .unwrap_or_default();
        Err(HealthError::from(Rejected {
            argument: type_name::<T>(),
            status,
            explanation,
        }))
    }
}

/// The most of a rejection's body that is read for the log; a longer body
/// is left out.
const EXPLANATION_LIMIT: usize = 4096;

/// A rejected argument, logged at each request; the body gets the probe's
/// fixed title.
#[derive(Debug)]
struct Rejected {
    argument: &'static str,
    status: StatusCode,
    /// The body of the rejection's response, empty if it had none.
    explanation: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not extract the argument `{}` ({})",
            self.argument, self.status
        )?;
        if !self.explanation.is_empty() {
            write!(f, ": {}", self.explanation)?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// Tells body extractors (`String`, `Json<T>`, `Bytes`, ...) from
/// request-parts ones, so that the attributes report a body extractor at
/// the argument's own type rather than at `healthz::router()`: a method
/// found on `Argument<T>` when `T` reads the body, and on `&Argument<T>`
/// for every other `T`.
#[doc(hidden)]
pub struct Argument<T>(PhantomData<T>);

impl<T> fmt::Debug for Argument<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Argument<{}>", type_name::<T>())
    }
}

impl<T> Argument<T> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Argument(PhantomData)
    }
}

#[doc(hidden)]
#[derive(Debug)]
pub struct ReadsBody;

#[doc(hidden)]
pub trait BodyArgument {
    #[doc(hidden)]
    fn kind(&self) -> ReadsBody {
        ReadsBody
    }
}

// `FromRequest<()>` names axum's default marker, `ViaRequest`: only
// extractors of the body implement it.
impl<T: FromRequest<()>> BodyArgument for Argument<T> {}

#[doc(hidden)]
pub trait PartsArgument {
    #[doc(hidden)]
    fn kind(&self) {}
}

impl<T> PartsArgument for &Argument<T> {}

/// Met by what [`PartsArgument::kind`] returns, not by [`ReadsBody`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{T}` reads the request body, which a probe never sees",
    label = "not a probe argument",
    note = "a probe takes extractors of the request's parts: `State<T>`, `Extension<T>`, `HeaderMap`, or any other `FromRequestParts` type"
)]
pub trait PartsOnly<T> {}

// Not offered as a fix: `()` is what a parts extractor yields, not a type to
// write.
#[diagnostic::do_not_recommend]
impl<T> PartsOnly<T> for () {}

/// Compiles only when `kind` says `T` reads the request's parts.
#[doc(hidden)]
pub fn parts_only<T, K: PartsOnly<T>>(_kind: K) {}
