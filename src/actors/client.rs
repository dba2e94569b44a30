//! A client population: users in one region who issue requests at a time-varying rate, try to
//! get each one answered within its deadline, and record what they saw.
//!
//! A request is made of attempts. The first goes out at once; a failed or timed-out attempt may
//! be retried after a backoff (within the retry count, the retry budget and the deadline); a slow
//! one may be hedged with another attempt; the first success wins. A circuit breaker may refuse
//! attempts outright while the service looks broken. The request ends exactly once: at its first
//! success, when no attempt is left to wait for and no retry is allowed, or at its deadline.
//!
//! The population owns all of this state (a slot table with generations), so no other actor
//! ever touches it: the router and servers only carry a `RequestRef`, whose attempt number tells
//! which attempt an answer belongs to. Answers to abandoned attempts are recognised and ignored.
//! Simplification: the client does not cancel the server's work when it gives up.

use super::messages::{Msg, Outcome, RequestRef};
use super::policy::{Breaker, BreakerState, ClientPolicy, RetryBudget};
use super::traffic::{RateCurve, next_arrival};
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{Ending, Recorder};
use crate::world::RegionId;
use rand::RngExt;

#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    issued: SimTime,
    active: bool,
    /// Attempts sent so far; the next attempt's number.
    attempts: u16,
    retries: u16,
    hedges: u16,
    /// Bit k set: attempt k is in flight and its answer is awaited.
    outstanding: u32,
    retry_pending: bool,
    /// Why the last attempt failed, reported if the request fails.
    last_failure: Ending,
    priority: u8,
}

pub struct Population {
    pub index: u32,
    pub region: RegionId,
    /// `name@region`, for events.
    pub label: String,
    curve: RateCurve,
    /// `curve`'s rate when it never changes: arrivals then need no thinning.
    constant_rate: Option<f64>,
    timeout: SimDuration,
    access_one_way: SimDuration,
    policy: ClientPolicy,
    /// Cumulative shares of the priority classes (critical, normal, sheddable).
    priority_mix: [f64; 3],
    budget: Option<RetryBudget>,
    pub breaker: Option<Breaker>,
    router: ActorId,
    /// Arrivals stop at this time.
    arrivals_end: SimTime,
    rng: SimRng,
    slots: Vec<Slot>,
    free: Vec<u32>,
    pub in_flight: u64,
    /// Requests issued over the whole run, warm-up included.
    issued: u64,
}

pub struct PopulationSetup {
    pub index: u32,
    pub region: RegionId,
    pub label: String,
    pub curve: RateCurve,
    pub timeout: SimDuration,
    pub access_one_way: SimDuration,
    pub policy: ClientPolicy,
    /// Shares of the priority classes (critical, normal, sheddable), summing to 1.
    pub priority_mix: [f64; 3],
    pub router: ActorId,
    pub arrivals_end: SimTime,
    pub rng: SimRng,
}

impl Population {
    pub fn new(setup: PopulationSetup) -> Self {
        assert!(setup.policy.max_attempts() <= 32, "attempt numbers must fit the outstanding mask");
        Population {
            index: setup.index,
            region: setup.region,
            label: setup.label,
            constant_rate: setup.curve.constant_rate(),
            curve: setup.curve,
            timeout: setup.timeout,
            access_one_way: setup.access_one_way,
            budget: setup.policy.retry.as_ref().and_then(|r| r.budget_ratio).map(RetryBudget::new),
            breaker: setup.policy.breaker.map(Breaker::new),
            policy: setup.policy,
            priority_mix: [setup.priority_mix[0], setup.priority_mix[0] + setup.priority_mix[1], 1.0],
            router: setup.router,
            arrivals_end: setup.arrivals_end,
            rng: setup.rng,
            slots: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            issued: 0,
        }
    }

    /// Schedules the first arrival; call once before the run.
    pub fn start(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId) {
        self.schedule_next(ctx, me, SimTime::ZERO);
    }

    fn schedule_next(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, after: SimTime) {
        if let Some(at) = next_arrival(&self.curve, self.constant_rate, after, self.arrivals_end, &mut self.rng) {
            ctx.send_at(at, me, Msg::Arrive);
        }
    }

    pub fn on_arrive(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, recorder: &mut Recorder) {
        let now = ctx.now();
        let request = self.issue(now);
        recorder.started(self.region, now, request.priority);
        if let Some(budget) = &mut self.budget {
            budget.deposit();
        }
        ctx.send(self.timeout, me, Msg::Timeout { request });
        self.send_attempt(ctx, me, request, recorder);
        self.schedule_next(ctx, me, now);
    }

    fn issue(&mut self, now: SimTime) -> RequestRef {
        let priority = self.draw_priority();
        let fresh = |generation: u32, active: bool| Slot {
            generation,
            issued: now,
            active,
            attempts: 0,
            retries: 0,
            hedges: 0,
            outstanding: 0,
            retry_pending: false,
            last_failure: Ending::Timeout,
            priority,
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(fresh(0, false));
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        assert!(!entry.active, "slot reused while its request was in flight");
        *entry = fresh(entry.generation.wrapping_add(1), true);
        self.in_flight += 1;
        self.issued += 1;
        RequestRef { population: self.index, slot, generation: entry.generation, attempt: 0, priority }
    }

    /// The class of a new request: no draw when the population has a single class, so adding
    /// priorities elsewhere does not shift this population's random stream.
    fn draw_priority(&mut self) -> u8 {
        let single = self.priority_mix.iter().position(|c| *c >= 1.0).filter(|&class| class == 0 || self.priority_mix[class - 1] <= 0.0);
        if let Some(class) = single {
            return class as u8;
        }
        let draw = self.rng.random::<f64>();
        self.priority_mix.iter().position(|c| draw < *c).unwrap_or(2) as u8
    }

    /// The slot of `request` if the request is still in flight.
    fn live(&mut self, request: RequestRef) -> Option<&mut Slot> {
        let slot = &mut self.slots[request.slot as usize];
        (slot.active && slot.generation == request.generation).then_some(slot)
    }

    /// Sends the request's next attempt, unless the breaker refuses it.
    fn send_attempt(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, recorder: &mut Recorder) {
        let now = ctx.now();
        if let Some(breaker) = &mut self.breaker {
            let (admitted, change) = breaker.admit(now);
            if let Some(state) = change {
                recorder.log(now, "breaker", &self.label, state.as_str().to_string());
            }
            if !admitted {
                // Fail fast: a refused attempt is not retried, that is the breaker's point.
                return self.end(request, now, Ending::BreakerOpen, recorder);
            }
        }
        let slot = self.live(request).expect("attempts are sent for live requests");
        let attempt = RequestRef { attempt: slot.attempts, ..request };
        slot.attempts += 1;
        slot.outstanding |= 1 << attempt.attempt;
        let (issued, first) = (slot.issued, attempt.attempt == 0);
        ctx.send(self.access_one_way, self.router, Msg::Dispatch { request: attempt });
        let deadline = issued + self.timeout;
        if let Some(limit) = self.policy.attempt_timeout.filter(|t| now + *t < deadline) {
            ctx.send(limit, me, Msg::AttemptTimeout { request: attempt });
        }
        if let Some(hedge) = self.policy.hedge.filter(|_| first).filter(|h| now + h.after < deadline) {
            ctx.send(hedge.after, me, Msg::Hedge { request: attempt });
        }
    }

    /// Marks an attempt answered; false if it was no longer awaited.
    fn settle(&mut self, attempt: RequestRef) -> bool {
        let Some(slot) = self.live(attempt) else { return false };
        let bit = 1u32 << attempt.attempt;
        let awaited = slot.outstanding & bit != 0;
        slot.outstanding &= !bit;
        awaited
    }

    fn breaker_record(&mut self, now: SimTime, success: bool, recorder: &mut Recorder) {
        if let Some(change) = self.breaker.as_mut().and_then(|b| b.record(now, success)) {
            recorder.log(now, "breaker", &self.label, change.as_str().to_string());
        }
    }

    pub fn on_response(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, attempt: RequestRef, outcome: Outcome, recorder: &mut Recorder) {
        if !self.settle(attempt) {
            return;
        }
        let now = ctx.now();
        // Unreachable comes from the client's own network, not from the service.
        if outcome != Outcome::Unreachable {
            self.breaker_record(now, outcome == Outcome::Served, recorder);
        }
        let failure = match outcome {
            Outcome::Served => {
                let issued = self.slots[attempt.slot as usize].issued;
                return self.end(attempt, now, Ending::Succeeded(now.since(issued)), recorder);
            }
            Outcome::Rejected => Ending::Rejected,
            Outcome::Error => Ending::Error,
            Outcome::Shed => Ending::Shed,
            Outcome::Unreachable => Ending::Unreachable,
        };
        self.attempt_failed(ctx, me, attempt, failure, recorder);
    }

    pub fn on_attempt_timeout(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, attempt: RequestRef, recorder: &mut Recorder) {
        if self.settle(attempt) {
            self.breaker_record(ctx.now(), false, recorder);
            self.attempt_failed(ctx, me, attempt, Ending::Timeout, recorder);
        }
    }

    /// After a failed attempt: wait for a hedge still in flight, retry, or give up.
    fn attempt_failed(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, attempt: RequestRef, failure: Ending, recorder: &mut Recorder) {
        let now = ctx.now();
        let slot = self.live(attempt).expect("a settled attempt belongs to a live request");
        slot.last_failure = failure;
        if slot.outstanding != 0 || slot.retry_pending {
            return;
        }
        match self.retry_delay(attempt, failure, now) {
            Some(delay) => {
                let slot = self.live(attempt).expect("still live");
                slot.retry_pending = true;
                ctx.send(delay, me, Msg::Retry { request: attempt });
            }
            None => self.end(attempt, now, failure, recorder),
        }
    }

    /// The backoff before the next retry, if one is allowed for this failure.
    fn retry_delay(&mut self, attempt: RequestRef, failure: Ending, now: SimTime) -> Option<SimDuration> {
        let retry = self.policy.retry.as_ref()?;
        let slot = &self.slots[attempt.slot as usize];
        let retryable = match failure {
            Ending::Timeout => retry.on.timeout,
            Ending::Rejected | Ending::Shed => retry.on.rejected,
            Ending::Error => retry.on.error,
            Ending::Unreachable => retry.on.unreachable,
            Ending::Succeeded(_) | Ending::BreakerOpen => false,
        };
        if !retryable || u32::from(slot.retries) >= retry.max {
            return None;
        }
        let delay = retry.backoff.delay(u32::from(slot.retries), &mut self.rng);
        if now + delay >= slot.issued + self.timeout {
            return None;
        }
        if let Some(budget) = &mut self.budget
            && !budget.try_withdraw()
        {
            return None;
        }
        Some(delay)
    }

    pub fn on_retry(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, recorder: &mut Recorder) {
        let Some(slot) = self.live(request) else { return };
        slot.retry_pending = false;
        slot.retries += 1;
        let issued = slot.issued;
        recorder.retry(self.region, issued, ctx.now());
        self.send_attempt(ctx, me, request, recorder);
    }

    pub fn on_hedge(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, recorder: &mut Recorder) {
        let Some(hedge) = self.policy.hedge else { return };
        let Some(slot) = self.live(request) else { return };
        // Hedge only a request still waiting on an attempt (not one between retries).
        if slot.outstanding == 0 || u32::from(slot.hedges) >= hedge.max {
            return;
        }
        slot.hedges += 1;
        let issued = slot.issued;
        recorder.hedge(self.region, issued, ctx.now());
        self.send_attempt(ctx, me, request, recorder);
    }

    pub fn on_timeout(&mut self, now: SimTime, request: RequestRef, recorder: &mut Recorder) {
        let Some(slot) = self.live(request) else { return };
        // An attempt still in flight at the deadline has failed, as far as the breaker can tell
        // (without an attempt timeout, this is the only failure it would ever see).
        if slot.outstanding != 0 {
            self.breaker_record(now, false, recorder);
        }
        self.end(request, now, Ending::Timeout, recorder);
    }

    /// Ends a live request exactly once.
    fn end(&mut self, request: RequestRef, now: SimTime, ending: Ending, recorder: &mut Recorder) {
        let slot = self.live(request).expect("only live requests end");
        slot.active = false;
        let (issued, priority) = (slot.issued, slot.priority);
        self.free.push(request.slot);
        self.in_flight -= 1;
        recorder.ended(self.region, issued, now, ending, priority);
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }

    pub fn access_one_way(&self) -> SimDuration {
        self.access_one_way
    }

    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.breaker.as_ref().map(Breaker::state)
    }

    pub fn retries_denied_by_budget(&self) -> u64 {
        self.budget.as_ref().map_or(0, |b| b.denied)
    }
}
