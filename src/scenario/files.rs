//! The YAML shapes of topology and scenario files, exactly as written by users.
//!
//! Architecture invariant: serde types live only in this module. They mirror the files and carry
//! source positions (`Spanned`); `validate_*` turns them into the plain plans the simulator runs,
//! which know nothing of YAML. Unknown keys are errors everywhere (`deny_unknown_fields`).

use serde::Deserialize;
use serde_saphyr::Spanned;

pub type S<T> = Spanned<T>;

// ---------------------------------------------------------------------------------------------
// Topology files (`topologies/*.yaml`).

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub defaults: Option<TopologyDefaultsFile>,
    #[serde(default)]
    pub regions: Vec<RegionFile>,
    #[serde(default)]
    pub sites: Vec<SiteFile>,
    #[serde(default)]
    pub links: Vec<LinkFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyDefaultsFile {
    pub fiber_km_per_s: Option<S<f64>>,
    pub route_factor: Option<S<f64>>,
    pub hop_overhead_ms: Option<S<f64>>,
    pub intra_region_rtt_ms: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    pub id: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub lat: S<f64>,
    pub lon: S<f64>,
    pub utc_offset_h: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    pub id: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub lat: S<f64>,
    pub lon: S<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKindFile {
    Cable,
    Terrestrial,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFile {
    pub name: S<String>,
    pub kind: LinkKindFile,
    #[serde(default)]
    pub groups: Vec<S<String>>,
    pub between: S<Vec<S<String>>>,
    #[serde(default)]
    pub via: Vec<S<Vec<f64>>>,
    pub route_factor: Option<S<f64>>,
    pub hop_overhead_ms: Option<S<f64>>,
    pub latency_ms: Option<S<f64>>,
}

// ---------------------------------------------------------------------------------------------
// Scenario files (`scenarios/*.yaml`).

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub seed: Option<u64>,
    /// Path to the topology file, relative to the scenario file.
    pub topology: S<String>,
    /// UTC wall-clock time of simulated time zero.
    pub start: Option<S<String>>,
    pub duration: S<String>,
    pub warmup: Option<S<String>>,
    pub scale: Option<S<f64>>,
    pub timeline_window: Option<S<String>>,
    #[serde(default)]
    pub limits: Option<LimitsFile>,
    #[serde(default)]
    pub routing: Option<RoutingFile>,
    #[serde(default)]
    pub services: Vec<ServiceFile>,
    #[serde(default)]
    pub clients: Vec<ClientFile>,
    #[serde(default)]
    pub network: Option<NetworkFile>,
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    #[serde(default)]
    pub variants: Vec<VariantFile>,
    pub health_checks: Option<HealthChecksFile>,
    pub dns: Option<DnsFile>,
    pub slo: Option<SloFile>,
    /// The keys requests are about (for caches and replicas).
    pub keys: Option<KeysFile>,
    /// Named periods measured on their own (`windows.<name>` in the summary).
    #[serde(default)]
    pub windows: Vec<WindowFile>,
    /// Bounds on the outcome, checked by `planetsim check`.
    #[serde(default)]
    pub expect: Vec<ExpectFile>,
    /// How many seeds `check` runs by default (seed, seed + 1, …).
    pub replications: Option<S<i64>>,
    /// What a case study's source claims, beside what the scenario checks (documentation only).
    #[serde(default)]
    pub claims: Vec<ClaimFile>,
    /// Rules that watch signals per timeline window and fire when one holds long enough.
    #[serde(default)]
    pub alerts: Vec<AlertFile>,
    /// Operators' steps: at a time, or after an alert fires or an earlier step is done.
    #[serde(default)]
    pub actions: Vec<ActionFile>,
}

/// An alert rule: `when: "p99_ms > 200"`, held `for` a while, on clients or servers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    pub name: S<String>,
    pub when: S<String>,
    /// Client signals: this client region's (default all clients). Server signals: the
    /// service's server in this region (default every region of the service).
    pub region: Option<S<String>>,
    /// Server signals: the service watched (default the scenario's only service).
    pub service: Option<S<String>>,
    #[serde(rename = "for")]
    pub hold: Option<S<String>>,
    /// The fault this alert should catch: its time to detect and false alarms are reported.
    pub detects: Option<S<String>>,
}

/// An operator's step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    pub name: S<String>,
    pub at: Option<S<String>>,
    /// An alert's name (its first firing) or an earlier action's name (when it is done).
    pub after: Option<S<String>>,
    pub delay: Option<S<String>>,
    #[serde(rename = "do")]
    pub effect: S<ActionKindFile>,
    /// `end-fault`: the fault repaired.
    pub fault: Option<S<String>>,
    /// `scale`: the service (default the only one) and its regions (default all of them).
    pub service: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    pub workers: Option<S<i64>>,
    pub provisioning_delay: Option<S<String>>,
    pub min_workers: Option<S<i64>>,
    pub max_workers: Option<S<i64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKindFile {
    Note,
    EndFault,
    Scale,
}

/// A claim of the chapter a case study replays, and whether its arithmetic makes it a target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimFile {
    pub claim: String,
    /// Where it is written, like `004_bec88a5e4cdfd74c.txt:L3289`.
    pub source: Option<String>,
    /// The arithmetic behind it, and whether it holds.
    pub arithmetic: Option<String>,
    pub status: ClaimStatusFile,
    /// What the simulation shows, or why it differs.
    pub note: Option<String>,
}

/// `target`: asserted exactly; `band`: asserted within a band; `context`: set beside the
/// outcome on the case study's page, never asserted.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatusFile {
    Target,
    Band,
    Context,
}

/// A period of the run measured on its own: `from`/`until` instants, or a fault's span.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowFile {
    pub name: S<String>,
    pub from: Option<S<String>>,
    pub until: Option<S<String>>,
    /// The window is this fault's span (`from`/`until` then default to its start and end).
    pub fault: Option<S<String>>,
}

/// One expectation: `that: "hardened.availability > naive.availability + 0.05"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    pub that: S<String>,
    /// Unqualified metrics are this variant's.
    pub variant: Option<S<String>>,
    /// Unqualified client metrics are this client region's.
    pub region: Option<S<String>>,
    /// Unqualified client metrics are measured in this window (or fault).
    pub during: Option<S<String>>,
    /// `mean` (default), `every`, or a share of replications such as `90%`.
    pub holds: Option<S<serde_json::Value>>,
    /// Shown beside the result: where the bound comes from.
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PopularityFile {
    Zipf,
    Uniform,
    HotSet,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    pub count: S<i64>,
    pub popularity: Option<S<PopularityFile>>,
    /// Zipf's exponent s.
    pub exponent: Option<S<f64>>,
    /// A hot set's size and share of requests.
    pub hot_keys: Option<S<i64>>,
    pub hot_share: Option<S<f64>>,
    /// The share of requests that write, for clients that do not say.
    pub writes: Option<S<f64>>,
    #[serde(default)]
    pub hot: Vec<HotKeyFile>,
    /// Keys `0..keys` are items with a limited stock; a write to one is a purchase.
    pub stock: Option<S<StockFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockFile {
    pub keys: S<i64>,
    pub units: S<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationFile {
    pub mode: S<ReplicationModeFile>,
    pub leader: Option<S<String>>,
    pub acks: Option<S<AcksFile>>,
    pub quorum: Option<S<QuorumFile>>,
    pub reads: Option<S<ReadsFile>>,
    pub max_staleness: Option<S<String>>,
    pub on_stale: Option<S<OnStaleFile>>,
    pub apply_time: Option<S<String>>,
    pub heartbeat: Option<S<String>>,
    pub retry: Option<S<String>>,
    pub ack_timeout: Option<S<String>>,
    pub on_missing_acks: Option<S<OnMissingAcksFile>>,
    pub conflicts: Option<S<ConflictsFile>>,
    pub resolve_time: Option<S<String>>,
    pub lock: Option<S<String>>,
    pub fencing: Option<S<String>>,
    pub failover: Option<S<FailoverFile>>,
    /// Leadership split by key range.
    pub placement: Option<S<PlacementFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementFile {
    pub ranges: S<i64>,
    /// How many ranges each region leads at the start (default: an even split).
    #[serde(default)]
    pub leaders: Vec<RangeShareFile>,
    pub move_time: Option<S<String>>,
    pub parallel: Option<S<i64>>,
    #[serde(default)]
    pub moves: Vec<S<MoveFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeShareFile {
    pub region: S<String>,
    pub ranges: S<i64>,
}

/// An operator's order: `drain` a region, or move `ranges` of `from`'s to `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveFile {
    pub at: S<String>,
    pub drain: Option<S<String>>,
    pub from: Option<S<String>>,
    pub to: Option<S<String>>,
    pub ranges: Option<S<i64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationModeFile {
    LeaderFollower,
    MultiLeader,
}

/// A number of acknowledgements, or `all`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AcksFile {
    Count(i64),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuorumFile {
    pub w: S<i64>,
    pub r: S<i64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ReadsFile {
    Local,
    Leader,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OnStaleFile {
    Refuse,
    Redirect,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OnMissingAcksFile {
    Fail,
    Accept,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictsFile {
    LastWriterWins,
    Resolver,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverFile {
    /// Where the failover manager runs (default: the first leader's region).
    pub manager: Option<S<String>>,
    pub heartbeat: Option<S<String>>,
    /// Automatic: promote after the leader has not answered for this long.
    pub detect_after: Option<S<String>>,
    /// Manual: promote `to` at `at`.
    pub at: Option<S<String>>,
    pub to: Option<S<String>>,
    /// The time a promoted replica takes before it accepts writes.
    pub promote: Option<S<String>>,
}

/// One key taking a share of all requests for a while.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotKeyFile {
    pub at: S<String>,
    pub duration: Option<S<String>>,
    pub until: Option<S<String>>,
    pub key: Option<S<i64>>,
    pub share: S<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CacheWritesFile {
    Invalidate,
    WriteThrough,
    WriteBehind,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StampedeFile {
    None,
    Coalesce,
    Lease,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFile {
    pub capacity: S<i64>,
    pub ttl: Option<S<String>>,
    pub ttl_jitter: Option<S<f64>>,
    pub hit_latency: Option<S<String>>,
    pub miss_latency: Option<S<String>>,
    pub writes: Option<S<CacheWritesFile>>,
    pub stampede: Option<S<StampedeFile>>,
    pub lease_retry: Option<S<String>>,
    pub hold: Option<S<String>>,
    pub early_refresh: Option<S<EarlyRefreshFile>>,
    pub prewarm: Option<S<PrewarmFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyRefreshFile {
    pub recompute: S<String>,
    pub beta: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrewarmFile {
    pub at: S<String>,
    pub keys: S<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloFile {
    pub availability: Option<S<f64>>,
    pub p99_ms: Option<S<f64>>,
    pub hold: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKindFile {
    Shallow,
    Deep,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthChecksFile {
    pub interval: S<String>,
    pub timeout: S<String>,
    pub unhealthy_after: Option<S<i64>>,
    pub healthy_after: Option<S<i64>>,
    pub kind: Option<S<ProbeKindFile>>,
    #[serde(default)]
    pub from: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsFile {
    pub ttl: Option<S<String>>,
    pub stale_share: Option<S<f64>>,
    pub stale_for: Option<S<String>>,
}

/// A variant of the scenario: the same scenario and seed with some values replaced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantFile {
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// YAML path (`clients[0].retries.max`) -> the value it takes in this variant.
    pub set: S<std::collections::BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    pub convergence_delay: Option<S<String>>,
    #[serde(default)]
    pub capacities: Vec<CapacityFile>,
}

/// The share of some links available to the simulated traffic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityFile {
    pub links: Vec<S<String>>,
    /// Messages per second per direction (requests one way, answers the other).
    pub per_second: S<f64>,
    pub buffer: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKindFile {
    Cut,
    Partition,
    GrayLink,
    Flap,
    RegionOutage,
    Crash,
    SlowServers,
    ErrorServers,
    CapacityLoss,
    ControlPlane,
    Leak,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DirectionFile {
    Both,
    OneWay,
}

/// A fault on the timeline; which keys apply depends on `kind` (see docs/SCENARIOS.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub kind: S<FaultKindFile>,
    pub name: Option<S<String>>,
    pub at: S<String>,
    pub duration: Option<S<String>>,
    pub until: Option<S<String>>,
    #[serde(default)]
    pub links: Vec<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    /// Only these services' servers in `regions` (default: all of them).
    #[serde(default)]
    pub services: Vec<S<String>>,
    #[serde(default)]
    pub from: Vec<S<String>>,
    #[serde(default)]
    pub to: Vec<S<String>>,
    pub direction: Option<S<DirectionFile>>,
    pub share: Option<S<f64>>,
    pub loss: Option<S<f64>>,
    pub added_latency: Option<S<String>>,
    pub latency_multiplier: Option<S<f64>>,
    pub jitter: Option<S<String>>,
    pub period: Option<S<String>>,
    pub multiplier: Option<S<f64>>,
    pub rate: Option<S<f64>>,
    /// `leak`: growth, limit and starting memory, GC slowdown at the limit, restart time.
    pub mb_per_min: Option<S<f64>>,
    pub limit_mb: Option<S<f64>>,
    pub baseline_mb: Option<S<f64>>,
    pub gc_slowdown: Option<S<f64>>,
    pub restart: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub max_events: Option<S<u64>>,
    pub max_simulated_time: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RoutingPolicyFile {
    Nearest,
    Weighted,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingFile {
    pub policy: S<RoutingPolicyFile>,
    /// For `weighted`: client region -> (serving region -> weight). Lists keep file order.
    #[serde(default)]
    pub weights: Vec<WeightRowFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightRowFile {
    pub from: S<String>,
    pub to: Vec<WeightFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightFile {
    pub region: S<String>,
    pub weight: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// The service these servers belong to; entries with the same name are one service in
    /// several regions. Absent: the scenario's one unnamed service.
    pub name: Option<S<String>>,
    /// One region, or several sharing the same settings.
    pub region: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    pub workers: S<i64>,
    pub queue_capacity: S<i64>,
    pub service_time: DistributionFile,
    pub admission: Option<AdmissionFile>,
    pub autoscaling: Option<AutoscalingFile>,
    pub modes: Option<ModesFile>,
    /// The dependencies each request calls after its service time (for the whole service).
    #[serde(default)]
    pub calls: Vec<CallFile>,
    pub call_mode: Option<S<CallModeFile>>,
    /// A cache in front of the service's servers, in every region.
    pub cache: Option<S<CacheFile>>,
    /// Each server of the service holds a replica of its data.
    pub replication: Option<S<ReplicationFile>>,
    /// Drop work whose caller's deadline has passed, and bound calls by it (for the whole service).
    pub propagate_deadlines: Option<S<bool>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CallModeFile {
    Sequence,
    Parallel,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OnFailureFile {
    FailClosed,
    FailOpen,
}

/// A dependency call, with its own timeout and resilience policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallFile {
    pub service: S<String>,
    pub timeout: S<String>,
    pub on_failure: Option<S<OnFailureFile>>,
    pub attempt_timeout: Option<S<String>>,
    pub retries: Option<RetriesFile>,
    pub breaker: Option<BreakerFile>,
    pub hedge: Option<HedgeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModesFile {
    pub interval: Option<S<String>>,
    pub min_dwell: Option<S<String>>,
    pub degraded: ModeFile,
    pub floor: Option<ModeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeFile {
    pub enter: ThresholdsFile,
    pub exit: ThresholdsFile,
    pub cheaper: Option<S<f64>>,
    pub cost: Option<S<f64>>,
    pub refuse: Option<S<f64>>,
}

impl ModeFile {
    /// Where the mode's thresholds are, for problems that concern them as a whole.
    pub fn enter_location(&self) -> serde_saphyr::Location {
        let fields = [
            &self.enter.p99_ms,
            &self.enter.error_rate,
            &self.enter.utilisation,
            &self.exit.p99_ms,
            &self.exit.error_rate,
            &self.exit.utilisation,
        ];
        fields.iter().find_map(|f| f.as_ref().map(|v| v.referenced)).unwrap_or(serde_saphyr::Location::UNKNOWN)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsFile {
    pub p99_ms: Option<S<f64>>,
    pub error_rate: Option<S<f64>>,
    pub utilisation: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingFile {
    pub target_utilisation: S<f64>,
    pub scale_out_above: Option<S<f64>>,
    pub scale_in_below: Option<S<f64>>,
    pub interval: Option<S<String>>,
    pub provisioning_delay: Option<S<String>>,
    pub cooldown: Option<S<String>>,
    pub min_workers: S<i64>,
    pub max_workers: S<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionFile {
    pub max_queue: S<i64>,
    pub max_wait: Option<S<String>>,
    pub shares: Option<PrioritySharesFile>,
}

/// One number per priority class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrioritySharesFile {
    pub critical: Option<S<f64>>,
    pub normal: Option<S<f64>>,
    pub sheddable: Option<S<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PriorityClassFile {
    Critical,
    Normal,
    Sheddable,
}

/// A client's priority: one class, or a mix of classes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PriorityFile {
    Class(PriorityClassFile),
    Mix(Box<PrioritySharesFile>),
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DistKindFile {
    Constant,
    Exponential,
    Lognormal,
    Gamma,
    Weibull,
    Pareto,
    Uniform,
}

/// A service-time distribution; which parameters apply depends on `dist`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionFile {
    pub dist: S<DistKindFile>,
    pub value: Option<S<String>>,
    pub mean: Option<S<String>>,
    pub median: Option<S<String>>,
    pub scale: Option<S<String>>,
    pub min: Option<S<String>>,
    pub max: Option<S<String>>,
    pub sigma: Option<S<f64>>,
    pub cv: Option<S<f64>>,
    pub shape: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFile {
    pub name: S<String>,
    /// The service called; required when the scenario names several.
    pub service: Option<S<String>>,
    pub region: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    pub rate_rps: S<f64>,
    pub timeout: S<String>,
    pub access_rtt_ms: Option<S<f64>>,
    pub daily_curve: Option<S<DailyCurveFile>>,
    #[serde(default)]
    pub surges: Vec<SurgeFile>,
    pub attempt_timeout: Option<S<String>>,
    pub retries: Option<RetriesFile>,
    pub breaker: Option<BreakerFile>,
    pub hedge: Option<HedgeFile>,
    pub priority: Option<S<PriorityFile>>,
    /// The share of its requests that write (with `keys:`).
    pub writes: Option<S<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RetryCauseFile {
    Timeout,
    Rejected,
    Error,
    Unreachable,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BackoffFile {
    Immediate,
    Exponential,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum JitterFile {
    None,
    Full,
    Equal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetriesFile {
    pub max: S<i64>,
    pub on: Option<Vec<S<RetryCauseFile>>>,
    pub backoff: Option<S<BackoffFile>>,
    pub base: Option<S<String>>,
    pub multiplier: Option<S<f64>>,
    pub cap: Option<S<String>>,
    pub jitter: Option<S<JitterFile>>,
    pub budget: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerFile {
    pub window: S<String>,
    pub min_requests: S<i64>,
    pub error_rate: S<f64>,
    pub open_for: S<String>,
    pub probes: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HedgeFile {
    pub after: S<String>,
    pub max: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DailyCurveFile {
    Preset(String),
    Hourly(Vec<f64>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurgeFile {
    pub at: S<String>,
    pub multiplier: S<f64>,
    pub ramp_up: Option<S<String>>,
    pub hold: S<String>,
    pub ramp_down: Option<S<String>>,
}
