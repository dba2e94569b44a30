//! A replica: one server's copy of a replicated service's data, and the replication protocol
//! between the copies.
//!
//! Every server of a replicated service holds a replica (a *member* of the group, numbered in
//! the service's server order). A member that accepts writes (the leader, or every member of a
//! multi-leader group) is an *origin*: it commits a write to its own log and streams the log to
//! every other member. A stream is reliable and ordered, like a TCP connection carrying a
//! database's replication log: messages arrive in the order they were sent, a receiver drops a
//! batch that leaves a gap, and the origin goes back to the last acknowledged position when
//! acknowledgements stop coming for `retry` (a lost message, a partition, a receiver that is
//! down), so a stream resumes by itself after a heal. A receiver applies what it receives one
//! write at a time (`apply_time` each, one applier): under a write rate above its capacity the
//! apply queue, and with it the lag, grows without bound.
//!
//! What a replica knows about its own freshness is its *safe time* per origin (Spanner's
//! t_safe): every batch says "you now have everything I committed up to `as_of`", and origins
//! send empty batches every `heartbeat` when idle. A read's staleness is the time since the
//! oldest safe time that matters (the leader's for a follower, every other origin's in a
//! multi-leader group); bounded-staleness reads compare it with their bound.
//!
//! Writes wait for `write_acks` acknowledgements (the origin's own included) before they are
//! answered: 1 is asynchronous replication, all members synchronous, a majority a quorum. A
//! write whose acknowledgements do not come within `ack_timeout` fails, or is accepted anyway
//! (a sloppy quorum; it still reaches the others when their stream resumes). Reads may ask `r`
//! members and return the freshest answer.
//!
//! Concurrent writes to one key in a multi-leader group are detected where one would overwrite
//! the other: a replica whose current version of the key is its own write, receiving a write
//! whose author had not seen it. Last-writer-wins keeps the later version and counts the other
//! as a lost update; a resolver keeps both and queues the conflict for resolution at its own
//! pace. Stock keys count purchases: a replica sells while the units it knows sold are below the
//! stock, so two sides of a partition can together sell more than there is.
//!
//! Simplifications: clocks are perfect (last-writer-wins compares true commit times); a member
//! answers replication and quorum-read messages at once, without using its workers; a demoted
//! leader's divergent writes are counted as lost but its keys are not rolled back (only its own
//! later reads could tell).

use crate::actors::messages::{Age, Op, Outcome, Released, RequestRef};
use crate::data::placement::{Move, Placement, RangeLeaders, Takeover};
use crate::kernel::{SimDuration, SimTime};
use crate::metrics::Measured;
use crate::world::RegionId;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;

/// A member of a replica group: its index in the service's servers.
pub type Member = u16;

/// Who accepts writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// One leader at a time; other members forward writes to it (read-local, write-central).
    LeaderFollower,
    /// Every member accepts writes and replicates them to the others (active-active; with
    /// `write_acks` and read quorums, a leaderless quorum system).
    MultiLeader,
}

/// Where a read is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// The replica the request reached.
    Local,
    /// The leader (followers forward reads).
    Leader,
    /// `r` members (the one reached and the fastest `r − 1` others); the freshest answer wins.
    Quorum(u16),
}

/// What a bounded-staleness read does when the replica is further behind than its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnStale {
    /// Answer with an error (the client may retry elsewhere).
    Refuse,
    /// Forward the read to the leader.
    Redirect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StalenessBound {
    pub max_lag: SimDuration,
    pub on_stale: OnStale,
}

/// What becomes of concurrent writes to one key (multi-leader).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflicts {
    /// The later write wins everywhere; the earlier is a lost update.
    LastWriterWins,
    /// Both are kept and a resolver takes `each` per conflict, one at a time.
    Resolver { each: SimDuration },
}

/// How a new leader is chosen when the leader is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverPlan {
    /// A manager in `manager` pings every member each `heartbeat`; when the leader has not
    /// answered for `detect_after`, it promotes the reachable member that received most.
    Automatic { manager: RegionId, heartbeat: SimDuration, detect_after: SimDuration },
    /// An operator promotes `to` at `at`, from the manager in `manager`.
    Manual { manager: RegionId, heartbeat: SimDuration, at: SimTime, to: Member },
}

impl FailoverPlan {
    pub fn manager(&self) -> RegionId {
        match self {
            FailoverPlan::Automatic { manager, .. } | FailoverPlan::Manual { manager, .. } => *manager,
        }
    }
    pub fn heartbeat(&self) -> SimDuration {
        match self {
            FailoverPlan::Automatic { heartbeat, .. } | FailoverPlan::Manual { heartbeat, .. } => *heartbeat,
        }
    }
}

/// Items with a limited stock: keys `0..keys`, each with `units` to sell. A write to one is a
/// purchase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock {
    pub keys: u32,
    pub units: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationPolicy {
    pub topology: Topology,
    /// The first leader (leader-follower).
    pub leader: Member,
    pub members: u16,
    /// Acknowledgements a write waits for, its origin's own included (1: asynchronous).
    pub write_acks: u16,
    pub reads: ReadFrom,
    pub bound: Option<StalenessBound>,
    /// A receiver's time to apply one write.
    pub apply_time: SimDuration,
    /// How often an idle origin tells the others it is still current.
    pub heartbeat: SimDuration,
    /// How long an origin waits for acknowledgements before it resends from the last one.
    pub retry: SimDuration,
    /// How long a write waits for its acknowledgements (and a quorum read for its answers).
    pub ack_timeout: SimDuration,
    /// A write that misses its acknowledgements is accepted (sloppy) rather than failed.
    pub accept_missing_acks: bool,
    pub conflicts: Conflicts,
    /// Purchases of stock keys are decided at this member only (a global lock).
    pub lock: Option<Member>,
    /// A leader refuses writes when the manager has not pinged it for this long (a lease).
    pub fencing: Option<SimDuration>,
    /// The time a promoted member takes before it accepts writes (after its apply queue drains).
    pub promote: SimDuration,
    pub failover: Option<FailoverPlan>,
    pub stock: Option<Stock>,
    /// Leadership split by key range (leader-follower; `leader` is then unused).
    pub placement: Option<Placement>,
}

impl ReplicationPolicy {
    /// Whether a write to `key` is a purchase of a stock item.
    #[inline]
    pub fn is_stock(&self, key: u32) -> bool {
        self.stock.is_some_and(|s| key < s.keys)
    }
}

/// A write's version: when and where it committed. Ordered by time, then member, which is the
/// order last-writer-wins keeps (clocks are perfect).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    pub time: SimTime,
    pub member: Member,
}

/// What a log entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Write,
    /// A write to a stock item.
    Purchase,
    /// The origin hands the leadership of range `key` to `to` (leader placement).
    HandOff {
        to: Member,
    },
}

/// One committed write in its origin's log.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The key written (the range, for a hand-off).
    pub key: u32,
    pub kind: EntryKind,
    /// Its client was told it succeeded.
    pub acknowledged: bool,
    pub version: Version,
    /// The version of the key its origin held when it wrote (what the writer had seen).
    pub parent: Version,
}

/// A member's own writes, in commit order. Positions are absolute; the prefix every other
/// member has acknowledged is dropped.
#[derive(Debug, Default)]
pub struct Log {
    base: u64,
    entries: VecDeque<Entry>,
    /// The commit time of the last entry dropped.
    trimmed_commit: SimTime,
}

impl Log {
    pub fn len(&self) -> u64 {
        self.base + self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first position still kept.
    pub fn first(&self) -> u64 {
        self.base
    }

    /// Entries from `from` (at least `first()`) to the end.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &Entry> {
        self.entries.iter().skip(from.saturating_sub(self.base) as usize)
    }

    /// The commit time of the entry just before `position` (`ZERO` if none).
    pub fn commit_before(&self, position: u64) -> SimTime {
        match position.checked_sub(self.base + 1) {
            Some(index) => self.entries.get(index as usize).map_or(SimTime::ZERO, |e| e.version.time),
            None if position == 0 => SimTime::ZERO,
            None => self.trimmed_commit,
        }
    }

    fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push_back(entry);
        self.len() - 1
    }

    fn get_mut(&mut self, position: u64) -> Option<&mut Entry> {
        position.checked_sub(self.base).and_then(|index| self.entries.get_mut(index as usize))
    }

    fn trim_to(&mut self, position: u64) {
        while self.base < position
            && let Some(entry) = self.entries.pop_front()
        {
            self.trimmed_commit = entry.version.time;
            self.base += 1;
        }
    }
}

/// The state of this member's stream to another.
#[derive(Clone, Copy, Debug, Default)]
struct Stream {
    /// The next position to send.
    sent: u64,
    /// Positions the receiver said it has.
    acked: u64,
    /// When `acked` last moved (or the stream last had nothing outstanding).
    progress_at: SimTime,
    /// When it last sent anything (heartbeats fill silences).
    sent_at: SimTime,
    /// The arrival time of its last message: later ones arrive no earlier (an ordered stream).
    arrives_after: SimTime,
}

/// A received write or batch end waiting for the applier.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Write {
        origin: Member,
        entry: Entry,
        done: SimTime,
    },
    /// Everything `origin` committed up to `as_of` is applied once this is reached.
    Safe {
        origin: Member,
        as_of: SimTime,
        done: SimTime,
    },
}

impl Pending {
    fn done(&self) -> SimTime {
        match self {
            Pending::Write { done, .. } | Pending::Safe { done, .. } => *done,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct WaitingWrite {
    position: u64,
    request: RequestRef,
    give_up: SimTime,
    counted: bool,
}

#[derive(Clone, Copy, Debug)]
struct WaitingRead {
    request: RequestRef,
    give_up: SimTime,
    answers: u16,
    best: Version,
    staleness: SimDuration,
    last_commit: SimTime,
    counted: bool,
}

/// What a replica asks the model to send (to another member of its group), through the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// Log positions `from..from + count` of this member's log, current as of `as_of`.
    Replicate {
        to: Member,
        from: u64,
        count: u32,
        as_of: SimTime,
    },
    Ack {
        to: Member,
        upto: u64,
    },
    Read {
        to: Member,
        id: u32,
        key: u32,
    },
    Answer {
        to: Member,
        id: u32,
        version: Version,
        staleness: Age,
    },
    /// A request this replica does not serve, for member `to` (the leader, or the lock holder).
    Forward {
        to: Member,
        request: RequestRef,
        deadline: SimTime,
        op: Op,
    },
}

impl Outgoing {
    /// The member it is for.
    pub fn to(&self) -> Member {
        match *self {
            Outgoing::Replicate { to, .. }
            | Outgoing::Ack { to, .. }
            | Outgoing::Read { to, .. }
            | Outgoing::Answer { to, .. }
            | Outgoing::Forward { to, .. } => to,
        }
    }
}

/// How many times a request may be forwarded between members: a third forward would chase a
/// leadership that is moving, so the request is refused instead (its client may retry).
const MAX_HOPS: u32 = 2;

/// Where a request arriving at this replica goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Here,
    Forward(Member),
    Refuse,
}

/// What a replica made of a served request's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Answer now, with data this old.
    Answer(Outcome, Age),
    /// A write committed (tell the ledger), answered now.
    Committed,
    /// A write committed, answered when acknowledgements come (or a quorum read, when answers
    /// come): through `Released`.
    Waits { committed: bool },
}

/// A change of leadership a member took from the manager's ping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adopted {
    Nothing,
    /// This member is the new leader; it had followed `previous`.
    Promoted {
        previous: Member,
    },
    /// This member was leader and now follows `leader`.
    Demoted {
        leader: Member,
    },
    Follows,
}

/// What a replica counted, as `summary.json` reports it per member (requests that arrived in
/// the measured window; applied writes committed in it).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ReplicaCounts {
    pub commits: u64,
    pub forwarded_writes: u64,
    pub forwarded_reads: u64,
    /// Writes refused: no leader here, a leader not ready yet, or a fenced leader.
    pub refused_writes: u64,
    /// Requests refused because they had been forwarded twice already (a moving leadership).
    pub misdirected: u64,
    pub reads: u64,
    /// Reads that returned a version older than the key's last commit anywhere.
    pub stale_reads: u64,
    pub refused_stale: u64,
    pub redirected_stale: u64,
    /// Writes applied from other members.
    pub applied: u64,
    pub apply_queue_max: u64,
    pub waited_for_acks: u64,
    pub ack_failures: u64,
    pub sloppy_writes: u64,
    pub quorum_read_failures: u64,
    pub conflicts: u64,
    pub lost_updates: u64,
    pub resolved: u64,
    pub resolver_queue_max: u64,
}

/// What a replica measured: its counts, and the distributions and totals behind the rest of
/// its summary.
#[derive(Clone, Debug)]
pub struct ReplicaStats {
    pub counts: ReplicaCounts,
    /// Staleness of served reads, nanoseconds.
    pub staleness_ns: Histogram<u64>,
    /// Commit-to-apply lag of the writes this replica applied, nanoseconds.
    pub lag_ns: Histogram<u64>,
    /// Σ time from detection to resolution of resolved conflicts.
    pub resolve_wait_ns: u128,
    /// Purchases confirmed to clients, per stock key, over the whole run (the stock is).
    pub sold: Vec<u64>,
    /// Purchases refused because this replica knew the item sold out (whole run).
    pub sold_out: u64,
}

pub struct Replica {
    /// The replicated service's group (its index among replicated services).
    pub group: u16,
    pub policy: std::sync::Arc<ReplicationPolicy>,
    pub member: Member,
    leader: Member,
    term: u32,
    /// A leader accepts writes from this time (after a promotion).
    ready_at: SimTime,
    last_ping: SimTime,
    pub log: Log,
    /// Who leads each key range (with placement).
    pub ranges: Option<RangeLeaders>,
    streams: Vec<Stream>,
    /// Per origin: how many of its log positions this member has received.
    pub received: Vec<u64>,
    /// Per origin: everything it committed up to this time is applied here.
    safe: Vec<SimTime>,
    pending: VecDeque<Pending>,
    applier_free: SimTime,
    /// Per key: the version held (empty without keys).
    versions: Vec<Version>,
    /// Per stock key: units this replica knows sold.
    known_sold: Vec<u32>,
    waiting_writes: VecDeque<WaitingWrite>,
    waiting_reads: VecDeque<Option<WaitingRead>>,
    first_read_id: u32,
    /// Resolution times of conflicts not yet resolved.
    resolving: VecDeque<(SimTime, SimTime)>,
    resolver_free: SimTime,
    /// Messages for the model to send. Reused.
    pub outbox: Vec<Outgoing>,
    measured: Measured,
    pub stats: ReplicaStats,
}

impl Replica {
    pub fn new(policy: std::sync::Arc<ReplicationPolicy>, group: u16, member: Member, keys: u32, measured: Measured) -> Self {
        let members = usize::from(policy.members);
        let stock_keys = policy.stock.map_or(0, |s| s.keys) as usize;
        let leader = policy.leader;
        Replica {
            group,
            member,
            leader,
            term: 0,
            ready_at: SimTime::ZERO,
            last_ping: SimTime::ZERO,
            log: Log::default(),
            ranges: policy.placement.as_ref().map(|p| RangeLeaders::new(p, member, members as u16)),
            streams: vec![Stream::default(); members],
            received: vec![0; members],
            safe: vec![SimTime::ZERO; members],
            pending: VecDeque::new(),
            applier_free: SimTime::ZERO,
            versions: vec![Version::default(); keys as usize],
            known_sold: vec![0; stock_keys],
            waiting_writes: VecDeque::new(),
            waiting_reads: VecDeque::new(),
            first_read_id: 0,
            resolving: VecDeque::new(),
            resolver_free: SimTime::ZERO,
            outbox: Vec::new(),
            measured,
            stats: ReplicaStats {
                counts: ReplicaCounts::default(),
                staleness_ns: crate::metrics::wait_histogram(),
                lag_ns: crate::metrics::wait_histogram(),
                resolve_wait_ns: 0,
                sold: vec![0; stock_keys],
                sold_out: 0,
            },
            policy,
        }
    }

    /// When a promoted leader takes writes.
    pub fn ready_at(&self) -> SimTime {
        self.ready_at
    }

    /// Its staleness and role now, for the timeline.
    pub fn sample(&mut self, now: SimTime) -> (SimDuration, &'static str) {
        self.catch_up(now);
        (self.staleness(now), self.role())
    }

    /// Whether this member accepts writes of its own (and streams them).
    fn is_origin(&self) -> bool {
        self.policy.topology == Topology::MultiLeader || self.ranges.is_some() || self.leader == self.member
    }

    pub fn role(&self) -> &'static str {
        match (self.policy.topology, &self.ranges) {
            (Topology::MultiLeader, _) => "peer",
            (Topology::LeaderFollower, Some(ranges)) if ranges.led_by(self.member) > 0 => "range-leader",
            (Topology::LeaderFollower, None) if self.leader == self.member => "leader",
            (Topology::LeaderFollower, _) => "follower",
        }
    }

    /// The member that takes `key`'s writes: its range's leader with placement, else the
    /// leader (as far as this member knows).
    #[inline]
    fn leader_of(&self, key: u32) -> Member {
        self.ranges.as_ref().map_or(self.leader, |ranges| ranges.leader_of(key))
    }

    /// How many key ranges this member leads (with placement).
    pub fn ranges_led(&self) -> Option<u32> {
        self.ranges.as_ref().map(|r| r.led_by(self.member))
    }

    fn counts(&self, time: SimTime) -> bool {
        self.measured.contains(time)
    }

    /// Where a request goes: served here, forwarded to another member, or refused.
    pub fn route(&mut self, now: SimTime, op: Op, counted: bool) -> Route {
        self.catch_up(now);
        let key = op.key();
        let leader = self.leader_of(key);
        let elsewhere = self.policy.topology == Topology::LeaderFollower && leader != self.member;
        if op.is_write() {
            if let Some(lock) = self.policy.lock.filter(|&l| l != self.member && self.policy.is_stock(key)) {
                return self.forward(lock, op, counted, |s| &mut s.forwarded_writes);
            }
            if elsewhere {
                return self.forward(leader, op, counted, |s| &mut s.forwarded_writes);
            }
            if !self.accepts_writes(now, key) {
                self.stats.counts.refused_writes += u64::from(counted);
                return Route::Refuse;
            }
            return Route::Here;
        }
        if self.policy.reads == ReadFrom::Leader && elsewhere {
            return self.forward(leader, op, counted, |s| &mut s.forwarded_reads);
        }
        if let Some(bound) = self.policy.bound
            && self.staleness_of(now, key) > bound.max_lag
        {
            if bound.on_stale == OnStale::Redirect && elsewhere {
                return self.forward(leader, op, counted, |s| &mut s.redirected_stale);
            }
            self.stats.counts.refused_stale += u64::from(counted);
            return Route::Refuse;
        }
        Route::Here
    }

    /// Forwards a request to `to`, counted in `count`, unless it has been forwarded too often.
    fn forward(&mut self, to: Member, op: Op, counted: bool, count: fn(&mut ReplicaCounts) -> &mut u64) -> Route {
        if op.hops() >= MAX_HOPS {
            self.stats.counts.misdirected += u64::from(counted);
            return Route::Refuse;
        }
        *count(&mut self.stats.counts) += u64::from(counted);
        Route::Forward(to)
    }

    /// A leader takes writes (of its ranges, with placement) once promoted and while its lease
    /// holds; every member of a multi-leader group always does.
    fn accepts_writes(&self, now: SimTime, key: u32) -> bool {
        if self.policy.topology == Topology::MultiLeader {
            return true;
        }
        let leased = self.policy.fencing.is_none_or(|lease| now.since(self.last_ping.min(now)) <= lease);
        self.leader_of(key) == self.member && now >= self.ready_at && leased
    }

    /// How far behind this replica may be: the time since the oldest safe time that matters
    /// (every other member's, with placement or multi-leader).
    pub fn staleness(&self, now: SimTime) -> SimDuration {
        let behind = |origin: usize| now.since(self.safe[origin].min(now));
        match self.policy.topology {
            Topology::LeaderFollower if self.ranges.is_none() && self.leader == self.member => SimDuration::ZERO,
            Topology::LeaderFollower if self.ranges.is_none() => behind(usize::from(self.leader)),
            _ => (0..self.safe.len()).filter(|&o| o != usize::from(self.member)).map(behind).max().unwrap_or(SimDuration::ZERO),
        }
    }

    /// How far behind this replica may be on `key`: with placement, the time since its range
    /// leader's safe time (zero where it leads).
    fn staleness_of(&self, now: SimTime, key: u32) -> SimDuration {
        if self.policy.topology == Topology::MultiLeader {
            return self.staleness(now);
        }
        // One origin per key: its leader (the group's leader without placement).
        match self.leader_of(key) {
            leader if leader == self.member => SimDuration::ZERO,
            leader => now.since(self.safe[usize::from(leader)].min(now)),
        }
    }

    /// A served write: commit it (or refuse a purchase of a sold-out item), and answer now or
    /// once enough members acknowledged it.
    pub fn write(&mut self, now: SimTime, request: RequestRef, key: u32, counted: bool) -> Settled {
        self.catch_up(now);
        if !self.accepts_writes(now, key) {
            // Demoted, fenced or handed off while the write was in service.
            self.stats.counts.refused_writes += u64::from(counted);
            return Settled::Answer(Outcome::Error, Age::FRESH);
        }
        let purchase = self.policy.is_stock(key);
        if let Some(stock) = self.policy.stock.filter(|_| purchase) {
            if self.known_sold[key as usize] >= stock.units {
                self.stats.sold_out += 1;
                return Settled::Answer(Outcome::Served, Age::FRESH);
            }
            self.known_sold[key as usize] += 1;
        }
        let version = Version { time: now, member: self.member };
        let parent = self.versions.get(key as usize).copied().unwrap_or_default();
        if let Some(held) = self.versions.get_mut(key as usize) {
            *held = version;
        }
        let kind = if purchase { EntryKind::Purchase } else { EntryKind::Write };
        let position = self.log.push(Entry { key, kind, acknowledged: false, version, parent });
        self.stats.counts.commits += u64::from(counted);
        self.send_news(now);
        if self.policy.write_acks <= 1 {
            self.acknowledge(position);
            return Settled::Committed;
        }
        self.stats.counts.waited_for_acks += u64::from(counted);
        let give_up = now + self.policy.ack_timeout;
        self.waiting_writes.push_back(WaitingWrite { position, request, give_up, counted });
        Settled::Waits { committed: true }
    }

    /// Marks a write as confirmed to its client (a purchase counts as sold).
    fn acknowledge(&mut self, position: u64) {
        let Some(entry) = self.log.get_mut(position) else { return };
        entry.acknowledged = true;
        if entry.kind == EntryKind::Purchase {
            self.stats.sold[entry.key as usize] += 1;
        }
    }

    /// A served read: answer with this replica's version, or ask a quorum.
    pub fn read(&mut self, now: SimTime, request: RequestRef, key: u32, last_commit: SimTime, counted: bool) -> Settled {
        self.catch_up(now);
        let staleness = self.staleness_of(now, key);
        let best = self.versions.get(key as usize).copied().unwrap_or_default();
        let ReadFrom::Quorum(r) = self.policy.reads else {
            self.record_read(staleness, best, last_commit, counted);
            return Settled::Answer(Outcome::Served, Age::of(staleness));
        };
        if r <= 1 {
            self.record_read(staleness, best, last_commit, counted);
            return Settled::Answer(Outcome::Served, Age::of(staleness));
        }
        let id = self.first_read_id.wrapping_add(self.waiting_reads.len() as u32);
        let give_up = now + self.policy.ack_timeout;
        self.waiting_reads.push_back(Some(WaitingRead { request, give_up, answers: 1, best, staleness, last_commit, counted }));
        for to in (0..self.policy.members).filter(|&m| m != self.member) {
            self.outbox.push(Outgoing::Read { to, id, key });
        }
        Settled::Waits { committed: false }
    }

    fn record_read(&mut self, staleness: SimDuration, version: Version, last_commit: SimTime, counted: bool) {
        if !counted {
            return;
        }
        self.stats.counts.reads += 1;
        self.stats.counts.stale_reads += u64::from(version.time < last_commit);
        self.stats.staleness_ns.saturating_record(staleness.0);
    }

    /// Sends what each stream has not sent yet (an origin, after a commit).
    fn send_news(&mut self, now: SimTime) {
        let end = self.log.len();
        for to in 0..self.policy.members {
            let stream = &mut self.streams[usize::from(to)];
            if to == self.member || stream.sent >= end {
                continue;
            }
            if stream.acked == stream.sent {
                stream.progress_at = now;
            }
            let from = stream.sent;
            (stream.sent, stream.sent_at) = (end, now);
            self.outbox.push(Outgoing::Replicate { to, from, count: (end - from) as u32, as_of: now });
        }
    }

    /// The arrival time of a message on the stream to `to`, which keeps messages in order.
    pub fn in_order(&mut self, to: Member, arrival: SimTime) -> SimTime {
        let stream = &mut self.streams[usize::from(to)];
        stream.arrives_after = stream.arrives_after.max(arrival);
        stream.arrives_after
    }

    /// Positions `from..` of `origin`'s log arrive (`entries`, already cut to start at `from`),
    /// current as of `as_of`. `slower` stretches the apply time (a slow disk).
    pub fn on_replicate(&mut self, now: SimTime, origin: Member, from: u64, entries: &[Entry], as_of: SimTime, slower: f64) {
        self.catch_up(now);
        if self.policy.failover.is_some() && origin != self.leader {
            // A deposed leader's stream (only failover deposes one): this member follows someone else.
            return;
        }
        let received = &mut self.received[usize::from(origin)];
        if from > *received {
            // A gap (an earlier batch was lost): wait for the origin to go back.
            self.outbox.push(Outgoing::Ack { to: origin, upto: *received });
            return;
        }
        let skip = (*received - from) as usize;
        let fresh = entries.get(skip..).unwrap_or(&[]);
        *received += fresh.len() as u64;
        let apply =
            if slower == 1.0 { self.policy.apply_time } else { SimDuration::from_secs_f64(self.policy.apply_time.as_secs_f64() * slower) };
        for &entry in fresh {
            let done = self.applier_free.max(now) + apply;
            self.applier_free = done;
            self.pending.push_back(Pending::Write { origin, entry, done });
        }
        let done = self.applier_free.max(now);
        self.pending.push_back(Pending::Safe { origin, as_of, done });
        self.stats.counts.apply_queue_max = self.stats.counts.apply_queue_max.max(self.pending.len() as u64);
        if !entries.is_empty() {
            self.outbox.push(Outgoing::Ack { to: origin, upto: self.received[usize::from(origin)] });
        }
    }

    /// Applies everything the applier has finished by `now`.
    fn catch_up(&mut self, now: SimTime) {
        while self.pending.front().is_some_and(|p| p.done() <= now) {
            match self.pending.pop_front().expect("checked") {
                Pending::Write { origin, entry, done } => self.apply(origin, entry, done),
                Pending::Safe { origin, as_of, .. } => {
                    let safe = &mut self.safe[usize::from(origin)];
                    *safe = (*safe).max(as_of);
                }
            }
        }
        while self.resolving.front().is_some_and(|&(done, _)| done <= now) {
            let (done, detected) = self.resolving.pop_front().expect("checked");
            if self.counts(detected) {
                self.stats.counts.resolved += 1;
                self.stats.resolve_wait_ns += u128::from(done.since(detected).0);
            }
        }
    }

    fn apply(&mut self, origin: Member, entry: Entry, done: SimTime) {
        let safe = &mut self.safe[usize::from(origin)];
        *safe = (*safe).max(entry.version.time);
        if let EntryKind::HandOff { to } = entry.kind {
            self.learn_hand_off(origin, entry, to, done);
            return;
        }
        if self.counts(entry.version.time) {
            self.stats.counts.applied += 1;
            self.stats.lag_ns.saturating_record(done.since(entry.version.time).0);
        }
        if entry.kind == EntryKind::Purchase {
            self.known_sold[entry.key as usize] += 1;
        }
        let Some(&held) = self.versions.get(entry.key as usize) else { return };
        if self.policy.topology == Topology::LeaderFollower {
            // One history per key, so the later version is kept: a log's versions only grow,
            // and with placement a range's history passes from one leader's log to the next,
            // whose streams may arrive in either order. After a failover the new leader's
            // history replaces the deposed one's, even where that was further ahead.
            self.versions[entry.key as usize] = if self.policy.failover.is_some() { entry.version } else { held.max(entry.version) };
            return;
        }
        // Concurrent: this member's own current write, which the incoming one's author had not
        // seen. Counted here, on the side whose write the incoming one would overwrite, so that
        // each concurrent pair is counted once.
        if held.member == self.member && entry.parent < held && entry.version > held {
            self.conflict(done);
        }
        self.versions[entry.key as usize] = held.max(entry.version);
    }

    /// `origin` handed range `entry.key` to `to`: from now on this member sends its writes
    /// there, or leads it (having applied every write `origin` made before).
    fn learn_hand_off(&mut self, origin: Member, entry: Entry, to: Member, done: SimTime) {
        let takeover =
            (to == self.member).then_some(Takeover { range: entry.key, from: origin, handed_off: entry.version.time, taken: done });
        if let (Some(ranges), Some(placement)) = (self.ranges.as_mut(), &self.policy.placement) {
            ranges.learn(placement, entry.key, to, entry.version.time, takeover);
        }
    }

    /// Starts operator's order `index` (this member is its source): returns the moves that
    /// begin preparing now.
    pub fn order_moves(&mut self, now: SimTime, index: u16) -> Vec<Move> {
        self.catch_up(now);
        let placement = self.policy.placement.as_ref().expect("orders only with placement");
        self.ranges.as_mut().expect("a placement has ranges").order(placement, now, index)
    }

    /// The move of `moved.range` is prepared: this member hands the range off with an entry in
    /// its log (after every write it made to the range) and stops taking its writes. Returns
    /// the next move to start.
    pub fn hand_off(&mut self, now: SimTime, moved: Move) -> Option<Move> {
        self.catch_up(now);
        let next = self.ranges.as_mut().expect("moves only with placement").hand_off(now, moved);
        let version = Version { time: now, member: self.member };
        let kind = EntryKind::HandOff { to: moved.to };
        self.log.push(Entry { key: moved.range, kind, acknowledged: false, version, parent: Version::default() });
        self.send_news(now);
        next
    }

    fn conflict(&mut self, detected: SimTime) {
        let counted = self.counts(detected);
        self.stats.counts.conflicts += u64::from(counted);
        match self.policy.conflicts {
            Conflicts::LastWriterWins => self.stats.counts.lost_updates += u64::from(counted),
            Conflicts::Resolver { each } => {
                let done = self.resolver_free.max(detected) + each;
                self.resolver_free = done;
                self.resolving.push_back((done, detected));
                self.stats.counts.resolver_queue_max = self.stats.counts.resolver_queue_max.max(self.resolving.len() as u64);
            }
        }
    }

    /// `member` has received this member's log up to `upto`: answer the writes that now have
    /// enough acknowledgements.
    pub fn on_ack(&mut self, now: SimTime, member: Member, upto: u64, released: &mut Vec<Released>) {
        self.catch_up(now);
        let stream = &mut self.streams[usize::from(member)];
        if upto > stream.acked {
            stream.acked = upto.min(stream.sent);
            stream.progress_at = now;
        }
        while let Some(&write) = self.waiting_writes.front() {
            let acks =
                1 + self.streams.iter().enumerate().filter(|&(m, s)| m != usize::from(self.member) && s.acked > write.position).count();
            if acks < usize::from(self.policy.write_acks) {
                break;
            }
            self.waiting_writes.pop_front();
            self.acknowledge(write.position);
            released.push(Released { request: write.request, outcome: Outcome::Served, age: Age::FRESH });
        }
        let everyone = (0..self.streams.len()).filter(|&m| m != usize::from(self.member)).map(|m| self.streams[m].acked).min();
        self.log.trim_to(everyone.unwrap_or(self.log.len()));
    }

    /// Another member asks for its version of `key` (a quorum read).
    pub fn on_read(&mut self, now: SimTime, from: Member, id: u32, key: u32) {
        self.catch_up(now);
        let version = self.versions.get(key as usize).copied().unwrap_or_default();
        let staleness = Age::of(self.staleness_of(now, key));
        self.outbox.push(Outgoing::Answer { to: from, id, version, staleness });
    }

    /// A member's answer to quorum read `id`.
    pub fn on_answer(&mut self, id: u32, version: Version, staleness: Age, released: &mut Vec<Released>) {
        let index = id.wrapping_sub(self.first_read_id) as usize;
        let Some(Some(read)) = self.waiting_reads.get_mut(index) else { return };
        read.answers += 1;
        read.best = read.best.max(version);
        read.staleness = read.staleness.min(staleness.duration());
        let ReadFrom::Quorum(r) = self.policy.reads else { return };
        if read.answers < r {
            return;
        }
        let read = self.waiting_reads[index].take().expect("checked");
        self.record_read(read.staleness, read.best, read.last_commit, read.counted);
        released.push(Released { request: read.request, outcome: Outcome::Served, age: Age::of(read.staleness) });
        self.pop_finished_reads();
    }

    fn pop_finished_reads(&mut self) {
        while self.waiting_reads.front().is_some_and(Option::is_none) {
            self.waiting_reads.pop_front();
            self.first_read_id = self.first_read_id.wrapping_add(1);
        }
    }

    /// The periodic work: resend unacknowledged batches, heartbeat idle streams, and give up on
    /// writes and reads that waited too long.
    pub fn on_tick(&mut self, now: SimTime, released: &mut Vec<Released>) {
        self.catch_up(now);
        if self.is_origin() {
            self.resend_and_heartbeat(now);
        }
        while let Some(&write) = self.waiting_writes.front().filter(|w| w.give_up <= now) {
            self.waiting_writes.pop_front();
            let outcome = if self.policy.accept_missing_acks {
                self.stats.counts.sloppy_writes += u64::from(write.counted);
                self.acknowledge(write.position);
                Outcome::Served
            } else {
                self.stats.counts.ack_failures += u64::from(write.counted);
                Outcome::Error
            };
            released.push(Released { request: write.request, outcome, age: Age::FRESH });
        }
        // Reads all wait the same time, so the oldest gives up first; answered ones are gone
        // from the front.
        self.pop_finished_reads();
        while let Some(&Some(read)) = self.waiting_reads.front()
            && read.give_up <= now
        {
            self.waiting_reads[0] = None;
            self.stats.counts.quorum_read_failures += u64::from(read.counted);
            released.push(Released { request: read.request, outcome: Outcome::Error, age: Age::FRESH });
            self.pop_finished_reads();
        }
    }

    fn resend_and_heartbeat(&mut self, now: SimTime) {
        let end = self.log.len();
        for to in (0..self.policy.members).filter(|&m| m != self.member) {
            let stream = &mut self.streams[usize::from(to)];
            if stream.acked < stream.sent && now.since(stream.progress_at) >= self.policy.retry {
                // Silence since the last acknowledgement: go back and send everything again.
                (stream.sent, stream.progress_at) = (stream.acked, now);
            }
            if stream.sent < end || now.since(stream.sent_at) >= self.policy.heartbeat {
                let from = stream.sent;
                (stream.sent, stream.sent_at) = (end, now);
                self.outbox.push(Outgoing::Replicate { to, from, count: (end - from) as u32, as_of: now });
            }
        }
    }

    /// The manager's ping: it names the leader of `term`. Returns what changed here.
    pub fn on_ping(&mut self, now: SimTime, leader: Member, term: u32) -> Adopted {
        self.catch_up(now);
        if term < self.term {
            return Adopted::Nothing;
        }
        self.last_ping = now;
        let previous = self.leader;
        if term == self.term && leader == previous {
            return Adopted::Nothing;
        }
        self.term = term;
        self.leader = leader;
        if leader == self.member && previous != self.member {
            // A new leader first applies what it received, then takes the promotion time.
            self.ready_at = self.applier_free.max(now) + self.policy.promote;
            // Its own stream to each member restarts from what that member will have of it.
            for stream in &mut self.streams {
                *stream = Stream {
                    sent: stream.acked,
                    acked: stream.acked,
                    progress_at: now,
                    sent_at: SimTime::ZERO,
                    arrives_after: stream.arrives_after,
                };
            }
            return Adopted::Promoted { previous };
        }
        if previous == self.member && leader != self.member {
            return Adopted::Demoted { leader };
        }
        Adopted::Follows
    }

    /// How far this member got in `origin`'s log (what the manager compares candidates by).
    pub fn position(&self, origin: Member) -> u64 {
        self.received[usize::from(origin)]
    }

    /// The server lost power: requests waiting for acknowledgements or answers get none.
    pub fn power_off(&mut self) {
        self.waiting_writes.clear();
        self.first_read_id = self.first_read_id.wrapping_add(self.waiting_reads.len() as u32);
        self.waiting_reads.clear();
    }

    /// Closes the measurement at the end of the run: what is still being applied or resolved.
    pub fn finish(&mut self, end: SimTime) {
        self.catch_up(end);
    }
}

/// Counts a deposed leader's writes the new leader never received, from position `received`
/// of its log: those its clients were told succeeded (lost), the others (discarded), and the
/// span of acknowledged history lost (the RPO in time).
pub fn lost_since(log: &Log, received: u64) -> (u64, u64, SimDuration) {
    let (mut lost, mut discarded, mut last) = (0, 0, None);
    for entry in log.since(received).filter(|e| !matches!(e.kind, EntryKind::HandOff { .. })) {
        if entry.acknowledged {
            lost += 1;
            last = Some(entry.version.time);
        } else {
            discarded += 1;
        }
    }
    let rpo = last.map_or(SimDuration::ZERO, |last| last.since(log.commit_before(received).min(last)));
    (lost, discarded, rpo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::placement::Move;
    use std::sync::Arc;

    fn policy(topology: Topology, members: u16, write_acks: u16) -> Arc<ReplicationPolicy> {
        Arc::new(ReplicationPolicy {
            topology,
            leader: 0,
            members,
            write_acks,
            reads: ReadFrom::Local,
            bound: None,
            apply_time: SimDuration::from_millis(1),
            heartbeat: SimDuration::from_millis(100),
            retry: SimDuration::from_secs(1),
            ack_timeout: SimDuration::from_secs(2),
            accept_missing_acks: false,
            conflicts: Conflicts::LastWriterWins,
            lock: None,
            fencing: None,
            promote: SimDuration::ZERO,
            failover: None,
            stock: None,
            placement: None,
        })
    }

    fn request(slot: u32) -> RequestRef {
        RequestRef { slot, generation: 0, caller: 0, attempt: 0, priority: 1 }
    }

    const WINDOW: Measured = Measured::ALWAYS;

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    /// Delivers every Replicate for `to` in `from`'s outbox at `now` (the others stay).
    fn deliver(from: &mut Replica, to: &mut Replica, now: SimTime) {
        let sent: Vec<_> = from.outbox.drain(..).collect();
        for message in sent {
            if let Outgoing::Replicate { to: target, from: position, count, as_of } = message
                && target == to.member
            {
                let entries: Vec<Entry> = from.log.since(position).take(count as usize).copied().collect();
                to.on_replicate(now, from.member, position, &entries, as_of, 1.0);
            } else {
                from.outbox.push(message);
            }
        }
    }

    #[test]
    fn a_follower_applies_one_write_per_apply_time_so_lag_grows_under_load() {
        let policy = policy(Topology::LeaderFollower, 2, 1);
        let (mut leader, mut follower) = (Replica::new(policy.clone(), 0, 0, 10, WINDOW), Replica::new(policy, 0, 1, 10, WINDOW));
        // Ten writes in the same millisecond: the tenth is applied 10 ms after it arrives.
        for i in 0..10 {
            assert_eq!(leader.write(at(0), request(i), i, true), Settled::Committed);
        }
        deliver(&mut leader, &mut follower, at(5));
        follower.catch_up(at(100));
        assert_eq!(follower.stats.counts.applied, 10);
        // The histogram keeps three significant digits.
        let near = |value: u64, ms: u64| (value as f64 / (ms as f64 * 1e6) - 1.0).abs() < 1e-3;
        assert!(near(follower.stats.lag_ns.max(), 15), "{}", follower.stats.lag_ns.max());
        assert!(near(follower.stats.lag_ns.min(), 6), "{}", follower.stats.lag_ns.min());
        // Safe as of the batch once the last write is applied.
        assert_eq!(follower.staleness(at(100)), SimDuration::from_millis(100), "no heartbeat since the batch of time 0");
    }

    #[test]
    fn a_write_waits_for_its_acknowledgements() {
        let policy = policy(Topology::LeaderFollower, 3, 3);
        let mut leader = Replica::new(policy, 0, 0, 10, WINDOW);
        assert_eq!(leader.write(at(0), request(1), 3, true), Settled::Waits { committed: true });
        let mut released = Vec::new();
        leader.on_ack(at(10), 1, 1, &mut released);
        assert!(released.is_empty(), "two of three acknowledgements");
        leader.on_ack(at(20), 2, 1, &mut released);
        assert_eq!(released.len(), 1);
        assert_eq!(released[0].outcome, Outcome::Served);
        assert_eq!(leader.log.since(0).filter(|e| e.acknowledged).count(), 0, "trimmed once everyone has it");
    }

    #[test]
    fn missing_acknowledgements_fail_a_strict_write_and_pass_a_sloppy_one() {
        for sloppy in [false, true] {
            let mut policy = (*policy(Topology::MultiLeader, 3, 2)).clone();
            policy.accept_missing_acks = sloppy;
            let mut replica = Replica::new(Arc::new(policy), 0, 0, 10, WINDOW);
            replica.write(at(0), request(1), 3, true);
            let mut released = Vec::new();
            replica.on_tick(at(1_999), &mut released);
            assert!(released.is_empty());
            replica.on_tick(at(2_000), &mut released);
            assert_eq!(released[0].outcome, if sloppy { Outcome::Served } else { Outcome::Error });
            assert_eq!(replica.stats.counts.ack_failures, u64::from(!sloppy));
            assert_eq!(replica.stats.counts.sloppy_writes, u64::from(sloppy));
        }
    }

    #[test]
    fn a_lost_batch_is_sent_again_after_the_retry_interval() {
        let policy = policy(Topology::LeaderFollower, 2, 1);
        let (mut leader, mut follower) = (Replica::new(policy.clone(), 0, 0, 10, WINDOW), Replica::new(policy, 0, 1, 10, WINDOW));
        leader.write(at(0), request(1), 1, true);
        leader.outbox.clear(); // lost
        leader.write(at(10), request(2), 2, true);
        deliver(&mut leader, &mut follower, at(20)); // a gap: dropped
        assert_eq!(follower.position(0), 0);
        let mut released = Vec::new();
        leader.on_tick(at(500), &mut released);
        assert!(matches!(leader.outbox[..], [Outgoing::Replicate { from: 2, count: 0, .. }]), "a heartbeat only: {:?}", leader.outbox);
        leader.outbox.clear();
        leader.on_tick(at(1_000), &mut released);
        assert!(matches!(leader.outbox[..], [Outgoing::Replicate { from: 0, count: 2, .. }]), "{:?}", leader.outbox);
        deliver(&mut leader, &mut follower, at(1_010));
        assert_eq!(follower.position(0), 2);
    }

    #[test]
    fn concurrent_writes_lose_one_update_under_last_writer_wins() {
        let policy = policy(Topology::MultiLeader, 2, 1);
        let (mut a, mut b) = (Replica::new(policy.clone(), 0, 0, 10, WINDOW), Replica::new(policy, 0, 1, 10, WINDOW));
        a.write(at(1), request(1), 4, true);
        b.write(at(5), request(2), 4, true);
        deliver(&mut a, &mut b, at(50));
        deliver(&mut b, &mut a, at(50));
        a.catch_up(at(100));
        b.catch_up(at(100));
        // a's write (older) is overwritten by b's, which had not seen it: one lost update, at a.
        assert_eq!((a.stats.counts.conflicts, b.stats.counts.conflicts), (1, 0));
        assert_eq!(a.versions[4], b.versions[4]);
        // A write that had seen the other is no conflict.
        a.write(at(200), request(3), 4, true);
        deliver(&mut a, &mut b, at(250));
        b.catch_up(at(300));
        assert_eq!(b.stats.counts.conflicts, 0);
    }

    #[test]
    fn both_sides_of_a_partition_sell_from_what_they_know() {
        let mut policy = (*policy(Topology::MultiLeader, 2, 1)).clone();
        policy.stock = Some(Stock { keys: 1, units: 3 });
        let policy = Arc::new(policy);
        let (mut a, mut b) = (Replica::new(policy.clone(), 0, 0, 10, WINDOW), Replica::new(policy, 0, 1, 10, WINDOW));
        for i in 0..4 {
            a.write(at(i), request(i as u32), 0, true);
            b.write(at(i), request(10 + i as u32), 0, true);
        }
        assert_eq!((a.stats.sold[0], b.stats.sold[0]), (3, 3), "each side sold the whole stock");
        assert_eq!((a.stats.sold_out, b.stats.sold_out), (1, 1));
    }

    /// Three members and two ranges: member 0 leads range 0 (even keys), member 1 range 1 (odd
    /// keys), member 2 none. One order: move one of member 0's ranges to member 1.
    fn placed() -> Arc<ReplicationPolicy> {
        use crate::data::placement::{MoveOrder, Movement};
        let mut policy = (*policy(Topology::LeaderFollower, 3, 1)).clone();
        let order = MoveOrder { at: SimTime::ZERO, from: 0, movement: Movement::Ranges { to: 1, count: 1 } };
        let leaders = Placement::dealt(&[1, 1, 0]);
        policy.placement = Some(Placement { leaders, move_time: SimDuration::from_secs(1), parallel: 1, orders: vec![order] });
        Arc::new(policy)
    }

    #[test]
    fn a_new_range_leader_takes_over_once_it_has_applied_the_old_leaders_writes() {
        let policy = placed();
        let mut members: Vec<Replica> = (0..3).map(|m| Replica::new(policy.clone(), 0, m, 10, WINDOW)).collect();
        let [a, b, c] = &mut members[..] else { unreachable!() };
        assert_eq!(a.route(at(0), Op::write(4), true), Route::Here);
        assert_eq!(a.route(at(0), Op::write(3), true), Route::Forward(1));
        assert_eq!(c.route(at(0), Op::write(4), true), Route::Forward(0));
        for i in 0..10 {
            a.write(at(0), request(i), 4, true);
        }
        let started = a.order_moves(at(0), 0);
        assert_eq!(started, vec![Move { range: 0, to: 1, order: 0 }]);
        assert_eq!(a.hand_off(at(1_000), started[0]), None, "nothing else queued");
        // The old leader forwards the range's writes now, and refuses one already in service.
        assert_eq!(a.route(at(1_000), Op::write(4), true), Route::Forward(1));
        assert_eq!(a.write(at(1_000), request(20), 4, true), Settled::Answer(Outcome::Error, Age::FRESH));
        // b receives a's ten writes and the hand-off at 1,010 ms and applies them 1 ms each: it
        // leads range 0 from 1,021 ms, holding a's last write to key 4.
        deliver(a, b, at(1_010));
        assert_eq!(b.route(at(1_020), Op::write(4), true), Route::Forward(0), "still applying a's writes");
        assert_eq!(b.route(at(1_021), Op::write(4), true), Route::Here);
        assert_eq!(b.versions[4], Version { time: at(0), member: 0 });
        let taken = b.ranges.as_ref().expect("placement").takeovers[0];
        assert_eq!((taken.range, taken.from, taken.handed_off, taken.taken), (0, 0, at(1_000), at(1_021)));
        assert_eq!((a.ranges_led(), b.ranges_led(), c.ranges_led()), (Some(0), Some(2), Some(0)));
        // c learns from a's stream too, and sends range 0's writes to b from then on.
        deliver(a, c, at(1_030));
        assert_eq!(c.route(at(1_040), Op::write(4), true), Route::Forward(0));
        assert_eq!(c.route(at(1_041), Op::write(4), true), Route::Forward(1));
        assert_eq!((b.role(), a.role()), ("range-leader", "follower"));
    }

    #[test]
    fn a_request_forwarded_twice_is_refused_rather_than_sent_round_again() {
        let mut c = Replica::new(placed(), 0, 2, 10, WINDOW);
        let write = Op::write(4);
        assert_eq!(c.route(at(0), write.forwarded(), true), Route::Forward(0));
        assert_eq!(c.route(at(0), write.forwarded().forwarded(), true), Route::Refuse);
        assert_eq!((c.stats.counts.forwarded_writes, c.stats.counts.misdirected), (1, 1));
        assert_eq!(write.forwarded().forwarded().key(), 4, "the hops leave the key alone");
    }

    #[test]
    fn with_placement_a_follower_keeps_the_later_version_whichever_stream_comes_first() {
        // b's write to key 4, made after it took range 0 from a, reaches c before a's older one.
        let policy = placed();
        let mut members: Vec<Replica> = (0..3).map(|m| Replica::new(policy.clone(), 0, m, 10, WINDOW)).collect();
        let [a, b, c] = &mut members[..] else { unreachable!() };
        a.write(at(0), request(1), 4, true);
        let started = a.order_moves(at(0), 0);
        a.hand_off(at(10), started[0]);
        deliver(a, b, at(20));
        b.catch_up(at(30));
        assert_eq!(b.write(at(30), request(2), 4, true), Settled::Committed);
        deliver(b, c, at(40));
        deliver(a, c, at(100));
        c.catch_up(at(200));
        assert_eq!(c.versions[4], Version { time: at(30), member: 1 });
        assert_eq!(c.stats.counts.conflicts, 0, "one writer at a time: no conflict");
    }
}
