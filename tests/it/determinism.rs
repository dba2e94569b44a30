//! Same scenario and seed: byte-identical result files. Another seed: another trace.

use crate::support::{repo_path, temp_dir};
use planetsim::kernel::SimDuration;
use planetsim::report;
use planetsim::scenario;
use planetsim::sim;
use std::path::Path;

/// Runs the quickstart shortened to 40 s, writing results into `dir`.
fn run_quickstart(seed: u64, dir: &Path) -> String {
    let mut plan = scenario::load_scenario(&repo_path("scenarios/quickstart.yaml")).unwrap();
    plan.duration = SimDuration::from_secs(40);
    plan.seed = seed;
    let result = sim::run(&plan);
    let summary = report::summary::build(&plan, &result);
    report::write_results(dir, &plan, &result, &summary).unwrap();
    summary.digest
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn same_seed_gives_byte_identical_results() {
    let (first, second) = (temp_dir("det-a"), temp_dir("det-b"));
    let digest_a = run_quickstart(5, &first);
    let digest_b = run_quickstart(5, &second);
    assert_eq!(digest_a, digest_b);
    for name in ["summary.json", "timeline.csv", "latency_all.hgrm", "latency_tokyo.hgrm"] {
        assert!(read(&first, name) == read(&second, name), "{name} differs between two runs with the same seed");
    }
    let files = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    assert_eq!(files(&first), files(&second));
    assert!(!files(&first).iter().any(|n| n.ends_with(".partial")), "no partial files are left behind");
}

#[test]
fn another_seed_gives_another_trace() {
    let (first, second) = (temp_dir("seed-a"), temp_dir("seed-b"));
    let digest_a = run_quickstart(5, &first);
    let digest_b = run_quickstart(6, &second);
    assert_ne!(digest_a, digest_b);
    assert!(read(&first, "summary.json") != read(&second, "summary.json"));
}
