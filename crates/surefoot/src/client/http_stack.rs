//! A client's HTTP stacks: one shared by its clones, made by its builder, and, for calls a
//! thread drives on its own runtime ([`crate::runtime::block_on_here`]), one more per thread
//! and client, made from the same settings, whose connections belong to that thread's
//! runtime — as a libcurl easy handle owns its connections. Each is the lean hyper stack
//! (`client::lean`), or reqwest's client (`client::wire::build`) when reqwest would find a
//! proxy by itself. (The shared stack's pool already hands a connection only to calls on
//! the runtime it was made on; a thread's own stack keeps its connections out of the other
//! threads' lock, and closes them when the thread ends, whose runtime goes with it.) The
//! per-thread stacks are forgotten in a child after `fork()` and dropped with their thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use crate::client::handle::{Client, Inner};
use crate::client::lean::{proxies_configured, Lean, Stack};
use crate::client::wire::build;
use crate::config::settings::Settings;
use crate::error::Result;

/// The HTTP stacks one thread made for the clients it drove calls of.
#[derive(Default)]
struct ThreadStacks {
    pid: u32,
    /// By the address of the client's shared state (the weak reference tells a live client
    /// from a dropped one whose address was reused).
    stacks: HashMap<usize, (Weak<Inner>, Stack)>,
}

thread_local! {
    static STACKS: RefCell<ThreadStacks> = RefCell::default();
}

/// The stack for a client of these settings: the lean one, or reqwest's when reqwest
/// would find a proxy by itself. One is shared by a client's clones; each thread that drives
/// its own calls makes another.
pub(crate) fn build_stack(s: &Settings) -> Result<Stack> {
    if proxies_configured() {
        return build(s).map(Stack::Reqwest);
    }
    Ok(Stack::Lean(Arc::new(Lean::new(s)?)))
}

impl Client {
    /// The HTTP stack for an attempt made now: the calling thread's own when it drives the
    /// call on its runtime, else the one shared by the client's clones.
    pub(crate) fn http(&self) -> Result<Stack> {
        if !crate::config::runtime::driving_here() {
            return Ok(self.inner.http.clone());
        }
        let made = STACKS.try_with(|cell| {
            let mut cell = cell.try_borrow_mut().ok()?;
            Some(thread_stack(&mut cell, &self.inner))
        });
        match made {
            Ok(Some(stack)) => stack,
            // The thread is ending: a stack of its own, used for this call only.
            _ => build_stack(&self.inner.settings),
        }
    }
}

/// This thread's stack for the client `inner`, made on first use.
fn thread_stack(t: &mut ThreadStacks, inner: &Arc<Inner>) -> Result<Stack> {
    let pid = crate::config::runtime::process_id();
    if t.pid != pid {
        // Made in the parent: their connections are the parent's sockets. Forgotten.
        std::mem::forget(std::mem::take(&mut t.stacks));
        t.pid = pid;
    }
    let address = Arc::as_ptr(inner) as usize;
    if let Some((owner, stack)) = t.stacks.get(&address)
        && owner.strong_count() > 0
    {
        return Ok(stack.clone());
    }
    let stack = build_stack(&inner.settings)?;
    // Stacks of dropped clients go when another is made.
    t.stacks.retain(|_, (owner, _)| owner.strong_count() > 0);
    t.stacks
        .insert(address, (Arc::downgrade(inner), stack.clone()));
    Ok(stack)
}
