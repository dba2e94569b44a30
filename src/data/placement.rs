//! Leader placement: a leader-follower group whose leadership is split by key range, as in
//! CockroachDB, Spanner or TiKV. Key `k` belongs to range `k mod ranges` (keys are dealt to
//! ranges like cards, so a Zipf popularity's hot keys spread over the ranges), and each range has
//! one leader at a time, which commits its writes and streams them to the others; every member
//! leads some ranges and follows the others.
//!
//! Moving a range's leadership takes time. An operator's order (drain a member, or move some of
//! its ranges to another) is carried out by the member that leads them, `parallel` ranges at a
//! time: each move prepares for `move_time` while the old leader still serves the range, then
//! the old leader hands off by appending a hand-off entry to its own log and stops taking the
//! range's writes. The new leader takes the range when it *applies* that entry, so only after
//! every write the old leader made before it (its log is one ordered stream): a lagging or slow
//! new leader leaves the range without a leader for longer. Other members learn of the move the
//! same way, and until they do they forward the range's writes to the old leader, which forwards
//! them on. A request forwarded twice is refused rather than sent round again (a client may
//! retry), so a write chasing a moving range costs at most two hops.
//!
//! Simplifications: a move's preparation is a fixed time (no snapshot sized by the range's data,
//! no bandwidth shared between moves); ranges are never split or merged; leadership moves only
//! by order (no automatic failover or load-based rebalancing).

use crate::data::replica::Member;
use crate::kernel::{SimDuration, SimTime};
use std::collections::VecDeque;

/// What an order moves away from its member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Every range it leads, each to the member then leading fewest.
    Drain,
    /// Up to `count` of its ranges (the lowest-numbered), to `to`.
    Ranges { to: Member, count: u32 },
}

/// An operator's order to move leadership away from `from` at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveOrder {
    pub at: SimTime,
    pub from: Member,
    pub movement: Movement,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Each range's first leader (so also how many ranges there are).
    pub leaders: Vec<Member>,
    /// How long a move prepares before the old leader hands off.
    pub move_time: SimDuration,
    /// Moves a member carries out at once.
    pub parallel: u16,
    pub orders: Vec<MoveOrder>,
}

impl Placement {
    pub fn ranges(&self) -> u32 {
        self.leaders.len() as u32
    }

    /// First leaders from each member's number of ranges: dealt in turn, one range to each
    /// member that still has some to take, so every member's ranges spread over the key space.
    pub fn dealt(counts: &[u32]) -> Vec<Member> {
        let mut left = counts.to_vec();
        let mut leaders = Vec::with_capacity(counts.iter().map(|&c| c as usize).sum());
        while left.iter().any(|&c| c > 0) {
            for (member, count) in left.iter_mut().enumerate().filter(|(_, c)| **c > 0) {
                *count -= 1;
                leaders.push(member as Member);
            }
        }
        leaders
    }
}

/// One range's move: from the member that carries it out to `to`, for order `order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub range: u32,
    pub to: Member,
    pub order: u16,
}

/// A range this member took: handed off by `from` at `handed_off`, led here from `taken`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Takeover {
    pub range: u32,
    pub from: Member,
    pub handed_off: SimTime,
    pub taken: SimTime,
}

/// What an operator's order did, for the report (its planned moves are counted by the member
/// carrying it out: `RangeLeaders::planned`).
#[derive(Clone, Debug, Default)]
pub struct OrderRecord {
    /// When the member carrying it out received it (`None`: never, it was down).
    pub started: Option<SimTime>,
    /// Each move's range, new leader and hand-off time, in hand-off order.
    pub handoffs: Vec<(u32, Member, SimTime)>,
}

/// A member's view of who leads each range, and the moves it is carrying out.
#[derive(Debug)]
pub struct RangeLeaders {
    member: Member,
    members: u16,
    /// Per range: its leader as far as this member knows.
    view: Vec<Member>,
    /// Per range: the time of the hand-off that named it. Two hand-offs of one range come in
    /// two members' streams, which may arrive in either order; the later one counts.
    named_at: Vec<SimTime>,
    /// Moves planned and not started.
    queued: VecDeque<Move>,
    /// Moves started and not handed off yet.
    preparing: Vec<Move>,
    /// The drain order in force here: ranges this member takes from now on move on too.
    draining: Option<u16>,
    /// Moves started when this member took a range while draining, not yet announced to the
    /// model (which times their preparation from its next tick).
    pub unannounced: Vec<Move>,
    /// Per order this member carries out: the moves it planned.
    pub planned: Vec<u32>,
    /// Ranges this member took, in the order it took them.
    pub takeovers: Vec<Takeover>,
}

impl RangeLeaders {
    pub fn new(placement: &Placement, member: Member, members: u16) -> Self {
        RangeLeaders {
            member,
            members,
            view: placement.leaders.clone(),
            named_at: vec![SimTime::ZERO; placement.leaders.len()],
            queued: VecDeque::new(),
            preparing: Vec::new(),
            draining: None,
            unannounced: Vec::new(),
            planned: vec![0; placement.orders.len()],
            takeovers: Vec::new(),
        }
    }

    /// The leader of `key`'s range: key k is in range k mod the number of ranges.
    #[inline]
    pub fn leader_of(&self, key: u32) -> Member {
        self.view[key as usize % self.view.len()]
    }

    /// How many ranges `member` leads, as far as this member knows.
    pub fn led_by(&self, member: Member) -> u32 {
        self.view.iter().filter(|&&m| m == member).count() as u32
    }

    /// Plans order `index` (this member is its `from`) at `now` and starts what `parallel`
    /// allows: returns the moves started now. Ranges already being moved are left out.
    pub fn order(&mut self, placement: &Placement, now: SimTime, index: u16) -> Vec<Move> {
        let order = placement.orders[usize::from(index)];
        let moving = |range: u32| self.queued.iter().chain(&self.preparing).any(|m| m.range == range);
        let mine: Vec<u32> = (0..self.view.len() as u32).filter(|&r| self.view[r as usize] == self.member && !moving(r)).collect();
        self.planned[usize::from(index)] += mine.len().min(match order.movement {
            Movement::Drain => usize::MAX,
            Movement::Ranges { count, .. } => count as usize,
        }) as u32;
        match order.movement {
            Movement::Drain => {
                self.draining = Some(index);
                let mut led: Vec<u32> = (0..self.members).map(|m| self.led_by(m)).collect();
                for range in mine {
                    let to = self.drain_target(&placement.orders, now, &led);
                    led[usize::from(to)] += 1;
                    self.queued.push_back(Move { range, to, order: index });
                }
            }
            Movement::Ranges { to, count } => {
                self.queued.extend(mine.into_iter().take(count as usize).map(|range| Move { range, to, order: index }));
            }
        }
        self.start_what_fits(placement.parallel)
    }

    /// Where a drain sends a range: the member leading fewest (`led`), the lowest on a tie,
    /// among those no drain has been ordered for by `now` (among all others if every one has).
    fn drain_target(&self, orders: &[MoveOrder], now: SimTime, led: &[u32]) -> Member {
        let drained = |m: Member| orders.iter().any(|o| o.from == m && o.movement == Movement::Drain && o.at <= now);
        let others = || (0..self.members).filter(|&m| m != self.member);
        let fewest = |m: &Member| (led[usize::from(*m)], *m);
        others().filter(|&m| !drained(m)).min_by_key(fewest).or_else(|| others().min_by_key(fewest)).expect("two members")
    }

    fn start_what_fits(&mut self, parallel: u16) -> Vec<Move> {
        let mut started = Vec::new();
        while self.preparing.len() < usize::from(parallel)
            && let Some(next) = self.queued.pop_front()
        {
            self.preparing.push(next);
            started.push(next);
        }
        started
    }

    /// This member hands `moved` off at `now`: it no longer leads the range. Returns the next
    /// move to start in its place, if any is queued.
    pub fn hand_off(&mut self, now: SimTime, moved: Move) -> Option<Move> {
        self.view[moved.range as usize] = moved.to;
        self.named_at[moved.range as usize] = now;
        self.preparing.retain(|m| *m != moved);
        let next = self.queued.pop_front()?;
        self.preparing.push(next);
        Some(next)
    }

    /// A hand-off of `range` to `to`, made at `at`, was applied here: `range` is led by `to`
    /// from now on, unless a later hand-off of it was applied first. A range this member takes
    /// while it is being drained moves on.
    pub fn learn(&mut self, placement: &Placement, range: u32, to: Member, at: SimTime, takeover: Option<Takeover>) {
        if at < self.named_at[range as usize] {
            return;
        }
        (self.view[range as usize], self.named_at[range as usize]) = (to, at);
        let Some(takeover) = takeover else { return };
        self.takeovers.push(takeover);
        if let Some(index) = self.draining {
            let led: Vec<u32> = (0..self.members).map(|m| self.led_by(m)).collect();
            let to = self.drain_target(&placement.orders, takeover.taken, &led);
            self.planned[usize::from(index)] += 1;
            self.queued.push_back(Move { range, to, order: index });
            let started = self.start_what_fits(placement.parallel);
            self.unannounced.extend(started);
        }
    }

    /// Moves still queued or preparing.
    #[cfg(test)]
    fn moves_pending(&self) -> usize {
        self.queued.len() + self.preparing.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placement(counts: &[u32], parallel: u16, orders: &[MoveOrder]) -> Placement {
        let leaders = Placement::dealt(counts);
        Placement { leaders, move_time: SimDuration::from_secs(1), parallel, orders: orders.to_vec() }
    }

    fn drain(from: Member) -> MoveOrder {
        MoveOrder { at: SimTime::ZERO, from, movement: Movement::Drain }
    }

    #[test]
    fn ranges_are_dealt_in_turn_up_to_each_members_count() {
        assert_eq!(Placement::dealt(&[2, 1, 3]), vec![0, 1, 2, 0, 2, 2]);
        assert_eq!(Placement::dealt(&[0, 2]), vec![1, 1]);
    }

    #[test]
    fn a_drain_evens_out_the_others_and_runs_parallel_moves_at_a_time() {
        // Member 1 leads 4 ranges, member 0 leads 1, member 2 leads 3: the drain gives member 0
        // three ranges and member 2 one, so both end with 4.
        let placement = placement(&[1, 4, 3], 2, &[drain(1)]);
        let mut leaders = RangeLeaders::new(&placement, 1, 3);
        let started = leaders.order(&placement, SimTime::ZERO, 0);
        assert_eq!(started.len(), 2, "two at a time");
        assert_eq!((leaders.moves_pending(), leaders.planned[0]), (4, 4));
        let mut moved = started.clone();
        let mut next = leaders.hand_off(SimTime::ZERO, started[0]);
        while let Some(m) = next {
            moved.push(m);
            next = leaders.hand_off(SimTime::ZERO, m);
        }
        assert_eq!(leaders.hand_off(SimTime::ZERO, started[1]), None);
        assert_eq!(leaders.moves_pending(), 0);
        assert_eq!(moved.iter().filter(|m| m.to == 0).count(), 3);
        assert_eq!(moved.iter().filter(|m| m.to == 2).count(), 1);
        assert_eq!((leaders.led_by(0), leaders.led_by(1), leaders.led_by(2)), (4, 0, 4));
    }

    #[test]
    fn an_order_for_some_ranges_moves_the_lowest_and_skips_those_already_moving() {
        let two = MoveOrder { at: SimTime::ZERO, from: 0, movement: Movement::Ranges { to: 1, count: 2 } };
        let placement = placement(&[3, 3], 1, &[two, drain(0)]);
        let mut leaders = RangeLeaders::new(&placement, 0, 2);
        let started = leaders.order(&placement, SimTime::ZERO, 0);
        assert_eq!(started, vec![Move { range: 0, to: 1, order: 0 }]);
        // Range 0 is preparing and range 2 queued: a drain now plans only range 4.
        assert!(leaders.order(&placement, SimTime::ZERO, 1).is_empty(), "one at a time");
        assert_eq!(leaders.moves_pending(), 3, "range 0 preparing, 2 and 4 queued");
        assert_eq!(leaders.planned, vec![2, 1]);
    }

    #[test]
    fn a_hand_off_learnt_after_a_later_one_of_the_same_range_is_ignored() {
        let placement = placement(&[1, 1, 1], 1, &[]);
        let mut leaders = RangeLeaders::new(&placement, 0, 3);
        let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
        // Range 0 went from member 0 to 1 at 5 s, then from 1 to 2 at 9 s; member 1's stream
        // brought the second hand-off first.
        leaders.learn(&placement, 0, 2, at(9), None);
        leaders.learn(&placement, 0, 1, at(5), None);
        assert_eq!(leaders.view[0], 2);
    }

    #[test]
    fn a_drained_member_moves_on_a_range_it_takes_and_no_drain_sends_ranges_to_it() {
        // Member 1 is drained at 0 s (its one range goes to member 2, not to member 0, which is
        // drained from 0 s too), then takes range 0, which was on its way to it.
        let placement = placement(&[1, 1, 0], 1, &[drain(1), drain(0)]);
        let mut one = RangeLeaders::new(&placement, 1, 3);
        assert_eq!(one.order(&placement, SimTime::ZERO, 0), vec![Move { range: 1, to: 2, order: 0 }]);
        let taken = SimTime::ZERO + SimDuration::from_millis(5);
        let takeover = Takeover { range: 0, from: 0, handed_off: SimTime::ZERO, taken };
        one.learn(&placement, 0, 1, SimTime::ZERO, Some(takeover));
        assert!(one.unannounced.is_empty(), "one move at a time: queued");
        assert_eq!(one.hand_off(taken, Move { range: 1, to: 2, order: 0 }), Some(Move { range: 0, to: 2, order: 0 }));
        assert_eq!(one.planned[0], 2);
    }
}
