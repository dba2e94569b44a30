//! What the plots draw: plain data taken from a finished run, so that charts know nothing of the
//! simulator, and a variant's replications can be drawn like one run.

use crate::faults::FaultAction;
use crate::metrics::{Counters, StateValue, Subject, TimelineRow};
use crate::outcome::replicate::{self, Latencies};
use crate::report::summary::{Summary, at_s};
use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use crate::world::{LinkId, RegionId, Topology};

/// One run (or a variant's merged replications), ready to draw.
pub struct RunView {
    pub scenario: String,
    pub variant: Option<String>,
    /// `seed 42`, or `seeds 1–5, merged`.
    pub seeds: String,
    /// `("all", overall)` first, then one per client region.
    pub latency: Latencies,
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
    /// Requests arrive until this; the run then drains what is in flight.
    pub arrivals_end_s: f64,
    /// The end of the last window.
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

#[derive(Clone, Copy)]
pub struct Span {
    pub from_s: f64,
    pub until_s: f64,
    pub state: &'static str,
}

/// The topology as the scenario uses it. The topology itself is the same for every variant
/// (a variant cannot set `topology`); what the scenario does with it may differ.
pub struct NetworkView {
    pub topology: Topology,
    /// Regions with clients, in region order.
    pub clients: Vec<RegionId>,
    /// Regions with servers, in region order.
    pub servers: Vec<RegionId>,
    /// The cut faults that happened.
    pub cuts: Vec<CutMark>,
    /// Links with gray failures or flapping routes (drawn as degraded).
    pub degraded: Vec<LinkId>,
    /// Per link, its busiest window's share of capacity, where a capacity is modelled.
    pub peak_load: Vec<Option<f64>>,
}

#[derive(PartialEq)]
pub struct CutMark {
    pub name: String,
    pub links: Vec<LinkId>,
    pub start_s: f64,
    /// `None`: to the end of the run.
    pub end_s: Option<f64>,
}

impl NetworkView {
    /// Clients' and servers' regions together, in region order.
    pub fn used_regions(&self) -> Vec<RegionId> {
        let mut regions: Vec<RegionId> = self.clients.iter().chain(&self.servers).copied().collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }

    /// Whether the two draw the same charts (their topology is the scenario's, shared).
    pub fn draws_like(&self, other: &NetworkView) -> bool {
        (&self.clients, &self.servers, &self.cuts, &self.degraded, &self.peak_load)
            == (&other.clients, &other.servers, &other.cuts, &other.degraded, &other.peak_load)
    }

    /// Whether every cut overlapped every other in time (so "all cuts at once" happened).
    pub fn cuts_overlap(&self) -> bool {
        let latest_start = self.cuts.iter().map(|c| c.start_s).fold(f64::MIN, f64::max);
        self.cuts.iter().all(|c| c.end_s.is_none_or(|end| end > latest_start))
    }
}

impl RunView {
    /// The view of one run.
    pub fn of_run(plan: &ScenarioPlan, result: &RunResult, summary: &Summary) -> Self {
        RunView {
            scenario: plan.name.clone(),
            variant: plan.variant.clone(),
            seeds: format!("seed {}", plan.seed),
            latency: replicate::latencies(plan, result),
            timeline: Some(timeline(plan, result, summary)),
            network: network(plan, Some(result)),
        }
    }

    /// The view of a variant's replications: merged latency, no timeline.
    pub fn of_replications(plan: &ScenarioPlan, seeds: &[u64], latency: Latencies) -> Self {
        RunView {
            scenario: plan.name.clone(),
            variant: plan.variant.clone(),
            seeds: format!("{}, merged", replicate::describe_seeds(seeds)),
            latency,
            timeline: None,
            network: network(plan, None),
        }
    }

    /// `scenario` or `scenario · variant`.
    pub fn title(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{} · {variant}", self.scenario),
            None => self.scenario.clone(),
        }
    }

    /// The label of this run among variants: its variant's name, or the scenario's.
    pub fn variant_label(&self) -> &str {
        self.variant.as_deref().unwrap_or(&self.scenario)
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
    let overall: Vec<Window> = recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL).map(window).collect();
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
    let arrivals_end_s = plan.duration.as_secs_f64();
    let end_s = overall.last().map_or(arrivals_end_s, |w| w.start_s + w.length_s);
    TimelineView {
        overall,
        regions,
        faults,
        bands: bands(result, end_s),
        measured_from_s: plan.warmup.as_secs_f64(),
        arrivals_end_s,
        end_s,
    }
}

/// Each server's state from one sample to the next ([`ServerSample::state`]). A sample reads
/// the server at its instant, so its state holds from there until the next sample (and, for the
/// first, from the start: nothing changes a server before the first window ends but a fault,
/// which is sampled).
fn bands(result: &RunResult, end_s: f64) -> Vec<Band> {
    let planet = &result.planet;
    let mut samples: Vec<Vec<(f64, ServerSample)>> = vec![Vec::new(); planet.server_labels.len()];
    for sample in &planet.recorder.states {
        let Subject::Server(index) = sample.subject else { continue };
        let rows = &mut samples[index as usize];
        let time = at_s(sample.time);
        if rows.last().is_none_or(|row| row.0 != time) {
            rows.push((time, ServerSample::default()));
        }
        let row = &mut rows.last_mut().expect("pushed above").1;
        match (sample.state, sample.value) {
            ("mode", StateValue::Word(mode)) => row.mode = mode,
            ("dns", StateValue::Word(dns)) => row.dns = dns,
            ("process", StateValue::Word(process)) => row.process = process,
            ("workers_alive", StateValue::Count(alive)) => row.alive = alive,
            _ => {}
        }
    }
    let spans = |rows: Vec<(f64, ServerSample)>| {
        let mut spans: Vec<Span> = Vec::new();
        for (index, (time, sample)) in rows.iter().enumerate() {
            let from_s = if index == 0 { 0.0 } else { *time };
            let until_s = rows.get(index + 1).map_or(end_s, |next| next.0);
            match spans.last_mut() {
                Some(last) if last.state == sample.state() => last.until_s = until_s,
                _ => spans.push(Span { from_s, until_s, state: sample.state() }),
            }
        }
        spans
    };
    planet.server_labels.iter().zip(samples).map(|(label, rows)| Band { label: label.clone(), spans: spans(rows) }).collect()
}

/// What one sample read of a server.
#[derive(Clone, Copy)]
struct ServerSample {
    mode: &'static str,
    dns: &'static str,
    process: &'static str,
    alive: u64,
}

impl Default for ServerSample {
    fn default() -> Self {
        ServerSample { mode: "target", dns: "healthy", process: "up", alive: 1 }
    }
}

impl ServerSample {
    /// `down` when it cannot serve (no power, crashed, no worker alive), `out of DNS` when
    /// GeoDNS sends it no clients, else its mode.
    fn state(&self) -> &'static str {
        if self.process != "up" || self.alive == 0 {
            "down"
        } else if self.dns == "unhealthy" {
            "out of DNS"
        } else {
            self.mode
        }
    }
}

/// The network as used: with a run, the faults as they happened (an operator may have called
/// one off or ended it early) and the links' loads; without one, the faults as planned.
fn network(plan: &ScenarioPlan, result: Option<&RunResult>) -> NetworkView {
    let mut clients: Vec<RegionId> = plan.populations.iter().map(|p| p.region).collect();
    let mut servers: Vec<RegionId> = plan.services.iter().map(|s| s.region).collect();
    for regions in [&mut clients, &mut servers] {
        regions.sort_unstable();
        regions.dedup();
    }
    let faults = result.map_or(&plan.faults, |r| &r.planet.faults);
    let mut cuts = Vec::new();
    let mut degraded = Vec::new();
    for fault in faults.faults.iter().filter(|f| !f.called_off) {
        match &fault.action {
            FaultAction::Cut { links } => cuts.push(CutMark {
                name: fault.name.clone(),
                links: links.clone(),
                start_s: at_s(fault.start),
                end_s: fault.end.map(at_s),
            }),
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
/// direction). A link's sample counts what it carried in the window that ends at it.
fn peak_load(plan: &ScenarioPlan, result: &RunResult) -> Vec<Option<f64>> {
    let window_s = plan.timeline_window.as_secs_f64();
    let mut per_window = vec![None; plan.topology.links.len()];
    for (link, capacity) in result.planet.network.capacities() {
        per_window[link.0 as usize] = Some(capacity.per_second * window_s);
    }
    let mut peak: Vec<Option<f64>> = vec![None; per_window.len()];
    let warmup_s = plan.warmup.as_secs_f64();
    for sample in &result.planet.recorder.states {
        let (Subject::Link(index), StateValue::Count(carried)) = (sample.subject, sample.value) else { continue };
        let Some(capacity) = per_window[index as usize] else { continue };
        if at_s(sample.time) <= warmup_s {
            continue;
        }
        let load = carried as f64 / capacity;
        let slot = &mut peak[index as usize];
        *slot = Some(slot.map_or(load, |p: f64| p.max(load)));
    }
    peak
}
