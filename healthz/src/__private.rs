//! What the attribute expansions name. Not a public API: it changes with the
//! macros, which always come in the same version as this crate.

pub use crate::Options;
pub use crate::base::checks::{IntoOutcome, Outcome};
pub use crate::probe::argument::{Argument, BodyArgument, PartsArgument, parts_only};
pub use crate::probe::{Live, ProbeArgument, ProbeCell, Probes, Ready};
pub use crate::{HealthError, ProbeResult};
pub use axum::http::request::Parts as RequestParts;
