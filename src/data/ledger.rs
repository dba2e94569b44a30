//! The ground truth of the data, kept for measurement only: when each key was last written for
//! good. Caches and replicas compare what they serve with it to count stale reads; nothing in the
//! simulation reads it to decide anything (recording never changes the run).

use crate::kernel::SimTime;

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Per key, the time of its last committed write (`SimTime::ZERO`: never written).
    last_commit: Vec<SimTime>,
    pub commits: u64,
}

impl Ledger {
    /// A ledger for keys `0..keys` (none for a scenario without a key space).
    pub fn new(keys: u32) -> Self {
        Ledger { last_commit: vec![SimTime::ZERO; keys as usize], commits: 0 }
    }

    pub fn commit(&mut self, key: u32, now: SimTime) {
        if let Some(last) = self.last_commit.get_mut(key as usize) {
            *last = now;
            self.commits += 1;
        }
    }

    /// When `key` was last committed (`SimTime::ZERO` if never).
    #[inline]
    pub fn last_commit(&self, key: u32) -> SimTime {
        self.last_commit.get(key as usize).copied().unwrap_or(SimTime::ZERO)
    }
}
