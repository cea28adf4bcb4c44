//! Health over time: the last transitions of each probe, named check and
//! lifecycle entry, each kept in a bounded ring and read from the app's
//! [`Health`](crate::Health) view.
//!
//! A transition is a change of status or title. Entries are written by the
//! runs whose answer differs from the one before, and by the app's signals
//! (a hold taken, a heartbeat found late): a request answered from the
//! latest run, or by a run that answers as the one before, writes none.
//!
//! Memory is bounded: each probe and each of its named checks keeps its last
//! [`Options::history`](crate::Options::history) transitions (32 unless
//! set), and each lifecycle entry its last 32 (for at most 64 entries:
//! heartbeats come and go by name). An entry takes about 120 bytes, plus
//! its title, cut to 256 bytes, and a check's name when it is not
//! `'static`: the default history of a probe with three checks stays under
//! 50 KiB.
//!
//! ```
//! use axum::{body::Body, http::Request};
//! use healthz::history::Subject;
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let lifecycle = healthz::Lifecycle::new();
//! let app: axum::Router = healthz::Healthz::new()
//!     .live(|| ())
//!     .ready(|| Err::<(), _>(healthz::HealthError::new("Queue full")))
//!     .lifecycle(lifecycle.clone())
//!     .router();
//! let request = Request::get("/healthz/ready").body(Body::empty()).unwrap();
//! app.clone().oneshot(request).await.unwrap();
//!
//! let history = lifecycle.health().history();
//! let last = history.last().unwrap();
//! assert_eq!(last.subject(), &Subject::Probe(healthz::Probe::Ready));
//! assert_eq!(last.title(), Some("Queue full"));
//! # }
//! ```

mod ring;
#[cfg(feature = "ui")]
pub(crate) mod time;

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::base::kind::Probe;
use crate::base::status::Status;

pub(crate) use ring::Rings;

/// What a history [`Entry`] is of. It displays as the JSON of an entry
/// and the status page name it: `live`, `ready`, `ready/<check>`,
/// `lifecycle/<entry>`.
///
/// ```
/// use healthz::{Probe, history::Subject};
/// assert_eq!(Subject::Check(Probe::Ready, "db".into()).to_string(), "ready/db");
/// ```
///
/// More subjects may come: a `match` on it needs a `_` arm.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// A probe as a whole, as its endpoint answers.
    Probe(Probe),
    /// One named check of a probe.
    Check(Probe, Cow<'static, str>),
    /// One of the app's own signals, by the name the verbose answers give
    /// it: `started`, `not ready`, `holds`, `broken`, `shutting down`,
    /// `heartbeat:<name>`.
    Lifecycle(Cow<'static, str>),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Probe(probe) => write!(f, "{probe}"),
            Subject::Check(probe, name) => write!(f, "{probe}/{name}"),
            Subject::Lifecycle(name) => write!(f, "lifecycle/{name}"),
        }
    }
}

/// One transition: a probe, check or lifecycle entry that began to answer
/// with a new status or title.
///
/// ```
/// let lifecycle = healthz::Lifecycle::new();
/// lifecycle.mark_started();
/// let history = lifecycle.health().history();
/// assert_eq!(history[0].subject().to_string(), "lifecycle/started");
/// assert_eq!(history[0].status(), healthz::Status::Pass);
/// assert_eq!(history[0].held(), None, "the first transition has no previous status");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub(crate) seq: u64,
    pub(crate) at: SystemTime,
    pub(crate) subject: Subject,
    pub(crate) status: Status,
    pub(crate) title: Option<String>,
    pub(crate) duration: Option<Duration>,
    pub(crate) held: Option<Duration>,
}

/// The longest title an entry keeps, in bytes.
const TITLE_BYTES: usize = 256;

impl Entry {
    /// What the entry is of.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// When the transition happened.
    pub fn at(&self) -> SystemTime {
        self.at
    }

    /// The status from then on.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The title from then on, while it fails or warns; cut to 256 bytes.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// How long the run that found it took; `None` for what the app says of
    /// itself, which does not run.
    pub fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// How long the previous status held; `None` for the first entry of
    /// its subject.
    pub fn held(&self) -> Option<Duration> {
        self.held
    }

    /// The order of entries in the process: a later transition has a
    /// greater number, whatever its subject.
    pub fn sequence(&self) -> u64 {
        self.seq
    }

    /// Whether a reader without `details` may see the entry at all: the
    /// probes' own, whose names are the endpoints' paths, and no other.
    #[cfg(feature = "ui")]
    pub(crate) fn is_shown(&self, details: bool) -> bool {
        details || matches!(self.subject, Subject::Probe(_))
    }

    /// The entry as JSON, as `/events` and `/history` give it; the title
    /// left out when `details` is false.
    #[cfg(feature = "ui")]
    pub(crate) fn json(&self, details: bool) -> serde_json::Value {
        let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
        serde_json::json!({
            "seq": self.seq,
            "time": time::rfc3339(self.at),
            "at_ms": time::unix_millis(self.at),
            "subject": self.subject.to_string(),
            "status": self.status.as_str(),
            "title": if details { self.title.as_deref() } else { None },
            "duration_ms": self.duration.map(millis),
            "held_ms": self.held.map(millis),
        })
    }
}

/// `title` cut to at most [`TITLE_BYTES`], at a character boundary.
fn bounded_title(title: Option<&str>) -> Option<String> {
    let title = title?;
    let mut end = title.len().min(TITLE_BYTES);
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    Some(title[..end].to_owned())
}
