//! Health checks and GeoDNS failover: detection after K failed probes, traffic moving over one
//! DNS TTL, stale resolvers keeping a dead region's answer for longer, failback, shallow vs deep
//! checks, and a frozen control plane.

use crate::support::{availability_between, plan};
use planetsim::sim::{self, RunResult};

/// `near` reaches `far` (5 ms) and `backup` (20 ms) by separate links; nothing joins `far` and
/// `backup`, so cutting `to-far` cuts `far` off.
const FORK: &str = "
name: star
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: near, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: far, lat: 0, lon: 1, utc_offset_h: 0}
  - {id: backup, lat: 1, lon: 0, utc_offset_h: 0}
links:
  - {name: to-far, kind: cable, between: [near, far], latency_ms: 5}
  - {name: to-backup, kind: cable, between: [near, backup], latency_ms: 20}
";

fn scenario(extra: &str, faults: &str) -> String {
    format!(
        "name: failover
topology: topology.yaml
seed: 12
duration: 5m
timeline_window: 5s
network: {{convergence_delay: 10s}}
services:
  - {{regions: [far, backup], workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 1ms}}}}
clients:
  - {{name: users, region: near, rate_rps: 200, timeout: 1s}}
{extra}
faults:
{faults}"
    )
}

const HEALTH: &str = "health_checks: {interval: 5s, timeout: 2s, unhealthy_after: 3, healthy_after: 2}\n";
const CUT: &str = "  - {kind: cut, links: [to-far], at: +60s, duration: 2m}\n";

fn run(label: &str, extra: &str, faults: &str) -> RunResult {
    sim::run(&plan(label, FORK, &scenario(extra, faults)))
}

fn health_events(result: &RunResult) -> Vec<(f64, String)> {
    let events = result.planet.recorder.events.iter().filter(|e| e.event == "dns-health");
    events.map(|e| (e.time.as_secs_f64(), e.detail.clone())).collect()
}

fn fault_summary(extra: &str, label: &str) -> planetsim::report::summary::FaultSummary {
    let plan = plan(label, FORK, &scenario(extra, CUT));
    let result = sim::run(&plan);
    planetsim::report::summary::build(&plan, &result).faults.remove(0)
}

#[test]
fn time_to_detect_and_to_recover_are_measured_per_fault() {
    let naive = fault_summary("dns: {ttl: 30s}\n", "ttr-naive");
    assert_eq!(naive.time_to_detect_s, None, "nothing reacts without health checks");
    // Repaired at 180 s, routes back at 190 s: the window [190, 195) is the first good one.
    assert_eq!(naive.time_to_recover_s, Some(15.0));
    let failover = fault_summary(&format!("{HEALTH}dns: {{ttl: 30s}}\n"), "ttr-failover");
    assert_eq!(failover.time_to_detect_s, Some(12.0));
    assert!(failover.detected_by.as_deref().unwrap().contains("dns-health far unhealthy"));
    assert_eq!(failover.time_to_recover_s, Some(5.0), "already served from the backup when the cut ends");
}

#[test]
fn without_health_checks_geodns_keeps_sending_traffic_to_the_lost_region() {
    let result = run("no-checks", "dns: {ttl: 30s}\n", CUT);
    assert!(availability_between(&result, 75.0, 180.0) < 0.01);
    assert!(availability_between(&result, 200.0, 300.0) > 0.99, "back after the repair");
    assert!(health_events(&result).is_empty());
}

#[test]
fn failover_detects_after_k_probes_and_moves_traffic_over_one_ttl() {
    let result = run("failover", &format!("{HEALTH}dns: {{ttl: 30s}}\n"), CUT);
    let events = health_events(&result);
    // Probes at 60, 65, 70 s are lost; each fails at its 2 s timeout: unhealthy at 72 s.
    assert_eq!(events[0], (72.0, "unhealthy".to_string()));
    // Repaired at 180 s, routes back at 190 s; probes at 190 and 195 s succeed (5 ms away).
    assert_eq!(events[1].1, "healthy");
    assert!((events[1].0 - 195.01).abs() < 0.01, "failback at {}", events[1].0);
    // Clients' caches expire uniformly over the 30 s TTL: half moved 15 s after the change.
    let half_way = availability_between(&result, 85.0, 90.0);
    assert!((0.35..0.65).contains(&half_way), "availability 13–18 s after failover {half_way}");
    assert!(availability_between(&result, 105.0, 180.0) > 0.99, "everyone moved after one TTL");
}

#[test]
fn stale_resolvers_keep_a_share_of_clients_on_the_dead_region() {
    let result = run("stale", &format!("{HEALTH}dns: {{ttl: 30s, stale_share: 0.2, stale_for: 10m}}\n"), CUT);
    // 20 % of clients hold answers up to 10 minutes old: a minute after the TTL, about
    // 0.2 × (1 − 60/600) = 18 % of requests still go to the dead region.
    let stuck = 1.0 - availability_between(&result, 105.0, 150.0);
    assert!((0.15..0.21).contains(&stuck), "share still failing {stuck}");
}

#[test]
fn deep_checks_catch_a_server_that_is_up_but_failing_and_shallow_checks_do_not() {
    let errors = "  - {kind: error-servers, regions: [far], rate: 1.0, at: +60s, duration: 2m}\n";
    let shallow = run("shallow", &format!("{HEALTH}dns: {{ttl: 10s}}\n"), errors);
    let deep = run("deep", &format!("{}dns: {{ttl: 10s}}\n", HEALTH.replace("healthy_after: 2}", "healthy_after: 2, kind: deep}")), errors);
    assert!(health_events(&shallow).is_empty(), "liveness probes still pass");
    assert!(availability_between(&shallow, 70.0, 180.0) < 0.01);
    assert_eq!(health_events(&deep)[0].1, "unhealthy");
    assert!(availability_between(&deep, 90.0, 180.0) > 0.99, "deep checks moved traffic away");
}

#[test]
fn a_frozen_control_plane_delays_failover_until_it_returns() {
    let faults = format!("{CUT}  - {{kind: control-plane, at: +50s, duration: 60s}}\n");
    let result = run("frozen", &format!("{HEALTH}dns: {{ttl: 10s}}\n"), &faults);
    let events = health_events(&result);
    assert_eq!(events[0], (110.0, "unhealthy".to_string()), "published only when the control plane returns");
    assert!(availability_between(&result, 75.0, 110.0) < 0.01);
    assert!(availability_between(&result, 125.0, 180.0) > 0.99);
}

#[test]
fn the_bundled_cable_cut_scenario_shows_what_failover_buys() {
    let [naive, failover] = ["naive", "failover"].map(|name| {
        let plan = crate::support::bundled_plan("scenarios/cable-cut-failover.yaml", Some(name));
        let result = sim::run(&plan);
        let santiago = result.planet.recorder.regions.iter().position(|r| plan.topology.region(*r).id == "santiago").unwrap();
        let rows = result
            .planet
            .recorder
            .timeline
            .iter()
            .filter(|r| r.scope == santiago as u32 && (120.0..600.0).contains(&r.start.as_secs_f64()));
        let (ok, ended) =
            rows.fold((0, 0), |(ok, ended), r| (ok + r.counters.succeeded, ended + r.counters.succeeded + r.counters.failed()));
        ok as f64 / ended as f64
    });
    assert!(naive < 0.01, "Santiago without failover during the cut: {naive}");
    assert!(failover > 0.95, "Santiago with failover during the cut: {failover}");
}

#[test]
fn states_are_sampled_every_window_for_servers_and_breakers() {
    let breaker = "  - {name: users, region: near, rate_rps: 200, timeout: 1s, breaker: {window: 5s, min_requests: 20, error_rate: 0.5, open_for: 5s}}";
    let yaml = scenario(&format!("{HEALTH}dns: {{ttl: 30s}}\n"), CUT)
        .replace("  - {name: users, region: near, rate_rps: 200, timeout: 1s}", breaker);
    let plan = plan("states", FORK, &yaml);
    let result = sim::run(&plan);
    let csv = planetsim::report::timeline::render_states(&plan, &result);
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let value_at =
        |time: &str, subject: &str, state: &str| rows.iter().find(|r| r[0] == time && r[1] == subject && r[2] == state).map(|r| r[3]);
    assert_eq!(value_at("70", "far", "dns"), Some("healthy"));
    assert_eq!(value_at("75", "far", "dns"), Some("unhealthy"), "published at 72 s");
    assert_eq!(value_at("75", "far", "workers_alive"), Some("50"));
    assert_eq!(value_at("55", "users@near", "breaker"), Some("closed"));
    assert!(rows.iter().any(|r| r[1] == "users@near" && r[3] == "open"), "the breaker opened on requests lost in the black hole");
    // One sample per window per state: 60 windows over 5 minutes.
    assert_eq!(rows.iter().filter(|r| r[1] == "backup" && r[2] == "mode").count(), 60);
}

/// A crashed process refuses connections, so even a shallow probe (is the port open?) fails:
/// GeoDNS takes the region out after three failed rounds, and puts it back after the restart.
#[test]
fn a_shallow_probe_fails_on_a_crashed_server() {
    let crash = "  - {kind: crash, regions: [far], at: +60s, duration: 1m}\n";
    let shallow = "health_checks: {interval: 5s, timeout: 2s, unhealthy_after: 3, healthy_after: 2, kind: shallow}\n";
    let result = run("crash-shallow", shallow, crash);
    let events = health_events(&result);
    // Rounds at 60, 65 and 70 s fail; the third answer is back one RTT (10 ms) later.
    assert_eq!(events.first().map(|(t, d)| (*t, d.as_str())), Some((70.01, "unhealthy")), "{events:?}");
    assert!(events.iter().any(|(t, d)| *t > 120.0 && d == "healthy"), "back after the restart: {events:?}");
}
