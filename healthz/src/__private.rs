//! What the attribute expansions name. Not a public API: it changes with the
//! macros, which always come in the same version as this crate.

pub use crate::Options;
pub use crate::base::checks::{IntoOutcome, Outcome};
pub use crate::base::options::Rule;
pub use crate::probe::argument::{Argument, BodyArgument, PartsArgument, parts_only};
pub use crate::probe::{Live, ProbeArgument, ProbeCell, Probes, Ready};
pub use crate::{HealthError, ProbeResult};
pub use axum::http::request::Parts as RequestParts;

/// The rules of [`Options`] for a probe that is `async` or not: what an
/// expansion checks in a `const`, so that the attributes cannot accept what
/// the runtime's one definition refuses.
pub const fn check_options(options: &Options, is_async: bool) -> Result<(), Rule> {
    options.check(is_async)
}
