//! Lowest-latency routes between regions, recomputed when links go down.
//!
//! Routes come from Dijkstra over the undirected link graph (petgraph), one run per region, with
//! integer nanosecond weights so that ties and sums are exact. A region cut off from another has
//! no route to it: its RTT is `None`, and traffic to it is unreachable.

use super::topology::{LinkId, NodeId, RegionId, Topology};
use crate::kernel::SimDuration;
use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};

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

/// Round-trip times between every pair of regions, for one state of the links.
#[derive(Clone, Debug)]
pub struct RttMatrix {
    regions: usize,
    /// Row-major; `None` where unreachable.
    one_way: Vec<Option<SimDuration>>,
    intra_region_rtt: SimDuration,
}

impl RttMatrix {
    pub fn compute(topology: &Topology, state: &LinkState) -> Self {
        let regions = topology.regions.len();
        let graph = link_graph(topology, state);
        let mut one_way = vec![None; regions * regions];
        for from in 0..regions {
            let distances = dijkstra(&graph, NodeIndex::new(from), None, |edge| *edge.weight());
            for to in 0..regions {
                one_way[from * regions + to] = distances.get(&NodeIndex::new(to)).map(|&nanos| SimDuration(nanos));
            }
        }
        RttMatrix { regions, one_way, intra_region_rtt: topology.intra_region_rtt }
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

fn link_graph(topology: &Topology, state: &LinkState) -> UnGraph<NodeId, u64> {
    let mut graph = UnGraph::with_capacity(topology.node_count(), topology.links.len());
    for node in 0..topology.node_count() {
        graph.add_node(NodeId(node as u32));
    }
    for (index, link) in topology.links.iter().enumerate() {
        if state.up[index] {
            let [a, b] = link.ends;
            graph.add_edge(NodeIndex::new(a.0 as usize), NodeIndex::new(b.0 as usize), link.one_way.0);
        }
    }
    graph
}
