//! The YAML shapes of topology and scenario files, exactly as written by users.
//!
//! Architecture invariant: serde types live only in this module. They mirror the files and carry
//! source positions (`S`); `validate_*` turns them into the plain plans the simulator runs,
//! which know nothing of YAML. Unknown keys are errors everywhere (`deny_unknown_fields`).
//! The same types give the files' JSON Schema (`schema.rs`), so their doc comments are what an
//! editor shows beside each key: they say what a key means, its unit and its default.

use super::schema::{DurationText, InstantText, UtcText};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Location;
use std::borrow::Cow;

/// A value and where it was written: the YAML node that uses it (`referenced`) and the one that
/// defines it (`defined`, different for an alias or a merge). It is `serde_saphyr::Spanned`
/// under a local name, because the schema needs a `JsonSchema` impl and Rust's orphan rule
/// forbids one for a foreign type: the position is not part of the file, so the schema of
/// `S<T>` is exactly `T`'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S<T> {
    pub value: T,
    pub referenced: Location,
    pub defined: Location,
}

impl<T> S<T> {
    pub const fn new(value: T, referenced: Location, defined: Location) -> Self {
        S { value, referenced, defined }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for S<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde-saphyr recognises `Spanned` and fills in the positions; a local type could not.
        let serde_saphyr::Spanned { value, referenced, defined } = serde_saphyr::Spanned::deserialize(deserializer)?;
        Ok(S { value, referenced, defined })
    }
}

impl<T: JsonSchema> JsonSchema for S<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("planetsim::S<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

// ---------------------------------------------------------------------------------------------
// Topology files (`topologies/*.yaml`).

/// A planetsim topology: regions and sites on the globe, and the links between them.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "planetsim topology file")]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub defaults: Option<TopologyDefaultsFile>,
    /// Places that host clients and servers (at least one).
    #[serde(default)]
    pub regions: Vec<RegionFile>,
    /// Other nodes links pass through: cable landing stations, backbone hubs.
    #[serde(default)]
    pub sites: Vec<SiteFile>,
    /// Bidirectional, symmetric links.
    #[serde(default)]
    pub links: Vec<LinkFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopologyDefaultsFile {
    /// The speed of light in fiber, km/s (default 204,000: c / 1.47).
    pub fiber_km_per_s: Option<S<f64>>,
    /// Multiplies every path length unless a link overrides it.
    pub route_factor: Option<S<f64>>,
    /// One-way overhead per link, ms (switching, regeneration, peering).
    pub hop_overhead_ms: Option<S<f64>>,
    /// Round trip between a client and a server in the same region, ms.
    pub intra_region_rtt_ms: Option<S<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    /// Unique among regions and sites; scenarios name regions by it.
    pub id: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude, degrees (−90 to 90).
    pub lat: S<f64>,
    /// Longitude, degrees (−180 to 180).
    pub lon: S<f64>,
    /// Standard time's offset from UTC, hours (−12 to 14); daily curves follow it.
    pub utc_offset_h: S<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    /// Unique among regions and sites.
    pub id: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude, degrees (−90 to 90).
    pub lat: S<f64>,
    /// Longitude, degrees (−180 to 180).
    pub lon: S<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKindFile {
    Cable,
    Terrestrial,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFile {
    /// Unique; `--cut <name>` and a `cut` fault remove the link.
    pub name: S<String>,
    pub kind: LinkKindFile,
    /// Groups a cut can name to remove all their links at once (`red-sea`).
    #[serde(default)]
    pub groups: Vec<S<String>>,
    /// The two region or site ids the link joins.
    pub between: S<Vec<S<String>>>,
    /// Waypoints `[lat, lon]` the route passes through.
    #[serde(default)]
    pub via: Vec<S<Vec<f64>>>,
    pub route_factor: Option<S<f64>>,
    /// One-way overhead of this link, ms.
    pub hop_overhead_ms: Option<S<f64>>,
    /// The one-way latency stated outright, ms, instead of one computed from the route.
    pub latency_ms: Option<S<f64>>,
}

// ---------------------------------------------------------------------------------------------
// Scenario files (`scenarios/*.yaml`).

/// A planetsim scenario: the services, the clients that call them, and what goes wrong.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "planetsim scenario file")]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Also the default result folder, `results/<name>/`.
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Default 1; `--seed N` overrides it.
    pub seed: Option<u64>,
    /// Path to the topology file, relative to the scenario file.
    pub topology: S<String>,
    /// UTC wall-clock time of simulated time zero (default 2026-01-01T00:00:00Z).
    #[schemars(with = "Option<UtcText>")]
    pub start: Option<S<String>>,
    /// How long requests arrive (at most 30d); the run then drains.
    #[schemars(with = "DurationText")]
    pub duration: S<String>,
    /// Requests issued before this are simulated but not measured (default 0s).
    #[schemars(with = "Option<DurationText>")]
    pub warmup: Option<S<String>>,
    /// Divides rates, workers and queues, so a planet-sized load runs in minutes (default 1).
    pub scale: Option<S<f64>>,
    /// The timeline's resolution (default 1s).
    #[schemars(with = "Option<DurationText>")]
    pub timeline_window: Option<S<String>>,
    #[serde(default)]
    pub limits: Option<LimitsFile>,
    /// How GeoDNS picks a serving region (default nearest).
    #[serde(default)]
    pub routing: Option<RoutingFile>,
    /// Servers: each entry a service in one or several regions.
    #[serde(default)]
    pub services: Vec<ServiceFile>,
    /// Client populations: each entry in one or several regions.
    #[serde(default)]
    pub clients: Vec<ClientFile>,
    #[serde(default)]
    pub network: Option<NetworkFile>,
    /// The fault timeline.
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    /// The same scenario and seed with some values replaced, run side by side.
    #[serde(default)]
    pub variants: Vec<VariantFile>,
    pub health_checks: Option<HealthChecksFile>,
    pub dns: Option<DnsFile>,
    /// Used to measure each fault's time to recover.
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    /// Letters, digits, - and _; unique among alerts and actions.
    pub name: S<String>,
    /// `<signal> <op> <number>`, such as `p99_ms > 200` or `error_rate >= 1%`.
    pub when: S<String>,
    /// Client signals: this client region's (default all clients). Server signals: the
    /// service's server in this region (default every region of the service).
    pub region: Option<S<String>>,
    /// Server signals: the service watched (default the scenario's only service).
    pub service: Option<S<String>>,
    /// How long the comparison must hold before the alert fires (default 0s).
    #[serde(rename = "for")]
    #[schemars(with = "Option<DurationText>")]
    pub hold: Option<S<String>>,
    /// The fault this alert should catch: its time to detect and false alarms are reported.
    pub detects: Option<S<String>>,
}

/// An operator's step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    /// Unique among alerts and actions.
    pub name: S<String>,
    /// When it is done, or use `after`.
    #[schemars(with = "Option<InstantText>")]
    pub at: Option<S<String>>,
    /// An alert's name (its first firing) or an earlier action's name (when it is done).
    pub after: Option<S<String>>,
    /// With `after`: how long after it (default 0s).
    #[schemars(with = "Option<DurationText>")]
    pub delay: Option<S<String>>,
    #[serde(rename = "do")]
    pub effect: S<ActionKindFile>,
    /// `end-fault`: the fault repaired.
    pub fault: Option<S<String>>,
    /// `scale`: the service (default the only one) and its regions (default all of them).
    pub service: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    /// `scale`: the pool's new size (divided by `scale`).
    pub workers: Option<S<i64>>,
    /// `scale`: new workers serve this much later (default 0s).
    #[schemars(with = "Option<DurationText>")]
    pub provisioning_delay: Option<S<String>>,
    /// `scale` on an autoscaled service: new bounds.
    pub min_workers: Option<S<i64>>,
    pub max_workers: Option<S<i64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKindFile {
    Note,
    EndFault,
    Scale,
}

/// A claim of the chapter a case study replays, and whether its arithmetic makes it a target.
#[derive(Debug, Deserialize, JsonSchema)]
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
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatusFile {
    Target,
    Band,
    Context,
}

/// A period of the run measured on its own: `from`/`until` instants, or a fault's span.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowFile {
    pub name: S<String>,
    #[schemars(with = "Option<InstantText>")]
    pub from: Option<S<String>>,
    /// Default: the end of arrivals, or the fault's end.
    #[schemars(with = "Option<InstantText>")]
    pub until: Option<S<String>>,
    /// The window is this fault's span (`from`/`until` then default to its start and end).
    pub fault: Option<S<String>>,
}

/// One expectation: `that: "hardened.availability > naive.availability + 0.05"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    /// `left comparison right`, over numbers and metric paths of summary.json.
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

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PopularityFile {
    Zipf,
    Uniform,
    HotSet,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// Keys 0 … count−1, 0 the most popular.
    pub count: S<i64>,
    /// Default zipf.
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockFile {
    pub keys: S<i64>,
    pub units: S<i64>,
}

/// Each server of the service holds a replica of its data (docs/SCENARIOS.md, Replicas).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationFile {
    pub mode: S<ReplicationModeFile>,
    /// `leader-follower`: the first leader's region.
    pub leader: Option<S<String>>,
    /// Acknowledgements a write waits for, its origin's included: a number, or `all` (default 1).
    pub acks: Option<S<AcksFile>>,
    pub quorum: Option<S<QuorumFile>>,
    /// Default local.
    pub reads: Option<S<ReadsFile>>,
    /// The furthest behind a replica may be when it serves a read.
    #[schemars(with = "Option<DurationText>")]
    pub max_staleness: Option<S<String>>,
    pub on_stale: Option<S<OnStaleFile>>,
    /// The time a replica takes to apply one write (default 100us).
    #[schemars(with = "Option<DurationText>")]
    pub apply_time: Option<S<String>>,
    /// Default 100ms.
    #[schemars(with = "Option<DurationText>")]
    pub heartbeat: Option<S<String>>,
    /// A stream without acknowledgement this long is sent again (default 1s).
    #[schemars(with = "Option<DurationText>")]
    pub retry: Option<S<String>>,
    /// How long a write waits for its acknowledgements (default 1s).
    #[schemars(with = "Option<DurationText>")]
    pub ack_timeout: Option<S<String>>,
    pub on_missing_acks: Option<S<OnMissingAcksFile>>,
    pub conflicts: Option<S<ConflictsFile>>,
    /// With `conflicts: resolver`: the time per conflict (default 10ms).
    #[schemars(with = "Option<DurationText>")]
    pub resolve_time: Option<S<String>>,
    /// `multi-leader` with `keys.stock`: the region that decides every purchase.
    pub lock: Option<S<String>>,
    /// A leader the failover manager has not pinged for this long refuses writes.
    #[schemars(with = "Option<DurationText>")]
    pub fencing: Option<S<String>>,
    pub failover: Option<S<FailoverFile>>,
    /// Leadership split by key range.
    pub placement: Option<S<PlacementFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementFile {
    /// How many key ranges (key k is in range k mod ranges).
    pub ranges: S<i64>,
    /// How many ranges each region leads at the start (default: an even split).
    #[serde(default)]
    pub leaders: Vec<RangeShareFile>,
    /// How long a move prepares before the hand-off (default 1s).
    #[schemars(with = "Option<DurationText>")]
    pub move_time: Option<S<String>>,
    /// Moves a region carries out at once (default 1).
    pub parallel: Option<S<i64>>,
    #[serde(default)]
    pub moves: Vec<S<MoveFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeShareFile {
    pub region: S<String>,
    pub ranges: S<i64>,
}

/// An operator's order: `drain` a region, or move `ranges` of `from`'s to `to`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveFile {
    #[schemars(with = "InstantText")]
    pub at: S<String>,
    pub drain: Option<S<String>>,
    pub from: Option<S<String>>,
    pub to: Option<S<String>>,
    pub ranges: Option<S<i64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationModeFile {
    LeaderFollower,
    MultiLeader,
}

/// A number of acknowledgements, or `all`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AcksFile {
    Count(i64),
    Word(String),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuorumFile {
    pub w: S<i64>,
    pub r: S<i64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReadsFile {
    Local,
    Leader,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnStaleFile {
    Refuse,
    Redirect,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnMissingAcksFile {
    Fail,
    Accept,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictsFile {
    LastWriterWins,
    Resolver,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailoverFile {
    /// Where the failover manager runs (default: the first leader's region).
    pub manager: Option<S<String>>,
    /// How often the manager pings every member (default 1s).
    #[schemars(with = "Option<DurationText>")]
    pub heartbeat: Option<S<String>>,
    /// Automatic: promote after the leader has not answered for this long.
    #[schemars(with = "Option<DurationText>")]
    pub detect_after: Option<S<String>>,
    /// Manual: promote `to` at `at`.
    #[schemars(with = "Option<InstantText>")]
    pub at: Option<S<String>>,
    pub to: Option<S<String>>,
    /// The time a promoted replica takes before it accepts writes.
    #[schemars(with = "Option<DurationText>")]
    pub promote: Option<S<String>>,
}

/// One key taking a share of all requests for a while.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HotKeyFile {
    #[schemars(with = "InstantText")]
    pub at: S<String>,
    /// `duration` or `until`; neither: to the end of the run.
    #[schemars(with = "Option<DurationText>")]
    pub duration: Option<S<String>>,
    #[schemars(with = "Option<InstantText>")]
    pub until: Option<S<String>>,
    pub key: Option<S<i64>>,
    pub share: S<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CacheWritesFile {
    Invalidate,
    WriteThrough,
    WriteBehind,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StampedeFile {
    None,
    Coalesce,
    Lease,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheFile {
    /// Entries; the least recently used goes first.
    pub capacity: S<i64>,
    /// Default none: kept until evicted or invalidated.
    #[schemars(with = "Option<DurationText>")]
    pub ttl: Option<S<String>>,
    /// Each entry's TTL is cut by a random share up to this (default 0).
    pub ttl_jitter: Option<S<f64>>,
    /// Default 0.5ms.
    #[schemars(with = "Option<DurationText>")]
    pub hit_latency: Option<S<String>>,
    /// Default 0.5ms.
    #[schemars(with = "Option<DurationText>")]
    pub miss_latency: Option<S<String>>,
    pub writes: Option<S<CacheWritesFile>>,
    pub stampede: Option<S<StampedeFile>>,
    /// With `stampede: lease`: how soon a request that found a lease out looks again.
    #[schemars(with = "Option<DurationText>")]
    pub lease_retry: Option<S<String>>,
    /// A fetch unanswered this long no longer holds others back (default 2s).
    #[schemars(with = "Option<DurationText>")]
    pub hold: Option<S<String>>,
    pub early_refresh: Option<S<EarlyRefreshFile>>,
    pub prewarm: Option<S<PrewarmFile>>,
}

/// XFetch: a hit refreshes its key early, sooner the longer a refresh takes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlyRefreshFile {
    /// How long a refresh takes.
    #[schemars(with = "DurationText")]
    pub recompute: S<String>,
    pub beta: Option<S<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrewarmFile {
    #[schemars(with = "InstantText")]
    pub at: S<String>,
    /// Loads keys 0 … keys−1, the most popular.
    pub keys: S<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloFile {
    /// Per timeline window, over all clients (default 0.99).
    pub availability: Option<S<f64>>,
    /// Also a bound on each window's p99, ms.
    pub p99_ms: Option<S<f64>>,
    /// How long it must hold to count as recovered (default 30s).
    #[schemars(with = "Option<DurationText>")]
    pub hold: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKindFile {
    Shallow,
    Deep,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthChecksFile {
    /// Every vantage probes every serving region this often.
    #[schemars(with = "DurationText")]
    pub interval: S<String>,
    /// A probe with no answer by then fails (less than `interval`).
    #[schemars(with = "DurationText")]
    pub timeout: S<String>,
    pub unhealthy_after: Option<S<i64>>,
    pub healthy_after: Option<S<i64>>,
    pub kind: Option<S<ProbeKindFile>>,
    /// Vantage regions (default every region with clients).
    #[serde(default)]
    pub from: Vec<S<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsFile {
    /// How long clients cache GeoDNS answers (default 60s).
    #[schemars(with = "Option<DurationText>")]
    pub ttl: Option<S<String>>,
    /// The share of clients whose resolvers keep answers longer (default 0).
    pub stale_share: Option<S<f64>>,
    /// How long those keep them.
    #[schemars(with = "Option<DurationText>")]
    pub stale_for: Option<S<String>>,
}

/// A variant of the scenario: the same scenario and seed with some values replaced.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantFile {
    /// Letters, digits, - and _; names the result subfolder.
    pub name: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// YAML path (`clients[0].retries.max`) -> the value it takes in this variant.
    pub set: S<std::collections::BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// How long routing takes to move traffic after links change (default 10s).
    #[schemars(with = "Option<DurationText>")]
    pub convergence_delay: Option<S<String>>,
    #[serde(default)]
    pub capacities: Vec<CapacityFile>,
}

/// The share of some links available to the simulated traffic.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityFile {
    /// Link or group names.
    pub links: Vec<S<String>>,
    /// Messages per second per direction (requests one way, answers the other).
    pub per_second: S<f64>,
    /// The longest a message waits for the link before it is dropped (default 100ms).
    #[schemars(with = "Option<DurationText>")]
    pub buffer: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
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

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DirectionFile {
    Both,
    OneWay,
}

/// A fault on the timeline; which keys apply depends on `kind` (see docs/SCENARIOS.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub kind: S<FaultKindFile>,
    /// Default `<kind>-<index>`; shown in events.csv.
    pub name: Option<S<String>>,
    /// When it starts; a local time names its region: `… local tokyo`.
    #[schemars(with = "InstantText")]
    pub at: S<String>,
    /// `duration` or `until`; neither: to the end of the run.
    #[schemars(with = "Option<DurationText>")]
    pub duration: Option<S<String>>,
    #[schemars(with = "Option<InstantText>")]
    pub until: Option<S<String>>,
    /// Link or group names.
    #[serde(default)]
    pub links: Vec<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    /// Only these services' servers in `regions` (default: all of them).
    #[serde(default)]
    pub services: Vec<S<String>>,
    /// `partition`: regions on each side.
    #[serde(default)]
    pub from: Vec<S<String>>,
    #[serde(default)]
    pub to: Vec<S<String>>,
    pub direction: Option<S<DirectionFile>>,
    /// The share of flows (`partition`) or of workers (`slow-servers`, `capacity-loss`), 0 to 1.
    pub share: Option<S<f64>>,
    /// `gray-link`: the probability a message is lost, per link.
    pub loss: Option<S<f64>>,
    #[schemars(with = "Option<DurationText>")]
    pub added_latency: Option<S<String>>,
    pub latency_multiplier: Option<S<f64>>,
    /// `gray-link`: uniform extra delay from 0 to this, per message per link.
    #[schemars(with = "Option<DurationText>")]
    pub jitter: Option<S<String>>,
    /// `flap`: how often the links withdraw or return.
    #[schemars(with = "Option<DurationText>")]
    pub period: Option<S<String>>,
    /// `slow-servers`: how many times slower.
    pub multiplier: Option<S<f64>>,
    /// `error-servers`: the share of requests answered with an error, 0 to 1.
    pub rate: Option<S<f64>>,
    /// `leak`: growth, limit and starting memory, GC slowdown at the limit, restart time.
    pub mb_per_min: Option<S<f64>>,
    pub limit_mb: Option<S<f64>>,
    pub baseline_mb: Option<S<f64>>,
    pub gc_slowdown: Option<S<f64>>,
    /// `leak`: how long an out-of-memory restart takes (default 30s).
    #[schemars(with = "Option<DurationText>")]
    pub restart: Option<S<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// The run ends early with `event-limit` (default 2e9).
    pub max_events: Option<S<u64>>,
    /// The run ends early with `time-limit` (default none).
    #[schemars(with = "Option<DurationText>")]
    pub max_simulated_time: Option<S<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoutingPolicyFile {
    Nearest,
    Weighted,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingFile {
    pub policy: S<RoutingPolicyFile>,
    /// For `weighted`: client region -> (serving region -> weight). Lists keep file order.
    #[serde(default)]
    pub weights: Vec<WeightRowFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightRowFile {
    pub from: S<String>,
    pub to: Vec<WeightFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightFile {
    pub region: S<String>,
    pub weight: S<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// The service these servers belong to; entries with the same name are one service in
    /// several regions. Absent: the scenario's one unnamed service.
    pub name: Option<S<String>>,
    /// One region, or several sharing the same settings.
    pub region: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    /// Workers per region (divided by `scale`, rounded up).
    pub workers: S<i64>,
    /// Requests that may wait for a worker; beyond it they are rejected.
    pub queue_capacity: S<i64>,
    pub service_time: DistributionFile,
    pub admission: Option<AdmissionFile>,
    pub autoscaling: Option<AutoscalingFile>,
    pub modes: Option<ModesFile>,
    /// The dependencies each request calls after its service time (for the whole service).
    #[serde(default)]
    pub calls: Vec<CallFile>,
    /// Default sequence.
    pub call_mode: Option<S<CallModeFile>>,
    /// A cache in front of the service's servers, in every region.
    pub cache: Option<S<CacheFile>>,
    /// Each server of the service holds a replica of its data.
    pub replication: Option<S<ReplicationFile>>,
    /// Drop work whose caller's deadline has passed, and bound calls by it (for the whole service).
    pub propagate_deadlines: Option<S<bool>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CallModeFile {
    Sequence,
    Parallel,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnFailureFile {
    FailClosed,
    FailOpen,
}

/// A dependency call, with its own timeout and resilience policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallFile {
    pub service: S<String>,
    /// The call's deadline, retries included.
    #[schemars(with = "DurationText")]
    pub timeout: S<String>,
    /// Default fail-closed.
    pub on_failure: Option<S<OnFailureFile>>,
    #[schemars(with = "Option<DurationText>")]
    pub attempt_timeout: Option<S<String>>,
    pub retries: Option<RetriesFile>,
    pub breaker: Option<BreakerFile>,
    pub hedge: Option<HedgeFile>,
}

/// Degradation modes: cheaper service under load, with hysteresis.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModesFile {
    /// How often the signals are judged (default 5s).
    #[schemars(with = "Option<DurationText>")]
    pub interval: Option<S<String>>,
    /// Every mode lasts at least this long (default 30s).
    #[schemars(with = "Option<DurationText>")]
    pub min_dwell: Option<S<String>>,
    pub degraded: ModeFile,
    pub floor: Option<ModeFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeFile {
    /// Any one bound crossed: enter the mode.
    pub enter: ThresholdsFile,
    /// All below: leave it.
    pub exit: ThresholdsFile,
    /// The share of requests served on a cheaper path…
    pub cheaper: Option<S<f64>>,
    /// …at this share of the service time.
    pub cost: Option<S<f64>>,
    /// The share of requests refused.
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsFile {
    pub p99_ms: Option<S<f64>>,
    pub error_rate: Option<S<f64>>,
    pub utilisation: Option<S<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingFile {
    /// Size the pool so it is this busy.
    pub target_utilisation: S<f64>,
    pub scale_out_above: Option<S<f64>>,
    pub scale_in_below: Option<S<f64>>,
    /// How often it decides (default 30s).
    #[schemars(with = "Option<DurationText>")]
    pub interval: Option<S<String>>,
    /// Ordered workers serve this much later (default 2m).
    #[schemars(with = "Option<DurationText>")]
    pub provisioning_delay: Option<S<String>>,
    /// No new decision this soon after the last one (default 3m).
    #[schemars(with = "Option<DurationText>")]
    pub cooldown: Option<S<String>>,
    pub min_workers: S<i64>,
    pub max_workers: S<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionFile {
    /// Shed new requests once the queue holds this many (times the class's share).
    pub max_queue: S<i64>,
    /// Drop a queued request that waited longer, instead of starting it.
    #[schemars(with = "Option<DurationText>")]
    pub max_wait: Option<S<String>>,
    pub shares: Option<PrioritySharesFile>,
}

/// One number per priority class.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritySharesFile {
    pub critical: Option<S<f64>>,
    pub normal: Option<S<f64>>,
    pub sheddable: Option<S<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PriorityClassFile {
    Critical,
    Normal,
    Sheddable,
}

/// A client's priority: one class, or a mix of classes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PriorityFile {
    Class(PriorityClassFile),
    Mix(Box<PrioritySharesFile>),
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionFile {
    pub dist: S<DistKindFile>,
    /// `constant`.
    #[schemars(with = "Option<DurationText>")]
    pub value: Option<S<String>>,
    /// `exponential`, `gamma`.
    #[schemars(with = "Option<DurationText>")]
    pub mean: Option<S<String>>,
    /// `lognormal`.
    #[schemars(with = "Option<DurationText>")]
    pub median: Option<S<String>>,
    /// `weibull`, `pareto` (its minimum).
    #[schemars(with = "Option<DurationText>")]
    pub scale: Option<S<String>>,
    /// `uniform`.
    #[schemars(with = "Option<DurationText>")]
    pub min: Option<S<String>>,
    #[schemars(with = "Option<DurationText>")]
    pub max: Option<S<String>>,
    /// `lognormal`: sigma of the underlying normal.
    pub sigma: Option<S<f64>>,
    /// `gamma`: coefficient of variation (1 is exponential).
    pub cv: Option<S<f64>>,
    /// `weibull`, `pareto`.
    pub shape: Option<S<f64>>,
}

/// A client population: users in one region, or one population per region.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientFile {
    pub name: S<String>,
    /// The service called; required when the scenario names several.
    pub service: Option<S<String>>,
    pub region: Option<S<String>>,
    #[serde(default)]
    pub regions: Vec<S<String>>,
    /// Requests per second, the daily average (real-world; divided by `scale`).
    pub rate_rps: S<f64>,
    /// The request's deadline: the client gives up after this.
    #[schemars(with = "DurationText")]
    pub timeout: S<String>,
    /// Last-mile round trip, ms, added to the backbone's (default 0).
    pub access_rtt_ms: Option<S<f64>>,
    /// `flat` (default), `diurnal`, or 24 multipliers for local hours 0 to 23.
    pub daily_curve: Option<S<DailyCurveFile>>,
    /// Flash crowds: each multiplies the rate while it lasts.
    #[serde(default)]
    pub surges: Vec<SurgeFile>,
    /// Give up on one attempt after this (default: only the deadline).
    #[schemars(with = "Option<DurationText>")]
    pub attempt_timeout: Option<S<String>>,
    pub retries: Option<RetriesFile>,
    pub breaker: Option<BreakerFile>,
    pub hedge: Option<HedgeFile>,
    /// `critical`, `normal` (default) or `sheddable`, or a mix of shares adding up to 1.
    pub priority: Option<S<PriorityFile>>,
    /// The share of its requests that write (with `keys:`).
    pub writes: Option<S<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RetryCauseFile {
    Timeout,
    Rejected,
    Error,
    Unreachable,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BackoffFile {
    Immediate,
    Exponential,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JitterFile {
    None,
    Full,
    Equal,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetriesFile {
    /// Retries after the first attempt, 0 to 20.
    pub max: S<i64>,
    /// Default: all four causes.
    pub on: Option<Vec<S<RetryCauseFile>>>,
    pub backoff: Option<S<BackoffFile>>,
    /// The delay before retry k is base × multiplier^k, capped at `cap`.
    #[schemars(with = "Option<DurationText>")]
    pub base: Option<S<String>>,
    pub multiplier: Option<S<f64>>,
    #[schemars(with = "Option<DurationText>")]
    pub cap: Option<S<String>>,
    pub jitter: Option<S<JitterFile>>,
    /// Retries at most this share of requests (a token bucket).
    pub budget: Option<S<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerFile {
    /// The error rate is measured over this sliding window.
    #[schemars(with = "DurationText")]
    pub window: S<String>,
    /// No decision on fewer outcomes in the window.
    pub min_requests: S<i64>,
    /// Open at this share of failed attempts.
    pub error_rate: S<f64>,
    /// Then half-open: let `probes` attempts through.
    #[schemars(with = "DurationText")]
    pub open_for: S<String>,
    pub probes: Option<S<i64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HedgeFile {
    /// No answer yet after this: send another attempt.
    #[schemars(with = "DurationText")]
    pub after: S<String>,
    /// Extra attempts per request, 1 to 5 (default 1).
    pub max: Option<S<i64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DailyCurveFile {
    Preset(String),
    Hourly(Vec<f64>),
}

/// A flash crowd (or a spike at local midnight): the rate multiplied for a while.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SurgeFile {
    /// When it starts: an offset, a UTC time, or `… local` (the population's own region).
    #[schemars(with = "InstantText")]
    pub at: S<String>,
    /// Below 1 is a dip.
    pub multiplier: S<f64>,
    /// A linear ramp from ×1 (default 0s).
    #[schemars(with = "Option<DurationText>")]
    pub ramp_up: Option<S<String>>,
    /// Time at the full multiplier.
    #[schemars(with = "DurationText")]
    pub hold: S<String>,
    /// A linear ramp back to ×1 (default 0s).
    #[schemars(with = "Option<DurationText>")]
    pub ramp_down: Option<S<String>>,
}
