//! The data layer's building blocks: which key a request is about (`keys`) and a cache's
//! storage with LRU eviction and TTLs (`cache`), validated against Che's approximation. Issue 4
//! builds cache tiers and replicas on them.

pub mod cache;
pub mod keys;
