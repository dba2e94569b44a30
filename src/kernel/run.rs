//! The run loop: pop the earliest event, advance the clock, hand the event to the model.
//!
//! Like FoundationDB's `runLoop`, it is deliberately tiny. It knows nothing of regions or
//! requests: a [`Model`] owns the actors and decides what a message means. The loop stops when
//! the queue is empty, when the next event lies beyond the time horizon, or when the event limit
//! is reached; the reason is part of the outcome, so a limit is a reported result, never a hang.

use super::queue::{ActorId, Event, EventQueue};
use super::time::{SimDuration, SimTime};

/// A message an actor can receive. `trace_word` feeds the run's trace digest: it should tell
/// apart the kinds of message (and whatever payload identifies them) without being expensive.
pub trait Message: Copy {
    fn trace_word(&self) -> u64;
}

impl Message for () {
    fn trace_word(&self) -> u64 {
        0
    }
}

/// The world being simulated: receives each event in order and may schedule new ones.
pub trait Model {
    type Msg: Message;
    fn handle(&mut self, ctx: &mut Scheduler<Self::Msg>, target: ActorId, msg: Self::Msg);
}

/// What actors see of the kernel: the current time and a way to send messages.
pub struct Scheduler<M> {
    now: SimTime,
    next_seq: u64,
    queue: EventQueue<M>,
}

impl<M: Copy> Scheduler<M> {
    pub fn with_capacity(capacity: usize) -> Self {
        Scheduler { now: SimTime::ZERO, next_seq: 0, queue: EventQueue::with_capacity(capacity) }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Delivers `msg` to `target` after `delay`.
    #[inline]
    pub fn send(&mut self, delay: SimDuration, target: ActorId, msg: M) {
        self.send_at(self.now + delay, target, msg);
    }

    /// Delivers `msg` to `target` at `time`, which must not be in the past.
    #[inline]
    pub fn send_at(&mut self, time: SimTime, target: ActorId, msg: M) {
        assert!(time >= self.now, "event scheduled in the past: {time} < {}", self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Event { time, seq, target, msg });
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    pub fn reserved_bytes(&self) -> usize {
        self.queue.reserved_bytes()
    }
}

/// Bounds on a run. `horizon` is inclusive: events at exactly the horizon still run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub horizon: SimTime,
    pub max_events: u64,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// No event was left to run.
    QueueEmpty,
    /// The next event lies beyond the time horizon: the normal end of a scenario.
    Horizon,
    /// `max_events` events ran; the run was cut short.
    EventLimit,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::QueueEmpty => "drained",
            StopReason::Horizon => "horizon",
            StopReason::EventLimit => "event-limit",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct RunOutcome {
    pub events: u64,
    pub end_time: SimTime,
    pub reason: StopReason,
    /// Digest of the trace: every event's (time, target, message word), in order.
    pub digest: u64,
}

/// Runs `model` until the queue empties or a limit is reached.
pub fn run<M: Model>(model: &mut M, ctx: &mut Scheduler<M::Msg>, limits: Limits) -> RunOutcome {
    run_observed(model, ctx, limits, |_| {})
}

/// How far a run has got, as a progress display shows it.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: SimTime,
    pub horizon: SimTime,
    pub events: u64,
}

/// Events between two calls of a run's observer: often enough for a display (about a hundred
/// calls a second at the quickstart's speed), rare enough to cost nothing.
pub const OBSERVE_EVERY_EVENTS: u64 = 1 << 16;

/// Like [`run`], and calls `observe` between slices of [`OBSERVE_EVERY_EVENTS`] events: after
/// each whole slice that more events follow, so neither before the first event nor after the
/// last (a run of exactly one slice is never observed). The loop compares
/// the event count with a bound on every event anyway: the bound is the end of the current slice
/// of events instead of the limit, and only when a slice ends does the loop look at the limit and
/// call the observer, so watching a run adds nothing per event. The observer sees the run;
/// nothing it does reaches the model.
pub fn run_observed<M: Model>(model: &mut M, ctx: &mut Scheduler<M::Msg>, limits: Limits, mut observe: impl FnMut(Progress)) -> RunOutcome {
    let mut digest = TraceDigest::new();
    let mut events = 0u64;
    let mut slice_end = limits.max_events.min(OBSERVE_EVERY_EVENTS);
    let reason = loop {
        let Some(next_time) = ctx.queue.peek_time() else { break StopReason::QueueEmpty };
        if next_time > limits.horizon {
            break StopReason::Horizon;
        }
        if events >= slice_end {
            if events >= limits.max_events {
                break StopReason::EventLimit;
            }
            observe(Progress { now: ctx.now, horizon: limits.horizon, events });
            slice_end = limits.max_events.min(events.saturating_add(OBSERVE_EVERY_EVENTS));
        }
        let event = ctx.queue.pop().expect("peeked event is present");
        assert!(event.time >= ctx.now, "time went backwards");
        ctx.now = event.time;
        digest.add(event.time.0, u64::from(event.target.0), event.msg.trace_word());
        events += 1;
        model.handle(ctx, event.target, event.msg);
    };
    RunOutcome { events, end_time: ctx.now, reason, digest: digest.value() }
}

/// A cheap, order-sensitive 64-bit fingerprint of the event trace.
#[derive(Clone, Copy, Debug)]
pub struct TraceDigest(u64);

impl TraceDigest {
    pub fn new() -> Self {
        TraceDigest(0xCBF2_9CE4_8422_2325)
    }

    #[inline]
    pub fn add(&mut self, time: u64, target: u64, word: u64) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut h = self.0;
        for value in [time, target, word] {
            h = (h.rotate_left(23) ^ value).wrapping_mul(K);
        }
        self.0 = h;
    }

    pub fn value(self) -> u64 {
        super::rng::splitmix64(self.0)
    }
}

impl Default for TraceDigest {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each actor forwards a token to the next one after a fixed delay, recording the order.
    struct Ring {
        actors: u32,
        seen: Vec<(u64, u32)>,
    }

    impl Model for Ring {
        type Msg = ();
        fn handle(&mut self, ctx: &mut Scheduler<()>, target: ActorId, _msg: ()) {
            self.seen.push((ctx.now().0, target.0));
            ctx.send(SimDuration(10), ActorId((target.0 + 1) % self.actors), ());
        }
    }

    fn ring_run(limits: Limits) -> (Ring, RunOutcome) {
        let mut model = Ring { actors: 3, seen: Vec::new() };
        let mut ctx = Scheduler::with_capacity(4);
        ctx.send(SimDuration(0), ActorId(0), ());
        ctx.send(SimDuration(0), ActorId(2), ());
        let outcome = run(&mut model, &mut ctx, limits);
        (model, outcome)
    }

    #[test]
    fn equal_times_run_in_scheduling_order() {
        let (model, _) = ring_run(Limits { horizon: SimTime(25), max_events: u64::MAX });
        assert_eq!(model.seen, vec![(0, 0), (0, 2), (10, 1), (10, 0), (20, 2), (20, 1)]);
    }

    #[test]
    fn horizon_and_event_limit_end_the_run_with_their_reason() {
        let (_, by_time) = ring_run(Limits { horizon: SimTime(25), max_events: u64::MAX });
        assert_eq!(by_time.reason, StopReason::Horizon);
        assert_eq!(by_time.events, 6);
        let (_, by_count) = ring_run(Limits { horizon: SimTime::MAX, max_events: 5 });
        assert_eq!(by_count.reason, StopReason::EventLimit);
        assert_eq!(by_count.events, 5);
    }

    /// One actor sending itself a token every 10 ns, from 0 ns: event `k` (from 1) runs at
    /// `10 * (k - 1)` ns, so a horizon of `10 * (n - 1)` ns runs exactly `n` events. Returns the
    /// outcome and what the observer saw: (events, now, horizon) at each call.
    fn ring_run_one(limits: Limits) -> (RunOutcome, Vec<(u64, u64, SimTime)>) {
        let mut model = Ring { actors: 1, seen: Vec::new() };
        let mut ctx = Scheduler::with_capacity(4);
        ctx.send(SimDuration(0), ActorId(0), ());
        let mut seen = Vec::new();
        let outcome = run_observed(&mut model, &mut ctx, limits, |p| seen.push((p.events, p.now.0, p.horizon)));
        assert_eq!(model.seen.len() as u64, outcome.events, "the model handled every event counted");
        (outcome, seen)
    }

    /// The digest of `events` events of `ring_run_one`, computed without the run loop.
    fn ring_one_digest(events: u64) -> u64 {
        let mut digest = TraceDigest::new();
        for k in 0..events {
            digest.add(10 * k, 0, 0);
        }
        digest.value()
    }

    const SLICE: u64 = OBSERVE_EVERY_EVENTS;

    #[test]
    fn an_observed_run_is_seen_after_every_whole_slice() {
        let events = SLICE * 5 / 2 + 1;
        let limits = Limits { horizon: SimTime(10 * (events - 1)), max_events: u64::MAX };
        let (outcome, seen) = ring_run_one(limits);
        assert_eq!((outcome.events, outcome.reason, outcome.end_time), (events, StopReason::Horizon, limits.horizon));
        assert_eq!(outcome.digest, ring_one_digest(events), "every event ran once, in order");
        // After each whole slice of events, with more to run, the clock at the slice's last event.
        assert_eq!(seen, vec![(SLICE, 10 * (SLICE - 1), limits.horizon), (2 * SLICE, 10 * (2 * SLICE - 1), limits.horizon)]);
    }

    #[test]
    fn a_horizon_at_a_slice_boundary_is_seen_only_before_the_last_slice() {
        // A run whose last event ends a slice stops at the horizon before it looks at the slice
        // count: the observer is not called for the end of the run, only between slices.
        for (events, calls) in [(SLICE - 1, 0), (SLICE, 0), (SLICE + 1, 1), (2 * SLICE, 1), (2 * SLICE + 1, 2)] {
            let limits = Limits { horizon: SimTime(10 * (events - 1)), max_events: u64::MAX };
            let (outcome, seen) = ring_run_one(limits);
            assert_eq!((outcome.events, outcome.reason), (events, StopReason::Horizon), "{events} events");
            assert_eq!(outcome.end_time, limits.horizon, "{events} events");
            assert_eq!(outcome.digest, ring_one_digest(events), "{events} events");
            let expected: Vec<_> = (1..=calls).map(|n| (n * SLICE, 10 * (n * SLICE - 1), limits.horizon)).collect();
            assert_eq!(seen, expected, "{events} events");
        }
    }

    #[test]
    fn slices_keep_the_event_limit_exact() {
        let (outcome, seen) = ring_run_one(Limits { horizon: SimTime::MAX, max_events: SLICE + 3 });
        assert_eq!((outcome.events, outcome.reason), (SLICE + 3, StopReason::EventLimit));
        assert_eq!(seen.len(), 1);
        let (outcome, seen) = ring_run_one(Limits { horizon: SimTime::MAX, max_events: 2 * SLICE });
        assert_eq!((outcome.events, outcome.reason), (2 * SLICE, StopReason::EventLimit));
        assert_eq!(outcome.digest, ring_one_digest(2 * SLICE));
        assert_eq!(seen, vec![(SLICE, 10 * (SLICE - 1), SimTime::MAX)], "no call once the limit is reached");
        let (outcome, seen) = ring_run_one(Limits { horizon: SimTime::MAX, max_events: 0 });
        assert_eq!((outcome.events, outcome.reason, seen.len()), (0, StopReason::EventLimit, 0), "a limit of none runs none");
    }

    #[test]
    fn digest_depends_on_the_trace() {
        let (_, short) = ring_run(Limits { horizon: SimTime(25), max_events: u64::MAX });
        let (_, same) = ring_run(Limits { horizon: SimTime(25), max_events: u64::MAX });
        let (_, longer) = ring_run(Limits { horizon: SimTime(35), max_events: u64::MAX });
        assert_eq!(short.digest, same.digest);
        assert_ne!(short.digest, longer.digest);
    }
}
