//! The planet as a kernel `Model`: the actors, the network between them, the fault injector and
//! the recorder.
//!
//! Actor addresses are dense: populations first, then the router, the fault injector, and the
//! servers. Every message between regions crosses the [`Network`]: it takes the current route's
//! delay, or is lost (a cut not yet re-converged, a partition, a lossy gray link). A request
//! whose region has no route at all fails fast as unreachable; a lost message is noticed only by
//! the client's timeout, as in reality.

use crate::actors::client::Population;
use crate::actors::messages::{Msg, Outcome, RequestRef};
use crate::actors::router::Router;
use crate::actors::server::{Reply, Server};
use crate::faults::{FaultAction, FaultPlan};
use crate::kernel::{ActorId, Model, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::Recorder;
use crate::world::{LinkGray, Network, Partition, RegionId};

pub struct Planet {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    pub network: Network,
    /// Loss and jitter draws of gray links.
    pub network_rng: SimRng,
    pub faults: FaultPlan,
    /// For each fault: the partition it installed, while it lasts.
    partition_of_fault: Vec<Option<usize>>,
    /// For each fault: whether it is active (flapping stops when it ends).
    fault_active: Vec<bool>,
    pub recorder: Recorder,
    /// Messages the network dropped.
    pub messages_lost: u64,
}

/// Where each actor lives in the `ActorId` space.
#[derive(Clone, Copy, Debug)]
pub struct Addresses {
    pub populations: u32,
}

impl Addresses {
    pub fn population(self, index: u32) -> ActorId {
        ActorId(index)
    }
    pub fn router(self) -> ActorId {
        ActorId(self.populations)
    }
    pub fn injector(self) -> ActorId {
        ActorId(self.populations + 1)
    }
    pub fn server(self, index: u32) -> ActorId {
        ActorId(self.populations + 2 + index)
    }
    pub fn server_index(self, actor: ActorId) -> usize {
        (actor.0 - self.populations - 2) as usize
    }
}

/// A request's flow id: what a partial partition hashes to decide whether it is affected.
fn flow(request: RequestRef) -> u64 {
    (u64::from(request.population) << 48) ^ (u64::from(request.slot) << 20) ^ u64::from(request.generation)
}

impl Planet {
    pub fn new(
        populations: Vec<Population>,
        router: Router,
        servers: Vec<Server>,
        network: Network,
        network_rng: SimRng,
        faults: FaultPlan,
        recorder: Recorder,
    ) -> Self {
        let count = faults.faults.len();
        Planet {
            populations,
            router,
            servers,
            network,
            network_rng,
            faults,
            partition_of_fault: vec![None; count],
            fault_active: vec![false; count],
            recorder,
            messages_lost: 0,
        }
    }

    pub fn addresses(&self) -> Addresses {
        Addresses { populations: self.populations.len() as u32 }
    }

    /// Schedules every fault's start and end; call once before the run.
    pub fn schedule_faults(&self, ctx: &mut Scheduler<Msg>) {
        let injector = self.addresses().injector();
        for (index, fault) in self.faults.faults.iter().enumerate() {
            ctx.send_at(fault.start, injector, Msg::Fault { fault: index as u16, starting: true });
            if let Some(end) = fault.end {
                ctx.send_at(end, injector, Msg::Fault { fault: index as u16, starting: false });
            }
        }
    }

    fn transit(&mut self, from: RegionId, to: RegionId, request: RequestRef) -> Option<SimDuration> {
        let delay = self.network.transit(from, to, flow(request), &mut self.network_rng);
        self.messages_lost += u64::from(delay.is_none());
        delay
    }

    fn dispatch(&mut self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let addresses = self.addresses();
        let origin = self.populations[request.population as usize].region;
        let Some(server) = self.router.choose(origin) else { return self.fail_fast(ctx, request) };
        let region = self.servers[server as usize].region;
        if self.network.route_one_way(origin, region).is_none() {
            // No route at all: the client's first router answers "unreachable" at once.
            return self.fail_fast(ctx, request);
        }
        if let Some(delay) = self.transit(origin, region, request) {
            ctx.send(delay, addresses.server(server), Msg::Request { request });
        }
    }

    fn fail_fast(&self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let back = self.populations[request.population as usize].access_one_way();
        ctx.send(back, self.addresses().population(request.population), Msg::Response { request, outcome: Outcome::Unreachable });
    }

    fn reply(&mut self, ctx: &mut Scheduler<Msg>, server: usize, reply: Reply) {
        let population = &self.populations[reply.to.population as usize];
        let (origin, access) = (population.region, population.access_one_way());
        let Some(backbone) = self.transit(self.servers[server].region, origin, reply.to) else { return };
        ctx.send(
            backbone + access,
            self.addresses().population(reply.to.population),
            Msg::Response { request: reply.to, outcome: reply.outcome },
        );
    }

    fn on_fault(&mut self, ctx: &mut Scheduler<Msg>, index: u16, starting: bool) {
        let fault = &self.faults.faults[index as usize];
        let (name, kind) = (fault.name.clone(), fault.action.kind());
        self.recorder.log(ctx.now(), if starting { "fault-start" } else { "fault-end" }, &name, kind.to_string());
        self.fault_active[index as usize] = starting;
        let injector = self.addresses().injector();
        match self.faults.faults[index as usize].action.clone() {
            FaultAction::Cut { links } => {
                self.network.set_links_up(&links, !starting);
                ctx.send(self.faults.convergence_delay, injector, Msg::Converge);
            }
            FaultAction::Partition { from, to, both_ways, share } => {
                if starting {
                    self.partition_of_fault[index as usize] = Some(self.network.add_partition(Partition { from, to, both_ways, share }));
                } else if let Some(partition) = self.partition_of_fault[index as usize].take() {
                    self.network.heal_partition(partition);
                }
            }
            FaultAction::GrayLink { links, gray } => self.network.set_gray(&links, if starting { gray } else { LinkGray::default() }),
            FaultAction::Flap { links, .. } => {
                if starting {
                    ctx.send(SimDuration::ZERO, injector, Msg::Flap { fault: index, down: true });
                } else {
                    self.network.set_links_up(&links, true);
                    self.network.converge();
                }
            }
            action => {
                for &server in action.servers() {
                    ctx.send(SimDuration::ZERO, self.addresses().server(server), Msg::ServerFault { fault: index, starting });
                }
            }
        }
    }

    fn on_flap(&mut self, ctx: &mut Scheduler<Msg>, index: u16, down: bool) {
        if !self.fault_active[index as usize] {
            return;
        }
        let FaultAction::Flap { links, period } = self.faults.faults[index as usize].action.clone() else { return };
        self.network.set_links_up(&links, !down);
        self.network.converge();
        ctx.send(period, self.addresses().injector(), Msg::Flap { fault: index, down: !down });
    }

    fn on_converge(&mut self, now: SimTime) {
        self.network.converge();
        let detail = format!("convergence {}", self.network.convergences);
        self.recorder.log(now, "routes-converged", "network", detail);
    }
}

impl Model for Planet {
    type Msg = Msg;

    fn handle(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let addresses = self.addresses();
        match msg {
            Msg::Arrive => self.populations[target.0 as usize].on_arrive(ctx, target, &mut self.recorder),
            Msg::Dispatch { request } => self.dispatch(ctx, request),
            Msg::Request { request } => {
                let server = addresses.server_index(target);
                if let Some(reply) = self.servers[server].on_request(ctx, target, request) {
                    self.reply(ctx, server, reply);
                }
            }
            Msg::ServiceDone { worker, epoch } => {
                let server = addresses.server_index(target);
                if let Some(reply) = self.servers[server].on_done(ctx, target, worker, epoch) {
                    self.reply(ctx, server, reply);
                }
            }
            Msg::Response { request, outcome } => {
                self.populations[target.0 as usize].on_response(ctx, target, request, outcome, &mut self.recorder)
            }
            Msg::Timeout { request } => self.populations[target.0 as usize].on_timeout(ctx.now(), request, &mut self.recorder),
            Msg::AttemptTimeout { request } => {
                self.populations[target.0 as usize].on_attempt_timeout(ctx, target, request, &mut self.recorder)
            }
            Msg::Retry { request } => self.populations[target.0 as usize].on_retry(ctx, target, request, &mut self.recorder),
            Msg::Hedge { request } => self.populations[target.0 as usize].on_hedge(ctx, target, request, &mut self.recorder),
            Msg::Fault { fault, starting } => self.on_fault(ctx, fault, starting),
            Msg::ServerFault { fault, starting } => {
                if let Some(order) = self.faults.faults[fault as usize].action.server_order(starting) {
                    self.servers[addresses.server_index(target)].on_order(ctx, target, order);
                }
            }
            Msg::Converge => self.on_converge(ctx.now()),
            Msg::Flap { fault, down } => self.on_flap(ctx, fault, down),
        }
    }
}
