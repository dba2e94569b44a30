//! The planet as a kernel `Model`: the actors, the network between them, the fault injector and
//! the recorder.
//!
//! Actor addresses are dense: populations, the router, the fault injector, the servers, the
//! health-check probers. Every message between regions crosses the [`Network`]: it takes the
//! current route's delay, or is lost (a cut not yet re-converged, a partition, a lossy gray
//! link). A request whose region has no route at all fails fast as unreachable; a lost message
//! is noticed only by a timeout, as in reality.

use crate::actors::client::Population;
use crate::actors::health::{HealthPolicy, ProbeKind, Prober};
use crate::actors::messages::{Msg, Outcome, RequestRef};
use crate::actors::router::Router;
use crate::actors::server::{Reply, Server};
use crate::faults::{FaultAction, FaultPlan};
use crate::kernel::{ActorId, Model, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{Recorder, StateValue, Subject};
use crate::world::{LinkGray, Network, Partition, RegionId};

pub struct Planet {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    /// Health-check probers, one per vantage region (none without health checks).
    pub probers: Vec<Prober>,
    health: Option<HealthPolicy>,
    /// Reused between probe rounds, so probing does not allocate.
    probe_buffer: Vec<(u32, RequestRef)>,
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
    /// Region ids by index, for event logs.
    pub region_names: Vec<String>,
    /// How often states are sampled (the timeline window).
    sample_every: SimDuration,
}

/// What a planet is built from.
pub struct PlanetParts {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    pub health: Option<HealthPolicy>,
    pub network: Network,
    pub network_rng: SimRng,
    pub faults: FaultPlan,
    pub recorder: Recorder,
    pub region_names: Vec<String>,
    pub sample_every: SimDuration,
}

/// Where each actor lives in the `ActorId` space.
#[derive(Clone, Copy, Debug)]
pub struct Addresses {
    pub populations: u32,
    pub servers: u32,
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
    pub fn prober(self, index: u32) -> ActorId {
        ActorId(self.populations + 2 + self.servers + index)
    }
    pub fn prober_index(self, actor: ActorId) -> usize {
        (actor.0 - self.populations - 2 - self.servers) as usize
    }
}

/// A request's flow id: what a partial partition hashes to decide whether it is affected.
fn flow(request: RequestRef) -> u64 {
    (u64::from(request.population) << 48) ^ (u64::from(request.slot) << 20) ^ u64::from(request.generation)
}

impl Planet {
    pub fn new(parts: PlanetParts) -> Self {
        let PlanetParts { populations, router, servers, health, network, network_rng, faults, recorder, region_names, sample_every } =
            parts;
        let count = faults.faults.len();
        let callers = populations.len() as u32;
        let server_count = servers.len();
        let probers = health
            .iter()
            .flat_map(|policy| {
                policy.vantages.iter().enumerate().map(move |(i, &region)| Prober::new(region, callers + i as u32, server_count))
            })
            .collect();
        Planet {
            populations,
            router,
            servers,
            probers,
            health,
            probe_buffer: Vec::new(),
            network,
            network_rng,
            faults,
            partition_of_fault: vec![None; count],
            fault_active: vec![false; count],
            recorder,
            messages_lost: 0,
            region_names,
            sample_every,
        }
    }

    pub fn addresses(&self) -> Addresses {
        Addresses { populations: self.populations.len() as u32, servers: self.servers.len() as u32 }
    }

    /// Where a caller (a population, or a prober after them) is: its region, its access hop and
    /// its address.
    fn caller(&self, index: u32) -> (RegionId, SimDuration, ActorId) {
        let addresses = self.addresses();
        match self.populations.get(index as usize) {
            Some(population) => (population.region, population.access_one_way(), addresses.population(index)),
            None => {
                let prober = index - addresses.populations;
                (self.probers[prober as usize].vantage, SimDuration::ZERO, addresses.prober(prober))
            }
        }
    }

    /// Schedules every fault's start and end, and the first health-check round; call once
    /// before the run.
    pub fn schedule(&self, ctx: &mut Scheduler<Msg>) {
        let addresses = self.addresses();
        for (index, fault) in self.faults.faults.iter().enumerate() {
            ctx.send_at(fault.start, addresses.injector(), Msg::Fault { fault: index as u16, starting: true });
            if let Some(end) = fault.end {
                ctx.send_at(end, addresses.injector(), Msg::Fault { fault: index as u16, starting: false });
            }
        }
        for index in 0..self.probers.len() as u32 {
            ctx.send(SimDuration::ZERO, addresses.prober(index), Msg::ProbeTick);
        }
        ctx.send(self.sample_every, addresses.injector(), Msg::Sample);
        for (index, server) in self.servers.iter().enumerate() {
            if let Some(scaler) = &server.autoscaler {
                ctx.send(scaler.policy.interval, addresses.server(index as u32), Msg::AutoscaleTick);
            }
            if let Some(modes) = &server.modes {
                ctx.send(modes.policy.interval, addresses.server(index as u32), Msg::ModeTick);
            }
        }
    }

    fn transit(&mut self, now: SimTime, from: RegionId, to: RegionId, request: RequestRef) -> Option<SimDuration> {
        let delay = self.network.transit(from, to, flow(request), now, &mut self.network_rng);
        self.messages_lost += u64::from(delay.is_none());
        delay
    }

    fn dispatch(&mut self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let addresses = self.addresses();
        let origin = self.populations[request.population as usize].region;
        let Some(server) = self.router.choose(origin, ctx.now()) else { return self.fail_fast(ctx, request) };
        let region = self.servers[server as usize].region;
        if self.network.route_one_way(origin, region).is_none() {
            // No route at all: the client's first router answers "unreachable" at once.
            return self.fail_fast(ctx, request);
        }
        if let Some(delay) = self.transit(ctx.now(), origin, region, request) {
            ctx.send(delay, addresses.server(server), Msg::Request { request });
        }
    }

    fn fail_fast(&self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let back = self.populations[request.population as usize].access_one_way();
        ctx.send(back, self.addresses().population(request.population), Msg::Response { request, outcome: Outcome::Unreachable });
    }

    fn reply(&mut self, ctx: &mut Scheduler<Msg>, server: usize, reply: Reply) {
        let (origin, access, caller) = self.caller(reply.to.population);
        let Some(backbone) = self.transit(ctx.now(), self.servers[server].region, origin, reply.to) else { return };
        ctx.send(backbone + access, caller, Msg::Response { request: reply.to, outcome: reply.outcome });
    }

    fn on_probe_tick(&mut self, ctx: &mut Scheduler<Msg>, prober: usize) {
        let policy = self.health.as_ref().expect("probers exist only with health checks");
        let mut probes = std::mem::take(&mut self.probe_buffer);
        probes.clear();
        let me = self.addresses().prober(prober as u32);
        self.probers[prober].tick(ctx, me, policy, &mut probes);
        let (vantage, kind) = (self.probers[prober].vantage, policy.kind);
        for &(server, probe) in &probes {
            let region = self.servers[server as usize].region;
            if let Some(delay) = self.transit(ctx.now(), vantage, region, probe) {
                let msg = match kind {
                    ProbeKind::Shallow => Msg::Probe { request: probe },
                    ProbeKind::Deep => Msg::Request { request: probe },
                };
                ctx.send(delay, self.addresses().server(server), msg);
            }
        }
        self.probe_buffer = probes;
    }

    fn on_probe_result(&mut self, now: SimTime, prober: usize, probe: RequestRef, ok: bool) {
        let policy = self.health.as_ref().expect("probers exist only with health checks");
        let Some(change) = self.probers[prober].on_result(probe, ok, policy) else { return };
        if let Some(healthy) = self.router.on_view(now, change.server, prober, change.healthy) {
            self.log_health(now, change.server, healthy);
        }
    }

    fn log_server(&mut self, now: SimTime, server: usize, notice: crate::actors::server::Notice) {
        let subject = self.region_names[self.servers[server].region.0 as usize].clone();
        self.recorder.log(now, notice.event, &subject, notice.detail);
    }

    fn log_health(&mut self, now: SimTime, server: u32, healthy: bool) {
        let subject = self.region_names[self.servers[server as usize].region.0 as usize].clone();
        let detail = if healthy { "healthy" } else { "unhealthy" };
        self.recorder.log(now, "dns-health", &subject, detail.to_string());
    }

    fn on_fault(&mut self, ctx: &mut Scheduler<Msg>, index: u16, starting: bool) {
        let now = ctx.now();
        let fault = &self.faults.faults[index as usize];
        let (name, action) = (fault.name.clone(), fault.action.clone());
        self.recorder.log(now, if starting { "fault-start" } else { "fault-end" }, &name, action.kind().to_string());
        self.fault_active[index as usize] = starting;
        let injector = self.addresses().injector();
        match action {
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
            FaultAction::ControlPlane => {
                if starting {
                    self.router.frozen = true;
                } else {
                    for (server, healthy) in self.router.thaw(now) {
                        self.log_health(now, server, healthy);
                    }
                }
                // Autoscalers are control plane too.
                for server in 0..self.servers.len() as u32 {
                    ctx.send(SimDuration::ZERO, self.addresses().server(server), Msg::ServerFault { fault: index, starting });
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

    /// Records each server's mode, published health, workers and queue, and each breaker's
    /// state, then schedules the next sample one window later.
    fn on_sample(&mut self, ctx: &mut Scheduler<Msg>) {
        let now = ctx.now();
        for (index, server) in self.servers.iter().enumerate() {
            let subject = Subject::Server(index as u32);
            let mode = server.modes.as_ref().map_or("target", |m| m.mode().as_str());
            let dns = if self.router.published_healthy(index as u32) { "healthy" } else { "unhealthy" };
            let record = &mut self.recorder;
            record.sample(now, subject, "mode", StateValue::Word(mode));
            record.sample(now, subject, "dns", StateValue::Word(dns));
            record.sample(now, subject, "workers_alive", StateValue::Count(server.alive_workers().into()));
            record.sample(now, subject, "workers_busy", StateValue::Count(server.busy_workers().into()));
            record.sample(now, subject, "queue_len", StateValue::Count(server.queue_len() as u64));
        }
        let recorder = &mut self.recorder;
        self.network.take_window_loads(|link, [forward, backward]| {
            recorder.sample(now, Subject::Link(link.0), "carried_forward", StateValue::Count(forward));
            recorder.sample(now, Subject::Link(link.0), "carried_backward", StateValue::Count(backward));
        });
        for (index, population) in self.populations.iter().enumerate() {
            if let Some(state) = population.breaker_state() {
                self.recorder.sample(now, Subject::Population(index as u32), "breaker", StateValue::Word(state.as_str()));
            }
        }
        ctx.send(self.sample_every, self.addresses().injector(), Msg::Sample);
    }

    fn on_converge(&mut self, now: SimTime) {
        self.network.converge();
        let detail = format!("convergence {}", self.network.convergences);
        self.recorder.log(now, "routes-converged", "network", detail);
    }

    fn on_server_message(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let server = self.addresses().server_index(target);
        let reply = match msg {
            Msg::Request { request } => self.servers[server].on_request(ctx, target, request),
            Msg::ServiceDone { worker, epoch } => self.servers[server].on_done(ctx, target, worker, epoch),
            Msg::Probe { request } => self.servers[server].is_up().then_some(Reply { to: request, outcome: Outcome::Served }),
            Msg::ServerFault { fault, starting } => {
                if let Some(order) = self.faults.faults[fault as usize].action.server_order(starting) {
                    self.servers[server].on_order(ctx, target, order);
                }
                None
            }
            Msg::AutoscaleTick => {
                if let Some(notice) = self.servers[server].on_autoscale_tick(ctx, target) {
                    self.log_server(ctx.now(), server, notice);
                }
                None
            }
            Msg::ModeTick => {
                if let Some(notice) = self.servers[server].on_mode_tick(ctx, target) {
                    self.log_server(ctx.now(), server, notice);
                }
                None
            }
            Msg::WorkersReady { count } => {
                let notice = self.servers[server].on_workers_ready(ctx, target, count);
                self.log_server(ctx.now(), server, notice);
                None
            }
            other => unreachable!("{other:?} is not a server message"),
        };
        if let Some(reply) = reply {
            self.reply(ctx, server, reply);
        }
        if !self.servers[server].pending_replies.is_empty() {
            let mut pending = std::mem::take(&mut self.servers[server].pending_replies);
            for reply in pending.drain(..) {
                self.reply(ctx, server, reply);
            }
            self.servers[server].pending_replies = pending;
        }
    }

    fn on_population_message(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let population = &mut self.populations[target.0 as usize];
        let recorder = &mut self.recorder;
        match msg {
            Msg::Arrive => population.on_arrive(ctx, target, recorder),
            Msg::Response { request, outcome } => population.on_response(ctx, target, request, outcome, recorder),
            Msg::Timeout { request } => population.on_timeout(ctx.now(), request, recorder),
            Msg::AttemptTimeout { request } => population.on_attempt_timeout(ctx, target, request, recorder),
            Msg::Retry { request } => population.on_retry(ctx, target, request, recorder),
            Msg::Hedge { request } => population.on_hedge(ctx, target, request, recorder),
            other => unreachable!("{other:?} is not a population message"),
        }
    }
}

impl Model for Planet {
    type Msg = Msg;

    fn handle(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let addresses = self.addresses();
        match msg {
            Msg::Dispatch { request } => self.dispatch(ctx, request),
            Msg::Request { .. }
            | Msg::ServiceDone { .. }
            | Msg::Probe { .. }
            | Msg::ServerFault { .. }
            | Msg::AutoscaleTick
            | Msg::ModeTick
            | Msg::WorkersReady { .. } => self.on_server_message(ctx, target, msg),
            Msg::Response { request, outcome } if request.population >= addresses.populations => {
                self.on_probe_result(ctx.now(), addresses.prober_index(target), request, outcome == Outcome::Served)
            }
            Msg::Arrive
            | Msg::Response { .. }
            | Msg::Timeout { .. }
            | Msg::AttemptTimeout { .. }
            | Msg::Retry { .. }
            | Msg::Hedge { .. } => self.on_population_message(ctx, target, msg),
            Msg::Fault { fault, starting } => self.on_fault(ctx, fault, starting),
            Msg::Converge => self.on_converge(ctx.now()),
            Msg::Sample => self.on_sample(ctx),
            Msg::Flap { fault, down } => self.on_flap(ctx, fault, down),
            Msg::ProbeTick => self.on_probe_tick(ctx, addresses.prober_index(target)),
            Msg::ProbeTimeout { request } => self.on_probe_result(ctx.now(), addresses.prober_index(target), request, false),
        }
    }
}
