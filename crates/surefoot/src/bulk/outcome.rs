//! What a [`create_many`](crate::pyai::Jobs::create_many) run tells: each item's
//! [`JobResult`] (created or replayed, failed for good, or not done — with why, and whether
//! its outcome is unknown), the running [`Progress`] counters and the run's [`Summary`].

use crate::error::Error;
use crate::pyai::Job;

/// What became of one item.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// The job exists: created now, or replayed by the server for the item's key.
    Created(Job),
    /// Failed for good (a final error, transient trouble beyond every round, or the error
    /// that stopped the run).
    Failed(Error),
    /// Not done because the run stopped or was interrupted first. Safe to resubmit with the
    /// same idempotency key: if `sent`, a creation went out and its outcome is unknown (the
    /// server may hold the job, and replays it on resubmission); if not, nothing was sent.
    NotDone {
        /// Whether a creation for this item may have reached the server.
        sent: bool,
        /// Why it is not done: kind `not_done`, code `not_done`, carrying the key; its
        /// `source()` is the error that stopped the run, when one did
        /// ([`JobResult::stopped_by`]).
        reason: Error,
    },
}

/// The result of one item of [`create_many`](crate::pyai::Jobs::create_many).
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

    /// For a not-done item, the error that stopped the run (a 401, 402, 403…), when one did.
    pub fn stopped_by(&self) -> Option<&Error> {
        match &self.outcome {
            JobOutcome::NotDone { reason, .. } => std::error::Error::source(reason)?.downcast_ref(),
            _ => None,
        }
    }

    /// Whether the item is not done although its creation was sent: the server may hold
    /// its job (resubmitting with the same key tells, by replaying it).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self.outcome, JobOutcome::NotDone { sent: true, .. })
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
    /// The error that stopped the run (see [`Verdict::StopRun`](crate::retry::Verdict::StopRun)), or the refused option
    /// (then nothing was sent), if one did.
    pub stopped: Option<Error>,
    /// Whether a cancel, the interrupting future or the deadline ended the run.
    pub interrupted: bool,
}
