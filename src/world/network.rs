//! The network as messages experience it: routes over the links, what faults do to them, and the
//! delay (or loss) of each message.
//!
//! Two states of the links are kept apart, as in a real network. The *physical* state says which
//! links carry light right now. The *routes* were computed from the physical state at the last
//! convergence. When a link is cut, routes through it black-hole traffic until routing
//! re-converges (after the scenario's convergence delay). When a link comes back, the old routes
//! keep working until the next convergence moves traffic back.
//!
//! Gray failures act per link: a loss probability, an added latency, a latency multiplier and
//! a uniform jitter. A message's delay is the sum over the links of its route of
//! `base × multiplier + added + U(0, jitter)`, and it is lost with probability
//! `1 − Π(1 − loss)`. Partitions act per pair of regions: a message from a region in `from` to
//! a region in `to` is dropped if its flow falls in the partition's share. With `both`
//! directions, the reverse is dropped too.
//!
//! Links may carry a capacity: the share of the link available to the simulated traffic, in
//! messages per second per direction. Each direction is a fluid FIFO: its backlog drains at the
//! capacity; a message waits backlog/capacity and is dropped if that wait would exceed the
//! buffer. Simplification: the wait is computed when the message is sent, with the link's state
//! at that moment, not when it reaches the link.
//!
//! Cost when unused: without gray links, capacities or partitions, a message costs one table
//! lookup.

use super::routing::LinkState;
use super::topology::{LinkId, RegionId, Topology};
use crate::kernel::{SimDuration, SimRng, SimTime};
use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};
use rand::RngExt;

/// Per-link degradation (a gray failure). The default is a healthy link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkGray {
    pub loss: f64,
    pub added: SimDuration,
    pub multiplier: f64,
    pub jitter: SimDuration,
}

impl Default for LinkGray {
    fn default() -> Self {
        LinkGray { loss: 0.0, added: SimDuration::ZERO, multiplier: 1.0, jitter: SimDuration::ZERO }
    }
}

impl LinkGray {
    fn is_healthy(&self) -> bool {
        *self == LinkGray::default()
    }
}

/// A partition between two sets of regions, for a share of flows.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub from: Vec<bool>,
    pub to: Vec<bool>,
    /// Also drop messages from `to` to `from`.
    pub both_ways: bool,
    /// Share of flows affected, 0–1. A flow is one request's conversation.
    pub share: f64,
}

impl Partition {
    fn drops(&self, from: RegionId, to: RegionId, flow: u64) -> bool {
        let (f, t) = (from.0 as usize, to.0 as usize);
        let crosses = (self.from[f] && self.to[t]) || (self.both_ways && self.to[f] && self.from[t]);
        crosses && flow_fraction(flow) < self.share
    }
}

/// Maps a flow id to [0, 1) with a fixed mixer, so a flow is either in a partial partition or not.
fn flow_fraction(flow: u64) -> f64 {
    (crate::kernel::rng::splitmix64(flow) >> 11) as f64 / (1u64 << 53) as f64
}

/// The route between two regions: its base one-way latency and the links it crosses, with
/// the direction it crosses each in (`true`: from the link's first end to its second).
#[derive(Clone, Debug, Default)]
struct Route {
    one_way: Option<SimDuration>,
    links: Vec<LinkId>,
    forward: Vec<bool>,
}

/// One direction of a capacity-limited link.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectionQueue {
    /// Messages waiting, as a fluid.
    backlog: f64,
    last: SimTime,
    pub carried: u64,
    pub dropped: u64,
    /// Messages carried since the last load sample.
    pub window_carried: u64,
}

/// A link's capacity for the simulated traffic.
#[derive(Clone, Copy, Debug)]
pub struct LinkCapacity {
    pub per_second: f64,
    /// The longest a message may wait for the link before it is dropped.
    pub buffer: SimDuration,
    /// [forward, backward].
    pub directions: [DirectionQueue; 2],
}

impl LinkCapacity {
    pub fn new(per_second: f64, buffer: SimDuration) -> Self {
        LinkCapacity { per_second, buffer, directions: [DirectionQueue::default(); 2] }
    }

    /// The wait of one message entering `direction` at `now`, or `None` if it is dropped.
    fn enter(&mut self, direction: usize, now: SimTime) -> Option<f64> {
        let rate = self.per_second;
        let queue = &mut self.directions[direction];
        let drained = now.since(queue.last.min(now)).as_secs_f64() * rate;
        queue.backlog = (queue.backlog - drained).max(0.0);
        queue.last = now;
        let wait_s = queue.backlog / rate;
        if wait_s > self.buffer.as_secs_f64() {
            queue.dropped += 1;
            return None;
        }
        queue.backlog += 1.0;
        queue.carried += 1;
        queue.window_carried += 1;
        Some(wait_s)
    }
}

/// What the network does with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    Delay(SimDuration),
    Lost,
    NoRoute,
}

pub struct Network {
    regions: usize,
    intra_region_one_way: SimDuration,
    link_one_way: Vec<SimDuration>,
    link_ends: Vec<[u32; 2]>,
    node_count: usize,
    physical: LinkState,
    routes: Vec<Route>,
    /// Whether any link on a route is physically down (the route black-holes traffic).
    route_broken: Vec<bool>,
    gray: Vec<LinkGray>,
    /// Whether a route crosses a gray or capacity-limited link: then its delay is computed
    /// link by link.
    route_gray: Vec<bool>,
    capacity: Vec<Option<LinkCapacity>>,
    /// Partitions by index, `None` once healed (indices stay stable), and how many are in
    /// force: messages look at them only while one is.
    partitions: Vec<Option<Partition>>,
    partitions_in_force: usize,
    /// Convergences so far, for reports.
    pub convergences: u32,
}

impl Network {
    pub fn new(topology: &Topology) -> Self {
        Self::with_links(topology, LinkState::all_up(topology))
    }

    /// A network whose links are in `physical` state, converged.
    pub fn with_links(topology: &Topology, physical: LinkState) -> Self {
        let regions = topology.regions.len();
        let mut network = Network {
            regions,
            intra_region_one_way: SimDuration(topology.intra_region_rtt.0 / 2),
            link_one_way: topology.links.iter().map(|l| l.one_way).collect(),
            link_ends: topology.links.iter().map(|l| [l.ends[0].0, l.ends[1].0]).collect(),
            node_count: topology.node_count(),
            physical,
            routes: vec![Route::default(); regions * regions],
            route_broken: vec![false; regions * regions],
            gray: vec![LinkGray::default(); topology.links.len()],
            route_gray: vec![false; regions * regions],
            capacity: vec![None; topology.links.len()],
            partitions: Vec::new(),
            partitions_in_force: 0,
            convergences: 0,
        };
        network.converge();
        network.convergences = 0;
        network
    }

    pub fn region_count(&self) -> usize {
        self.regions
    }

    fn pair(&self, from: RegionId, to: RegionId) -> usize {
        from.0 as usize * self.regions + to.0 as usize
    }

    /// Changes the physical state of links. Routes are not recomputed until `converge`.
    pub fn set_links_up(&mut self, links: &[LinkId], up: bool) {
        for link in links {
            self.physical.up[link.0 as usize] = up;
        }
        self.refresh_flags();
    }

    /// Recomputes every route from the current physical state.
    pub fn converge(&mut self) {
        let graph = self.graph();
        for from in 0..self.regions {
            let found = dijkstra(&graph, NodeIndex::new(from), None, |edge| *edge.weight());
            // Dense, so nothing downstream depends on the map's iteration order.
            let distances: Vec<Option<u64>> = (0..self.node_count).map(|node| found.get(&NodeIndex::new(node)).copied()).collect();
            for to in 0..self.regions {
                let route = self.route_from(&distances, from, to);
                let index = from * self.regions + to;
                self.routes[index] = route;
            }
        }
        self.convergences += 1;
        self.refresh_flags();
    }

    fn graph(&self) -> UnGraph<(), u64> {
        let mut graph = UnGraph::with_capacity(self.node_count, self.link_ends.len());
        for _ in 0..self.node_count {
            graph.add_node(());
        }
        for (index, [a, b]) in self.link_ends.iter().enumerate() {
            if self.physical.up[index] {
                graph.add_edge(NodeIndex::new(*a as usize), NodeIndex::new(*b as usize), self.link_one_way[index].0);
            }
        }
        graph
    }

    /// Walks back from `to` along links whose latency accounts exactly for the distance
    /// difference (integer nanoseconds, so equality is exact); ties take the lowest link id.
    fn route_from(&self, distances: &[Option<u64>], from: usize, to: usize) -> Route {
        let Some(total) = distances[to] else { return Route::default() };
        let mut links = Vec::new();
        let mut forward = Vec::new();
        let mut node = to;
        while node != from {
            let step = (0..self.link_ends.len()).find_map(|index| {
                let [a, b] = self.link_ends[index];
                let other = if a as usize == node {
                    b
                } else if b as usize == node {
                    a
                } else {
                    return None;
                };
                let here = distances[node]?;
                let there = distances[other as usize]?;
                (self.physical.up[index] && there + self.link_one_way[index].0 == here).then_some((index, other as usize))
            });
            let (link, previous) = step.expect("a node at a finite distance has a predecessor");
            links.push(LinkId(link as u32));
            forward.push(self.link_ends[link][0] as usize == previous);
            node = previous;
        }
        links.reverse();
        forward.reverse();
        Route { one_way: Some(SimDuration(total)), links, forward }
    }

    fn refresh_flags(&mut self) {
        for index in 0..self.routes.len() {
            let links = &self.routes[index].links;
            self.route_broken[index] = links.iter().any(|l| !self.physical.up[l.0 as usize]);
            self.route_gray[index] = links.iter().any(|l| !self.gray[l.0 as usize].is_healthy() || self.capacity[l.0 as usize].is_some());
        }
    }

    pub fn set_gray(&mut self, links: &[LinkId], gray: LinkGray) {
        for link in links {
            self.gray[link.0 as usize] = gray;
        }
        self.refresh_flags();
    }

    /// Gives links a capacity for the simulated traffic.
    pub fn set_capacity(&mut self, links: &[LinkId], capacity: LinkCapacity) {
        for link in links {
            self.capacity[link.0 as usize] = Some(capacity);
        }
        self.refresh_flags();
    }

    /// Capacity-limited links and their queues.
    pub fn capacities(&self) -> impl Iterator<Item = (LinkId, &LinkCapacity)> {
        self.capacity.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (LinkId(i as u32), c)))
    }

    /// Messages carried per direction since the last call, for each capacity-limited link.
    pub fn take_window_loads(&mut self, mut each: impl FnMut(LinkId, [u64; 2])) {
        for (index, capacity) in self.capacity.iter_mut().enumerate() {
            if let Some(capacity) = capacity {
                let loads = [capacity.directions[0].window_carried, capacity.directions[1].window_carried];
                capacity.directions[0].window_carried = 0;
                capacity.directions[1].window_carried = 0;
                each(LinkId(index as u32), loads);
            }
        }
    }

    pub fn add_partition(&mut self, partition: Partition) -> usize {
        self.partitions.push(Some(partition));
        self.partitions_in_force += 1;
        self.partitions.len() - 1
    }

    /// Heals a partition (by index; other partitions keep their indices).
    pub fn heal_partition(&mut self, index: usize) {
        if self.partitions[index].take().is_some() {
            self.partitions_in_force -= 1;
        }
    }

    /// The one-way latency of the current route, ignoring gray failures and partitions; `None`
    /// when routing has no path. Used for nearest-region choices and reports.
    pub fn route_one_way(&self, from: RegionId, to: RegionId) -> Option<SimDuration> {
        if from == to {
            return Some(self.intra_region_one_way);
        }
        self.routes[self.pair(from, to)].one_way
    }

    /// The links of the current route from `from` to `to`.
    pub fn route_links(&self, from: RegionId, to: RegionId) -> &[LinkId] {
        &self.routes[self.pair(from, to)].links
    }

    /// What becomes of one message of `flow` from `from` to `to`: its delay, lost on the way
    /// (a partition, a black-holed route before convergence, a lossy link, a full buffer), or
    /// no route at all (which the sender's first router knows at once).
    #[inline]
    pub fn send(&mut self, from: RegionId, to: RegionId, flow: u64, now: SimTime, rng: &mut SimRng) -> Transit {
        if from == to {
            return if self.partitioned(from, to, flow) { Transit::Lost } else { Transit::Delay(self.intra_region_one_way) };
        }
        let index = self.pair(from, to);
        let Some(base) = self.routes[index].one_way else { return Transit::NoRoute };
        if self.partitioned(from, to, flow) || self.route_broken[index] {
            return Transit::Lost;
        }
        if !self.route_gray[index] {
            return Transit::Delay(base);
        }
        self.slow_transit(index, now, rng).map_or(Transit::Lost, Transit::Delay)
    }

    /// Whether a partition in force drops this message (none in force: one comparison).
    #[inline(always)]
    fn partitioned(&self, from: RegionId, to: RegionId, flow: u64) -> bool {
        self.partitions_in_force > 0 && self.partitions.iter().flatten().any(|p| p.drops(from, to, flow))
    }

    /// Link by link: gray degradations, then the queue of a capacity-limited link. The queueing
    /// wait counts towards when the message reaches the next links.
    fn slow_transit(&mut self, index: usize, now: SimTime, rng: &mut SimRng) -> Option<SimDuration> {
        let mut total = 0.0f64;
        for hop in 0..self.routes[index].links.len() {
            let link = self.routes[index].links[hop].0 as usize;
            let gray = self.gray[link];
            if gray.loss > 0.0 && rng.random::<f64>() < gray.loss {
                return None;
            }
            if let Some(capacity) = &mut self.capacity[link] {
                let direction = usize::from(!self.routes[index].forward[hop]);
                let reached = now + SimDuration((total + 0.5) as u64);
                total += capacity.enter(direction, reached)? * 1e9;
            }
            let jitter = if gray.jitter.0 > 0 { rng.random::<f64>() * gray.jitter.0 as f64 } else { 0.0 };
            total += self.link_one_way[link].0 as f64 * gray.multiplier + gray.added.0 as f64 + jitter;
        }
        Some(SimDuration((total + 0.5) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Network {
        /// One message's delay, or `None` if it is lost or has no route.
        fn transit(&mut self, from: RegionId, to: RegionId, flow: u64, now: SimTime, rng: &mut SimRng) -> Option<SimDuration> {
            match self.send(from, to, flow, now, rng) {
                Transit::Delay(delay) => Some(delay),
                Transit::Lost | Transit::NoRoute => None,
            }
        }
    }
    use crate::kernel::RngStreams;
    use crate::world::GeoPoint;
    use crate::world::topology::{Link, LinkKind, NodeId, Region};
    use std::collections::BTreeMap;

    /// a —1ms— b —1ms— c, and a —5ms— c directly.
    fn triangle() -> Topology {
        let region = |id: &str| Region { id: id.into(), name: id.into(), position: GeoPoint::new(0.0, 0.0), utc_offset_s: 0 };
        let link = |name: &str, a: u32, b: u32, ms: u64| Link {
            name: name.into(),
            kind: LinkKind::Cable,
            ends: [NodeId(a), NodeId(b)],
            groups: vec![],
            path: vec![],
            one_way: SimDuration::from_millis(ms),
        };
        Topology {
            name: "triangle".into(),
            description: String::new(),
            regions: vec![region("a"), region("b"), region("c")],
            sites: vec![],
            links: vec![link("ab", 0, 1, 1), link("bc", 1, 2, 1), link("ac", 0, 2, 5)],
            groups: BTreeMap::new(),
            intra_region_rtt: SimDuration::ZERO,
        }
    }

    const A: RegionId = RegionId(0);
    const C: RegionId = RegionId(2);

    #[test]
    fn routes_know_their_links_and_a_cut_black_holes_until_convergence() {
        let mut network = Network::new(&triangle());
        let mut rng = RngStreams::new(1).stream("network", 0);
        assert_eq!(network.route_links(A, C), &[LinkId(0), LinkId(1)]);
        assert_eq!(network.transit(A, C, 1, SimTime::ZERO, &mut rng), Some(SimDuration::from_millis(2)));
        network.set_links_up(&[LinkId(1)], false);
        assert_eq!(network.transit(A, C, 1, SimTime::ZERO, &mut rng), None, "black-holed before convergence");
        network.converge();
        assert_eq!(network.route_links(A, C), &[LinkId(2)]);
        assert_eq!(network.transit(A, C, 1, SimTime::ZERO, &mut rng), Some(SimDuration::from_millis(5)));
        network.set_links_up(&[LinkId(1)], true);
        assert_eq!(
            network.transit(A, C, 1, SimTime::ZERO, &mut rng),
            Some(SimDuration::from_millis(5)),
            "the detour holds until convergence"
        );
        network.converge();
        assert_eq!(network.transit(A, C, 1, SimTime::ZERO, &mut rng), Some(SimDuration::from_millis(2)));
    }

    #[test]
    fn gray_links_add_latency_jitter_and_loss() {
        let mut network = Network::new(&triangle());
        let mut rng = RngStreams::new(2).stream("network", 0);
        let gray = LinkGray { loss: 0.0, added: SimDuration::from_millis(3), multiplier: 2.0, jitter: SimDuration::ZERO };
        network.set_gray(&[LinkId(0)], gray);
        // ab: 1 ms × 2 + 3 ms; bc: 1 ms.
        assert_eq!(network.transit(A, C, 1, SimTime::ZERO, &mut rng), Some(SimDuration::from_millis(6)));
        network.set_gray(&[LinkId(0)], LinkGray { jitter: SimDuration::from_millis(4), ..LinkGray::default() });
        let delays: Vec<u64> = (0..2000).map(|_| network.transit(A, C, 1, SimTime::ZERO, &mut rng).unwrap().0).collect();
        assert!(delays.iter().all(|d| (2_000_000..=6_000_000).contains(d)));
        let mean = delays.iter().sum::<u64>() as f64 / delays.len() as f64;
        assert!((mean - 4e6).abs() < 0.1e6, "mean delay {mean}");
        network.set_gray(&[LinkId(0)], LinkGray { loss: 0.3, ..LinkGray::default() });
        let lost = (0..10_000).filter(|_| network.transit(A, C, 1, SimTime::ZERO, &mut rng).is_none()).count();
        assert!((2700..3300).contains(&lost), "lost {lost} of 10,000 at 30 %");
    }

    #[test]
    fn partitions_drop_by_direction_and_share() {
        let mut network = Network::new(&triangle());
        let mut rng = RngStreams::new(3).stream("network", 0);
        let one_way =
            network.add_partition(Partition { from: vec![true, false, false], to: vec![false, false, true], both_ways: false, share: 1.0 });
        assert_eq!(network.transit(A, C, 7, SimTime::ZERO, &mut rng), None);
        assert!(network.transit(C, A, 7, SimTime::ZERO, &mut rng).is_some(), "one-way: c still reaches a");
        network.heal_partition(one_way);
        assert!(network.transit(A, C, 7, SimTime::ZERO, &mut rng).is_some());
        network.add_partition(Partition { from: vec![true, false, false], to: vec![false, false, true], both_ways: true, share: 0.25 });
        let dropped = (0..10_000u64).filter(|flow| network.transit(C, A, *flow, SimTime::ZERO, &mut rng).is_none()).count();
        assert!((2300..2700).contains(&dropped), "a quarter of flows: {dropped}");
        let flow_is_stable = (0..100u64).all(|flow| {
            network.transit(A, C, flow, SimTime::ZERO, &mut rng).is_none() == network.transit(A, C, flow, SimTime::ZERO, &mut rng).is_none()
        });
        assert!(flow_is_stable, "a flow is either partitioned or not");
    }
}
