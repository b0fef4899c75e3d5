//! A client's HTTP stack: the reqwest client its builder makes from the settings (user
//! agent, default headers, connect timeout, idle pool, redirects), and, for calls a thread
//! drives on its own runtime ([`crate::runtime::block_on_here`]), one more per thread and
//! client, made from the same settings, whose connections belong to that thread's runtime —
//! as a libcurl easy handle owns its connections. (A connection made on one runtime is
//! served by a task of that runtime: a pool shared between threads' runtimes would hand a
//! thread a connection whose runtime no thread is driving.) The per-thread stacks are
//! forgotten in a child after `fork()` and dropped with their thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::client::handle::{Client, Inner};
use crate::config::settings::Settings;
use crate::error::{Error, Result};

/// The HTTP stacks one thread made for the clients it drove calls of.
#[derive(Default)]
struct ThreadStacks {
    pid: u32,
    /// By the address of the client's shared state (the weak reference tells a live client
    /// from a dropped one whose address was reused).
    stacks: HashMap<usize, (Weak<Inner>, reqwest::Client)>,
}

thread_local! {
    static STACKS: RefCell<ThreadStacks> = RefCell::default();
}

/// The HTTP stack the settings describe.
pub(crate) fn build(s: &Settings) -> Result<reqwest::Client> {
    let headers = crate::config::http::header_map(&s.headers)?;
    let user_agent = s
        .user_agent
        .clone()
        .unwrap_or_else(|| format!("surefoot/{}", env!("CARGO_PKG_VERSION")));
    reqwest::Client::builder()
        .user_agent(user_agent)
        .default_headers(headers)
        .connect_timeout(s.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| Error::invalid_request(format!("cannot build the HTTP client: {e}")))
}

impl Client {
    /// The HTTP stack for an attempt made now: the calling thread's own when it drives the
    /// call on its runtime, else the one shared by the client's clones.
    pub(crate) fn http(&self) -> Result<reqwest::Client> {
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
            _ => build(&self.inner.settings),
        }
    }
}

/// This thread's stack for the client `inner`, made on first use.
fn thread_stack(t: &mut ThreadStacks, inner: &Arc<Inner>) -> Result<reqwest::Client> {
    let pid = std::process::id();
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
    let stack = build(&inner.settings)?;
    // Stacks of dropped clients go when another is made.
    t.stacks.retain(|_, (owner, _)| owner.strong_count() > 0);
    t.stacks
        .insert(address, (Arc::downgrade(inner), stack.clone()));
    Ok(stack)
}
