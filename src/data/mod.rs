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
