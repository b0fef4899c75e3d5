//! The retry budget: a token bucket per API key and host, kept in the pacing store (so
//! every client, and with a shared store every process, that calls one host with one key
//! spends from one bucket), like the AWS SDKs' standard retry mode. The bucket starts
//! full at [`RetryBudget::capacity`] (500); a retry takes [`RetryBudget::retry_cost`] (5)
//! or, after a timeout, [`RetryBudget::timeout_cost`] (10); a call that succeeds gives
//! back what its retries took, or [`RetryBudget::success_refund`] (1) when it needed
//! none. An empty bucket means the host has failed many calls lately: a call that would
//! retry fails at once ([`FailReason::RetryBudgetExhausted`]), so failing calls cannot
//! multiply the load on a host that is already struggling.

#[cfg(doc)]
use crate::error::FailReason;
use crate::error::{Error, ErrorKind};
use crate::pacing::PacingStore;

/// The bucket's size and prices.
///
/// ```
/// let b = surefoot::retry::RetryBudget::default();
/// assert_eq!((b.capacity, b.retry_cost, b.timeout_cost, b.success_refund), (500, 5, 10, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Tokens in a full bucket (and in a new one).
    pub capacity: u32,
    /// Tokens a retry takes.
    pub retry_cost: u32,
    /// Tokens a retry after a timeout takes.
    pub timeout_cost: u32,
    /// Tokens a call that succeeded at its first attempt gives back.
    pub success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            capacity: 500,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// What a retry after `error` costs: [`timeout_cost`](RetryBudget::timeout_cost) after
    /// a timeout, else [`retry_cost`](RetryBudget::retry_cost).
    ///
    /// ```
    /// let b = surefoot::retry::RetryBudget::default();
    /// assert_eq!(b.cost(&surefoot::Error::timeout("t")), 10);
    /// assert_eq!(b.cost(&surefoot::Error::connection("reset", true)), 5);
    /// ```
    pub fn cost(&self, error: &Error) -> u32 {
        if error.kind() == ErrorKind::Timeout {
            self.timeout_cost
        } else {
            self.retry_cost
        }
    }

    /// Take the price of a retry after `error` from the bucket `key` of `store`: `true`
    /// when the tokens were there (and are now taken), `false` when the budget is spent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::{pacing::MemoryStore, retry::RetryBudget};
    /// let store = MemoryStore::new();
    /// let b = RetryBudget { capacity: 10, ..RetryBudget::default() };
    /// let e = surefoot::Error::connection("reset", true);
    /// assert!(b.take(&store, "k", &e).await);
    /// assert!(b.take(&store, "k", &e).await);
    /// assert!(!b.take(&store, "k", &e).await);
    /// # }
    /// ```
    pub async fn take(&self, store: &dyn PacingStore, key: &str, error: &Error) -> bool {
        store
            .take_retry_tokens(key, self.cost(error), self.capacity)
            .await
    }

    /// After a call succeeded: give back `taken` (what its retries took), or
    /// [`success_refund`](RetryBudget::success_refund) when it took nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use surefoot::{pacing::{MemoryStore, PacingStore}, retry::RetryBudget};
    /// let store = MemoryStore::new();
    /// let b = RetryBudget::default();
    /// assert!(b.take(&store, "k", &surefoot::Error::timeout("t")).await);
    /// assert_eq!(store.retry_tokens("k", 500).await, 490);
    /// b.on_success(&store, "k", 10).await;
    /// assert_eq!(store.retry_tokens("k", 500).await, 500);
    /// # }
    /// ```
    pub async fn on_success(&self, store: &dyn PacingStore, key: &str, taken: u32) {
        let n = if taken == 0 {
            self.success_refund
        } else {
            taken
        };
        if n > 0 {
            store.refund_retry_tokens(key, n, self.capacity).await;
        }
    }
}

/// The message of an error returned because the budget was spent: the attempt's own
/// message after the reason.
pub(crate) fn exhausted_message(error: &Error) -> String {
    format!(
        "retry budget exhausted for this key and host (too many failing calls lately; not retried): {}",
        error.message()
    )
}
