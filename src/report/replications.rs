//! The files and the printed table of a run with `--replications N`:
//! `replications.json` (every numeric metric of the summary as mean, 95 % interval, min and
//! max, plus latency percentiles of the merged histograms), `replications.csv` (one row per
//! seed) and the merged `latency_*.hgrm`.

use super::summary::{LatencySummary, latency, round};
use super::timeline::csv_number;
use crate::outcome::replicate::VariantRuns;
use crate::outcome::stats::{Estimate, format_value};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

#[derive(Serialize)]
pub struct ReplicatedSummary {
    pub scenario: String,
    pub variant: Option<String>,
    pub replications: usize,
    pub seeds: Vec<u64>,
    /// Per metric path of `summary.json`, over the replications where it has a value.
    pub metrics: BTreeMap<String, MetricEstimate>,
    /// Percentiles of the histograms of every replication merged: `all` and each client region.
    pub pooled_latency_ms: BTreeMap<String, LatencySummary>,
}

#[derive(Serialize)]
pub struct MetricEstimate {
    /// Replications with a value.
    pub n: usize,
    pub mean: f64,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub min: f64,
    pub max: f64,
}

/// Every numeric leaf of a summary, by path (`regions.tokyo.latency_ms.p99`, `faults[0].start_s`).
fn numeric_leaves(value: &Value, path: &mut String, out: &mut Vec<(String, f64)>) {
    match value {
        Value::Number(n) => out.push((path.clone(), n.as_f64().unwrap_or(f64::NAN))),
        Value::Object(map) => {
            for (key, child) in map {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                numeric_leaves(child, path, out);
                path.truncate(length);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let length = path.len();
                let _ = write!(path, "[{index}]");
                numeric_leaves(child, path, out);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

pub fn summarise(runs: &VariantRuns) -> ReplicatedSummary {
    let mut per_path: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for replication in &runs.replications {
        let mut leaves = Vec::new();
        numeric_leaves(&replication.json, &mut String::new(), &mut leaves);
        for (path, value) in leaves.into_iter().filter(|(p, _)| p != "seed") {
            per_path.entry(path).or_default().push(value);
        }
    }
    let metrics = per_path
        .into_iter()
        .map(|(path, values)| {
            let e = Estimate::of(&values);
            let (low, high) = e.interval();
            let estimate = MetricEstimate {
                n: e.n,
                mean: round(e.mean, 6),
                ci95_low: e.half_width.map(|_| round(low, 6)),
                ci95_high: e.half_width.map(|_| round(high, 6)),
                min: round(e.min, 6),
                max: round(e.max, 6),
            };
            (path, estimate)
        })
        .collect();
    let first = &runs.replications[0].summary;
    ReplicatedSummary {
        scenario: first.scenario.clone(),
        variant: runs.name.clone(),
        replications: runs.replications.len(),
        seeds: runs.seeds(),
        metrics,
        pooled_latency_ms: runs.merged_latency.iter().map(|(name, h)| (name.clone(), latency(h))).collect(),
    }
}

/// Writes `replications.json`, `replications.csv` and the merged histograms into `dir`.
pub fn write(dir: &Path, runs: &VariantRuns, summary: &ReplicatedSummary) -> std::io::Result<()> {
    let mut json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    json.push('\n');
    super::write_file(dir, "replications.json", json.as_bytes())?;
    super::write_file(dir, "replications.csv", per_seed_csv(runs).as_bytes())?;
    for (name, histogram) in &runs.merged_latency {
        let file = format!("latency_{name}.hgrm");
        super::write_file(dir, &file, super::hgrm::percentile_distribution(histogram).as_bytes())?;
    }
    Ok(())
}

fn per_seed_csv(runs: &VariantRuns) -> String {
    let mut out = String::from("seed,digest,attempted,succeeded,availability,p50_ms,p99_ms,amplification\n");
    for r in &runs.replications {
        let s = &r.summary;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            r.seed,
            s.digest,
            s.requests.attempted,
            s.requests.succeeded,
            csv_number(s.availability),
            csv_number(s.latency_ms.p50),
            csv_number(s.latency_ms.p99),
            csv_number(s.requests.amplification)
        );
    }
    out
}

/// The headline metrics, overall and per client region, with their intervals.
pub fn render(summary: &ReplicatedSummary) -> String {
    let mut out = String::new();
    let variant = summary.variant.as_ref().map(|v| format!(" · variant `{v}`")).unwrap_or_default();
    let seeds = match (summary.seeds.first(), summary.seeds.last()) {
        (Some(a), Some(b)) => format!("seeds {a}–{b}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "planetsim · scenario `{}`{variant} · {} replications ({seeds})", summary.scenario, summary.replications);
    let _ = writeln!(out, "{:<40} {:>12} {:>26} {:>12} {:>12}", "metric", "mean", "95% interval", "min", "max");
    let mut headline = vec!["availability".to_string(), "latency_ms.p50".into(), "latency_ms.p99".into(), "requests.amplification".into()];
    for region in summary.pooled_latency_ms.keys().filter(|r| *r != "all") {
        headline.push(format!("regions.{region}.availability"));
        headline.push(format!("regions.{region}.latency_ms.p99"));
    }
    for path in headline {
        let Some(m) = summary.metrics.get(&path) else { continue };
        let interval = match (m.ci95_low, m.ci95_high) {
            (Some(low), Some(high)) => format!("[{}, {}]", format_value(low), format_value(high)),
            _ => "-".to_string(),
        };
        let _ =
            writeln!(out, "{path:<40} {:>12} {interval:>26} {:>12} {:>12}", format_value(m.mean), format_value(m.min), format_value(m.max));
    }
    if let Some(all) = summary.pooled_latency_ms.get("all") {
        let ms = |v: Option<f64>| v.map_or("-".to_string(), format_value);
        let _ = writeln!(
            out,
            "pooled latency (all replications' histograms merged): p50 {} ms, p99 {} ms, p99.9 {} ms, {} requests",
            ms(all.p50),
            ms(all.p99),
            ms(all.p999),
            all.count
        );
    }
    out
}
