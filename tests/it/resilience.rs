//! The client's resilience mechanisms, each measured against what it should achieve: retries
//! recover transient failures at the predicted amplification, a budget caps that amplification,
//! attempt timeouts with retries route around lossy links, a breaker opens and fails fast,
//! hedging cuts the tail for a bounded extra load, and bad policies are located errors.

use crate::support::{availability_between, load_error, plan, temp_dir, write};
use planetsim::report::summary::{self, Summary};
use planetsim::{scenario, sim};

const PAIR: &str = "
name: pair
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: near, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: far, lat: 0, lon: 1, utc_offset_h: 0}
links:
  - {name: wire, kind: cable, between: [near, far], latency_ms: 5}
";

/// 200 requests/s from `near` for 60 s to a roomy service in `far` (constant 2 ms), with the
/// given client policy lines and faults.
fn run(label: &str, policy: &str, faults: &str) -> Summary {
    let yaml = format!(
        "name: {label}
topology: topology.yaml
seed: 8
duration: 60s
services:
  - {{region: far, workers: 100, queue_capacity: 100, service_time: {{dist: constant, value: 2ms}}}}
clients:
  - name: users
    region: near
    rate_rps: 200
    timeout: 2s
{policy}
faults:
{faults}"
    );
    let plan = plan(label, PAIR, &yaml);
    summary::build(&plan, &sim::run(&plan))
}

const ERRORS_30: &str = "  - {kind: error-servers, regions: [far], rate: 0.3, at: +0s}\n";

#[test]
fn retries_recover_transient_errors_at_the_predicted_amplification() {
    let without = run("no-retries", "", ERRORS_30);
    let with = run("retries", "    retries: {max: 3, backoff: immediate}\n", ERRORS_30);
    assert!((without.availability.unwrap() - 0.7).abs() < 0.02);
    // Fails only if all four attempts fail: 0.3⁴ = 0.0081.
    let failure = 1.0 - with.availability.unwrap();
    assert!((failure - 0.0081).abs() < 0.003, "failure rate {failure}");
    // Expected attempts: 1 + 0.3 + 0.09 + 0.027 = 1.417.
    let amplification = with.requests.amplification.unwrap();
    assert!((amplification - 1.417).abs() < 0.02, "amplification {amplification}");
}

#[test]
fn a_retry_budget_caps_amplification() {
    let errors = "  - {kind: error-servers, regions: [far], rate: 0.6, at: +0s}\n";
    let unbounded = run("unbounded", "    retries: {max: 5, backoff: immediate}\n", errors);
    let budgeted = run("budgeted", "    retries: {max: 5, backoff: immediate, budget: 0.1}\n", errors);
    // Unbounded: 1 + 0.6 + … + 0.6⁵ ≈ 2.38 attempts per request; with a 10 % budget, ≈ 1.1.
    assert!(unbounded.requests.amplification.unwrap() > 2.3);
    let capped = budgeted.requests.amplification.unwrap();
    assert!((1.09..1.11).contains(&capped), "budgeted amplification {capped}");
    assert!(budgeted.populations["users@near"].retries_denied_by_budget > 1000);
}

#[test]
fn attempt_timeouts_with_retries_route_around_a_lossy_link() {
    let lossy = "  - {kind: gray-link, links: [wire], loss: 0.2, at: +0s}\n";
    let naive = run("lossy-naive", "", lossy);
    let hardened = run("lossy-retries", "    attempt_timeout: 50ms\n    retries: {max: 4, base: 10ms, jitter: full}\n", lossy);
    // One attempt crosses the link twice: 0.8² = 0.64 succeed.
    assert!((naive.availability.unwrap() - 0.64).abs() < 0.02);
    // Five attempts: 1 − 0.36⁵ ≈ 0.994.
    assert!(hardened.availability.unwrap() > 0.99, "{}", hardened.availability.unwrap());
    assert!(hardened.latency_ms.p99.unwrap() < 300.0, "retries come after 50 ms, not after the 2 s deadline");
}

#[test]
fn a_breaker_opens_on_errors_and_fails_fast() {
    let broken = "  - {kind: error-servers, regions: [far], rate: 0.9, at: +10s, duration: 20s}\n";
    let breaker = "    breaker: {window: 5s, min_requests: 20, error_rate: 0.5, open_for: 2s, probes: 3}\n";
    let without = run("no-breaker", "", broken);
    let with = run("breaker", breaker, broken);
    assert!(with.requests.failed.breaker_open > 2000, "requests refused while open: {}", with.requests.failed.breaker_open);
    let population = &with.populations["users@near"];
    assert!(population.breaker_opened.unwrap() >= 2, "it re-opens after failed probes");
    let open_s = population.breaker_open_s.unwrap();
    assert!((15.0..21.0).contains(&open_s), "open for most of the 20 s fault: {open_s} s");
    // Failing fast spares the broken service most of the load.
    assert!(with.servers["far"].arrivals + 3000 < without.servers["far"].arrivals);
    // After the fault the breaker closes again and requests succeed.
    assert!(with.availability.unwrap() > 0.6);
}

#[test]
fn hedging_cuts_the_tail_for_a_bounded_extra_load() {
    // 5 % of workers are 50× slow (100 ms): about 5 % of requests are slow.
    let slow = "  - {kind: slow-servers, regions: [far], share: 0.05, multiplier: 50, at: +0s}\n";
    let plain = run("unhedged", "", slow);
    let hedged = run("hedged", "    hedge: {after: 20ms, max: 1}\n", slow);
    assert!(plain.latency_ms.p99.unwrap() > 100.0);
    assert!(hedged.latency_ms.p99.unwrap() < 40.0, "p99 {}", hedged.latency_ms.p99.unwrap());
    let extra = hedged.requests.hedges as f64 / hedged.requests.attempted as f64;
    assert!((0.03..0.08).contains(&extra), "extra load {extra}");
}

/// Every attempt takes 110 ms (100 ms of service, 10 ms of RTT); hedges go out every 20 ms
/// until the policy's maximum: 1, or 3 (at 20, 40 and 60 ms, all before the first answer).
#[test]
fn hedges_go_out_one_interval_apart_up_to_the_maximum() {
    let slow = "  - {kind: slow-servers, regions: [far], share: 1.0, multiplier: 50, at: +0s}\n";
    for max in [1, 3] {
        let hedged = run(&format!("hedged-{max}"), &format!("    hedge: {{after: 20ms, max: {max}}}\n"), slow);
        let per_request = hedged.requests.hedges as f64 / hedged.requests.attempted as f64;
        assert!((per_request - f64::from(max)).abs() < 0.01, "max {max}: {per_request} hedges per request");
        assert_eq!(hedged.availability, Some(1.0));
    }
}

#[test]
fn bad_policies_are_located_errors() {
    let bad = "name: bad
topology: topology.yaml
duration: 10s
services:
  - {region: far, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}
clients:
  - name: users
    region: near
    rate_rps: 1
    timeout: 1s
    retries: {max: 99, backoff: immediate, base: 10ms, budget: 1.5}
    breaker: {window: 0s, min_requests: 5, error_rate: 0.5, open_for: 1s}
    hedge: {afer: 10ms}
";
    let error = load_error("policy-bad", PAIR, bad);
    assert!(error.contains("unknown key `afer`") && error.contains("did you mean `after`?"), "{error}");
    let bad = bad.replace("hedge: {afer: 10ms}", "hedge: {after: 10ms}");
    let error = load_error("policy-bad", PAIR, &bad);
    for expected in
        ["clients[0].retries.max", "`base` does not apply to immediate retries", "clients[0].retries.budget", "clients[0].breaker.window"]
    {
        assert!(error.contains(expected), "missing `{expected}` in:\n{error}");
    }
}

#[test]
fn immediate_retries_turn_a_slowdown_into_a_lasting_outage_and_the_hardened_policy_recovers() {
    let variants = scenario::variants::load_variants(&crate::support::repo_path("scenarios/retry-storm.yaml")).unwrap();
    let names: Vec<_> = variants.iter().map(|v| v.name.clone().unwrap()).collect();
    assert_eq!(names, ["naive", "hardened"]);
    assert_eq!(variants[0].plan.seed, variants[1].plan.seed, "variants share the seed");
    let naive = sim::run(&variants[0].plan);
    let hardened = sim::run(&variants[1].plan);
    // Both are healthy before the 20 s slowdown at 60 s.
    assert!(availability_between(&naive, 20.0, 60.0) > 0.99);
    assert!(availability_between(&hardened, 20.0, 60.0) > 0.99);
    // Long after it ends, the naive clients still keep the service saturated; the hardened recovered.
    let late_naive = availability_between(&naive, 120.0, 240.0);
    let late_hardened = availability_between(&hardened, 120.0, 240.0);
    assert!(late_naive < 0.05, "naive availability after the fault {late_naive}");
    assert!(late_hardened > 0.99, "hardened availability after the fault {late_hardened}");
    let amplification = |r: &sim::RunResult| {
        let c = r.planet.recorder.overall.total.counters;
        c.attempts() as f64 / c.attempted as f64
    };
    assert!(amplification(&naive) > 3.0 && amplification(&hardened) < 1.2);
}

#[test]
fn a_variant_override_is_validated_and_located_at_its_set() {
    let dir = temp_dir("variants-bad");
    write(&dir, "topology.yaml", PAIR);
    let yaml = "name: v
topology: topology.yaml
duration: 10s
services:
  - {region: far, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}}
clients:
  - {name: users, region: near, rate_rps: 1, timeout: 1s}
variants:
  - name: fine
    set: {'clients[0].timeout': 2s}
  - name: broken
    set:
      clients[0].retries: {max: 3, jitter: ful}
      services[4].workers: 2
  - name: sneaky
    set:
      seed: 9
";
    let path = write(&dir, "v.yaml", yaml);
    let error = scenario::variants::load_variants(&path).err().expect("the variants are rejected").to_string();
    assert!(error.contains("v.yaml:13:7") && error.contains("in variant `broken`"), "{error}");
    assert!(error.contains("`services` has 1 entries, so [4] does not exist"), "{error}");
    assert!(error.contains("`seed` is the same for every variant"), "{error}");
    // The base alone is fine, and so is the first variant.
    let fixed = yaml
        .replace("      clients[0].retries: {max: 3, jitter: ful}\n      services[4].workers: 2\n", "      clients[0].retries: {max: 3}\n")
        .replace("      seed: 9\n", "      clients[0].rate_rps: 2\n");
    let path = write(&dir, "v.yaml", &fixed);
    let variants = scenario::variants::load_variants(&path).unwrap();
    assert_eq!(variants.len(), 3);
    assert_eq!(variants[0].plan.populations[0].timeout.as_secs_f64(), 2.0);
    assert_eq!(variants[1].plan.populations[0].policy.retry.as_ref().unwrap().max, 3);
    assert_eq!(variants[2].plan.populations[0].curve.base_rps, 2.0);
}

/// A service that can serve 100 requests/s (10 workers × 10 ms), offered `rate`.
fn overload(label: &str, rate: u32, admission: &str, priority: &str) -> Summary {
    let yaml = format!(
        "name: {label}
topology: topology.yaml
seed: 9
duration: 60s
warmup: 10s
services:
  - region: far
    workers: 10
    queue_capacity: 5000
    service_time: {{dist: constant, value: 100ms}}
{admission}
clients:
  - name: users
    region: near
    rate_rps: {rate}
    timeout: 1s
{priority}
"
    );
    let plan = plan(label, PAIR, &yaml);
    summary::build(&plan, &sim::run(&plan))
}

#[test]
fn admission_control_sheds_the_sheddable_first_and_the_critical_last() {
    let mix = "    priority: {critical: 0.2, normal: 0.5, sheddable: 0.3}\n";
    let shedding = overload("shed", 150, "    admission: {max_queue: 20}\n", mix);
    let class = |name: &str| &shedding.priorities[name];
    assert!(class("critical").availability.unwrap() > 0.99, "critical {:?}", class("critical").availability);
    assert!(class("sheddable").availability.unwrap() < class("normal").availability.unwrap());
    assert!(class("sheddable").shed > class("normal").shed && class("critical").shed == 0);
    // The server stays busy but never queues past the bound, so what it serves is fast.
    assert!(shedding.servers["far"].utilisation > 0.97);
    assert!(shedding.latency_ms.p99.unwrap() < 330.0, "p99 {}", shedding.latency_ms.p99.unwrap());
}

#[test]
fn a_queue_timeout_keeps_goodput_where_a_long_queue_collapses() {
    // 120 requests/s for a 100/s service: the FIFO queue grows until every request waits longer
    // than its client's 1 s timeout, so the server serves only requests nobody waits for.
    let unbounded = overload("long-queue", 120, "", "");
    let bounded = overload("queue-timeout", 120, "    admission: {max_queue: 5000, max_wait: 500ms}\n", "");
    assert!(unbounded.availability.unwrap() < 0.3, "unbounded {}", unbounded.availability.unwrap());
    // Shedding what waited past 500 ms keeps the served ones inside the timeout: ≈ 100/120.
    let goodput = bounded.availability.unwrap();
    assert!((0.80..0.86).contains(&goodput), "with a queue timeout {goodput}");
    // The excess is shed: (120 − 100)/s over the 50 s measured, less what the queue holds.
    let shed = bounded.servers["far"].shed;
    assert!((850..1050).contains(&shed), "shed {shed}");
}

/// 100 requests/s of 50 ms work (5 busy workers' worth) on a pool of 8, for 5 minutes.
fn chaos(label: &str, autoscaling: &str, faults: &str) -> sim::RunResult {
    sim::run(&plan(label, PAIR, &chaos_yaml(label, autoscaling, faults)))
}

fn chaos_yaml(label: &str, autoscaling: &str, faults: &str) -> String {
    format!(
        "name: {label}
topology: topology.yaml
seed: 10
duration: 5m
timeline_window: 5s
services:
  - region: far
    workers: 8
    queue_capacity: 20
    service_time: {{dist: constant, value: 50ms}}
{autoscaling}
clients:
  - {{name: users, region: near, rate_rps: 100, timeout: 1s}}
faults:
{faults}"
    )
}

const SCALING: &str = "    autoscaling: {target_utilisation: 0.6, scale_out_above: 0.8, interval: 10s, provisioning_delay: 60s, cooldown: 30s, min_workers: 4, max_workers: 20}\n";
const KILL_HALF: &str = "  - {kind: capacity-loss, regions: [far], share: 0.5, at: +30s}\n";

#[test]
fn autoscaling_replaces_killed_workers_after_the_provisioning_delay() {
    // Half the 8 workers die for good at 30 s: 4 workers serve 80/s of a 100/s load.
    let unscaled = chaos("chaos-fixed", "", KILL_HALF);
    let scaled = chaos("chaos-scaled", SCALING, KILL_HALF);
    assert!(availability_between(&unscaled, 60.0, 300.0) < 0.85, "without autoscaling the loss lasts");
    // The next tick (40 s) sees the pool saturated and orders workers; they arrive at 100 s.
    let events: Vec<_> = scaled.planet.recorder.events.iter().filter(|e| e.event == "scale-out" || e.event == "workers-ready").collect();
    assert_eq!(events[0].event, "scale-out");
    assert_eq!(events[0].time.as_secs_f64(), 40.0);
    assert_eq!(events[1].event, "workers-ready");
    assert_eq!(events[1].time.as_secs_f64(), 100.0);
    assert!(availability_between(&scaled, 40.0, 100.0) < 0.9, "degraded until the workers are ready");
    assert!(availability_between(&scaled, 110.0, 300.0) > 0.999, "recovered after provisioning");
    let server = &scaled.planet.servers[0];
    assert_eq!(server.stats.alive_min, 4);
    assert!(server.alive_workers() >= 7, "target 0.6 of ~5 busy: {}", server.alive_workers());
}

/// A starting pool outside the autoscaling bounds is reported at the pool, `services[0].workers`;
/// an admission block reports its `max_wait` and its `shares` together.
#[test]
fn bad_autoscaling_and_admission_are_reported_where_they_are() {
    let outside = chaos_yaml("bounds", &SCALING.replace("min_workers: 4", "min_workers: 10"), "");
    let error = load_error("bounds", PAIR, &outside);
    assert!(error.contains("scenario.yaml:8:14:") && error.contains("`services[0].workers`"), "{error}");
    assert!(error.contains("8 workers is outside the autoscaling bounds 10–20"), "{error}");
    let admission = chaos_yaml("admission", "    admission: {max_queue: 10, max_wait: soon, shares: {normal: 2}}\n", "");
    let error = load_error("admission", PAIR, &admission);
    assert!(error.contains("admission.max_wait") && error.contains("admission.shares.normal"), "{error}");
}

#[test]
fn a_frozen_control_plane_stops_the_autoscaler() {
    let faults = format!("{KILL_HALF}  - {{kind: control-plane, at: +20s, duration: 2m}}\n");
    let result = chaos("chaos-frozen", SCALING, &faults);
    let first = result.planet.recorder.events.iter().find(|e| e.event == "scale-out").expect("it scales after the control plane returns");
    assert!(first.time.as_secs_f64() >= 140.0, "no scaling while frozen: first at {}", first.time.as_secs_f64());
}

#[test]
fn idle_capacity_is_scaled_in_to_the_minimum() {
    let result = chaos(
        "scale-in",
        &SCALING.replace("min_workers: 4", "min_workers: 6").replace(
            "target_utilisation: 0.6, scale_out_above: 0.8",
            "target_utilisation: 0.9, scale_out_above: 0.95, scale_in_below: 0.85",
        ),
        "",
    );
    let events = &result.planet.recorder.events;
    assert!(events.iter().any(|e| e.event == "scale-in"), "{events:?}");
    assert_eq!(result.planet.servers[0].alive_workers(), 6);
}

#[test]
fn a_degradation_mode_trades_cost_for_capacity_during_a_surge() {
    // 10 workers × 50 ms = 200/s of capacity; 150/s, surging to 240/s from 60 s to 120 s.
    let yaml = |modes: &str| {
        format!(
            "name: modes
topology: topology.yaml
seed: 13
duration: 4m
timeline_window: 5s
services:
  - region: far
    workers: 10
    queue_capacity: 2000
    service_time: {{dist: constant, value: 50ms}}
{modes}
clients:
  - name: users
    region: near
    rate_rps: 150
    timeout: 1s
    surges: [{{at: +60s, multiplier: 1.6, hold: 60s}}]
"
        )
    };
    // Degraded: 60 % of requests get the cheap path at 30 % of the cost (mean 29 ms, ≈ 345/s).
    // The exit bound is measured in the degraded mode, so it must sit below the surge's load in
    // that mode (240 × 0.029 / 10 = 0.70) and above the normal load in it (150/s: 0.435), or
    // the mode flaps.
    let modes = "    modes:
      interval: 5s
      min_dwell: 15s
      degraded: {enter: {utilisation: 0.95}, exit: {utilisation: 0.5}, cheaper: 0.6, cost: 0.3}
";
    let plain = sim::run(&plan("modes-off", PAIR, &yaml("")));
    let moded_plan = plan("modes-on", PAIR, &yaml(modes));
    let moded = sim::run(&moded_plan);
    assert!(availability_between(&plain, 90.0, 120.0) < 0.5, "without modes the surge overwhelms the queue");
    assert!(availability_between(&moded, 90.0, 120.0) > 0.99, "degraded mode keeps up");
    let changes: Vec<String> = moded
        .planet
        .recorder
        .events
        .iter()
        .filter(|e| e.event == "mode")
        .map(|e| e.detail.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(changes, ["degraded", "recovery", "target"], "it degrades, recovers and returns");
    let summary = summary::build(&moded_plan, &moded);
    let time = summary.servers["far"].mode_time_s.as_ref().unwrap();
    assert!((40.0..100.0).contains(&time["degraded"]), "degraded for about the surge: {}", time["degraded"]);
    assert!(time["target"] > 100.0);
}

/// The most retries sent in any 50 ms window after a crash resets ~100 requests at once.
fn retry_spike(label: &str, jitter: &str) -> u64 {
    let yaml = format!(
        "name: {label}
topology: topology.yaml
seed: 21
duration: 20s
timeline_window: 50ms
services:
  - {{region: far, workers: 200, queue_capacity: 100, service_time: {{dist: constant, value: 200ms}}}}
clients:
  - name: users
    region: near
    rate_rps: 500
    timeout: 5s
    retries: {{max: 1, backoff: exponential, base: 1s, jitter: {jitter}}}
faults:
  - {{kind: crash, regions: [far], at: +10s, duration: 100ms}}
"
    );
    let result = sim::run(&plan(label, PAIR, &yaml));
    use planetsim::metrics::TimelineRow;
    result.planet.recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL).map(|r| r.counters.retries).max().unwrap()
}

#[test]
fn jittered_backoff_desynchronises_retries_after_a_crash() {
    // The crash resets the ~100 requests in service at the same instant. Without jitter they all
    // retry exactly 1 s later; with full jitter the same retries spread over that second.
    let lockstep = retry_spike("lockstep", "none");
    let jittered = retry_spike("jittered", "full");
    assert!(lockstep >= 90, "synchronised retry spike: {lockstep} in one 50 ms window");
    assert!(jittered <= 20, "jittered retries per 50 ms window at most {jittered}");
}
