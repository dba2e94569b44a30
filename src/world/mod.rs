//! The simulated planet: where regions are, how they are linked, and how long a message takes
//! to cross from one to another.
//!
//! Architecture invariant: nothing here knows about requests, servers or YAML; `scenario/`
//! builds a [`Topology`] and the simulation asks [`RttMatrix`] for delays.

pub mod calibration;
pub mod geo;
pub mod network;
pub mod routing;
pub mod topology;

pub use geo::{GeoPoint, great_circle_km, path_km};
pub use network::{LinkGray, Network, Partition, Transit};
pub use routing::{LinkState, RttMatrix};
pub use topology::{Link, LinkId, LinkKind, NodeId, Region, RegionId, Site, Topology};
