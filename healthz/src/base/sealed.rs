//! The supertraits that seal the traits outside types must not implement:
//! public, so that public traits can name them, in a module no user can
//! reach.

/// Seals [`ProbeFn`](crate::builder::ProbeFn): functions and closures only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot implement `healthz::builder::ProbeFn`: it is sealed",
    label = "not a function or closure",
    note = "every sync or `async` function or closure of the right shape is a `ProbeFn` already: pass the function itself"
)]
pub trait ProbeFn<M> {}

/// Seals the builder's `GivenProbe`, `LiveGiven` and `ReadyGiven`: only
/// what `.live(...)` and `.ready(...)` store.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot implement the builder's probe traits: they are sealed",
    label = "not a probe given to `Healthz`",
    note = "`Healthz::live` and `Healthz::ready` make the probes that `Healthz::router` takes"
)]
pub trait Given {}

/// Seals [`ProbeArgument`](crate::probe::ProbeArgument): the extractors
/// axum can extract from the request's parts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot implement `healthz::probe::ProbeArgument<{T}>`: it is sealed",
    label = "implement axum's `FromRequestParts` instead",
    note = "every `FromRequestParts` type is a probe argument already"
)]
pub trait Argument<T> {}
