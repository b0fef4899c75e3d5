//! The state one emulator instance shares between connections: the immutable config,
//! the start instant, the "world" (live keys, limiter state, PyAI jobs and sessions)
//! behind one mutex, and the fault list and stats recorder behind their own. `Control`
//! is the cloneable handle the public `EmulatorHandle`/`BlockingEmulator` delegate to.
//! Locks are never held across an `.await`; when two are held, `stats` is taken last. The
//! mutexes do not poison: a panicking handler must not wedge the emulator.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use crate::chaos::draw::ChaosState;
use crate::config::Config;
use crate::faults::{Fault, FaultList};
use crate::keys::{KeyConfig, KeyStore};
use crate::limits::{DailyCap, Gcra, WindowLimiter};
use crate::pyai::store::PyaiData;
use crate::stats::{Recorder, Stats};

/// Everything mutable about the emulated API.
pub(crate) struct World {
    pub(crate) keys: KeyStore,
    /// Specala window limiters by (key id, surface).
    pub(crate) windows: HashMap<(String, &'static str), WindowLimiter>,
    /// PyAI token buckets by key id.
    pub(crate) gcra: HashMap<String, Gcra>,
    /// PyAI daily caps by key id.
    pub(crate) daily: HashMap<String, DailyCap>,
    /// PyAI jobs, sessions and idempotency records.
    pub(crate) pyai: PyaiData,
}

/// State shared by every connection of one emulator.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) started: Instant,
    pub(crate) world: Mutex<World>,
    pub(crate) faults: Mutex<FaultList>,
    pub(crate) stats: Mutex<Recorder>,
    /// Seeded random faults (off unless configured).
    pub(crate) chaos: Mutex<ChaosState>,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Arc<Shared> {
        let started = Instant::now();
        Arc::new(Shared {
            world: Mutex::new(World {
                keys: KeyStore::new(&config.keys),
                windows: HashMap::new(),
                gcra: HashMap::new(),
                daily: HashMap::new(),
                pyai: PyaiData::default(),
            }),
            faults: Mutex::new(FaultList::default()),
            chaos: Mutex::new(ChaosState::default()),
            stats: Mutex::new(Recorder::new(
                config.api.as_str(),
                started,
                config.record_accepted,
            )),
            started,
            config,
        })
    }

    /// Seconds since start (the GCRA clock).
    pub(crate) fn secs(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64()
    }
}

/// Cloneable control surface of a running emulator (faults, stats, keys).
#[derive(Clone)]
pub(crate) struct Control(pub(crate) Arc<Shared>);

impl Control {
    pub(crate) fn inject(&self, fault: Fault) {
        self.0.faults.lock().push(fault);
    }

    pub(crate) fn clear_faults(&self) {
        self.0.faults.lock().clear();
    }

    pub(crate) fn faults(&self) -> Vec<Fault> {
        self.0.faults.lock().list()
    }

    pub(crate) fn stats(&self) -> Stats {
        self.0.stats.lock().snapshot()
    }

    pub(crate) fn reset_stats(&self) {
        self.0.stats.lock().reset();
    }

    pub(crate) fn keys(&self) -> Vec<KeyConfig> {
        self.0.world.lock().keys.active()
    }
}
