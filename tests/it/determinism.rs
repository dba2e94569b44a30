//! Same scenario and seed: byte-identical result files. Another seed: another trace.

use crate::support::temp_dir;
use planetsim::kernel::SimDuration;
use planetsim::report;
use planetsim::sim;
use std::path::Path;

/// Runs a bundled scenario (its variant `variant`, if it has variants) shortened to
/// `seconds`, writing results into `dir`.
fn run_bundled(scenario_file: &str, variant: Option<&str>, seconds: u64, seed: u64, dir: &Path) -> String {
    let mut plan = crate::support::bundled_plan(scenario_file, variant);
    plan.duration = SimDuration::from_secs(seconds);
    plan.seed = seed;
    let result = sim::run(&plan);
    let summary = report::summary::build(&plan, &result);
    report::write_results(dir, &plan, &result, &summary).unwrap();
    summary.digest
}

fn run_quickstart(seed: u64, dir: &Path) -> String {
    run_bundled("scenarios/quickstart.yaml", None, 40, seed, dir)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// Every file of two runs is the same, byte for byte, and none is left half-written.
fn assert_identical(first: &Path, second: &Path) {
    assert_eq!(files(first), files(second));
    for name in files(first) {
        assert!(read(first, &name) == read(second, &name), "{name} differs between two runs with the same seed");
    }
    assert!(!files(first).iter().any(|n| n.ends_with(".partial")), "no partial files are left behind");
}

#[test]
fn same_seed_gives_byte_identical_results() {
    let (first, second) = (temp_dir("det-a"), temp_dir("det-b"));
    let digest_a = run_quickstart(5, &first);
    let digest_b = run_quickstart(5, &second);
    assert_eq!(digest_a, digest_b);
    assert_identical(&first, &second);
    for name in ["summary.json", "timeline.csv", "events.csv", "states.csv", "latency_all.hgrm", "latency_tokyo.hgrm"] {
        assert!(files(&first).contains(&name.to_string()), "{name} is written");
    }
}

/// The paths the quickstart does not take: dependencies, breakers, faults and caches with
/// leases (requests sent back to the server), with `data.csv`; replication with a failover and
/// a split brain, a partitioned multi-leader pair with conflicts and a stock, and leadership
/// moving range by range.
#[test]
fn scenarios_with_calls_faults_caches_and_replicas_are_byte_identical_too() {
    for (file, variant, seconds) in [
        ("scenarios/dependency-cascade.yaml", Some("hardened"), 150),
        ("scenarios/celebrity-stampede.yaml", Some("lease"), 70),
        ("scenarios/leader-failover.yaml", Some("no-fencing"), 160),
        ("scenarios/flash-sale-partition.yaml", Some("no-lock"), 200),
        ("scenarios/slow-node-drain.yaml", Some("parallel"), 120),
    ] {
        let (first, second) = (temp_dir("det-c"), temp_dir("det-d"));
        let digest_a = run_bundled(file, variant, seconds, 5, &first);
        let digest_b = run_bundled(file, variant, seconds, 5, &second);
        assert_eq!(digest_a, digest_b, "{file}");
        assert_identical(&first, &second);
    }
}

#[test]
fn another_seed_gives_another_trace() {
    let (first, second) = (temp_dir("seed-a"), temp_dir("seed-b"));
    let digest_a = run_quickstart(5, &first);
    let digest_b = run_quickstart(6, &second);
    assert_ne!(digest_a, digest_b);
    assert!(read(&first, "summary.json") != read(&second, "summary.json"));
}
