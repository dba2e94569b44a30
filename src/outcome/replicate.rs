//! Replications: each variant run on seeds `seed, seed + 1, …`, in parallel on a rayon pool.
//!
//! Every (variant, seed) is an independent deterministic run. Results are collected in
//! (variant, seed) order, so what is written never depends on which thread ran what.

use crate::metrics::latency_histogram;
use crate::report::summary::{self, Summary};
use crate::scenario::variants::Variant;
use crate::sim;
use hdrhistogram::Histogram;
use rayon::prelude::*;
use serde_json::Value;

/// What one replication left: its summary, and its latency histograms for exact merging.
pub struct Replication {
    pub seed: u64,
    pub summary: Summary,
    /// `summary` as JSON, for reading metrics by path.
    pub json: Value,
    /// `("all", overall)` first, then one per client region, in region order.
    pub latency: Vec<(String, Histogram<u64>)>,
}

/// One variant's replications, in seed order.
pub struct VariantRuns {
    pub name: Option<String>,
    pub replications: Vec<Replication>,
}

impl VariantRuns {
    /// The latency histograms of every replication added up, bucket by bucket (exact: the
    /// counts are integers), in the order of `Replication::latency`.
    pub fn merged_latency(&self) -> Vec<(String, Histogram<u64>)> {
        let mut merged: Vec<(String, Histogram<u64>)> =
            self.replications[0].latency.iter().map(|(name, _)| (name.clone(), latency_histogram(3))).collect();
        for replication in &self.replications {
            for ((_, total), (_, histogram)) in merged.iter_mut().zip(&replication.latency) {
                total.add(histogram).expect("latency histograms share their bounds");
            }
        }
        merged
    }

    pub fn seeds(&self) -> Vec<u64> {
        self.replications.iter().map(|r| r.seed).collect()
    }
}

/// The seeds of `count` replications from `first`.
pub fn seeds(first: u64, count: usize) -> Vec<u64> {
    (0..count as u64).map(|i| first.wrapping_add(i)).collect()
}

/// Runs every variant on every seed, on `threads` threads (default: one per core).
pub fn run(variants: &[Variant], seeds: &[u64], threads: Option<usize>) -> Result<Vec<VariantRuns>, rayon::ThreadPoolBuildError> {
    let jobs: Vec<(usize, u64)> = (0..variants.len()).flat_map(|v| seeds.iter().map(move |s| (v, *s))).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.unwrap_or(0)).build()?;
    let mut done: Vec<Replication> = pool.install(|| jobs.par_iter().map(|&(v, seed)| replicate(&variants[v], seed)).collect());
    let mut grouped = Vec::with_capacity(variants.len());
    for variant in variants.iter().rev() {
        let replications = done.split_off(done.len() - seeds.len());
        grouped.push(VariantRuns { name: variant.name.clone(), replications });
    }
    grouped.reverse();
    Ok(grouped)
}

fn replicate(variant: &Variant, seed: u64) -> Replication {
    let mut plan = variant.plan.clone();
    plan.seed = seed;
    let result = sim::run(&plan);
    let summary = summary::build(&plan, &result);
    let json = serde_json::to_value(&summary).expect("summaries serialise");
    let recorder = &result.planet.recorder;
    let mut latency = vec![("all".to_string(), recorder.overall.latency_ns.clone())];
    for (region, record) in recorder.regions.iter().zip(&recorder.per_region) {
        latency.push((plan.topology.region(*region).id.clone(), record.latency_ns.clone()));
    }
    Replication { seed, summary, json, latency }
}
