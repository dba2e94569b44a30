//! The router: GeoDNS plus the front-door load balancer, deciding which region serves a request.
//!
//! `Nearest` sends each request to the serving region with the lowest RTT from the client's
//! region in the intact world: like GeoDNS, it maps clients by geography and does not follow
//! cable cuts (traffic then takes whatever detour routing finds). `Weighted` draws among serving
//! regions with per-client-region weights, as weighted DNS records do. Only regions GeoDNS
//! considers healthy are answered; with no health checks every region is, so requests keep
//! going to a region that is down. If no candidate is left, the request fails as unreachable.
//!
//! DNS answers are cached. When GeoDNS's view of health changes, a client sees the change only
//! when its cached answer expires: its cache age is uniform over the TTL, so traffic moves over
//! one TTL; a share of clients (stale resolvers, long-lived connections) keeps answers for
//! `stale_for` instead. Each change is an epoch; a request uses the epoch its client's cache
//! holds. Simplification: the choice costs no time beyond the access hop.

use crate::kernel::{SimDuration, SimRng, SimTime};
use crate::world::{RegionId, RttMatrix};
use rand::RngExt;

/// Index of a server in the model's server list.
pub type ServerIndex = u32;

pub enum Policy {
    Nearest,
    /// Per client region index: the weighted serving regions, or empty to fall back to nearest.
    /// A service not present in any of a row's regions falls back to nearest too.
    Weighted(Vec<Vec<(RegionId, f64)>>),
}

/// How clients cache DNS answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DnsCaching {
    pub ttl: SimDuration,
    /// Share of clients whose resolvers keep answers for `stale_for` instead of the TTL.
    pub stale_share: f64,
    pub stale_for: SimDuration,
}

impl DnsCaching {
    pub const DEFAULT: DnsCaching = DnsCaching { ttl: SimDuration::from_secs(60), stale_share: 0.0, stale_for: SimDuration::ZERO };
}

/// GeoDNS's view of health from a point in time on.
struct Epoch {
    from: SimTime,
    healthy: Vec<bool>,
}

pub struct Router {
    /// For each service, for each client region: reachable servers, nearest first.
    preference: Vec<Vec<Vec<ServerIndex>>>,
    /// For each service, for each client region: weighted candidates (empty: use `preference`).
    weighted: Vec<Vec<Vec<(ServerIndex, f64)>>>,
    /// Per server, per vantage: does that vantage see it healthy?
    votes: Vec<Vec<bool>>,
    /// GeoDNS's answers over time; never empty.
    epochs: Vec<Epoch>,
    caching: DnsCaching,
    /// While true (a control-plane failure), health changes are not published.
    pub frozen: bool,
    rng: SimRng,
}

impl Router {
    /// `servers` gives each server's service and region; `intact` is the RTT matrix of the world
    /// with every link up.
    pub fn new(policy: Policy, servers: &[(u32, RegionId)], intact: &RttMatrix, vantages: usize, caching: DnsCaching, rng: SimRng) -> Self {
        let regions = intact.region_count();
        let services = servers.iter().map(|(service, _)| *service as usize + 1).max().unwrap_or(0);
        let of_service = |service: usize| -> Vec<(ServerIndex, RegionId)> {
            servers.iter().enumerate().filter(|(_, (s, _))| *s as usize == service).map(|(i, (_, r))| (i as ServerIndex, *r)).collect()
        };
        let preference = (0..services)
            .map(|service| (0..regions).map(|from| by_distance(RegionId(from as u32), &of_service(service), intact)).collect())
            .collect();
        let weighted = (0..services)
            .map(|service| match &policy {
                Policy::Nearest => vec![Vec::new(); regions],
                Policy::Weighted(rows) => rows.iter().map(|row| weighted_servers(row, &of_service(service))).collect(),
            })
            .collect();
        let servers = servers.len();
        Router {
            preference,
            weighted,
            votes: vec![vec![true; vantages]; servers],
            epochs: vec![Epoch { from: SimTime::ZERO, healthy: vec![true; servers] }],
            caching,
            frozen: false,
            rng,
        }
    }

    fn current(&self) -> &[bool] {
        &self.epochs.last().expect("there is always an epoch").healthy
    }

    /// A vantage's view of a server changed. Returns the server's new published health when the
    /// majority view changes (and the control plane can publish it).
    pub fn on_view(&mut self, now: SimTime, server: ServerIndex, vantage: usize, healthy: bool) -> Option<bool> {
        self.votes[server as usize][vantage] = healthy;
        self.publish(now, server)
    }

    /// Publishes `server`'s majority health if it differs from the current answer.
    pub fn publish(&mut self, now: SimTime, server: ServerIndex) -> Option<bool> {
        let votes = &self.votes[server as usize];
        let healthy = votes.iter().filter(|v| **v).count() * 2 >= votes.len();
        if self.frozen || self.current()[server as usize] == healthy {
            return None;
        }
        let mut next = self.current().to_vec();
        next[server as usize] = healthy;
        self.epochs.push(Epoch { from: now, healthy: next });
        Some(healthy)
    }

    /// Re-publishes every server after a control-plane failure ends.
    pub fn thaw(&mut self, now: SimTime) -> Vec<(ServerIndex, bool)> {
        self.frozen = false;
        (0..self.votes.len() as ServerIndex).filter_map(|s| self.publish(now, s).map(|h| (s, h))).collect()
    }

    /// The epoch whose answers a client sees now, given how old its cached answer is.
    fn seen_epoch(&mut self, now: SimTime) -> usize {
        let latest = self.epochs.len() - 1;
        // Once the last change is older than any cached answer can be, everyone sees it: no
        // draw needed (the draws below could not pick an older epoch).
        let longest = self.caching.ttl.max(self.caching.stale_for);
        if latest == 0 || now >= self.epochs[latest].from + longest {
            return latest;
        }
        let stale = self.caching.stale_share > 0.0 && self.rng.random::<f64>() < self.caching.stale_share;
        let lifetime = if stale { self.caching.stale_for } else { self.caching.ttl };
        let age = SimDuration::from_secs_f64(lifetime.as_secs_f64() * self.rng.random::<f64>());
        let cached_at = SimTime(now.0.saturating_sub(age.0));
        self.epochs.partition_point(|e| e.from <= cached_at).max(1) - 1
    }

    /// The server of `service` for a request from `origin`, or `None` when no candidate is left.
    pub fn choose(&mut self, origin: RegionId, service: u32, now: SimTime) -> Option<ServerIndex> {
        let weighted = !self.weighted[service as usize][origin.0 as usize].is_empty();
        let draw = if weighted { self.rng.random::<f64>() } else { 0.0 };
        let epoch = self.seen_epoch(now);
        let healthy = &self.epochs[epoch].healthy;
        let is_healthy = |s: &ServerIndex| healthy[*s as usize];
        if weighted {
            let row = &self.weighted[service as usize][origin.0 as usize];
            let total: f64 = row.iter().filter(|(s, _)| is_healthy(s)).map(|(_, w)| w).sum();
            if total > 0.0 {
                let mut remaining = draw * total;
                for (server, weight) in row.iter().filter(|(s, _)| is_healthy(s)) {
                    if remaining < *weight {
                        return Some(*server);
                    }
                    remaining -= weight;
                }
                return row.iter().rev().find(|(s, _)| is_healthy(s)).map(|(s, _)| *s);
            }
        }
        self.preference[service as usize][origin.0 as usize].iter().copied().find(is_healthy)
    }

    /// Whether GeoDNS currently answers `server`.
    pub fn published_healthy(&self, server: ServerIndex) -> bool {
        self.current()[server as usize]
    }
}

/// A weighted row's regions, as the servers of one service (regions without one are skipped).
fn weighted_servers(row: &[(RegionId, f64)], servers: &[(ServerIndex, RegionId)]) -> Vec<(ServerIndex, f64)> {
    row.iter().filter_map(|(region, weight)| servers.iter().find(|(_, r)| r == region).map(|(s, _)| (*s, *weight))).collect()
}

fn by_distance(from: RegionId, servers: &[(ServerIndex, RegionId)], rtt: &RttMatrix) -> Vec<ServerIndex> {
    let mut reachable: Vec<_> = servers.iter().filter_map(|&(index, region)| rtt.rtt(from, region).map(|d| (d, index))).collect();
    reachable.sort();
    reachable.into_iter().map(|(_, index)| index).collect()
}
