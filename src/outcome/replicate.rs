//! Replications: each variant run on seeds `seed, seed + 1, …`, in parallel on a rayon pool.
//!
//! Every (variant, seed) is an independent deterministic run. Results are collected in
//! (variant, seed) order, so what is written never depends on which thread ran what.

use crate::metrics::latency_histogram;
use crate::plot::view::RunView;
use crate::report::summary::{self, Summary};
use crate::scenario::variants::Variant;
use crate::sim;
use hdrhistogram::Histogram;
use rayon::prelude::*;
use serde_json::Value;

/// Named latency histograms: `("all", overall)`, then one per client region.
pub type Latencies = Vec<(String, Histogram<u64>)>;

/// What one replication left: its summary, typed and as JSON (for reading metrics by path).
pub struct Replication {
    pub seed: u64,
    pub summary: Summary,
    pub json: Value,
}

/// One variant's replications, in seed order.
pub struct VariantRuns {
    pub name: Option<String>,
    pub replications: Vec<Replication>,
    /// The latency histograms of every replication added up, bucket by bucket (exact: the
    /// counts are integers): `("all", overall)` first, then one per client region in region
    /// order. Empty unless asked for.
    pub merged_latency: Latencies,
    /// What the first seed's run looked like, for plots; `None` unless asked for.
    pub first_view: Option<RunView>,
}

impl VariantRuns {
    /// One run of one variant, as if replicated once.
    pub fn single(name: Option<String>, summary: Summary) -> Self {
        let json = serde_json::to_value(&summary).expect("summaries serialise");
        let replications = vec![Replication { seed: summary.seed, summary, json }];
        VariantRuns { name, replications, merged_latency: Vec::new(), first_view: None }
    }

    pub fn seeds(&self) -> Vec<u64> {
        self.replications.iter().map(|r| r.seed).collect()
    }

    fn add_latency(&mut self, latency: Latencies) {
        if self.merged_latency.is_empty() {
            self.merged_latency = latency.iter().map(|(name, _)| (name.clone(), latency_histogram(3))).collect();
        }
        for ((_, total), (_, histogram)) in self.merged_latency.iter_mut().zip(&latency) {
            total.add(histogram).expect("latency histograms share their bounds");
        }
    }
}

/// The seeds of `count` replications from `first`.
pub fn seeds(first: u64, count: usize) -> Vec<u64> {
    (0..count as u64).map(|i| first.wrapping_add(i)).collect()
}

/// `seed 42`, or `seeds 42–46`.
pub fn describe_seeds(seeds: &[u64]) -> String {
    match seeds {
        [first, .., last] => format!("seeds {first}–{last}"),
        [one] => format!("seed {one}"),
        [] => "no seed".to_string(),
    }
}

/// A run's latency histograms: `("all", overall)`, then one per client region in region order.
pub fn latencies(plan: &crate::sim::plan::ScenarioPlan, result: &sim::RunResult) -> Latencies {
    let recorder = &result.planet.recorder;
    let mut histograms = vec![("all".to_string(), recorder.overall.total.latency_ns.clone())];
    for (region, record) in recorder.regions.iter().zip(&recorder.per_region) {
        histograms.push((plan.topology.region(*region).id.clone(), record.total.latency_ns.clone()));
    }
    histograms
}

/// What replications keep besides their summaries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Summaries only (`check`, `sweep`).
    Summaries,
    /// Their latency histograms, merged (`run --replications`).
    MergedLatency,
    /// The first seed's run as a [`RunView`], to draw (`check --report`).
    FirstView,
}

/// Runs every variant on every seed, on `threads` threads (default: one per core). Runs go in
/// batches of a few per thread, folded in (variant, seed) order, so memory does not grow with
/// the number of replications and the result does not depend on the threads.
pub fn run(
    variants: &[Variant],
    seeds: &[u64],
    threads: Option<usize>,
    keep: Keep,
) -> Result<Vec<VariantRuns>, rayon::ThreadPoolBuildError> {
    run_counted(variants, seeds, threads, keep, &|| {})
}

/// Like [`run`], and calls `each_done` when a run ends, from the thread that ran it (for a
/// progress display: it learns how many ended, never which or in what order).
pub fn run_counted(
    variants: &[Variant],
    seeds: &[u64],
    threads: Option<usize>,
    keep: Keep,
    each_done: &(dyn Fn() + Sync),
) -> Result<Vec<VariantRuns>, rayon::ThreadPoolBuildError> {
    let jobs: Vec<(usize, u64)> = (0..variants.len()).flat_map(|v| seeds.iter().map(move |s| (v, *s))).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.unwrap_or(0)).build()?;
    let mut grouped: Vec<VariantRuns> = variants
        .iter()
        .map(|v| VariantRuns { name: v.name.clone(), replications: Vec::new(), merged_latency: Vec::new(), first_view: None })
        .collect();
    let batch = pool.current_num_threads() * 2;
    for jobs in jobs.chunks(batch) {
        let done: Vec<Replicated> = pool.install(|| {
            jobs.par_iter()
                .map(|&(v, seed)| {
                    let done = replicate(&variants[v], seed, keep, seed == seeds[0]);
                    each_done();
                    done
                })
                .collect()
        });
        for ((v, _), replicated) in jobs.iter().zip(done) {
            let runs = &mut grouped[*v];
            runs.replications.push(replicated.replication);
            if let Some(latency) = replicated.latency {
                runs.add_latency(latency);
            }
            runs.first_view = runs.first_view.take().or(replicated.view);
        }
    }
    Ok(grouped)
}

/// One replication, and what it keeps besides its summary.
struct Replicated {
    replication: Replication,
    latency: Option<Latencies>,
    view: Option<RunView>,
}

fn replicate(variant: &Variant, seed: u64, keep: Keep, first: bool) -> Replicated {
    let mut plan = variant.plan.clone();
    plan.seed = seed;
    let result = sim::run(&plan);
    let summary = summary::build(&plan, &result);
    let json = serde_json::to_value(&summary).expect("summaries serialise");
    let latency = (keep == Keep::MergedLatency).then(|| latencies(&plan, &result));
    let view = (keep == Keep::FirstView && first).then(|| RunView::of_run(&plan, &result, &summary));
    Replicated { replication: Replication { seed, summary, json }, latency, view }
}
