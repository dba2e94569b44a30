//! The router: GeoDNS plus the front-door load balancer, deciding which region serves a request.
//!
//! `Nearest` sends each request to the serving region with the lowest RTT from the client's
//! region; `Weighted` draws among serving regions with per-client-region weights, as GeoDNS
//! weighted records do. Only reachable regions are candidates: if none is, the request fails as
//! unreachable at once. Simplification: DNS answers are fresh (TTLs and stale resolvers arrive
//! with the failover layer), and the choice costs no time beyond the client's access hop.

use crate::kernel::SimRng;
use crate::world::{RegionId, RttMatrix};
use rand::RngExt;

/// Index of a server in the model's server list.
pub type ServerIndex = u32;

pub enum Policy {
    Nearest,
    /// Per region index: the weighted candidates, or empty to fall back to nearest.
    Weighted(Vec<Vec<(ServerIndex, f64)>>),
}

pub struct Router {
    policy: Policy,
    /// For each region: the nearest reachable server, if any.
    nearest: Vec<Option<ServerIndex>>,
    /// For each region: the reachable weighted candidates with cumulative weights.
    weighted: Vec<Vec<(ServerIndex, f64)>>,
    rng: SimRng,
}

impl Router {
    pub fn new(policy: Policy, server_regions: &[RegionId], rtt: &RttMatrix, rng: SimRng) -> Self {
        let mut router = Router { policy, nearest: Vec::new(), weighted: Vec::new(), rng };
        router.reroute(server_regions, rtt);
        router
    }

    /// Recomputes the choices for the current RTTs (after a topology change).
    pub fn reroute(&mut self, server_regions: &[RegionId], rtt: &RttMatrix) {
        let regions = rtt.region_count();
        self.nearest = (0..regions).map(|from| nearest_server(RegionId(from as u32), server_regions, rtt)).collect();
        self.weighted = match &self.policy {
            Policy::Nearest => vec![Vec::new(); regions],
            Policy::Weighted(rows) => {
                (0..regions).map(|from| cumulative_reachable(RegionId(from as u32), &rows[from], server_regions, rtt)).collect()
            }
        };
    }

    /// The server for a request from `origin`, or `None` when no serving region is reachable.
    pub fn choose(&mut self, origin: RegionId) -> Option<ServerIndex> {
        let candidates = &self.weighted[origin.0 as usize];
        let Some(&(_, total)) = candidates.last() else { return self.nearest[origin.0 as usize] };
        let draw = self.rng.random::<f64>() * total;
        candidates.iter().find(|(_, cumulative)| draw < *cumulative).or(candidates.last()).map(|(server, _)| *server)
    }
}

fn nearest_server(from: RegionId, server_regions: &[RegionId], rtt: &RttMatrix) -> Option<ServerIndex> {
    server_regions
        .iter()
        .enumerate()
        .filter_map(|(index, &region)| rtt.rtt(from, region).map(|d| (d, index as ServerIndex)))
        .min()
        .map(|(_, index)| index)
}

fn cumulative_reachable(
    from: RegionId,
    row: &[(ServerIndex, f64)],
    server_regions: &[RegionId],
    rtt: &RttMatrix,
) -> Vec<(ServerIndex, f64)> {
    let mut total = 0.0;
    row.iter()
        .filter(|(server, _)| rtt.rtt(from, server_regions[*server as usize]).is_some())
        .map(|&(server, weight)| {
            total += weight;
            (server, total)
        })
        .collect()
}
