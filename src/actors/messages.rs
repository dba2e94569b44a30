//! The messages actors exchange through the kernel. Small and `Copy` (24 bytes): an event is a
//! value in the queue, never a heap allocation.

use crate::kernel::{Message, SimDuration, SimTime};

/// Names one attempt of one request: its caller (which owns its state: a population, a prober
/// or a server's dependency caller), the slot in that caller's table, the slot's generation (so
/// a late message about a finished request is recognised and ignored even after the slot has
/// been reused) and the attempt's number. Packed into 12 bytes, so that a request message with
/// its deadline budget and its operation stays at 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRef {
    pub slot: u32,
    pub generation: u32,
    /// The caller's index (see `sim::model::CallerKind`); a scenario has at most 65,535 callers.
    pub caller: u16,
    pub attempt: u8,
    /// The request's priority class (see `Priority`), for admission control.
    pub priority: u8,
}

impl RequestRef {
    /// The most callers a scenario can have.
    pub const MAX_CALLERS: usize = u16::MAX as usize;
}

/// An answer for a request that waited on data: a cache's parked request whose fetch ended, a
/// replica's write acknowledged or quorum read answered (or given up on).
#[derive(Clone, Copy, Debug)]
pub struct Released {
    pub request: RequestRef,
    pub outcome: Outcome,
    pub age: Age,
}

/// How long a request's caller still waits for it, as seen when the message is delivered: the
/// deadline propagated with a call (as gRPC's `grpc-timeout` header carries it). Microseconds,
/// rounded down; `NONE` when the deadline is further than a u32 of microseconds reaches (about
/// 71 minutes), which a callee treats as no deadline rather than a wrong one. It keeps messages
/// small: an absolute time would double the size of every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget(u32);

impl Budget {
    pub const NONE: Budget = Budget(u32::MAX);

    /// The budget left at `delivered` for a caller that gives up at `deadline`.
    #[inline]
    pub fn until(deadline: SimTime, delivered: SimTime) -> Budget {
        let micros = deadline.0.saturating_sub(delivered.0) / 1_000;
        u32::try_from(micros).ok().filter(|&m| m != u32::MAX).map_or(Budget::NONE, Budget)
    }

    /// The same deadline, seen `delay` later.
    #[inline]
    pub fn after(self, delay: SimDuration) -> Budget {
        // A delay beyond a u32 of microseconds uses up any budget (`as u32` would wrap it).
        let micros = u32::try_from(delay.0 / 1_000).unwrap_or(u32::MAX);
        if self == Budget::NONE { self } else { Budget(self.0.saturating_sub(micros)) }
    }

    /// The absolute deadline, for a message delivered at `now`.
    #[inline]
    pub fn deadline(self, now: SimTime) -> SimTime {
        if self == Budget::NONE { SimTime(u64::MAX) } else { now + SimDuration::from_micros(u64::from(self.0)) }
    }
}

/// What a request does to the data: which key, and whether it reads or writes it. Requests in a
/// scenario without a key space all read key 0, which nothing looks at. Packed in a u32 so that
/// a request message stays at 24 bytes: 27 bits of key, two bits counting how often replicas
/// forwarded it (see `data::replica`), a bit for health probes, which caches let through
/// untouched, a bit a cache sets on a request it sends back to itself (a lease holder's wait; see
/// `data::front`), and a write bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Op(u32);

impl Op {
    const WRITE: u32 = 1 << 31;
    const REVISIT: u32 = 1 << 30;
    const PROBE: u32 = 1 << 29;
    /// Two bits: how many times replicas forwarded it.
    const HOPS: u32 = 3 << 27;
    const ONE_HOP: u32 = 1 << 27;
    /// The most keys a key space can have.
    pub const MAX_KEYS: u32 = 1 << 27;
    /// A deep health probe: it tests the workers behind any cache.
    pub const HEALTH_PROBE: Op = Op(Self::PROBE);

    #[inline]
    pub fn read(key: u32) -> Op {
        debug_assert!(key < Self::MAX_KEYS);
        Op(key)
    }

    #[inline]
    pub fn write(key: u32) -> Op {
        debug_assert!(key < Self::MAX_KEYS);
        Op(key | Self::WRITE)
    }

    #[inline]
    pub fn key(self) -> u32 {
        self.0 & (Self::MAX_KEYS - 1)
    }

    #[inline]
    pub fn is_write(self) -> bool {
        self.0 & Self::WRITE != 0
    }

    /// The same operation, marked as coming back to the cache that sent it to itself.
    #[inline]
    pub fn revisiting(self) -> Op {
        Op(self.0 | Self::REVISIT)
    }

    #[inline]
    pub fn is_probe(self) -> bool {
        self.0 & Self::PROBE != 0
    }

    #[inline]
    pub fn is_revisit(self) -> bool {
        self.0 & Self::REVISIT != 0
    }

    /// How many times replicas forwarded it.
    #[inline]
    pub fn hops(self) -> u32 {
        (self.0 & Self::HOPS) >> 27
    }

    /// The same operation, forwarded once more (counting up to 3).
    #[inline]
    pub fn forwarded(self) -> Op {
        if self.hops() == 3 { self } else { Op(self.0 + Self::ONE_HOP) }
    }

    /// The same operation with its forwards forgotten: what a served request's calls to other
    /// services carry (their replicas count their own forwards).
    #[inline]
    pub fn unforwarded(self) -> Op {
        Op(self.0 & !Self::HOPS)
    }

    /// The operation as its caller issued it (without the revisit mark).
    #[inline]
    pub fn plain(self) -> Op {
        Op(self.0 & !Self::REVISIT)
    }
}

/// How old the data in an answer is: the time since it was read from its source of truth (zero
/// for a server that computed it, the time in cache for a cache hit). Microseconds, saturating at
/// about 71 minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Age(u32);

impl Age {
    pub const FRESH: Age = Age(0);

    #[inline]
    pub fn of(duration: SimDuration) -> Age {
        Age(u32::try_from(duration.0 / 1_000).unwrap_or(u32::MAX))
    }

    /// The same data, `delay` older.
    #[inline]
    pub fn after(self, delay: SimDuration) -> Age {
        Age(self.0.saturating_add(u32::try_from(delay.0 / 1_000).unwrap_or(u32::MAX)))
    }

    #[inline]
    pub fn duration(self) -> SimDuration {
        SimDuration::from_micros(u64::from(self.0))
    }
}

/// Priority classes, most important first: under load, servers shed `Sheddable` first and
/// `Critical` last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Critical = 0,
    Normal = 1,
    Sheddable = 2,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Critical, Priority::Normal, Priority::Sheddable];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::Normal => "normal",
            Priority::Sheddable => "sheddable",
        }
    }
}

/// How a server (or the router) answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Served,
    Rejected,
    /// The server answered with an error (it was up, but serving badly).
    Error,
    /// Admission control refused the request, or dropped it after it waited too long.
    Shed,
    Unreachable,
}

#[derive(Clone, Copy, Debug)]
pub enum Msg {
    /// To a population: its next request arrives now.
    Arrive,
    /// To the router: choose a serving region for this request.
    Dispatch { request: RequestRef, budget: Budget, op: Op },
    /// To a server: a request reaches it, with what is left of its caller's deadline.
    Request { request: RequestRef, budget: Budget, op: Op },
    /// To a server: `worker` finished the request it started in `epoch`.
    ServiceDone { worker: u32, epoch: u32 },
    /// To the fault injector: fault `fault` starts (`true`) or ends.
    Fault { fault: u16, starting: bool },
    /// To a server: apply fault `fault`'s order for its start (`true`) or end.
    ServerFault { fault: u16, starting: bool },
    /// To the fault injector: routing re-converges now.
    Converge,
    /// To the fault injector: record the state of servers and breakers for `states.csv`.
    Sample,
    /// To the fault injector: flapping fault `fault` toggles its links (`down` or back up).
    Flap { fault: u16, down: bool },
    /// To a caller (population, prober or dependency caller): the answer to an attempt, with the
    /// age of the data it returns.
    Response { request: RequestRef, outcome: Outcome, age: Age },
    /// To a caller: a deadline timer. A population keeps one for all its requests (theirs fall
    /// in issue order), so `request` is only the earliest pending one; the caller ends every
    /// request whose deadline has come.
    Timeout { request: RequestRef },
    /// To a caller: it gives up on one attempt.
    AttemptTimeout { request: RequestRef },
    /// To a caller: the backoff is over, send the next attempt.
    Retry { request: RequestRef },
    /// To a caller: no answer yet, send a hedged attempt.
    Hedge { request: RequestRef },
    /// To a prober: time to probe every server.
    ProbeTick,
    /// To an autoscaled server: time to decide.
    AutoscaleTick,
    /// To a server with degradation modes: time to evaluate its signals.
    ModeTick,
    /// To a server: `count` provisioned workers are ready.
    WorkersReady { count: u32 },
    /// To a leaking server: its process runs out of memory (`killing`) or is back after the
    /// kill, if its memory's epoch is still `epoch`.
    OutOfMemory { epoch: u32, killing: bool },
    /// To the injector: operator action `action` is carried out now.
    Action { action: u16 },
    /// To a server: carry out operator action `action` (a `scale`).
    ServerAction { action: u16 },
    /// To a server: a shallow health probe (answered at once if the server is up).
    Probe { request: RequestRef },
    /// To a prober: this probe has had no answer in time.
    ProbeTimeout { request: RequestRef },
    /// To a server with a cache: another region of its service wrote `key`; drop it.
    Invalidate { key: u32 },
    /// To a server with a cache: load the most popular keys now.
    Prewarm,
    /// To a replica: positions `from..from + count` of member `origin`'s log, which has sent
    /// everything it committed up to `as_of`. (The log is append-only, so the positions name
    /// the writes as well as carrying them would.)
    Replicate { origin: u16, count: u32, from: u64, as_of: SimTime },
    /// To a replica that originates writes: `member` has received its log up to `upto`.
    ReplicaAck { member: u16, upto: u64 },
    /// To a replica: `member` asks for its version of `key`, for quorum read `id`.
    ReplicaRead { member: u16, id: u32, key: u32 },
    /// To a replica: `member`'s answer to quorum read `id`: the version it holds (commit time
    /// and member) and its staleness.
    ReplicaAnswer { member: u16, id: u32, staleness: Age, writer: u16, written: SimTime },
    /// To a replica: time to resend, heartbeat and give up on overdue waits.
    ReplicaTick,
    /// To a replica, from its group's failover manager: `leader` leads in `term`.
    Ping { group: u16, leader: u16, term: u32 },
    /// To the failover manager of `group` (at the injector's address): `member` is up, follows
    /// `leader`, and has `position` of the pinged leader's log.
    Pong { group: u16, member: u16, position: u64 },
    /// To the injector: the failover manager of `group` checks its leader and pings.
    FailoverTick { group: u16 },
    /// To a replica with leader placement: carry out its group's operator order `order`.
    MoveRanges { order: u16 },
    /// To a replica with leader placement: the move of `range` to `to` (for order `order`) is
    /// prepared; hand it off.
    HandOff { range: u32, to: u16, order: u16 },
}

// Every event carries one: growing it slows every run (see results/bench/quickstart.md).
const _: () = assert!(std::mem::size_of::<Msg>() == 24);

impl Message for Msg {
    #[inline]
    fn trace_word(&self) -> u64 {
        let reference = |r: &RequestRef| (u64::from(r.slot) << 32) ^ u64::from(r.generation) ^ (u64::from(r.attempt) << 24);
        match self {
            Msg::Arrive => 1,
            Msg::Dispatch { request, op, .. } => 2 ^ reference(request) << 3 ^ u64::from(op.0) << 7,
            Msg::Request { request, op, .. } => 3 ^ reference(request) << 3 ^ u64::from(op.0) << 7,
            Msg::ServiceDone { worker, epoch } => 4 ^ (u64::from(*worker) << 3) ^ (u64::from(*epoch) << 35),
            Msg::Fault { fault, starting } => 7 ^ (u64::from(*fault) << 4) ^ (u64::from(*starting) << 3),
            Msg::ServerFault { fault, starting } => 8 ^ (u64::from(*fault) << 5) ^ (u64::from(*starting) << 4),
            Msg::Converge => 9,
            Msg::Sample => 20,
            Msg::Flap { fault, down } => 10 ^ (u64::from(*fault) << 5) ^ (u64::from(*down) << 4),
            Msg::Response { request, outcome, .. } => (5 + *outcome as u64 * 8) ^ reference(request) << 5,
            Msg::Timeout { request } => 6 ^ reference(request) << 3,
            Msg::AttemptTimeout { request } => 11 ^ reference(request) << 5,
            Msg::Retry { request } => 12 ^ reference(request) << 5,
            Msg::Hedge { request } => 13 ^ reference(request) << 5,
            Msg::ProbeTick => 14,
            Msg::AutoscaleTick => 17,
            Msg::ModeTick => 19,
            Msg::WorkersReady { count } => 18 ^ u64::from(*count) << 5,
            Msg::Action { action } => 33 ^ u64::from(*action) << 6,
            Msg::OutOfMemory { epoch, killing } => 35 ^ u64::from(*epoch) << 7 ^ u64::from(*killing) << 6,
            Msg::ServerAction { action } => 34 ^ u64::from(*action) << 6,
            Msg::Probe { request } => 15 ^ reference(request) << 5,
            Msg::ProbeTimeout { request } => 16 ^ reference(request) << 5,
            Msg::Invalidate { key } => 21 ^ u64::from(*key) << 5,
            Msg::Prewarm => 22,
            Msg::Replicate { origin, count, from, .. } => 23 ^ u64::from(*origin) << 5 ^ u64::from(*count) << 21 ^ from << 40,
            Msg::ReplicaAck { member, upto } => 24 ^ u64::from(*member) << 5 ^ upto << 21,
            Msg::ReplicaRead { member, id, key } => 25 ^ u64::from(*member) << 5 ^ u64::from(*id) << 21 ^ u64::from(*key) << 40,
            Msg::ReplicaAnswer { member, id, .. } => 26 ^ u64::from(*member) << 5 ^ u64::from(*id) << 21,
            Msg::ReplicaTick => 27,
            Msg::Ping { group, leader, term } => 28 ^ u64::from(*group) << 5 ^ u64::from(*leader) << 21 ^ u64::from(*term) << 37,
            Msg::Pong { group, member, position, .. } => 29 ^ u64::from(*group) << 5 ^ u64::from(*member) << 21 ^ position << 37,
            Msg::FailoverTick { group } => 30 ^ u64::from(*group) << 5,
            Msg::MoveRanges { order } => 31 ^ u64::from(*order) << 5,
            Msg::HandOff { range, to, order } => 32 ^ u64::from(*range) << 6 ^ u64::from(*to) << 38 ^ u64::from(*order) << 54,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_seen_after_a_long_delay_is_used_up_not_wrapped() {
        let budget = Budget::until(SimTime(10_000_000_000), SimTime::ZERO);
        assert_eq!(budget.after(SimDuration::from_secs(4)).deadline(SimTime::ZERO), SimTime(6_000_000_000));
        // 2^32 µs and a little more: `as u32` would have kept almost all of the 10 s.
        let long = SimDuration::from_micros((1 << 32) + 5);
        assert_eq!(budget.after(long).deadline(SimTime::ZERO), SimTime::ZERO);
        assert_eq!(Budget::NONE.after(long), Budget::NONE);
    }

    #[test]
    fn forwards_are_counted_in_the_operation_without_touching_its_key() {
        let op = Op::write(Op::MAX_KEYS - 1);
        let twice = op.forwarded().forwarded();
        assert_eq!((twice.hops(), twice.key(), twice.is_write()), (2, Op::MAX_KEYS - 1, true));
        assert_eq!(twice.forwarded().forwarded().hops(), 3, "the count stops at 3");
        assert_eq!(twice.unforwarded(), op);
    }
}
