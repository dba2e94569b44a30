//! Each fault does what it says, measured from what clients see: a cut black-holes traffic
//! until routing converges and then takes the detour; partitions drop by direction and share;
//! gray links lose and delay; flapping gives bimodal latency; server faults lose, slow down,
//! fail or remove capacity; and bad fault definitions are located errors.

use crate::support::{load_error, plan};
use planetsim::metrics::TimelineRow;
use planetsim::report::summary;
use planetsim::sim;

/// `near` — 1 ms — `mid` — 1 ms — `far`, and a direct detour `near` — 5 ms — `far`.
const TRIANGLE: &str = "
name: triangle
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: near, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: mid, lat: 0, lon: 1, utc_offset_h: 0}
  - {id: far, lat: 0, lon: 2, utc_offset_h: 0}
links:
  - {name: near-mid, kind: cable, between: [near, mid], latency_ms: 1}
  - {name: mid-far, kind: cable, between: [mid, far], latency_ms: 1}
  - {name: detour, kind: cable, groups: [backup], between: [near, far], latency_ms: 5}
";

/// Clients in `near`, a fast service in `far` (constant 1 ms), 100 requests/s for 60 s.
fn scenario_with(faults: &str) -> String {
    format!(
        "name: faulty
topology: topology.yaml
seed: 4
duration: 60s
network: {{convergence_delay: 2s}}
services:
  - {{region: far, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 1ms}}}}
clients:
  - {{name: users, region: near, rate_rps: 100, timeout: 500ms}}
faults:
{faults}"
    )
}

fn run(label: &str, faults: &str) -> (sim::RunResult, summary::Summary) {
    crate::support::run(label, TRIANGLE, &scenario_with(faults))
}

/// Overall timeline rows whose window starts in `[from_s, to_s)`.
fn windows(result: &sim::RunResult, from_s: f64, to_s: f64) -> Vec<TimelineRow> {
    let rows = result.planet.recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL);
    rows.filter(|r| (from_s..to_s).contains(&r.start.as_secs_f64())).copied().collect()
}

fn succeeded(rows: &[TimelineRow]) -> u64 {
    rows.iter().map(|r| r.counters.succeeded).sum()
}

fn timeouts(rows: &[TimelineRow]) -> u64 {
    rows.iter().map(|r| r.counters.timeout).sum()
}

fn median_p50(rows: &[TimelineRow]) -> f64 {
    let mut values: Vec<f64> = rows.iter().filter_map(|r| r.p50_ms).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn a_cut_black_holes_until_convergence_then_takes_the_detour() {
    let (result, summary) = run("cut", "  - {kind: cut, links: [mid-far], at: +20s, duration: 20s}\n");
    // RTT 4 ms + 1 ms service before; 10 ms + 1 ms on the detour.
    assert!((median_p50(&windows(&result, 5.0, 19.0)) - 5.0).abs() < 0.1);
    let black_hole = windows(&result, 20.0, 22.0);
    assert_eq!(succeeded(&black_hole), 0, "nothing gets through before routing converges");
    assert!(timeouts(&windows(&result, 20.0, 23.0)) > 150, "requests sent into the black hole time out");
    assert!((median_p50(&windows(&result, 23.0, 39.0)) - 11.0).abs() < 0.1, "the detour is 5 ms each way");
    assert!((median_p50(&windows(&result, 43.0, 59.0)) - 5.0).abs() < 0.1, "back on the short path after repair and convergence");
    assert_eq!(summary.network.convergences, 2);
    assert!(summary.network.messages_lost > 150);
}

#[test]
fn partitions_drop_one_way_or_both_ways() {
    let requests_lost = "  - {kind: partition, from: [near], to: [far], direction: one-way, at: +10s, duration: 10s}\n";
    let replies_lost = "  - {kind: partition, from: [far], to: [near], direction: one-way, at: +10s, duration: 10s}\n";
    let (a, a_summary) = run("part-a", requests_lost);
    let (b, b_summary) = run("part-b", replies_lost);
    for result in [&a, &b] {
        assert_eq!(succeeded(&windows(result, 10.5, 19.0)), 0);
        assert!(succeeded(&windows(result, 21.0, 59.0)) > 3500, "the partition heals");
    }
    // Requests never arrive in the first case; in the second the server works for nothing.
    let served = |s: &summary::Summary| s.servers["far"].served;
    assert!(served(&b_summary) > served(&a_summary) + 900, "{} vs {}", served(&b_summary), served(&a_summary));
}

#[test]
fn a_partial_partition_affects_its_share_of_flows() {
    let (_, summary) = run("part-share", "  - {kind: partition, from: [near], to: [far], share: 0.3, at: +0s}\n");
    let availability = summary.availability.unwrap();
    assert!((availability - 0.7).abs() < 0.03, "availability {availability} with 30 % of flows cut");
}

#[test]
fn a_gray_link_loses_and_delays_messages() {
    let gray = "  - {kind: gray-link, links: [near-mid], loss: 0.1, added_latency: 3ms, at: +0s}\n";
    let (_, summary) = run("gray", gray);
    // Each request crosses the link twice: 0.9² = 0.81 get through.
    let availability = summary.availability.unwrap();
    assert!((availability - 0.81).abs() < 0.03, "availability {availability}");
    assert!((summary.latency_ms.p50.unwrap() - 11.0).abs() < 0.1, "5 ms + 3 ms added each way");
}

#[test]
fn flapping_routes_give_bimodal_latency() {
    let (result, _) = run("flap", "  - {kind: flap, links: [mid-far], period: 5s, at: +10s, duration: 40s}\n");
    let rows = windows(&result, 10.0, 50.0);
    let short = rows.iter().filter(|r| r.p50_ms.is_some_and(|p| (p - 5.0).abs() < 0.2)).count();
    let long = rows.iter().filter(|r| r.p50_ms.is_some_and(|p| (p - 11.0).abs() < 0.2)).count();
    assert!(short >= 15 && long >= 15, "windows on the short path {short}, on the detour {long}");
}

#[test]
fn a_region_outage_loses_work_until_power_returns() {
    let (result, summary) = run("outage", "  - {kind: region-outage, regions: [far], at: +20s, duration: 10s}\n");
    assert_eq!(succeeded(&windows(&result, 20.1, 30.0)), 0);
    assert!(timeouts(&windows(&result, 20.0, 31.0)) > 900);
    assert!(succeeded(&windows(&result, 31.0, 59.0)) > 2500);
    assert!(summary.servers["far"].lost > 900, "requests arriving during the outage are lost");
}

#[test]
fn slow_servers_stretch_the_tail() {
    // Half the workers serve 20× slower (20 ms): the median stays, the p90 moves to ~24 ms.
    let (_, summary) = run("slow", "  - {kind: slow-servers, regions: [far], share: 0.5, multiplier: 20, at: +0s}\n");
    let p90 = summary.latency_ms.p90.unwrap();
    assert!((p90 - 24.0).abs() < 0.5, "p90 {p90}");
}

#[test]
fn servers_that_serve_badly_answer_with_errors() {
    let (_, summary) = run("errors", "  - {kind: error-servers, regions: [far], rate: 0.25, at: +0s}\n");
    let share = summary.requests.failed.error as f64 / summary.requests.attempted as f64;
    assert!((share - 0.25).abs() < 0.02, "error share {share}");
    assert_eq!(summary.requests.failed.timeout, 0);
    // The server's own figures describe the requests it served: 1 ms each, no waiting, however
    // many of the others ended in an error.
    let server = &summary.servers["far"];
    assert!((server.littles_law.mean_sojourn_ms.unwrap() - 1.0).abs() < 1e-3, "{:?}", server.littles_law.mean_sojourn_ms);
    assert_eq!(server.wait_ms.mean, Some(0.0));
    assert_eq!(server.errors, summary.requests.failed.error);
}

#[test]
fn a_crash_resets_what_is_in_flight_and_refuses_until_the_restart() {
    let (result, summary) = run("crash", "  - {kind: crash, regions: [far], at: +20s, duration: 10s}\n");
    assert!(succeeded(&windows(&result, 22.0, 29.0)) == 0, "refused while crashed");
    assert!(succeeded(&windows(&result, 31.0, 60.0)) > 2_500, "serving again after the restart");
    // Refused at once, not timed out: about 10 s × 100/s errors, counted once each.
    let errors = summary.requests.failed.error;
    assert!((900..1_100).contains(&errors), "errors {errors}");
    assert_eq!(summary.servers["far"].errors, errors);
    assert_eq!(summary.requests.failed.timeout, 0);
}

#[test]
fn zero_intervals_and_instants_out_of_range_are_located_errors() {
    let scenario = "name: bad
topology: topology.yaml
duration: 60s
services:
  - region: far
    workers: 10
    queue_capacity: 10
    service_time: {dist: constant, value: 1ms}
    autoscaling: {target_utilisation: 0.5, interval: 0s, min_workers: 1, max_workers: 20}
    modes:
      interval: 0s
      degraded: {enter: {p99_ms: 100}, exit: {p99_ms: 50}, refuse: 0.5}
clients:
  - {name: users, region: near, rate_rps: 10, timeout: 1s}
faults:
  - {kind: cut, links: [detour], at: 9999-01-01T00:00:00Z}
  - {kind: cut, links: [detour], at: 99999-01-01T00:00:00Z}
";
    let error = load_error("intervals", TRIANGLE, scenario);
    for expected in [
        "`services[0].autoscaling.interval`: must be longer than zero",
        "`services[0].modes.interval`: must be longer than zero",
        "too far from the run's start",
        "year 99999 is out of range",
    ] {
        assert!(error.contains(expected), "missing `{expected}` in:\n{error}");
    }
}

#[test]
fn events_csv_quotes_free_text() {
    let faults = "  - {kind: cut, name: \"detour, then \\\"mid\\\"\", links: [detour], at: +10s, duration: 5s}\n";
    let (result, _) = run("csv", faults);
    let csv = planetsim::report::timeline::render_events(&result);
    let line = csv.lines().find(|l| l.contains("fault-start")).expect("the fault starts");
    assert_eq!(line, "10,fault-start,\"detour, then \"\"mid\"\"\",cut");
}

#[test]
fn capacity_loss_shows_only_while_it_lasts() {
    let scenario = "name: chaos
topology: topology.yaml
seed: 4
duration: 60s
services:
  - {region: far, workers: 10, queue_capacity: 20, service_time: {dist: constant, value: 50ms}}
clients:
  - {name: users, region: near, rate_rps: 140, timeout: 1s}
faults:
  - {kind: capacity-loss, regions: [far], share: 0.5, at: +20s, duration: 20s}
";
    // 10 workers × 20/s = 200/s of capacity for 140/s (ρ = 0.7: with 20 places to wait, an
    // M/D/10 queue practically never overflows); half of them can serve only 100/s.
    let plan = plan("chaos", TRIANGLE, scenario);
    let result = sim::run(&plan);
    let rejected = |from, to| windows(&result, from, to).iter().map(|r| r.counters.rejected).sum::<u64>();
    assert_eq!(rejected(0.0, 20.0), 0);
    assert!(rejected(21.0, 40.0) > 500, "about 40/s over capacity: {}", rejected(21.0, 40.0));
    assert_eq!(rejected(41.0, 60.0), 0);
}

#[test]
fn bad_fault_definitions_are_located_errors() {
    let bad = scenario_with(
        "  - {kind: cut, links: [mid-fra], at: +10s}
  - {kind: partition, from: [], to: [far], at: +10s}
  - {kind: region-outage, regions: [mid], at: +20s, until: +10s}
  - {kind: cut, links: [detour], at: +10s, share: 0.5}
  - {kind: slow-servers, regions: [far], share: 0.5, at: +10s}
",
    );
    let error = load_error("faults-bad", TRIANGLE, &bad);
    for expected in [
        "no link or group is called `mid-fra`",
        "did you mean `mid-far`?",
        "a partition of an empty set of regions",
        "the fault would end before it starts",
        "region `mid` has no service",
        "`share` does not apply to a `cut` fault",
        "a `slow-servers` fault needs `multiplier`",
    ] {
        assert!(error.contains(expected), "missing `{expected}` in:\n{error}");
    }
    assert!(error.contains("scenario.yaml:12:"), "located: {error}");
}

#[test]
fn a_cut_moves_load_onto_a_smaller_link_where_it_queues_and_drops() {
    // The detour carries 150 messages/s each way for this service; the cut sends 200 requests/s
    // over it. Its queue fills to the 100 ms buffer, then a quarter of the requests are dropped.
    let faults = "  - {kind: cut, links: [mid-far], at: +20s}\n";
    let yaml = scenario_with(faults)
        .replace(
            "network: {convergence_delay: 2s}",
            "network: {convergence_delay: 2s, capacities: [{links: [backup], per_second: 150, buffer: 100ms}]}",
        )
        .replace("rate_rps: 100", "rate_rps: 200");
    let plan = plan("capacity", TRIANGLE, &yaml);
    let result = sim::run(&plan);
    let summary = summary::build(&plan, &result);
    let before = windows(&result, 2.0, 19.0);
    assert_eq!(before.iter().map(|r| r.counters.failed()).sum::<u64>(), 0);
    let during = windows(&result, 30.0, 59.0);
    let (ok, ended) =
        during.iter().fold((0, 0), |(ok, all), r| (ok + r.counters.succeeded, all + r.counters.succeeded + r.counters.failed()));
    let availability = ok as f64 / ended as f64;
    assert!((availability - 0.75).abs() < 0.03, "availability on the saturated detour {availability}");
    // 11 ms over the detour, plus up to 100 ms waiting for it.
    let p50 = median_p50(&during);
    assert!((95.0..115.0).contains(&p50), "p50 {p50}");
    let load = &summary.network.links["detour"];
    assert!(load.dropped_forward > 1000, "requests dropped at the detour: {}", load.dropped_forward);
    assert_eq!(load.dropped_backward, 0, "the answers that get through fit");
    let carried_rate = load.carried_forward as f64 / 38.0;
    assert!((145.0..152.0).contains(&carried_rate), "carried {carried_rate}/s");
}
