//! `<prefix>/events`: a `text/event-stream` of every transition of the
//! probes, their checks and the app's signals, as it is written.

use std::collections::{BTreeSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use crate::health::Health;
use crate::history::Entry;
use crate::lifecycle::Lifecycle;

/// The most event streams open at once, per router; the one past it is
/// answered 503.
pub(crate) const MAX_STREAMS: usize = 128;

/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The streams open, counted down as each ends.
#[derive(Clone, Default)]
pub(crate) struct Streams(Arc<AtomicUsize>);

impl Streams {
    /// A place for one more stream, unless all are taken.
    pub(crate) fn open(&self) -> Option<Open> {
        let taken = self.0.fetch_add(1, Ordering::AcqRel);
        if taken >= MAX_STREAMS {
            self.0.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Open(self.0.clone()))
    }
}

/// One stream's place, given back when the stream is dropped.
pub(crate) struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a stream has to do next.
struct Following {
    health: Health,
    lifecycle: Lifecycle,
    details: bool,
    /// The sequence numbers of the entries kept that were sent, or were
    /// there when the stream began. A set, not the greatest: the rings are
    /// read one after another, so a read can find an entry while missing
    /// an older one being written meanwhile, which the next read finds.
    sent: BTreeSet<u64>,
    pending: VecDeque<Event>,
    _open: Open,
}

/// The stream: the current state first, as an `event: state`, then each
/// transition as an `event: entry` with the JSON of its history entry. It
/// ends when the shutdown has drained, or when nothing can change any more.
pub(crate) fn stream(
    lifecycle: Lifecycle,
    details: bool,
    open: Open,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Made, and the entries taken, before the state is read: a change
    // after that is sent as an entry, even if the state has it already.
    let health = lifecycle.health();
    let sent = (health.history().iter()).map(Entry::sequence).collect();
    let state = super::view::now(&health, &lifecycle, details);
    let first = Event::default().event("state").data(state.to_string());
    let following = Following {
        health,
        lifecycle,
        details,
        sent,
        pending: VecDeque::from([first]),
        _open: open,
    };
    let events = futures_util::stream::unfold(following, |mut following| async move {
        let event = following.next().await?;
        Some((Ok(event), following))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

impl Following {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.lifecycle.has_drained() {
                return None;
            }
            tokio::select! {
                changed = self.health.changed() => changed.ok()?,
                () = self.lifecycle.drained() => return None,
            }
            let history = self.health.history();
            for entry in &history {
                if !self.sent.contains(&entry.sequence()) && entry.is_shown(self.details) {
                    let data = entry.json(self.details).to_string();
                    self.pending
                        .push_back(Event::default().event("entry").data(data));
                }
            }
            // Bounded by the rings: an entry they dropped cannot come back.
            self.sent = history.iter().map(Entry::sequence).collect();
        }
    }
}
