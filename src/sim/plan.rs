//! The validated scenario: everything a run needs, in plain types, with every name resolved to
//! an index and every value checked. Nothing here refers to YAML.

use crate::actors::autoscaler::AutoscalePolicy;
use crate::actors::dependency::CallSpec;
use crate::actors::health::HealthPolicy;
use crate::actors::modes::ModePolicy;
use crate::actors::policy::ClientPolicy;
use crate::actors::router::DnsCaching;
use crate::actors::server::{Admission, ServiceTime};
use crate::actors::traffic::RateCurve;
use crate::data::front::CachePolicy;
use crate::data::keys::KeySpace;
use crate::data::replica::ReplicationPolicy;
use crate::faults::FaultPlan;
use crate::kernel::SimDuration;
use crate::world::{RegionId, Topology};

#[derive(Clone, Debug)]
pub struct ScenarioPlan {
    pub name: String,
    /// The variant this plan is, if the scenario has variants.
    pub variant: Option<String>,
    pub description: String,
    pub seed: u64,
    pub topology: Topology,
    /// UTC wall-clock time of simulated time zero, in seconds since the Unix epoch.
    pub start_unix_s: i64,
    /// Requests arrive during `[0, duration)`; the run then drains until every request ended.
    pub duration: SimDuration,
    /// Requests issued before `warmup` are simulated but not counted.
    pub warmup: SimDuration,
    /// Rates and worker counts are divided by this (see docs/SCALING.md).
    pub scale: f64,
    pub timeline_window: SimDuration,
    pub max_events: u64,
    /// Ends the run early, whatever is still in flight (reported as `time-limit`).
    pub max_simulated_time: Option<SimDuration>,
    pub routing: RoutingPlan,
    /// The named services (one when the scenario names none), by index.
    pub service_specs: Vec<ServiceSpec>,
    /// One per (service, region): the servers.
    pub services: Vec<ServicePlan>,
    pub populations: Vec<PopulationPlan>,
    pub faults: FaultPlan,
    /// Health checks feeding GeoDNS; `None`: every region is always considered healthy.
    pub health: Option<HealthPolicy>,
    pub dns: DnsCaching,
    pub slo: Slo,
    /// The keys requests are about; `None`: requests carry no key (and no service has a cache).
    pub keys: Option<KeySpace>,
    /// Named periods measured on their own (`windows:`, and one per fault).
    pub periods: Vec<PeriodPlan>,
    /// Alert rules and operator actions.
    pub operations: crate::operations::OperationsPlan,
}

/// A period of the run measured on its own: the requests issued in its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodPlan {
    pub name: String,
    pub span: crate::metrics::Measured,
    /// The fault whose end is this period's end: an operator who repairs the fault early ends
    /// the period too.
    pub ends_with_fault: Option<u16>,
}

/// What "the service is fine" means, for time-to-recover.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Availability per timeline window, over all clients.
    pub availability: f64,
    /// p99 latency per window, if bounded.
    pub p99_ms: Option<f64>,
    /// How long the SLO must hold to count as recovered.
    pub hold: SimDuration,
}

impl Slo {
    pub const DEFAULT: Slo = Slo { availability: 0.99, p99_ms: None, hold: SimDuration::from_secs(30) };
}

#[derive(Clone, Debug)]
pub enum RoutingPlan {
    /// The serving region with the lowest RTT from the client's region.
    Nearest,
    /// Per client region, a weighted choice among serving regions (GeoDNS weights).
    /// Client regions without a row fall back to `Nearest`.
    Weighted(Vec<WeightRow>),
}

#[derive(Clone, Debug)]
pub struct WeightRow {
    pub from: RegionId,
    pub to: Vec<(RegionId, f64)>,
}

/// A service: its name and what its requests call.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    pub name: String,
    pub calls: Vec<CallSpec>,
    pub parallel_calls: bool,
    /// Drop work whose caller's deadline has passed, and bound calls by that deadline.
    pub propagate_deadlines: bool,
    /// A cache in front of each of its servers.
    pub cache: Option<CachePolicy>,
    /// Each of its servers holds a replica of its data.
    pub replication: Option<ReplicationPolicy>,
}

impl ServiceSpec {
    /// The name given to the one service of a scenario that names none.
    pub const DEFAULT_NAME: &'static str = "default";
}

#[derive(Clone, Debug)]
pub struct ServicePlan {
    /// Index into `service_specs`.
    pub service: u32,
    pub region: RegionId,
    /// As written in the scenario (before scaling).
    pub workers_stated: u64,
    pub queue_capacity_stated: u64,
    /// As simulated (after scaling).
    pub workers: u32,
    pub queue_capacity: u32,
    pub service_time: ServiceTime,
    pub admission: Option<Admission>,
    pub autoscaling: Option<AutoscalePolicy>,
    pub modes: Option<ModePolicy>,
}

#[derive(Clone, Debug)]
pub struct PopulationPlan {
    pub name: String,
    pub region: RegionId,
    /// The service it calls (index into `service_specs`).
    pub service: u32,
    /// The rate as simulated (stated rate divided by the scale).
    pub curve: RateCurve,
    pub timeout: SimDuration,
    pub access_rtt: SimDuration,
    pub policy: ClientPolicy,
    /// Shares of priority classes (critical, normal, sheddable), summing to 1.
    pub priority_mix: [f64; 3],
    /// The share of its requests that write (with a key space).
    pub writes: f64,
}

impl ScenarioPlan {
    /// Servers measure over `[warmup, this)`: until arrivals stop, or until a time limit.
    pub fn measured_until(&self) -> SimDuration {
        self.max_simulated_time.map_or(self.duration, |limit| limit.min(self.duration))
    }

    /// A server's name in outputs: its region, or `service@region` when the scenario has
    /// several services.
    pub fn server_label(&self, index: usize) -> String {
        let server = &self.services[index];
        let region = &self.topology.region(server.region).id;
        if self.service_specs.len() == 1 {
            region.clone()
        } else {
            format!("{}@{region}", self.service_specs[server.service as usize].name)
        }
    }

    /// The longest client timeout: after `duration + this`, every request has ended. Dependency
    /// calls can outlive the request that made them (without deadline propagation), by at most
    /// their own timeouts along the longest chain of calls.
    pub fn drain_time(&self) -> SimDuration {
        let clients = self.populations.iter().map(|p| p.timeout).max().unwrap_or(SimDuration::ZERO);
        clients + self.longest_call_chain()
    }

    /// The sum of call timeouts along the longest chain of dependencies (validation rejects
    /// cycles, so the chain ends).
    fn longest_call_chain(&self) -> SimDuration {
        /// Memoised per service, so a graph with many paths through the same services costs
        /// one visit each.
        fn from(specs: &[ServiceSpec], longest: &mut [Option<SimDuration>], service: usize) -> SimDuration {
            if let Some(known) = longest[service] {
                return known;
            }
            longest[service] = Some(SimDuration::ZERO); // a guard, should a cycle ever get here
            let mut chain = SimDuration::ZERO;
            for call in &specs[service].calls {
                chain = chain.max(call.timeout + from(specs, longest, call.service as usize));
            }
            longest[service] = Some(chain);
            chain
        }
        let mut longest = vec![None; self.service_specs.len()];
        (0..self.service_specs.len()).map(|s| from(&self.service_specs, &mut longest, s)).max().unwrap_or(SimDuration::ZERO)
    }
}
