//! The crate's locks and atomics: loom's in the tests built with
//! `--cfg healthz_loom`, so that the models check every interleaving of the
//! code that uses them, and std's otherwise. A panic elsewhere cannot
//! poison the locks.

#[cfg(all(test, healthz_loom))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
#[cfg(all(test, healthz_loom))]
pub(crate) use loom::sync::{Mutex, MutexGuard};
use std::sync::PoisonError;
pub(crate) use std::sync::atomic::Ordering;
#[cfg(not(all(test, healthz_loom)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
#[cfg(not(all(test, healthz_loom)))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// The crate's locks guard plain values replaced whole, so a panic elsewhere
/// cannot leave them half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
