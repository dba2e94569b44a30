//! planetsim: a deterministic discrete-event simulator of planet-scale systems.
//!
//! See `ARCHITECTURE.md` for the code map. In short: `scenario` reads and validates YAML into
//! plain typed plans; `world` turns a topology into routes and round-trip times; `actors` are the
//! client populations, the router and the servers; `sim` assembles them into a kernel `Model`
//! and runs it; `metrics` records what clients saw; `report` writes result files; `outcome` runs
//! replications and judges a scenario's expectations; `operations` holds alert rules and operator actions.

pub mod actors;
pub mod cli;
pub mod data;
pub mod faults;
pub mod kernel;
pub mod metrics;
pub mod operations;
pub mod outcome;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod world;
