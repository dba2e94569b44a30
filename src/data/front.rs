//! A cache in front of a service's server: what a cache tier does with each request before (and
//! instead of) the server's workers.
//!
//! A read that hits is answered after the hit latency, with the age of the cached data; a miss
//! becomes a job for the workers (the fetch: the service's own work and calls, down to the
//! origin), whose answer fills the cache. Writes go through the workers too, and on completion
//! drop the key (cache-aside) or store the new value (write-through); write-behind stores it at
//! once, answers, and lets the workers write it back in the background.
//!
//! When a hot key expires, every request for it misses at once: the stampede. The cures are
//! request coalescing (one fetch per key; the others wait for its answer here), leases (one
//! fetch per key; the others come back after a short wait and look again) and probabilistic early
//! refresh (XFetch: a hit refreshes the key early with a probability that grows as expiry nears,
//! so the key rarely expires under load at all).
//!
//! Simplifications: a fill replaces the entry whatever was written meanwhile (the cache-aside
//! race), except under leases, where a write cancels the lease and its fill, as memcache's leases
//! do; the cache's own work takes no worker (hits cost only their latency).

use crate::actors::messages::{Age, Op, Outcome, Released, RequestRef};
use crate::data::cache::{Lookup, LruCache};
use crate::kernel::{SimDuration, SimRng, SimTime};
use crate::metrics::Measured;
use hdrhistogram::Histogram;
use rand::RngExt;

/// What a write does to the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePolicy {
    /// Cache-aside: the write goes to the service; the key is dropped when it is done.
    Invalidate,
    /// The write goes to the service; the new value is stored when it is done.
    WriteThrough,
    /// The new value is stored and the write answered at once; the service writes it back in the
    /// background (and the write is lost if that fails).
    WriteBehind,
}

impl WritePolicy {
    /// As written in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            WritePolicy::Invalidate => "invalidate",
            WritePolicy::WriteThrough => "write-through",
            WritePolicy::WriteBehind => "write-behind",
        }
    }
}

/// What a miss on a key already being fetched does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stampede {
    /// It fetches too: every miss goes to the origin.
    Unprotected,
    /// It waits here for the fetch in flight and shares its answer.
    Coalesce,
    /// It is told to look again after `retry_after` (memcache's leases).
    Lease { retry_after: SimDuration },
}

impl Stampede {
    /// As written in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Stampede::Unprotected => "none",
            Stampede::Coalesce => "coalesce",
            Stampede::Lease { .. } => "lease",
        }
    }
}

/// XFetch (Vattani, Chierichetti and Lowenstein, 2015): a hit refreshes the key when
/// `now − recompute · beta · ln(U) ≥ expiry`, U uniform in (0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyRefresh {
    /// How long recomputing the value takes (δ).
    pub recompute: SimDuration,
    /// Eagerness: above 1 refreshes earlier, below 1 later.
    pub beta: f64,
}

/// Load the `keys` most popular keys at `at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prewarm {
    pub at: SimTime,
    pub keys: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CachePolicy {
    /// Entries held.
    pub capacity: u32,
    /// How long an entry stays fresh; `None`: until evicted or invalidated.
    pub ttl: Option<SimDuration>,
    /// Each entry's TTL is shortened by a uniform share up to this (0: entries stored together
    /// expire together).
    pub ttl_jitter: f64,
    /// The time to answer a hit, and the time a miss adds to its fetch.
    pub hit_latency: SimDuration,
    pub miss_latency: SimDuration,
    pub writes: WritePolicy,
    pub stampede: Stampede,
    /// How long a fetch in flight holds back other misses of its key (a lease's lifetime); after
    /// that it is presumed lost and the next miss fetches again.
    pub hold: SimDuration,
    pub early_refresh: Option<EarlyRefresh>,
    pub prewarm: Option<Prewarm>,
}

/// A request waiting for another's fetch of the same key.
#[derive(Clone, Copy, Debug)]
pub struct Parked {
    pub request: RequestRef,
    pub arrived: SimTime,
    pub deadline: SimTime,
    pub op: Op,
}

/// What to do with a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer from the cache after the hit latency.
    Hit { age: Age },
    /// Fetch: run the request as a job, and hand its answer to [`CacheFront::fetched`] with
    /// this fetch's number.
    Fetch { fetch: u32 },
    /// The request waits here for a fetch in flight; [`CacheFront::fetched`] answers it.
    Parked,
    /// A lease is out on the key: send the request back to this server after `after`.
    Revisit { after: SimDuration },
}

/// Counts per timeline window, for the hit ratio over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub lookups: u64,
    pub hits: u64,
    /// Requests sent on to the service behind the cache (fetches and writes).
    pub origin: u64,
}

/// What a cache measured, for requests arriving in the measured window (the window series
/// covers the whole run).
#[derive(Clone, Debug)]
pub struct CacheStats {
    /// Reads looked up (each once, however often a lease sent it back).
    pub lookups: u64,
    pub hits: u64,
    /// Reads for keys not in the cache.
    pub misses: u64,
    /// Reads for keys whose entry had expired.
    pub expired: u64,
    /// Misses that waited for a fetch in flight.
    pub coalesced: u64,
    /// Misses sent back to look again because a lease was out.
    pub lease_waits: u64,
    /// Hits that refreshed their key early (XFetch).
    pub early_refreshes: u64,
    /// Reads sent on to the service (the origin's read load from this cache).
    pub fetches: u64,
    pub writes: u64,
    /// Hits whose data had been overwritten since it was cached.
    pub stale_hits: u64,
    /// Keys dropped because another region wrote them.
    pub invalidations: u64,
    /// Write-behind writes acknowledged but never written back.
    pub writes_lost: u64,
    /// Entries evicted to make room.
    pub evictions: u64,
    /// Age of the data of hits, nanoseconds.
    pub age_ns: Histogram<u64>,
    pub windows: Vec<WindowCounts>,
}

impl Default for CacheStats {
    fn default() -> Self {
        Self::new()
    }
}

impl CacheStats {
    pub fn new() -> Self {
        CacheStats {
            lookups: 0,
            hits: 0,
            misses: 0,
            expired: 0,
            coalesced: 0,
            lease_waits: 0,
            early_refreshes: 0,
            fetches: 0,
            writes: 0,
            stale_hits: 0,
            invalidations: 0,
            writes_lost: 0,
            evictions: 0,
            age_ns: crate::metrics::latency_histogram(3),
            windows: Vec::new(),
        }
    }

    /// Adds another cache's counts (a tier's caches summed over its regions); the window
    /// series add up window by window.
    pub fn merge(&mut self, other: &CacheStats) {
        self.lookups += other.lookups;
        self.hits += other.hits;
        self.misses += other.misses;
        self.expired += other.expired;
        self.coalesced += other.coalesced;
        self.lease_waits += other.lease_waits;
        self.early_refreshes += other.early_refreshes;
        self.fetches += other.fetches;
        self.writes += other.writes;
        self.stale_hits += other.stale_hits;
        self.invalidations += other.invalidations;
        self.writes_lost += other.writes_lost;
        self.evictions += other.evictions;
        self.age_ns.add(&other.age_ns).expect("cache histograms share their bounds");
        if self.windows.len() < other.windows.len() {
            self.windows.resize(other.windows.len(), WindowCounts::default());
        }
        for (sum, window) in self.windows.iter_mut().zip(&other.windows) {
            sum.lookups += window.lookups;
            sum.hits += window.hits;
            sum.origin += window.origin;
        }
    }

    /// Reads sent on plus writes received: the load on what is behind the cache.
    pub fn origin_requests(&self) -> u64 {
        self.fetches + self.writes
    }
}

const NONE: u32 = u32::MAX;

/// A fetch in flight for one key, with the requests parked behind it (a linked list in
/// `parked`).
#[derive(Clone, Copy, Debug)]
struct Fetch {
    key: u32,
    since: SimTime,
    first: u32,
    last: u32,
    /// A write dropped the key while it was fetched (leases only): its answer is not stored.
    cancelled: bool,
    /// Numbers the fetches this entry has had (a restart after `hold` is a new one): only the
    /// current fetch answers the requests parked here.
    number: u32,
}

pub struct CacheFront {
    pub policy: CachePolicy,
    storage: LruCache,
    /// Fetches in flight, found by key through `fetch_of` (key → index + 1; 0: none). Dense like
    /// the storage's index: a key space is at most a few million keys.
    fetch_of: Vec<u32>,
    fetches: Vec<Fetch>,
    free_fetches: Vec<u32>,
    parked: Vec<(Parked, u32)>,
    free_parked: Vec<u32>,
    rng: SimRng,
    window: SimDuration,
    measured: Measured,
    /// Numbers fetches, so a fetch's answer is matched to the entry it belongs to.
    fetch_number: u32,
    pub stats: CacheStats,
}

impl CacheFront {
    /// A cache over keys `0..keys`; `window` is the timeline's, `counted` the measured window.
    pub fn new(policy: CachePolicy, keys: u32, rng: SimRng, window: SimDuration, measured: Measured) -> Self {
        CacheFront {
            storage: LruCache::new(policy.capacity, keys),
            fetch_of: vec![0; keys as usize],
            fetches: Vec::new(),
            free_fetches: Vec::new(),
            parked: Vec::new(),
            free_parked: Vec::new(),
            policy,
            rng,
            window,
            measured,
            fetch_number: 0,
            stats: CacheStats::new(),
        }
    }

    fn counts(&self, arrived: SimTime) -> bool {
        self.measured.contains(arrived)
    }

    fn window_at(&mut self, now: SimTime) -> &mut WindowCounts {
        let index = (now.0 / self.window.0.max(1)) as usize;
        if self.stats.windows.len() <= index {
            self.stats.windows.resize(index + 1, WindowCounts::default());
        }
        &mut self.stats.windows[index]
    }

    /// A read for `parked.op`'s key; `first_look` is false for a request a lease sent back.
    /// `last_commit` is the key's last committed write (from the ledger, for counting stale hits
    /// only).
    pub fn read(&mut self, now: SimTime, parked: Parked, first_look: bool, last_commit: SimTime) -> Decision {
        let key = parked.op.key();
        // A request a lease sent back counts as one lookup, its first (the hit ratio is per
        // request); what it is served and what it costs the origin count whenever they happen.
        let in_window = self.counts(parked.arrived);
        let counted = first_look && in_window;
        if first_look {
            self.stats.lookups += u64::from(counted);
            self.window_at(now).lookups += 1;
        }
        match self.storage.get(key, now) {
            Lookup::Hit { stored_at, expires_at } => {
                if self.refreshes_early(now, expires_at) && self.in_flight(key, now).is_none() {
                    self.stats.early_refreshes += u64::from(counted);
                    let fetch = self.begin_fetch(key, now);
                    return self.fetch(now, in_window, fetch);
                }
                self.stats.hits += u64::from(counted);
                if first_look {
                    self.window_at(now).hits += 1;
                }
                let age = now.since(stored_at);
                if in_window {
                    self.stats.stale_hits += u64::from(stored_at < last_commit);
                    self.stats.age_ns.saturating_record(age.0.max(crate::metrics::LATENCY_LOW_NS));
                }
                return Decision::Hit { age: Age::of(age) };
            }
            Lookup::Expired => self.stats.expired += u64::from(counted),
            Lookup::Miss => self.stats.misses += u64::from(counted),
        }
        self.on_miss(now, parked, counted, in_window)
    }

    /// XFetch's rule; false without early refresh.
    fn refreshes_early(&mut self, now: SimTime, expires_at: SimTime) -> bool {
        let Some(rule) = self.policy.early_refresh else { return false };
        let draw = 1.0 - self.rng.random::<f64>(); // (0, 1]
        let lead = rule.recompute.as_secs_f64() * rule.beta * -draw.ln();
        now + SimDuration::from_secs_f64(lead) >= expires_at
    }

    fn on_miss(&mut self, now: SimTime, parked: Parked, counted: bool, in_window: bool) -> Decision {
        let key = parked.op.key();
        match (self.policy.stampede, self.in_flight(key, now)) {
            (Stampede::Coalesce, Some(fetch)) => {
                self.stats.coalesced += u64::from(counted);
                self.park(fetch, parked);
                Decision::Parked
            }
            (Stampede::Lease { retry_after }, Some(_)) => {
                self.stats.lease_waits += u64::from(counted);
                Decision::Revisit { after: retry_after }
            }
            (Stampede::Unprotected, _) => self.fetch(now, in_window, 0),
            (_, None) => {
                let fetch = self.begin_fetch(key, now);
                self.fetch(now, in_window, fetch)
            }
        }
    }

    /// The fetch of `key` in flight, unless there is none or it is presumed lost.
    fn in_flight(&self, key: u32, now: SimTime) -> Option<u32> {
        self.fetch_of[key as usize].checked_sub(1).filter(|&f| now.since(self.fetches[f as usize].since) < self.policy.hold)
    }

    fn fetch(&mut self, now: SimTime, counted: bool, fetch: u32) -> Decision {
        self.stats.fetches += u64::from(counted);
        self.window_at(now).origin += 1;
        Decision::Fetch { fetch }
    }

    /// Records a fetch of `key` starting now (or restarts one presumed lost, keeping whoever is
    /// parked behind it, and whether a write cancelled its fill); returns its number (never 0).
    fn begin_fetch(&mut self, key: u32, now: SimTime) -> u32 {
        self.fetch_number = self.fetch_number.wrapping_add(1).max(1);
        let number = self.fetch_number;
        if let Some(index) = self.fetch_of[key as usize].checked_sub(1) {
            let fetch = &mut self.fetches[index as usize];
            (fetch.since, fetch.number) = (now, number);
            return number;
        }
        let fetch = Fetch { key, since: now, first: NONE, last: NONE, cancelled: false, number };
        let index = super::slab_insert(&mut self.fetches, &mut self.free_fetches, fetch);
        self.fetch_of[key as usize] = index + 1;
        number
    }

    fn park(&mut self, fetch: u32, parked: Parked) {
        let entry = (parked, NONE);
        let index = super::slab_insert(&mut self.parked, &mut self.free_parked, entry);
        let fetch = &mut self.fetches[fetch as usize];
        match fetch.last {
            NONE => fetch.first = index,
            last => self.parked[last as usize].1 = index,
        }
        fetch.last = index;
    }

    /// Fetch `number` of `key` (0: one no entry tracks) ended with `outcome` (`None`: it was
    /// dropped unanswered) and data `age` old. Stores a successful answer and, if it is the
    /// entry's current fetch, answers the requests parked behind it (pushed onto `released`).
    /// Returns a parked request that must now fetch itself (with its fetch number), when the
    /// fetch it waited for was dropped.
    pub fn fetched(
        &mut self,
        now: SimTime,
        key: u32,
        number: u32,
        outcome: Option<Outcome>,
        age: Age,
        released: &mut Vec<Released>,
    ) -> Option<(Parked, u32)> {
        let fetch = self.fetch_of[key as usize].checked_sub(1).map(|index| (index, self.fetches[index as usize]));
        let cancelled = fetch.is_some_and(|(_, f)| f.cancelled);
        if outcome == Some(Outcome::Served) && !cancelled {
            self.store(now, key, age);
        }
        // An older fetch (one presumed lost and replaced) leaves the entry to the current one.
        let (index, fetch) = fetch.filter(|(_, f)| f.number == number)?;
        let Some(outcome) = outcome else {
            // Nobody got an answer: the first parked request fetches for the others.
            let first = fetch.first;
            if first == NONE {
                self.end_fetch(index, key);
                return None;
            }
            let (parked, next) = self.parked[first as usize];
            self.free_parked.push(first);
            let number = self.begin_fetch(key, now);
            let entry = &mut self.fetches[index as usize];
            entry.first = next;
            if next == NONE {
                entry.last = NONE;
            }
            return Some((parked, number));
        };
        let mut at = fetch.first;
        while at != NONE {
            let (parked, next) = self.parked[at as usize];
            released.push(Released { request: parked.request, outcome, age });
            self.free_parked.push(at);
            at = next;
        }
        self.end_fetch(index, key);
        None
    }

    fn end_fetch(&mut self, index: u32, key: u32) {
        self.fetch_of[key as usize] = 0;
        self.free_fetches.push(index);
    }

    /// Stores `key` with data `age` old; its TTL counts from when the data was read (as HTTP's
    /// `Age` does), so a lower tier's copy expires no later than the upper tier's.
    fn store(&mut self, now: SimTime, key: u32, age: Age) {
        let stored_at = SimTime(now.0.saturating_sub(age.duration().0));
        let expires_at = match self.policy.ttl {
            None => SimTime::MAX,
            Some(ttl) => {
                let jitter = if self.policy.ttl_jitter > 0.0 { self.policy.ttl_jitter * self.rng.random::<f64>() } else { 0.0 };
                stored_at + SimDuration::from_secs_f64(ttl.as_secs_f64() * (1.0 - jitter))
            }
        };
        let evicted = self.storage.evictions;
        self.storage.insert(key, stored_at, expires_at);
        if self.counts(now) {
            self.stats.evictions += self.storage.evictions - evicted;
        }
    }

    /// A write arrives. True when the cache answers it at once (write-behind: the value is
    /// stored now and written back by a job whose answer nobody waits for).
    pub fn write_arrives(&mut self, now: SimTime, op: Op, arrived: SimTime) -> bool {
        self.stats.writes += u64::from(self.counts(arrived));
        self.window_at(now).origin += 1;
        if self.policy.writes != WritePolicy::WriteBehind {
            return false;
        }
        // The new value must not be overwritten by a fill that raced it (under leases).
        self.drop_key(op.key());
        self.store(now, op.key(), Age::FRESH);
        true
    }

    /// A write's job ended (`served`: it was written). Cache-aside drops the key, write-through
    /// stores the new value; a write-behind that failed is a lost write.
    pub fn write_done(&mut self, now: SimTime, key: u32, served: bool, arrived: SimTime) {
        match self.policy.writes {
            WritePolicy::Invalidate => self.drop_key(key),
            WritePolicy::WriteThrough if served => self.store(now, key, Age::FRESH),
            WritePolicy::WriteThrough => self.drop_key(key),
            WritePolicy::WriteBehind => self.stats.writes_lost += u64::from(!served && self.counts(arrived)),
        }
    }

    /// Another region wrote `key`.
    pub fn invalidate(&mut self, key: u32, now: SimTime) {
        self.stats.invalidations += u64::from(self.counts(now));
        self.drop_key(key);
    }

    /// Drops `key`; under leases, a fetch in flight for it will not be stored.
    fn drop_key(&mut self, key: u32) {
        self.storage.remove(key);
        if matches!(self.policy.stampede, Stampede::Lease { .. })
            && let Some(index) = self.fetch_of[key as usize].checked_sub(1)
        {
            self.fetches[index as usize].cancelled = true;
        }
    }

    /// Loads the most popular keys now (least popular first, so the most popular end up most
    /// recently used), all with the same TTL unless it is jittered.
    pub fn prewarm(&mut self, now: SimTime, keys: u32) {
        for key in (0..keys.min(self.policy.capacity).min(self.fetch_of.len() as u32)).rev() {
            self.store(now, key, Age::FRESH);
        }
    }

    /// The server lost its memory (powered off): the cache restarts cold, and requests parked
    /// here are lost with the rest of the server's work.
    pub fn clear(&mut self) {
        self.storage.clear();
        for fetch in self.fetches.drain(..) {
            self.fetch_of[fetch.key as usize] = 0;
        }
        self.free_fetches.clear();
        self.parked.clear();
        self.free_parked.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    fn policy(stampede: Stampede) -> CachePolicy {
        CachePolicy {
            capacity: 10,
            ttl: Some(SimDuration::from_secs(60)),
            ttl_jitter: 0.0,
            hit_latency: SimDuration::from_millis(1),
            miss_latency: SimDuration::ZERO,
            writes: WritePolicy::Invalidate,
            stampede,
            hold: SimDuration::from_secs(2),
            early_refresh: None,
            prewarm: None,
        }
    }

    fn front(stampede: Stampede) -> CacheFront {
        let rng = RngStreams::new(1).stream("cache", 0);
        CacheFront::new(policy(stampede), 100, rng, SimDuration::from_secs(10), Measured::ALWAYS)
    }

    fn read(slot: u32, key: u32) -> Parked {
        let request = RequestRef { slot, generation: 1, caller: 0, attempt: 0, priority: 1 };
        Parked { request, arrived: SimTime::ZERO, deadline: SimTime::MAX, op: Op::read(key) }
    }

    fn at(seconds: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(seconds)
    }

    /// Ten misses of one key: unprotected, all ten fetch; coalesced, one fetches and nine wait
    /// for its answer; with a lease, one fetches and nine are sent back.
    #[test]
    fn the_cures_send_one_fetch_per_key() {
        for (stampede, fetches) in
            [(Stampede::Unprotected, 10), (Stampede::Coalesce, 1), (Stampede::Lease { retry_after: SimDuration::from_millis(10) }, 1)]
        {
            let mut cache = front(stampede);
            let decisions: Vec<Decision> = (0..10).map(|slot| cache.read(at(1), read(slot, 7), true, SimTime::ZERO)).collect();
            assert_eq!(decisions.iter().filter(|d| matches!(d, Decision::Fetch { .. })).count(), fetches, "{stampede:?}");
            assert_eq!(cache.stats.fetches, fetches as u64);
            let number = decisions.iter().find_map(|d| fetch_number(*d)).expect("a fetch");
            let mut released = Vec::new();
            cache.fetched(at(1), 7, number, Some(Outcome::Served), Age::FRESH, &mut released);
            let parked = if stampede == Stampede::Coalesce { 9 } else { 0 };
            assert_eq!(released.len(), parked, "{stampede:?}: the parked requests get the fetch's answer");
            assert_eq!(cache.read(at(2), read(20, 7), true, SimTime::ZERO), Decision::Hit { age: Age::of(SimDuration::from_secs(1)) });
        }
    }

    fn fetch_number(decision: Decision) -> Option<u32> {
        match decision {
            Decision::Fetch { fetch } => Some(fetch),
            _ => None,
        }
    }

    #[test]
    fn a_dropped_fetch_hands_over_to_a_parked_request_and_a_lost_one_is_retaken_after_hold() {
        let mut cache = front(Stampede::Coalesce);
        let first = fetch_number(cache.read(at(1), read(1, 3), true, SimTime::ZERO)).expect("fetch");
        assert_eq!(cache.read(at(1), read(2, 3), true, SimTime::ZERO), Decision::Parked);
        assert_eq!(cache.read(at(1), read(3, 3), true, SimTime::ZERO), Decision::Parked);
        let mut released = Vec::new();
        let (next, number) = cache.fetched(at(1), 3, first, None, Age::FRESH, &mut released).expect("a parked request takes over");
        assert_eq!(next.request.slot, 2);
        cache.fetched(at(1), 3, number, Some(Outcome::Error), Age::FRESH, &mut released);
        assert_eq!(released.len(), 1, "the last parked request shares the error");
        assert_eq!(released[0].outcome, Outcome::Error);
        // A fetch that never answers holds others back for `hold` only.
        released.clear();
        let lost = fetch_number(cache.read(at(10), read(4, 5), true, SimTime::ZERO)).expect("fetch");
        assert_eq!(cache.read(at(11), read(5, 5), true, SimTime::ZERO), Decision::Parked);
        let retaken = fetch_number(cache.read(at(12), read(6, 5), true, SimTime::ZERO)).expect("presumed lost after 2 s");
        // The old fetch's late failure is not the new fetch's answer.
        cache.fetched(at(13), 5, lost, Some(Outcome::Error), Age::FRESH, &mut released);
        assert!(released.is_empty(), "the parked request waits for the current fetch");
        cache.fetched(at(13), 5, retaken, Some(Outcome::Served), Age::FRESH, &mut released);
        assert_eq!(released.len(), 1, "the request parked behind the lost fetch is answered by the new one");
        assert_eq!(released[0].outcome, Outcome::Served);
    }

    #[test]
    fn writes_invalidate_or_store_and_leases_drop_a_racing_fill() {
        let mut cache = front(Stampede::Lease { retry_after: SimDuration::from_millis(10) });
        cache.fetched(at(0), 1, 0, Some(Outcome::Served), Age::FRESH, &mut Vec::new());
        assert!(matches!(cache.read(at(1), read(1, 1), true, SimTime::ZERO), Decision::Hit { .. }));
        assert!(matches!(cache.read(at(2), read(1, 1), true, at(1)), Decision::Hit { .. }), "served, but stale");
        assert_eq!(cache.stats.stale_hits, 1);
        cache.write_done(at(2), 1, true, at(2));
        // A fetch starts, a write lands while it is in flight: its (old) answer is not stored.
        let racing = fetch_number(cache.read(at(3), read(2, 1), true, SimTime::ZERO)).expect("fetch");
        cache.invalidate(1, at(3));
        cache.fetched(at(3), 1, racing, Some(Outcome::Served), Age::FRESH, &mut Vec::new());
        assert!(fetch_number(cache.read(at(4), read(3, 1), true, SimTime::ZERO)).is_some(), "the racing fill was not stored");

        let mut through = front(Stampede::Unprotected);
        through.policy.writes = WritePolicy::WriteThrough;
        through.write_done(at(5), 9, true, at(5));
        assert_eq!(through.read(at(6), read(1, 9), true, SimTime::ZERO), Decision::Hit { age: Age::of(SimDuration::from_secs(1)) });
        through.policy.writes = WritePolicy::WriteBehind;
        assert!(through.write_arrives(at(7), Op::write(8), at(7)), "write-behind answers at once");
        assert!(matches!(through.read(at(7), read(2, 8), true, SimTime::ZERO), Decision::Hit { .. }));
        through.write_done(at(8), 8, false, at(7));
        assert_eq!(through.stats.writes_lost, 1);
    }

    #[test]
    fn entries_warmed_together_expire_together_unless_jittered() {
        let mut cache = front(Stampede::Unprotected);
        cache.prewarm(at(0), 5);
        assert_eq!(cache.storage.len(), 5);
        let expired = |cache: &mut CacheFront, t: SimTime| {
            (0..5).filter(|&k| matches!(cache.read(t, read(1, k), true, SimTime::ZERO), Decision::Fetch { .. })).count()
        };
        assert_eq!(expired(&mut cache, at(59)), 0);
        assert_eq!(expired(&mut cache, at(60)), 5, "all five expire at once");
        let mut jittered = front(Stampede::Unprotected);
        jittered.policy.ttl_jitter = 0.5;
        jittered.prewarm(at(0), 10);
        let all = |cache: &mut CacheFront, t: SimTime| {
            (0..10).filter(|&k| matches!(cache.read(t, read(1, k), true, SimTime::ZERO), Decision::Fetch { .. })).count()
        };
        assert_eq!(all(&mut jittered, at(29)), 0, "no TTL is cut by more than half");
        let halfway = all(&mut jittered, at(45));
        assert!((2..=8).contains(&halfway), "expiries spread over [30 s, 60 s]: {halfway} of 10 gone at 45 s");
        assert_eq!(all(&mut jittered, at(60)), 10);
    }

    /// With XFetch and a recompute time of 1 s, a key read every 10 ms is refreshed before it
    /// expires, a little ahead of expiry; without it, the key expires.
    #[test]
    fn early_refresh_refreshes_a_hot_key_before_it_expires() {
        let mut cache = front(Stampede::Coalesce);
        cache.policy.early_refresh = Some(EarlyRefresh { recompute: SimDuration::from_secs(1), beta: 1.0 });
        cache.prewarm(at(0), 1);
        let mut refreshed_at = None;
        for step in 0..6_000 {
            let now = SimTime::ZERO + SimDuration::from_millis(10 * step);
            if fetch_number(cache.read(now, read(1, 0), true, SimTime::ZERO)).is_some() {
                refreshed_at = Some(now);
                break;
            }
        }
        let refreshed_at = refreshed_at.expect("refreshed before expiry");
        assert!(refreshed_at < at(60) && refreshed_at > at(50), "refreshed at {refreshed_at}");
        assert_eq!(cache.stats.expired, 0);
        assert_eq!(cache.stats.early_refreshes, 1);
    }
}
