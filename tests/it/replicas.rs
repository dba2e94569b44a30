//! Replicated services, held to their arithmetic: a quorum write waits for the W-th fastest
//! replica (the W-th smallest round trip, counting its own as zero) and a quorum read for the
//! R-th; a follower applying writes slower than they come falls behind linearly; a failover
//! loses what the old leader acknowledged alone under asynchronous replication and nothing
//! under synchronous; a partitioned active-active pair oversells a stock unless a lock decides
//! purchases; and bad replication settings get located errors.

use crate::support::{STAR, bundled, load_error, run};
use planetsim::report::replication::ReplicationSummary;
use planetsim::report::summary::Summary;

/// A five-region multi-leader store with `replication`, written to (or read) only from `hub`.
fn store(replication: &str, writes: f64) -> String {
    format!(
        "name: store
topology: topology.yaml
seed: 3
duration: 30s
warmup: 2s
keys: {{count: 1000, popularity: uniform, writes: {writes}}}
services:
  - name: store
    regions: [hub, a, b, c, d]
    workers: 1000
    queue_capacity: 1000
    service_time: {{dist: constant, value: 1us}}
    replication: {replication}
clients:
  - {{name: app, service: store, region: hub, rate_rps: 200, timeout: 2s, access_rtt_ms: 0}}
"
    )
}

fn group<'a>(summary: &'a Summary, service: &str) -> &'a ReplicationSummary {
    &summary.data.as_ref().expect("a scenario with keys").replication[service]
}

/// A write waits for W acknowledgements, the coordinator's own included, so its latency is the
/// (W − 1)-th smallest round trip to the others: 0, 10, 30, 50, 70 ms for W = 1..5. A read
/// asking R replicas waits the same way for the R-th.
#[test]
fn a_quorum_waits_for_the_w_th_fastest_replica() {
    let round_trips = [0.0, 10.0, 30.0, 50.0, 70.0];
    for w in 1..=5 {
        let (_, summary) = run("quorum-write", STAR, &store(&format!("{{mode: multi-leader, quorum: {{w: {w}, r: 1}}}}"), 1.0));
        let p50 = summary.latency_ms.p50.expect("writes succeeded");
        let expected = round_trips[w - 1];
        assert!((p50 - expected).abs() < 0.1 + expected * 0.002, "W = {w}: p50 {p50} ms, expected {expected} ms");
        assert_eq!(summary.availability, Some(1.0));
    }
    for r in [2, 4] {
        let (_, summary) = run("quorum-read", STAR, &store(&format!("{{mode: multi-leader, quorum: {{w: 1, r: {r}}}}}"), 0.0));
        let p50 = summary.latency_ms.p50.expect("reads succeeded");
        let expected = round_trips[r - 1];
        assert!((p50 - expected).abs() < 0.1 + expected * 0.002, "R = {r}: p50 {p50} ms, expected {expected} ms");
        assert_eq!(group(&summary, "store").reads_served, summary.requests.succeeded);
    }
}

/// With fewer replicas reachable than W (two of five partitioned away, W = 4), a strict quorum
/// fails the writes after its timeout; a sloppy one accepts them, late.
#[test]
fn a_quorum_short_of_replicas_fails_or_accepts_as_chosen() {
    let partition = "faults:\n  - {kind: partition, from: [hub], to: [c, d], at: +0s}\n";
    for (choice, succeeded) in [("fail", false), ("accept", true)] {
        let replication = format!("{{mode: multi-leader, quorum: {{w: 4, r: 1}}, ack_timeout: 500ms, on_missing_acks: {choice}}}");
        let (_, summary) = run("quorum-short", STAR, &format!("{}{partition}", store(&replication, 1.0)));
        let member = &group(&summary, "store").members["hub"];
        if succeeded {
            assert_eq!(summary.availability, Some(1.0));
            assert!(member.counts.sloppy_writes > 4_000, "{}", member.counts.sloppy_writes);
            let p50 = summary.latency_ms.p50.expect("accepted");
            assert!((500.0..=600.0).contains(&p50), "accepted after the 500 ms timeout (checked every 100 ms): {p50}");
        } else {
            assert_eq!(summary.availability, Some(0.0));
            assert_eq!(member.counts.ack_failures, summary.requests.attempted);
        }
    }
}

/// A leader-follower store in `hub` and `a` (5 ms apart), with `replication` settings after
/// its mode and leader, and clients in `clients` each sending `rate` requests a second, a share
/// `writes` of them writes.
fn pair(rate: u32, writes: f64, replication: &str, clients: &str) -> String {
    format!(
        "name: pair
topology: topology.yaml
seed: 8
duration: 20s
warmup: 0s
keys: {{count: 100, popularity: uniform, writes: {writes}}}
services:
  - name: db
    regions: [hub, a]
    workers: 1000
    queue_capacity: 1000
    service_time: {{dist: constant, value: 1us}}
    replication: {{mode: leader-follower, leader: hub, {replication}}}
clients:
  - {{name: app, service: db, regions: [{clients}], rate_rps: {rate}, timeout: 2s, access_rtt_ms: 0}}
"
    )
}

/// The leader in `hub` takes `rate` writes a second and the follower applies one per `apply`.
fn follower(rate: u32, apply: &str) -> String {
    pair(rate, 1.0, &format!("apply_time: {apply}"), "hub")
}

/// Below its capacity a follower lags by the link (5 ms) plus one apply time. Above it, write n
/// (committed at n/λ) is applied at n·a, so at time T the lag is T·(1 − 1/(λ·a)): half of T
/// for λ = 2,000/s and a = 1 ms. The run ends at 22 s (arrivals plus the 2 s timeout).
#[test]
fn a_follower_slower_than_the_writes_falls_behind_linearly() {
    let (_, summary) = run("lag-ok", STAR, &follower(500, "100us"));
    let lag = &group(&summary, "db").members["a"].lag_ms;
    let p99 = lag.p99.expect("applied");
    assert!((5.1..5.3).contains(&p99), "5 ms link + 0.1 ms apply (+ a short queue): {p99}");

    let (result, summary) = run("lag-behind", STAR, &follower(2_000, "1ms"));
    let member = &group(&summary, "db").members["a"];
    let max = member.lag_ms.max.expect("applied") / 1e3;
    assert!((max - 11.0).abs() < 0.3, "22 s × (1 − 1/2) = 11 s behind, got {max:.2} s");
    assert!(member.counts.apply_queue_max > 15_000, "the backlog grew to ~20,000: {}", member.counts.apply_queue_max);
    // Over time (states.csv): the follower's staleness is T/2 at every window's end.
    for at_s in [10, 20] {
        let staleness_s = sampled(&result, 1, "replica_staleness_us", at_s) as f64 / 1e6;
        let expected = at_s as f64 / 2.0;
        assert!((staleness_s - expected).abs() < 0.05 * expected, "at {at_s} s: {staleness_s:.2} s, expected {expected} s");
    }
}

/// A server's sampled count `state` at the end of the window ending at `at_s`.
fn sampled(result: &planetsim::sim::RunResult, server: u32, state: &str, at_s: u64) -> u64 {
    use planetsim::metrics::{StateValue, Subject};
    let at = planetsim::kernel::SimTime::ZERO + planetsim::kernel::SimDuration::from_secs(at_s);
    let sample = result.planet.recorder.states.iter().find(|s| s.time == at && s.subject == Subject::Server(server) && s.state == state);
    match sample.map(|s| s.value) {
        Some(StateValue::Count(count)) => count,
        other => panic!("no count {state} of server {server} at {at_s} s: {other:?}"),
    }
}

/// Reads at the leader: a client in `a` pays the 10 ms round trip to `hub` for everything.
/// Local reads: its reads take no time and only its writes pay the trip.
#[test]
fn a_follower_forwards_writes_and_reads_at_the_leader_to_it() {
    let (_, summary) = run("reads-leader", STAR, &pair(200, 0.3, "reads: leader", "a"));
    let p50 = summary.latency_ms.p50.expect("served");
    assert!((p50 - 10.0).abs() < 0.1, "a → hub → a: {p50}");
    let follower = &group(&summary, "db").members["a"];
    assert_eq!(follower.counts.forwarded_writes + follower.counts.forwarded_reads, summary.requests.attempted);
    assert_eq!((follower.counts.reads, follower.counts.commits), (0, 0));
    let server = &summary.servers["a"];
    assert_eq!((server.forwarded, server.served), (summary.requests.attempted, 0), "the server's counts agree");

    let (_, summary) = run("reads-local", STAR, &pair(200, 0.3, "reads: local", "a"));
    let (p50, p90) = (summary.latency_ms.p50.expect("served"), summary.latency_ms.p90.expect("served"));
    assert!(p50 < 0.1, "70 % of requests are local reads: {p50}");
    assert!((p90 - 10.0).abs() < 0.1, "writes go to the leader: {p90}");
    let follower = &group(&summary, "db").members["a"];
    assert_eq!(follower.counts.forwarded_reads, 0);
    assert_eq!(follower.counts.reads + follower.counts.forwarded_writes, summary.requests.attempted);
}

/// An operator moves the leader from `hub` to `a` at 10 s: from then on `hub` forwards its
/// clients' writes to `a`, and the change is in the events and the states.
#[test]
fn an_operator_promotes_a_follower_at_a_set_time() {
    let (result, summary) = run("manual", STAR, &pair(200, 1.0, "failover: {at: +10s, to: a}", "hub"));
    let db = group(&summary, "db");
    let [failover] = &db.failovers[..] else { panic!("one failover") };
    assert!(failover.manual);
    assert_eq!((failover.from.as_str(), failover.to.as_str(), failover.decided_s), ("hub", "a", 10.0));
    assert_eq!(db.leader_at_end.as_deref(), Some("a"));
    let (hub, a) = (&db.members["hub"], &db.members["a"]);
    // ~200 writes a second on each side of the switch.
    assert!((1_800..=2_200).contains(&hub.counts.forwarded_writes), "{}", hub.counts.forwarded_writes);
    assert!((1_800..=2_200).contains(&a.counts.commits), "{}", a.counts.commits);
    assert_eq!(summary.availability, Some(1.0));
    let events: Vec<_> = result.planet.recorder.events.iter().map(|e| (e.event, e.subject.as_str())).collect();
    assert!(events.contains(&("failover-manual", "replication")), "{events:?}");
    assert!(events.contains(&("leader-promoted", "a")) && events.contains(&("leader-demoted", "hub")), "{events:?}");
    let role = |server: u32| {
        let last = result
            .planet
            .recorder
            .states
            .iter()
            .rev()
            .find(|s| s.subject == planetsim::metrics::Subject::Server(server) && s.state == "replica_role");
        last.map(|s| s.value)
    };
    assert_eq!(role(1), Some(planetsim::metrics::StateValue::Word("leader")));
    assert_eq!(role(0), Some(planetsim::metrics::StateValue::Word("follower")));
}

/// `scenarios/leader-failover.yaml`: Virginia, the leader, is cut off at 120 s; its clients
/// write 300 times a second. Asynchronous, it acknowledges them alone until its 5 s lease runs
/// out (~4-5 s after the last ping): about 1,200-1,500 acknowledged writes that the promoted
/// follower never receives. Semi-synchronous, none of them could be acknowledged: nothing is
/// lost. Without fencing, Virginia takes writes for the whole 3-minute partition: ~50,000
/// split-brain writes, lost when it learns it was deposed.
#[test]
fn a_failover_loses_acknowledged_writes_only_under_asynchronous_replication() {
    let summary = bundled("scenarios/leader-failover.yaml", "async");
    let orders = group(&summary, "orders");
    let [failover] = &orders.failovers[..] else { panic!("one failover: {:?}", orders.failovers.len()) };
    assert_eq!((failover.from.as_str(), failover.to.as_str(), orders.leader_at_end.as_deref()), ("virginia", "oregon", Some("oregon")));
    assert!((1_000..=1_600).contains(&failover.lost_writes), "~300/s for ~4.5 s: {}", failover.lost_writes);
    assert!((3.5..=5.0).contains(&failover.rpo_s), "about the lease: {}", failover.rpo_s);
    // Silent since ~120 s, detected 10 s later, promoted 5 s after the ping reaches Oregon.
    let rto = failover.rto_s.expect("the new leader took writes");
    assert!((15.0..17.5).contains(&rto), "10 s detection + 5 s promotion (+ a heartbeat): {rto}");
    assert_eq!(failover.split_brain_writes, 0, "fenced by its lease");
    assert!(orders.members["virginia"].counts.refused_writes > 40_000, "Virginia refuses writes once fenced");
    // The partition counts as detected when the manager decides the failover.
    let partition = &summary.faults[0];
    let detected = partition.time_to_detect_s.expect("the failover detected it");
    assert!((10.0..=11.0).contains(&detected), "{detected}");
    assert!(partition.detected_by.as_deref().is_some_and(|d| d.starts_with("failover-detected")), "{:?}", partition.detected_by);

    let summary = bundled("scenarios/leader-failover.yaml", "semi-sync");
    let failover = &group(&summary, "orders").failovers[0];
    assert_eq!((failover.lost_writes, failover.split_brain_writes), (0, 0));
    assert!(failover.discarded_writes > 0, "Virginia committed writes it could not acknowledge");

    let summary = bundled("scenarios/leader-failover.yaml", "no-fencing");
    let failover = &group(&summary, "orders").failovers[0];
    assert!((45_000..=56_000).contains(&failover.split_brain_writes), "~300/s for ~170 s: {}", failover.split_brain_writes);
    assert!(failover.demoted_s.expect("demoted at the heal") >= 300.0);
}

/// `scenarios/flash-sale-partition.yaml`: 60,000 units, 200 purchases a second in each of two
/// regions, partitioned from 120 s to 360 s. About 48,000 are sold before; then each side sells
/// the 12,000 it thinks are left: ~12,000 oversold. Under a lock in Virginia nothing is
/// oversold, and Frankfurt's purchases fail while it cannot reach the lock.
#[test]
fn a_partitioned_active_active_pair_oversells_unless_a_lock_decides() {
    let summary = bundled("scenarios/flash-sale-partition.yaml", "no-lock");
    let stock = summary.data.as_ref().unwrap().stock.as_ref().expect("a stock");
    assert!((10_000..=14_000).contains(&stock.oversold), "{}", stock.oversold);
    assert_eq!(stock.sold, 60_000 + stock.oversold);
    assert!(stock.sold_out_answers > 50_000, "buyers were told it sold out: {}", stock.sold_out_answers);
    assert_eq!(summary.availability, Some(1.0), "both sides kept answering");
    // The streams resumed after the heal: each side applied every write the other made.
    let shop = group(&summary, "shop");
    let (virginia, frankfurt) = (&shop.members["virginia"], &shop.members["frankfurt"]);
    assert_eq!((virginia.counts.applied, frankfurt.counts.applied), (frankfurt.counts.commits, virginia.counts.commits));

    let summary = bundled("scenarios/flash-sale-partition.yaml", "global-lock");
    let stock = summary.data.as_ref().unwrap().stock.as_ref().expect("a stock");
    assert_eq!((stock.sold, stock.oversold), (60_000, 0));
    let frankfurt = &summary.regions["frankfurt"];
    assert!(frankfurt.requests.succeeded < frankfurt.requests.attempted * 3 / 4, "Frankfurt lost its purchases in the partition");
}

/// Two writers 70 ms apart (round trip) each write the same key 20 times a second (about one
/// write per one-way trip, where concurrency is most frequent). A write is concurrent with the
/// other side's writes of the last one-way trip; where one overwrites the other's current
/// write unseen, last-writer-wins loses an update, and a resolver queues the conflict instead
/// (at 500 ms each, slower than conflicts come, so its queue grows).
#[test]
fn concurrent_writes_are_lost_under_last_writer_wins_or_queue_for_a_resolver() {
    let scenario = |conflicts: &str| {
        format!(
            "name: conflicts
topology: topology.yaml
seed: 4
duration: 60s
warmup: 0s
keys: {{count: 1, writes: 1.0}}
services:
  - name: kv
    regions: [hub, d]
    workers: 100
    queue_capacity: 100
    service_time: {{dist: constant, value: 1us}}
    replication: {{mode: multi-leader, {conflicts}}}
clients:
  - {{name: app, service: kv, regions: [hub, d], rate_rps: 20, timeout: 2s, access_rtt_ms: 0}}
"
        )
    };
    let (_, summary) = run("lww", STAR, &scenario("conflicts: last-writer-wins"));
    let kv = group(&summary, "kv");
    assert!(kv.conflicts > 100, "{}", kv.conflicts);
    assert_eq!(kv.lost_updates, kv.conflicts);
    let (_, summary) = run("resolver", STAR, &scenario("conflicts: resolver, resolve_time: 500ms"));
    let kv = group(&summary, "kv");
    assert_eq!(kv.lost_updates, 0);
    let resolved: u64 = kv.members.values().map(|m| m.counts.resolved).sum();
    let queued = kv.members.values().map(|m| m.counts.resolver_queue_max).max().unwrap();
    assert!(kv.conflicts > 100 && resolved <= kv.conflicts, "{} conflicts, {resolved} resolved", kv.conflicts);
    assert!(queued > 10, "conflicts come faster than 2 a second: the resolver's queue grows ({queued})");
}

/// A follower behind its bound refuses reads, or sends them to the leader.
#[test]
fn a_bounded_staleness_read_refuses_or_redirects_when_the_replica_lags() {
    for (on_stale, refused) in [("refuse", true), ("redirect", false)] {
        let replication = format!("apply_time: 1ms, max_staleness: 1s, on_stale: {on_stale}");
        let scenario = pair(2_000, 0.5, &replication, "hub, a");
        // 2,000 writes a second against a follower that applies 1,000: it is over 1 s behind
        // after about 2 s, and stays so.
        let (_, summary) = run("bounded", STAR, &scenario);
        let follower = &group(&summary, "db").members["a"];
        let reads_at_follower = summary.regions["a"].requests.attempted / 2;
        if refused {
            assert!(
                follower.counts.refused_stale > reads_at_follower * 8 / 10,
                "{} of ~{reads_at_follower}",
                follower.counts.refused_stale
            );
            assert_eq!(follower.counts.redirected_stale, 0);
        } else {
            assert!(follower.counts.redirected_stale > reads_at_follower * 8 / 10, "{}", follower.counts.redirected_stale);
            assert_eq!(follower.counts.refused_stale, 0);
            // Checked as the read arrives, recorded as it is served 1 µs later, kept to three
            // significant digits.
            let max = follower.read_staleness_ms.max.expect("some reads served");
            assert!(max <= 1_001.0, "no read is served staler than the bound: {max}");
        }
    }
}

#[test]
fn bad_replication_settings_get_located_errors() {
    let error = load_error("w-above-n", STAR, &store("{mode: multi-leader, quorum: {w: 6, r: 1}}", 1.0));
    assert!(error.contains("scenario.yaml:13:") && error.contains("replication.quorum.w"), "{error}");
    assert!(error.contains("a write cannot wait for 6 replicas out of 5"), "{error}");

    let error = load_error("unknown-leader", STAR, &follower(10, "1ms").replace("leader: hub", "leader: hbu"));
    assert!(error.contains("unknown region `hbu`") && error.contains("did you mean `hub`"), "{error}");

    let error = load_error("no-replica", STAR, &follower(10, "1ms").replace("leader: hub", "leader: d"));
    assert!(error.contains("`d` holds no replica of service `db`") && error.contains("hub, a"), "{error}");

    let error = load_error("one-region", STAR, &follower(10, "1ms").replace("regions: [hub, a]", "regions: [hub]"));
    assert!(error.contains("a single replica replicates nothing"), "{error}");

    let error = load_error("lock-no-stock", STAR, &store("{mode: multi-leader, lock: hub}", 1.0));
    assert!(error.contains("a lock guards stock"), "{error}");

    let cached = store("{mode: multi-leader}", 1.0).replace("    replication:", "    cache: {capacity: 10}\n    replication:");
    let error = load_error("cache-and-replicas", STAR, &cached);
    assert!(error.contains("service `store` has both a cache and replicas"), "{error}");

    let unsold = store("{mode: multi-leader}", 1.0)
        .replace("writes: 1}", "writes: 1, stock: {keys: 1, units: 5}}")
        .replace("    replication: {mode: multi-leader}\n", "");
    let error = load_error("stock-alone", STAR, &unsold);
    assert!(error.contains("keys.stock") && error.contains("no service is replicated"), "{error}");

    let error = load_error("fencing-alone", STAR, &follower(10, "1ms").replace("apply_time: 1ms", "fencing: 5s"));
    assert!(error.contains("fencing is a lease the failover manager renews"), "{error}");
}
