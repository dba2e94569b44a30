//! Validation of the scenario's `faults:` timeline and `network:` settings into a [`FaultPlan`].

use super::checks::{duration, duration_or, share};
use super::diagnostic::{Problems, did_you_mean};
use super::files::{DirectionFile, FaultFile, FaultKindFile, NetworkFile, S};
use super::units::{INSTANT_FORMS, Instant, ns_from_start, parse_instant};
use super::validate::region;
use crate::actors::memory::LeakSpec;
use crate::faults::{Fault, FaultAction, FaultPlan};
use crate::kernel::{SimDuration, SimTime};
use crate::sim::plan::{ServicePlan, ServiceSpec};
use crate::world::network::LinkCapacity;
use crate::world::{LinkGray, LinkId, RegionId, Topology};
use serde_saphyr::Location;

pub const DEFAULT_CONVERGENCE_DELAY: SimDuration = SimDuration::from_secs(10);

/// What validating faults needs to know about the rest of the scenario.
pub struct FaultContext<'a> {
    pub topology: &'a Topology,
    pub service_specs: &'a [ServiceSpec],
    pub services: &'a [ServicePlan],
    pub start_unix_s: i64,
    pub scale: f64,
}

pub const DEFAULT_LINK_BUFFER: SimDuration = SimDuration::from_millis(100);

fn capacities(problems: &mut Problems, files: &[super::files::CapacityFile], context: &FaultContext) -> Vec<(Vec<LinkId>, LinkCapacity)> {
    let mut result = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let key = format!("network.capacities[{index}]");
        let per_second = super::checks::positive(problems, &file.per_second, &format!("{key}.per_second"));
        let buffer = duration_or(problems, &file.buffer, &format!("{key}.buffer"), DEFAULT_LINK_BUFFER);
        let links = resolve_links(problems, &file.links, &key, &file.per_second.referenced, context.topology);
        if let (Some(links), Some(buffer)) = (links, buffer) {
            result.push((links, LinkCapacity::new(per_second / context.scale, buffer)));
        }
    }
    result
}

pub fn validate_faults(problems: &mut Problems, network: Option<&NetworkFile>, faults: &[FaultFile], context: &FaultContext) -> FaultPlan {
    let convergence_delay = network
        .and_then(|n| n.convergence_delay.as_ref())
        .and_then(|d| duration(problems, d, "network.convergence_delay"))
        .unwrap_or(DEFAULT_CONVERGENCE_DELAY);
    let capacities = network.map_or(Vec::new(), |n| capacities(problems, &n.capacities, context));
    let mut names = std::collections::BTreeSet::new();
    let mut plan = FaultPlan { faults: Vec::new(), convergence_delay, capacities };
    for (index, file) in faults.iter().enumerate() {
        let key = format!("faults[{index}]");
        let name = file.name.as_ref().map_or_else(|| format!("{}-{index}", kind_name(file.kind.value)), |n| n.value.clone());
        if !names.insert(name.clone()) {
            let at = file.name.as_ref().map_or(&file.kind.referenced, |n| &n.referenced);
            problems.at(at, format!("{key}.name"), format!("two faults are called `{name}`")).expected("unique fault names");
        }
        reject_irrelevant(problems, file, &key);
        let window = timing(problems, file, &key, context);
        let action = action(problems, file, &key, context);
        if let (Some((start, end)), Some(action)) = (window, action) {
            plan.faults.push(Fault { name, start, end, action, called_off: false });
        }
    }
    plan
}

fn kind_name(kind: FaultKindFile) -> &'static str {
    match kind {
        FaultKindFile::Cut => "cut",
        FaultKindFile::Partition => "partition",
        FaultKindFile::GrayLink => "gray-link",
        FaultKindFile::Flap => "flap",
        FaultKindFile::RegionOutage => "region-outage",
        FaultKindFile::Crash => "crash",
        FaultKindFile::SlowServers => "slow-servers",
        FaultKindFile::ErrorServers => "error-servers",
        FaultKindFile::CapacityLoss => "capacity-loss",
        FaultKindFile::ControlPlane => "control-plane",
        FaultKindFile::Leak => "leak",
    }
}

/// The keys each kind takes, besides `kind`, `name`, `at`, `duration` and `until`.
fn allowed_keys(kind: FaultKindFile) -> &'static [&'static str] {
    match kind {
        FaultKindFile::Cut => &["links"],
        FaultKindFile::Partition => &["from", "to", "direction", "share"],
        FaultKindFile::GrayLink => &["links", "loss", "added_latency", "latency_multiplier", "jitter"],
        FaultKindFile::Flap => &["links", "period"],
        FaultKindFile::RegionOutage | FaultKindFile::Crash => &["regions", "services"],
        FaultKindFile::SlowServers => &["regions", "services", "share", "multiplier"],
        FaultKindFile::ErrorServers => &["regions", "services", "rate"],
        FaultKindFile::CapacityLoss => &["regions", "services", "share"],
        FaultKindFile::ControlPlane => &[],
        FaultKindFile::Leak => &["regions", "services", "mb_per_min", "limit_mb", "baseline_mb", "gc_slowdown", "restart"],
    }
}

fn reject_irrelevant(problems: &mut Problems, file: &FaultFile, key: &str) {
    let first = |list: &[S<String>]| list.first().map(|v| v.referenced);
    let given: [(&str, Option<Location>); 19] = [
        ("links", first(&file.links)),
        ("regions", first(&file.regions)),
        ("services", first(&file.services)),
        ("from", first(&file.from)),
        ("to", first(&file.to)),
        ("direction", file.direction.as_ref().map(|v| v.referenced)),
        ("share", file.share.as_ref().map(|v| v.referenced)),
        ("loss", file.loss.as_ref().map(|v| v.referenced)),
        ("added_latency", file.added_latency.as_ref().map(|v| v.referenced)),
        ("latency_multiplier", file.latency_multiplier.as_ref().map(|v| v.referenced)),
        ("jitter", file.jitter.as_ref().map(|v| v.referenced)),
        ("period", file.period.as_ref().map(|v| v.referenced)),
        ("multiplier", file.multiplier.as_ref().map(|v| v.referenced)),
        ("rate", file.rate.as_ref().map(|v| v.referenced)),
        ("mb_per_min", file.mb_per_min.as_ref().map(|v| v.referenced)),
        ("limit_mb", file.limit_mb.as_ref().map(|v| v.referenced)),
        ("baseline_mb", file.baseline_mb.as_ref().map(|v| v.referenced)),
        ("gc_slowdown", file.gc_slowdown.as_ref().map(|v| v.referenced)),
        ("restart", file.restart.as_ref().map(|v| v.referenced)),
    ];
    let allowed = allowed_keys(file.kind.value);
    let what = format!("a `{}` fault", kind_name(file.kind.value));
    super::checks::reject_keys(problems, &given, allowed, key, &what, &format!("only {}", allowed.join(", ")));
}

/// Resolves an instant to simulated time; a local time needs a region: `… local <region>`.
pub(super) fn instant(problems: &mut Problems, text: &S<String>, key: &str, context: &FaultContext) -> Option<i64> {
    let (written, zone) = match text.value.split_once(" local ") {
        Some((time, zone)) => (format!("{time} local"), Some(zone.trim())),
        None => (text.value.clone(), None),
    };
    let parsed = parse_instant(&written);
    let seconds_to_ns = |problems: &mut Problems, s: i64| match ns_from_start(s, context.start_unix_s) {
        Ok(ns) => Some(ns),
        Err(message) => {
            problems.on(text, key, message).expected("a time within the run");
            None
        }
    };
    match (parsed, zone) {
        (Ok(Instant::Offset(offset)), _) => Some(offset.0 as i64),
        (Ok(Instant::Utc(seconds)), _) => seconds_to_ns(problems, seconds),
        (Ok(Instant::Local(seconds)), Some(zone)) => {
            let zone = S { value: zone.to_string(), referenced: text.referenced, defined: text.defined };
            let offset = region(problems, context.topology, &zone, key).map(|r| context.topology.region(r).utc_offset_s)?;
            seconds_to_ns(problems, seconds - offset)
        }
        (Ok(Instant::Local(_)), None) => {
            problems.on(text, key, "a fault's local time needs a region").expected("`2027-01-01T00:00:00 local tokyo`");
            None
        }
        (Err(message), _) => {
            problems.on(text, key, message).expected(format!("{INSTANT_FORMS}, or `… local <region>`"));
            None
        }
    }
}

fn timing(problems: &mut Problems, file: &FaultFile, key: &str, context: &FaultContext) -> Option<(SimTime, Option<SimTime>)> {
    window(problems, "fault", Span { at: &file.at, duration: &file.duration, until: &file.until }, key, context)
}

/// When something starts, and for how long: `at`, then `duration` or `until` (or neither: to
/// the end of the run).
pub(super) struct Span<'a> {
    pub at: &'a S<String>,
    pub duration: &'a Option<S<String>>,
    pub until: &'a Option<S<String>>,
}

/// Resolves a span of the run (a fault, a hot key): its start, and its end if it has one.
/// `what` names it in messages.
pub(super) fn window(
    problems: &mut Problems,
    what: &str,
    span: Span,
    key: &str,
    context: &FaultContext,
) -> Option<(SimTime, Option<SimTime>)> {
    let start = run_instant(problems, span.at, &format!("{key}.at"), context)?;
    let end = match (span.duration, span.until) {
        (Some(_), Some(until)) => {
            problems
                .on(until, format!("{key}.until"), "both `duration` and `until` are given")
                .expected(format!("one of them, or neither (the {what} lasts to the end)"));
            return None;
        }
        (Some(length), None) => Some(start + duration(problems, length, &format!("{key}.duration"))?),
        (None, Some(until)) => {
            let end = run_instant(problems, until, &format!("{key}.until"), context)?;
            if end <= start {
                problems.on(until, format!("{key}.until"), format!("the {what} would end before it starts")).expected("a time after `at`");
                return None;
            }
            Some(end)
        }
        (None, None) => None,
    };
    Some((start, end))
}

/// An instant within the run: not before its start.
pub(super) fn run_instant(problems: &mut Problems, text: &S<String>, key: &str, context: &FaultContext) -> Option<SimTime> {
    let ns = instant(problems, text, key, context)?;
    if ns < 0 {
        problems.on(text, key, "this is before the run starts").expected("a time at or after the scenario's `start`");
        return None;
    }
    Some(SimTime(ns as u64))
}

fn action(problems: &mut Problems, file: &FaultFile, key: &str, context: &FaultContext) -> Option<FaultAction> {
    match file.kind.value {
        FaultKindFile::Cut => Some(FaultAction::Cut { links: links(problems, file, key, context.topology)? }),
        FaultKindFile::Partition => partition(problems, file, key, context.topology),
        FaultKindFile::GrayLink => gray_link(problems, file, key, context.topology),
        FaultKindFile::Flap => {
            let period =
                required(problems, &file.period, file, key, "period").and_then(|p| duration(problems, p, &format!("{key}.period")));
            let links = links(problems, file, key, context.topology)?;
            match period {
                Some(period) if period.0 > 0 => Some(FaultAction::Flap { links, period }),
                Some(_) => {
                    problems
                        .on(file.period.as_ref()?, format!("{key}.period"), "a flap needs a period longer than zero")
                        .expected("a duration like `30s`");
                    None
                }
                None => None,
            }
        }
        FaultKindFile::RegionOutage => Some(FaultAction::Outage { servers: servers(problems, file, key, context)? }),
        FaultKindFile::Crash => Some(FaultAction::Crash { servers: servers(problems, file, key, context)? }),
        FaultKindFile::SlowServers => {
            let share = required(problems, &file.share, file, key, "share").and_then(|s| share(problems, s, &format!("{key}.share")));
            let multiplier = required(problems, &file.multiplier, file, key, "multiplier")
                .map(|m| super::checks::positive(problems, m, &format!("{key}.multiplier")));
            Some(FaultAction::Slow { servers: servers(problems, file, key, context)?, share: share?, multiplier: multiplier? })
        }
        FaultKindFile::ErrorServers => {
            let rate = required(problems, &file.rate, file, key, "rate").and_then(|r| share(problems, r, &format!("{key}.rate")));
            Some(FaultAction::Errors { servers: servers(problems, file, key, context)?, rate: rate? })
        }
        FaultKindFile::ControlPlane => Some(FaultAction::ControlPlane),
        FaultKindFile::Leak => {
            let spec = leak(problems, file, key);
            Some(FaultAction::Leak { servers: servers(problems, file, key, context)?, spec: spec? })
        }
        FaultKindFile::CapacityLoss => {
            let share = required(problems, &file.share, file, key, "share").and_then(|s| share(problems, s, &format!("{key}.share")));
            Some(FaultAction::CapacityLoss { servers: servers(problems, file, key, context)?, share: share? })
        }
    }
}

const DEFAULT_RESTART: SimDuration = SimDuration::from_secs(30);

fn leak(problems: &mut Problems, file: &FaultFile, key: &str) -> Option<LeakSpec> {
    let mb_per_min = required(problems, &file.mb_per_min, file, key, "mb_per_min")
        .map(|r| super::checks::positive(problems, r, &format!("{key}.mb_per_min")));
    let limit_mb =
        required(problems, &file.limit_mb, file, key, "limit_mb").map(|l| super::checks::positive(problems, l, &format!("{key}.limit_mb")));
    let baseline_mb = file.baseline_mb.as_ref().map_or(0.0, |b| super::checks::non_negative(problems, b, &format!("{key}.baseline_mb")));
    let gc_slowdown = file.gc_slowdown.as_ref().map_or(0.0, |g| super::checks::non_negative(problems, g, &format!("{key}.gc_slowdown")));
    let restart = duration_or(problems, &file.restart, &format!("{key}.restart"), DEFAULT_RESTART);
    let (mb_per_min, limit_mb, restart) = (mb_per_min?, limit_mb?, restart?);
    if let Some(baseline) = file.baseline_mb.as_ref().filter(|b| b.value >= limit_mb) {
        problems
            .on(baseline, format!("{key}.baseline_mb"), "the process would start out of memory")
            .expected(format!("below limit_mb ({limit_mb})"));
        return None;
    }
    Some(LeakSpec { mb_per_min, limit_mb, baseline_mb, gc_slowdown, restart })
}

fn required<'a, T>(problems: &mut Problems, value: &'a Option<S<T>>, file: &FaultFile, key: &str, name: &str) -> Option<&'a S<T>> {
    if value.is_none() {
        problems.on(&file.kind, format!("{key}.{name}"), format!("a `{}` fault needs `{name}`", kind_name(file.kind.value)));
    }
    value.as_ref()
}

fn links(problems: &mut Problems, file: &FaultFile, key: &str, topology: &Topology) -> Option<Vec<LinkId>> {
    resolve_links(problems, &file.links, key, &file.kind.referenced, topology)
}

/// Link or group names to links; `anchor` locates the problem when no link is named.
fn resolve_links(problems: &mut Problems, names: &[S<String>], key: &str, anchor: &Location, topology: &Topology) -> Option<Vec<LinkId>> {
    if names.is_empty() {
        problems.at(anchor, format!("{key}.links"), "no links named").expected("`links: [<link or group>, …]`");
        return None;
    }
    let mut resolved = Vec::new();
    let mut all_known = true;
    for (slot, name) in names.iter().enumerate() {
        match topology.resolve_cut(&name.value) {
            Some(links) => resolved.extend(links),
            None => {
                all_known = false;
                problems
                    .on(name, format!("{key}.links[{slot}]"), format!("no link or group is called `{}`", name.value))
                    .expected(format!("a link or group of topology `{}`", topology.name))
                    .suggest(did_you_mean(&name.value, topology.cut_names()));
            }
        }
    }
    resolved.sort();
    resolved.dedup();
    all_known.then_some(resolved)
}

fn region_set(
    problems: &mut Problems,
    names: &[S<String>],
    key: &str,
    topology: &Topology,
    anchor: &S<FaultKindFile>,
) -> Option<Vec<bool>> {
    if names.is_empty() {
        problems.on(anchor, key, "a partition of an empty set of regions").expected("at least one region");
        return None;
    }
    let mut set = vec![false; topology.regions.len()];
    let mut all_known = true;
    for (slot, name) in names.iter().enumerate() {
        match region(problems, topology, name, &format!("{key}[{slot}]")) {
            Some(RegionId(index)) => set[index as usize] = true,
            None => all_known = false,
        }
    }
    all_known.then_some(set)
}

fn partition(problems: &mut Problems, file: &FaultFile, key: &str, topology: &Topology) -> Option<FaultAction> {
    let from = region_set(problems, &file.from, &format!("{key}.from"), topology, &file.kind);
    let to = region_set(problems, &file.to, &format!("{key}.to"), topology, &file.kind);
    let share = file.share.as_ref().map_or(Some(1.0), |s| super::checks::share(problems, s, &format!("{key}.share")));
    let both_ways = file.direction.as_ref().is_none_or(|d| d.value == DirectionFile::Both);
    let (from, to) = (from?, to?);
    if let Some(overlap) = (0..from.len()).find(|&i| from[i] && to[i]) {
        let name = &topology.regions[overlap].id;
        problems
            .on(&file.kind, format!("{key}.to"), format!("region `{name}` is on both sides of the partition"))
            .expected("disjoint `from` and `to`");
        return None;
    }
    Some(FaultAction::Partition { from, to, both_ways, share: share? })
}

fn gray_link(problems: &mut Problems, file: &FaultFile, key: &str, topology: &Topology) -> Option<FaultAction> {
    let loss = file.loss.as_ref().map_or(0.0, |l| {
        if !(0.0..=1.0).contains(&l.value) {
            problems.on(l, format!("{key}.loss"), format!("{} is not a probability", l.value)).expected("a number from 0 to 1");
        }
        l.value
    });
    let added = duration_or(problems, &file.added_latency, &format!("{key}.added_latency"), SimDuration::ZERO);
    let jitter = duration_or(problems, &file.jitter, &format!("{key}.jitter"), SimDuration::ZERO);
    let multiplier =
        file.latency_multiplier.as_ref().map_or(1.0, |m| super::checks::positive(problems, m, &format!("{key}.latency_multiplier")));
    let gray = LinkGray { loss, added: added?, multiplier, jitter: jitter? };
    if gray == LinkGray::default() {
        problems
            .on(&file.kind, key, "this gray failure changes nothing")
            .expected("at least one of loss, added_latency, latency_multiplier, jitter");
    }
    Some(FaultAction::GrayLink { links: links(problems, file, key, topology)?, gray })
}

/// The servers a server fault acts on: every server in its regions, or only those of the
/// services it names.
fn servers(problems: &mut Problems, file: &FaultFile, key: &str, context: &FaultContext) -> Option<Vec<u32>> {
    if file.regions.is_empty() {
        problems.on(&file.kind, format!("{key}.regions"), "no regions named").expected("`regions: [<region>, …]`");
        return None;
    }
    let services = fault_services(problems, file, key, context)?;
    servers_in(problems, &file.regions, services.as_deref(), "fault", |slot| format!("{key}.regions[{slot}]"), context)
}

/// The servers in `regions` of the services `only` lists (of every service for `None`), for a
/// `what` (a fault, an action); each region's key in messages is `region_key(slot)`. A region
/// where none of them runs is an error that names the regions where they do.
pub(super) fn servers_in(
    problems: &mut Problems,
    regions: &[S<String>],
    only: Option<&[u32]>,
    what: &str,
    region_key: impl Fn(usize) -> String,
    context: &FaultContext,
) -> Option<Vec<u32>> {
    let chosen = |s: &ServicePlan| only.is_none_or(|only| only.contains(&s.service));
    let mut servers = Vec::new();
    let mut complete = true;
    for (slot, name) in regions.iter().enumerate() {
        let slot_key = region_key(slot);
        let Some(region_id) = region(problems, context.topology, name, &slot_key) else {
            complete = false;
            continue;
        };
        let before = servers.len();
        servers.extend(context.services.iter().enumerate().filter(|(_, s)| s.region == region_id && chosen(s)).map(|(i, _)| i as u32));
        if servers.len() == before {
            complete = false;
            let mut served: Vec<&str> =
                context.services.iter().filter(|s| chosen(s)).map(|s| context.topology.region(s.region).id.as_str()).collect();
            served.dedup();
            problems
                .on(name, slot_key, format!("region `{}` has no service for this {what} to act on", name.value))
                .expected(format!("a region where they run: {}", served.join(", ")))
                .suggest(did_you_mean(&name.value, served.iter().copied()));
        }
    }
    complete.then_some(servers)
}

/// The index of the fault called `name`; an error (with the nearest name) if there is none.
pub(super) fn fault_named(problems: &mut Problems, name: &S<String>, key: &str, faults: &FaultPlan) -> Option<u16> {
    if let Some(index) = faults.faults.iter().position(|f| f.name == name.value) {
        return Some(index as u16);
    }
    let names: Vec<&str> = faults.faults.iter().map(|f| f.name.as_str()).collect();
    let expected =
        if names.is_empty() { "a fault's name (the scenario has none)".to_string() } else { format!("one of: {}", names.join(", ")) };
    problems
        .on(name, key, format!("no fault is called `{}`", name.value))
        .expected(expected)
        .suggest(did_you_mean(&name.value, names.iter().copied()));
    None
}

/// The services named by a fault's `services:`, or `None` for all of them.
fn fault_services(problems: &mut Problems, file: &FaultFile, key: &str, context: &FaultContext) -> Option<Option<Vec<u32>>> {
    if file.services.is_empty() {
        return Some(None);
    }
    let names: Vec<String> = context.service_specs.iter().map(|s| s.name.clone()).collect();
    let found: Vec<u32> = file
        .services
        .iter()
        .enumerate()
        .filter_map(|(slot, name)| super::services::service_index(problems, name, &names, &format!("{key}.services[{slot}]")))
        .collect();
    (found.len() == file.services.len()).then_some(Some(found))
}
