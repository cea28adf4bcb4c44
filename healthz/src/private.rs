//! What the attribute expansions name. Not a public API: it changes with the
//! macros, which always come in the same version as this crate.

use std::any::type_name;
use std::fmt;

use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;

pub use crate::probe::{Live, Probes, Ready};
pub use crate::{HealthError, ProbeResult};
pub use axum::extract::FromRequestParts;
pub use axum::http::request::Parts as RequestParts;

/// Extracts one probe argument; a rejection fails the probe without
/// answering the rejection's own text.
pub async fn extract<T, S>(parts: &mut Parts, state: &S) -> Result<T, HealthError>
where
    T: FromRequestParts<S>,
    S: Send + Sync,
{
    T::from_request_parts(parts, state)
        .await
        .map_err(|rejection| {
            HealthError::from(Rejected {
                argument: type_name::<T>(),
                status: rejection.into_response().status(),
            })
        })
}

#[derive(Debug)]
struct Rejected {
    argument: &'static str,
    status: StatusCode,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not extract the argument `{}` ({})",
            self.argument, self.status
        )
    }
}

impl std::error::Error for Rejected {}
