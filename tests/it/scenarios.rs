//! Every bundled scenario validates and runs (shortened so the suite stays fast), and the
//! README's table lists exactly the bundled scenarios.

use crate::support::repo_path;
use planetsim::kernel::SimDuration;
use planetsim::{scenario, sim};

fn bundled_scenarios() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(repo_path("scenarios")).unwrap().map(|e| e.unwrap().path()).collect();
    paths.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    paths.sort();
    paths
}

#[test]
fn the_readme_lists_every_bundled_scenario() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let mut listed: Vec<&str> =
        readme.lines().filter_map(|l| l.strip_prefix("| `scenarios/")).filter_map(|rest| rest.split('`').next()).collect();
    listed.sort();
    let bundled: Vec<String> = bundled_scenarios().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(listed, bundled, "README's table of bundled scenarios against scenarios/");
}

#[test]
fn every_bundled_scenario_validates_and_runs() {
    for path in bundled_scenarios() {
        let variants = scenario::variants::load_variants(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        for mut variant in variants {
            let plan = &mut variant.plan;
            plan.duration = plan.duration.min(SimDuration::from_secs(20));
            plan.warmup = plan.warmup.min(SimDuration::from_secs(5));
            let result = sim::run(plan);
            let counters = result.planet.recorder.overall.total.counters;
            assert!(counters.attempted > 0, "{}: no request was made", path.display());
            assert_eq!(counters.attempted, counters.succeeded + counters.failed(), "{}: every request ends", path.display());
        }
    }
}

/// London, Mumbai and Tokyo: three time zones in a line.
const THREE_ZONES: &str = "
name: zones
defaults: {intra_region_rtt_ms: 1}
regions:
  - {id: london, lat: 51.5, lon: -0.12, utc_offset_h: 0}
  - {id: tokyo, lat: 35.7, lon: 139.7, utc_offset_h: 9}
  - {id: mumbai, lat: 19.1, lon: 72.9, utc_offset_h: 5.5}
links:
  - {name: a, kind: cable, between: [london, mumbai]}
  - {name: b, kind: cable, between: [mumbai, tokyo]}
";

#[test]
fn a_local_midnight_surge_rolls_across_time_zones() {
    let scenario = "
name: zones
topology: topology.yaml
start: 2026-12-31T12:00:00Z
duration: 13h
services:
  - {regions: [london, tokyo, mumbai], workers: 10, queue_capacity: 10, service_time: {dist: constant, value: 1ms}}
clients:
  - name: people
    regions: [london, tokyo, mumbai]
    rate_rps: 1
    timeout: 1s
    surges:
      - {at: 2027-01-01T00:00:00 local, multiplier: 5, hold: 1m}
";
    let plan = crate::support::plan("zones", THREE_ZONES, scenario);
    let start_of = |region: &str| {
        let population = plan.populations.iter().find(|p| plan.topology.region(p.region).id == region).unwrap();
        population.curve.surges[0].start_ns / 1_000_000_000
    };
    // From 12:00 UTC: Tokyo's midnight is 15:00 UTC, Mumbai's 18:30 UTC, London's 00:00 UTC.
    assert_eq!(start_of("tokyo"), 3 * 3600);
    assert_eq!(start_of("mumbai"), 6 * 3600 + 1800);
    assert_eq!(start_of("london"), 12 * 3600);
}

#[test]
fn limits_end_a_run_with_their_reason_and_count_what_is_in_flight() {
    let base = "
name: limits
topology: topology.yaml
duration: 60s
services:
  - {region: london, workers: 1, queue_capacity: 1000, service_time: {dist: constant, value: 50ms}}
clients:
  - {name: people, region: london, rate_rps: 25, timeout: 10s}
";
    // 25 requests/s against a server that serves 20/s: the queue grows, so at the time limit
    // many requests are still in flight, and they must be reported as such.
    let by_time = crate::support::plan("limit-time", THREE_ZONES, &format!("{base}limits: {{max_simulated_time: 30s}}\n"));
    let result = sim::run(&by_time);
    assert_eq!(result.end, sim::RunEnd::TimeLimit);
    assert_eq!(result.horizon.as_secs_f64(), 30.0);
    let counters = result.planet.recorder.overall.total.counters;
    assert!(result.in_flight > 50, "in flight at the limit: {}", result.in_flight);
    assert_eq!(counters.attempted, counters.succeeded + counters.failed() + result.in_flight);
    let by_events = crate::support::plan("limit-events", THREE_ZONES, &format!("{base}limits: {{max_events: 500}}\n"));
    let result = sim::run(&by_events);
    assert_eq!(result.end, sim::RunEnd::EventLimit);
    assert_eq!(result.outcome.events, 500);
    let full = sim::run(&crate::support::plan("limit-none", THREE_ZONES, base));
    // The server still holds work for clients who gave up, so the run ends at its natural
    // horizon, not drained; either way it is not cut short and every request has ended.
    assert_eq!(full.end, sim::RunEnd::Horizon);
    assert_eq!(full.in_flight, 0);
}
