//! Riding out a host's outage. When [`OUTAGE_THRESHOLD`] different calls in a row fail
//! on one host without `Retry-After` (500, 502, 503, 504, connection failures), the host
//! is taken to be in an outage: calls to it are held before sending, and one probe at a
//! time goes out — the first after [`PROBE_BASE`], then doubling up to [`PROBE_CAP`] —
//! while the others wait. The first answer that is not such a failure ends the outage
//! and releases the held calls at a ramp (`ramp`: the calls in flight double per round
//! trip; a failure halves them instead of starting a second hold). A held call waits at most the smaller of its
//! deadline and `max_retry_wait`, and does not spend its retries while held (a failed
//! probe does not count as a retry); errors that are not worth retrying still fail at
//! once. Before an outage is known, a host not yet proven up — it has not answered yet, or
//! its last answer was such a failure — admits at most [`UNPROVEN_IN_FLIGHT`] attempts in
//! flight; the others wait (at most [`UNPROVEN_WAIT`]) for an answer, like a probe before
//! the flood: 64 tasks starting against a host that is down send 3 attempts, not 64. A
//! host that answered costs one atomic load per attempt. The state lives in the process,
//! one per host (scheme, host and port), shared by every client of the process. With a
//! shared pacing store (Redis) the outage is also kept there, per host and API key: when
//! it began, the one probe's turn (a lease), when the next probe is due — so N processes
//! send one probe at a time between them, a process whose host is not proven up joins an
//! outage another one found before sending, and the first success ends it for all; while
//! the store's backend is away, each process holds on its own. Logs and [`OutageState`]
//! say "host in outage since …, N calls held". While a host recovers, its new
//! connections open a few at a time (`opens`), whichever pool opens them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::Error;
use crate::leaves::sync::lock;
use crate::pacing::{OutageProbe, PacingStore};

mod failure;
mod opens;
mod ramp;
mod shared;
mod unproven;

use self::failure::proves_alive;
pub use self::failure::{is_host_failure, OutageState};
pub(crate) use self::opens::OpenSlot;
use self::opens::Opens;
pub use self::opens::{OPENS_GRACE, OPEN_HOLD, RECOVERY_OPENS};
use self::ramp::Ramp;
pub use self::ramp::{RAMP_OPEN, RAMP_START};
pub(crate) use self::unproven::Unproven;

/// How many different calls in a row must fail on a host before it is held.
///
/// ```
/// assert_eq!(surefoot::retry::hold::OUTAGE_THRESHOLD, 3);
/// ```
pub const OUTAGE_THRESHOLD: usize = 3;
/// The wait before the first probe of an outage.
///
/// ```
/// assert_eq!(surefoot::retry::hold::PROBE_BASE, std::time::Duration::from_millis(50));
/// ```
pub const PROBE_BASE: Duration = Duration::from_millis(50);
/// The longest wait between two probes (also the longest a recovery goes unnoticed).
///
/// ```
/// assert_eq!(surefoot::retry::hold::PROBE_CAP, std::time::Duration::from_millis(250));
/// ```
pub const PROBE_CAP: Duration = Duration::from_millis(250);

/// Attempts in flight at most to a host not proven up (one that has not answered yet, or
/// whose last answer was a failure counting toward an outage): as many as it takes to
/// declare an outage.
///
/// ```
/// assert_eq!(surefoot::retry::hold::UNPROVEN_IN_FLIGHT, surefoot::retry::hold::OUTAGE_THRESHOLD);
/// ```
pub const UNPROVEN_IN_FLIGHT: usize = OUTAGE_THRESHOLD;
/// The longest an attempt waits for the first answer of a host not proven up before it
/// goes anyway (a slow first answer delays the others at most this long).
///
/// ```
/// assert_eq!(surefoot::retry::hold::UNPROVEN_WAIT, std::time::Duration::from_millis(500));
/// ```
pub const UNPROVEN_WAIT: Duration = Duration::from_millis(500);

/// How long a process holds the turn to probe in a shared store (given back as soon as
/// the probe's answer comes; the lease frees it if the process dies first).
const PROBE_LEASE: Duration = Duration::from_secs(10);
/// The shortest wait before a process asks a shared store for the probe's turn again.
const SHARED_RECHECK: Duration = Duration::from_millis(10);

/// Where a host's outage is shared with other processes: a shared pacing store and the
/// host's id there (hashed with the API key: nothing in it leads back to either).
#[derive(Clone, Copy)]
pub(crate) struct Shared<'a> {
    pub(crate) store: &'a dyn PacingStore,
    pub(crate) id: &'a str,
}

/// What a call waiting in the hold does next.
enum Step {
    Open,
    Probe(u64),
    Ramp(u64),
    TooLong(OutageState, Error),
    Wait(Instant),
}

/// What a recorded failure changed, for a shared store to learn.
enum Change {
    Began(Option<u16>),
    ProbeFailed,
    Ended,
}

struct Outage {
    epoch: u64,
    since: SystemTime,
    started: Instant,
    probe_out: bool,
    probes_failed: u32,
    next_probe_at: Instant,
    held: usize,
    last_error: Error,
    /// After a successful probe: the held calls going out at a ramp.
    ramp: Option<Ramp>,
}

#[derive(Default)]
struct State {
    /// Calls that failed on this host since its last success.
    failing_calls: HashSet<u64>,
    outage: Option<Outage>,
    epochs: u64,
    /// Attempts in flight admitted while the host was not proven up.
    unproven_in_flight: usize,
    /// When a shared store was last asked whether another process found an outage.
    shared_checked: Option<Instant>,
    /// New connections opening while the host recovers (`opens`).
    opens: Opens,
}

/// The outage state of one host, shared by every client of the process.
pub(crate) struct HostHold {
    host: String,
    state: Mutex<State>,
    /// Whether `state` holds anything (failing calls or an outage): a success on a
    /// healthy host then costs one atomic load, not a lock.
    troubled: AtomicBool,
    /// Whether the host's last answer proved it up (set by a success, cleared by a
    /// failure that counts toward an outage).
    proven: AtomicBool,
    changed: Notify,
    /// A connection opening under `opens`' rule got its answer.
    opens_changed: Notify,
}

/// How a call passes the hold.
pub(crate) enum Entry {
    /// No outage: send.
    Open,
    /// Send as the outage's probe; report the outcome with [`HostHold::record`].
    Probe(ProbeGuard),
    /// Held as long as the call may wait; the host's last failure and its outage.
    TooLong {
        last_error: Error,
        outage: OutageState,
    },
}

/// The probe's turn; dropped without an outcome (the call was cancelled), it lets the
/// next held call probe at once.
pub(crate) struct ProbeGuard {
    hold: Arc<HostHold>,
    epoch: u64,
    done: bool,
    /// A call released by the ramp (not the outage's probe).
    ramp: bool,
}

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        if !self.done {
            let mut st = lock(&self.hold.state);
            if let Some(o) = st.outage.as_mut().filter(|o| o.epoch == self.epoch) {
                match o.ramp.as_mut() {
                    Some(r) if self.ramp => r.abandoned(),
                    _ => {
                        o.probe_out = false;
                        o.next_probe_at = Instant::now();
                    }
                }
            }
            drop(st);
            self.hold.changed.notify_waiters();
        }
    }
}

/// A call counted as held; uncounted when it leaves (or is cancelled).
struct HeldMark<'a> {
    hold: &'a HostHold,
    epoch: u64,
}

impl Drop for HeldMark<'_> {
    fn drop(&mut self) {
        let mut st = lock(&self.hold.state);
        if let Some(o) = st.outage.as_mut().filter(|o| o.epoch == self.epoch) {
            o.held = o.held.saturating_sub(1);
        }
    }
}

/// A fresh id for one logical call (what "different calls" counts).
pub(crate) fn call_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The process-wide hold of `host` (`scheme://host:port`).
pub(crate) fn for_host(host: &str) -> Arc<HostHold> {
    static HOLDS: OnceLock<Mutex<HashMap<String, Arc<HostHold>>>> = OnceLock::new();
    let holds = HOLDS.get_or_init(Default::default);
    lock(holds)
        .entry(host.to_owned())
        .or_insert_with(|| Arc::new(HostHold::new(host)))
        .clone()
}

impl HostHold {
    pub(crate) fn new(host: &str) -> Self {
        HostHold {
            host: host.to_owned(),
            state: Mutex::new(State::default()),
            troubled: AtomicBool::new(false),
            proven: AtomicBool::new(false),
            changed: Notify::new(),
            opens_changed: Notify::new(),
        }
    }

    fn snapshot(&self, o: &Outage) -> OutageState {
        OutageState {
            host: self.host.clone(),
            since: o.since,
            held: o.held,
            probes_failed: o.probes_failed,
        }
    }

    /// The outage in force, if any.
    pub(crate) fn outage(&self) -> Option<OutageState> {
        let st = lock(&self.state);
        st.outage
            .as_ref()
            .filter(|o| o.ramp.is_none())
            .map(|o| self.snapshot(o))
    }

    /// Whether the host is in an outage right now.
    pub(crate) fn in_outage(&self) -> bool {
        // A healthy host (the usual case, on every request) costs one atomic load.
        self.troubled.load(Ordering::Acquire) && lock(&self.state).outage.is_some()
    }

    /// Whether the host's last answer proved it up: then no attempt waits (one atomic
    /// load).
    pub(crate) fn is_proven(&self) -> bool {
        self.proven.load(Ordering::Acquire)
    }

    /// Pass the hold: at once when there is no outage; else wait for the outage to end
    /// or for this call's turn to probe, at most `max_hold`. Returns how it passed and
    /// the time held.
    pub(crate) async fn enter(
        self: &Arc<Self>,
        max_hold: Duration,
        shared: Option<Shared<'_>>,
    ) -> (Entry, Duration) {
        let start = Instant::now();
        let give_up_at = start + max_hold;
        let mut mark: Option<HeldMark<'_>> = None;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            // Decided under the lock; the shared store is asked after it is released.
            let step = self.step(&mut mark, give_up_at);
            let wake_at = match step {
                Step::Open => return (Entry::Open, start.elapsed()),
                Step::TooLong(outage, last_error) => {
                    return (Entry::TooLong { last_error, outage }, start.elapsed())
                }
                Step::Wait(at) => at,
                Step::Ramp(epoch) => {
                    let guard = ProbeGuard {
                        hold: self.clone(),
                        epoch,
                        done: false,
                        ramp: true,
                    };
                    return (Entry::Probe(guard), start.elapsed());
                }
                Step::Probe(epoch) => {
                    let mut guard = ProbeGuard {
                        hold: self.clone(),
                        epoch,
                        done: false,
                        ramp: false,
                    };
                    // With a shared store, the turn is the store's to give (one probe
                    // between all the processes).
                    let turn = match shared {
                        Some(sh) => sh.store.outage_probe(sh.id, PROBE_LEASE).await,
                        None => OutageProbe::Local,
                    };
                    match turn {
                        OutageProbe::Granted | OutageProbe::Local => {
                            return (Entry::Probe(guard), start.elapsed());
                        }
                        OutageProbe::Ended => {
                            guard.done = true;
                            drop(guard);
                            self.end("another process's call succeeded");
                            return (Entry::Open, start.elapsed());
                        }
                        OutageProbe::Wait(d) => {
                            guard.done = true;
                            drop(guard);
                            let mut st = lock(&self.state);
                            if let Some(o) = st.outage.as_mut().filter(|o| o.epoch == epoch) {
                                o.probe_out = false;
                                o.next_probe_at =
                                    Instant::now() + d.clamp(SHARED_RECHECK, PROBE_CAP);
                            }
                            continue;
                        }
                    }
                }
            };
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    /// What a call in the hold does next, decided under the lock: go (no outage, or
    /// the ramp released it, or it waited its allowance during the ramp), probe, give up,
    /// or wait (counted as held by `mark`).
    fn step<'a>(&'a self, mark: &mut Option<HeldMark<'a>>, give_up_at: Instant) -> Step {
        let mut st = lock(&self.state);
        let now = Instant::now();
        let Some(o) = st.outage.as_mut() else {
            // The outage that counted this call is over: nothing to uncount.
            if let Some(m) = mark.take() {
                std::mem::forget(m);
            }
            return Step::Open;
        };
        if let Some(m) = mark.take() {
            // Uncounted here, under the lock (its drop would take the lock again);
            // counted again below if the call goes on waiting.
            if m.epoch == o.epoch {
                o.held = o.held.saturating_sub(1);
            }
            std::mem::forget(m);
        }
        let wake = if let Some(r) = o.ramp.as_mut() {
            if r.admit(now) {
                return Step::Ramp(o.epoch);
            }
            if now >= give_up_at {
                // The host answers again: a call out of allowance goes, not fails.
                return Step::Open;
            }
            r.wake_at().map_or(give_up_at, |t| t.min(give_up_at))
        } else if !o.probe_out && now >= o.next_probe_at {
            o.probe_out = true;
            return Step::Probe(o.epoch);
        } else if now >= give_up_at {
            return Step::TooLong(self.snapshot(o), o.last_error.clone());
        } else if o.probe_out {
            give_up_at
        } else {
            o.next_probe_at.min(give_up_at)
        };
        o.held += 1;
        *mark = Some(HeldMark {
            hold: self,
            epoch: o.epoch,
        });
        Step::Wait(wake)
    }

    /// Record a successful answer from the host: it is not (or no longer) in an outage.
    /// Returns whether this ended an outage.
    pub(crate) fn record_success(&self, probe: Option<ProbeGuard>) -> bool {
        if let Some(mut p) = probe {
            p.done = true;
            if p.ramp {
                self.ramp_succeeded(p.epoch);
                return false;
            }
        }
        if !self.proven.load(Ordering::Acquire) {
            self.proven.store(true, Ordering::Release);
            self.changed.notify_waiters();
        }
        if !self.troubled.load(Ordering::Acquire) {
            return false;
        }
        self.end("a call succeeded")
    }

    /// End the outage (if any) and release every held call; `why` for the log.
    fn end(&self, why: &str) -> bool {
        self.proven.store(true, Ordering::Release);
        let ended = {
            let mut st = lock(&self.state);
            st.failing_calls.clear();
            match st.outage.as_mut() {
                // Already ramping: the host was known to answer.
                Some(o) if o.ramp.is_some() => return false,
                // Calls are held: release them at a ramp.
                Some(o) if o.held > 0 => {
                    o.ramp = Some(Ramp::new(Instant::now()));
                    let (held, secs) = (o.held, o.started.elapsed().as_secs_f64());
                    drop(st);
                    tracing::warn!(
                        target: "surefoot::retry",
                        host = %self.host,
                        released = held,
                        "surefoot: host {} recovered after {secs:.1}s in outage ({why}); releasing {held} held calls at a ramp",
                        self.host,
                    );
                    self.changed.notify_waiters();
                    return true;
                }
                _ => {}
            }
            self.troubled.store(false, Ordering::Release);
            if st.outage.is_some() {
                st.opens.outage_ended(Instant::now());
            }
            st.outage.take()
        };
        if let Some(o) = ended {
            tracing::warn!(
                target: "surefoot::retry",
                host = %self.host,
                outage_ms = o.started.elapsed().as_millis() as u64,
                released = o.held,
                probes_failed = o.probes_failed,
                "surefoot: host {} recovered after {:.1}s in outage ({why}), {} calls released",
                self.host,
                o.started.elapsed().as_secs_f64(),
                o.held
            );
            self.changed.notify_waiters();
            return true;
        }
        self.changed.notify_waiters();
        false
    }

    /// A call the ramp released succeeded: the window grows; the ramp (and the outage)
    /// is over once it is wide open or no call is held.
    fn ramp_succeeded(&self, epoch: u64) {
        let mut st = lock(&self.state);
        let Some(o) = st.outage.as_mut().filter(|o| o.epoch == epoch) else {
            return;
        };
        let Some(r) = o.ramp.as_mut() else {
            return;
        };
        let open = r.succeeded();
        if open || (o.held == 0 && r.in_flight() == 0) {
            st.outage = None;
            st.failing_calls.clear();
            st.opens.outage_ended(Instant::now());
            self.troubled.store(false, Ordering::Release);
        }
        drop(st);
        self.changed.notify_waiters();
    }

    #[cfg(test)]
    /// Record a failed attempt of call `call` (a probe when `probe` is given). Returns
    /// whether the host is in an outage after it.
    pub(crate) fn record_failure(
        &self,
        call: u64,
        error: &Error,
        probe: Option<ProbeGuard>,
    ) -> bool {
        self.note_failure(call, error, probe).0
    }

    fn note_failure(
        &self,
        call: u64,
        error: &Error,
        mut probe: Option<ProbeGuard>,
    ) -> (bool, Option<Change>) {
        if proves_alive(error) {
            let was_probe = probe.is_some();
            let ended = self.record_success(probe);
            return (false, (ended || was_probe).then_some(Change::Ended));
        }
        let mut change = None;
        let mut st = lock(&self.state);
        let counts = is_host_failure(error);
        if counts {
            self.proven.store(false, Ordering::Release);
        }
        if counts && st.outage.is_none() {
            st.failing_calls.insert(call);
            self.troubled.store(true, Ordering::Release);
        }
        let now = Instant::now();
        let mut notify = probe.is_some();
        if let Some(mut p) = probe.take_if(|p| p.ramp) {
            // A call the ramp released failed: the ramp backs off, no second hold.
            p.done = true;
            if let Some(o) = st.outage.as_mut().filter(|o| o.epoch == p.epoch) {
                if let Some(r) = o.ramp.as_mut() {
                    r.failed(now);
                }
                if counts {
                    o.last_error = error.clone();
                }
            }
            drop(st);
            self.changed.notify_waiters();
            return (true, None);
        }
        if let Some(mut p) = probe {
            p.done = true;
            if let Some(o) = st.outage.as_mut().filter(|o| o.epoch == p.epoch) {
                self.probe_failed(o, error, counts, now);
                change = Some(Change::ProbeFailed);
            }
        } else if let Some(o) = st.outage.as_mut() {
            if counts {
                o.last_error = error.clone();
            }
        } else if counts && st.failing_calls.len() >= OUTAGE_THRESHOLD {
            self.begin(&mut st, error, now);
            change = Some(Change::Began(error.status()));
            notify = true;
        }
        let in_outage = st.outage.is_some();
        drop(st);
        if notify {
            self.changed.notify_waiters();
        }
        (in_outage, change)
    }

    /// The outage's probe failed: the next one waits twice as long (up to the cap).
    fn probe_failed(&self, o: &mut Outage, error: &Error, counts: bool, now: Instant) {
        o.probe_out = false;
        o.probes_failed = o.probes_failed.saturating_add(1);
        let factor = 1u32 << o.probes_failed.min(16);
        o.next_probe_at = now + PROBE_BASE.saturating_mul(factor).min(PROBE_CAP);
        if counts {
            o.last_error = error.clone();
        }
        tracing::info!(
            target: "surefoot::retry",
            host = %self.host,
            held = o.held,
            probes_failed = o.probes_failed,
            "surefoot: host {} in outage since {}, {} calls held (probe failed: {})",
            self.host,
            httpdate::fmt_http_date(o.since),
            o.held,
            error.code()
        );
    }

    /// Enough calls in a row failed: the outage begins.
    fn begin(&self, st: &mut State, error: &Error, now: Instant) {
        let failing = st.failing_calls.len();
        st.failing_calls.clear();
        st.epochs += 1;
        let since = SystemTime::now();
        st.outage = Some(Outage {
            epoch: st.epochs,
            since,
            started: now,
            probe_out: false,
            probes_failed: 0,
            next_probe_at: now + PROBE_BASE,
            held: 0,
            last_error: error.clone(),
            ramp: None,
        });
        tracing::warn!(
            target: "surefoot::retry",
            host = %self.host,
            failing_calls = failing,
            "surefoot: host {} in outage since {}, 0 calls held ({} calls in a row failed: {}); holding calls, one probe at a time",
            self.host,
            httpdate::fmt_http_date(since),
            failing,
            error.code()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e503() -> Error {
        Error::from_response(503, &http::HeaderMap::new(), b"", false)
    }

    #[test]
    fn several_calls_not_one_call_several_times() {
        let h = HostHold::new("http://h:1");
        for _ in 0..10 {
            assert!(!h.record_failure(1, &e503(), None));
        }
        assert!(!h.record_failure(2, &e503(), None));
        assert!(h.record_failure(3, &e503(), None));
        assert_eq!(h.outage().unwrap().held, 0);
        h.record_success(None);
        assert!(!h.in_outage());
    }

    #[test]
    fn what_counts() {
        let h = HostHold::new("http://h:1");
        let mut ra = http::HeaderMap::new();
        ra.insert("retry-after", "2".parse().unwrap());
        let with_retry_after = Error::from_response(503, &ra, b"", false);
        for call in 1..=5 {
            assert!(!h.record_failure(call, &with_retry_after, None));
            assert!(!h.record_failure(call, &Error::timeout("t"), None));
        }
        assert!(!h.record_failure(10, &Error::connection("refused", false), None));
        assert!(!h.record_failure(11, &e503(), None));
        // A 404 proves the host answers: the count starts again.
        let nf = Error::from_response(404, &http::HeaderMap::new(), b"", false);
        assert!(!h.record_failure(12, &nf, None));
        assert!(!h.record_failure(13, &e503(), None));
        assert!(!h.record_failure(14, &e503(), None));
        assert!(h.record_failure(15, &e503(), None));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn one_probe_at_a_time_and_the_first_success_releases_everyone_at_a_ramp() {
        use std::sync::atomic::AtomicUsize;
        let h = Arc::new(HostHold::new("http://h:2"));
        for call in 1..=3 {
            h.record_failure(call, &e503(), None);
        }
        let probes = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let ramped = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let mut waiters = Vec::new();
        for call in 10..15 {
            let (h, probes, in_flight) = (h.clone(), probes.clone(), in_flight.clone());
            let ramped = ramped.clone();
            waiters.push(tokio::spawn(async move {
                loop {
                    match h.enter(Duration::from_secs(60), None).await.0 {
                        Entry::Open => panic!("held calls go out through the ramp"),
                        Entry::Probe(p) if p.ramp => {
                            // Two at first (the probe was the first round trip).
                            assert!(ramped.fetch_add(1, Ordering::SeqCst) < 2 + 2);
                            h.record_success(Some(p));
                            return;
                        }
                        Entry::Probe(p) => {
                            assert_eq!(
                                in_flight.fetch_add(1, Ordering::SeqCst),
                                0,
                                "one probe at a time"
                            );
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            if probes.fetch_add(1, Ordering::SeqCst) < 2 {
                                h.record_failure(call, &e503(), Some(p));
                            } else {
                                h.record_success(Some(p));
                                return;
                            }
                        }
                        Entry::TooLong { .. } => panic!("held too long"),
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_micros(50_500)).await;
        assert_eq!(h.outage().unwrap().held, 4, "four held while one probes");
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(probes.load(Ordering::SeqCst), 3);
        assert_eq!(
            ramped.load(Ordering::SeqCst),
            4,
            "the four held calls, by the ramp"
        );
        assert!(!h.in_outage());
        // Probes after 50 ms, then 100 ms and 200 ms after each failure (plus 1 ms each).
        assert_eq!(t0.elapsed(), Duration::from_millis(353));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_held_call_waits_at_most_its_allowance() {
        let h = Arc::new(HostHold::new("http://h:3"));
        for call in 1..=3 {
            h.record_failure(call, &e503(), None);
        }
        // Someone else holds the probe and never reports back in time.
        let (probe, _) = h.enter(Duration::from_secs(60), None).await;
        assert!(matches!(probe, Entry::Probe(_)));
        let (entry, held) = h.enter(Duration::from_secs(2), None).await;
        match entry {
            Entry::TooLong { last_error, outage } => {
                assert_eq!(last_error.status(), Some(503));
                assert_eq!(outage.host, "http://h:3");
            }
            _ => panic!("expected to be held too long"),
        }
        assert_eq!(held, Duration::from_secs(2));
        assert_eq!(h.outage().unwrap().held, 0, "no longer counted");
        // A cancelled probe lets the next call probe at once.
        drop(probe);
        let (entry, held) = h.enter(Duration::from_secs(2), None).await;
        assert!(matches!(entry, Entry::Probe(_)));
        assert_eq!(held, Duration::ZERO);
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_host_not_proven_up_admits_a_few_attempts_until_it_answers() {
        let h = Arc::new(HostHold::new("http://h:4"));
        assert!(!h.is_proven());
        let mut admitted = Vec::new();
        for _ in 0..UNPROVEN_IN_FLIGHT {
            let (a, held) = h.admit_unproven(Duration::from_secs(60), None).await;
            assert!(a.is_some() && held.is_zero());
            admitted.push(a);
        }
        // The next waits: for an attempt to end…
        let waiter = {
            let h = h.clone();
            tokio::spawn(async move { h.admit_unproven(Duration::from_secs(60), None).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished(), "a fourth attempt waits");
        h.record_failure(1, &e503(), None);
        admitted.pop();
        let (a, held) = waiter.await.unwrap();
        assert!(a.is_some(), "admitted when an attempt ended");
        assert_eq!(held, Duration::from_millis(10));
        // …or for a success, which lets everyone through (and costs nothing after).
        let waiter = {
            let h = h.clone();
            tokio::spawn(async move { h.admit_unproven(Duration::from_secs(60), None).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!waiter.is_finished());
        h.record_success(None);
        assert!(h.is_proven());
        let (a, _) = waiter.await.unwrap();
        assert!(a.is_none(), "a proven host needs no admission");
        // A failure counting toward an outage makes it unproven again.
        h.record_failure(2, &e503(), None);
        assert!(!h.is_proven());
        // Waiting never exceeds UNPROVEN_WAIT (or the caller's allowance).
        drop(a);
        let (_, held) = h.admit_unproven(Duration::from_secs(60), None).await;
        assert_eq!(
            held,
            UNPROVEN_WAIT,
            "three still in flight: {}",
            admitted.len()
        );
        let (_, held) = h.admit_unproven(Duration::from_millis(20), None).await;
        assert_eq!(held, Duration::from_millis(20));
    }
}
