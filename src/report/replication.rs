//! Replicated services' results, in the `data` section of `summary.json`: per service its
//! members' lag, read staleness, forwarding, acknowledgements and conflicts, its failovers with
//! their lost writes, RPO and RTO, and the stock invariant (units sold against units there were).

use super::placement::PlacementSummary;
use super::summary::{LatencySummary, at_s, latency, round, span_s};
use crate::data::failover::FailoverRecord;
use crate::data::replica::{Conflicts, ReadFrom, Replica, ReplicaCounts, ReplicationPolicy, Topology};
use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct ReplicationSummary {
    pub mode: &'static str,
    /// Acknowledgements a write waits for, its origin's included.
    pub write_acks: u16,
    pub reads: String,
    pub conflicts_policy: &'static str,
    pub leader_at_start: Option<String>,
    pub leader_at_end: Option<String>,
    /// Over all members.
    pub reads_served: u64,
    pub stale_reads: u64,
    pub conflicts: u64,
    pub lost_updates: u64,
    pub members: BTreeMap<String, MemberSummary>,
    pub failovers: Vec<FailoverSummary>,
    /// With leadership split by key range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementSummary>,
}

#[derive(Serialize)]
pub struct MemberSummary {
    pub role_at_end: &'static str,
    #[serde(flatten)]
    pub counts: ReplicaCounts,
    /// How far behind the replica could be when it served a read (its safe time's age).
    pub read_staleness_ms: LatencySummary,
    /// Commit-to-apply lag of the writes it applied from other members.
    pub lag_ms: LatencySummary,
    pub resolve_wait_ms_mean: Option<f64>,
}

#[derive(Serialize)]
pub struct FailoverSummary {
    pub from: String,
    pub to: String,
    pub manual: bool,
    pub last_heard_s: f64,
    pub decided_s: f64,
    pub promoted_s: Option<f64>,
    pub ready_s: Option<f64>,
    /// From the old leader's last sign of life to the new leader taking writes.
    pub rto_s: Option<f64>,
    /// Acknowledged writes the new leader never received, and the span of history they cover.
    pub lost_writes: u64,
    pub rpo_s: f64,
    /// Writes committed but never acknowledged, discarded with the old leader's log.
    pub discarded_writes: u64,
    /// Writes the old leader acknowledged after the promotion (lost when it learnt of it).
    pub split_brain_writes: u64,
    pub demoted_s: Option<f64>,
}

#[derive(Serialize)]
pub struct StockSummary {
    pub items: u32,
    pub units_each: u32,
    /// Purchases confirmed to clients, over all items and the whole run.
    pub sold: u64,
    pub sold_out_answers: u64,
    /// Units sold beyond the stock, summed over items.
    pub oversold: u64,
    pub items_oversold: u32,
}

/// Per replicated service, by name.
pub fn summaries(plan: &ScenarioPlan, result: &RunResult) -> BTreeMap<String, ReplicationSummary> {
    let planet = &result.planet;
    let mut out = BTreeMap::new();
    for group in &planet.groups {
        let spec = &plan.service_specs[group.service as usize];
        let policy = spec.replication.as_ref().expect("a group is a replicated service");
        let region = |member: u16| plan.topology.region(plan.services[group.members[usize::from(member)] as usize].region).id.clone();
        let mut members = BTreeMap::new();
        let mut leader_at_end = None;
        for (member, &server) in group.members.iter().enumerate() {
            let replica = planet.servers[server as usize].replica.as_deref().expect("a member has a replica");
            if replica.role() == "leader" {
                leader_at_end = Some(region(member as u16));
            }
            members.insert(region(member as u16), member_summary(replica.role(), &replica.stats));
        }
        let failovers = group.manager.iter().flat_map(|m| &m.failovers).map(|f| failover_summary(f, &region)).collect();
        let replicas: Vec<&Replica> =
            group.members.iter().map(|&s| planet.servers[s as usize].replica.as_deref().expect("a member has a replica")).collect();
        let placement = policy.placement.as_ref().map(|p| super::placement::summary(p, &group.orders, &replicas, &region));
        let total = |field: fn(&MemberSummary) -> u64| members.values().map(field).sum();
        out.insert(
            spec.name.clone(),
            ReplicationSummary {
                mode: mode(policy),
                write_acks: policy.write_acks,
                reads: reads(policy),
                conflicts_policy: match policy.conflicts {
                    Conflicts::LastWriterWins => "last-writer-wins",
                    Conflicts::Resolver { .. } => "resolver",
                },
                leader_at_start: (policy.topology == Topology::LeaderFollower && policy.placement.is_none()).then(|| region(policy.leader)),
                leader_at_end,
                reads_served: total(|m| m.counts.reads),
                stale_reads: total(|m| m.counts.stale_reads),
                conflicts: total(|m| m.counts.conflicts),
                lost_updates: total(|m| m.counts.lost_updates),
                members,
                failovers,
                placement,
            },
        );
    }
    out
}

fn mode(policy: &ReplicationPolicy) -> &'static str {
    match policy.topology {
        Topology::LeaderFollower => "leader-follower",
        Topology::MultiLeader => "multi-leader",
    }
}

fn reads(policy: &ReplicationPolicy) -> String {
    let from = match policy.reads {
        ReadFrom::Local => "local".to_string(),
        ReadFrom::Leader => "leader".to_string(),
        ReadFrom::Quorum(r) => format!("quorum of {r}"),
    };
    match policy.bound {
        Some(bound) => format!("{from}, at most {} stale", bound.max_lag),
        None => from,
    }
}

fn member_summary(role: &'static str, s: &crate::data::replica::ReplicaStats) -> MemberSummary {
    MemberSummary {
        role_at_end: role,
        counts: s.counts,
        read_staleness_ms: latency(&s.staleness_ns),
        lag_ms: latency(&s.lag_ns),
        resolve_wait_ms_mean: (s.counts.resolved > 0).then(|| round(s.resolve_wait_ns as f64 / s.counts.resolved as f64 / 1e6, 3)),
    }
}

fn failover_summary(f: &FailoverRecord, region: &dyn Fn(u16) -> String) -> FailoverSummary {
    FailoverSummary {
        from: region(f.from),
        to: region(f.to),
        manual: f.manual,
        last_heard_s: at_s(f.last_heard),
        decided_s: at_s(f.decided_at),
        promoted_s: f.promoted_at.map(at_s),
        ready_s: f.ready_at.map(at_s),
        rto_s: f.rto().map(span_s),
        lost_writes: f.lost_writes,
        rpo_s: span_s(f.rpo),
        discarded_writes: f.discarded_writes,
        split_brain_writes: f.split_brain_writes,
        demoted_s: f.demoted_at.map(at_s),
    }
}

/// The stock invariant over every replica of every replicated service.
pub fn stock(plan: &ScenarioPlan, result: &RunResult) -> Option<StockSummary> {
    let stock = plan.keys.as_ref()?.stock?;
    let mut sold = vec![0u64; stock.keys as usize];
    let mut sold_out_answers = 0;
    for replica in result.planet.servers.iter().filter_map(|s| s.replica.as_deref()) {
        for (item, units) in replica.stats.sold.iter().enumerate() {
            sold[item] += units;
        }
        sold_out_answers += replica.stats.sold_out;
    }
    let over = |units: &u64| units.saturating_sub(u64::from(stock.units));
    Some(StockSummary {
        items: stock.keys,
        units_each: stock.units,
        sold: sold.iter().sum(),
        sold_out_answers,
        oversold: sold.iter().map(over).sum(),
        items_oversold: sold.iter().filter(|u| over(u) > 0).count() as u32,
    })
}
