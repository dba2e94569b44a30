//! Assembles a validated scenario into actors, runs it on the kernel, and returns what was
//! measured. One call of [`run`] is one single-threaded, deterministic replication.

pub mod model;
pub mod plan;

use crate::actors::caller::Caller;
use crate::actors::client::{Population, PopulationSetup};
use crate::actors::dependency::Dependency;
use crate::actors::router::{Policy, Router};
use crate::actors::server::{CallSteps, Server};
use crate::data::failover::FailoverManager;
use crate::data::front::CacheFront;
use crate::data::ledger::Ledger;
use crate::data::placement::OrderRecord;
use crate::data::replica::Replica;
use crate::kernel::{self, Limits, RngStreams, RunOutcome, Scheduler, SimDuration, SimTime};
use crate::metrics::{Measured, Recorder};
use crate::world::{Network, RttMatrix};
use model::{Addresses, Planet, PlanetParts, ReplicaGroup};
use plan::{RoutingPlan, ScenarioPlan};
use std::sync::Arc;

/// Why a run ended, as reported: the kernel's reason, or the scenario's own time limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every event ran.
    Drained,
    /// The natural horizon (arrivals plus the longest timeout) was reached.
    Horizon,
    /// `limits.max_simulated_time` cut the run short.
    TimeLimit,
    /// `limits.max_events` cut the run short.
    EventLimit,
}

impl RunEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            RunEnd::Drained => "drained",
            RunEnd::Horizon => "horizon",
            RunEnd::TimeLimit => "time-limit",
            RunEnd::EventLimit => "event-limit",
        }
    }

    /// Whether a limit cut the run short (its figures are partial).
    pub fn is_cut_short(self) -> bool {
        matches!(self, RunEnd::TimeLimit | RunEnd::EventLimit)
    }
}

/// What one run produced.
pub struct RunResult {
    pub seed: u64,
    pub end: RunEnd,
    pub outcome: RunOutcome,
    pub horizon: SimTime,
    pub planet: Planet,
    /// Requests still in flight at the end (non-zero only when a limit cut the run short).
    pub in_flight: u64,
}

pub fn run(plan: &ScenarioPlan) -> RunResult {
    run_observed(plan, &mut |_| {})
}

/// Like [`run`], and shows `observe` how far the run has got every
/// [`kernel::OBSERVE_EVERY_EVENTS`] events (for a progress display; the run is the same).
pub fn run_observed(plan: &ScenarioPlan, observe: &mut dyn FnMut(kernel::Progress)) -> RunResult {
    let mut ctx = Scheduler::with_capacity(1024);
    let mut planet = build(plan);
    let addresses = planet.addresses();
    for (index, population) in planet.populations.iter_mut().enumerate() {
        population.start(&mut ctx, addresses.population(index as u32));
    }
    planet.schedule(&mut ctx);
    let natural = SimTime::ZERO + plan.duration + plan.drain_time();
    let horizon = plan.max_simulated_time.map_or(natural, |limit| natural.min(SimTime::ZERO + limit));
    let outcome = kernel::run_observed(&mut planet, &mut ctx, Limits { horizon, max_events: plan.max_events }, observe);
    let end = match outcome.reason {
        kernel::StopReason::EventLimit => RunEnd::EventLimit,
        kernel::StopReason::Horizon if horizon < natural => RunEnd::TimeLimit,
        kernel::StopReason::Horizon => RunEnd::Horizon,
        kernel::StopReason::QueueEmpty => RunEnd::Drained,
    };
    let end_time = if end == RunEnd::EventLimit { outcome.end_time } else { horizon };
    planet.recorder.finish(end_time);
    for server in &mut planet.servers {
        server.finish(end_time);
    }
    let population_breakers = planet.populations.iter_mut().filter_map(|p| p.caller.breaker.as_mut());
    for breaker in population_breakers.chain(planet.dependencies.iter_mut().filter_map(|d| d.caller.breaker.as_mut())) {
        breaker.finish(end_time);
    }
    let in_flight = planet.populations.iter().map(|p| p.in_flight()).sum();
    if !end.is_cut_short() {
        assert_eq!(in_flight, 0, "every request must end by the natural horizon");
    }
    RunResult { seed: plan.seed, end, outcome, horizon: end_time, planet, in_flight }
}

fn build(plan: &ScenarioPlan) -> Planet {
    let streams = RngStreams::new(plan.seed);
    let mut network = Network::new(&plan.topology);
    for (links, capacity) in &plan.faults.capacities {
        network.set_capacity(links, *capacity);
    }
    let intact = RttMatrix::of(&network, plan.topology.intra_region_rtt);
    let vantages = plan.health.as_ref().map_or(0, |h| h.vantages.len());
    let addresses = Addresses { populations: plan.populations.len() as u32, servers: plan.services.len() as u32, probers: vantages as u32 };
    let count_from = SimTime::ZERO + plan.warmup;
    let keys = plan.keys.clone().map(std::sync::Arc::new);
    let key_count = plan.keys.as_ref().map_or(0, |k| k.key_count());
    let populations = plan
        .populations
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let key = format!("{}@{}", p.name, plan.topology.region(p.region).id);
            Population::new(PopulationSetup {
                index: index as u32,
                region: p.region,
                label: key.clone(),
                service: p.service,
                policy: p.policy.clone(),
                priority_mix: p.priority_mix,
                curve: p.curve.clone(),
                timeout: p.timeout,
                access_one_way: SimDuration(p.access_rtt.0 / 2),
                router: addresses.router(),
                arrivals_end: SimTime::ZERO + plan.duration,
                rng: streams.stream(&format!("traffic:{key}"), 0),
                keys: keys.clone().map(|space| (space, p.writes)),
            })
        })
        .collect();
    let window = Measured { from: count_from, until: SimTime::ZERO + plan.measured_until() };
    let cache_front = |index: usize, key: &str| {
        let policy = plan.service_specs[plan.services[index].service as usize].cache.clone()?;
        let rng = streams.stream(&format!("cache:{key}"), 0);
        Some(CacheFront::new(policy, key_count, rng, plan.timeline_window, window))
    };
    let (groups, replicas) = replica_groups(plan, key_count, window);
    let mut replicas = replicas.into_iter();
    let servers: Vec<Server> = plan
        .services
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let spec = &plan.service_specs[s.service as usize];
            let key = plan.server_label(index);
            let calls = CallSteps { count: spec.calls.len() as u8, parallel: spec.parallel_calls };
            Server::new(s.region, s.workers, s.queue_capacity, s.service_time.clone(), streams.stream(&format!("service:{key}"), 0), window)
                .with_dependencies(Some(calls), spec.propagate_deadlines)
                .with_admission(s.admission.clone())
                .with_autoscaler(s.autoscaling.clone())
                .with_modes(s.modes.clone())
                .with_cache(cache_front(index, &key))
                .with_replica(replicas.next().flatten())
        })
        .collect();
    let dependencies = dependencies(plan, &streams, addresses, window);
    let server_places: Vec<_> = plan.services.iter().map(|s| (s.service, s.region)).collect();
    let policy = match &plan.routing {
        RoutingPlan::Nearest => Policy::Nearest,
        RoutingPlan::Weighted(rows) => {
            let mut table = vec![Vec::new(); plan.topology.regions.len()];
            for row in rows {
                table[row.from.0 as usize] = row.to.clone();
            }
            Policy::Weighted(table)
        }
    };
    let router = Router::new(policy, &server_places, &intact, vantages, plan.dns, streams.stream("routing", 0));
    let client_regions: Vec<_> = plan.populations.iter().map(|p| p.region).collect();
    let recorder =
        Recorder::new(plan.topology.regions.len(), &client_regions, count_from, plan.timeline_window).with_periods(&plan.periods);
    Planet::new(PlanetParts {
        populations,
        router,
        servers,
        dependencies,
        health: plan.health.clone(),
        network,
        network_rng: streams.stream("network", 0),
        faults: plan.faults.clone(),
        recorder,
        server_labels: (0..plan.services.len()).map(|index| plan.server_label(index)).collect(),
        server_service: plan.services.iter().map(|s| s.service).collect(),
        ledger: Ledger::new(key_count),
        sample_every: plan.timeline_window,
        groups,
        operations: plan.operations.clone(),
    })
}

/// The replicated services' groups, and each server's replica (`None` for a server of a service
/// without replication), in server order.
fn replica_groups(plan: &ScenarioPlan, keys: u32, window: Measured) -> (Vec<ReplicaGroup>, Vec<Option<Replica>>) {
    let mut groups: Vec<ReplicaGroup> = Vec::new();
    let mut policies = Vec::new();
    let mut replicas = Vec::with_capacity(plan.services.len());
    for (index, server) in plan.services.iter().enumerate() {
        let Some(policy) = &plan.service_specs[server.service as usize].replication else {
            replicas.push(None);
            continue;
        };
        let group = match groups.iter().position(|g| g.service == server.service) {
            Some(group) => group,
            None => {
                let manager = policy.failover.map(|plan| FailoverManager::new(plan, policy.leader, policy.members));
                let orders = vec![OrderRecord::default(); policy.placement.as_ref().map_or(0, |p| p.orders.len())];
                groups.push(ReplicaGroup { service: server.service, members: Vec::new(), manager, orders });
                policies.push(Arc::new(policy.clone()));
                groups.len() - 1
            }
        };
        let member = groups[group].members.len() as u16;
        groups[group].members.push(index as u32);
        replicas.push(Some(Replica::new(policies[group].clone(), group as u16, member, keys, window)));
    }
    (groups, replicas)
}

/// The dependency callers, grouped by calling server in server order.
fn dependencies(plan: &ScenarioPlan, streams: &RngStreams, addresses: Addresses, window: Measured) -> Vec<Dependency> {
    let mut dependencies = Vec::new();
    for (server, place) in plan.services.iter().enumerate() {
        let spec = &plan.service_specs[place.service as usize];
        for (step, call) in spec.calls.iter().enumerate() {
            let index = dependencies.len() as u32;
            let callee = &plan.service_specs[call.service as usize].name;
            let label = format!("{}->{callee}@{}", spec.name, plan.topology.region(place.region).id);
            let caller = Caller::new(
                crate::actors::client::caller_index(addresses.dependency_caller(index)),
                label.clone(),
                SimDuration::ZERO,
                call.policy.clone(),
                addresses.router(),
                call.service,
                // A call's deadline is its issue time plus its timeout, unless the request's
                // propagated deadline comes sooner: then they are not in issue order.
                !spec.propagate_deadlines,
            );
            let rng = streams.stream(&format!("calls:{label}"), step as u64);
            dependencies.push(Dependency::new(caller, server as u32, step as u8, call.clone(), rng, window));
        }
    }
    dependencies
}
