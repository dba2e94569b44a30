//! A cache's storage: a fixed number of entries, least-recently-used eviction, and an expiry time
//! per entry. O(1) per operation, and no allocation after construction: entries live in a slab
//! threaded by a doubly linked recency list, found through a dense key index.

use crate::kernel::SimTime;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    prev: u32,
    next: u32,
    stored_at: SimTime,
    expires_at: SimTime,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A fresh entry: the data is as of `stored_at` (its age is what is served) and expires at
    /// `expires_at`.
    Hit {
        stored_at: SimTime,
        expires_at: SimTime,
    },
    /// The entry had outlived its TTL; it is removed.
    Expired,
    Miss,
}

pub struct LruCache {
    capacity: u32,
    /// key -> entry index + 1 (0: not cached).
    index: Vec<u32>,
    entries: Vec<Entry>,
    /// Most and least recently used entries.
    head: u32,
    tail: u32,
    free: Vec<u32>,
    pub evictions: u64,
}

impl LruCache {
    /// A cache of `capacity` entries over keys `0..keys`.
    pub fn new(capacity: u32, keys: u32) -> Self {
        assert!(capacity > 0, "validation refuses a cache without capacity");
        let slots = capacity.min(keys);
        LruCache {
            capacity: slots,
            index: vec![0; keys as usize],
            // Grown as entries arrive (a few doublings), not reserved: a large cache that a
            // scenario never fills costs only what it holds.
            entries: Vec::new(),
            head: NIL,
            tail: NIL,
            free: Vec::new(),
            evictions: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Looks `key` up at `now`; a hit becomes the most recently used entry.
    pub fn get(&mut self, key: u32, now: SimTime) -> Lookup {
        let Some(slot) = self.slot_of(key) else { return Lookup::Miss };
        let Entry { stored_at, expires_at, .. } = self.entries[slot as usize];
        if now >= expires_at {
            self.remove(key);
            return Lookup::Expired;
        }
        self.unlink(slot);
        self.push_front(slot);
        Lookup::Hit { stored_at, expires_at }
    }

    /// Stores `key` as of `stored_at` (the time of the data, for its age) until `expires_at`,
    /// evicting the least recently used entry if the cache is full.
    pub fn insert(&mut self, key: u32, stored_at: SimTime, expires_at: SimTime) {
        if let Some(slot) = self.slot_of(key) {
            let entry = &mut self.entries[slot as usize];
            (entry.stored_at, entry.expires_at) = (stored_at, expires_at);
            self.unlink(slot);
            self.push_front(slot);
            return;
        }
        if self.len() == self.capacity as usize {
            let victim = self.entries[self.tail as usize].key;
            self.remove(victim);
            self.evictions += 1;
        }
        let entry = Entry { key, prev: NIL, next: NIL, stored_at, expires_at };
        let slot = super::slab_insert(&mut self.entries, &mut self.free, entry);
        self.index[key as usize] = slot + 1;
        self.push_front(slot);
    }

    /// Drops every entry (a server that lost its memory).
    pub fn clear(&mut self) {
        while self.head != NIL {
            let key = self.entries[self.head as usize].key;
            self.remove(key);
        }
    }

    /// Drops `key` (an invalidation); true if it was cached.
    pub fn remove(&mut self, key: u32) -> bool {
        let Some(slot) = self.slot_of(key) else { return false };
        self.unlink(slot);
        self.index[key as usize] = 0;
        self.free.push(slot);
        true
    }

    fn slot_of(&self, key: u32) -> Option<u32> {
        self.index[key as usize].checked_sub(1)
    }

    fn unlink(&mut self, slot: u32) {
        let Entry { prev, next, .. } = self.entries[slot as usize];
        match prev {
            NIL => self.head = next,
            prev => self.entries[prev as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.entries[next as usize].prev = prev,
        }
    }

    fn push_front(&mut self, slot: u32) {
        let old_head = self.head;
        let entry = &mut self.entries[slot as usize];
        entry.prev = NIL;
        entry.next = old_head;
        match old_head {
            NIL => self.tail = slot,
            head => self.entries[head as usize].prev = slot,
        }
        self.head = slot;
    }
}

/// Che's approximation of an LRU cache's hit ratio under independent requests with popularity
/// `probabilities`: the characteristic time T solves Σ (1 − e^(−p·T)) = capacity, and the hit
/// ratio is Σ p·(1 − e^(−p·T)). (Che, Tung and Wang, 2002; Fricker, Robert and Roberts, 2012.)
pub fn che_hit_ratio(probabilities: &[f64], capacity: u32) -> f64 {
    if capacity as usize >= probabilities.len() {
        return 1.0;
    }
    let filled = |t: f64| probabilities.iter().map(|p| 1.0 - (-p * t).exp()).sum::<f64>();
    let (mut low, mut high) = (0.0, 1.0);
    while filled(high) < f64::from(capacity) {
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = (low + high) / 2.0;
        if filled(middle) < f64::from(capacity) { low = middle } else { high = middle }
    }
    probabilities.iter().map(|p| p * (1.0 - (-p * high).exp())).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::keys::KeyPopularity;
    use crate::kernel::{RngStreams, SimDuration};

    #[test]
    fn least_recently_used_is_evicted_first() {
        let mut cache = LruCache::new(2, 10);
        let (t, never) = (SimTime::ZERO, SimTime::MAX);
        cache.insert(1, t, never);
        cache.insert(2, t, never);
        assert_eq!(cache.get(1, t), Lookup::Hit { stored_at: t, expires_at: never }, "1 is now the most recent");
        cache.insert(3, t, never);
        assert_eq!(cache.get(2, t), Lookup::Miss, "2 was the least recent");
        assert!(matches!(cache.get(1, t), Lookup::Hit { .. }) && matches!(cache.get(3, t), Lookup::Hit { .. }));
        assert_eq!((cache.len(), cache.evictions), (2, 1));
        assert!(cache.remove(3) && !cache.remove(3));
        assert_eq!(cache.get(3, t), Lookup::Miss);
        cache.insert(4, t, never);
        cache.clear();
        assert!(cache.is_empty() && cache.get(1, t) == Lookup::Miss && cache.get(4, t) == Lookup::Miss);
        cache.insert(5, t, never);
        assert_eq!(cache.len(), 1, "a cleared cache is usable again");
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let mut cache = LruCache::new(4, 10);
        cache.insert(7, SimTime::ZERO, SimTime::ZERO + SimDuration::from_secs(60));
        assert!(matches!(cache.get(7, SimTime::ZERO + SimDuration::from_secs(59)), Lookup::Hit { .. }));
        assert_eq!(cache.get(7, SimTime::ZERO + SimDuration::from_secs(60)), Lookup::Expired);
        assert_eq!(cache.get(7, SimTime::ZERO + SimDuration::from_secs(61)), Lookup::Miss, "an expired entry is gone");
    }

    /// The simulated hit ratio of LRU under Zipf traffic matches Che's approximation.
    #[test]
    fn lru_hit_ratio_matches_the_che_approximation() {
        for (keys, s, capacity) in [(10_000, 0.8, 500), (10_000, 0.8, 2_000), (5_000, 1.1, 100)] {
            let popularity = KeyPopularity::zipf(keys, s).unwrap();
            let mut rng = RngStreams::new(3).stream("che", u64::from(capacity));
            let mut cache = LruCache::new(capacity, keys);
            let (warmup, measured) = (200_000, 1_000_000);
            let mut hits = 0u64;
            for i in 0..warmup + measured {
                let key = popularity.sample(&mut rng);
                match cache.get(key, SimTime::ZERO) {
                    Lookup::Hit { .. } => hits += u64::from(i >= warmup),
                    _ => cache.insert(key, SimTime::ZERO, SimTime::MAX),
                }
            }
            let simulated = hits as f64 / f64::from(measured);
            let che = che_hit_ratio(&popularity.probabilities(), capacity);
            eprintln!("N {keys}, s {s}, C {capacity}: simulated {simulated:.4}, Che {che:.4}");
            assert!((simulated - che).abs() < 0.005, "N {keys}, s {s}, C {capacity}: simulated {simulated:.4}, Che {che:.4}");
        }
    }
}
