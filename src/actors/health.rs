//! Health checks: probers in vantage regions that ask every serving region "are you alive?"
//! every interval, and report what they see to GeoDNS (the router).
//!
//! A *shallow* probe is answered by the server at once if it is powered: it checks liveness and
//! reachability, not service. A *deep* probe is a real request through the server's queue, so a
//! server that is up but failing its requests (an error-servers fault) or drowning in its queue
//! fails it. A probe that gets no answer within the timeout fails. After `unhealthy_after`
//! consecutive failures a vantage sees the server as unhealthy; after `healthy_after` successes,
//! healthy again (failback). GeoDNS takes the majority of vantages.

use super::messages::{Msg, RequestRef};
use crate::kernel::{ActorId, Scheduler, SimDuration};
use crate::world::RegionId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Shallow,
    Deep,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthPolicy {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub unhealthy_after: u32,
    pub healthy_after: u32,
    pub kind: ProbeKind,
    /// Regions the probes are sent from.
    pub vantages: Vec<RegionId>,
}

/// What one vantage knows of one server.
#[derive(Clone, Copy, Debug)]
struct View {
    /// The sequence number of the probe in flight, if any.
    outstanding: Option<u32>,
    failures: u32,
    successes: u32,
    healthy: bool,
}

/// A prober in one vantage region.
pub struct Prober {
    pub vantage: RegionId,
    /// Its caller index in `RequestRef::caller` (after the client populations).
    pub caller: u16,
    views: Vec<View>,
    next_seq: u32,
}

/// A change of a vantage's view, for the router.
pub struct ViewChange {
    pub server: u32,
    pub healthy: bool,
}

impl Prober {
    pub fn new(vantage: RegionId, caller: u32, servers: usize) -> Self {
        let view = View { outstanding: None, failures: 0, successes: 0, healthy: true };
        Prober { vantage, caller: super::client::caller_index(caller), views: vec![view; servers], next_seq: 0 }
    }

    /// Sends one probe to every server: pushes (server, probe) into `probes` for the caller to
    /// dispatch over the network. The timeout is shorter than the interval (validated), so the
    /// previous probe to each server has been settled by now.
    pub fn tick(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, policy: &HealthPolicy, probes: &mut Vec<(u32, RequestRef)>) {
        for server in 0..self.views.len() as u32 {
            let seq = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(1);
            self.views[server as usize].outstanding = Some(seq);
            // Probes are critical: admission control sheds them last.
            let probe = RequestRef { caller: self.caller, slot: server, generation: seq, attempt: 0, priority: 0 };
            probes.push((server, probe));
            ctx.send(policy.timeout, me, Msg::ProbeTimeout { request: probe });
        }
        ctx.send(policy.interval, me, Msg::ProbeTick);
    }

    /// An answer (`ok`: served) or a timeout (`ok` false) for `probe`.
    pub fn on_result(&mut self, probe: RequestRef, ok: bool, policy: &HealthPolicy) -> Option<ViewChange> {
        let view = &mut self.views[probe.slot as usize];
        if view.outstanding != Some(probe.generation) {
            return None;
        }
        view.outstanding = None;
        self.record(probe.slot, ok, policy)
    }

    fn record(&mut self, server: u32, ok: bool, policy: &HealthPolicy) -> Option<ViewChange> {
        let view = &mut self.views[server as usize];
        view.outstanding = None;
        if ok {
            view.successes += 1;
            view.failures = 0;
        } else {
            view.failures += 1;
            view.successes = 0;
        }
        let flips = if view.healthy { view.failures >= policy.unhealthy_after } else { view.successes >= policy.healthy_after };
        flips.then(|| {
            view.healthy = !view.healthy;
            ViewChange { server, healthy: view.healthy }
        })
    }
}
