//! planetsim's integration tests: one binary, one module per concern.

mod allocation;
mod caches;
mod case_studies;
mod cli;
mod dependencies;
mod determinism;
mod failover;
mod faults;
mod fidelity;
mod operations;
mod outcome;
mod placement;
mod plots;
mod progress;
mod replicas;
mod resilience;
mod scenarios;
mod schema;
mod support;
mod world;

#[global_allocator]
static ALLOCATOR: allocation::CountingAllocator = allocation::CountingAllocator;
