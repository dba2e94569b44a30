//! Caches in front of services, held to closed forms: the stampede of an expiring hot key (one
//! fetch per miss during the fetch time, λ·d of them, against one with coalescing or leases),
//! LRU's hit ratio against Che's approximation through the whole request path, the stale reads
//! an invalidation's trip across a link leaves behind, write-behind's lost writes, and entries
//! warmed together expiring together.

use crate::support::{SOLO_TOPOLOGY, load_error, run};
use planetsim::data::cache::che_hit_ratio;
use planetsim::data::front::{CacheFront, CacheStats};
use planetsim::data::keys::KeyPopularity;
use planetsim::report::summary;
use planetsim::sim::{self, RunResult};

/// The cache of the first server of `service` (by server label).
fn cache<'a>(result: &'a RunResult, label: &str) -> &'a CacheFront {
    let index = result.planet.server_labels.iter().position(|l| l == label).unwrap_or_else(|| panic!("no server {label}"));
    result.planet.servers[index].cache.as_deref().expect("the server has a cache")
}

fn stats<'a>(result: &'a RunResult, label: &str) -> &'a CacheStats {
    &cache(result, label).stats
}

/// One key read 1,000 times a second through a cache (TTL 10 s) in front of an origin that
/// takes exactly 100 ms.
fn hot_key(stampede: &str) -> String {
    format!(
        "name: stampede
topology: topology.yaml
seed: 5
duration: 2m
warmup: 10s
keys: {{count: 1, popularity: uniform}}
services:
  - name: front
    region: here
    workers: 10000
    queue_capacity: 0
    service_time: {{dist: constant, value: 1us}}
    calls: [{{service: origin, timeout: 5s}}]
    cache: {{capacity: 10, ttl: 10s, hit_latency: 1ms, miss_latency: 0s, {stampede}}}
  - name: origin
    region: here
    workers: 10000
    queue_capacity: 0
    service_time: {{dist: constant, value: 100ms}}
clients:
  - {{name: fans, service: front, region: here, rate_rps: 1000, timeout: 2s}}
"
    )
}

/// Unprotected, every read that misses while the key is being fetched fetches too: 1 + λ·d =
/// 101 fetches per expiry. Coalescing and leases make it exactly one; XFetch refreshes the key
/// before it expires at all.
#[test]
fn an_expiring_hot_key_stampedes_the_origin_unless_protected() {
    let (result, _) = run("stampede-none", SOLO_TOPOLOGY, &hot_key("stampede: none"));
    let s = stats(&result, "front@here");
    let per_expiry = s.fetches as f64 / s.expired as f64;
    assert!(s.expired >= 10, "the key expired every ~10 s: {}", s.expired);
    assert!((per_expiry - 101.0).abs() < 8.0, "1 + λ·d = 101 fetches per expiry, got {per_expiry:.1} ({} / {})", s.fetches, s.expired);

    let (result, summary) = run("stampede-coalesce", SOLO_TOPOLOGY, &hot_key("stampede: coalesce"));
    let s = stats(&result, "front@here");
    assert_eq!(s.fetches, s.expired, "one fetch per expiry");
    let waited = s.coalesced as f64 / s.expired as f64;
    assert!((waited - 100.0).abs() < 8.0, "λ·d = 100 reads wait per expiry, got {waited:.1}");
    assert_eq!(summary.availability, Some(1.0));
    let origin = &summary.servers["origin@here"];
    assert_eq!(origin.arrivals, s.fetches, "the origin sees exactly the fetches");

    let (result, _) = run("stampede-lease", SOLO_TOPOLOGY, &hot_key("stampede: lease, lease_retry: 10ms"));
    let s = stats(&result, "front@here");
    assert_eq!(s.fetches, s.expired, "one fetch per expiry");
    assert!(s.lease_waits as f64 / s.expired as f64 > 90.0, "the others were told to look again: {}", s.lease_waits);

    let (result, _) = run("stampede-xfetch", SOLO_TOPOLOGY, &hot_key("stampede: none, early_refresh: {recompute: 100ms, beta: 1}"));
    let s = stats(&result, "front@here");
    assert_eq!(s.expired, 0, "under load, the key is refreshed before it expires");
    assert!(s.early_refreshes >= 10, "about one early refresh per TTL: {}", s.early_refreshes);
    assert!(s.fetches < 2 * s.early_refreshes + 2, "and few fetches besides: {} fetches", s.fetches);
}

/// The hit ratio of an LRU cache under Zipf traffic, measured through the whole request path
/// (clients, router, server, cache), matches Che's approximation.
#[test]
fn the_hit_ratio_through_the_request_path_matches_che() {
    let yaml = "name: che
topology: topology.yaml
seed: 8
duration: 80s
warmup: 20s
keys: {count: 2000, popularity: zipf, exponent: 0.8}
services:
  - name: front
    region: here
    workers: 1000
    queue_capacity: 0
    service_time: {dist: constant, value: 1ms}
    cache: {capacity: 200}
clients:
  - {name: readers, service: front, region: here, rate_rps: 3000, timeout: 2s}
";
    let (result, summary) = run("che", SOLO_TOPOLOGY, yaml);
    let s = stats(&result, "here");
    let simulated = s.hits as f64 / s.lookups as f64;
    let che = che_hit_ratio(&KeyPopularity::zipf(2000, 0.8).unwrap().probabilities(), 200);
    assert!((simulated - che).abs() < 0.01, "simulated {simulated:.4} against Che {che:.4}");
    let tier = &summary.data.as_ref().expect("a data section").caches["front"];
    assert_eq!(tier.hit_ratio, Some(planetsim::report::summary::round(simulated, 6)));
    assert_eq!(tier.lookups, s.lookups);
}

/// `a` and `b` 40 ms apart one way, both with a cache in front of the data.
const PAIR: &str = "
name: pair
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: a, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: b, lat: 0, lon: 1, utc_offset_h: 0}
links:
  - {name: a-b, kind: cable, between: [a, b], latency_ms: 40}
";

/// Writes in `a` invalidate `b`'s copy d = 40 ms later: in between, `b` serves the old value.
/// The first write after a refill makes `b` stale until its invalidation arrives and `b`
/// refills from the store (which has every write by then); the next write after that starts
/// the next stale spell. With Poisson writes at λ = 10/s, stale spells of d alternate with
/// fresh ones of mean 1/λ: `b` is stale d / (d + 1/λ) = 0.286 of the time, and so are its hits.
#[test]
fn an_invalidation_crossing_a_link_leaves_stale_reads_behind_it() {
    let yaml = "name: invalidation
topology: topology.yaml
seed: 3
duration: 3m
warmup: 10s
keys: {count: 1, popularity: uniform}
services:
  - name: store
    regions: [a, b]
    workers: 100
    queue_capacity: 100
    service_time: {dist: constant, value: 100us}
    cache: {capacity: 10, hit_latency: 100us}
clients:
  - {name: writers, service: store, region: a, rate_rps: 10, timeout: 1s, writes: 1.0}
  - {name: readers, service: store, region: b, rate_rps: 2000, timeout: 1s}
";
    let (result, summary) = run("invalidation", PAIR, yaml);
    let b = stats(&result, "b");
    let stale = b.stale_hits as f64 / b.hits as f64;
    let expected = 0.04 / (0.04 + 0.1);
    assert!((stale - expected).abs() < 0.02, "stale share {stale:.3}, expected {expected:.3}");
    assert!(b.invalidations > 1500, "every write invalidates b: {}", b.invalidations);
    let data = summary.data.expect("a data section");
    assert!(data.commits > 1500 && data.writes.succeeded > 1500, "writes commit: {}", data.commits);
    assert_eq!(stats(&result, "a").stale_hits, 0, "the writer's own cache is dropped when its write completes");
}

fn write_behind(policy: &str) -> String {
    format!(
        "name: write-behind
topology: topology.yaml
seed: 4
duration: 1m
keys: {{count: 100, popularity: uniform, writes: 1.0}}
services:
  - name: store
    region: here
    workers: 100
    queue_capacity: 1000
    service_time: {{dist: constant, value: 50ms}}
    cache: {{capacity: 100, hit_latency: 1ms, writes: {policy}}}
clients:
  - {{name: writers, service: store, region: here, rate_rps: 200, timeout: 1s}}
faults:
  - {{kind: error-servers, name: store-broken, regions: [here], rate: 1.0, at: +20s, duration: 20s}}
"
    )
}

/// Write-behind answers a write as soon as the cache has it (1 ms, not the store's 50 ms), so a
/// failing store is invisible to clients: the writes it fails to take are lost instead.
#[test]
fn write_behind_answers_at_once_and_loses_the_writes_the_store_fails() {
    let (result, summary) = run("write-behind", SOLO_TOPOLOGY, &write_behind("write-behind"));
    assert_eq!(summary.availability, Some(1.0), "clients never see the store's errors");
    let p50 = summary.latency_ms.p50.unwrap();
    assert!((p50 - 1.0).abs() < 0.01, "answered after the hit latency: {p50} ms");
    let lost = stats(&result, "here").writes_lost;
    assert!((3_700..=4_300).contains(&lost), "20 s × 200 writes/s lost: {lost}");

    let (result, summary) = run("write-through", SOLO_TOPOLOGY, &write_behind("write-through"));
    let availability = summary.availability.unwrap();
    assert!((availability - 2.0 / 3.0).abs() < 0.02, "write-through: clients see the 20 s of errors: {availability}");
    let p50 = summary.latency_ms.p50.unwrap();
    assert!((p50 - 50.5).abs() < 0.1, "the store's 50 ms plus the (default) 0.5 ms miss latency: {p50}");
    assert_eq!(stats(&result, "here").writes_lost, 0);
}

/// Keys loaded together at +0 s with a 30 s TTL all expire in the 30 s window; with a TTL cut
/// by up to half at random, their expiries spread over 15–30 s.
#[test]
fn entries_warmed_together_expire_together() {
    let yaml = |jitter: &str| {
        format!(
            "name: prewarm
topology: topology.yaml
seed: 6
duration: 40s
keys: {{count: 100, popularity: uniform}}
services:
  - name: front
    region: here
    workers: 1000
    queue_capacity: 0
    service_time: {{dist: constant, value: 1ms}}
    cache: {{capacity: 100, ttl: 30s, {jitter} prewarm: {{at: +0s, keys: 100}}}}
clients:
  - {{name: readers, service: front, region: here, rate_rps: 2000, timeout: 1s}}
"
        )
    };
    let plan = crate::support::plan("prewarm", SOLO_TOPOLOGY, &yaml(""));
    let result = sim::run(&plan);
    let windows = &stats(&result, "here").windows;
    assert!(windows[..30].iter().all(|w| w.hits == w.lookups), "warm from the start: nothing misses before the TTL");
    // data.csv carries the same series, one row per window.
    let dir = crate::support::temp_dir("prewarm-csv");
    planetsim::report::write_results(&dir, &plan, &result, &summary::build(&plan, &result)).unwrap();
    let csv = std::fs::read_to_string(dir.join("data.csv")).unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some(planetsim::report::data::CSV_HEADER));
    let row_30 = rows.find(|r| r.starts_with("30,1,front,here,")).expect("a row for the 30 s window");
    let cells: Vec<&str> = row_30.split(',').collect();
    assert_eq!(cells[4..6], [windows[30].lookups.to_string(), windows[30].hits.to_string()]);
    assert_eq!(cells[7], windows[30].origin.to_string(), "origin requests in {row_30}");
    // 100 fetches, and the odd second read of a key while its fetch is in flight (no coalescing).
    assert!((100..=106).contains(&windows[30].origin), "all 100 keys expire in the same second: {}", windows[30].origin);

    let (result, _) = run("prewarm-jitter", SOLO_TOPOLOGY, &yaml("ttl_jitter: 0.5,"));
    let windows = &stats(&result, "here").windows;
    let before: u64 = windows[15..30].iter().map(|w| w.origin).sum();
    assert!(windows[..15].iter().all(|w| w.origin == 0), "no TTL is cut by more than half");
    assert!(before > 70 && windows[30].origin < 20, "expiries spread over 15–30 s: {before} before 30 s");
}

#[test]
fn bad_cache_and_key_settings_are_located_errors() {
    let base = |keys: &str, cache: &str, client: &str| {
        format!(
            "name: bad
topology: topology.yaml
duration: 1m
{keys}
services:
  - region: here
    workers: 10
    queue_capacity: 10
    service_time: {{dist: constant, value: 1ms}}
    {cache}
clients:
  - {{name: users, region: here, rate_rps: 10, timeout: 1s{client}}}
"
        )
    };
    let keys = "keys: {count: 100}";
    let error = load_error("cache-zero", SOLO_TOPOLOGY, &base(keys, "cache: {capacity: 0}", ""));
    assert!(error.contains("scenario.yaml:10:") && error.contains("services[0].cache.capacity"), "{error}");
    assert!(error.contains("no room"), "{error}");
    let error = load_error("cache-no-keys", SOLO_TOPOLOGY, &base("", "cache: {capacity: 10}", ""));
    assert!(error.contains("services[0].cache") && error.contains("`keys:`"), "{error}");
    let error = load_error("writes-no-keys", SOLO_TOPOLOGY, &base("", "", ", writes: 0.1"));
    assert!(error.contains("clients[0].writes") && error.contains("keys"), "{error}");
    let error = load_error("hot-key-range", SOLO_TOPOLOGY, &base("keys: {count: 100, hot: [{at: +1s, key: 100, share: 0.5}]}", "", ""));
    assert!(error.contains("keys.hot[0].key") && error.contains("0 to 99"), "{error}");
    let error = load_error("stampede-typo", SOLO_TOPOLOGY, &base(keys, "cache: {capacity: 10, stampede: coalesse}", ""));
    assert!(error.contains("coalesse") && error.contains("coalesce"), "{error}");
    let error = load_error("jitter-one", SOLO_TOPOLOGY, &base(keys, "cache: {capacity: 10, ttl: 1s, ttl_jitter: 1.0}", ""));
    assert!(error.contains("services[0].cache.ttl_jitter"), "{error}");
    let error = load_error("prewarm-too-many", SOLO_TOPOLOGY, &base(keys, "cache: {capacity: 10, prewarm: {at: +0s, keys: 50}}", ""));
    assert!(error.contains("services[0].cache.prewarm.keys") && error.contains("at most the capacity, 10"), "{error}");
    let error = load_error("hot-keys-zipf", SOLO_TOPOLOGY, &base("keys: {count: 100, hot_keys: 5}", "", ""));
    assert!(error.contains("keys.hot_keys") && error.contains("hot-set"), "{error}");
    let twice = base(keys, "cache: {capacity: 10}", "").replace(
        "clients:",
        "  - {region: here, workers: 1, queue_capacity: 1, service_time: {dist: constant, value: 1ms}, cache: {capacity: 5}}\nclients:",
    );
    let error = load_error("cache-twice", SOLO_TOPOLOGY, &twice);
    assert!(error.contains("error at `services[1].cache`: service `default` already has its cache at services[0]"), "{error}");
}

/// The bundled celebrity scenario, shortened to two expiries of the celebrity's page: without
/// protection the origin renders the page thousands of times per expiry and its busiest second
/// is tens of times busier; with coalescing each cache renders it once.
#[test]
fn the_celebrity_stampede_scenario_shows_what_coalescing_saves() {
    let measure = |name: &str| {
        let mut plan = crate::support::bundled_plan("scenarios/celebrity-stampede.yaml", Some(name));
        plan.duration = planetsim::kernel::SimDuration::from_secs(100);
        let result = sim::run(&plan);
        let summary = summary::build(&plan, &result);
        let feed = &summary.data.as_ref().expect("data").caches["feed"];
        (summary.servers["render@virginia"].arrivals, feed.origin_per_s_peak, summary.availability.unwrap())
    };
    let (renders, peak, availability) = measure("unprotected");
    let (renders_coalesced, peak_coalesced, availability_coalesced) = measure("coalesce");
    assert!(renders > 10 * renders_coalesced, "renders: {renders} unprotected against {renders_coalesced} coalesced");
    assert!(peak > 20.0 * peak_coalesced, "busiest second at the origin: {peak}/s against {peak_coalesced}/s");
    assert!(availability_coalesced == 1.0 && availability < 1.0, "availability {availability} against {availability_coalesced}");
}
