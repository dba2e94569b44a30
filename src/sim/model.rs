//! The planet as a kernel `Model`: the actors, the network between them, the fault injector and
//! the recorder.
//!
//! Actor addresses are dense: populations, the router, the fault injector, the servers, the
//! health-check probers. Callers (whoever waits for answers) are numbered too, in the `caller`
//! field of every `RequestRef`: populations, then probers, then the dependency callers of
//! servers (whose timers go to their server's address). Every message between regions crosses
//! the [`Network`]: it takes the
//! current route's delay, or is lost (a cut not yet re-converged, a partition, a lossy gray
//! link). A request whose region has no route at all fails fast as unreachable; a lost message
//! is noticed only by a timeout, as in reality.

use crate::actors::caller::Ended;
use crate::actors::client::Population;
use crate::actors::dependency::Dependency;
use crate::actors::health::{HealthPolicy, ProbeKind, Prober};
use crate::actors::messages::{Age, Budget, Msg, Op, Outcome, RequestRef};
use crate::actors::router::Router;
use crate::actors::server::{DataEvent, Replication, Reply, Server};
use crate::data::failover::FailoverManager;
use crate::data::ledger::Ledger;
use crate::data::placement::{Move, OrderRecord};
use crate::data::replica::{Adopted, Entry, Member, Outgoing, Replica, Version, lost_since};
use crate::faults::{FaultAction, FaultPlan};
use crate::kernel::{ActorId, Model, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{Recorder, StateValue, Subject};
use crate::operations::{AlertState, OperationsPlan};
use crate::world::{LinkGray, Network, Partition, RegionId, Transit};

mod operations;

pub struct Planet {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    /// The dependency callers of all servers; server `s`'s are at
    /// `first_dependency[s]..first_dependency[s + 1]`, in the order of its service's calls.
    pub dependencies: Vec<Dependency>,
    first_dependency: Vec<u32>,
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
    /// For each fault: whether an operator ended it (its scheduled start or end is then void).
    fault_repaired: Vec<bool>,
    /// Alert rules and operator actions, each alert's state, and when each action was done.
    pub operations: OperationsPlan,
    pub alert_states: Vec<AlertState>,
    pub actions_done: Vec<Option<SimTime>>,
    /// Each server's busy and alive worker-time integrals at the last sample (for utilisation
    /// per window), and each replica's lag at the last sample.
    last_worker_time: Vec<(u128, u128)>,
    replica_lag: Vec<Option<SimDuration>>,
    pub recorder: Recorder,
    /// Messages the network dropped.
    pub messages_lost: u64,
    /// Servers' names in outputs (see `ScenarioPlan::server_label`).
    pub server_labels: Vec<String>,
    /// For each server, the other servers of its service that have a cache: where a write
    /// through its cache sends invalidations.
    cache_peers: Vec<Vec<u32>>,
    /// When each key was last written, for measuring stale reads (never read to decide).
    pub ledger: Ledger,
    /// How often states are sampled (the timeline window).
    sample_every: SimDuration,
    /// The replicated services, by group number.
    pub groups: Vec<ReplicaGroup>,
    /// Reused for the writes a replication message names.
    entry_buffer: Vec<Entry>,
}

/// A replicated service: its members (servers, in member order) and its failover manager.
pub struct ReplicaGroup {
    pub service: u32,
    pub members: Vec<u32>,
    pub manager: Option<FailoverManager>,
    /// What each operator order of its placement did.
    pub orders: Vec<OrderRecord>,
}

/// What a planet is built from.
pub struct PlanetParts {
    pub populations: Vec<Population>,
    pub router: Router,
    pub servers: Vec<Server>,
    /// Grouped by calling server, in server order.
    pub dependencies: Vec<Dependency>,
    pub health: Option<HealthPolicy>,
    pub network: Network,
    pub network_rng: SimRng,
    pub faults: FaultPlan,
    pub recorder: Recorder,
    pub server_labels: Vec<String>,
    pub server_service: Vec<u32>,
    pub ledger: Ledger,
    pub sample_every: SimDuration,
    pub groups: Vec<ReplicaGroup>,
    pub operations: OperationsPlan,
}

/// Where each actor lives in the `ActorId` space.
#[derive(Clone, Copy, Debug)]
pub struct Addresses {
    pub populations: u32,
    pub servers: u32,
    pub probers: u32,
}

/// Who a caller index in a `RequestRef` designates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallerKind {
    Population(u32),
    Prober(u32),
    Dependency(u32),
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
    /// The caller index of dependency caller `index`.
    pub fn dependency_caller(self, index: u32) -> u32 {
        self.populations + self.probers + index
    }
    #[inline]
    pub fn caller_kind(self, caller: u32) -> CallerKind {
        if caller < self.populations {
            CallerKind::Population(caller)
        } else if caller < self.populations + self.probers {
            CallerKind::Prober(caller - self.populations)
        } else {
            CallerKind::Dependency(caller - self.populations - self.probers)
        }
    }
}

/// A request's flow id: what a partial partition hashes to decide whether it is affected.
fn flow(request: RequestRef) -> u64 {
    (u64::from(request.caller) << 48) ^ (u64::from(request.slot) << 20) ^ u64::from(request.generation)
}

/// The flow of the connection between two members of a replica group (`u16::MAX`: the manager).
fn replication_flow(group: usize, from: Member, to: Member) -> u64 {
    (1 << 63) ^ ((group as u64) << 40) ^ (u64::from(from) << 20) ^ u64::from(to)
}

/// Schedules the hand-offs of moves a replica started on its own (ranges it took while being
/// drained), a `move_time` from now.
fn announce_moves(ctx: &mut Scheduler<Msg>, me: ActorId, replica: &mut Replica) {
    let Some(ranges) = replica.ranges.as_mut().filter(|r| !r.unannounced.is_empty()) else { return };
    let move_time = replica.policy.placement.as_ref().expect("ranges only with placement").move_time;
    for moved in ranges.unannounced.drain(..) {
        ctx.send(move_time, me, Msg::HandOff { range: moved.range, to: moved.to, order: moved.order });
    }
}

impl Planet {
    pub fn new(parts: PlanetParts) -> Self {
        let PlanetParts {
            populations,
            router,
            servers,
            dependencies,
            health,
            network,
            network_rng,
            faults,
            recorder,
            server_labels,
            server_service,
            ledger,
            sample_every,
            groups,
            operations,
        } = parts;
        let cache_peers = (0..servers.len())
            .map(|server| {
                let peers = (0..servers.len() as u32).filter(|&peer| peer as usize != server && servers[peer as usize].cache.is_some());
                peers.filter(|&peer| server_service[peer as usize] == server_service[server]).collect()
            })
            .collect();
        let mut first_dependency = vec![0u32; servers.len() + 1];
        for dependency in &dependencies {
            first_dependency[dependency.server as usize + 1] += 1;
        }
        for server in 0..servers.len() {
            first_dependency[server + 1] += first_dependency[server];
        }
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
            dependencies,
            first_dependency,
            probers,
            health,
            probe_buffer: Vec::new(),
            network,
            network_rng,
            faults,
            partition_of_fault: vec![None; count],
            fault_active: vec![false; count],
            fault_repaired: vec![false; count],
            alert_states: vec![AlertState::default(); operations.alerts.len()],
            actions_done: vec![None; operations.actions.len()],
            operations,
            last_worker_time: vec![(0, 0); server_count],
            replica_lag: vec![None; server_count],
            recorder,
            messages_lost: 0,
            server_labels,
            cache_peers,
            ledger,
            sample_every,
            groups,
            entry_buffer: Vec::new(),
        }
    }

    pub fn addresses(&self) -> Addresses {
        Addresses { populations: self.populations.len() as u32, servers: self.servers.len() as u32, probers: self.probers.len() as u32 }
    }

    /// Where a caller is: its region, its access hop, its address, and the service it calls
    /// (probers call no service in particular).
    #[inline]
    fn caller(&self, index: u32) -> (RegionId, SimDuration, ActorId, u32) {
        let addresses = self.addresses();
        match addresses.caller_kind(index) {
            CallerKind::Population(p) => {
                let population = &self.populations[p as usize];
                (population.region, population.access_one_way(), addresses.population(p), population.caller.service)
            }
            CallerKind::Prober(p) => (self.probers[p as usize].vantage, SimDuration::ZERO, addresses.prober(p), 0),
            CallerKind::Dependency(d) => {
                let dependency = &self.dependencies[d as usize];
                let server = dependency.server;
                (self.servers[server as usize].region, SimDuration::ZERO, addresses.server(server), dependency.spec.service)
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
        self.schedule_timed_actions(ctx);
        ctx.send(self.sample_every, addresses.injector(), Msg::Sample);
        for (index, server) in self.servers.iter().enumerate() {
            if let Some(scaler) = &server.autoscaler {
                ctx.send(scaler.policy.interval, addresses.server(index as u32), Msg::AutoscaleTick);
            }
            if let Some(modes) = &server.modes {
                ctx.send(modes.policy.interval, addresses.server(index as u32), Msg::ModeTick);
            }
            if let Some(prewarm) = server.cache.as_ref().and_then(|c| c.policy.prewarm) {
                ctx.send_at(prewarm.at, addresses.server(index as u32), Msg::Prewarm);
            }
            if let Some(replica) = &server.replica {
                ctx.send(replica.policy.heartbeat, addresses.server(index as u32), Msg::ReplicaTick);
            }
        }
        for (group, replicas) in self.groups.iter().enumerate() {
            if let Some(manager) = &replicas.manager {
                ctx.send(manager.plan.heartbeat(), addresses.injector(), Msg::FailoverTick { group: group as u16 });
            }
            let first = self.servers[replicas.members[0] as usize].replica.as_ref().expect("a member has a replica");
            for (index, order) in first.policy.placement.iter().flat_map(|p| p.orders.iter().enumerate()) {
                let source = replicas.members[usize::from(order.from)];
                ctx.send_at(order.at, addresses.server(source), Msg::MoveRanges { order: index as u16 });
            }
        }
    }

    /// One message of `flow` across the network: its delay, or `None` (counted) if it is lost.
    #[inline]
    fn transit(&mut self, now: SimTime, from: RegionId, to: RegionId, flow: u64) -> Option<SimDuration> {
        match self.network.send(from, to, flow, now, &mut self.network_rng) {
            Transit::Delay(delay) => Some(delay),
            Transit::Lost | Transit::NoRoute => {
                self.messages_lost += 1;
                None
            }
        }
    }

    fn dispatch(&mut self, ctx: &mut Scheduler<Msg>, request: RequestRef, budget: Budget, op: Op) {
        let (origin, _, _, service) = self.caller(u32::from(request.caller));
        let Some(server) = self.router.choose(origin, service, ctx.now()) else { return self.fail_fast(ctx, request) };
        let region = self.servers[server as usize].region;
        match self.network.send(origin, region, flow(request), ctx.now(), &mut self.network_rng) {
            Transit::Delay(delay) => {
                let msg = Msg::Request { request, budget: budget.after(delay), op };
                ctx.send(delay, self.addresses().server(server), msg);
            }
            Transit::Lost => self.messages_lost += 1,
            // No route at all: the client's first router answers "unreachable" at once.
            Transit::NoRoute => self.fail_fast(ctx, request),
        }
    }

    fn fail_fast(&self, ctx: &mut Scheduler<Msg>, request: RequestRef) {
        let (_, back, caller, _) = self.caller(u32::from(request.caller));
        ctx.send(back, caller, Msg::Response { request, outcome: Outcome::Unreachable, age: Age::FRESH });
    }

    fn reply(&mut self, ctx: &mut Scheduler<Msg>, server: usize, reply: Reply) {
        let (origin, access, caller, _) = self.caller(u32::from(reply.to.caller));
        let Some(backbone) = self.transit(ctx.now() + reply.delay, self.servers[server].region, origin, flow(reply.to)) else { return };
        let delay = reply.delay + backbone + access;
        ctx.send(delay, caller, Msg::Response { request: reply.to, outcome: reply.outcome, age: reply.age.after(delay) });
    }

    fn on_probe_tick(&mut self, ctx: &mut Scheduler<Msg>, prober: usize) {
        let policy = self.health.as_ref().expect("probers exist only with health checks");
        let mut probes = std::mem::take(&mut self.probe_buffer);
        probes.clear();
        let me = self.addresses().prober(prober as u32);
        self.probers[prober].tick(ctx, me, policy, &mut probes);
        let (vantage, kind, timeout) = (self.probers[prober].vantage, policy.kind, policy.timeout);
        for &(server, probe) in &probes {
            let region = self.servers[server as usize].region;
            if let Some(delay) = self.transit(ctx.now(), vantage, region, flow(probe)) {
                let msg = match kind {
                    ProbeKind::Shallow => Msg::Probe { request: probe },
                    ProbeKind::Deep => {
                        let budget = Budget::until(ctx.now() + timeout, ctx.now() + delay);
                        Msg::Request { request: probe, budget, op: Op::HEALTH_PROBE }
                    }
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
        self.recorder.log(now, notice.event, &self.server_labels[server], notice.detail);
    }

    fn log_health(&mut self, now: SimTime, server: u32, healthy: bool) {
        let subject = self.server_labels[server as usize].clone();
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
            let process = if !server.is_up() {
                "off"
            } else if server.is_serving() {
                "up"
            } else {
                "crashed"
            };
            record.sample(now, subject, "process", StateValue::Word(process));
            record.sample(now, subject, "workers_alive", StateValue::Count(server.alive_workers().into()));
            record.sample(now, subject, "workers_busy", StateValue::Count(server.busy_workers().into()));
            record.sample(now, subject, "queue_len", StateValue::Count(server.queue_len() as u64));
        }
        for (index, server) in self.servers.iter_mut().enumerate() {
            if let Some(replica) = server.replica.as_mut() {
                let (staleness, role) = replica.sample(now);
                self.replica_lag[index] = Some(staleness);
                let subject = Subject::Server(index as u32);
                self.recorder.sample(now, subject, "replica_role", StateValue::Word(role));
                self.recorder.sample(now, subject, "replica_staleness_us", StateValue::Count(staleness.0 / 1_000));
                if let Some(led) = replica.ranges_led() {
                    self.recorder.sample(now, subject, "replica_ranges_led", StateValue::Count(led.into()));
                }
            }
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
        for (index, dependency) in self.dependencies.iter().enumerate() {
            if let Some(state) = dependency.caller.breaker_state() {
                self.recorder.sample(now, Subject::Dependency(index as u32), "breaker", StateValue::Word(state.as_str()));
            }
        }
        self.judge_alerts(ctx);
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
            Msg::Request { request, budget, op } => {
                let last_commit = self.ledger.last_commit(op.key());
                self.servers[server].on_request(ctx, target, request, budget.deadline(ctx.now()), op, last_commit)
            }
            Msg::ServiceDone { worker, epoch } => self.servers[server].on_done(ctx, target, worker, epoch),
            Msg::Probe { request } => self.servers[server].probe_answer().map(|outcome| Reply::now(request, outcome)),
            Msg::Invalidate { key } => {
                if let Some(cache) = &mut self.servers[server].cache {
                    cache.invalidate(key, ctx.now());
                }
                None
            }
            Msg::Prewarm => {
                // A server that is off has no memory to load.
                let up = self.servers[server].is_up();
                if let Some(cache) = self.servers[server].cache.as_mut().filter(|_| up)
                    && let Some(prewarm) = cache.policy.prewarm
                {
                    cache.prewarm(ctx.now(), prewarm.keys);
                }
                None
            }
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
            Msg::OutOfMemory { epoch, killing } => {
                if let Some(notice) = self.servers[server].on_out_of_memory(ctx, target, epoch, killing) {
                    self.log_server(ctx.now(), server, notice);
                }
                None
            }
            Msg::ServerAction { action } => {
                if let Some(order) = self.operations.actions[action as usize].effect.scale_order() {
                    let notice = self.servers[server].scale_to(ctx, target, order);
                    self.log_server(ctx.now(), server, notice);
                }
                None
            }
            Msg::Replicate { origin, count, from, as_of } => {
                self.deliver_batch(ctx.now(), server, origin, from, count, as_of);
                None
            }
            Msg::ReplicaAck { member, upto } => {
                self.servers[server].on_replication(ctx.now(), Replication::Ack { member, upto });
                None
            }
            Msg::ReplicaRead { member, id, key } => {
                self.servers[server].on_replication(ctx.now(), Replication::Read { member, id, key });
                None
            }
            Msg::ReplicaAnswer { id, staleness, writer, written, .. } => {
                let version = Version { time: written, member: writer };
                self.servers[server].on_replication(ctx.now(), Replication::Answer { id, version, staleness });
                None
            }
            Msg::ReplicaTick => {
                self.servers[server].on_replication(ctx.now(), Replication::Tick);
                if let Some(replica) = self.servers[server].replica.as_mut() {
                    ctx.send(replica.policy.heartbeat, target, Msg::ReplicaTick);
                    announce_moves(ctx, target, replica);
                }
                None
            }
            Msg::Ping { group, leader, term } => {
                self.on_ping(ctx, server, group, leader, term);
                None
            }
            Msg::MoveRanges { order } => {
                self.on_move_order(ctx, server, order);
                None
            }
            Msg::HandOff { range, to, order } => {
                self.on_hand_off(ctx, server, Move { range, to, order });
                None
            }
            other => unreachable!("{other:?} is not a server message"),
        };
        if let Some(reply) = reply {
            self.reply(ctx, server, reply);
        }
        self.flush_server(ctx, server);
    }

    /// Sends the replies a server has buffered and makes the dependency calls it ordered, until
    /// neither is left (a call refused at once by a breaker can complete a job on the spot).
    #[inline]
    fn flush_server(&mut self, ctx: &mut Scheduler<Msg>, server: usize) {
        // Both lists can grow while they are worked through (a call that ends at once lets its
        // job make the next call or answer), so they are read by index, in order, to the end.
        let me = self.addresses().server(server as u32);
        let (mut replies, mut calls) = (0, 0);
        loop {
            if let Some(&reply) = self.servers[server].pending_replies.get(replies) {
                replies += 1;
                self.reply(ctx, server, reply);
            } else if let Some(&order) = self.servers[server].pending_calls.get(calls) {
                calls += 1;
                let index = self.first_dependency[server] + u32::from(order.step);
                let ended = self.dependencies[index as usize].call(ctx, me, order, &mut self.recorder);
                self.call_ended(ctx, index, ended);
            } else {
                break;
            }
        }
        self.servers[server].pending_replies.clear();
        self.servers[server].pending_calls.clear();
        if !self.servers[server].data_events.is_empty() {
            self.pass_on_data_events(ctx, server);
        }
        if self.servers[server].replica.as_ref().is_some_and(|r| !r.outbox.is_empty()) {
            self.send_replica_messages(ctx, server);
        }
    }

    /// Sends what a replica asked for to the other members of its group, across the network:
    /// replication batches in stream order, acknowledgements, quorum reads and their answers,
    /// and requests it forwards (a write to the leader).
    fn send_replica_messages(&mut self, ctx: &mut Scheduler<Msg>, server: usize) {
        let now = ctx.now();
        let replica = self.servers[server].replica.as_mut().expect("checked by the caller");
        let mut outbox = std::mem::take(&mut replica.outbox);
        let (group, me, region) = (usize::from(replica.group), replica.member, self.servers[server].region);
        for out in outbox.drain(..) {
            // A forwarded request keeps its own flow (a partial partition treats it as the
            // client's); everything else rides the members' connection.
            let flow = match out {
                Outgoing::Forward { request, .. } => flow(request),
                _ => replication_flow(group, me, out.to()),
            };
            let target = self.groups[group].members[usize::from(out.to())];
            let Some(delay) = self.transit(now, region, self.servers[target as usize].region, flow) else { continue };
            let address = self.addresses().server(target);
            let msg = match out {
                Outgoing::Replicate { to, from, count, as_of } => {
                    // A stream is ordered: a message never overtakes the one sent before it.
                    let replica = self.servers[server].replica.as_mut().expect("checked");
                    let arrival = replica.in_order(to, now + delay);
                    ctx.send_at(arrival, address, Msg::Replicate { origin: me, count, from, as_of });
                    continue;
                }
                Outgoing::Ack { upto, .. } => Msg::ReplicaAck { member: me, upto },
                Outgoing::Read { id, key, .. } => Msg::ReplicaRead { member: me, id, key },
                Outgoing::Answer { id, version, staleness, .. } => {
                    Msg::ReplicaAnswer { member: me, id, staleness, writer: version.member, written: version.time }
                }
                Outgoing::Forward { request, deadline, op, .. } => {
                    Msg::Request { request, budget: Budget::until(deadline, now + delay), op: op.forwarded() }
                }
            };
            ctx.send(delay, address, msg);
        }
        if let Some(replica) = self.servers[server].replica.as_mut() {
            replica.outbox = outbox;
        }
    }

    /// A replication batch reaches `server`: the writes it names are read from the origin's log
    /// (append-only, so this is what the message would carry).
    fn deliver_batch(&mut self, now: SimTime, server: usize, origin: Member, from: u64, count: u32, as_of: SimTime) {
        let Some(group) = self.servers[server].replica.as_ref().map(|r| usize::from(r.group)) else { return };
        let origin_server = self.groups[group].members[usize::from(origin)] as usize;
        let mut entries = std::mem::take(&mut self.entry_buffer);
        entries.clear();
        let log = &self.servers[origin_server].replica.as_ref().expect("a member has a replica").log;
        // What every member acknowledged may have been dropped since; the receiver has it.
        let start = from.max(log.first());
        entries.extend(log.since(start).take((from + u64::from(count)).saturating_sub(start) as usize).copied());
        self.servers[server].on_replication(now, Replication::Batch { origin, from: start, entries: &entries, as_of });
        self.entry_buffer = entries;
    }

    /// The failover manager's ping reaches a member: it takes the leader it names, and answers
    /// if it is up.
    fn on_ping(&mut self, ctx: &mut Scheduler<Msg>, server: usize, group: u16, leader: Member, term: u32) {
        let now = ctx.now();
        let adopted = self.servers[server].on_replication(now, Replication::Ping { leader, term });
        if adopted != Adopted::Nothing {
            self.measure_adoption(now, server, usize::from(group), adopted);
        }
        let Some(replica) = self.servers[server].replica.as_ref().filter(|_| self.servers[server].is_serving()) else { return };
        let (member, position) = (replica.member, replica.position(leader));
        let Some(manager) = &self.groups[usize::from(group)].manager else { return };
        let (from, to) = (self.servers[server].region, manager.plan.manager());
        if let Some(delay) = self.transit(now, from, to, replication_flow(usize::from(group), member, u16::MAX)) {
            ctx.send(delay, self.addresses().injector(), Msg::Pong { group, member, position });
        }
    }

    /// What a change of leader cost, measured when the members learn of it: writes the new
    /// leader never received from the old (lost, with the RPO), and writes the old leader took
    /// after the promotion (a split brain's).
    fn measure_adoption(&mut self, now: SimTime, server: usize, group: usize, adopted: Adopted) {
        let replica = self.servers[server].replica.as_ref().expect("a member has a replica");
        let member = replica.member;
        let ReplicaGroup { members, manager, .. } = &mut self.groups[group];
        let Some(manager) = manager.as_mut() else { return };
        let label = &self.server_labels[server];
        match adopted {
            Adopted::Promoted { previous } => {
                let old = self.servers[members[usize::from(previous)] as usize].replica.as_ref();
                let old_log = &old.expect("a member has a replica").log;
                let (lost, discarded, rpo) = lost_since(old_log, replica.position(previous));
                if let Some(record) = manager.promotion_of(member) {
                    record.promoted_at = Some(now);
                    record.ready_at = Some(replica.ready_at());
                    (record.lost_writes, record.discarded_writes, record.rpo) = (lost, discarded, rpo);
                    record.old_log_at_promotion.get_or_insert(old_log.len());
                }
                self.recorder.log(now, "leader-promoted", label, format!("{lost} acknowledged writes lost, RPO {rpo}"));
            }
            Adopted::Demoted { .. } => {
                let log = &replica.log;
                if let Some(record) = manager.demotion_of(member) {
                    record.demoted_at = Some(now);
                    let since = *record.old_log_at_promotion.get_or_insert(log.len());
                    record.split_brain_writes = log.since(since.max(log.first())).filter(|e| e.acknowledged).count() as u64;
                }
                self.recorder.log(now, "leader-demoted", label, "follows the new leader".to_string());
            }
            Adopted::Follows | Adopted::Nothing => {}
        }
    }

    /// The failover manager's heartbeat: it may decide a failover, then pings every member with
    /// the leader.
    fn on_failover_tick(&mut self, ctx: &mut Scheduler<Msg>, group: u16) {
        let now = ctx.now();
        let replicas = &mut self.groups[usize::from(group)];
        let manager = replicas.manager.as_mut().expect("ticks only with a manager");
        if let Some(record) = manager.on_tick(now) {
            let (from, to) = (replicas.members[usize::from(record.from)], replicas.members[usize::from(record.to)]);
            let detail = format!("{} -> {}", self.server_labels[from as usize], self.server_labels[to as usize]);
            self.recorder.log(now, if record.manual { "failover-manual" } else { "failover-detected" }, "replication", detail);
        }
        let (leader, term, region, heartbeat) = (manager.leader, manager.term, manager.plan.manager(), manager.plan.heartbeat());
        for member in 0..self.groups[usize::from(group)].members.len() {
            let server = self.groups[usize::from(group)].members[member];
            let to = self.servers[server as usize].region;
            if let Some(delay) = self.transit(now, region, to, replication_flow(usize::from(group), u16::MAX, member as u16)) {
                ctx.send(delay, self.addresses().server(server), Msg::Ping { group, leader, term });
            }
        }
        ctx.send(heartbeat, self.addresses().injector(), Msg::FailoverTick { group });
    }

    /// An operator's order reaches the replica leading the ranges it moves: it plans the moves
    /// and starts preparing the first `parallel` of them. A server that is down loses the order.
    fn on_move_order(&mut self, ctx: &mut Scheduler<Msg>, server: usize, index: u16) {
        let now = ctx.now();
        let serving = self.servers[server].is_serving();
        let Some(replica) = self.servers[server].replica.as_mut() else { return };
        let placement = replica.policy.placement.as_ref().expect("orders only with placement");
        let (move_time, parallel, group) = (placement.move_time, placement.parallel, usize::from(replica.group));
        let detail = if serving {
            let started = replica.order_moves(now, index);
            let planned = replica.ranges.as_ref().map_or(0, |r| r.planned[usize::from(index)]);
            let me = self.addresses().server(server as u32);
            for moved in started {
                ctx.send(move_time, me, Msg::HandOff { range: moved.range, to: moved.to, order: moved.order });
            }
            self.groups[group].orders[usize::from(index)].started = Some(now);
            format!("{planned} ranges, {parallel} at a time, {:.1} s each", move_time.as_secs_f64())
        } else {
            "the server is down: order lost".to_string()
        };
        self.recorder.log(now, "ranges-moving", &self.server_labels[server], detail);
    }

    /// A move is prepared: the old leader hands the range off and starts its next move. While
    /// the server is down, moves wait (checked again after `move_time`, at least a second).
    fn on_hand_off(&mut self, ctx: &mut Scheduler<Msg>, server: usize, moved: Move) {
        let now = ctx.now();
        let me = self.addresses().server(server as u32);
        let serving = self.servers[server].is_serving();
        let Some(replica) = self.servers[server].replica.as_mut() else { return };
        let move_time = replica.policy.placement.as_ref().expect("moves only with placement").move_time;
        let group = usize::from(replica.group);
        if !serving {
            ctx.send(move_time.max(SimDuration::from_secs(1)), me, Msg::HandOff { range: moved.range, to: moved.to, order: moved.order });
            return;
        }
        if let Some(next) = replica.hand_off(now, moved) {
            ctx.send(move_time, me, Msg::HandOff { range: next.range, to: next.to, order: next.order });
        }
        let planned = replica.ranges.as_ref().map_or(0, |r| r.planned[usize::from(moved.order)]);
        let record = &mut self.groups[group].orders[usize::from(moved.order)];
        record.handoffs.push((moved.range, moved.to, now));
        if record.handoffs.len() as u32 == planned {
            let took = now.since(record.started.unwrap_or(now));
            let detail = format!("{planned} ranges handed off in {:.1} s", took.as_secs_f64());
            self.recorder.log(now, "ranges-handed-off", &self.server_labels[server], detail);
        }
    }

    fn on_pong(&mut self, now: SimTime, group: u16, member: Member, position: u64) {
        if let Some(manager) = self.groups[usize::from(group)].manager.as_mut() {
            manager.on_pong(now, member, position);
        }
    }

    /// Records a server's commits in the ledger, and sends its invalidations to the caches of
    /// its service in other regions (across the network: a partition can keep them stale).
    fn pass_on_data_events(&mut self, ctx: &mut Scheduler<Msg>, server: usize) {
        let mut events = std::mem::take(&mut self.servers[server].data_events);
        let (now, from) = (ctx.now(), self.servers[server].region);
        for event in events.drain(..) {
            match event {
                DataEvent::Committed(key) => self.ledger.commit(key, now),
                DataEvent::Invalidate(key) => {
                    for index in 0..self.cache_peers[server].len() {
                        let peer = self.cache_peers[server][index];
                        let to = self.servers[peer as usize].region;
                        if let Some(delay) = self.transit(now, from, to, (u64::from(key) << 20) ^ u64::from(peer)) {
                            ctx.send(delay, self.addresses().server(peer), Msg::Invalidate { key });
                        }
                    }
                }
            }
        }
        self.servers[server].data_events = events;
    }

    /// Hands a dependency call's end to the server whose job made it.
    fn call_ended(&mut self, ctx: &mut Scheduler<Msg>, dependency: u32, ended: Option<Ended>) {
        let Some(ended) = ended else { return };
        let proceed = self.dependencies[dependency as usize].settle(&ended);
        let server = self.dependencies[dependency as usize].server;
        let me = self.addresses().server(server);
        if let Some(reply) = self.servers[server as usize].on_call_ended(ctx, me, ended.tag, proceed, ended.age) {
            self.reply(ctx, server as usize, reply);
        }
    }

    /// An answer or a timer for a caller: a population, a prober or a dependency call.
    #[inline]
    fn on_caller_message(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, request: RequestRef, msg: Msg) {
        let addresses = self.addresses();
        match addresses.caller_kind(u32::from(request.caller)) {
            CallerKind::Population(index) => self.populations[index as usize].on_message(ctx, target, msg, &mut self.recorder),
            CallerKind::Prober(_) => {
                let ok = matches!(msg, Msg::Response { outcome: Outcome::Served, .. });
                self.on_probe_result(ctx.now(), addresses.prober_index(target), request, ok)
            }
            CallerKind::Dependency(index) => {
                self.dependencies[index as usize].on_message(ctx, target, msg, &mut self.recorder);
                let mut ended = std::mem::take(&mut self.dependencies[index as usize].ended);
                for call in ended.drain(..) {
                    self.call_ended(ctx, index, Some(call));
                }
                self.dependencies[index as usize].ended = ended;
                let server = self.dependencies[index as usize].server as usize;
                self.flush_server(ctx, server);
            }
        }
    }
}

impl Model for Planet {
    type Msg = Msg;

    fn handle(&mut self, ctx: &mut Scheduler<Msg>, target: ActorId, msg: Msg) {
        let addresses = self.addresses();
        match msg {
            Msg::Dispatch { request, budget, op } => self.dispatch(ctx, request, budget, op),
            Msg::Request { .. }
            | Msg::Invalidate { .. }
            | Msg::Prewarm
            | Msg::ServiceDone { .. }
            | Msg::Probe { .. }
            | Msg::ServerFault { .. }
            | Msg::AutoscaleTick
            | Msg::ModeTick
            | Msg::WorkersReady { .. }
            | Msg::ServerAction { .. }
            | Msg::OutOfMemory { .. }
            | Msg::Replicate { .. }
            | Msg::ReplicaAck { .. }
            | Msg::ReplicaRead { .. }
            | Msg::ReplicaAnswer { .. }
            | Msg::ReplicaTick
            | Msg::Ping { .. }
            | Msg::MoveRanges { .. }
            | Msg::HandOff { .. } => self.on_server_message(ctx, target, msg),
            Msg::Pong { group, member, position } => self.on_pong(ctx.now(), group, member, position),
            Msg::FailoverTick { group } => self.on_failover_tick(ctx, group),
            Msg::Arrive => self.populations[target.0 as usize].on_arrive(ctx, target, &mut self.recorder),
            Msg::Response { request, .. }
            | Msg::Timeout { request }
            | Msg::AttemptTimeout { request }
            | Msg::Retry { request }
            | Msg::Hedge { request } => self.on_caller_message(ctx, target, request, msg),
            Msg::Fault { fault, starting } if !self.fault_repaired[fault as usize] => self.on_fault(ctx, fault, starting),
            Msg::Fault { .. } => {}
            Msg::Action { action } => self.on_action(ctx, action),
            Msg::Converge => self.on_converge(ctx.now()),
            Msg::Sample => self.on_sample(ctx),
            Msg::Flap { fault, down } => self.on_flap(ctx, fault, down),
            Msg::ProbeTick => self.on_probe_tick(ctx, addresses.prober_index(target)),
            Msg::ProbeTimeout { request } => self.on_probe_result(ctx.now(), addresses.prober_index(target), request, false),
        }
    }
}
