//! How a probe or a named check answered, as every reader says it.

use std::fmt;

/// How a probe or a named check answered.
///
/// More statuses may come: a `match` on it needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Passed.
    Pass,
    /// Passed, with a warning-only check failing: the probe answers 200.
    Warn,
    /// Failed: the probe answers 503.
    Fail,
}

impl Status {
    /// `"pass"`, `"warn"` or `"fail"`, as in `application/health+json`.
    ///
    /// ```
    /// assert_eq!(healthz::Status::Warn.as_str(), "warn");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// Whether the endpoint answers 200: `Pass` or `Warn`.
    ///
    /// ```
    /// assert!(healthz::Status::Warn.is_passed());
    /// ```
    pub fn is_passed(self) -> bool {
        self != Status::Fail
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
