//! `jobs().create_many(items)`: many PyAI jobs, each created exactly once. Every item
//! carries a stable idempotency key (its own, or one derived from its content), so a retry,
//! a requeue or a whole re-run after a crash gets the server's replay instead of a
//! duplicate. At most `concurrency` creations are in flight, on the client's shared pacing;
//! an item whose transient trouble outlasts the client's retries goes back in the queue for
//! a later round (bounded); an error about the key or the service stops the run; a cancel,
//! an interrupting future or a deadline stops it too. Every item gets exactly one result:
//! created (or replayed), failed for good, or not done — and a not-done item is always safe
//! to resubmit with the key its result names.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::{key_for, CancelToken, DEFAULT_CONCURRENCY, DEFAULT_ROUNDS};
use crate::error::{Error, ErrorKind};
use crate::pyai::{CreateJob, Job, Jobs};
use crate::retry::Verdict;

/// What became of one item.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// The job exists: created now, or replayed by the server for the item's key.
    Created(Job),
    /// Failed for good (a final error, transient trouble beyond every round, or the error
    /// that stopped the run).
    Failed(Error),
    /// Not done because the run was interrupted or stopped first. Safe to resubmit with the
    /// same idempotency key: if `sent`, the server may already hold the job and will replay
    /// it; if not, nothing was ever sent for it.
    NotDone {
        /// Whether a creation for this item was sent at least once.
        sent: bool,
        /// Why it is not done (carries the idempotency key).
        reason: Error,
    },
}

/// The result of one item of [`create_many`](Jobs::create_many).
#[derive(Debug, Clone)]
pub struct JobResult {
    /// 0-based position of the item in the input.
    pub index: usize,
    /// The idempotency key used (resubmit with it to get the same job, never a second one).
    pub idempotency_key: String,
    /// What became of the item.
    pub outcome: JobOutcome,
    /// Rounds the item took (0 when never sent, 1 without a requeue).
    pub rounds: u32,
    /// When the item repeats an earlier item's key and body, that item's index: one job
    /// for both, one request.
    pub same_as: Option<usize>,
}

impl JobResult {
    /// The job, when the item is done.
    pub fn job(&self) -> Option<&Job> {
        match &self.outcome {
            JobOutcome::Created(j) => Some(j),
            _ => None,
        }
    }

    /// The error, when the item failed or is not done.
    pub fn error(&self) -> Option<&Error> {
        match &self.outcome {
            JobOutcome::Created(_) => None,
            JobOutcome::Failed(e) | JobOutcome::NotDone { reason: e, .. } => Some(e),
        }
    }

    /// Whether the job exists.
    pub fn is_done(&self) -> bool {
        matches!(self.outcome, JobOutcome::Created(_))
    }

    /// Whether the item was interrupted (not done, safe to resubmit with its key).
    pub fn is_not_done(&self) -> bool {
        matches!(self.outcome, JobOutcome::NotDone { .. })
    }
}

/// Counters of a run so far, given to the progress callback after each result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items in the input, once the input is exhausted (`None` before).
    pub total: Option<usize>,
    /// Items done (created or replayed).
    pub done: usize,
    /// Items failed for good.
    pub failed: usize,
    /// Items not done (interrupted or stopped).
    pub not_done: usize,
    /// Requeues so far (an item requeued twice counts twice).
    pub requeued: usize,
    /// Creations sent (first rounds of distinct keys).
    pub submitted: usize,
}

/// What a whole run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The final counters.
    pub progress: Progress,
    /// The error that stopped the run (see [`Verdict::StopRun`]), if one did.
    pub stopped: Option<Error>,
    /// Whether a cancel, the interrupting future or the deadline ended the run.
    pub interrupted: bool,
}

type ProgressFn<'a> = Box<dyn Fn(&Progress) + Send + Sync + 'a>;
type StopFn<'a> = Box<dyn Fn(&Error) -> bool + Send + Sync + 'a>;

/// A bulk creation being set up; see [`Jobs::create_many`]. Run it with
/// [`for_each`](CreateMany::for_each) or [`run`](CreateMany::run).
#[must_use = "a CreateMany does nothing until run"]
pub struct CreateMany<'a> {
    jobs: Jobs<'a>,
    items: Box<dyn Iterator<Item = CreateJob> + Send + 'a>,
    concurrency: usize,
    ordered: bool,
    rounds: u32,
    progress: Option<ProgressFn<'a>>,
    stop_when: Option<StopFn<'a>>,
    cancel: Option<CancelToken>,
    interrupt: Option<BoxFuture<'a, ()>>,
    deadline: Option<Duration>,
}

impl<'a> Jobs<'a> {
    /// Creates one job per item, each exactly once, at most 16 at a time by default, on
    /// this client's pacing. Items without their own `idempotency_key` get one derived from
    /// their content ([`key_from_body`](super::key_from_body)), so running the same items
    /// again creates nothing new: the server replays each job.
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
        CreateMany {
            jobs: *self,
            items: Box::new(items.into_iter()),
            concurrency: DEFAULT_CONCURRENCY,
            ordered: true,
            rounds: DEFAULT_ROUNDS,
            progress: None,
            stop_when: None,
            cancel: None,
            interrupt: None,
            deadline: None,
        }
    }
}

impl<'a> CreateMany<'a> {
    /// At most `n` creations in flight (0 is read as 1). Default 16.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// `true` (the default): results come in input order; `false`: as they complete.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Rounds an item gets when transient trouble outlasts the client's retries (0 is read
    /// as 1; default 3: the first try and two requeues).
    pub fn rounds(mut self, n: u32) -> Self {
        self.rounds = n.max(1);
        self
    }

    /// Called after each result with the counters so far.
    pub fn progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Which errors stop the whole run (default: [`Error::verdict`](crate::Error::verdict) says
    /// [`Verdict::StopRun`]).
    pub fn stop_when(mut self, f: impl Fn(&Error) -> bool + Send + Sync + 'a) -> Self {
        self.stop_when = Some(Box::new(f));
        self
    }

    /// Ends the run when `token` is cancelled.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Ends the run when `signal` resolves (e.g. Ctrl-C).
    pub fn interrupt_on(
        mut self,
        signal: impl std::future::Future<Output = ()> + Send + 'a,
    ) -> Self {
        self.interrupt = Some(signal.boxed());
        self
    }

    /// Ends the run after `d` (the client's per-request deadline still applies to each
    /// creation).
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = Some(d);
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
        let CreateMany {
            jobs,
            items,
            concurrency,
            ordered,
            rounds,
            progress,
            stop_when,
            cancel,
            interrupt,
            deadline,
        } = self;
        let mut signals: Vec<BoxFuture<'_, ()>> = Vec::new();
        if let Some(t) = &cancel {
            signals.push(t.cancelled().boxed());
        }
        if let Some(i) = interrupt {
            signals.push(i);
        }
        if let Some(d) = deadline {
            signals.push(tokio::time::sleep(d).boxed());
        }
        let mut signal: BoxFuture<'_, ()> = if signals.is_empty() {
            futures::future::pending().boxed()
        } else {
            futures::future::select_all(signals).map(|_| ()).boxed()
        };
        let max_wait = jobs.owner().client().retry_policy().max_retry_wait;
        let should_stop = |e: &Error| match &stop_when {
            Some(f) => f(e),
            None => e.verdict() == Verdict::StopRun,
        };

        let mut out = Delivery {
            ordered,
            next: 0,
            pending: BTreeMap::new(),
            progress: Progress::default(),
            callback: progress,
        };
        let mut items = items.enumerate();
        let mut exhausted = false;
        // key → (leader index, body, follower indexes)
        let mut leaders: HashMap<String, (usize, Value, Vec<usize>)> = HashMap::new();
        let mut requeue: VecDeque<(usize, CreateJob, String, u32, Option<Duration>)> =
            VecDeque::new();
        let mut in_flight = FuturesUnordered::new();
        let mut in_flight_keys: Vec<(usize, String, u32)> = Vec::new();
        let mut summary = Summary::default();
        let mut pulled = 0usize;

        loop {
            if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                summary.interrupted = true;
                break;
            }
            while in_flight.len() < concurrency {
                let next = if !exhausted {
                    match items.next() {
                        Some((index, job)) => {
                            pulled += 1;
                            Some((index, job, None, 1, None))
                        }
                        None => {
                            exhausted = true;
                            out.progress.total = Some(pulled);
                            continue;
                        }
                    }
                } else {
                    requeue
                        .pop_front()
                        .map(|(i, job, key, round, delay)| (i, job, Some(key), round, delay))
                };
                let Some((index, job, key, round, delay)) = next else {
                    break;
                };
                let key = key.unwrap_or_else(|| key_for(&job));
                if round == 1 {
                    let body = serde_json::to_value(&job).unwrap_or(Value::Null);
                    if let Some((leader, first_body, followers)) = leaders.get_mut(&key) {
                        if *first_body == body {
                            followers.push(index);
                        } else {
                            let e = Error::new(
                                ErrorKind::Conflict,
                                "idempotency_conflict",
                                format!(
                                    "item {index} has the idempotency key of item {leader} with a different body; not sent"
                                ),
                            )
                            .with_idempotency_key(key.clone());
                            out.push(
                                JobResult {
                                    index,
                                    idempotency_key: key,
                                    outcome: JobOutcome::Failed(e),
                                    rounds: 0,
                                    same_as: None,
                                },
                                &mut on_result,
                            );
                        }
                        continue;
                    }
                    leaders.insert(key.clone(), (index, body, Vec::new()));
                    out.progress.submitted += 1;
                }
                in_flight_keys.push((index, key.clone(), round));
                let send = job.clone().idempotency_key(key.clone());
                in_flight.push(async move {
                    if let Some(d) = delay {
                        tokio::time::sleep(d).await;
                    }
                    let result = jobs.create(send).await;
                    (index, job, key, round, result)
                });
            }
            if in_flight.is_empty() {
                break;
            }
            let next = tokio::select! {
                biased;
                _ = &mut signal => {
                    summary.interrupted = true;
                    break;
                }
                next = in_flight.next() => next,
            };
            let Some((index, job, key, round, result)) = next else {
                break;
            };
            in_flight_keys.retain(|(i, _, _)| *i != index);
            let outcome = match result {
                Ok(j) => JobOutcome::Created(j),
                Err(e) if should_stop(&e) => {
                    summary.stopped = Some(e.clone());
                    finish(
                        &mut out,
                        &mut leaders,
                        index,
                        key,
                        round,
                        JobOutcome::Failed(e),
                        &mut on_result,
                    );
                    break;
                }
                Err(e) if e.verdict() == Verdict::TryLater && round < rounds => {
                    out.progress.requeued += 1;
                    // Refused by this client's own limiter: wait until it has room, but
                    // never longer than the client's `max_retry_wait` (the rounds stay
                    // bounded in time too).
                    let delay = (e.code() == crate::error::codes::CLIENT_RATE_LIMITED)
                        .then(|| e.retry_after())
                        .flatten()
                        .map(|d| d.min(max_wait));
                    requeue.push_back((index, job, key, round + 1, delay));
                    continue;
                }
                Err(e) => JobOutcome::Failed(e),
            };
            finish(
                &mut out,
                &mut leaders,
                index,
                key,
                round,
                outcome,
                &mut on_result,
            );
        }
        drop(in_flight);

        // Whatever is left is not done; each is safe to resubmit with its key.
        let why = match (&summary.stopped, summary.interrupted) {
            (Some(e), _) => format!("the run stopped first ({})", e.code()),
            (None, _) => "the run was interrupted first".to_string(),
        };
        let not_done = |key: &str, sent: bool| {
            let reason = Error::new(
                ErrorKind::Timeout,
                "not_done",
                format!(
                    "not done: {why}; resubmitting with idempotency key {key} is safe ({})",
                    if sent {
                        "the server replays the job if it created one"
                    } else {
                        "nothing was sent for it"
                    }
                ),
            )
            .with_idempotency_key(key.to_string());
            JobOutcome::NotDone { sent, reason }
        };
        for (index, key, round) in std::mem::take(&mut in_flight_keys) {
            let o = not_done(&key, true);
            finish(&mut out, &mut leaders, index, key, round, o, &mut on_result);
        }
        for (index, _, key, round, _) in std::mem::take(&mut requeue) {
            let o = not_done(&key, true);
            finish(
                &mut out,
                &mut leaders,
                index,
                key,
                round - 1,
                o,
                &mut on_result,
            );
        }
        // Followers of leaders that never finished (none should remain, but be complete).
        for (key, (_, _, followers)) in std::mem::take(&mut leaders) {
            for index in followers {
                let o = not_done(&key, true);
                out.push(
                    JobResult {
                        index,
                        idempotency_key: key.clone(),
                        outcome: o,
                        rounds: 0,
                        same_as: None,
                    },
                    &mut on_result,
                );
            }
        }
        for (index, job) in items {
            pulled += 1;
            let key = key_for(&job);
            let o = not_done(&key, false);
            out.push(
                JobResult {
                    index,
                    idempotency_key: key,
                    outcome: o,
                    rounds: 0,
                    same_as: None,
                },
                &mut on_result,
            );
        }
        out.progress.total = Some(pulled);
        out.flush(&mut on_result);
        summary.progress = out.progress;
        summary
    }
}

/// Delivers a leader's final outcome to it and every follower sharing its key.
fn finish(
    out: &mut Delivery<'_>,
    leaders: &mut HashMap<String, (usize, Value, Vec<usize>)>,
    index: usize,
    key: String,
    round: u32,
    outcome: JobOutcome,
    f: &mut dyn FnMut(JobResult),
) {
    let followers = match leaders.get_mut(&key) {
        Some((leader, _, followers)) if *leader == index => std::mem::take(followers),
        _ => Vec::new(),
    };
    leaders.remove(&key);
    for i in followers {
        out.push(
            JobResult {
                index: i,
                idempotency_key: key.clone(),
                outcome: outcome.clone(),
                rounds: 0,
                same_as: Some(index),
            },
            f,
        );
    }
    out.push(
        JobResult {
            index,
            idempotency_key: key,
            outcome,
            rounds: round,
            same_as: None,
        },
        f,
    );
}

/// Hands results on in input order (buffering) or as they come, counting them.
struct Delivery<'a> {
    ordered: bool,
    next: usize,
    pending: BTreeMap<usize, JobResult>,
    progress: Progress,
    callback: Option<ProgressFn<'a>>,
}

impl Delivery<'_> {
    fn push(&mut self, r: JobResult, f: &mut dyn FnMut(JobResult)) {
        match r.outcome {
            JobOutcome::Created(_) => self.progress.done += 1,
            JobOutcome::Failed(_) => self.progress.failed += 1,
            JobOutcome::NotDone { .. } => self.progress.not_done += 1,
        }
        if let Some(cb) = &self.callback {
            cb(&self.progress);
        }
        if self.ordered {
            self.pending.insert(r.index, r);
            self.flush_ready(f);
        } else {
            f(r);
        }
    }

    fn flush_ready(&mut self, f: &mut dyn FnMut(JobResult)) {
        while let Some(r) = self.pending.remove(&self.next) {
            self.next += 1;
            f(r);
        }
    }

    fn flush(&mut self, f: &mut dyn FnMut(JobResult)) {
        self.flush_ready(f);
        for (_, r) in std::mem::take(&mut self.pending) {
            f(r);
        }
    }
}
