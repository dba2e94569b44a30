//! The failover manager of a leader-follower group: a control plane in one region (like
//! Orchestrator for MySQL, or Patroni with its consensus store) that pings every member each
//! heartbeat. A ping names the leader and its term, so a member that missed a promotion learns
//! it from the next ping that reaches it; a pong tells the manager that the member is up and how
//! much of the leader's log it received. When the leader has not answered for `detect_after`,
//! the manager promotes the member that answered recently and received most; an operator's
//! manual failover promotes a named member at a set time instead.
//!
//! The manager decides from messages only: a leader cut off from the manager by a partition
//! looks dead to it, and if that leader is still up and not fenced, it keeps taking writes (a
//! split brain) until a ping reaches it.

use super::replica::{FailoverPlan, Member};
use crate::kernel::{SimDuration, SimTime};

/// One change of leader and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverRecord {
    pub from: Member,
    pub to: Member,
    /// An operator's decision rather than a detected failure.
    pub manual: bool,
    /// When the old leader last answered a ping (for a manual failover, the decision).
    pub last_heard: SimTime,
    pub decided_at: SimTime,
    /// When the new leader learnt of its promotion, and when it took writes.
    pub promoted_at: Option<SimTime>,
    pub ready_at: Option<SimTime>,
    /// Writes the old leader had acknowledged that the new leader never received.
    pub lost_writes: u64,
    /// Writes the old leader committed but had not acknowledged (their clients got errors or
    /// timed out), discarded with it.
    pub discarded_writes: u64,
    /// The span of acknowledged history lost: from the last write the new leader had to the last
    /// acknowledged write it lost.
    pub rpo: SimDuration,
    /// The old leader's log length when the new leader took over: what it wrote after is a split
    /// brain's.
    pub old_log_at_promotion: Option<u64>,
    /// Writes the old leader acknowledged after the promotion, before it learnt of it.
    pub split_brain_writes: u64,
    pub demoted_at: Option<SimTime>,
}

impl FailoverRecord {
    /// Time from the leader's last sign of life to the new leader taking writes.
    pub fn rto(&self) -> Option<SimDuration> {
        self.ready_at.map(|ready| ready.since(self.last_heard.min(ready)))
    }
}

pub struct FailoverManager {
    pub plan: FailoverPlan,
    pub leader: Member,
    pub term: u32,
    last_pong: Vec<SimTime>,
    /// Per member: how much of the leader's log it said it received.
    position: Vec<u64>,
    manual_done: bool,
    /// The current leader is judged by its answers since this time (its promotion).
    watch_from: SimTime,
    pub failovers: Vec<FailoverRecord>,
}

impl FailoverManager {
    pub fn new(plan: FailoverPlan, leader: Member, members: u16) -> Self {
        let members = usize::from(members);
        FailoverManager {
            plan,
            leader,
            term: 0,
            last_pong: vec![SimTime::ZERO; members],
            position: vec![0; members],
            manual_done: false,
            watch_from: SimTime::ZERO,
            failovers: Vec::new(),
        }
    }

    /// A heartbeat: decide whether to change leader. Returns the failover it decided, if any;
    /// every member is then pinged with the (new) leader.
    pub fn on_tick(&mut self, now: SimTime) -> Option<&FailoverRecord> {
        let (to, manual) = match self.plan {
            FailoverPlan::Manual { at, to, .. } if !self.manual_done && now >= at => {
                self.manual_done = true;
                (to, true)
            }
            FailoverPlan::Automatic { detect_after, .. } if now.since(self.last_heard().min(now)) >= detect_after => {
                (self.candidate(now, detect_after)?, false)
            }
            _ => return None,
        };
        if to == self.leader {
            return None;
        }
        let last_heard = if manual { now } else { self.last_heard() };
        self.failovers.push(FailoverRecord {
            from: self.leader,
            to,
            manual,
            last_heard,
            decided_at: now,
            promoted_at: None,
            ready_at: None,
            lost_writes: 0,
            discarded_writes: 0,
            rpo: SimDuration::ZERO,
            old_log_at_promotion: None,
            split_brain_writes: 0,
            demoted_at: None,
        });
        (self.leader, self.term, self.watch_from) = (to, self.term + 1, now);
        self.failovers.last()
    }

    /// The leader's last sign of life: its last answer, or its promotion.
    fn last_heard(&self) -> SimTime {
        self.last_pong[usize::from(self.leader)].max(self.watch_from)
    }

    /// The member that answered within `detect_after` and received most of the leader's log
    /// (the lowest-numbered on a tie), if any.
    fn candidate(&self, now: SimTime, detect_after: SimDuration) -> Option<Member> {
        let alive = |m: &usize| *m != usize::from(self.leader) && now.since(self.last_pong[*m].min(now)) < detect_after;
        let best = (0..self.last_pong.len()).filter(alive).max_by_key(|&m| (self.position[m], std::cmp::Reverse(m)))?;
        Some(best as Member)
    }

    /// A member's answer: it is up, and received `position` of the leader's log.
    pub fn on_pong(&mut self, now: SimTime, member: Member, position: u64) {
        self.last_pong[usize::from(member)] = now;
        self.position[usize::from(member)] = position;
    }

    /// The open record of a failover to `member` (the latest one not yet taken up).
    pub fn promotion_of(&mut self, member: Member) -> Option<&mut FailoverRecord> {
        self.failovers.iter_mut().rev().find(|f| f.to == member && f.promoted_at.is_none())
    }

    /// The open record of a failover away from `member` (not yet learnt by it).
    pub fn demotion_of(&mut self, member: Member) -> Option<&mut FailoverRecord> {
        self.failovers.iter_mut().rev().find(|f| f.from == member && f.demoted_at.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::RegionId;

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn promotes_the_reachable_member_that_received_most_after_the_detection_time() {
        let plan = FailoverPlan::Automatic {
            manager: RegionId(0),
            heartbeat: SimDuration::from_secs(1),
            detect_after: SimDuration::from_secs(10),
        };
        let mut manager = FailoverManager::new(plan, 0, 4);
        for s in 0..=5 {
            for member in 0..4 {
                manager.on_pong(at(s), member, 100 + u64::from(member));
            }
        }
        // The leader falls silent after 5 s; member 3 stops answering at 6 s, having received most.
        manager.on_pong(at(6), 3, 200);
        for s in 6..15 {
            manager.on_pong(at(s), 1, 150);
            manager.on_pong(at(s), 2, 150);
            assert!(manager.on_tick(at(s)).is_none(), "no failover before 10 s of silence ({s} s)");
        }
        manager.on_pong(at(15), 1, 150);
        manager.on_pong(at(15), 2, 150);
        let record = manager.on_tick(at(15)).expect("detected").clone();
        // 3 answered 9 s ago (< 10 s): still a candidate, and it received most.
        assert_eq!((record.from, record.to, record.last_heard), (0, 3, at(5)));
        assert_eq!((manager.leader, manager.term), (3, 1));
        assert!(manager.on_tick(at(16)).is_none(), "the new leader's silence is timed from its last answer");
    }

    #[test]
    fn a_manual_failover_happens_once_at_its_time() {
        let plan = FailoverPlan::Manual { manager: RegionId(0), heartbeat: SimDuration::from_secs(1), at: at(30), to: 2 };
        let mut manager = FailoverManager::new(plan, 0, 3);
        assert!(manager.on_tick(at(29)).is_none());
        assert_eq!(manager.on_tick(at(30)).map(|r| (r.to, r.manual)), Some((2, true)));
        assert!(manager.on_tick(at(31)).is_none());
    }
}
