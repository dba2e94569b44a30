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
    let (retired, draining) = events[0].1.strip_prefix('-').and_then(|d| d.split_once(" idle workers, ")).expect(events[0].1);
    let draining = draining.split_once(" more as they finish").expect(events[0].1).0;
    let (retired, draining): (u32, u32) = (retired.parse().unwrap(), draining.parse().unwrap());
    assert!(retired > 0 && draining > 0 && retired + draining == 12, "{}", events[0].1);
    assert_eq!(events[1..], [(30.0, "+12 workers ordered (8 alive)"), (45.0, "+12 workers (20 alive)")]);
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
        ("alerts:\n  - {name: a, when: 'p99_ms > 5%'}\n", "`p99_ms` is not a ratio", "a plain number"),
        ("alerts:\n  - {name: a, when: 'p99_ms == 5'}\n", "an alert cannot use `==`", "<, <=, > or >="),
        ("alerts:\n  - {name: a, when: 'p99_ms > queue_length'}\n", "the threshold is not a number", "1%"),
        ("alerts:\n  - {name: a, when: 'p99_ms > 5', service: default}\n", "measured at clients", "server signal"),
        ("actions:\n  - {name: x, at: +5s, do: scale, regions: [there], workers: 3}\n", "unknown region", "regions[0]"),
        (
            "actions:\n  - {name: x, at: +5s, after: y, do: note}\n  - {name: y, at: +1s, do: note}\n",
            "both `at` and `after`",
            "one of them",
        ),
        ("actions:\n  - {name: x, at: +5s, do: note}\n  - {name: x, at: +6s, do: note}\n", "`x` is taken", "unique"),
    ];
    for (index, (rest, message, hint)) in cases.into_iter().enumerate() {
        let error = load_error(&format!("bad-ops-{index}"), SOLO_TOPOLOGY, &scenario(rest));
        assert!(error.contains(message), "case {index}: {error}");
        assert!(error.contains(hint), "case {index}: {error}");
        assert!(error.contains("scenario.yaml:"), "case {index} is located: {error}");
    }
}

/// `workers_alive` of the only server at each state sample.
fn alive_over_time(result: &RunResult) -> Vec<(f64, u64)> {
    use planetsim::metrics::StateValue;
    let samples = result.planet.recorder.states.iter().filter(|s| s.state == "workers_alive");
    samples.map(|s| (s.time.as_secs_f64(), if let StateValue::Count(n) = s.value { n } else { unreachable!() })).collect()
}

fn events(result: &RunResult, kind: &str) -> Vec<(f64, String, String)> {
    let matching = result.planet.recorder.events.iter().filter(|e| e.event == kind);
    matching.map(|e| (e.time.as_secs_f64(), e.subject.clone(), e.detail.clone())).collect()
}

#[test]
fn each_client_signal_fires_in_the_window_its_cause_starts() {
    // Retries on errors; at 40 s the traffic rises by half, at 60 s service is twice as slow,
    // at 80 s half of the answers are errors: each for 10 s, each caught by its own rule.
    let text = scenario(
        "faults:
  - {kind: slow-servers, name: slow, regions: [here], share: 1.0, multiplier: 2, at: +60s, duration: 10s}
  - {kind: error-servers, name: bad, regions: [here], rate: 0.5, at: +80s, duration: 10s}
alerts:
  - {name: surge, when: 'requests_per_s > 1300', region: here}
  - {name: slow, when: 'p50_ms >= 15', detects: slow}
  - {name: errors, when: 'error_rate > 5%', region: here, detects: bad}
  - {name: retries, when: 'retry_rate > 0.1'}
",
    )
    .replace(
        "rate_rps: 1000, timeout: 2s}",
        "rate_rps: 1000, timeout: 2s, retries: {max: 1, on: [error], backoff: immediate}, surges: [{at: +40s, multiplier: 1.5, ramp_up: 0s, hold: 10s, ramp_down: 0s}]}",
    );
    let (_, summary) = run("signals", SOLO_TOPOLOGY, &text);
    let first = |name: &str| summary.alerts.iter().find(|a| a.name == name).map(|a| (a.fired, a.first_fired_s));
    assert_eq!(first("surge"), Some((1, Some(41.0))));
    assert_eq!(first("slow"), Some((1, Some(61.0))));
    assert_eq!(first("errors"), Some((1, Some(81.0))));
    assert_eq!(first("retries"), Some((1, Some(81.0))));
    let slow = summary.alerts.iter().find(|a| a.name == "slow").unwrap();
    assert_eq!((slow.time_to_detect_s, slow.false_alarms), (Some(Some(1.0)), Some(0)));
}

#[test]
fn server_utilisation_is_judged_after_the_warm_up_only() {
    // Half busy from the start; the warm-up ends at 30 s, so the rule first sees [30 s, 31 s).
    let text = scenario("alerts:\n  - {name: busy, when: 'utilisation > 0.3', region: here}\n")
        .replace("duration: 120s", "duration: 120s\nwarmup: 30s");
    let (_, summary) = run("utilisation-warmup", SOLO_TOPOLOGY, &text);
    assert_eq!(summary.alerts[0].first_fired_s, Some(31.0));
    assert_eq!(summary.alerts[0].fired, 1);
}

#[test]
fn a_fault_called_off_before_it_starts_never_happens() {
    let (result, summary) = run(
        "called-off",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: slow-servers, name: slow-disk, regions: [here], share: 1.0, multiplier: 3, at: +30s, duration: 20s}
actions:
  - {name: cancel, at: +10s, do: end-fault, fault: slow-disk}
  - {name: too-late, at: +100s, do: end-fault, fault: slow-disk}
",
        ),
    );
    let fault = &summary.faults[0];
    assert!(fault.called_off);
    assert_eq!((fault.start_s, fault.end_s), (30.0, Some(30.0)));
    assert_eq!((fault.time_to_detect_s, fault.time_to_recover_s), (None, None));
    assert!(events(&result, "fault-start").is_empty() && events(&result, "fault-end").is_empty());
    assert_eq!(events(&result, "fault-called-off"), [(10.0, "slow-disk".to_string(), "before it started".to_string())]);
    assert_eq!(events(&result, "fault-already-over").len(), 1, "the second end-fault changes nothing");
    assert_eq!(summary.windows["slow-disk"].requests.attempted, 0, "its window is empty");
    assert!(p50_between(&result, 30.0, 50.0) < 10.5, "service never slowed");
}

#[test]
fn an_operators_size_holds_through_kills_revivals_and_crashes() {
    // 20 workers. At 10 s half are killed (until 40 s); at 20 s an operator sets the pool to 5
    // (the 10 alive shrink to 5); at 30 s a crash resets every connection (until 35 s); at
    // 40 s the killed workers return, but no more than the operator's 5.
    let (result, _) = run(
        "size-holds",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: capacity-loss, name: loss, regions: [here], share: 0.5, at: +10s, until: +40s}
  - {kind: crash, name: crash, regions: [here], at: +30s, until: +35s}
actions:
  - {name: shrink, at: +20s, do: scale, regions: [here], workers: 5}
  - {name: grow, at: +60s, do: scale, regions: [here], workers: 12}
",
        )
        .replace("rate_rps: 1000", "rate_rps: 200"),
    );
    let alive: std::collections::BTreeMap<u64, u64> = alive_over_time(&result).into_iter().map(|(t, n)| (t as u64, n)).collect();
    assert_eq!((alive[&5], alive[&15], alive[&25], alive[&33], alive[&45], alive[&70]), (20, 10, 5, 5, 5, 12));
}

#[test]
fn a_second_leak_starts_afresh_and_a_kill_waits_out_a_crash() {
    // The first leak (10–20 s) would kill at 40 s; the second (from 30 s, 60 MB a minute to a
    // 60 MB limit) kills at 90 s, and its restart (5 s) comes while a crash fault holds the
    // process down (90–110 s), which stays down until the crash ends.
    let (result, summary) = run(
        "two-leaks",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:
  - {kind: leak, name: first, regions: [here], mb_per_min: 60, limit_mb: 30, at: +10s, until: +20s}
  - {kind: leak, name: second, regions: [here], mb_per_min: 60, limit_mb: 60, restart: 5s, at: +30s}
  - {kind: crash, name: crash, regions: [here], at: +92s, until: +110s}
",
        ),
    );
    let kills: Vec<f64> = events(&result, "oom-kill").iter().map(|e| e.0).collect();
    assert_eq!(kills, [90.0], "nothing planned by the first leak happens");
    assert_eq!(events(&result, "oom-restart").iter().map(|e| e.0).collect::<Vec<_>>(), [95.0]);
    assert_eq!(summary.servers["here"].oom_kills, Some(1));
    assert!(crate::support::availability_between(&result, 96.0, 109.0) < 0.01, "the crash still holds after the restart");
    assert!(crate::support::availability_between(&result, 111.0, 119.0) > 0.99);
}

#[test]
fn a_fix_during_the_downtime_waits_for_the_restart() {
    // Killed at 30 + 22.5 s; the fix comes at 55 s; the process is back at 62.5 s, not before.
    let (result, _) = run(
        "fix-down",
        SOLO_TOPOLOGY,
        &scenario(
            "faults:\n  - {kind: leak, name: leak, regions: [here], mb_per_min: 240, limit_mb: 90, restart: 10s, at: +30s, until: +55s}\n",
        ),
    );
    assert_eq!(events(&result, "oom-restart").iter().map(|e| e.0).collect::<Vec<_>>(), [62.5]);
    assert!(crate::support::availability_between(&result, 56.0, 62.0) < 0.01);
    assert_eq!(events(&result, "oom-kill").len(), 1, "fixed: no second kill");
}

#[test]
fn the_command_line_writes_alerts_actions_and_their_events() {
    let dir = crate::support::temp_dir("ops-cli");
    crate::support::write(&dir, "topology.yaml", SOLO_TOPOLOGY);
    let text = scenario(
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
    .replace("timeout: 2s", "timeout: 30s");
    crate::support::write(&dir, "ops.yaml", &text);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_planetsim"))
        .args(["run", "ops.yaml", "--out", "out", "--quiet"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    let alert = &summary["alerts"][0];
    assert_eq!(
        (alert["rule"].as_str(), alert["detects"].as_str(), alert["false_alarms"].as_u64()),
        (Some("p99_ms > 100"), Some("slow-disk"), Some(0))
    );
    assert!(summary["alerts"][1].get("detects").is_none(), "fields of `detects:` only with it");
    let fired = alert["first_fired_s"].as_f64().unwrap();
    assert_eq!(summary["actions"][0]["do"].as_str(), Some("note"));
    assert_eq!(summary["actions"][1]["done_s"].as_f64(), Some(fired + 30.0));
    assert!(summary["actions"][2]["done_s"].is_null());
    assert!(summary["servers"]["here"].get("oom_kills").is_none(), "no leak, no memory fields");
    let events = std::fs::read_to_string(dir.join("out/events.csv")).unwrap();
    for line in [
        format!("{fired},alert-fired,slow,p99_ms > 100 (p99_ms "),
        format!("{},action,acknowledge,note", fired + 20.0),
        format!("{},action,repair,end-fault slow-disk", fired + 30.0),
        format!("{},fault-end,slow-disk,slow-servers", fired + 30.0),
        ",alert-cleared,slow,p99_ms ".to_string(),
    ] {
        assert!(events.contains(&line), "missing `{line}` in:\n{events}");
    }
}
