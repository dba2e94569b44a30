//! Validation of each service's `replication:`: its topology (leader-follower or multi-leader),
//! acknowledgements and quorums, reads, staleness bounds, conflicts, the stock lock, failover and
//! leader placement (in `placement`).

use super::checks::{duration_or, optional, positive_duration, positive_duration_or, whole};
use super::diagnostic::{Problems, did_you_mean};
use super::faults::{FaultContext, run_instant};
use super::files::{
    AcksFile, ConflictsFile, FailoverFile, OnMissingAcksFile, OnStaleFile, ReadsFile, ReplicationFile, ReplicationModeFile, S, ServiceFile,
};
use crate::data::keys::KeySpace;
use crate::data::replica::{
    Conflicts, FailoverPlan, Member, OnStale, ReadFrom, ReplicationPolicy, StalenessBound, Topology as ReplicaTopology,
};
use crate::kernel::SimDuration;
use crate::world::RegionId;

/// Each replica keeps a version (16 bytes) of every key; their total over every replica is
/// bounded so a scenario cannot exhaust memory.
const MAX_VERSION_ENTRIES: u64 = 200_000_000;

/// Each service's replication (by index of `specs`), stated on one of its entries.
pub fn replications(
    problems: &mut Problems,
    services: &[ServiceFile],
    keys: Option<&KeySpace>,
    context: &FaultContext,
) -> Vec<Option<ReplicationPolicy>> {
    let specs = context.service_specs;
    let mut policies = vec![None; specs.len()];
    for (index, which, file) in super::services::stated_once(problems, services, specs, "replication", |s| s.replication.as_ref()) {
        let key = format!("services[{index}].replication");
        let name = specs[which].name.as_str();
        let regions: Vec<RegionId> = context.services.iter().filter(|s| s.service as usize == which).map(|s| s.region).collect();
        if regions.len() < 2 {
            problems
                .on(file, &key, format!("service `{name}` has one region: a single replica replicates nothing"))
                .expected("a service in at least two regions (`regions: [...]`)");
            continue;
        }
        if services.iter().any(|s| s.cache.is_some() && super::services::name_of(s) == name) {
            problems
                .on(file, &key, format!("service `{name}` has both a cache and replicas"))
                .expected("the cache on a service in front of the replicated one (a tier that calls it)");
            continue;
        }
        let group = Group { name, regions: &regions, key: &key, context };
        policies[which] = replication(problems, &file.value, &group, keys);
    }
    policies
}

/// A replicated service as validation sees it.
pub(super) struct Group<'a> {
    name: &'a str,
    /// Its members' regions, in member order.
    regions: &'a [RegionId],
    pub(super) key: &'a str,
    pub(super) context: &'a FaultContext<'a>,
}

impl Group<'_> {
    pub(super) fn members(&self) -> u16 {
        self.regions.len() as u16
    }

    /// The member in the named region, with a located error when the name is not a region or
    /// not one of the service's.
    pub(super) fn member(&self, problems: &mut Problems, name: &S<String>, key: &str) -> Option<Member> {
        let topology = self.context.topology;
        let region = super::validate::region(problems, topology, name, key)?;
        let found = self.regions.iter().position(|&r| r == region);
        if found.is_none() {
            let holders: Vec<&str> = self.regions.iter().map(|&r| topology.region(r).id.as_str()).collect();
            problems
                .on(name, key, format!("`{}` holds no replica of service `{}`", name.value, self.name))
                .expected(format!("one of its regions: {}", holders.join(", ")))
                .suggest(did_you_mean(&name.value, holders.iter().copied()));
        }
        found.map(|m| m as Member)
    }
}

fn replication(problems: &mut Problems, file: &ReplicationFile, group: &Group, keys: Option<&KeySpace>) -> Option<ReplicationPolicy> {
    let key = group.key;
    let topology = match file.mode.value {
        ReplicationModeFile::LeaderFollower => ReplicaTopology::LeaderFollower,
        ReplicationModeFile::MultiLeader => ReplicaTopology::MultiLeader,
    };
    let leader = leader(problems, file, group, topology);
    let (write_acks, reads) = acks_and_reads(problems, file, group, topology);
    let bound = staleness_bound(problems, file, key, topology);
    let apply_time = positive_duration_or(problems, &file.apply_time, &format!("{key}.apply_time"), SimDuration::from_micros(100));
    let heartbeat = positive_duration_or(problems, &file.heartbeat, &format!("{key}.heartbeat"), SimDuration::from_millis(100));
    let retry = positive_duration_or(problems, &file.retry, &format!("{key}.retry"), SimDuration::from_secs(1));
    let ack_timeout = positive_duration_or(problems, &file.ack_timeout, &format!("{key}.ack_timeout"), SimDuration::from_secs(1));
    let accept_missing_acks = file.on_missing_acks.as_ref().is_some_and(|m| m.value == OnMissingAcksFile::Accept);
    let conflicts = conflicts(problems, file, key, topology);
    let lock = lock(problems, file, group, topology, keys);
    let (failover, promote) = failover(problems, file, group, topology, leader);
    let placement = placement(problems, file, group, topology, keys);
    let fencing = file.fencing.as_ref().map(|f| positive_duration(problems, f, &format!("{key}.fencing")));
    if let (Some(fencing), None) = (&file.fencing, &file.failover) {
        problems
            .on(fencing, format!("{key}.fencing"), "fencing is a lease the failover manager renews")
            .expected("a `failover:` with a manager, or no `fencing`");
    }
    let versions = u64::from(keys.map_or(0, |k| k.key_count())) * u64::from(group.members());
    if versions > MAX_VERSION_ENTRIES {
        problems
            .on(&file.mode, format!("{key}.mode"), format!("{versions} key versions across {} replicas", group.members()))
            .expected(format!("at most {MAX_VERSION_ENTRIES} (fewer keys or fewer regions)"));
    }
    Some(ReplicationPolicy {
        topology,
        leader: leader?,
        members: group.members(),
        write_acks: write_acks?,
        reads: reads?,
        bound: bound?,
        apply_time: apply_time?,
        heartbeat: heartbeat?,
        retry: retry?,
        ack_timeout: ack_timeout?,
        accept_missing_acks,
        conflicts: conflicts?,
        lock: lock?,
        fencing: optional(fencing)?,
        promote: promote?,
        failover: failover?,
        stock: keys.and_then(|k| k.stock),
        placement: placement?,
    })
}

/// The first leader: required for leader-follower without placement, refused otherwise.
fn leader(problems: &mut Problems, file: &ReplicationFile, group: &Group, topology: ReplicaTopology) -> Option<Member> {
    let key = format!("{}.leader", group.key);
    if file.placement.is_some() && topology == ReplicaTopology::LeaderFollower {
        if let Some(name) = &file.leader {
            problems
                .on(name, &key, "with placement, each key range has its own leader")
                .expected("remove `leader` (`placement.leaders` says who leads what)");
            return None;
        }
        return Some(0);
    }
    match (&file.leader, topology) {
        (Some(name), ReplicaTopology::LeaderFollower) => group.member(problems, name, &key),
        (None, ReplicaTopology::LeaderFollower) => {
            problems.on(&file.mode, &key, "a leader-follower service needs its first leader").expected("`leader: <region>`");
            None
        }
        (Some(name), ReplicaTopology::MultiLeader) => {
            problems.on(name, &key, "every replica of a multi-leader service leads").expected("remove `leader`");
            None
        }
        (None, ReplicaTopology::MultiLeader) => Some(0),
    }
}

/// The acknowledgements a write waits for and where reads go: `acks` and `reads`, or a
/// `quorum` (W and R) for both.
fn acks_and_reads(
    problems: &mut Problems,
    file: &ReplicationFile,
    group: &Group,
    topology: ReplicaTopology,
) -> (Option<u16>, Option<ReadFrom>) {
    let (key, n) = (group.key, i64::from(group.members()));
    if let Some(quorum) = &file.quorum {
        if let Some(other) = file.acks.as_ref().map(|a| a.referenced).or(file.reads.as_ref().map(|r| r.referenced)) {
            problems
                .at(&other, format!("{key}.quorum"), "a quorum sets both the acknowledgements and the reads")
                .expected("`quorum` alone");
        }
        let w = quorum_size(problems, &quorum.value.w, &format!("{key}.quorum.w"), "write", n);
        let r = quorum_size(problems, &quorum.value.r, &format!("{key}.quorum.r"), "read", n);
        return (w, r.map(ReadFrom::Quorum));
    }
    let acks = match file.acks.as_ref() {
        None => Some(1),
        Some(acks) => match &acks.value {
            AcksFile::Word(word) if word == "all" => Some(group.members()),
            AcksFile::Count(count) => {
                let count = S::new(*count, acks.referenced, acks.defined);
                quorum_size(problems, &count, &format!("{key}.acks"), "write", n)
            }
            AcksFile::Word(word) => {
                problems
                    .on(acks, format!("{key}.acks"), format!("`{word}` is not a number of acknowledgements"))
                    .expected(format!("a whole number from 1 to {n}, or `all`"));
                None
            }
        },
    };
    let reads = match file.reads.as_ref().map(|r| (r, r.value)) {
        None | Some((_, ReadsFile::Local)) => Some(ReadFrom::Local),
        Some((_, ReadsFile::Leader)) if topology == ReplicaTopology::LeaderFollower => Some(ReadFrom::Leader),
        Some((reads, ReadsFile::Leader)) => {
            problems
                .on(reads, format!("{key}.reads"), "a multi-leader service has no leader to read from")
                .expected("`local`, or a `quorum`");
            None
        }
    };
    (acks, reads)
}

/// W or R of a quorum (or a number of acknowledgements): from 1 to the number of replicas.
fn quorum_size(problems: &mut Problems, value: &S<i64>, key: &str, what: &str, replicas: i64) -> Option<u16> {
    if value.value > replicas {
        problems
            .on(value, key, format!("a {what} cannot wait for {} replicas out of {replicas}", value.value))
            .expected(format!("at most the number of replicas (the service's regions), {replicas}"));
        return None;
    }
    whole::<u16>(problems, value, key, 1, replicas)
}

fn staleness_bound(
    problems: &mut Problems,
    file: &ReplicationFile,
    key: &str,
    topology: ReplicaTopology,
) -> Option<Option<StalenessBound>> {
    let on_stale = file.on_stale.as_ref().map_or(OnStale::Refuse, |o| match o.value {
        OnStaleFile::Refuse => OnStale::Refuse,
        OnStaleFile::Redirect => OnStale::Redirect,
    });
    if let Some(on) = file.on_stale.as_ref() {
        if file.max_staleness.is_none() {
            problems.on(on, format!("{key}.on_stale"), "`on_stale` needs a bound").expected("`max_staleness`");
        }
        if on_stale == OnStale::Redirect && topology == ReplicaTopology::MultiLeader {
            problems.on(on, format!("{key}.on_stale"), "a multi-leader service has no leader to redirect to").expected("`refuse`");
        }
    }
    let Some(bound) = &file.max_staleness else { return Some(None) };
    let max_lag = positive_duration(problems, bound, &format!("{key}.max_staleness"))?;
    Some(Some(StalenessBound { max_lag, on_stale }))
}

fn conflicts(problems: &mut Problems, file: &ReplicationFile, key: &str, topology: ReplicaTopology) -> Option<Conflicts> {
    let resolver = file.conflicts.as_ref().is_some_and(|c| c.value == ConflictsFile::Resolver);
    if let (Some(conflicts), ReplicaTopology::LeaderFollower) = (&file.conflicts, topology) {
        problems
            .on(conflicts, format!("{key}.conflicts"), "one leader writes one history: there are no conflicts to resolve")
            .expected("remove it, or `mode: multi-leader`");
    }
    match (&file.resolve_time, resolver) {
        (Some(time), true) => positive_duration(problems, time, &format!("{key}.resolve_time")).map(|each| Conflicts::Resolver { each }),
        (None, true) => Some(Conflicts::Resolver { each: SimDuration::from_millis(10) }),
        (Some(time), false) => {
            problems.on(time, format!("{key}.resolve_time"), "`resolve_time` applies to `conflicts: resolver` only").expected("remove it");
            None
        }
        (None, false) => Some(Conflicts::LastWriterWins),
    }
}

/// The member whose lock every purchase of a stock item takes.
fn lock(
    problems: &mut Problems,
    file: &ReplicationFile,
    group: &Group,
    topology: ReplicaTopology,
    keys: Option<&KeySpace>,
) -> Option<Option<Member>> {
    let Some(name) = &file.lock else { return Some(None) };
    let key = format!("{}.lock", group.key);
    if topology == ReplicaTopology::LeaderFollower {
        problems.on(name, &key, "the leader already decides every write").expected("remove `lock`, or `mode: multi-leader`");
        return None;
    }
    if keys.is_none_or(|k| k.stock.is_none()) {
        problems.on(name, &key, "a lock guards stock, and the scenario has none").expected("`keys.stock: {keys, units}`");
        return None;
    }
    group.member(problems, name, &key).map(Some)
}

/// Leadership split by key range: leader-follower only, and moved by order rather than by a
/// failover manager.
fn placement(
    problems: &mut Problems,
    file: &ReplicationFile,
    group: &Group,
    topology: ReplicaTopology,
    keys: Option<&KeySpace>,
) -> Option<Option<crate::data::placement::Placement>> {
    let Some(placement) = &file.placement else { return Some(None) };
    let key = format!("{}.placement", group.key);
    if topology == ReplicaTopology::MultiLeader {
        problems
            .on(placement, &key, "every replica of a multi-leader service leads every key")
            .expected("`mode: leader-follower`, or no `placement`");
        return None;
    }
    if let Some(failover) = &file.failover {
        problems
            .on(failover, format!("{}.failover", group.key), "a failover of range leaders is not modelled")
            .expected("no `failover` with `placement` (move leadership with `placement.moves`)");
        return None;
    }
    super::placement::placement(problems, placement, group, keys).map(Some)
}

/// The failover plan and the promotion time.
fn failover(
    problems: &mut Problems,
    file: &ReplicationFile,
    group: &Group,
    topology: ReplicaTopology,
    leader: Option<Member>,
) -> (Option<Option<FailoverPlan>>, Option<SimDuration>) {
    let Some(failover) = &file.failover else { return (Some(None), Some(SimDuration::ZERO)) };
    let key = format!("{}.failover", group.key);
    if topology == ReplicaTopology::MultiLeader {
        problems.on(failover, &key, "every replica of a multi-leader service already takes writes").expected("remove `failover`");
        return (None, None);
    }
    let file: &FailoverFile = &failover.value;
    let heartbeat = positive_duration_or(problems, &file.heartbeat, &format!("{key}.heartbeat"), SimDuration::from_secs(1));
    let promote = duration_or(problems, &file.promote, &format!("{key}.promote"), SimDuration::ZERO);
    let plan = failover_plan(problems, failover, group, leader, heartbeat);
    (plan.map(Some), promote)
}

fn failover_plan(
    problems: &mut Problems,
    failover: &S<FailoverFile>,
    group: &Group,
    leader: Option<Member>,
    heartbeat: Option<SimDuration>,
) -> Option<FailoverPlan> {
    let (file, context) = (&failover.value, group.context);
    let key = format!("{}.failover", group.key);
    let manager = match (&file.manager, leader) {
        (Some(name), _) => super::validate::region(problems, context.topology, name, &format!("{key}.manager")),
        (None, leader) => leader.map(|l| group.regions[usize::from(l)]),
    };
    match (&file.detect_after, &file.at, &file.to) {
        (Some(detect), None, None) => {
            let detect_after = positive_duration(problems, detect, &format!("{key}.detect_after"));
            Some(FailoverPlan::Automatic { manager: manager?, heartbeat: heartbeat?, detect_after: detect_after? })
        }
        (None, Some(at), Some(to)) => {
            let at = run_instant(problems, at, &format!("{key}.at"), context);
            let to = group.member(problems, to, &format!("{key}.to"));
            Some(FailoverPlan::Manual { manager: manager?, heartbeat: heartbeat?, at: at?, to: to? })
        }
        _ => {
            problems
                .on(failover, &key, "a failover is automatic (`detect_after`) or manual (`at` and `to`)")
                .expected("`detect_after: 10s`, or `at: +5m` with `to: <region>`");
            None
        }
    }
}
