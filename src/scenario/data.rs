//! Validation of the data layer: the scenario's `keys:` (popularity, hot keys, the share of
//! writes) and each service's `cache:`.

use super::checks::{duration_or, optional, positive_duration, positive_duration_or, share_or_zero, whole};
use super::diagnostic::Problems;
use super::faults::{FaultContext, Span, run_instant, window};
use super::files::{CacheFile, CacheWritesFile, HotKeyFile, KeysFile, PopularityFile, S, ServiceFile, StampedeFile, StockFile};
use crate::actors::messages::Op;
use crate::data::front::{CachePolicy, EarlyRefresh, Prewarm, Stampede, WritePolicy};
use crate::data::keys::{HotKey, KeyPopularity, KeySpace};
use crate::data::replica::Stock;
use crate::kernel::{SimDuration, SimTime};
use crate::sim::plan::ServiceSpec;

/// A cache larger than this is a modelling mistake (and would not fit in memory).
const MAX_CACHE_ENTRIES: i64 = 100_000_000;
/// Each cache keeps two 4-byte tables over the whole key space (its index and its fetches in
/// flight); their total over every cached server is bounded so a scenario cannot exhaust memory.
const MAX_KEY_TABLE_ENTRIES: u64 = 500_000_000;
/// A key space larger than this would not fit the dense per-key tables.
const MAX_KEYS: i64 = 100_000_000;
const _: () = assert!(MAX_KEYS <= Op::MAX_KEYS as i64);

/// The key space, or `None` (with problems recorded) when it is malformed.
pub fn key_space(problems: &mut Problems, file: &KeysFile, context: &FaultContext) -> Option<KeySpace> {
    let key_count = whole::<u32>(problems, &file.count, "keys.count", 1, MAX_KEYS);
    let kind = file.popularity.as_ref().map_or(PopularityFile::Zipf, |p| p.value);
    let irrelevant = |problems: &mut Problems, value: Option<&S<f64>>, name: &str, belongs: &str| {
        if let Some(value) = value {
            problems.on(value, format!("keys.{name}"), format!("`{name}` applies to `popularity: {belongs}` only")).expected("remove it");
        }
    };
    if kind != PopularityFile::HotSet
        && let Some(hot_keys) = &file.hot_keys
    {
        problems.on(hot_keys, "keys.hot_keys", "`hot_keys` applies to `popularity: hot-set` only").expected("remove it");
    }
    let popularity = match kind {
        PopularityFile::Zipf => {
            irrelevant(problems, file.hot_share.as_ref(), "hot_share", "hot-set");
            let s = file.exponent.as_ref().map_or(1.0, |e| e.value);
            key_count.and_then(|n| rejected(problems, KeyPopularity::zipf(n, s), file.exponent.as_ref(), &file.count, "keys.exponent"))
        }
        PopularityFile::Uniform => {
            irrelevant(problems, file.exponent.as_ref(), "exponent", "zipf");
            irrelevant(problems, file.hot_share.as_ref(), "hot_share", "hot-set");
            key_count.and_then(|n| rejected(problems, KeyPopularity::uniform(n), None, &file.count, "keys.count"))
        }
        PopularityFile::HotSet => {
            irrelevant(problems, file.exponent.as_ref(), "exponent", "zipf");
            let anchor = file.popularity.as_ref().expect("hot-set is stated");
            let (Some(hot_keys), Some(hot_share)) = (&file.hot_keys, &file.hot_share) else {
                problems.on(anchor, "keys.popularity", "a hot set needs `hot_keys` and `hot_share`").expected("both keys");
                return None;
            };
            let hot = whole::<u32>(problems, hot_keys, "keys.hot_keys", 1, MAX_KEYS)?;
            let built = key_count.map(|n| KeyPopularity::hot_set(n, hot, hot_share.value));
            built.and_then(|b| rejected(problems, b, Some(hot_share), &file.count, "keys.hot_share"))
        }
    };
    let hot = file.hot.iter().enumerate().map(|(i, h)| hot_key(problems, h, &format!("keys.hot[{i}]"), key_count, context)).collect();
    let hot: Option<Vec<HotKey>> = hot;
    let writes = file.writes.as_ref().map_or(Some(0.0), |w| share_or_zero(problems, w, "keys.writes"));
    let stock = file.stock.as_ref().map(|s| stock(problems, s, key_count));
    Some(KeySpace { popularity: popularity?, hot: hot?, writes: writes?, stock: optional(stock)? })
}

fn stock(problems: &mut Problems, file: &S<StockFile>, key_count: Option<u32>) -> Option<Stock> {
    let keys = whole::<u32>(problems, &file.value.keys, "keys.stock.keys", 1, i64::from(key_count.unwrap_or(1)));
    let units = whole::<u32>(problems, &file.value.units, "keys.stock.units", 0, i64::from(u32::MAX));
    Some(Stock { keys: keys?, units: units? })
}

/// A popularity's own check, reported at the key it concerns.
fn rejected(
    problems: &mut Problems,
    built: Result<KeyPopularity, String>,
    at: Option<&S<f64>>,
    fallback: &S<i64>,
    key: &str,
) -> Option<KeyPopularity> {
    built
        .map_err(|message| match at {
            Some(value) => problems.on(value, key, message).expected("see docs/SCENARIOS.md, `keys`"),
            None => problems.on(fallback, key, message).expected("see docs/SCENARIOS.md, `keys`"),
        })
        .ok()
}

fn hot_key(problems: &mut Problems, file: &HotKeyFile, key: &str, count: Option<u32>, context: &FaultContext) -> Option<HotKey> {
    let span = Span { at: &file.at, duration: &file.duration, until: &file.until };
    let window = window(problems, "hot key", span, key, context);
    let hot = match &file.key {
        None => Some(0),
        Some(k) => whole::<u32>(problems, k, &format!("{key}.key"), 0, i64::from(count.unwrap_or(1)) - 1),
    };
    let share = share_or_zero(problems, &file.share, &format!("{key}.share"));
    let (from, until) = window?;
    Some(HotKey { from, until: until.unwrap_or(SimTime::MAX), key: hot?, share: share? })
}

/// Each service's cache (by index of `specs`), stated on one of its entries; `keys` is the
/// scenario's key space.
pub fn caches(
    problems: &mut Problems,
    services: &[ServiceFile],
    specs: &[ServiceSpec],
    keys: Option<&KeySpace>,
    context: &FaultContext,
) -> Vec<Option<CachePolicy>> {
    let mut caches = vec![None; specs.len()];
    for (index, which, file) in super::services::stated_once(problems, services, specs, "cache", |s| s.cache.as_ref()) {
        let key = format!("services[{index}].cache");
        let Some(keys) = keys else {
            problems
                .on(file, &key, "a cache needs to know which key each request is about")
                .expected("a `keys:` section in the scenario (its count and popularity)");
            continue;
        };
        caches[which] = cache(problems, &file.value, &key, keys, context);
    }
    caches
}

fn cache(problems: &mut Problems, file: &CacheFile, key: &str, keys: &KeySpace, context: &FaultContext) -> Option<CachePolicy> {
    let capacity = if file.capacity.value == 0 {
        problems
            .on(&file.capacity, format!("{key}.capacity"), "a cache with no room holds nothing: every read would miss")
            .expected(format!("a number of entries from 1 to {MAX_CACHE_ENTRIES}, or no `cache:` at all"));
        None
    } else {
        whole::<u32>(problems, &file.capacity, &format!("{key}.capacity"), 1, MAX_CACHE_ENTRIES)
    };
    let ttl = file.ttl.as_ref().map(|t| positive_duration(problems, t, &format!("{key}.ttl")));
    let ttl_jitter = file.ttl_jitter.as_ref().map_or(Some(0.0), |j| {
        if !(0.0..1.0).contains(&j.value) {
            problems
                .on(j, format!("{key}.ttl_jitter"), format!("{} would cut some TTLs to nothing", j.value))
                .expected("a share from 0 up to (not including) 1");
            return None;
        }
        Some(j.value)
    });
    if let (Some(jitter), None) = (&file.ttl_jitter, &file.ttl) {
        problems.on(jitter, format!("{key}.ttl_jitter"), "a jitter without a `ttl` has nothing to spread").expected("a `ttl`");
    }
    let hit_latency = duration_or(problems, &file.hit_latency, &format!("{key}.hit_latency"), SimDuration::from_micros(500));
    let miss_latency = duration_or(problems, &file.miss_latency, &format!("{key}.miss_latency"), SimDuration::from_micros(500));
    let hold = positive_duration_or(problems, &file.hold, &format!("{key}.hold"), SimDuration::from_secs(2));
    let stampede = match file.stampede.as_ref().map_or(StampedeFile::None, |s| s.value) {
        StampedeFile::None => Some(Stampede::Unprotected),
        StampedeFile::Coalesce => Some(Stampede::Coalesce),
        StampedeFile::Lease => file
            .lease_retry
            .as_ref()
            .map_or(Some(SimDuration::from_millis(10)), |r| positive_duration(problems, r, &format!("{key}.lease_retry")))
            .map(|retry_after| Stampede::Lease { retry_after }),
    };
    if let Some(retry) = file.lease_retry.as_ref().filter(|_| !matches!(stampede, Some(Stampede::Lease { .. }))) {
        problems.on(retry, format!("{key}.lease_retry"), "`lease_retry` applies to `stampede: lease` only").expected("remove it");
    }
    let writes = match file.writes.as_ref().map_or(CacheWritesFile::Invalidate, |w| w.value) {
        CacheWritesFile::Invalidate => WritePolicy::Invalidate,
        CacheWritesFile::WriteThrough => WritePolicy::WriteThrough,
        CacheWritesFile::WriteBehind => WritePolicy::WriteBehind,
    };
    let early_refresh = file.early_refresh.as_ref().map(|e| early_refresh(problems, e, &format!("{key}.early_refresh")));
    if let (Some(rule), None) = (&file.early_refresh, &file.ttl) {
        problems.on(rule, format!("{key}.early_refresh"), "early refresh needs entries that expire").expected("a `ttl`");
    }
    let prewarm = file.prewarm.as_ref().map(|p| prewarm(problems, p, &format!("{key}.prewarm"), keys, context));
    if let (Some(Some(warm)), Some(capacity), Some(file)) = (&prewarm, capacity, &file.prewarm)
        && warm.keys > capacity
    {
        problems
            .on(&file.value.keys, format!("{key}.prewarm.keys"), format!("{} keys do not fit a cache of {capacity}", warm.keys))
            .expected(format!("at most the capacity, {capacity}"));
    }
    Some(CachePolicy {
        capacity: capacity?,
        ttl: optional(ttl)?,
        ttl_jitter: ttl_jitter?,
        hit_latency: hit_latency?,
        miss_latency: miss_latency?,
        writes,
        stampede: stampede?,
        hold: hold?,
        early_refresh: optional(early_refresh)?,
        prewarm: optional(prewarm)?,
    })
}

fn early_refresh(problems: &mut Problems, file: &S<super::files::EarlyRefreshFile>, key: &str) -> Option<EarlyRefresh> {
    let recompute = positive_duration(problems, &file.value.recompute, &format!("{key}.recompute"));
    let beta = match &file.value.beta {
        None => Some(1.0),
        Some(b) if b.value.is_finite() && b.value > 0.0 => Some(b.value),
        Some(b) => {
            problems
                .on(b, format!("{key}.beta"), format!("{} is not a positive number", b.value))
                .expected("a number above 0, 1 by default");
            None
        }
    };
    Some(EarlyRefresh { recompute: recompute?, beta: beta? })
}

fn prewarm(
    problems: &mut Problems,
    file: &S<super::files::PrewarmFile>,
    key: &str,
    keys: &KeySpace,
    context: &FaultContext,
) -> Option<Prewarm> {
    let at = run_instant(problems, &file.value.at, &format!("{key}.at"), context);
    let warmed = whole::<u32>(problems, &file.value.keys, &format!("{key}.keys"), 1, i64::from(keys.key_count()));
    Some(Prewarm { at: at?, keys: warmed? })
}

/// A client's share of writes: its own, or the key space's default. `has_keys`: the scenario
/// has a `keys:` section.
pub fn client_writes(problems: &mut Problems, own: Option<&S<f64>>, keys: Option<&KeySpace>, has_keys: bool, key: &str) -> Option<f64> {
    match own {
        Some(own) if !has_keys => {
            problems.on(own, format!("{key}.writes"), "writes need keys to write").expected("a `keys:` section in the scenario");
            None
        }
        Some(own) => share_or_zero(problems, own, &format!("{key}.writes")),
        None => Some(keys.map_or(0.0, |k| k.writes)),
    }
}

/// Refuses a key space too large for the caches that index it (each cached server keeps tables
/// over every key).
pub fn check_key_tables(problems: &mut Problems, file: &KeysFile, keys: &KeySpace, cached_servers: usize) {
    let entries = u64::from(keys.key_count()) * cached_servers as u64;
    if entries > MAX_KEY_TABLE_ENTRIES {
        problems
            .on(
                &file.count,
                "keys.count",
                format!("{} keys × {cached_servers} cached servers need {entries} table entries", keys.key_count()),
            )
            .expected(format!("at most {MAX_KEY_TABLE_ENTRIES} in all (about 4 GB): fewer keys or fewer cached regions"));
    }
}
