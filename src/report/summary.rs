//! `summary.json`: the run's outcome as numbers, documented field by field in docs/OUTPUT.md.
//!
//! Keys are emitted in a fixed order (struct fields; maps sorted by region id), floats are
//! rounded to fixed decimals, and the digest is a hex string, so the same run always writes the
//! same bytes.

use crate::actors::messages::Priority;
use crate::actors::modes::Mode;
use crate::actors::server::Server;
use crate::kernel::{SimDuration, SimTime};
use crate::metrics::{Counters, Period, Recorder, Tally};
use crate::sim::RunResult;
use crate::sim::plan::{ScenarioPlan, ServicePlan};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct Summary {
    pub scenario: String,
    /// The variant, for a scenario with variants.
    pub variant: Option<String>,
    pub seed: u64,
    pub digest: String,
    pub run: RunInfo,
    pub requests: RequestCounts,
    pub availability: Option<f64>,
    pub latency_ms: LatencySummary,
    pub regions: BTreeMap<String, RegionSummary>,
    /// Keyed by region, or by `service@region` when the scenario has several services.
    pub servers: BTreeMap<String, ServerSummary>,
    /// Per service: the load it received per client request (the amplification at its layer).
    pub services: BTreeMap<String, ServiceSummary>,
    /// Per dependency (a service's call to another), in the order the services state them.
    pub dependencies: Vec<DependencySummary>,
    pub network: NetworkSummary,
    pub faults: Vec<FaultSummary>,
    /// Per client population (`name@region`), its breaker and retry budget, where it has them.
    pub populations: BTreeMap<String, PopulationSummary>,
    /// Requests per priority class, over all clients (classes with no request are left out).
    pub priorities: BTreeMap<&'static str, PrioritySummary>,
    /// Reads, writes and caches, for a scenario with a key space.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<super::data::DataSummary>,
    /// The scenario's named windows, each measured on its own.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub windows: BTreeMap<String, WindowSummary>,
    /// The scenario's alert rules: when each fired, and what it caught.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<super::operations::AlertSummary>,
    /// The operators' actions, and when each was done.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<super::operations::ActionSummary>,
}

/// What clients saw of the requests they issued in one window.
#[derive(Serialize)]
pub struct WindowSummary {
    pub from_s: f64,
    pub until_s: f64,
    pub requests: RequestCounts,
    pub availability: Option<f64>,
    /// Successful requests per second of the window.
    pub throughput_rps: f64,
    pub latency_ms: LatencySummary,
    pub regions: BTreeMap<String, RegionSummary>,
}

#[derive(Serialize)]
pub struct ServiceSummary {
    pub regions: Vec<String>,
    /// Requests its servers received in the measured window (client attempts, dependency
    /// attempts, deep probes).
    pub requests_received: u64,
    /// `requests_received` per client request: 1 at the front door without retries; each layer
    /// of calls and retries multiplies it.
    pub per_client_request: Option<f64>,
}

#[derive(Serialize)]
pub struct DependencySummary {
    pub from: String,
    pub to: String,
    pub fail_open: bool,
    /// Calls made, and how they ended (over all of the calling service's regions).
    pub calls: RequestCounts,
    pub availability: Option<f64>,
    /// Failed calls the request went on without.
    pub failed_open: u64,
    pub latency_ms: LatencySummary,
    /// Per calling region: calls, availability and latency.
    pub by_region: BTreeMap<String, DependencyRegion>,
}

#[derive(Serialize)]
pub struct DependencyRegion {
    pub calls: u64,
    pub availability: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub breaker_opened: Option<u32>,
}

#[derive(Serialize)]
pub struct PrioritySummary {
    pub attempted: u64,
    pub succeeded: u64,
    pub shed: u64,
    pub availability: Option<f64>,
}

#[derive(Serialize)]
pub struct PopulationSummary {
    pub breaker_opened: Option<u32>,
    pub breaker_open_s: Option<f64>,
    pub retries_denied_by_budget: u64,
}

#[derive(Serialize)]
pub struct LinkLoad {
    pub per_second: f64,
    /// Messages carried and dropped, first end → second end, then back.
    pub carried_forward: u64,
    pub carried_backward: u64,
    pub dropped_forward: u64,
    pub dropped_backward: u64,
}

#[derive(Serialize)]
pub struct NetworkSummary {
    /// Capacity-limited links, by name.
    pub links: BTreeMap<String, LinkLoad>,
    /// Messages dropped by the network: black-holed by a cut before convergence, partitioned,
    /// or lost on a gray link.
    pub messages_lost: u64,
    /// Times routing re-converged during the run.
    pub convergences: u32,
}

#[derive(Serialize)]
pub struct FaultSummary {
    pub name: String,
    pub kind: &'static str,
    pub start_s: f64,
    pub end_s: Option<f64>,
    /// From the fault's start to the first automated reaction; null if nothing reacted.
    pub time_to_detect_s: Option<f64>,
    /// What reacted first.
    pub detected_by: Option<String>,
    /// From the fault's end (or first reaction) until the SLO holds again; null if it never did.
    pub time_to_recover_s: Option<f64>,
    /// An operator ended it before it started: it never happened.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub called_off: bool,
}

#[derive(Serialize)]
pub struct RunInfo {
    pub stop_reason: &'static str,
    pub events: u64,
    pub start_utc: String,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub drain_s: f64,
    pub simulated_s: f64,
    pub scale: f64,
    /// Requests the simulated ones stand for: attempted × scale.
    pub represented_requests: f64,
    pub timeline_window_s: f64,
}

#[derive(Serialize)]
pub struct RequestCounts {
    pub attempted: u64,
    pub succeeded: u64,
    pub failed: FailureCounts,
    pub in_flight: u64,
    /// Attempts sent: first attempts, retries and hedges.
    pub attempts: u64,
    pub retries: u64,
    pub hedges: u64,
    /// attempts / requests: how much load the clients' policies put on the servers per request.
    pub amplification: Option<f64>,
}

#[derive(Serialize)]
pub struct FailureCounts {
    pub total: u64,
    pub timeout: u64,
    pub rejected: u64,
    pub error: u64,
    pub unreachable: u64,
    pub breaker_open: u64,
    pub shed: u64,
}

#[derive(Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

#[derive(Serialize)]
pub struct RegionSummary {
    pub requests: RequestCounts,
    pub availability: Option<f64>,
    pub latency_ms: LatencySummary,
}

#[derive(Serialize)]
pub struct ServerSummary {
    pub service: String,
    pub region: String,
    pub workers: u32,
    pub workers_stated: u64,
    pub queue_capacity: u32,
    pub service_time: String,
    pub arrivals: u64,
    pub served: u64,
    pub rejected: u64,
    pub errors: u64,
    pub lost: u64,
    pub shed: u64,
    /// Dropped unserved: its propagated deadline had passed.
    pub expired: u64,
    /// Answered with an error because a dependency that fails closed failed.
    pub dependency_failed: u64,
    /// Sent on to another replica of the service (a write to its leader, a read redirected).
    pub forwarded: u64,
    /// Refused by the replica (no leader here, a stale bounded read, forwarded too often).
    pub refused: u64,
    /// Busy worker-time over alive worker-time in the measured window.
    pub utilisation: f64,
    pub workers_alive_min: u32,
    pub workers_alive_max: u32,
    pub scale_outs: Option<u32>,
    pub scale_ins: Option<u32>,
    /// Under a `leak` fault: how often the process ran out of memory, and first when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_kills: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_oom_s: Option<Option<f64>>,
    /// Seconds in each degradation mode (null: no modes configured).
    pub mode_time_s: Option<BTreeMap<&'static str, f64>>,
    pub queue_len_max: u64,
    pub wait_ms: LatencySummary,
    pub littles_law: LittlesLaw,
}

/// L = λW checked on the server: the time-average number in the system against the arrival
/// rate times the mean time in the system of served requests.
#[derive(Serialize)]
pub struct LittlesLaw {
    pub mean_in_system: f64,
    pub arrival_rate_per_s: f64,
    pub mean_sojourn_ms: Option<f64>,
    pub lambda_times_w: Option<f64>,
}

/// An instant in seconds since simulated t = 0, to the microsecond, as the outputs write it.
pub fn at_s(time: SimTime) -> f64 {
    round(time.as_secs_f64(), 6)
}

/// A duration in seconds, to the microsecond.
pub fn span_s(duration: SimDuration) -> f64 {
    round(duration.as_secs_f64(), 6)
}

pub fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

fn counts(counters: &Counters, in_flight: u64) -> RequestCounts {
    RequestCounts {
        attempted: counters.attempted,
        succeeded: counters.succeeded,
        failed: FailureCounts {
            total: counters.failed(),
            timeout: counters.timeout,
            rejected: counters.rejected,
            error: counters.error,
            unreachable: counters.unreachable,
            breaker_open: counters.breaker_open,
            shed: counters.shed,
        },
        in_flight,
        attempts: counters.attempts(),
        retries: counters.retries,
        hedges: counters.hedges,
        amplification: (counters.attempted > 0).then(|| round(counters.attempts() as f64 / counters.attempted as f64, 6)),
    }
}

/// Share of ended requests that succeeded; `None` when none ended.
pub fn availability(counters: &Counters) -> Option<f64> {
    counters.availability().map(|a| round(a, 6))
}

/// Percentiles of a nanosecond histogram, in milliseconds.
pub fn latency(histogram: &Histogram<u64>) -> LatencySummary {
    let ms = |nanos: u64| Some(round(nanos as f64 / 1e6, 3));
    if histogram.is_empty() {
        return LatencySummary { count: 0, p50: None, p90: None, p99: None, p999: None, max: None, mean: None };
    }
    LatencySummary {
        count: histogram.len(),
        p50: ms(histogram.value_at_quantile(0.5)),
        p90: ms(histogram.value_at_quantile(0.9)),
        p99: ms(histogram.value_at_quantile(0.99)),
        p999: ms(histogram.value_at_quantile(0.999)),
        max: ms(histogram.max()),
        mean: Some(round(histogram.mean() / 1e6, 3)),
    }
}

fn tally_summary(tally: &Tally) -> RegionSummary {
    RegionSummary {
        requests: counts(&tally.counters, 0),
        availability: availability(&tally.counters),
        latency_ms: latency(&tally.latency_ns),
    }
}

fn window_summary(plan: &ScenarioPlan, recorder: &Recorder, period: &Period) -> WindowSummary {
    let length_s = period.span.until.since(period.span.from).as_secs_f64();
    let overall = tally_summary(&period.overall);
    WindowSummary {
        from_s: at_s(period.span.from),
        until_s: at_s(period.span.until),
        // A fault called off before it started leaves an empty window.
        throughput_rps: if length_s > 0.0 { round(period.overall.counters.succeeded as f64 / length_s, 6) } else { 0.0 },
        requests: overall.requests,
        availability: overall.availability,
        latency_ms: overall.latency_ms,
        regions: recorder
            .regions
            .iter()
            .zip(&period.per_region)
            .map(|(region, tally)| (plan.topology.region(*region).id.clone(), tally_summary(tally)))
            .collect(),
    }
}

fn server_summary(plan: &ScenarioPlan, server: &Server, service: &ServicePlan, measured_s: f64) -> ServerSummary {
    let stats = &server.stats;
    let measured_ns = (measured_s * 1e9).max(1.0);
    let arrival_rate = stats.arrivals as f64 / measured_s.max(1e-9);
    let mean_sojourn_s = (stats.served > 0).then(|| stats.sojourn_ns as f64 / stats.served as f64 / 1e9);
    let mut wait_ms = latency(&stats.wait_ns_histogram);
    // The exact mean, from the sum, rather than the histogram's bucketed one.
    // Every started request's wait is recorded (its outcome is not known yet when it starts).
    let started = stats.wait_ns_histogram.len();
    wait_ms.mean = (started > 0).then(|| round(stats.wait_ns as f64 / started as f64 / 1e6, 3));
    ServerSummary {
        service: plan.service_specs[service.service as usize].name.clone(),
        region: plan.topology.region(service.region).id.clone(),
        workers: server.workers,
        workers_stated: service.workers_stated,
        queue_capacity: service.queue_capacity,
        service_time: service.service_time.describe(),
        arrivals: stats.arrivals,
        served: stats.served,
        rejected: stats.rejected,
        errors: stats.errors,
        lost: stats.lost,
        shed: stats.shed,
        expired: stats.expired,
        dependency_failed: stats.dependency_failed,
        forwarded: stats.forwarded,
        refused: stats.refused,
        utilisation: round(if stats.alive_ns == 0 { 0.0 } else { stats.busy_ns as f64 / stats.alive_ns as f64 }, 6),
        workers_alive_min: stats.alive_min,
        workers_alive_max: stats.alive_max,
        scale_outs: server.autoscaler.as_ref().map(|a| a.scale_outs),
        scale_ins: server.autoscaler.as_ref().map(|a| a.scale_ins),
        oom_kills: server.memory.as_ref().map(|m| m.kills),
        first_oom_s: server.memory.as_ref().map(|m| m.first_kill.map(at_s)),
        mode_time_s: server
            .modes
            .as_ref()
            .map(|m| Mode::ALL.iter().zip(m.time_ns).map(|(mode, ns)| (mode.as_str(), round(ns as f64 / 1e9, 6))).collect()),
        queue_len_max: stats.queue_len_max,
        wait_ms,
        littles_law: LittlesLaw {
            mean_in_system: round(stats.in_system_ns as f64 / measured_ns, 6),
            arrival_rate_per_s: round(arrival_rate, 6),
            mean_sojourn_ms: mean_sojourn_s.map(|s| round(s * 1e3, 6)),
            lambda_times_w: mean_sojourn_s.map(|s| round(arrival_rate * s, 6)),
        },
    }
}

pub fn format_utc(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let seconds = unix_s.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", seconds / 3600, seconds % 3600 / 60, seconds % 60)
}

pub fn build(plan: &ScenarioPlan, result: &RunResult) -> Summary {
    let recorder = &result.planet.recorder;
    // Servers measure over the arrival window after the warm-up (see actors::server).
    let measured_s = (plan.measured_until().as_secs_f64() - plan.warmup.as_secs_f64()).max(0.0);
    let regions = recorder
        .regions
        .iter()
        .zip(&recorder.per_region)
        .map(|(region, record)| (plan.topology.region(*region).id.clone(), tally_summary(&record.total)))
        .collect();
    let servers = result
        .planet
        .servers
        .iter()
        .zip(&plan.services)
        .enumerate()
        .map(|(index, (server, service))| (plan.server_label(index), server_summary(plan, server, service, measured_s)))
        .collect();
    let overall = &recorder.overall.total;
    Summary {
        scenario: plan.name.clone(),
        variant: plan.variant.clone(),
        seed: result.seed,
        digest: format!("{:016x}", result.outcome.digest),
        run: RunInfo {
            stop_reason: result.end.as_str(),
            events: result.outcome.events,
            start_utc: format_utc(plan.start_unix_s),
            duration_s: plan.duration.as_secs_f64(),
            warmup_s: plan.warmup.as_secs_f64(),
            drain_s: plan.drain_time().as_secs_f64(),
            simulated_s: result.horizon.as_secs_f64(),
            scale: plan.scale,
            represented_requests: round(overall.counters.attempted as f64 * plan.scale, 0),
            timeline_window_s: plan.timeline_window.as_secs_f64(),
        },
        requests: counts(&overall.counters, result.in_flight),
        availability: availability(&overall.counters),
        latency_ms: latency(&overall.latency_ns),
        regions,
        servers,
        services: services(plan, result),
        dependencies: dependencies(plan, result),
        data: super::data::summary(plan, result, measured_s),
        windows: recorder.periods.iter().map(|p| (p.name.clone(), window_summary(plan, recorder, p))).collect(),
        alerts: super::operations::alerts(result),
        actions: super::operations::actions(result),
        priorities: Priority::ALL
            .iter()
            .zip(&result.planet.recorder.by_priority)
            .filter(|(_, c)| c.attempted > 0)
            .map(|(p, c)| {
                (
                    p.as_str(),
                    PrioritySummary { attempted: c.attempted, succeeded: c.succeeded, shed: c.shed, availability: availability(c) },
                )
            })
            .collect(),
        populations: result
            .planet
            .populations
            .iter()
            .map(|p| {
                let summary = PopulationSummary {
                    breaker_opened: p.caller.breaker.as_ref().map(|b| b.opened),
                    breaker_open_s: p.caller.breaker.as_ref().map(|b| round(b.open_ns as f64 / 1e9, 6)),
                    retries_denied_by_budget: p.retries_denied_by_budget(),
                };
                (p.label().to_string(), summary)
            })
            .collect(),
        network: NetworkSummary {
            links: result
                .planet
                .network
                .capacities()
                .map(|(link, c)| {
                    let [f, b] = c.directions;
                    let load = LinkLoad {
                        per_second: c.per_second,
                        carried_forward: f.carried,
                        carried_backward: b.carried,
                        dropped_forward: f.dropped,
                        dropped_backward: b.dropped,
                    };
                    (plan.topology.links[link.0 as usize].name.clone(), load)
                })
                .collect(),
            messages_lost: result.planet.messages_lost,
            convergences: result.planet.network.convergences,
        },
        // The planet's faults: an operator's repair moved their ends.
        faults: result
            .planet
            .faults
            .faults
            .iter()
            .map(|f| {
                let recovery = super::recovery::measure(f, &result.planet.recorder, &plan.slo);
                FaultSummary {
                    name: f.name.clone(),
                    kind: f.action.kind(),
                    start_s: f.start.as_secs_f64(),
                    end_s: f.end.map(|e| e.as_secs_f64()),
                    time_to_detect_s: recovery.detected_after.as_ref().map(|(s, _)| round(*s, 6)),
                    detected_by: recovery.detected_after.map(|(_, what)| what),
                    time_to_recover_s: recovery.recovered_after.map(|s| round(s, 6)),
                    called_off: f.called_off,
                }
            })
            .collect(),
    }
}

fn services(plan: &ScenarioPlan, result: &RunResult) -> BTreeMap<String, ServiceSummary> {
    let client_requests = result.planet.recorder.overall.total.counters.attempted;
    let mut services = BTreeMap::new();
    for (index, spec) in plan.service_specs.iter().enumerate() {
        let servers = || plan.services.iter().zip(&result.planet.servers).filter(move |(s, _)| s.service as usize == index);
        let received: u64 = servers().map(|(_, server)| server.stats.arrivals).sum();
        let summary = ServiceSummary {
            regions: servers().map(|(s, _)| plan.topology.region(s.region).id.clone()).collect(),
            requests_received: received,
            per_client_request: (client_requests > 0).then(|| round(received as f64 / client_requests as f64, 6)),
        };
        services.insert(spec.name.clone(), summary);
    }
    services
}

/// Each dependency, merged over the regions of the calling service.
fn dependencies(plan: &ScenarioPlan, result: &RunResult) -> Vec<DependencySummary> {
    let mut summaries = Vec::new();
    for (service, spec) in plan.service_specs.iter().enumerate() {
        for (step, call) in spec.calls.iter().enumerate() {
            let callers: Vec<_> = result
                .planet
                .dependencies
                .iter()
                .filter(|d| d.step as usize == step && plan.services[d.server as usize].service as usize == service)
                .collect();
            let mut counters = Counters::default();
            let mut latency_ns = crate::metrics::latency_histogram(3);
            let mut by_region = BTreeMap::new();
            for dependency in &callers {
                let stats = &dependency.stats;
                counters.merge(&stats.counters);
                latency_ns.add(&stats.latency_ns).expect("histograms with the same bounds merge");
                let latency_ms = latency(&stats.latency_ns);
                let region = DependencyRegion {
                    calls: stats.counters.attempted,
                    availability: availability(&stats.counters),
                    p50_ms: latency_ms.p50,
                    p99_ms: latency_ms.p99,
                    breaker_opened: dependency.caller.breaker.as_ref().map(|b| b.opened),
                };
                by_region.insert(plan.topology.region(plan.services[dependency.server as usize].region).id.clone(), region);
            }
            summaries.push(DependencySummary {
                from: spec.name.clone(),
                to: plan.service_specs[call.service as usize].name.clone(),
                fail_open: call.fail_open,
                calls: counts(&counters, 0),
                availability: availability(&counters),
                failed_open: callers.iter().map(|d| d.stats.failed_open).sum(),
                latency_ms: latency(&latency_ns),
                by_region,
            });
        }
    }
    summaries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(format_utc(1_709_208_000), "2024-02-29T12:00:00Z");
    }
}
