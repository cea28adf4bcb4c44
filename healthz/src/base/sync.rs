//! Locks that a panic elsewhere cannot poison.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The crate's locks guard plain values replaced whole, so a panic elsewhere
/// cannot leave them half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
