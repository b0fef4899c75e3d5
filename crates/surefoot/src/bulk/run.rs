//! The machinery of one [`create_many`](crate::pyai::Jobs::create_many) run, in steps
//! around one state: start items up to the concurrency (giving each its key, folding
//! repeats onto the first item of their key), settle each answer (done, failed, requeued,
//! or the error that stops the run — after which nothing new starts but what was sent is
//! awaited), and close: every item left gets a not-done result saying why the run ended and
//! whether its creation was sent. Results are delivered in input order or as completed.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::outcome::{JobOutcome, JobResult, Progress, Summary};
use super::rules::Item;
use super::CancelToken;
use crate::error::{codes, Error, ErrorKind};
use crate::pyai::{Job, Jobs};
use crate::retry::Verdict;

pub(super) type ProgressFn<'a> = Box<dyn Fn(&Progress) + Send + Sync + 'a>;
pub(super) type StopFn<'a> = Box<dyn Fn(&Error) -> bool + Send + Sync + 'a>;
pub(super) type Items<'a> = Box<dyn Iterator<Item = Item> + Send + 'a>;

/// What a run was set up with (by [`CreateMany`](super::CreateMany)'s builder).
pub(super) struct Setup<'a> {
    pub(super) jobs: Jobs<'a>,
    pub(super) items: Items<'a>,
    pub(super) concurrency: Result<usize, Error>,
    pub(super) ordered: bool,
    pub(super) rounds: Result<u32, Error>,
    pub(super) progress: Option<ProgressFn<'a>>,
    pub(super) stop_when: Option<StopFn<'a>>,
    pub(super) cancel: Option<CancelToken>,
    pub(super) interrupt: Option<BoxFuture<'a, ()>>,
    pub(super) deadline: Option<Duration>,
}

/// The first item (the leader) of each key, its body, and the later items repeating it.
struct Leader {
    index: usize,
    body: Value,
    followers: Vec<usize>,
}

/// One creation to send (again): `round` 1 is the first try.
struct Pending {
    index: usize,
    item: Item,
    key: String,
    round: u32,
    delay: Option<Duration>,
    /// Whether an earlier round may have reached the server.
    sent: bool,
}

type Creation<'a> = BoxFuture<'a, (Pending, crate::Result<Job>)>;

/// The state of one run, split in steps: start items, settle each answer, close the rest.
pub(super) struct Run<'a> {
    jobs: Jobs<'a>,
    concurrency: usize,
    rounds: u32,
    max_wait: Duration,
    stop_when: Option<StopFn<'a>>,
    cancel: Option<CancelToken>,
    items: std::iter::Enumerate<Items<'a>>,
    exhausted: bool,
    pulled: usize,
    out: Delivery<'a>,
    leaders: HashMap<String, Leader>,
    requeue: VecDeque<Pending>,
    flying: Vec<(usize, String, u32)>,
    pub(super) summary: Summary,
    ended_by: Option<&'static str>,
}

impl<'a> Run<'a> {
    pub(super) fn new(c: Setup<'a>) -> (Run<'a>, BoxFuture<'a, &'static str>) {
        let mut signals: Vec<BoxFuture<'a, &'static str>> = Vec::new();
        if let Some(t) = c.cancel.clone() {
            signals.push(
                async move {
                    t.cancelled().await;
                    "was cancelled"
                }
                .boxed(),
            );
        }
        if let Some(i) = c.interrupt {
            signals.push(i.map(|_| "was interrupted").boxed());
        }
        if let Some(d) = c.deadline {
            signals.push(
                tokio::time::sleep(d)
                    .map(|_| "reached its deadline")
                    .boxed(),
            );
        }
        let signal = if signals.is_empty() {
            futures::future::pending().boxed()
        } else {
            futures::future::select_all(signals)
                .map(|(why, _, _)| why)
                .boxed()
        };
        let options = c.concurrency.and_then(|n| c.rounds.map(|r| (n, r)));
        let mut run = Run {
            jobs: c.jobs,
            concurrency: *options.as_ref().map(|(n, _)| n).unwrap_or(&1),
            rounds: *options.as_ref().map(|(_, r)| r).unwrap_or(&1),
            max_wait: c.jobs.owner().client().retry_policy().max_retry_wait,
            stop_when: c.stop_when,
            cancel: c.cancel,
            items: c.items.enumerate(),
            exhausted: false,
            pulled: 0,
            out: Delivery {
                ordered: c.ordered,
                next: 0,
                pending: BTreeMap::new(),
                progress: Progress::default(),
                callback: c.progress,
            },
            leaders: HashMap::new(),
            requeue: VecDeque::new(),
            flying: Vec::new(),
            summary: Summary::default(),
            ended_by: None,
        };
        // A refused option stops the run before anything is sent.
        run.summary.stopped = options.err();
        (run, signal)
    }

    fn should_stop(&self, e: &Error) -> bool {
        match &self.stop_when {
            Some(f) => f(e),
            None => e.verdict() == Verdict::StopRun,
        }
    }

    /// Starts items until `concurrency` are in flight, settles each answer; once an error
    /// stopped the run, starts nothing more but awaits what was sent; a signal ends it at once.
    pub(super) async fn drive(
        &mut self,
        mut signal: BoxFuture<'a, &'static str>,
        f: &mut (dyn FnMut(JobResult) + Send),
    ) {
        let mut in_flight: FuturesUnordered<Creation<'a>> = FuturesUnordered::new();
        loop {
            if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                self.ended_by = Some("was cancelled");
                break;
            }
            if self.summary.stopped.is_none() {
                self.start(&mut in_flight, f);
            }
            if in_flight.is_empty() {
                break;
            }
            let next = tokio::select! {
                biased;
                why = &mut signal => {
                    self.ended_by = Some(why);
                    break;
                }
                next = in_flight.next() => next,
            };
            let Some((p, result)) = next else { break };
            self.flying.retain(|(i, _, _)| *i != p.index);
            self.settle(p, result, f);
        }
        self.summary.interrupted = self.ended_by.is_some();
    }

    /// The next creation to start: a new item, else a requeued one.
    fn next_pending(&mut self) -> Option<Pending> {
        if !self.exhausted {
            match self.items.next() {
                Some((index, item)) => {
                    self.pulled += 1;
                    return Some(Pending {
                        index,
                        item,
                        key: String::new(),
                        round: 1,
                        delay: None,
                        sent: false,
                    });
                }
                None => {
                    self.exhausted = true;
                    self.out.progress.total = Some(self.pulled);
                }
            }
        }
        self.requeue.pop_front()
    }

    fn start(
        &mut self,
        in_flight: &mut FuturesUnordered<Creation<'a>>,
        f: &mut (dyn FnMut(JobResult) + Send),
    ) {
        while in_flight.len() < self.concurrency {
            let Some(mut p) = self.next_pending() else {
                return;
            };
            if p.round == 1 && !self.first_round(&mut p, f) {
                continue;
            }
            self.flying.push((p.index, p.key.clone(), p.round));
            let jobs = self.jobs;
            in_flight.push(
                async move {
                    if let Some(d) = p.delay {
                        tokio::time::sleep(d).await;
                    }
                    let send = p.item.job.clone().idempotency_key(p.key.clone());
                    let result = jobs.create(send).await;
                    (p, result)
                }
                .boxed(),
            );
        }
    }

    /// Gives a new item its key; `false` when it is not to be sent (its key is refused, or
    /// it repeats an earlier item: then it shares that item's result).
    fn first_round(&mut self, p: &mut Pending, f: &mut (dyn FnMut(JobResult) + Send)) -> bool {
        let index = p.index;
        p.key = match p.item.key(&format!("item {index}")) {
            Ok(k) => k,
            Err(e) => {
                self.out
                    .push(result(index, String::new(), JobOutcome::Failed(e), 0), f);
                return false;
            }
        };
        let body = p.item.body();
        let Some(leader) = self.leaders.get_mut(&p.key) else {
            let leader = Leader {
                index,
                body,
                followers: Vec::new(),
            };
            self.leaders.insert(p.key.clone(), leader);
            self.out.progress.submitted += 1;
            return true;
        };
        if leader.body == body {
            leader.followers.push(index);
        } else {
            let e = Error::new(
                ErrorKind::Conflict,
                codes::IDEMPOTENCY_CONFLICT,
                format!(
                    "item {index} has the idempotency key of item {} with a different body; not sent",
                    leader.index
                ),
            )
            .with_idempotency_key(p.key.clone());
            let key = p.key.clone();
            self.out
                .push(result(index, key, JobOutcome::Failed(e), 0), f);
        }
        false
    }

    /// One answer: done, failed, requeued for a later round, or the error that stops the run.
    fn settle(
        &mut self,
        mut p: Pending,
        answer: crate::Result<Job>,
        f: &mut (dyn FnMut(JobResult) + Send),
    ) {
        let e = match answer {
            Ok(job) => return self.finish(p.index, p.key, p.round, JobOutcome::Created(job), f),
            Err(e) => e,
        };
        p.sent |= e.code() != codes::CLIENT_RATE_LIMITED;
        if self.should_stop(&e) {
            self.summary.stopped.get_or_insert_with(|| e.clone());
            return self.finish(p.index, p.key, p.round, JobOutcome::Failed(e), f);
        }
        let stopping = self.summary.stopped.is_some();
        if e.verdict() == Verdict::TryLater && (p.round < self.rounds || stopping) {
            // Refused by this client's own limiter: wait until it has room, but never
            // longer than the client's `max_retry_wait` (the rounds stay bounded in time).
            p.delay = (e.code() == codes::CLIENT_RATE_LIMITED)
                .then(|| e.retry_after())
                .flatten()
                .map(|d| d.min(self.max_wait));
            if !stopping {
                self.out.progress.requeued += 1;
            }
            p.round += 1;
            self.requeue.push_back(p);
            return;
        }
        self.finish(p.index, p.key, p.round, JobOutcome::Failed(e), f);
    }

    /// Delivers a leader's final outcome to it and every follower sharing its key.
    fn finish(
        &mut self,
        index: usize,
        key: String,
        round: u32,
        outcome: JobOutcome,
        f: &mut (dyn FnMut(JobResult) + Send),
    ) {
        let followers = match self.leaders.get_mut(&key) {
            Some(l) if l.index == index => std::mem::take(&mut l.followers),
            _ => Vec::new(),
        };
        self.leaders.remove(&key);
        for i in followers {
            let mut r = result(i, key.clone(), outcome.clone(), 0);
            r.same_as = Some(index);
            self.out.push(r, f);
        }
        self.out.push(result(index, key, outcome, round), f);
    }

    /// Why the run ended early, for the not-done results.
    fn why(&self) -> String {
        match (&self.summary.stopped, self.ended_by) {
            (Some(e), _) if e.kind() == ErrorKind::InvalidRequest => {
                format!(
                    "the run was refused before sending anything ({})",
                    e.message()
                )
            }
            (Some(e), _) => match e.status() {
                Some(s) => format!("the run stopped on {} (HTTP {s})", e.code()),
                None => format!("the run stopped on {}", e.code()),
            },
            (None, Some(why)) => format!("the run {why}"),
            (None, None) => "the run ended".to_string(),
        }
    }

    fn not_done(&self, key: &str, sent: bool) -> JobOutcome {
        let why = self.why();
        let message = if sent {
            format!(
                "not done: {why} while its creation was sent, so its outcome is unknown (the server may hold the job); resubmit it with idempotency key {key}: the server replays the job if it exists, never a second one"
            )
        } else {
            format!(
                "not done: {why} before it was sent (nothing was created); resubmit it with idempotency key {key}"
            )
        };
        let mut reason = Error::new(ErrorKind::NotDone, codes::NOT_DONE, message)
            .with_idempotency_key(key.to_string());
        if let Some(stop) = &self.summary.stopped {
            reason = reason.with_source(stop.clone());
        }
        JobOutcome::NotDone { sent, reason }
    }

    /// Every item without a result yet is not done: those in flight or requeued (sent, or
    /// refused by this client's limiter), then those never started.
    pub(super) fn close(&mut self, f: &mut (dyn FnMut(JobResult) + Send)) {
        for (index, key, round) in std::mem::take(&mut self.flying) {
            let o = self.not_done(&key, true);
            self.finish(index, key, round, o, f);
        }
        for p in std::mem::take(&mut self.requeue) {
            let o = self.not_done(&p.key, p.sent);
            self.finish(p.index, p.key, p.round - 1, o, f);
        }
        while let Some((index, item)) = self.items.next() {
            self.pulled += 1;
            let outcome = match item.key(&format!("item {index}")) {
                Ok(key) => (key.clone(), self.not_done(&key, false)),
                Err(e) => (String::new(), JobOutcome::Failed(e)),
            };
            self.out.push(result(index, outcome.0, outcome.1, 0), f);
        }
        self.out.progress.total = Some(self.pulled);
        self.out.flush(f);
        self.summary.progress = self.out.progress;
    }
}

fn result(index: usize, key: String, outcome: JobOutcome, rounds: u32) -> JobResult {
    JobResult {
        index,
        idempotency_key: key,
        outcome,
        rounds,
        same_as: None,
    }
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
    fn push(&mut self, r: JobResult, f: &mut (dyn FnMut(JobResult) + Send)) {
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

    fn flush_ready(&mut self, f: &mut (dyn FnMut(JobResult) + Send)) {
        while let Some(r) = self.pending.remove(&self.next) {
            self.next += 1;
            f(r);
        }
    }

    fn flush(&mut self, f: &mut (dyn FnMut(JobResult) + Send)) {
        self.flush_ready(f);
        for (_, r) in std::mem::take(&mut self.pending) {
            f(r);
        }
    }
}
