//! The bounded rings that keep the transitions of a group of subjects: a
//! probe and its checks, or a lifecycle's entries.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use super::{Entry, Subject, bounded_title};
use crate::base::kind::Probe;
use crate::base::status::Status;
use crate::report::Report;

// std's lock and atomic, also in the loom models: history is not part of
// the lock-free core they check, and a static cannot hold loom's.

/// Orders the entries of every ring in the process, for the readers that
/// merge them (`/events` sends each entry once, in order).
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// The last transitions of each subject of a group, `capacity` each, for at
/// most `subjects` subjects: past that, the subject whose last transition
/// is oldest is forgotten, so that names made at run time (hold reasons,
/// heartbeats) cannot grow it without bound.
pub(crate) struct Rings {
    capacity: usize,
    subjects: usize,
    rings: Mutex<Vec<(Subject, VecDeque<Entry>)>>,
}

impl Rings {
    pub(crate) fn new(capacity: usize, subjects: usize) -> Self {
        Rings {
            capacity: capacity.max(1),
            subjects: subjects.max(1),
            rings: Mutex::new(Vec::new()),
        }
    }

    /// Records that `subject` answers `status` with `title`, if that is a
    /// change from its last entry; the app's code is never called under
    /// the lock.
    pub(crate) fn record(
        &self,
        subject: Subject,
        status: Status,
        title: Option<&str>,
        duration: Option<Duration>,
    ) {
        let title = bounded_title(title);
        let at = SystemTime::now();
        let mut rings = self.lock();
        let at_ring = rings.iter().position(|(known, _)| *known == subject);
        let held = match at_ring.and_then(|at_ring| rings[at_ring].1.back()) {
            Some(last) if last.status == status && last.title == title => return,
            Some(last) => Some(at.duration_since(last.at).unwrap_or_default()),
            None => None,
        };
        let ring = match at_ring {
            Some(at_ring) => &mut rings[at_ring].1,
            None => {
                if rings.len() == self.subjects {
                    let oldest = (rings.iter().enumerate())
                        .min_by_key(|(_, (_, ring))| ring.back().map(|last| last.seq))
                        .map(|(at, _)| at);
                    rings.remove(oldest.unwrap_or(0));
                }
                rings.push((subject.clone(), VecDeque::with_capacity(self.capacity)));
                &mut rings.last_mut().expect("just pushed").1
            }
        };
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(Entry {
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            at,
            subject,
            status,
            title,
            duration,
            held,
        });
    }

    /// Records the transitions in `report`, of a run of `probe` that took
    /// `duration`: the probe's, and each named check's.
    pub(crate) fn record_report(&self, probe: Probe, report: &Report, duration: Duration) {
        let title = report.title.as_deref();
        self.record(
            Subject::Probe(probe),
            report.status(),
            title,
            Some(duration),
        );
        for check in &report.checks {
            let subject = Subject::Check(probe, check.name.clone());
            let title = check.title.as_deref();
            self.record(subject, check.status, title, check.duration);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Subject, VecDeque<Entry>)>> {
        self.rings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every entry kept, appended to `into`.
    pub(crate) fn read_into(&self, into: &mut Vec<Entry>) {
        for (_, ring) in self.lock().iter() {
            into.extend(ring.iter().cloned());
        }
    }
}

#[cfg(all(test, not(healthz_loom)))]
mod tests {
    use super::*;

    fn entries(rings: &Rings) -> Vec<Entry> {
        let mut entries = Vec::new();
        rings.read_into(&mut entries);
        entries
    }

    #[test]
    fn only_a_change_of_status_or_title_is_kept() {
        let rings = Rings::new(8, 8);
        let ready = || Subject::Probe(Probe::Ready);
        rings.record(ready(), Status::Pass, None, None);
        rings.record(ready(), Status::Pass, None, None);
        rings.record(ready(), Status::Fail, Some("down"), None);
        rings.record(ready(), Status::Fail, Some("still down"), None);
        let kept = entries(&rings);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].held, None);
        assert!(kept[1].held.is_some());
        assert!(kept[0].seq < kept[1].seq && kept[1].seq < kept[2].seq);
    }

    #[test]
    fn each_subject_keeps_its_last_entries_and_the_subjects_are_bounded() {
        let rings = Rings::new(2, 2);
        for n in 0..5 {
            let title = n.to_string();
            rings.record(
                Subject::Probe(Probe::Live),
                Status::Fail,
                Some(&title),
                None,
            );
        }
        let titles: Vec<_> = (entries(&rings).into_iter())
            .filter_map(|entry| entry.title)
            .collect();
        assert_eq!(titles, ["3", "4"]);

        rings.record(Subject::Lifecycle("a".into()), Status::Pass, None, None);
        rings.record(Subject::Lifecycle("b".into()), Status::Pass, None, None);
        let subjects: Vec<_> = (entries(&rings).into_iter())
            .map(|entry| entry.subject.to_string())
            .collect();
        assert_eq!(
            subjects,
            ["lifecycle/a", "lifecycle/b"],
            "the oldest subject forgotten"
        );
    }

    #[test]
    fn an_entry_is_as_small_as_the_docs_say() {
        assert!(
            std::mem::size_of::<Entry>() <= 128,
            "{} bytes",
            std::mem::size_of::<Entry>()
        );
    }

    #[test]
    fn a_long_title_is_cut_at_a_character_boundary() {
        let rings = Rings::new(1, 1);
        let long = "é".repeat(200);
        rings.record(Subject::Probe(Probe::Live), Status::Fail, Some(&long), None);
        let title = entries(&rings).remove(0).title.unwrap();
        assert_eq!(title.len(), 256);
        assert!(long.starts_with(&title));
    }
}
