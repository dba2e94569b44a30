//! The data layer: which key a request is about (`keys`), a cache's storage with LRU eviction
//! and TTLs (`cache`, held to Che's approximation), a cache in front of a service's server with
//! its write policies and stampede cures (`front`), and the ground truth of writes that stale
//! reads are measured against (`ledger`); replicas and their replication protocol (`replica`),
//! the failover manager of a leader-follower group (`failover`), and leadership split by key
//! range, moved range by range (`placement`).

pub mod cache;
pub mod failover;
pub mod front;
pub mod keys;
pub mod ledger;
pub mod placement;
pub mod replica;

/// Stores `item` in a slab: in a free slot if there is one, else at the end. Returns its index.
/// Caches, fetches and parked requests keep their records this way, so a steady state
/// allocates nothing.
pub(crate) fn slab_insert<T>(items: &mut Vec<T>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(slot) => {
            items[slot as usize] = item;
            slot
        }
        None => {
            items.push(item);
            (items.len() - 1) as u32
        }
    }
}
