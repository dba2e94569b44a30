//! Leader placement, held to its arithmetic: a drain hands off one range per `move_time`,
//! `parallel` at a time, and each range is without a leader for the one-way delay to its new
//! leader; writes follow their range's leadership, so the drained member's share of commits
//! falls range by range; and bad placements get located errors.

use crate::support::{STAR, bundled, load_error, run};
use planetsim::report::placement::PlacementSummary;
use planetsim::report::summary::Summary;

/// A store in all three regions with 12 ranges (4 each, dealt in turn: `hub` leads ranges 0, 3,
/// 6 and 9), `placement` settings after `ranges`, and clients in `hub` writing 200 a second to
/// uniformly drawn keys.
fn ranged(placement: &str) -> String {
    format!(
        "name: ranged
topology: topology.yaml
seed: 4
duration: 30s
warmup: 2s
keys: {{count: 1200, popularity: uniform, writes: 1}}
services:
  - name: store
    regions: [hub, a, b]
    workers: 1000
    queue_capacity: 1000
    service_time: {{dist: constant, value: 1us}}
    replication:
      mode: leader-follower
      placement: {{ranges: 12{placement}}}
clients:
  - {{name: app, service: store, region: hub, rate_rps: 200, timeout: 2s, access_rtt_ms: 0}}
"
    )
}

fn placement_of<'a>(summary: &'a Summary, service: &str) -> &'a PlacementSummary {
    let data = summary.data.as_ref().expect("a scenario with keys");
    data.replication[service].placement.as_ref().expect("a placement")
}

fn placement(summary: &Summary) -> &PlacementSummary {
    placement_of(summary, "store")
}

/// Draining `hub`'s 4 ranges with 2 s per move: one at a time, the last hand-off is 8 s after
/// the order, two at a time 4 s. The ranges go alternately to `a` and `b` (each then leads
/// fewest, `a` first on a tie), so two ranges are leaderless 5 ms (the one-way delay to `a`)
/// and two 15 ms (to `b`), plus the new leader's 0.1 ms to apply the hand-off; two at a time,
/// `b` first applies the hand-off to `a` that arrived with its own: 0.2 ms.
#[test]
fn a_drain_takes_a_move_time_per_range_parallel_at_a_time() {
    for (parallel, rounds, applies) in [(1, 4.0, 0.1), (2, 2.0, 0.2)] {
        let (_, summary) =
            run("drain", STAR, &ranged(&format!(", move_time: 2s, parallel: {parallel}, moves: [{{at: +10s, drain: hub}}]")));
        let placement = placement(&summary);
        let order = &placement.orders[0];
        assert_eq!((order.ranges_planned, order.ranges_handed_off, order.ranges_taken), (4, 4, 4));
        assert_eq!(order.last_handoff_s, Some(10.0 + 2.0 * rounds), "parallel {parallel}");
        let duration = order.duration_s.expect("completed");
        let last_taken = 15.0 + applies;
        assert!((duration - (2.0 * rounds + last_taken / 1e3)).abs() < 1e-6, "parallel {parallel}: {duration} s");
        assert_eq!(order.ranges_moved_to.values().copied().collect::<Vec<_>>(), vec![2, 2]);
        let (mean, max) = (order.leaderless_ms_mean.expect("taken"), order.leaderless_ms_max.expect("taken"));
        let expected_mean = (5.1 + last_taken) / 2.0;
        assert!((mean - expected_mean).abs() < 1e-3 && (max - last_taken).abs() < 1e-3, "mean {mean} ms, max {max} ms");
        let at_end: Vec<u32> = ["a", "b", "hub"].iter().map(|r| placement.ranges_led_at_end[*r]).collect();
        assert_eq!(at_end, vec![6, 6, 0]);
        assert_eq!(summary.availability, Some(1.0), "every write found its leader");
    }
}

/// Writes are committed where their range is led. `hub` leads a third of the ranges until its
/// first hand-off at 12 s, then 3, 2, 1 and no twelfths at 2 s steps: of 28 measured seconds
/// of 200 writes a second, it commits 200 × (10 × 4 + 2 × 3 + 2 × 2 + 2 × 1) / 12 ≈ 867.
#[test]
fn the_drained_member_commits_its_share_of_writes_until_its_ranges_leave() {
    let (_, drained) = run("drain-commits", STAR, &ranged(", move_time: 2s, moves: [{at: +10s, drain: hub}]"));
    let (_, kept) = run("no-drain-commits", STAR, &ranged(""));
    let commits =
        |summary: &Summary, region: &str| summary.data.as_ref().expect("keys").replication["store"].members[region].counts.commits;
    let expected = 200.0 * 52.0 / 12.0;
    let hub = commits(&drained, "hub") as f64;
    assert!((hub / expected - 1.0).abs() < 0.1, "hub committed {hub}, expected about {expected:.0}");
    let undrained = commits(&kept, "hub") as f64;
    assert!((undrained / (200.0 * 28.0 / 3.0) - 1.0).abs() < 0.1, "without the drain: {undrained}");
    // Each write is committed once, where its range was led (give or take a write forwarded
    // across the start or end of the measured window).
    let all: u64 = ["hub", "a", "b"].iter().map(|r| commits(&drained, r)).sum();
    assert!(all.abs_diff(drained.requests.succeeded) <= 2, "{all} commits, {} writes", drained.requests.succeeded);
}

/// Moving some ranges to a chosen member: the lowest-numbered ones, and only as many as asked.
#[test]
fn an_order_moves_the_ranges_asked_for_to_the_member_named() {
    let (_, summary) = run(
        "move-two",
        STAR,
        &ranged(
            ", leaders: [{region: hub, ranges: 6}, {region: a, ranges: 6}], move_time: 1s, moves: [{at: +5s, from: hub, to: b, ranges: 2}]",
        ),
    );
    let placement = placement(&summary);
    assert_eq!(placement.ranges_led_at_start["hub"], 6);
    assert!(!placement.ranges_led_at_start.contains_key("b"));
    let at_end: Vec<u32> = ["a", "b", "hub"].iter().map(|r| placement.ranges_led_at_end[*r]).collect();
    assert_eq!(at_end, vec![6, 2, 4]);
    let order = &placement.orders[0];
    assert_eq!((order.order, order.to.as_deref(), order.last_handoff_s), ("move", Some("b"), Some(7.0)));
}

/// The drain of `a_drain_takes_a_move_time_per_range_parallel_at_a_time` over time: `hub`'s
/// ranges led fall 4, 3, 2, 1, 0 in the states, one step per 2 s hand-off, between an order
/// event and a last-hand-off event.
#[test]
fn a_drain_shows_in_the_states_and_the_events() {
    let scenario = ranged(", move_time: 2s, moves: [{at: +10s, drain: hub}]").replace("seed: 4", "seed: 4\ntimeline_window: 1s");
    let plan = crate::support::plan("drain-timeline", STAR, &scenario);
    let result = planetsim::sim::run(&plan);
    let states = planetsim::report::timeline::render_states(&plan, &result);
    let led = |second: u32| {
        let row = format!("{second},hub,replica_ranges_led,");
        states.lines().find_map(|line| line.strip_prefix(&row)).map(|v| v.to_string())
    };
    let over_time: Vec<String> = [10, 13, 15, 17, 19].iter().filter_map(|&s| led(s)).collect();
    assert_eq!(over_time, ["4", "3", "2", "1", "0"], "{over_time:?}");
    let events: Vec<(f64, &str, &str)> = result
        .planet
        .recorder
        .events
        .iter()
        .filter(|e| e.event.starts_with("ranges-"))
        .map(|e| (e.time.as_secs_f64(), e.event, e.detail.as_str()))
        .collect();
    assert_eq!(
        events,
        [(10.0, "ranges-moving", "4 ranges, 1 at a time, 2.0 s each"), (18.0, "ranges-handed-off", "4 ranges handed off in 8.0 s")]
    );
}

/// An order that reaches a replica that is down is lost (and says so); a hand-off that falls
/// due while the replica is down waits for it to come back.
#[test]
fn orders_and_hand_offs_meet_a_replica_that_is_down() {
    let outage = |at: &str| format!("faults:\n  - {{kind: region-outage, regions: [hub], at: {at}, duration: 5s}}\nclients:");
    let lost = ranged(", moves: [{at: +10s, drain: hub}]").replace("clients:", &outage("+8s"));
    let (result, summary) = run("order-lost", STAR, &lost);
    let order = &placement(&summary).orders[0];
    assert_eq!((order.started_s, order.ranges_planned, order.ranges_handed_off), (None, 0, 0));
    assert!(result.planet.recorder.events.iter().any(|e| e.event == "ranges-moving" && e.detail.contains("order lost")));
    assert!(planetsim::report::text::render(&summary).contains("drain of hub at 10.0 s: 0 ranges, lost: its server was down"));
    // The first hand-off is due at 11 s, during an outage from 10.5 s to 15.5 s: it is tried
    // again each second (the move time) and made at 16 s, once the server is back.
    let waits = ranged(", moves: [{at: +10s, drain: hub}]").replace("clients:", &outage("+10.5s"));
    let (result, summary) = run("hand-off-waits", STAR, &waits);
    let first = result.planet.recorder.events.iter().find(|e| e.event == "ranges-handed-off").map(|e| e.time.as_secs_f64());
    assert_eq!(first, Some(19.0), "16, 17, 18 and 19 s: four ranges one second apart");
    assert_eq!(placement(&summary).orders[0].ranges_taken, 4);
}

/// Reads at the leader go to the key's range leader: `hub` leads a third of the ranges, so it
/// forwards about two thirds of its clients' reads, and reads are never stale.
#[test]
fn reads_at_the_leader_go_to_each_keys_range_leader() {
    let scenario =
        ranged("").replace("writes: 1}", "writes: 0.2}").replace("mode: leader-follower", "mode: leader-follower\n      reads: leader");
    let (_, summary) = run("range-reads", STAR, &scenario);
    let store = &summary.data.as_ref().expect("keys").replication["store"];
    let hub = &store.members["hub"];
    let reads = hub.counts.reads + hub.counts.forwarded_reads;
    let share = hub.counts.forwarded_reads as f64 / reads as f64;
    assert!((share - 2.0 / 3.0).abs() < 0.03, "{share}");
    // Served where forwarded (give or take one across the measured window's edges).
    let served_elsewhere = store.members["a"].counts.reads + store.members["b"].counts.reads;
    assert!(served_elsewhere.abs_diff(hub.counts.forwarded_reads) <= 2, "{served_elsewhere} against {}", hub.counts.forwarded_reads);
    assert_eq!(store.stale_reads, 0);
}

/// A range handed to `b` (at 6 s, taken 15 ms later) while `b` is being drained (from 6 s) moves
/// on: the drain plans `b`'s 4 ranges, then the one it took, and leaves `b` leading none.
#[test]
fn a_range_that_reaches_a_drained_member_moves_on() {
    let orders = ", move_time: 1s, moves: [{at: +5s, from: hub, to: b, ranges: 1}, {at: +6s, drain: b}]";
    let (_, summary) = run("drain-chase", STAR, &ranged(orders));
    let placement = placement(&summary);
    let drain = &placement.orders[1];
    assert_eq!((drain.ranges_planned, drain.ranges_taken), (5, 5));
    assert_eq!(placement.ranges_led_at_end["b"], 0);
    assert!(drain.completed_s.is_some());
    assert_eq!(summary.availability, Some(1.0));
}

/// A new leader far behind (`a` applies 100 ms per write, and has 100 a second to apply) takes
/// its range only when it has applied everything before the hand-off: never in this run. Each
/// write to the range then goes `hub` → `a` (which still sends it to `hub`) → `hub`, which
/// refuses to forward it a third time: about 100 writes a second from the hand-off at 5 s to the
/// end at 30 s are misdirected, and none loops.
#[test]
fn writes_chasing_a_range_its_new_leader_has_not_taken_are_refused_after_two_forwards() {
    let scenario = ranged(", move_time: 0s, moves: [{at: +5s, from: hub, to: a, ranges: 1}]")
        .replace("regions: [hub, a, b]", "regions: [hub, a]")
        .replace("ranges: 12", "ranges: 2")
        .replace(
            "clients:",
            "faults:\n  - {kind: slow-servers, regions: [a], services: [store], share: 1.0, multiplier: 1000, at: +0s}\nclients:",
        );
    let (_, summary) = run("chase", STAR, &scenario);
    let store = &summary.data.as_ref().expect("keys").replication["store"];
    let misdirected = store.members["hub"].counts.misdirected as f64;
    assert!((misdirected / 2_500.0 - 1.0).abs() < 0.1, "{misdirected}");
    assert_eq!(store.members["a"].counts.misdirected, 0, "a forwards once: the second forward");
    assert_eq!(summary.servers["hub"].refused, store.members["hub"].counts.misdirected);
    assert_eq!(store.placement.as_ref().expect("placement").orders[0].ranges_taken, 0);
    // Every other write succeeded (give or take one across the measured window's edges).
    let failed = summary.requests.attempted - summary.requests.succeeded;
    assert!(failed.abs_diff(store.members["hub"].counts.misdirected) <= 2, "{failed} failed");
}

/// A request a replica forwarded calls other replicated services afresh: its forwards do not
/// count against theirs. Clients in `hub` write to `first` (led from `b`), which calls
/// `second` (led from `hub`), which calls `third` (led from `a`): each hop of the chain is
/// forwarded once, and the last would be refused if the forwards added up.
#[test]
fn a_forwarded_requests_calls_start_without_its_forwards() {
    let service = |name: &str, leader: &str, calls: &str| {
        format!(
            "  - name: {name}
    regions: [hub, a, b]
    workers: 100
    queue_capacity: 100
    service_time: {{dist: constant, value: 1us}}
    replication: {{mode: leader-follower, leader: {leader}}}
{calls}"
        )
    };
    let scenario = format!(
        "name: chain
topology: topology.yaml
seed: 2
duration: 10s
warmup: 1s
keys: {{count: 100, popularity: uniform, writes: 1}}
services:
{}{}{}clients:
  - {{name: app, service: first, region: hub, rate_rps: 100, timeout: 2s, access_rtt_ms: 0}}
",
        service("first", "b", "    calls: [{service: second, timeout: 1s}]\n"),
        service("second", "hub", "    calls: [{service: third, timeout: 1s}]\n"),
        service("third", "a", ""),
    );
    let (_, summary) = run("chain", STAR, &scenario);
    assert_eq!(summary.availability, Some(1.0));
    let third = &summary.data.as_ref().expect("keys").replication["third"];
    assert!(third.members["hub"].counts.forwarded_writes > 800, "second's leader in hub forwards its calls to a");
    assert_eq!(third.members["hub"].counts.misdirected, 0);
}

/// `scenarios/slow-node-drain.yaml`: Frankfurt's 16 of 48 ranges, drained 30 s after its
/// servers turn 8 times slower. One at a time at 5 s a move the drain takes 80 s, eight at a
/// time 10 s (plus the last hand-off's trip to its new leader, at most Frankfurt to Tokyo);
/// Frankfurt's queue keeps failing writes until enough ranges left it, so the faster drain
/// loses fewer, and without one a third of the writes fail to the end (~9 % of requests).
#[test]
fn draining_a_slow_replica_takes_a_move_time_per_range_and_stops_its_failures() {
    let mut availability = Vec::new();
    for (variant, expected) in [("one-at-a-time", Some(80.0)), ("parallel", Some(10.0)), ("no-drain", None)] {
        let summary = bundled("scenarios/slow-node-drain.yaml", variant);
        let placement = placement_of(&summary, "ledger");
        if let Some(expected) = expected {
            let order = &placement.orders[0];
            let duration = order.duration_s.expect("completed");
            assert!((expected..expected + 0.2).contains(&duration), "{variant}: {duration} s");
            let at_end: Vec<u32> = ["frankfurt", "tokyo", "virginia"].iter().map(|r| placement.ranges_led_at_end[*r]).collect();
            assert_eq!(at_end, vec![0, 24, 24], "{variant}");
        }
        availability.push(summary.availability.expect("requests"));
    }
    let [one_at_a_time, parallel, no_drain] = availability[..] else { unreachable!() };
    assert!(no_drain < 0.93 && one_at_a_time > 0.97, "{availability:?}");
    assert!(parallel > one_at_a_time + 0.005, "the faster drain fails fewer writes: {availability:?}");
}

#[test]
fn bad_placements_get_located_errors() {
    let error = load_error("drain-typo", STAR, &ranged(", moves: [{at: +5s, drain: hbu}]"));
    assert!(error.contains("scenario.yaml:15:") && error.contains("placement.moves[0].drain"), "{error}");
    assert!(error.contains("did you mean `hub`"), "{error}");

    let error = load_error("shares", STAR, &ranged(", leaders: [{region: hub, ranges: 6}, {region: a, ranges: 5}]"));
    assert!(error.contains("the leaders' ranges add up to 11, not 12"), "{error}");

    let error = load_error("to-itself", STAR, &ranged(", moves: [{at: +5s, from: a, to: a}]"));
    assert!(error.contains("the ranges would move from `a` to itself"), "{error}");

    let error = load_error("neither", STAR, &ranged(", moves: [{at: +5s, from: a}]"));
    assert!(error.contains("a move drains a region, or moves ranges from one region to another"), "{error}");

    let error = load_error("too-many-ranges", STAR, &ranged("").replace("ranges: 12", "ranges: 5000"));
    assert!(error.contains("placement.ranges") && error.contains("from 1 to 1200"), "{error}");

    let with_leader = ranged("").replace("      mode: leader-follower\n", "      mode: leader-follower\n      leader: hub\n");
    let error = load_error("leader-and-placement", STAR, &with_leader);
    assert!(error.contains("each key range has its own leader"), "{error}");

    let with_failover =
        ranged("").replace("      mode: leader-follower\n", "      mode: leader-follower\n      failover: {detect_after: 5s}\n");
    let error = load_error("failover-and-placement", STAR, &with_failover);
    assert!(error.contains("a failover of range leaders is not modelled"), "{error}");

    let multi = ranged("").replace("mode: leader-follower", "mode: multi-leader");
    let error = load_error("multi-and-placement", STAR, &multi);
    assert!(error.contains("every replica of a multi-leader service leads every key"), "{error}");

    let keyless = ranged("").replace("keys: {count: 1200, popularity: uniform, writes: 1}\n", "");
    let error = load_error("no-keys", STAR, &keyless);
    assert!(error.contains("placement splits the keys into ranges"), "{error}");
}
