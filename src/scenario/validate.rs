//! Validation of scenario files into a [`ScenarioPlan`].

use super::checks::{duration, duration_or, non_negative, positive, positive_duration, positive_duration_or};
use super::diagnostic::{Problems, did_you_mean};
use super::files::{
    ClientFile, DailyCurveFile, DistKindFile, DistributionFile, RoutingFile, RoutingPolicyFile, S, ScenarioFile, SurgeFile,
};
use super::units::{DURATION_FORMS, INSTANT_FORMS, Instant, ns_from_start, parse_instant};
use crate::actors::messages::RequestRef;
use crate::actors::server::ServiceTime;
use crate::actors::traffic::{RateCurve, Surge};
use crate::kernel::SimDuration;
use crate::sim::plan::{PopulationPlan, RoutingPlan, ScenarioPlan, ServicePlan, ServiceSpec, Slo, WeightRow};
use crate::world::{RegionId, Topology};
use std::collections::BTreeSet;

pub const DEFAULT_SEED: u64 = 1;
/// 2026-01-01T00:00:00Z: an arbitrary but fixed origin, so daily curves are reproducible.
pub const DEFAULT_START_UNIX_S: i64 = 1_767_225_600;
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;
const MAX_DURATION: SimDuration = SimDuration::from_secs(30 * 86_400);
const MAX_TIMELINE_WINDOWS: u64 = 10_000_000;
pub(super) const MAX_WORKERS: i64 = 100_000_000;
pub(super) const MAX_QUEUE: i64 = 1_000_000_000;

/// A typical consumer-web day in local time (trough before dawn, peak in the evening), as
/// multipliers of the daily mean. Illustrative, not a measurement; normalised to mean 1 on use.
const DIURNAL: [f64; 24] = [
    0.62, 0.45, 0.35, 0.30, 0.28, 0.32, 0.45, 0.65, 0.85, 1.00, 1.10, 1.18, 1.22, 1.20, 1.18, 1.18, 1.20, 1.25, 1.35, 1.45, 1.55, 1.55,
    1.35, 0.95,
];

/// Resolves a region name, suggesting the nearest valid one when it is unknown.
pub(crate) fn region(problems: &mut Problems, topology: &Topology, name: &S<String>, key: &str) -> Option<RegionId> {
    let found = topology.region_by_id(&name.value);
    if found.is_none() {
        problems
            .on(name, key, format!("unknown region `{}`", name.value))
            .expected(format!("a region of topology `{}`", topology.name))
            .suggest(did_you_mean(&name.value, topology.regions.iter().map(|r| r.id.as_str())));
    }
    found
}

/// The regions named by `region:` or `regions:` (exactly one of the two).
pub(super) fn one_or_many(
    problems: &mut Problems,
    topology: &Topology,
    single: &Option<S<String>>,
    many: &[S<String>],
    key: &str,
    anchor: &serde_saphyr::Location,
) -> Vec<RegionId> {
    match (single, many.is_empty()) {
        (Some(name), true) => region(problems, topology, name, &format!("{key}.region")).into_iter().collect(),
        (None, false) => {
            many.iter().enumerate().filter_map(|(i, name)| region(problems, topology, name, &format!("{key}.regions[{i}]"))).collect()
        }
        (Some(name), false) => {
            problems.on(name, key, "both `region` and `regions` are given").expected("one of them");
            Vec::new()
        }
        (None, true) => {
            problems.at(anchor, key, "no region given").expected("`region: <id>` or `regions: [<id>, ...]`");
            Vec::new()
        }
    }
}

pub fn validate_scenario(problems: &mut Problems, file: &ScenarioFile, topology: Topology) -> Option<ScenarioPlan> {
    if file.name.value.trim().is_empty() {
        problems.on(&file.name, "name", "the scenario's name is empty").expected("a non-empty name");
    }
    let start_unix_s = file.start.as_ref().map_or(Some(DEFAULT_START_UNIX_S), |s| start_time(problems, s));
    let run_length = positive_duration(problems, &file.duration, "duration");
    if let Some(d) = run_length.filter(|d| *d > MAX_DURATION) {
        problems.on(&file.duration, "duration", format!("{d} is longer than the 30-day limit")).expected("at most 30d");
    }
    let warmup = duration_or(problems, &file.warmup, "warmup", SimDuration::ZERO);
    if let (Some(w), Some(d), Some(text)) = (warmup, run_length, file.warmup.as_ref())
        && w >= d
    {
        problems
            .on(text, "warmup", "the warm-up is as long as the run, so nothing would be measured")
            .expected("a warm-up shorter than `duration`");
    }
    let scale = file.scale.as_ref().map_or(1.0, |s| positive(problems, s, "scale"));
    let window = positive_duration_or(problems, &file.timeline_window, "timeline_window", SimDuration::from_secs(1));
    if let (Some(w), Some(d), Some(text)) = (window, run_length, file.timeline_window.as_ref())
        && d.0 / w.0.max(1) > MAX_TIMELINE_WINDOWS
    {
        problems
            .on(text, "timeline_window", format!("{} windows would be written", d.0 / w.0))
            .expected(format!("at most {MAX_TIMELINE_WINDOWS} windows: a longer window"));
    }
    let max_events = limits(problems, file);
    let max_simulated_time = file
        .limits
        .as_ref()
        .and_then(|l| l.max_simulated_time.as_ref())
        .and_then(|t| positive_duration(problems, t, "limits.max_simulated_time"));
    let (mut service_specs, services) = super::services::validate_services(problems, &file.services, &topology, scale, &file.name);
    let routing = validate_routing(problems, file.routing.as_ref(), &topology, &services);
    let context = super::faults::FaultContext {
        topology: &topology,
        service_specs: &service_specs,
        services: &services,
        start_unix_s: start_unix_s.unwrap_or(0),
        scale,
    };
    let keys = file.keys.as_ref().map(|k| super::data::key_space(problems, k, &context));
    let setting = ClientSetting {
        scale,
        start_unix_s: start_unix_s.unwrap_or(0),
        keys: keys.as_ref().and_then(|k| k.as_ref()),
        has_keys: file.keys.is_some(),
    };
    let populations = validate_clients(problems, &file.clients, &topology, &service_specs, &file.name, setting);
    let faults = super::faults::validate_faults(problems, file.network.as_ref(), &file.faults, &context);
    let periods = super::windows::periods(problems, file, &faults, &context, run_length);
    let client_regions: Vec<RegionId> = populations.iter().map(|p| p.region).collect();
    let key_space = keys.as_ref().and_then(|k| k.as_ref());
    let caches = super::data::caches(problems, &file.services, &service_specs, key_space, &context);
    let replications = super::replication::replications(problems, &file.services, key_space, &context);
    let ops_context = super::operations::OperationsContext { faults: &faults, client_regions: &client_regions };
    let operations = super::operations::operations(problems, &file.alerts, &file.actions, &context, &ops_context);
    for ((spec, cache), replication) in service_specs.iter_mut().zip(caches).zip(replications) {
        spec.cache = cache;
        spec.replication = replication;
    }
    if let Some(stock) = file.keys.as_ref().and_then(|k| k.stock.as_ref())
        && !file.services.iter().any(|s| s.replication.is_some())
    {
        problems
            .on(stock, "keys.stock", "stock is counted by replicas, and no service is replicated")
            .expected("`replication:` on the service that sells it");
    }
    if let (Some(file_keys), Some(Some(space))) = (&file.keys, &keys) {
        let cached = services.iter().filter(|s| service_specs[s.service as usize].cache.is_some()).count();
        super::data::check_key_tables(problems, file_keys, space, cached);
    }
    let health = file.health_checks.as_ref().map(|h| super::health::health_checks(problems, h, &topology, &client_regions));
    let dns = super::health::dns(problems, file.dns.as_ref());
    let slo = slo(problems, file.slo.as_ref());
    let vantages = health.as_ref().and_then(|h| h.as_ref()).map_or(0, |h| h.vantages.len());
    let dependency_callers: usize = services.iter().map(|s| service_specs[s.service as usize].calls.len()).sum();
    let callers = populations.len() + vantages + dependency_callers;
    if callers > RequestRef::MAX_CALLERS {
        problems
            .on(&file.name, "clients", format!("{callers} callers (client populations, probers, and servers × calls)"))
            .expected(format!("at most {}", RequestRef::MAX_CALLERS));
    }
    if !problems.is_empty() {
        return None;
    }
    Some(ScenarioPlan {
        name: file.name.value.clone(),
        variant: None,
        description: file.description.clone().unwrap_or_default(),
        seed: file.seed.unwrap_or(DEFAULT_SEED),
        topology,
        start_unix_s: start_unix_s?,
        duration: run_length?,
        warmup: warmup?,
        scale,
        timeline_window: window?,
        max_events,
        max_simulated_time,
        routing: routing?,
        service_specs,
        services,
        populations,
        faults,
        health: match health {
            Some(validated) => Some(validated?),
            None => None,
        },
        dns,
        slo,
        keys: keys.flatten(),
        periods,
        operations,
    })
}

/// What clients need of the rest of the scenario.
#[derive(Clone, Copy)]
struct ClientSetting<'a> {
    scale: f64,
    start_unix_s: i64,
    keys: Option<&'a crate::data::keys::KeySpace>,
    /// The scenario has a `keys:` section (even if it is malformed).
    has_keys: bool,
}

fn slo(problems: &mut Problems, file: Option<&super::files::SloFile>) -> Slo {
    let Some(file) = file else { return Slo::DEFAULT };
    let availability = file.availability.as_ref().map_or(Slo::DEFAULT.availability, |a| {
        if !(a.value > 0.0 && a.value <= 1.0) {
            problems
                .on(a, "slo.availability", format!("{} is not an availability", a.value))
                .expected("a number greater than 0 and at most 1, like 0.999");
        }
        a.value
    });
    let p99_ms = file.p99_ms.as_ref().map(|p| positive(problems, p, "slo.p99_ms"));
    let hold = file.hold.as_ref().and_then(|h| positive_duration(problems, h, "slo.hold")).unwrap_or(Slo::DEFAULT.hold);
    Slo { availability, p99_ms, hold }
}

fn start_time(problems: &mut Problems, text: &S<String>) -> Option<i64> {
    match parse_instant(&text.value) {
        Ok(Instant::Utc(seconds)) => Some(seconds),
        Ok(_) => {
            problems.on(text, "start", "the start must be an absolute UTC time").expected("a UTC time like `2026-12-31T22:00:00Z`");
            None
        }
        Err(message) => {
            problems.on(text, "start", message).expected("a UTC time like `2026-12-31T22:00:00Z`");
            None
        }
    }
}

fn limits(problems: &mut Problems, file: &ScenarioFile) -> u64 {
    let Some(limits) = &file.limits else { return DEFAULT_MAX_EVENTS };
    match &limits.max_events {
        Some(max) if max.value == 0 => {
            problems.on(max, "limits.max_events", "0 events would end the run before it starts").expected("a positive number of events");
            DEFAULT_MAX_EVENTS
        }
        Some(max) => max.value,
        None => DEFAULT_MAX_EVENTS,
    }
}

/// Divides a count by the scale, rounding up so that no capacity is scaled away entirely.
pub(super) fn scaled(value: u64, scale: f64) -> u64 {
    (value as f64 / scale).ceil() as u64
}

pub(super) fn distribution(problems: &mut Problems, file: &DistributionFile, key: &str) -> Option<ServiceTime> {
    let kind = file.dist.value;
    let (required, built): (&[&str], _) = match kind {
        DistKindFile::Constant => {
            (&["value"], dist_duration(problems, &file.value, key, "value", &file.dist).map(ServiceTime::constant).map(Ok))
        }
        DistKindFile::Exponential => {
            (&["mean"], dist_duration(problems, &file.mean, key, "mean", &file.dist).map(ServiceTime::exponential))
        }
        DistKindFile::Lognormal => (
            &["median", "sigma"],
            both(
                dist_duration(problems, &file.median, key, "median", &file.dist),
                dist_number(problems, &file.sigma, key, "sigma", &file.dist),
            )
            .map(|(m, s)| ServiceTime::lognormal(m, s)),
        ),
        DistKindFile::Gamma => (
            &["mean", "cv"],
            both(dist_duration(problems, &file.mean, key, "mean", &file.dist), dist_number(problems, &file.cv, key, "cv", &file.dist))
                .map(|(m, cv)| ServiceTime::gamma(m, cv)),
        ),
        DistKindFile::Weibull => (
            &["scale", "shape"],
            both(
                dist_duration(problems, &file.scale, key, "scale", &file.dist),
                dist_number(problems, &file.shape, key, "shape", &file.dist),
            )
            .map(|(s, k)| ServiceTime::weibull(s, k)),
        ),
        DistKindFile::Pareto => (
            &["scale", "shape"],
            both(
                dist_duration(problems, &file.scale, key, "scale", &file.dist),
                dist_number(problems, &file.shape, key, "shape", &file.dist),
            )
            .map(|(s, k)| ServiceTime::pareto(s, k)),
        ),
        DistKindFile::Uniform => (
            &["min", "max"],
            both(dist_duration(problems, &file.min, key, "min", &file.dist), dist_duration(problems, &file.max, key, "max", &file.dist))
                .map(|(a, b)| ServiceTime::uniform(a, b)),
        ),
    };
    reject_irrelevant(problems, file, key, required);
    match built? {
        Ok(service_time) => Some(service_time),
        Err(message) => {
            problems.on(&file.dist, key, message).expected("parameters for which the distribution exists");
            None
        }
    }
}

fn both<A, B>(a: Option<A>, b: Option<B>) -> Option<(A, B)> {
    Some((a?, b?))
}

fn dist_duration(problems: &mut Problems, value: &Option<S<String>>, key: &str, name: &str, dist: &S<DistKindFile>) -> Option<SimDuration> {
    match value {
        Some(text) => duration(problems, text, &format!("{key}.{name}")),
        None => {
            problems.on(dist, format!("{key}.{name}"), format!("this distribution needs `{name}`")).expected(DURATION_FORMS);
            None
        }
    }
}

fn dist_number(problems: &mut Problems, value: &Option<S<f64>>, key: &str, name: &str, dist: &S<DistKindFile>) -> Option<f64> {
    match value {
        Some(number) => Some(positive(problems, number, &format!("{key}.{name}"))),
        None => {
            problems.on(dist, format!("{key}.{name}"), format!("this distribution needs `{name}`")).expected("a number greater than 0");
            None
        }
    }
}

fn reject_irrelevant(problems: &mut Problems, file: &DistributionFile, key: &str, required: &[&str]) {
    let given = [
        ("value", file.value.as_ref().map(|v| v.referenced)),
        ("mean", file.mean.as_ref().map(|v| v.referenced)),
        ("median", file.median.as_ref().map(|v| v.referenced)),
        ("scale", file.scale.as_ref().map(|v| v.referenced)),
        ("min", file.min.as_ref().map(|v| v.referenced)),
        ("max", file.max.as_ref().map(|v| v.referenced)),
        ("sigma", file.sigma.as_ref().map(|v| v.referenced)),
        ("cv", file.cv.as_ref().map(|v| v.referenced)),
        ("shape", file.shape.as_ref().map(|v| v.referenced)),
    ];
    let expected = format!("only {}", required.join(" and "));
    super::checks::reject_keys(problems, &given, required, key, "this distribution", &expected);
}

fn validate_routing(
    problems: &mut Problems,
    routing: Option<&RoutingFile>,
    topology: &Topology,
    services: &[ServicePlan],
) -> Option<RoutingPlan> {
    let Some(routing) = routing else { return Some(RoutingPlan::Nearest) };
    match routing.policy.value {
        RoutingPolicyFile::Nearest => {
            if !routing.weights.is_empty() {
                problems
                    .on(&routing.policy, "routing.weights", "weights only apply to the `weighted` policy")
                    .expected("`policy: weighted`, or no weights");
            }
            Some(RoutingPlan::Nearest)
        }
        RoutingPolicyFile::Weighted => {
            if routing.weights.is_empty() {
                problems
                    .on(&routing.policy, "routing.weights", "the weighted policy has no weights")
                    .expected("rows like `- from: london\\n  to: [{region: frankfurt, weight: 3}]`");
            }
            let rows = routing.weights.iter().enumerate().filter_map(|(i, row)| weight_row(problems, row, topology, services, i)).collect();
            Some(RoutingPlan::Weighted(rows))
        }
    }
}

fn weight_row(
    problems: &mut Problems,
    row: &super::files::WeightRowFile,
    topology: &Topology,
    services: &[ServicePlan],
    index: usize,
) -> Option<WeightRow> {
    let key = format!("routing.weights[{index}]");
    let from = region(problems, topology, &row.from, &format!("{key}.from"));
    let mut to = Vec::new();
    for (slot, target) in row.to.iter().enumerate() {
        let target_key = format!("{key}.to[{slot}]");
        let weight = positive(problems, &target.weight, &format!("{target_key}.weight"));
        if let Some(region_id) = region(problems, topology, &target.region, &format!("{target_key}.region")) {
            if !services.iter().any(|s| s.region == region_id) {
                problems
                    .on(&target.region, format!("{target_key}.region"), format!("region `{}` has no service", target.region.value))
                    .expected("a region listed under `services:`");
            }
            to.push((region_id, weight));
        }
    }
    Some(WeightRow { from: from?, to })
}

fn validate_clients(
    problems: &mut Problems,
    clients: &[ClientFile],
    topology: &Topology,
    service_specs: &[ServiceSpec],
    anchor: &S<String>,
    setting: ClientSetting,
) -> Vec<PopulationPlan> {
    let ClientSetting { scale, start_unix_s, keys, has_keys } = setting;
    if clients.is_empty() {
        problems
            .on(anchor, "clients", "the scenario has no clients, so no request would be made")
            .expected("at least one entry under `clients:`");
    }
    let mut seen = BTreeSet::new();
    let mut plans = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let key = format!("clients[{index}]");
        let regions = one_or_many(problems, topology, &client.region, &client.regions, &key, &client.name.referenced);
        let rate = positive(problems, &client.rate_rps, &format!("{key}.rate_rps"));
        let timeout = positive_duration(problems, &client.timeout, &format!("{key}.timeout"));
        let access_rtt_ms = client.access_rtt_ms.as_ref().map_or(0.0, |v| non_negative(problems, v, &format!("{key}.access_rtt_ms")));
        let daily = daily_curve(problems, client.daily_curve.as_ref(), &key);
        let policy = super::policy::client_policy(problems, super::policy::PolicyFields::of_client(client), &key);
        let service = super::services::client_service(problems, client, service_specs, &key);
        let priority_mix = super::shedding::priority_mix(problems, client.priority.as_ref(), &format!("{key}.priority"));
        let writes = super::data::client_writes(problems, client.writes.as_ref(), keys, has_keys, &key);
        for region_id in regions {
            if !seen.insert((client.name.value.clone(), region_id)) {
                problems
                    .on(
                        &client.name,
                        format!("{key}.name"),
                        format!("population `{}` is defined twice in region `{}`", client.name.value, topology.region(region_id).id),
                    )
                    .expected("a unique name per region");
            }
            let offset = topology.region(region_id).utc_offset_s;
            let surges = client
                .surges
                .iter()
                .enumerate()
                .filter_map(|(i, s)| surge(problems, s, &format!("{key}.surges[{i}]"), start_unix_s, offset))
                .collect();
            if let (Some(timeout), Some(daily), Some(policy), Some(priority_mix), Some(service), Some(writes)) =
                (timeout, daily, &policy, priority_mix, service, writes)
            {
                plans.push(PopulationPlan {
                    name: client.name.value.clone(),
                    region: region_id,
                    service,
                    curve: RateCurve { base_rps: rate / scale, daily, local_epoch_s: start_unix_s + offset, surges },
                    timeout,
                    access_rtt: SimDuration::from_millis_f64(access_rtt_ms),
                    policy: policy.clone(),
                    priority_mix,
                    writes,
                });
            }
        }
    }
    plans
}

fn daily_curve(problems: &mut Problems, curve: Option<&S<DailyCurveFile>>, key: &str) -> Option<[f64; 24]> {
    let Some(curve) = curve else { return Some([1.0; 24]) };
    let key = format!("{key}.daily_curve");
    let values: [f64; 24] = match &curve.value {
        DailyCurveFile::Preset(name) if name == "flat" => [1.0; 24],
        DailyCurveFile::Preset(name) if name == "diurnal" => DIURNAL,
        DailyCurveFile::Preset(name) => {
            problems
                .on(curve, key, format!("unknown daily curve `{name}`"))
                .expected("`flat`, `diurnal`, or 24 hourly multipliers")
                .suggest(did_you_mean(name, ["flat", "diurnal"]));
            return None;
        }
        DailyCurveFile::Hourly(values) => match <[f64; 24]>::try_from(values.as_slice()) {
            Ok(array) if array.iter().all(|v| v.is_finite() && *v >= 0.0) && array.iter().any(|v| *v > 0.0) => array,
            _ => {
                problems
                    .on(curve, key, format!("{} values given", values.len()))
                    .expected("24 multipliers (local hours 0 to 23), none negative, not all zero");
                return None;
            }
        },
    };
    let mean = values.iter().sum::<f64>() / 24.0;
    Some(values.map(|v| v / mean))
}

fn surge(problems: &mut Problems, file: &SurgeFile, key: &str, start_unix_s: i64, utc_offset_s: i64) -> Option<Surge> {
    let start_ns = match parse_instant(&file.at.value).and_then(|instant| match instant {
        Instant::Offset(offset) => Ok(offset.0 as i64),
        Instant::Utc(seconds) => ns_from_start(seconds, start_unix_s),
        Instant::Local(seconds) => ns_from_start(seconds - utc_offset_s, start_unix_s),
    }) {
        Ok(ns) => Some(ns),
        Err(message) => {
            problems.on(&file.at, format!("{key}.at"), message).expected(INSTANT_FORMS);
            None
        }
    };
    let multiplier = positive(problems, &file.multiplier, &format!("{key}.multiplier"));
    let ramp_up = duration_or(problems, &file.ramp_up, &format!("{key}.ramp_up"), SimDuration::ZERO);
    let ramp_down = duration_or(problems, &file.ramp_down, &format!("{key}.ramp_down"), SimDuration::ZERO);
    let hold = duration(problems, &file.hold, &format!("{key}.hold"));
    Some(Surge { start_ns: start_ns?, ramp_up: ramp_up?, hold: hold?, ramp_down: ramp_down?, multiplier })
}
