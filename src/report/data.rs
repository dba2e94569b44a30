//! The data layer's results: the `data` section of `summary.json` (reads, writes, the age of
//! what reads returned, and each cache tier's hit ratio and origin load) and `data.csv` (each
//! cache's lookups, hits and origin requests per timeline window). Written only for scenarios
//! with a key space.

use super::summary::{LatencySummary, latency, round};
use super::timeline::csv_field;
use crate::data::front::{CacheFront, CacheStats};
use crate::metrics::Counters;
use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Serialize)]
pub struct DataSummary {
    /// The key space: its size and popularity.
    pub keys: u32,
    pub popularity: String,
    pub reads: Operations,
    pub writes: Operations,
    /// Writes that took effect at a service holding the data.
    pub commits: u64,
    /// How old the data of successful reads was when it reached the client.
    pub read_age_ms: LatencySummary,
    /// Per service with a cache (a tier), over its regions.
    pub caches: BTreeMap<String, CacheSummary>,
    /// Per replicated service.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub replication: BTreeMap<String, super::replication::ReplicationSummary>,
    /// Items with a limited stock: sold against what there was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<super::replication::StockSummary>,
}

#[derive(Serialize)]
pub struct Operations {
    pub attempted: u64,
    pub succeeded: u64,
    pub availability: Option<f64>,
}

#[derive(Serialize)]
pub struct CacheSummary {
    pub capacity: u32,
    pub ttl_s: Option<f64>,
    pub writes: &'static str,
    pub stampede: &'static str,
    pub early_refresh: bool,
    /// Reads looked up, and how they went.
    pub lookups: u64,
    pub hits: u64,
    pub hit_ratio: Option<f64>,
    pub misses: u64,
    pub expired: u64,
    pub coalesced: u64,
    pub lease_waits: u64,
    pub early_refreshes: u64,
    /// Requests sent on to the service behind the cache: read fetches plus writes.
    pub origin_requests: u64,
    pub fetches: u64,
    pub writes_received: u64,
    /// Origin requests per second: the mean over the measured window, and its busiest timeline
    /// window (whole windows after the warm-up).
    pub origin_per_s_mean: f64,
    pub origin_per_s_peak: f64,
    pub origin_peak_at_s: Option<f64>,
    /// Hits that served data overwritten since it was cached.
    pub stale_hits: u64,
    pub invalidations: u64,
    pub writes_lost: u64,
    pub evictions: u64,
    /// Age of the data hits served.
    pub hit_age_ms: LatencySummary,
    pub by_region: BTreeMap<String, CacheRegion>,
}

#[derive(Serialize)]
pub struct CacheRegion {
    pub lookups: u64,
    pub hit_ratio: Option<f64>,
    pub origin_requests: u64,
}

fn operations(counters: &Counters) -> Operations {
    Operations { attempted: counters.attempted, succeeded: counters.succeeded, availability: super::summary::availability(counters) }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 6))
}

/// The `data` section, or `None` for a scenario without keys.
pub fn summary(plan: &ScenarioPlan, result: &RunResult, measured_s: f64) -> Option<DataSummary> {
    let keys = plan.keys.as_ref()?;
    let record = &result.planet.recorder.data;
    let caches = plan
        .service_specs
        .iter()
        .enumerate()
        .filter_map(|(service, spec)| Some((spec.name.clone(), cache_summary(plan, result, service as u32, measured_s)?)))
        .collect();
    Some(DataSummary {
        keys: keys.key_count(),
        popularity: keys.popularity.describe(),
        reads: operations(&record.reads),
        writes: operations(&record.writes),
        commits: result.planet.ledger.commits,
        read_age_ms: latency(&record.read_age_ns),
        caches,
        replication: super::replication::summaries(plan, result),
        stock: super::replication::stock(plan, result),
    })
}

/// The caches of one service, with their server labels' regions.
fn fronts<'a>(plan: &'a ScenarioPlan, result: &'a RunResult, service: u32) -> impl Iterator<Item = (String, &'a CacheFront)> + 'a {
    plan.services.iter().zip(&result.planet.servers).filter(move |(s, _)| s.service == service).filter_map(|(s, server)| {
        let front = server.cache.as_deref()?;
        Some((plan.topology.region(s.region).id.clone(), front))
    })
}

fn cache_summary(plan: &ScenarioPlan, result: &RunResult, service: u32, measured_s: f64) -> Option<CacheSummary> {
    let policy = plan.service_specs[service as usize].cache.as_ref()?;
    let mut total = CacheStats::new();
    let mut by_region = BTreeMap::new();
    for (region, front) in fronts(plan, result, service) {
        let s = &front.stats;
        total.merge(s);
        by_region
            .insert(region, CacheRegion { lookups: s.lookups, hit_ratio: ratio(s.hits, s.lookups), origin_requests: s.origin_requests() });
    }
    // The busiest window of the measured span (after the warm-up, before arrivals stop).
    let window_s = plan.timeline_window.as_secs_f64();
    let measured = (plan.warmup.0.div_ceil(plan.timeline_window.0) as usize)..(plan.measured_until().0 / plan.timeline_window.0) as usize;
    let windows = total.windows.iter().enumerate().filter(|(index, _)| measured.contains(index));
    let peak = windows.max_by_key(|(index, w)| (w.origin, std::cmp::Reverse(*index)));
    Some(CacheSummary {
        capacity: policy.capacity,
        ttl_s: policy.ttl.map(|t| t.as_secs_f64()),
        writes: policy.writes.as_str(),
        stampede: policy.stampede.as_str(),
        early_refresh: policy.early_refresh.is_some(),
        lookups: total.lookups,
        hits: total.hits,
        hit_ratio: ratio(total.hits, total.lookups),
        misses: total.misses,
        expired: total.expired,
        coalesced: total.coalesced,
        lease_waits: total.lease_waits,
        early_refreshes: total.early_refreshes,
        origin_requests: total.origin_requests(),
        fetches: total.fetches,
        writes_received: total.writes,
        origin_per_s_mean: round(total.origin_requests() as f64 / measured_s.max(1e-9), 3),
        origin_per_s_peak: peak.map_or(0.0, |(_, w)| round(w.origin as f64 / window_s, 3)),
        origin_peak_at_s: peak.map(|(index, _)| round(index as f64 * window_s, 6)),
        stale_hits: total.stale_hits,
        invalidations: total.invalidations,
        writes_lost: total.writes_lost,
        evictions: total.evictions,
        hit_age_ms: latency(&total.age_ns),
        by_region,
    })
}

pub const CSV_HEADER: &str = "window_start_s,window_s,service,region,lookups,hits,hit_ratio,origin_requests,origin_per_s";

/// `data.csv`: per timeline window and cache, its lookups, hits and origin requests.
pub fn render_csv(plan: &ScenarioPlan, result: &RunResult) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    let window_s = plan.timeline_window.as_secs_f64();
    for (index, spec) in plan.service_specs.iter().enumerate() {
        for (region, front) in fronts(plan, result, index as u32) {
            for (window, counts) in front.stats.windows.iter().enumerate() {
                let hit_ratio = ratio(counts.hits, counts.lookups).map(|r| r.to_string()).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{hit_ratio},{},{}",
                    round(window as f64 * window_s, 6),
                    round(window_s, 6),
                    csv_field(&spec.name),
                    csv_field(&region),
                    counts.lookups,
                    counts.hits,
                    counts.origin,
                    round(counts.origin as f64 / window_s, 3),
                );
            }
        }
    }
    out
}
