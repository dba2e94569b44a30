//! Operations: alerts fire when their rule has held for its duration and report the fault they
//! caught; operator actions happen at their time or after what they wait for, end faults and
//! resize pools; a leak slows service, kills the process at its limit and restarts it; and
//! bad definitions are located errors.

use crate::support::{SOLO_TOPOLOGY, load_error, run};
use planetsim::metrics::TimelineRow;
use planetsim::sim::RunResult;

/// Clients and a 20-worker service (constant 10 ms) in one region, 1,000 requests/s for 120 s:
/// utilisation 0.5. Windows of 1 s; no warm-up, so every window counts.
fn scenario(rest: &str) -> String {
    format!(
        "name: ops
topology: topology.yaml
seed: 8
duration: 120s
timeline_window: 1s
services:
  - {{region: here, workers: 20, queue_capacity: 2000, service_time: {{dist: constant, value: 10ms}}}}
clients:
  - {{name: users, region: here, rate_rps: 1000, timeout: 2s}}
{rest}"
    )
}

fn p50_between(result: &RunResult, from_s: f64, to_s: f64) -> f64 {
    let rows: Vec<f64> = result
        .planet
        .recorder
        .timeline
        .iter()
        .filter(|r| r.scope == TimelineRow::ALL && (from_s..to_s).contains(&r.start.as_secs_f64()))
        .filter_map(|r| r.p50_ms)
        .collect();
    rows.iter().sum::<f64>() / rows.len() as f64
}

#[test]
fn an_alert_fires_after_its_hold_and_an_operator_chain_repairs_the_fault() {
    // Three times slower from 30 s: utilisation 1.5, the queue grows and latency climbs. The
    // alert needs p99 above 100 ms for 5 s; the on-call acknowledges 20 s after it fires and
    // repairs 10 s later.
    // Clients wait 30 s, so the overload shows as latency and rejections (a third of the
    // requests once the queue is full), not as timeouts.
    let (result, summary) = run(
        "alert-chain",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: slow-servers, name: slow-disk, regions: [here], share: 1.0, multiplier: 3, at: +30s}
alerts:
  - {name: slow, when: 'p99_ms > 100', for: 5s, detects: slow-disk}
  - {name: never, when: 'error_rate > 50%'}
actions:
  - {name: acknowledge, after: slow, delay: 20s, do: note}
  - {name: repair, after: acknowledge, delay: 10s, do: end-fault, fault: slow-disk}
  - {name: waits-forever, after: never, do: note}
",
        )
        .replace("timeout: 2s", "timeout: 30s"),
    );
    let slow = &summary.alerts[0];
    let fired = slow.first_fired_s.expect("the alert fires");
    // p99 first exceeds 100 ms within a few windows of the fault (the backlog grows by 500
    // requests a second, 25 ms of wait per second); then 5 s of hold.
    assert!((35.0..=40.0).contains(&fired), "fired at {fired}");
    assert_eq!(slow.time_to_detect_s, Some(Some(fired - 30.0)));
    assert_eq!(slow.false_alarms, Some(0));
    let done = |name: &str| summary.actions.iter().find(|a| a.name == name).and_then(|a| a.done_s);
    assert_eq!(done("acknowledge"), Some(fired + 20.0));
    assert_eq!(done("repair"), Some(fired + 30.0));
    assert_eq!(done("waits-forever"), None, "its alert never fired");
    assert_eq!(summary.alerts[1].fired, 0);
    // The fault ends with the repair: its reported end, its window, and the slowness.
    let fault = &summary.faults[0];
    assert_eq!(fault.end_s, Some(fired + 30.0));
    assert_eq!(summary.windows["slow-disk"].until_s, fired + 30.0);
    assert!(p50_between(&result, 110.0, 120.0) < 11.0, "served at 10 ms again once the backlog drained");
    let cleared = slow.firing_s;
    assert!(cleared > 30.0 && fired + cleared < 120.0, "it clears after the repair, once the backlog is gone: {cleared} s firing");
}

#[test]
fn an_alert_that_fires_outside_its_fault_counts_as_a_false_alarm() {
    // The flash crowd (not the fault) raises the queue: the rule catches it, but it is not the
    // fault it is meant to detect, which starts later and does not raise the queue.
    let (_, summary) = run(
        "false-alarm",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: error-servers, name: bad-deploy, regions: [here], rate: 0.01, at: +90s}
alerts:
  - {name: queue, when: 'queue_length > 50', region: here, detects: bad-deploy}
actions:
  - {name: extra-load, at: +20s, do: scale, regions: [here], workers: 8}
  - {name: restore, at: +40s, do: scale, regions: [here], workers: 20}
",
        ),
    );
    let queue = &summary.alerts[0];
    assert!(queue.fired >= 1);
    let first = queue.first_fired_s.unwrap();
    assert!((20.0..25.0).contains(&first), "8 workers carry 800 of the 1,000 requests/s: the queue grows from 20 s ({first})");
    assert_eq!(queue.false_alarms, Some(queue.fired));
    assert_eq!(queue.time_to_detect_s, Some(None), "it never fired while the fault lasted");
}

#[test]
fn a_scale_action_resizes_the_pool_after_its_provisioning_delay() {
    // 1,000 requests/s of 10 ms need 10 workers. An operator shrinks the pool to 8 at 5 s
    // (overloaded), then orders it back to 20 at 30 s, serving 15 s later.
    let text = scenario(
        "actions:
  - {name: shrink, at: +5s, do: scale, regions: [here], workers: 8}
  - {name: grow, at: +30s, do: scale, regions: [here], workers: 20, provisioning_delay: 15s}
",
    );
    let (result, summary) = run("scale", SOLO_TOPOLOGY, &text);
    let server = &summary.servers["here"];
    assert_eq!((server.workers_alive_min, server.workers_alive_max), (8, 20));
    let events: Vec<(f64, &str)> = result
        .planet
        .recorder
        .events
        .iter()
        .filter(|e| e.event == "scale-ordered" || e.event == "workers-ready")
        .map(|e| (e.time.as_secs_f64(), e.detail.as_str()))
        .collect();
    // At 5 s about half the pool is busy: the idle workers retire at once, the busy ones as
    // they finish their request.
    assert_eq!(events[0].0, 5.0);
    assert!(events[0].1.starts_with('-') && events[0].1.contains("draining"), "{}", events[0].1);
    assert_eq!(events[1..], [(30.0, "+12 workers ordered, 0 kept (8 alive)"), (45.0, "+12 workers (20 alive)")]);
    // Overloaded from 5 to 45 s (800 of 1,000 requests/s served), then the backlog drains.
    let overloaded = crate::support::availability_between(&result, 20.0, 45.0);
    assert!(overloaded < 0.85, "8 workers serve at most 800 of 1,000 requests/s: {overloaded}");
    assert!(p50_between(&result, 110.0, 120.0) < 11.0);
}

#[test]
fn a_scale_action_moves_an_autoscalers_bounds() {
    // The autoscaler is capped at 10 workers, too few; an operator raises the cap at 30 s and
    // the autoscaler reaches what the load needs (the chapter's "cap 100 → 1000").
    let text = scenario(
        "actions:
  - {name: raise-cap, at: +30s, do: scale, regions: [here], workers: 10, max_workers: 40}
",
    )
    .replace(
        "service_time: {dist: constant, value: 10ms}}",
        "service_time: {dist: constant, value: 10ms}, autoscaling: {target_utilisation: 0.6, interval: 5s, provisioning_delay: 5s, cooldown: 5s, min_workers: 10, max_workers: 10}}",
    )
    .replace("workers: 20,", "workers: 10,");
    let (_, summary) = run("scale-bounds", SOLO_TOPOLOGY, &text);
    let server = &summary.servers["here"];
    assert_eq!(server.workers_alive_min, 10);
    // 1,000 requests/s × 10 ms = 10 busy workers; at a 0.6 target the autoscaler wants 17.
    assert!((17..=40).contains(&server.workers_alive_max), "the autoscaler grew past the old cap: {}", server.workers_alive_max);
}

#[test]
fn a_leak_slows_service_then_kills_the_process_at_its_limit_and_the_fix_stops_it() {
    // 32 MB at 30 s, growing 240 MB a minute to a 122 MB limit: killed 22.5 s later, at
    // 52.5 s; back 5 s later and killed again at 80 s; the fix at 100 s ends it.
    let (result, summary) = run(
        "leak",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: leak, name: leak, regions: [here], mb_per_min: 240, limit_mb: 122, baseline_mb: 32, gc_slowdown: 1.0, restart: 5s, at: +30s, until: +100s}
alerts:
  - {name: memory, when: 'memory_mb > 100', region: here, detects: leak}
",
        ),
    );
    let server = &summary.servers["here"];
    assert_eq!(server.oom_kills, Some(2));
    assert_eq!(server.first_oom_s, Some(Some(52.5)));
    let kills: Vec<f64> = result.planet.recorder.events.iter().filter(|e| e.event == "oom-kill").map(|e| e.time.as_secs_f64()).collect();
    assert_eq!(kills, [52.5, 80.0], "22.5 s of headroom after each restart");
    // Each kill resets the connections of every queued and running request: errors.
    assert!(server.errors > 0);
    // The alert sees 100 MB at 30 + 17 s = 47 s: it fires at the end of that window.
    assert_eq!(summary.alerts[0].first_fired_s, Some(48.0));
    assert_eq!(summary.alerts[0].time_to_detect_s, Some(Some(18.0)));
    // GC: service at 1 + used/limit times 10 ms; near the limit, nearly twice as slow.
    let early = p50_between(&result, 10.0, 30.0);
    let late = p50_between(&result, 49.0, 52.0);
    assert!(early < 10.5 && late > 18.0, "p50 {early} ms before the leak, {late} ms just before the kill");
    assert!(p50_between(&result, 105.0, 120.0) < 10.5, "the fix restores the baseline");
}

#[test]
fn bad_operations_are_located_errors_with_suggestions() {
    let cases = [
        ("alerts:\n  - {name: a, when: 'p99_msec > 100'}\n", "unknown signal `p99_msec`", "p99_ms"),
        ("alerts:\n  - {name: a, when: 'p99_ms 100'}\n", "compares nothing", "<signal> <op> <number>"),
        ("alerts:\n  - {name: a, when: 'queue_length > 5', region: there}\n", "unknown region", "here"),
        ("alerts:\n  - {name: a, when: 'p99_ms > 5', detects: slow-dsk}\n", "no fault is called `slow-dsk`", "the scenario has none"),
        (
            "actions:\n  - {name: fix, after: ack, do: note}\n  - {name: ack, at: +5s, do: note}\n",
            "no alert or earlier action is called `ack`",
            "listed before this one",
        ),
        ("actions:\n  - {name: x, at: +5s, do: end-fault}\n", "needs the fault it ends", "fault: <name>"),
        ("actions:\n  - {name: x, at: +5s, do: note, workers: 3}\n", "does not apply to a `note` action", "no other keys"),
        ("actions:\n  - {name: x, at: +5s, do: scale, workers: 3, max_workers: 9}\n", "does not autoscale", "autoscaling"),
        ("actions:\n  - {name: x, do: note}\n", "says not when", "after"),
        ("actions:\n  - {name: x, at: +5s, delay: 3s, do: note}\n", "`delay` counts from `after`", "with `delay`"),
        (
            "faults:\n  - {kind: leak, regions: [here], mb_per_min: 1, limit_mb: 100, baseline_mb: 100, at: +5s}\n",
            "would start out of memory",
            "below limit_mb",
        ),
        ("faults:\n  - {kind: leak, regions: [here], limit_mb: 100, at: +5s}\n", "needs `mb_per_min`", ""),
    ];
    for (index, (rest, message, hint)) in cases.into_iter().enumerate() {
        let error = load_error(&format!("bad-ops-{index}"), SOLO_TOPOLOGY, &scenario(rest));
        assert!(error.contains(message), "case {index}: {error}");
        assert!(error.contains(hint), "case {index}: {error}");
        assert!(error.contains("scenario.yaml:"), "case {index} is located: {error}");
    }
}
