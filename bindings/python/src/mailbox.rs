//! Handing finished calls to an asyncio loop in batches, one wake-up per batch: each loop
//! has a [`Mailbox`] — a queue of completions and a socket pair whose read end the loop
//! watches (`loop.add_reader`, as the scylladb Python driver does). A runtime thread that
//! finishes a call puts its completion in the queue without taking the GIL, and writes one
//! byte only when the queue was empty; the loop thread, which holds the GIL anyway, reads
//! the bytes, takes the whole queue and builds each Python result there. The mailbox hangs
//! on the loop object (`_surefoot_mailbox`); when the loop is closed its reader goes, and
//! the sockets close with the last reference. A loop that takes no attribute or no reader
//! (not a selector loop) gets `None`: the caller completes through
//! `call_soon_threadsafe` instead.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

/// A completion: run on the loop thread with the GIL, it sets a future's result.
pub(crate) type Completion = Box<dyn FnOnce(Python<'_>) + Send>;

/// The attribute of the loop object holding its mailbox.
const ATTRIBUTE: &str = "_surefoot_mailbox";

/// One loop's completions waiting to be handed over, and the socket that wakes the loop.
pub(crate) struct Mailbox {
    queue: Mutex<Vec<Completion>>,
    wake: UnixStream,
}

impl Mailbox {
    /// Queues `completion`; wakes the loop when it is the first of a batch. Never takes
    /// the GIL.
    pub(crate) fn post(&self, completion: Completion) {
        let first = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.push(completion);
            queue.len() == 1
        };
        if first {
            // A full socket buffer already holds a wake-up; a closed loop has no reader.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// The Python face of a mailbox: kept on the loop object, and called by the loop when the
/// read end is readable.
#[pyclass(frozen, module = "surefoot._native")]
pub(crate) struct LoopMailbox {
    mailbox: Arc<Mailbox>,
    read: UnixStream,
}

#[pymethods]
impl LoopMailbox {
    /// Runs on the loop: empties the socket, then runs every queued completion. (Read
    /// first: a completion queued after the queue is taken writes a byte that wakes the
    /// loop again.)
    fn __call__(&self, py: Python<'_>) {
        let mut sink = [0u8; 256];
        loop {
            match (&self.read).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        let batch =
            std::mem::take(&mut *self.mailbox.queue.lock().unwrap_or_else(|e| e.into_inner()));
        for completion in batch {
            completion(py);
        }
    }
}

/// The mailbox of `event_loop`, made and registered with it on first use; `None` when the
/// loop cannot have one (no attribute, no `add_reader`).
pub(crate) fn of_loop(event_loop: &Bound<'_, PyAny>) -> Option<Arc<Mailbox>> {
    if let Ok(existing) = event_loop.getattr(ATTRIBUTE) {
        return existing
            .cast::<LoopMailbox>()
            .ok()
            .map(|m| m.get().mailbox.clone());
    }
    // Marked first (a loop without attributes stops here, every time, at no cost), so that
    // a loop without readers is not tried again.
    event_loop.setattr(ATTRIBUTE, event_loop.py().None()).ok()?;
    register(event_loop).ok()
}

fn register(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Mailbox>> {
    let (read, wake) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    wake.set_nonblocking(true)?;
    let fd = read.as_raw_fd();
    let mailbox = Arc::new(Mailbox {
        queue: Mutex::new(Vec::new()),
        wake,
    });
    let face = Bound::new(
        event_loop.py(),
        LoopMailbox {
            mailbox: mailbox.clone(),
            read,
        },
    )?;
    event_loop.call_method1("add_reader", (fd, &face))?;
    event_loop.setattr(ATTRIBUTE, &face)?;
    Ok(mailbox)
}
