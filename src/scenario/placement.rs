//! Validation of a leader-follower service's `placement:`: its key ranges, which region leads
//! how many of them at the start, how long a move takes, and the operator's orders (drain a
//! region, or move some of its ranges to another).

use super::checks::{duration_or, whole};
use super::diagnostic::Problems;
use super::faults::run_instant;
use super::files::{MoveFile, PlacementFile, S};
use super::replication::Group;
use crate::data::keys::KeySpace;
use crate::data::placement::{MoveOrder, Movement, Placement};
use crate::data::replica::Member;
use crate::kernel::SimDuration;

/// Each replica keeps its view of every range's leader; a bound keeps that small.
const MAX_RANGES: i64 = 100_000;
/// Orders are numbered in 16 bits in the messages that carry them.
const MAX_ORDERS: usize = 10_000;

pub(super) fn placement(problems: &mut Problems, file: &S<PlacementFile>, group: &Group, keys: Option<&KeySpace>) -> Option<Placement> {
    let key = format!("{}.placement", group.key);
    let Some(keys) = keys else {
        problems
            .on(file, &key, "placement splits the keys into ranges, and the scenario has none")
            .expected("a `keys:` section (`keys: {count: 100000}`)");
        return None;
    };
    let placement = &file.value;
    let most = MAX_RANGES.min(i64::from(keys.key_count()));
    let ranges = whole::<u32>(problems, &placement.ranges, &format!("{key}.ranges"), 1, most);
    let leaders = ranges.and_then(|ranges| first_leaders(problems, placement, group, &key, ranges));
    let move_time = duration_or(problems, &placement.move_time, &format!("{key}.move_time"), SimDuration::from_secs(1));
    let parallel = placement.parallel.as_ref().map_or(Some(1), |p| whole::<u16>(problems, p, &format!("{key}.parallel"), 1, 1_000));
    if placement.moves.len() > MAX_ORDERS {
        problems
            .on(&placement.ranges, format!("{key}.moves"), format!("{} moves", placement.moves.len()))
            .expected(format!("at most {MAX_ORDERS} orders"));
        return None;
    }
    let orders: Vec<Option<MoveOrder>> =
        placement.moves.iter().enumerate().map(|(i, order)| move_order(problems, order, group, &format!("{key}.moves[{i}]"))).collect();
    Some(Placement {
        leaders: leaders?,
        move_time: move_time?,
        parallel: parallel?,
        orders: orders.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

/// Each range's first leader: `leaders` counts per region (they must add up to `ranges`), or
/// an even split, dealt in turn.
fn first_leaders(problems: &mut Problems, file: &PlacementFile, group: &Group, key: &str, ranges: u32) -> Option<Vec<Member>> {
    let members = u32::from(group.members());
    if file.leaders.is_empty() {
        let counts: Vec<u32> = (0..members).map(|m| ranges / members + u32::from(m < ranges % members)).collect();
        return Some(Placement::dealt(&counts));
    }
    let mut counts = vec![None; members as usize];
    let mut valid = true;
    for (index, share) in file.leaders.iter().enumerate() {
        let at = format!("{key}.leaders[{index}]");
        let member = group.member(problems, &share.region, &format!("{at}.region"));
        let count = whole::<u32>(problems, &share.ranges, &format!("{at}.ranges"), 0, i64::from(ranges));
        let (Some(member), Some(count)) = (member, count) else {
            valid = false;
            continue;
        };
        if counts[usize::from(member)].replace(count).is_some() {
            problems
                .on(&share.region, format!("{at}.region"), format!("`{}` is listed twice", share.region.value))
                .expected("each region once");
            valid = false;
        }
    }
    let total: u32 = counts.iter().flatten().sum();
    if valid && total != ranges {
        problems
            .on(&file.ranges, format!("{key}.leaders"), format!("the leaders' ranges add up to {total}, not {ranges}"))
            .expected(format!("counts that add up to `ranges` ({ranges}); regions left out lead none"));
        valid = false;
    }
    valid.then(|| Placement::dealt(&counts.iter().map(|c| c.unwrap_or(0)).collect::<Vec<_>>()))
}

fn move_order(problems: &mut Problems, file: &S<MoveFile>, group: &Group, key: &str) -> Option<MoveOrder> {
    let order = &file.value;
    let at = run_instant(problems, &order.at, &format!("{key}.at"), group.context);
    match (&order.drain, &order.from, &order.to) {
        (Some(drain), None, None) => {
            let from = group.member(problems, drain, &format!("{key}.drain"));
            if let Some(ranges) = &order.ranges {
                problems
                    .on(ranges, format!("{key}.ranges"), "a drain moves every range its region leads")
                    .expected("no `ranges`, or `from` and `to` to move some");
                return None;
            }
            Some(MoveOrder { at: at?, from: from?, movement: Movement::Drain })
        }
        (None, Some(from_name), Some(to_name)) => {
            let from = group.member(problems, from_name, &format!("{key}.from"));
            let to = group.member(problems, to_name, &format!("{key}.to"));
            let count =
                order.ranges.as_ref().map_or(Some(u32::MAX), |c| whole::<u32>(problems, c, &format!("{key}.ranges"), 1, MAX_RANGES));
            if from.is_some() && from == to {
                problems
                    .on(to_name, format!("{key}.to"), format!("the ranges would move from `{}` to itself", to_name.value))
                    .expected("another of the service's regions");
                return None;
            }
            Some(MoveOrder { at: at?, from: from?, movement: Movement::Ranges { to: to?, count: count? } })
        }
        _ => {
            problems
                .on(file, key, "a move drains a region, or moves ranges from one region to another")
                .expected("`drain: <region>`, or `from: <region>` and `to: <region>` (with `ranges: <count>` for some of them)");
            None
        }
    }
}
