//! Dependencies between services: calls in sequence and in parallel against the network's
//! arithmetic, a global singleton, fail open vs fail closed, deadline propagation, retry
//! amplification per layer, and the cascade a slow dependency causes.

use crate::support::{availability_between, plan};
use planetsim::report::summary::{self, Summary};
use planetsim::sim::{self, RunResult};
use planetsim::world::{Network, RegionId, RttMatrix};

/// `home` hosts the front service; `east` and `west` host its dependencies, 10 ms and 30 ms
/// round trips away by their own cables (no intra-region delay, so each hop is exactly its
/// cable).
const SPOKES: &str = "
name: triangle
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: home, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: east, lat: 0, lon: 1, utc_offset_h: 0}
  - {id: west, lat: 0, lon: -1, utc_offset_h: 0}
links:
  - {name: to-east, kind: cable, between: [home, east], latency_ms: 5}
  - {name: to-west, kind: cable, between: [home, west], latency_ms: 15}
";

fn scenario(services: &str, clients: &str, extra: &str) -> String {
    format!(
        "name: deps
topology: topology.yaml
seed: 21
duration: 2m
timeline_window: 5s
services:
{services}
clients:
{clients}
{extra}"
    )
}

const CLIENTS: &str = "  - {name: users, service: api, region: home, rate_rps: 100, timeout: 2s}\n";

fn run(label: &str, services: &str, clients: &str, extra: &str) -> (RunResult, Summary) {
    crate::support::run(label, SPOKES, &scenario(services, clients, extra))
}

fn rtt_ms(from: u32, to: u32) -> f64 {
    let plan = plan("rtt", SPOKES, &scenario(&two_calls("sequence"), CLIENTS, ""));
    let network = Network::new(&plan.topology);
    RttMatrix::of(&network, plan.topology.intra_region_rtt).rtt(RegionId(from), RegionId(to)).unwrap().as_secs_f64() * 1e3
}

/// `api` (10 ms) calls `east-svc` (4 ms, 10 ms away) and `west-svc` (6 ms, 30 ms away).
fn two_calls(mode: &str) -> String {
    format!(
        "  - name: api
    region: home
    workers: 50
    queue_capacity: 100
    service_time: {{dist: constant, value: 10ms}}
    call_mode: {mode}
    calls:
      - {{service: east-svc, timeout: 1s}}
      - {{service: west-svc, timeout: 1s}}
  - {{name: east-svc, region: east, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 4ms}}}}
  - {{name: west-svc, region: west, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 6ms}}}}
"
    )
}

#[test]
fn sequential_calls_add_up_and_parallel_calls_take_the_slowest() {
    let (east, west) = (rtt_ms(0, 1), rtt_ms(0, 2));
    assert!((east - 10.0).abs() < 1e-6 && (west - 30.0).abs() < 1e-6, "the cables set the RTTs: {east} {west}");
    let (_, sequence) = run("sequence", &two_calls("sequence"), CLIENTS, "");
    let (_, parallel) = run("parallel", &two_calls("parallel"), CLIENTS, "");
    // Light load and constant service times: no queueing, so latency is pure arithmetic.
    let expected_sequence = 10.0 + (east + 4.0) + (west + 6.0);
    let expected_parallel = 10.0 + (east + 4.0).max(west + 6.0);
    for (summary, expected) in [(&sequence, expected_sequence), (&parallel, expected_parallel)] {
        let latency = &summary.latency_ms;
        assert_eq!(summary.availability, Some(1.0));
        assert!((latency.p50.unwrap() - expected).abs() < 0.1, "p50 {:?}, expected {expected}", latency.p50);
        assert!((latency.max.unwrap() - expected).abs() < 0.1, "max {:?}, expected {expected}", latency.max);
    }
    let calls = &sequence.dependencies;
    assert_eq!((calls[0].from.as_str(), calls[0].to.as_str(), calls[1].to.as_str()), ("api", "east-svc", "west-svc"));
    assert!((calls[1].latency_ms.p50.unwrap() - (west + 6.0)).abs() < 0.5, "a call's latency is its RTT plus service");
    for service in ["api", "east-svc", "west-svc"] {
        // Requests issued at the very end of the window reach the later layers after it.
        let per_request = sequence.services[service].per_client_request.unwrap();
        assert!((per_request - 1.0).abs() < 0.002, "{service}: one request per client request, not {per_request}");
    }
}

#[test]
fn a_global_singleton_is_called_from_every_region_across_the_backbone() {
    let services = "  - {name: api, regions: [home, east], workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 2ms},
     calls: [{service: limiter, timeout: 1s}]}
  - {name: limiter, region: west, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
";
    let clients = "  - {name: users, service: api, regions: [home, east], rate_rps: 50, timeout: 2s}\n";
    let (_, summary) = run("singleton", services, clients, "");
    let (home_west, east_west) = (rtt_ms(0, 2), rtt_ms(1, 2));
    assert!(east_west > home_west, "east reaches west through home");
    let by_region = &summary.dependencies[0].by_region;
    assert!((by_region["home"].p50_ms.unwrap() - (home_west + 1.0)).abs() < 0.1);
    assert!((by_region["east"].p50_ms.unwrap() - (east_west + 1.0)).abs() < 0.1);
    assert!((summary.regions["east"].latency_ms.p50.unwrap() - (2.0 + east_west + 1.0)).abs() < 0.1);
    assert_eq!(summary.services["limiter"].regions, vec!["west".to_string()]);
}

/// `api` calls `profile`, which is down from +30 s to +90 s.
fn outage_services(on_failure: &str) -> String {
    format!(
        "  - {{name: api, region: home, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}},
     calls: [{{service: profile, timeout: 100ms, on_failure: {on_failure}}}]}}
  - {{name: profile, region: east, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}}}}
"
    )
}

const PROFILE_OUTAGE: &str = "faults:\n  - {kind: region-outage, regions: [east], at: +30s, duration: 60s}\n";

#[test]
fn a_dependency_that_fails_open_keeps_the_service_up_and_one_that_fails_closed_takes_it_down() {
    let (closed_run, closed) = run("closed", &outage_services("fail-closed"), CLIENTS, PROFILE_OUTAGE);
    let (open_run, open) = run("open", &outage_services("fail-open"), CLIENTS, PROFILE_OUTAGE);
    assert!(availability_between(&closed_run, 35.0, 85.0) < 0.01, "fail closed: the outage is the service's outage");
    assert_eq!(availability_between(&open_run, 35.0, 85.0), 1.0, "fail open: answered without the profile");
    assert_eq!(availability_between(&closed_run, 95.0, 115.0), 1.0, "recovered after the outage");
    let (closed_calls, open_calls) = (&closed.dependencies[0], &open.dependencies[0]);
    assert_eq!(closed_calls.failed_open, 0);
    assert!(open_calls.failed_open > 5_000, "about 60 s × 100/s calls failed open: {}", open_calls.failed_open);
    assert_eq!(open_calls.failed_open, open_calls.calls.failed.timeout, "every failed call timed out and was ignored");
    let api = &closed.servers["api@home"];
    assert_eq!(api.dependency_failed, closed_calls.calls.failed.total, "each failed call failed its request");
    // Failing open costs the call's timeout: the requests waited 100 ms for the dead profile.
    assert!(open.latency_ms.p99.unwrap() >= 100.0);
}

/// `api` calls `slow-db` with a 5 s call timeout; clients give up after 300 ms. The database
/// black-holes requests (an outage) for a minute.
fn deadline_services(propagate: bool) -> String {
    format!(
        "  - {{name: api, region: home, workers: 40, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}},
     propagate_deadlines: {propagate}, calls: [{{service: slow-db, timeout: 5s}}]}}
  - {{name: slow-db, region: east, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}}}}
"
    )
}

#[test]
fn propagated_deadlines_free_workers_that_would_wait_for_nobody() {
    let clients = "  - {name: users, service: api, region: home, rate_rps: 100, timeout: 300ms}\n";
    let outage = "faults:\n  - {kind: region-outage, regions: [east], at: +30s, duration: 60s}\n";
    let (ignored_run, ignored) = run("deadline-ignored", &deadline_services(false), clients, outage);
    let (propagated_run, propagated) = run("deadline-propagated", &deadline_services(true), clients, outage);
    let (api_ignored, api_propagated) = (&ignored.servers["api@home"], &propagated.servers["api@home"]);
    // Without propagation each request holds a worker for the call's 5 s: 40 workers take 8
    // requests per second, the queue fills and the rest are rejected, long after the outage.
    assert!(api_ignored.rejected > 3_000, "rejected {}", api_ignored.rejected);
    assert_eq!(api_propagated.rejected, 0, "a worker is freed at the client's deadline");
    // Blocked workers count as busy: the whole pool for the outage's minute of two, against
    // 100/s × 0.3 s = 30 of 40 workers.
    assert!(
        api_ignored.utilisation > 0.5 && api_propagated.utilisation < 0.4,
        "{} vs {}",
        api_ignored.utilisation,
        api_propagated.utilisation
    );
    // Every call during the outage times out at the client's deadline, not after 5 s.
    let calls = &propagated.dependencies[0];
    assert!(calls.calls.failed.timeout > 5_000 && calls.latency_ms.max.unwrap() < 300.0);
    // Outside the outage both are healthy.
    for result in [&ignored_run, &propagated_run] {
        assert_eq!(availability_between(result, 5.0, 25.0), 1.0);
        assert_eq!(availability_between(result, 100.0, 115.0), 1.0);
    }
}

#[test]
fn expired_work_is_dropped_from_the_queue_instead_of_served() {
    // One worker, 20 ms per request at 60 requests/s: overloaded. Clients wait 100 ms.
    let services = |propagate: bool| {
        format!(
            "  - {{name: api, region: home, workers: 1, queue_capacity: 1000, propagate_deadlines: {propagate},
     service_time: {{dist: constant, value: 20ms}}}}\n"
        )
    };
    let clients = "  - {name: users, service: api, region: home, rate_rps: 60, timeout: 100ms}\n";
    let (_, ignored) = run("expired-ignored", &services(false), clients, "");
    let (_, propagated) = run("expired-propagated", &services(true), clients, "");
    let (wasted, saved) = (&ignored.servers["home"], &propagated.servers["home"]);
    assert_eq!(wasted.expired, 0);
    assert!(saved.expired > 1_000, "expired {}", saved.expired);
    // Serving only requests someone still waits for turns the same capacity into successes.
    assert!(
        propagated.requests.succeeded > 3 * ignored.requests.succeeded,
        "{} vs {}",
        propagated.requests.succeeded,
        ignored.requests.succeeded
    );
}

#[test]
fn retries_at_two_layers_multiply() {
    // The database always errors; clients retry errors twice, and so does the api's call.
    let services = "  - {name: api, region: home, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 1ms},
     calls: [{service: db, timeout: 1s, retries: {max: 2, on: [error], backoff: immediate}}]}
  - {name: db, region: east, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
";
    let clients = "  - {name: users, service: api, region: home, rate_rps: 50, timeout: 2s,
     retries: {max: 2, on: [error], backoff: immediate}}\n";
    let faults = "faults:\n  - {kind: error-servers, regions: [east], rate: 1.0, at: +0s}\n";
    let (_, summary) = run("amplification", services, clients, faults);
    assert_eq!(summary.availability, Some(0.0));
    assert_eq!(summary.requests.amplification, Some(3.0), "1 + 2 client retries");
    assert_eq!(summary.dependencies[0].calls.amplification, Some(3.0), "1 + 2 call retries");
    // Up to the requests issued at the very end of the window, whose attempts land after it.
    let layer = |service: &str| summary.services[service].per_client_request.unwrap();
    assert!((layer("api") - 3.0).abs() < 0.01, "api {}", layer("api"));
    assert!((layer("db") - 9.0).abs() < 0.03, "3 × 3 at the second layer, not {}", layer("db"));
}

#[test]
fn a_slow_dependency_exhausts_its_callers_pool_and_a_short_call_timeout_contains_it() {
    // `api` has 20 workers for 100 requests/s of 2 ms each (1 % busy). Its dependency slows
    // to 1 s per call: with a 2 s call timeout, every request holds a worker for a second and
    // the pool is exhausted; with a 50 ms timeout failing open, workers are released.
    let services = |timeout: &str, on_failure: &str| {
        format!(
            "  - {{name: api, region: home, workers: 20, queue_capacity: 50, service_time: {{dist: constant, value: 2ms}},
     calls: [{{service: reco, timeout: {timeout}, on_failure: {on_failure}}}]}}
  - {{name: reco, region: east, workers: 200, queue_capacity: 100, service_time: {{dist: constant, value: 5ms}}}}
"
        )
    };
    let slow = "faults:\n  - {kind: slow-servers, regions: [east], share: 1, multiplier: 200, at: +30s, duration: 30s}\n";
    let (cascade_run, cascade) = run("cascade", &services("2s", "fail-closed"), CLIENTS, slow);
    let (contained_run, contained) = run("contained", &services("50ms", "fail-open"), CLIENTS, slow);
    assert!(availability_between(&cascade_run, 35.0, 60.0) < 0.3, "the api's pool is exhausted");
    assert!(cascade.servers["api@home"].rejected > 1_000);
    assert_eq!(availability_between(&contained_run, 35.0, 60.0), 1.0, "the api answers without recommendations");
    assert!(contained.dependencies[0].failed_open > 2_000);
    assert!(contained.servers["api@home"].utilisation < cascade.servers["api@home"].utilisation / 2.0, "workers were released");
}

fn load_error(label: &str, services: &str, clients: &str) -> String {
    crate::support::load_error(label, SPOKES, &scenario(services, clients, ""))
}

#[test]
fn misnamed_services_and_cycles_are_refused_with_their_location() {
    let typo = "  - {name: api, region: home, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms},
     calls: [{service: dbb, timeout: 1s}]}
  - {name: db, region: east, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}
";
    let error = load_error("typo", typo, CLIENTS);
    assert!(error.contains("scenario.yaml:8:24:") && error.contains("`services[0].calls[0].service`"), "{error}");
    assert!(error.contains("unknown service `dbb`") && error.contains("did you mean `db`?"), "{error}");
    let cycle = "  - {name: api, region: home, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms},
     calls: [{service: db, timeout: 1s}]}
  - {name: db, region: east, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms},
     calls: [{service: api, timeout: 1s}]}
";
    let error = load_error("cycle", cycle, CLIENTS);
    assert!(error.contains("the calls form a cycle: api -> db -> api"), "{error}");
    let two = "  - {name: api, region: home, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}
  - {name: db, region: east, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}
";
    let error = load_error("unnamed", two, "  - {name: users, region: home, rate_rps: 1, timeout: 1s}\n");
    assert!(error.contains("`clients[0].service`") && error.contains("one of: api, db"), "{error}");
    let twice = "  - {name: api, regions: [home, home], workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}\n";
    assert!(load_error("twice", twice, CLIENTS).contains("service `api` is defined twice in region `home`"));
}

/// A layered call graph: 40 layers of 2 services, each calling both services of the next layer,
/// so 2^40 paths run through it. Validation visits each service once, so it ends, and a cycle
/// closed at the bottom is still found and named from where it starts.
#[test]
fn a_call_graph_with_many_paths_validates_and_its_cycles_are_found() {
    let layers = 40;
    let services = |last_calls: &str| {
        let mut services = String::new();
        for layer in 0..layers {
            let next = layer + 1;
            let calls = match next < layers {
                true => format!(", calls: [{{service: s{next}x0, timeout: 1s}}, {{service: s{next}x1, timeout: 1s}}]"),
                false => last_calls.to_string(),
            };
            for side in 0..2 {
                services.push_str(&format!(
                    "  - {{name: s{layer}x{side}, region: home, workers: 1, queue_capacity: 1, service_time: {{dist: constant, value: 1ms}}{calls}}}\n"
                ));
            }
        }
        services
    };
    let users = "  - {name: users, service: s0x0, region: home, rate_rps: 1, timeout: 1s}\n";
    let plan = plan("layers", SPOKES, &scenario(&services(""), users, ""));
    assert_eq!(plan.service_specs.len(), 2 * layers);
    let error = load_error("layers-cycle", &services(", calls: [{service: s38x0, timeout: 1s}]"), users);
    assert!(error.contains("the calls form a cycle: s38x0 -> s39x0 -> s38x0"), "{error}");
}

#[test]
fn the_bundled_cascade_scenario_shows_what_containment_buys() {
    let [naive, hardened] = ["naive", "hardened"].map(|name| {
        let plan = crate::support::bundled_plan("scenarios/dependency-cascade.yaml", Some(name));
        let result = sim::run(&plan);
        let summary = summary::build(&plan, &result);
        (availability_between(&result, 130.0, 240.0), availability_between(&result, 260.0, 360.0), summary)
    });
    // While the limiter is slow: every region fails with the naive policy, none with the hardened.
    assert!(naive.0 < 0.6, "naive during the slowdown: {}", naive.0);
    assert!(hardened.0 > 0.99, "hardened during the slowdown: {}", hardened.0);
    assert!(naive.1 > 0.99 && hardened.1 > 0.99, "both recover: {} {}", naive.1, hardened.1);
    assert!(naive.2.regions["singapore"].availability.unwrap() < 0.9, "the cascade reaches Singapore");
    assert!(hardened.2.dependencies[0].failed_open > 10_000);
    // The naive clients' immediate retries reach every layer; the budgeted ones barely do.
    let api_load = |s: &Summary| s.services["api"].per_client_request.unwrap();
    assert!(api_load(&naive.2) > 1.3 && api_load(&hardened.2) < 1.05, "{} {}", api_load(&naive.2), api_load(&hardened.2));
}

/// `api` calls `flaky` (fail open, behind a breaker) and then `store`. `flaky` is down from +30 s
/// to +60 s.
const BREAKER_CALLS: &str = "  - name: api
    region: home
    workers: 20
    queue_capacity: 100
    service_time: {dist: constant, value: 2ms}
    calls:
      - service: flaky
        timeout: 100ms
        on_failure: fail-open
        breaker: {window: 5s, min_requests: 20, error_rate: 0.5, open_for: 2s, probes: 3}
      - {service: store, timeout: 1s}
  - {name: flaky, region: east, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 2ms}}
  - {name: store, region: west, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 2ms}}
";

#[test]
fn a_breaker_on_a_call_opens_fails_open_at_once_and_closes_after_the_outage() {
    let outage = "faults:\n  - {kind: region-outage, regions: [east], at: +30s, duration: 30s}\n";
    let plan = plan("call-breaker", SPOKES, &scenario(BREAKER_CALLS, CLIENTS, outage));
    let result = sim::run(&plan);
    let summary = summary::build(&plan, &result);
    // Failing open, the api stays up throughout; once the breaker is open, a refused call goes
    // straight on to the next one instead of waiting out its timeout.
    assert_eq!(availability_between(&result, 0.0, 120.0), 1.0);
    let flaky = &summary.dependencies[0];
    assert!(flaky.by_region["home"].breaker_opened.unwrap() >= 1);
    assert!(flaky.calls.failed.breaker_open > 2_000, "refused while open: {}", flaky.calls.failed.breaker_open);
    assert_eq!(flaky.failed_open, flaky.calls.failed.total);
    // After the outage the breaker closes again, and the calls succeed.
    let breaker_events: Vec<_> = result.planet.recorder.events.iter().filter(|e| e.event == "breaker").collect();
    assert_eq!(breaker_events.last().map(|e| (e.subject.as_str(), e.detail.as_str())), Some(("api->flaky@home", "closed")));
    assert!(breaker_events.last().unwrap().time.as_secs_f64() < 70.0);
    let states = planetsim::report::timeline::render_states(&plan, &result);
    assert!(states.contains(",api->flaky@home,breaker,open") && states.contains(",api->flaky@home,breaker,closed"));
    assert_eq!(summary.dependencies[1].availability, Some(1.0), "the second call is made every time");
}

#[test]
fn hedged_calls_cut_the_tail_of_a_dependency_with_slow_workers() {
    let services = |hedge: &str| {
        format!(
            "  - {{name: api, region: home, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 1ms}},
     calls: [{{service: store, timeout: 1s{hedge}}}]}}
  - {{name: store, region: east, workers: 50, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}}}}
"
        )
    };
    let slow = "faults:\n  - {kind: slow-servers, regions: [east], share: 0.1, multiplier: 50, at: +0s}\n";
    let (_, plain) = run("calls-plain", &services(""), CLIENTS, slow);
    let (_, hedged) = run("calls-hedged", &services(", hedge: {after: 20ms}"), CLIENTS, slow);
    let (plain_calls, hedged_calls) = (&plain.dependencies[0], &hedged.dependencies[0]);
    // A tenth of the calls take 100 ms on a slow worker; a hedge after 20 ms usually finds a fast one.
    assert!(plain_calls.latency_ms.p99.unwrap() > 100.0, "{:?}", plain_calls.latency_ms.p99);
    assert!(hedged_calls.latency_ms.p99.unwrap() < 40.0, "{:?}", hedged_calls.latency_ms.p99);
    let extra = hedged_calls.calls.hedges as f64 / hedged_calls.calls.attempted as f64;
    assert!((0.07..0.14).contains(&extra), "hedges per call {extra}");
    assert_eq!(plain_calls.calls.hedges, 0);
}

#[test]
fn a_server_fault_can_name_the_services_it_hits() {
    let services = "  - {name: api, region: home, workers: 20, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
  - {name: batch, region: home, workers: 20, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
";
    let clients = "  - {name: users, service: api, region: east, rate_rps: 50, timeout: 1s}
  - {name: jobs, service: batch, region: west, rate_rps: 50, timeout: 1s}
";
    let outage = |only: &str| format!("faults:\n  - {{kind: region-outage, regions: [home], {only}at: +30s, duration: 30s}}\n");
    let (_, targeted) = run("fault-services", services, clients, &outage("services: [batch], "));
    assert_eq!(targeted.regions["east"].availability, Some(1.0), "api is not hit");
    assert!(targeted.regions["west"].availability.unwrap() < 0.8, "batch is down for a quarter of the run");
    assert_eq!(targeted.servers["api@home"].lost, 0);
    let (_, whole) = run("fault-region", services, clients, &outage(""));
    assert!(whole.regions["east"].availability.unwrap() < 0.8, "without `services`, every service in the region");
    let typo = scenario(services, clients, &outage("services: [bacth], "));
    let error = crate::support::load_error("fault-typo", SPOKES, &typo);
    assert!(error.contains("`faults[0].services[0]`") && error.contains("did you mean `batch`?"), "{error}");
}
