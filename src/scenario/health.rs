//! Validation of `health_checks:` and `dns:`.

use super::checks::{duration, whole};
use super::diagnostic::Problems;
use super::files::{DnsFile, HealthChecksFile, ProbeKindFile, S};
use super::validate::region;
use crate::actors::health::{HealthPolicy, ProbeKind};
use crate::actors::router::DnsCaching;
use crate::world::{RegionId, Topology};

pub const DEFAULT_UNHEALTHY_AFTER: u32 = 3;
pub const DEFAULT_HEALTHY_AFTER: u32 = 2;

/// A count of probe results, 1 to 1000, or `default`.
fn count(problems: &mut Problems, value: &Option<S<i64>>, key: &str, default: u32) -> Option<u32> {
    value.as_ref().map_or(Some(default), |v| whole(problems, v, key, 1, 1000))
}

/// `client_regions` are the default vantages: health is judged from where the clients are.
pub fn health_checks(
    problems: &mut Problems,
    file: &HealthChecksFile,
    topology: &Topology,
    client_regions: &[RegionId],
) -> Option<HealthPolicy> {
    let interval = duration(problems, &file.interval, "health_checks.interval");
    let timeout = duration(problems, &file.timeout, "health_checks.timeout");
    if let (Some(interval), Some(timeout)) = (interval, timeout)
        && (timeout.0 == 0 || timeout >= interval)
    {
        problems
            .on(&file.timeout, "health_checks.timeout", "a probe's timeout must be longer than zero and shorter than the interval")
            .expected(format!("less than {interval}"));
    }
    let unhealthy_after = count(problems, &file.unhealthy_after, "health_checks.unhealthy_after", DEFAULT_UNHEALTHY_AFTER);
    let healthy_after = count(problems, &file.healthy_after, "health_checks.healthy_after", DEFAULT_HEALTHY_AFTER);
    let kind = match file.kind.as_ref().map_or(ProbeKindFile::Shallow, |k| k.value) {
        ProbeKindFile::Shallow => ProbeKind::Shallow,
        ProbeKindFile::Deep => ProbeKind::Deep,
    };
    let mut vantages: Vec<RegionId> = if file.from.is_empty() {
        client_regions.to_vec()
    } else {
        file.from.iter().enumerate().filter_map(|(i, name)| region(problems, topology, name, &format!("health_checks.from[{i}]"))).collect()
    };
    vantages.sort();
    vantages.dedup();
    Some(HealthPolicy {
        interval: interval?,
        timeout: timeout?,
        unhealthy_after: unhealthy_after?,
        healthy_after: healthy_after?,
        kind,
        vantages,
    })
}

pub fn dns(problems: &mut Problems, file: Option<&DnsFile>) -> DnsCaching {
    let Some(file) = file else { return DnsCaching::DEFAULT };
    let ttl = file.ttl.as_ref().and_then(|t| duration(problems, t, "dns.ttl")).unwrap_or(DnsCaching::DEFAULT.ttl);
    let stale_share = file.stale_share.as_ref().map_or(0.0, |s| {
        if !(0.0..=1.0).contains(&s.value) {
            problems.on(s, "dns.stale_share", format!("{} is not a share", s.value)).expected("a number from 0 to 1");
        }
        s.value
    });
    let stale_for = file.stale_for.as_ref().and_then(|t| duration(problems, t, "dns.stale_for")).unwrap_or_default();
    if stale_share > 0.0
        && file.stale_for.is_none()
        && let Some(share) = &file.stale_share
    {
        problems
            .on(share, "dns.stale_for", "stale clients need to know how long they keep stale answers")
            .expected("`stale_for: 10m`, say");
    }
    DnsCaching { ttl, stale_share, stale_for }
}
