//! `jobs().create_many(items)`: many PyAI jobs, each created exactly once. Every item
//! carries a stable idempotency key (by the one rule of [`rules::item_key`]: its explicit
//! key, else one derived from its stable id, else from its content), so a retry, a requeue
//! or a whole re-run after a crash gets the server's replay instead of a duplicate. At most
//! `concurrency` creations are in flight, on the client's shared pacing; an item whose
//! transient trouble outlasts the client's retries goes back in the queue for a later round
//! (bounded). An error about the key or the service stops the run: nothing new starts, and
//! the creations already sent are awaited so that their results say what the server did. A
//! cancel, an interrupting future or a deadline ends the run at once. Every item gets
//! exactly one result: created (or replayed), failed for good, or not done — and a not-done
//! result says why the run ended, whether its creation was sent (its outcome then unknown),
//! and that resubmitting with its key is safe.

use std::time::Duration;

use futures::FutureExt;

pub use super::outcome::{JobOutcome, JobResult, Progress, Summary};
use super::rules::{self, Item};
use super::run::{Run, Setup};
use super::CancelToken;
use crate::error::Error;
use crate::pyai::{CreateJob, Jobs};

/// A bulk creation being set up; see [`Jobs::create_many`]. Run it with
/// [`for_each`](CreateMany::for_each) or [`run`](CreateMany::run).
#[must_use = "a CreateMany does nothing until run"]
pub struct CreateMany<'a>(Setup<'a>);

impl<'a> Jobs<'a> {
    /// Creates one job per item, each exactly once, at most 16 at a time by default, on
    /// this client's pacing. An item's key follows [`rules::item_key`] (its explicit key,
    /// else one derived from its content; [`create_many_items`](Jobs::create_many_items)
    /// takes items with stable ids), so running the same items again creates nothing new:
    /// the server replays each job.
    ///
    /// ```no_run
    /// use surefoot::pyai::{Client, CreateJob};
    ///
    /// # async fn run(client: Client) {
    /// let items = (0..100).map(|i| CreateJob::new(format!("https://example.com/{i}.wav")));
    /// let results = client.jobs().create_many(items).concurrency(8).run().await;
    /// for r in &results {
    ///     match r.job() {
    ///         Some(job) => println!("{} → {}", r.index, job.id()),
    ///         None => println!("{} failed (key {}): {:?}", r.index, r.idempotency_key, r.error()),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn create_many<I>(&self, items: I) -> CreateMany<'a>
    where
        I: IntoIterator<Item = CreateJob>,
        I::IntoIter: Send + 'a,
    {
        self.create_many_items(items.into_iter().map(Item::new))
    }

    /// [`create_many`](Jobs::create_many) of [`Item`]s: jobs with a stable id of their own,
    /// from which an item's key is derived when its job has no explicit key.
    ///
    /// ```no_run
    /// use surefoot::bulk::Item;
    /// use surefoot::pyai::{Client, CreateJob};
    ///
    /// # async fn run(client: Client) {
    /// let items = (0..10).map(|i| {
    ///     Item::new(CreateJob::new(format!("https://example.com/{i}.wav"))).stable_id(format!("order-{i}"))
    /// });
    /// let results = client.jobs().create_many_items(items).run().await;
    /// assert_eq!(results[3].idempotency_key, surefoot::bulk::key_from_id("order-3"));
    /// # }
    /// ```
    pub fn create_many_items<I>(&self, items: I) -> CreateMany<'a>
    where
        I: IntoIterator<Item = Item>,
        I::IntoIter: Send + 'a,
    {
        CreateMany(Setup {
            jobs: *self,
            items: Box::new(items.into_iter()),
            concurrency: Ok(rules::DEFAULT_CONCURRENCY),
            ordered: true,
            rounds: Ok(rules::DEFAULT_ROUNDS),
            progress: None,
            stop_when: None,
            cancel: None,
            interrupt: None,
            deadline: None,
        })
    }
}

impl<'a> CreateMany<'a> {
    /// At most `n` creations in flight, by [`rules::concurrency`]: 0 means the default
    /// (16); above 256 the run is refused before anything is sent.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.0.concurrency = rules::concurrency(n as i128);
        self
    }

    /// `true` (the default): results come in input order; `false`: as they complete.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.0.ordered = ordered;
        self
    }

    /// Rounds an item gets when transient trouble outlasts the client's retries, by
    /// [`rules::rounds`] (0 means the default, 3: the first try and two requeues).
    pub fn rounds(mut self, n: u32) -> Self {
        self.0.rounds = rules::rounds(i128::from(n));
        self
    }

    /// Called after each result with the counters so far.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'a) -> Self {
        self.0.progress = Some(Box::new(f));
        self
    }

    /// Which errors stop the whole run (default: [`Error::verdict`](crate::Error::verdict) says
    /// [`Verdict::StopRun`](crate::retry::Verdict::StopRun)).
    pub fn stop_when(mut self, f: impl Fn(&Error) -> bool + Send + Sync + 'a) -> Self {
        self.0.stop_when = Some(Box::new(f));
        self
    }

    /// Ends the run when `token` is cancelled.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.0.cancel = Some(token);
        self
    }

    /// Ends the run when `signal` resolves (e.g. Ctrl-C).
    pub fn interrupt_on(
        mut self,
        signal: impl std::future::Future<Output = ()> + Send + 'a,
    ) -> Self {
        self.0.interrupt = Some(signal.boxed());
        self
    }

    /// Ends the run after `d` (the client's per-request deadline still applies to each
    /// creation).
    pub fn deadline(mut self, d: Duration) -> Self {
        self.0.deadline = Some(d);
        self
    }

    /// Runs to the end and returns every item's result, in input order (whatever
    /// [`ordered`](CreateMany::ordered) says).
    pub async fn run(self) -> Vec<JobResult> {
        let mut all = Vec::new();
        self.for_each(|r| all.push(r)).await;
        all.sort_by_key(|r| r.index);
        all
    }

    /// Runs to the end, handing each item's result to `on_result` (in input order, or as
    /// completed), and returns what the run did.
    pub async fn for_each(self, mut on_result: impl FnMut(JobResult) + Send) -> Summary {
        let f: &mut (dyn FnMut(JobResult) + Send) = &mut on_result;
        let (mut run, signal) = Run::new(self.0);
        if run.summary.stopped.is_none() {
            run.drive(signal, f).await;
        }
        run.close(f);
        run.summary
    }
}
