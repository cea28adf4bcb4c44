//! The crate's base: errors, probe results, options, probe kinds and
//! statuses, the declaration of named checks, and lock helpers. It depends on nothing
//! else in the crate; everything else may depend on it.

pub(crate) mod checks;
pub(crate) mod error;
pub(crate) mod kind;
pub(crate) mod options;
pub(crate) mod probe_result;
pub(crate) mod sealed;
pub(crate) mod status;
pub(crate) mod sync;
