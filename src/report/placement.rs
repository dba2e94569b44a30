//! Leader placement's results, in `data.replication.<service>.placement`: how many ranges each
//! member led at the start and at the end, and for each operator order when it started, when
//! its old leader handed off the last range and when the last new leader took it (a drain is
//! over only then), with the time ranges spent without a leader in between.

use super::summary::{at_s, round, span_s};
use crate::data::placement::{Movement, OrderRecord, Placement};
use crate::data::replica::{Member, Replica};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct PlacementSummary {
    pub ranges: u32,
    pub move_time_s: f64,
    pub parallel: u16,
    pub ranges_led_at_start: BTreeMap<String, u32>,
    /// As each member knows at the end: a range handed off and not yet taken is led by none.
    pub ranges_led_at_end: BTreeMap<String, u32>,
    pub orders: Vec<OrderSummary>,
}

#[derive(Serialize)]
pub struct OrderSummary {
    /// `drain`, or `move` (some ranges to one member).
    pub order: &'static str,
    pub from: String,
    pub to: Option<String>,
    pub at_s: f64,
    /// When the member carrying it out received it (never, if it was down).
    pub started_s: Option<f64>,
    /// Including ranges a drained member took after the order, which move on too.
    pub ranges_planned: u32,
    pub ranges_handed_off: u32,
    /// Ranges whose new leader has taken them (applied the hand-off).
    pub ranges_taken: u32,
    pub ranges_moved_to: BTreeMap<String, u32>,
    pub last_handoff_s: Option<f64>,
    /// When the last new leader took its range; `duration_s` runs from `started_s` to it.
    pub completed_s: Option<f64>,
    pub duration_s: Option<f64>,
    /// From a range's hand-off to its new leader taking it: no member takes its writes.
    pub leaderless_ms_mean: Option<f64>,
    pub leaderless_ms_max: Option<f64>,
}

/// `members` are the group's replicas in member order; `region` names a member.
pub fn summary(
    placement: &Placement,
    records: &[OrderRecord],
    members: &[&Replica],
    region: &dyn Fn(Member) -> String,
) -> PlacementSummary {
    let mut ranges_led_at_start = BTreeMap::new();
    for &leader in &placement.leaders {
        *ranges_led_at_start.entry(region(leader)).or_insert(0) += 1;
    }
    let ranges_led_at_end = members.iter().map(|r| (region(r.member), r.ranges_led().unwrap_or(0))).collect();
    let orders = placement
        .orders
        .iter()
        .zip(records)
        .enumerate()
        .map(|(index, (order, record))| {
            let planned = members[usize::from(order.from)].ranges.as_ref().map_or(0, |r| r.planned[index]);
            order_summary(order, record, planned, members, region)
        })
        .collect();
    PlacementSummary {
        ranges: placement.ranges(),
        move_time_s: span_s(placement.move_time),
        parallel: placement.parallel,
        ranges_led_at_start,
        ranges_led_at_end,
        orders,
    }
}

fn order_summary(
    order: &crate::data::placement::MoveOrder,
    record: &OrderRecord,
    planned: u32,
    members: &[&Replica],
    region: &dyn Fn(Member) -> String,
) -> OrderSummary {
    let mut ranges_moved_to = BTreeMap::new();
    let mut leaderless = Vec::new();
    let mut completed = None;
    for &(range, to, handed_off) in &record.handoffs {
        *ranges_moved_to.entry(region(to)).or_insert(0) += 1;
        let takeovers = members[usize::from(to)].ranges.as_ref().map_or(&[][..], |r| &r.takeovers[..]);
        if let Some(taken) = takeovers.iter().find(|t| t.range == range && t.handed_off == handed_off).map(|t| t.taken) {
            leaderless.push(taken.since(handed_off).as_secs_f64() * 1e3);
            completed = completed.max(Some(taken));
        }
    }
    let all_taken = planned > 0 && leaderless.len() as u32 == planned;
    let completed = completed.filter(|_| all_taken);
    let (kind, to) = match order.movement {
        Movement::Drain => ("drain", None),
        Movement::Ranges { to, .. } => ("move", Some(region(to))),
    };
    OrderSummary {
        order: kind,
        from: region(order.from),
        to,
        at_s: at_s(order.at),
        started_s: record.started.map(at_s),
        ranges_planned: planned,
        ranges_handed_off: record.handoffs.len() as u32,
        ranges_taken: leaderless.len() as u32,
        ranges_moved_to,
        last_handoff_s: record.handoffs.last().map(|&(_, _, at)| at_s(at)),
        completed_s: completed.map(at_s),
        duration_s: completed.zip(record.started).map(|(end, start)| span_s(end.since(start))),
        leaderless_ms_mean: (!leaderless.is_empty()).then(|| round(leaderless.iter().sum::<f64>() / leaderless.len() as f64, 3)),
        leaderless_ms_max: leaderless.iter().copied().reduce(f64::max).map(|m| round(m, 3)),
    }
}
