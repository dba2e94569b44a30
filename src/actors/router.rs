//! The router: GeoDNS plus the front-door load balancer, deciding which region serves a request.
//!
//! `Nearest` sends each request to the serving region with the lowest RTT from the client's
//! region in the intact world: like GeoDNS, it maps clients by geography and does not follow
//! cable cuts (traffic then takes whatever detour routing finds). `Weighted` draws among serving
//! regions with per-client-region weights, as weighted DNS records do. Regions the router
//! considers unhealthy are skipped; with no health checks, every region is considered healthy,
//! so requests keep going to a region that is down. If no candidate is left, the request fails
//! as unreachable at once. Simplification: the choice costs no time beyond the access hop.

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
    /// For each client region: reachable servers, nearest first.
    preference: Vec<Vec<ServerIndex>>,
    /// For each client region: weighted candidates (empty: use `preference`).
    weighted: Vec<Vec<(ServerIndex, f64)>>,
    /// The router's view of each server's health.
    healthy: Vec<bool>,
    rng: SimRng,
}

impl Router {
    /// `intact` is the RTT matrix of the world with every link up.
    pub fn new(policy: Policy, server_regions: &[RegionId], intact: &RttMatrix, rng: SimRng) -> Self {
        let regions = intact.region_count();
        let preference = (0..regions).map(|from| by_distance(RegionId(from as u32), server_regions, intact)).collect();
        let weighted = match policy {
            Policy::Nearest => vec![Vec::new(); regions],
            Policy::Weighted(rows) => rows,
        };
        Router { preference, weighted, healthy: vec![true; server_regions.len()], rng }
    }

    pub fn set_healthy(&mut self, server: ServerIndex, healthy: bool) {
        self.healthy[server as usize] = healthy;
    }

    /// The server for a request from `origin`, or `None` when no candidate is left.
    pub fn choose(&mut self, origin: RegionId) -> Option<ServerIndex> {
        let row = &self.weighted[origin.0 as usize];
        if !row.is_empty() {
            let total: f64 = row.iter().filter(|(s, _)| self.healthy[*s as usize]).map(|(_, w)| w).sum();
            if total > 0.0 {
                let mut draw = self.rng.random::<f64>() * total;
                for &(server, weight) in row.iter().filter(|(s, _)| self.healthy[*s as usize]) {
                    if draw < weight {
                        return Some(server);
                    }
                    draw -= weight;
                }
                return row.iter().rev().find(|(s, _)| self.healthy[*s as usize]).map(|(s, _)| *s);
            }
        }
        self.preference[origin.0 as usize].iter().copied().find(|s| self.healthy[*s as usize])
    }
}

fn by_distance(from: RegionId, server_regions: &[RegionId], rtt: &RttMatrix) -> Vec<ServerIndex> {
    let mut reachable: Vec<_> =
        server_regions.iter().enumerate().filter_map(|(index, &region)| rtt.rtt(from, region).map(|d| (d, index as ServerIndex))).collect();
    reachable.sort();
    reachable.into_iter().map(|(_, index)| index).collect()
}
