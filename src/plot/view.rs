//! What the plots draw: plain data taken from a finished run, so that charts know nothing of the
//! simulator, and a variant's replications can be drawn like one run.

use crate::faults::FaultAction;
use crate::metrics::{Counters, StateValue, Subject, TimelineRow};
use crate::report::summary::{Summary, at_s};
use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use crate::world::{LinkId, RegionId, Topology};
use hdrhistogram::Histogram;

/// One run (or a variant's merged replications), ready to draw.
pub struct RunView {
    /// `scenario` or `scenario · variant`.
    pub title: String,
    /// `seed 42`, or `seeds 1–5, merged`.
    pub seeds: String,
    /// `("all", overall)` first, then one per client region.
    pub latency: Vec<(String, Histogram<u64>)>,
    /// Per window; `None` for merged replications (their windows differ run to run).
    pub timeline: Option<TimelineView>,
    pub network: NetworkView,
}

/// One timeline window of one scope.
#[derive(Clone, Copy)]
pub struct Window {
    pub start_s: f64,
    pub length_s: f64,
    pub counters: Counters,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub struct TimelineView {
    pub overall: Vec<Window>,
    /// Per client region, in region order.
    pub regions: Vec<(String, Vec<Window>)>,
    pub faults: Vec<FaultMark>,
    /// One row per server: what state it was in, window by window.
    pub bands: Vec<Band>,
    /// Requests issued before this are not counted (the warm-up).
    pub measured_from_s: f64,
    pub end_s: f64,
}

pub struct FaultMark {
    pub name: String,
    pub start_s: f64,
    /// `None`: it lasted to the end of the run.
    pub end_s: Option<f64>,
}

/// A server's state over time: its degradation mode, or `out of DNS` / `down` when that
/// overrides it.
pub struct Band {
    pub label: String,
    pub spans: Vec<Span>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Span {
    pub from_s: f64,
    pub until_s: f64,
    pub state: &'static str,
}

/// The topology as the scenario uses it.
pub struct NetworkView {
    pub topology: Topology,
    /// Regions with clients, in region order.
    pub clients: Vec<RegionId>,
    /// Regions with servers, in region order.
    pub servers: Vec<RegionId>,
    /// The scenario's cut faults: each one's name and links.
    pub cuts: Vec<(String, Vec<LinkId>)>,
    /// Links with gray failures or flapping routes (drawn as degraded).
    pub degraded: Vec<LinkId>,
    /// Per link, its busiest window's share of capacity, where a capacity is modelled.
    pub peak_load: Vec<Option<f64>>,
}

impl NetworkView {
    /// Clients' and servers' regions together, in region order.
    pub fn used_regions(&self) -> Vec<RegionId> {
        let mut regions: Vec<RegionId> = self.clients.iter().chain(&self.servers).copied().collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }
}

impl RunView {
    /// The view of one run.
    pub fn of_run(plan: &ScenarioPlan, result: &RunResult, summary: &Summary) -> Self {
        let recorder = &result.planet.recorder;
        let mut latency = vec![("all".to_string(), recorder.overall.total.latency_ns.clone())];
        for (region, record) in recorder.regions.iter().zip(&recorder.per_region) {
            latency.push((plan.topology.region(*region).id.clone(), record.total.latency_ns.clone()));
        }
        RunView {
            title: title(plan),
            seeds: format!("seed {}", plan.seed),
            latency,
            timeline: Some(timeline(plan, result, summary)),
            network: network(plan, Some(result)),
        }
    }

    /// The view of a variant's replications: merged latency, no timeline.
    pub fn of_replications(plan: &ScenarioPlan, seeds: &[u64], latency: Vec<(String, Histogram<u64>)>) -> Self {
        let seeds = match seeds {
            [one] => format!("seed {one}"),
            [first, .., last] => format!("seeds {first}–{last}, merged"),
            [] => String::new(),
        };
        RunView { title: title(plan), seeds, latency, timeline: None, network: network(plan, None) }
    }

    /// The label of this run among variants: its variant's name, or the scenario's.
    pub fn variant_label(&self) -> &str {
        self.title.rsplit(" · ").next().unwrap_or(&self.title)
    }
}

fn title(plan: &ScenarioPlan) -> String {
    match &plan.variant {
        Some(variant) => format!("{} · {variant}", plan.name),
        None => plan.name.clone(),
    }
}

fn timeline(plan: &ScenarioPlan, result: &RunResult, summary: &Summary) -> TimelineView {
    let recorder = &result.planet.recorder;
    let window = |row: &TimelineRow| Window {
        start_s: at_s(row.start),
        length_s: row.length.as_secs_f64(),
        counters: row.counters,
        p50_ms: row.p50_ms,
        p99_ms: row.p99_ms,
    };
    let overall = recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL).map(window).collect();
    let regions = recorder
        .regions
        .iter()
        .enumerate()
        .map(|(scope, region)| {
            let rows = recorder.timeline.iter().filter(|r| r.scope == scope as u32).map(window).collect();
            (plan.topology.region(*region).id.clone(), rows)
        })
        .collect();
    let faults = summary
        .faults
        .iter()
        .filter(|f| !f.called_off)
        .map(|f| FaultMark { name: f.name.clone(), start_s: f.start_s, end_s: f.end_s })
        .collect();
    TimelineView {
        overall,
        regions,
        faults,
        bands: bands(result),
        measured_from_s: plan.warmup.as_secs_f64(),
        end_s: summary.run.duration_s,
    }
}

/// Each server's state per sample: `down` with no worker alive, `out of DNS` when GeoDNS no
/// longer sends it clients, else its mode. A sample describes the window that ends at it.
fn bands(result: &RunResult) -> Vec<Band> {
    let planet = &result.planet;
    let mut states: Vec<Vec<(f64, &'static str, &'static str, u64)>> = vec![Vec::new(); planet.server_labels.len()];
    for sample in &planet.recorder.states {
        let Subject::Server(index) = sample.subject else { continue };
        let rows = &mut states[index as usize];
        let time = at_s(sample.time);
        if rows.last().is_none_or(|row| row.0 != time) {
            rows.push((time, "target", "healthy", 1));
        }
        let row = rows.last_mut().expect("pushed above");
        match (sample.state, sample.value) {
            ("mode", StateValue::Word(mode)) => row.1 = mode,
            ("dns", StateValue::Word(dns)) => row.2 = dns,
            ("workers_alive", StateValue::Count(alive)) => row.3 = alive,
            _ => {}
        }
    }
    planet
        .server_labels
        .iter()
        .zip(states)
        .map(|(label, rows)| {
            let mut spans: Vec<Span> = Vec::new();
            let mut from_s = 0.0;
            for (time, mode, dns, alive) in rows {
                let state = if alive == 0 {
                    "down"
                } else if dns == "unhealthy" {
                    "out of DNS"
                } else {
                    mode
                };
                match spans.last_mut() {
                    Some(last) if last.state == state => last.until_s = time,
                    _ => spans.push(Span { from_s, until_s: time, state }),
                }
                from_s = time;
            }
            Band { label: label.clone(), spans }
        })
        .collect()
}

fn network(plan: &ScenarioPlan, result: Option<&RunResult>) -> NetworkView {
    let mut clients: Vec<RegionId> = plan.populations.iter().map(|p| p.region).collect();
    let mut servers: Vec<RegionId> = plan.services.iter().map(|s| s.region).collect();
    for regions in [&mut clients, &mut servers] {
        regions.sort_unstable();
        regions.dedup();
    }
    let mut cuts = Vec::new();
    let mut degraded = Vec::new();
    for fault in plan.faults.faults.iter().filter(|f| !f.called_off) {
        match &fault.action {
            FaultAction::Cut { links } => cuts.push((fault.name.clone(), links.clone())),
            FaultAction::GrayLink { links, .. } | FaultAction::Flap { links, .. } => degraded.extend(links),
            _ => {}
        }
    }
    degraded.sort_unstable();
    degraded.dedup();
    let peak_load = result.map_or_else(|| vec![None; plan.topology.links.len()], |r| peak_load(plan, r));
    NetworkView { topology: plan.topology.clone(), clients, servers, cuts, degraded, peak_load }
}

/// Each link's busiest sampled window after the warm-up, as a share of its capacity (the busier
/// direction).
fn peak_load(plan: &ScenarioPlan, result: &RunResult) -> Vec<Option<f64>> {
    let mut capacity = vec![None; plan.topology.links.len()];
    for (links, link_capacity) in &plan.faults.capacities {
        for link in links {
            capacity[link.0 as usize] = Some(link_capacity.per_second * plan.timeline_window.as_secs_f64());
        }
    }
    let mut peak: Vec<Option<f64>> = vec![None; capacity.len()];
    let warmup_s = plan.warmup.as_secs_f64();
    for sample in &result.planet.recorder.states {
        let (Subject::Link(index), StateValue::Count(carried)) = (sample.subject, sample.value) else { continue };
        let Some(per_window) = capacity[index as usize] else { continue };
        if at_s(sample.time) <= warmup_s {
            continue;
        }
        let load = carried as f64 / per_window;
        let slot = &mut peak[index as usize];
        *slot = Some(slot.map_or(load, |p: f64| p.max(load)));
    }
    peak
}
