//! The model against closed forms: M/M/1 and M/M/c (Erlang C) waiting times, Little's law, and
//! the latency of a single cable against its length over the speed of light in fiber.

use crate::support::{SOLO_TOPOLOGY, plan};
use planetsim::report::summary;
use planetsim::sim;

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a = λ/μ.
fn erlang_c(servers: u32, offered: f64) -> f64 {
    let c = f64::from(servers);
    let mut term = 1.0; // a^k / k!
    let mut sum = 1.0;
    for k in 1..servers {
        term *= offered / f64::from(k);
        sum += term;
    }
    let last = term * offered / c; // a^c / c!
    let tail = last * c / (c - offered);
    tail / (sum + tail)
}

fn queue_scenario(workers: u32, rate_rps: f64, mean_service_ms: f64, minutes: u32) -> String {
    format!(
        "name: mmc
topology: topology.yaml
seed: 11
duration: {minutes}m
warmup: 30s
services:
  - {{region: here, workers: {workers}, queue_capacity: 1000000, service_time: {{dist: exponential, mean: {mean_service_ms}ms}}}}
clients:
  - {{name: load, region: here, rate_rps: {rate_rps}, timeout: 1h}}
"
    )
}

/// Runs an M/M/c scenario and returns its summary.
fn run_queue(workers: u32, rate_rps: f64, mean_service_ms: f64, minutes: u32) -> summary::Summary {
    let plan = plan("mmc", SOLO_TOPOLOGY, &queue_scenario(workers, rate_rps, mean_service_ms, minutes));
    let result = sim::run(&plan);
    summary::build(&plan, &result)
}

#[test]
fn mm1_mean_wait_matches_theory() {
    // λ = 70/s, μ = 100/s, ρ = 0.7: Wq = ρ / (μ − λ) = 23.33 ms. About 500,000 customers; the
    // standard error of the mean wait at ρ = 0.7 over that many is about 1 %, so 5 % is a real
    // test (a wrong service rate or a lost queue entry moves it by far more).
    let result = run_queue(1, 70.0, 10.0, 120);
    let server = &result.servers["here"];
    let expected_ms = 0.7 / (100.0 - 70.0) * 1e3;
    let measured_ms = server.wait_ms.mean.unwrap();
    assert!((measured_ms - expected_ms).abs() / expected_ms < 0.05, "M/M/1 mean wait {measured_ms} ms, theory {expected_ms} ms");
    let utilisation = server.utilisation;
    assert!((utilisation - 0.7).abs() < 0.01, "utilisation {utilisation}");
}

#[test]
fn mmc_wait_matches_erlang_c() {
    // c = 8 workers, mean service 40 ms (μ = 25/s each), λ = 160/s: a = 6.4, ρ = 0.8.
    let (c, mu, lambda) = (8u32, 25.0, 160.0);
    let waits = erlang_c(c, lambda / mu);
    let drain_rate = f64::from(c) * mu - lambda;
    let mean_wait_ms = waits / drain_rate * 1e3;
    // P(W > t) = C·e^{−(cμ−λ)t}, so the 90th percentile of the wait is ln(C/0.1)/(cμ−λ).
    let p90_wait_ms = (waits / 0.1).ln() / drain_rate * 1e3;
    let result = run_queue(c, lambda, 40.0, 60);
    let server = &result.servers["here"];
    let measured_mean = server.wait_ms.mean.unwrap();
    let measured_p90 = server.wait_ms.p90.unwrap();
    assert!(
        (measured_mean - mean_wait_ms).abs() / mean_wait_ms < 0.05,
        "mean wait {measured_mean} ms, Erlang C {mean_wait_ms} ms (C = {waits})"
    );
    assert!((measured_p90 - p90_wait_ms).abs() / p90_wait_ms < 0.05, "p90 wait {measured_p90} ms, Erlang C {p90_wait_ms} ms");
    // The client sees wait + service (the network adds nothing here): mean = Wq + 1/μ.
    let client_mean = result.latency_ms.mean.unwrap();
    let expected_client = mean_wait_ms + 1e3 / mu;
    assert!((client_mean - expected_client).abs() / expected_client < 0.03, "client mean {client_mean} ms, theory {expected_client} ms");
}

#[test]
fn erlang_c_helper_matches_a_published_value() {
    // Textbook check: c = 2, a = 1 gives C = 1/3.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn littles_law_holds_on_a_run() {
    let result = run_queue(4, 300.0, 12.0, 10);
    let law = &result.servers["here"].littles_law;
    let lambda_w = law.lambda_times_w.unwrap();
    assert!(law.mean_in_system > 1.0, "the queue was exercised: L = {}", law.mean_in_system);
    assert!((law.mean_in_system - lambda_w).abs() / lambda_w < 0.01, "L = {}, λW = {lambda_w}", law.mean_in_system);
}

#[test]
fn a_single_cable_takes_its_length_over_the_speed_of_light_both_ways() {
    // Two regions 90° of longitude apart on the equator, joined by one cable with no route
    // factor and no overhead: one way = (π/2 · R) / 204,000 km/s.
    let topology = "
name: cable
defaults: {route_factor: 1.0, hop_overhead_ms: 0, intra_region_rtt_ms: 0}
regions:
  - {id: west, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: east, lat: 0, lon: 90, utc_offset_h: 6}
links:
  - {name: equator-cable, kind: cable, between: [west, east]}
";
    let scenario = "
name: cable
topology: topology.yaml
duration: 20s
services:
  - {region: east, workers: 1000, queue_capacity: 0, service_time: {dist: constant, value: 0ms}}
  - {region: west, workers: 1000, queue_capacity: 0, service_time: {dist: constant, value: 0ms}}
routing:
  policy: weighted
  weights:
    - {from: west, to: [{region: east, weight: 1}]}
    - {from: east, to: [{region: west, weight: 1}]}
clients:
  - {name: probes, regions: [west, east], rate_rps: 50, timeout: 1s}
";
    let plan = plan("cable", topology, scenario);
    let one_way_ms = planetsim::world::geo::EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2 / 204_000.0 * 1e3;
    let result = summary::build(&plan, &sim::run(&plan));
    for region in ["west", "east"] {
        let latency = &result.regions[region].latency_ms;
        for value in [latency.p50.unwrap(), latency.max.unwrap()] {
            assert!((value - 2.0 * one_way_ms).abs() < 0.1, "{region}: RTT {value} ms, expected {} ms", 2.0 * one_way_ms);
        }
    }
}
