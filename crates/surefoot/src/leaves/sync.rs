//! Locking that survives a panic: a poisoned mutex still guards consistent data here
//! (every critical section of the crate leaves its map or counter whole), so the guard is
//! taken back instead of spreading the panic to every later caller.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the guard back from a poisoned lock.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
