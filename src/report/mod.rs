//! Result files: `summary.json`, `timeline.csv`, `events.csv`, `states.csv`, `data.csv` (with a
//! key space), `variants.csv`, one `.hgrm` per latency histogram, and the human-readable summary
//! printed after a run. Formats are documented in docs/OUTPUT.md.
//!
//! Architecture invariant: writing results never changes them. Every file is written to a
//! temporary name and renamed into place, so a run that fails leaves no half-written result
//! under a final name.

pub mod data;
pub mod hgrm;
pub mod html;
pub mod operations;
pub mod placement;
pub mod recovery;
pub mod replication;
pub mod replications;
pub mod summary;
pub mod text;
pub mod timeline;

use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use std::path::{Path, PathBuf};

/// Writes all result files of a run into `dir`; returns the paths written.
pub fn write_results(dir: &Path, plan: &ScenarioPlan, result: &RunResult, summary: &summary::Summary) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    json.push('\n');
    written.push(write_atomically(dir, "summary.json", json.as_bytes())?);
    let csv = timeline::render(plan, result);
    written.push(write_atomically(dir, "timeline.csv", csv.as_bytes())?);
    written.push(write_atomically(dir, "events.csv", timeline::render_events(result).as_bytes())?);
    written.push(write_atomically(dir, "states.csv", timeline::render_states(plan, result).as_bytes())?);
    if plan.keys.is_some() {
        written.push(write_atomically(dir, "data.csv", data::render_csv(plan, result).as_bytes())?);
    }
    let recorder = &result.planet.recorder;
    written.push(write_atomically(dir, "latency_all.hgrm", hgrm::percentile_distribution(&recorder.overall.total.latency_ns).as_bytes())?);
    for (region, record) in recorder.regions.iter().zip(&recorder.per_region) {
        let name = format!("latency_{}.hgrm", plan.topology.region(*region).id);
        written.push(write_atomically(dir, &name, hgrm::percentile_distribution(&record.total.latency_ns).as_bytes())?);
    }
    Ok(written)
}

/// Writes one file into `dir` (created if needed), atomically.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    write_atomically(dir, name, bytes)
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let final_path = dir.join(name);
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, &final_path)?;
    Ok(final_path)
}
