//! Which links are up, and the round-trip-time matrix that results.
//!
//! Routes themselves live in [`Network`]: Dijkstra over the undirected link graph (petgraph),
//! one run per region, with integer nanosecond weights so that ties and sums are exact. A region
//! cut off from another has no route to it: its RTT is `None`.

use super::network::Network;
use super::topology::{LinkId, RegionId, Topology};
use crate::kernel::SimDuration;

/// Which links are up. Indexed by `LinkId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    pub up: Vec<bool>,
}

impl LinkState {
    pub fn all_up(topology: &Topology) -> Self {
        LinkState { up: vec![true; topology.links.len()] }
    }

    pub fn cut(&mut self, links: &[LinkId]) {
        for link in links {
            self.up[link.0 as usize] = false;
        }
    }
}

/// Round-trip times between every pair of regions, for one state of the links: a snapshot of
/// a converged [`Network`], for reports (`topo`, `calibrate`) and nearest-region choices.
#[derive(Clone, Debug)]
pub struct RttMatrix {
    regions: usize,
    /// Row-major; `None` where unreachable.
    one_way: Vec<Option<SimDuration>>,
    intra_region_rtt: SimDuration,
}

impl RttMatrix {
    pub fn compute(topology: &Topology, state: &LinkState) -> Self {
        Self::of(&Network::with_links(topology, state.clone()), topology.intra_region_rtt)
    }

    /// The RTTs of `network`'s current routes.
    pub fn of(network: &Network, intra_region_rtt: SimDuration) -> Self {
        let regions = network.region_count();
        let one_way = (0..regions * regions)
            .map(|index| network.route_one_way(RegionId((index / regions) as u32), RegionId((index % regions) as u32)))
            .collect();
        RttMatrix { regions, one_way, intra_region_rtt }
    }

    pub fn region_count(&self) -> usize {
        self.regions
    }

    /// One-way latency from `from` to `to`; within a region, half the intra-region RTT.
    pub fn one_way(&self, from: RegionId, to: RegionId) -> Option<SimDuration> {
        if from == to {
            return Some(SimDuration(self.intra_region_rtt.0 / 2));
        }
        self.one_way[from.0 as usize * self.regions + to.0 as usize]
    }

    pub fn rtt(&self, from: RegionId, to: RegionId) -> Option<SimDuration> {
        if from == to {
            return Some(self.intra_region_rtt);
        }
        self.one_way(from, to).map(|d| SimDuration(d.0 * 2))
    }
}
