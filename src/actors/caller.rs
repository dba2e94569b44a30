//! The attempt machinery every caller shares: a client population calling the front service, or
//! a server calling one of its dependencies.
//!
//! A request is made of attempts. The first goes out at once; a failed or timed-out attempt may
//! be retried after a backoff (within the retry count, the retry budget and the deadline); a slow
//! one may be hedged with another attempt; the first success wins. A circuit breaker may refuse
//! attempts outright while the callee looks broken. The request ends exactly once: at its first
//! success, when no attempt is left to wait for and no retry is allowed, or at its deadline.
//!
//! The caller owns all of this state (a slot table with generations), so no other actor ever
//! touches it: the router and servers only carry a `RequestRef`, whose attempt number tells
//! which attempt an answer belongs to. Answers to abandoned attempts are recognised and ignored.
//! Every attempt carries its deadline (the sooner of the request's deadline and the attempt
//! timeout), which a callee that propagates deadlines uses to skip work nobody waits for.

use super::messages::{Age, Budget, Msg, Op, Outcome, RequestRef};
use super::policy::{Breaker, BreakerState, ClientPolicy, RetryBudget};
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::Ending;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    issued: SimTime,
    deadline: SimTime,
    active: bool,
    /// Attempts sent so far; the next attempt's number.
    attempts: u8,
    retries: u16,
    hedges: u16,
    /// Bit k set: attempt k is in flight and its answer is awaited.
    outstanding: u32,
    retry_pending: bool,
    priority: u8,
    /// The owner's identification of the request (a server's worker and job).
    tag: u64,
    /// What every attempt asks for.
    op: Op,
}

/// A request that has just ended.
#[derive(Clone, Copy, Debug)]
pub struct Ended {
    pub issued: SimTime,
    pub ending: Ending,
    pub priority: u8,
    pub tag: u64,
    pub op: Op,
    /// For a success: the age of the data the winning answer returned.
    pub age: Age,
}

/// A request to start: when its caller gives up, its priority class, the owner's tag for it (a
/// server's worker and job) and what it does to the data.
#[derive(Clone, Copy, Debug)]
pub struct NewCall {
    pub deadline: SimTime,
    pub priority: u8,
    pub tag: u64,
    pub op: Op,
}

/// An answer to an attempt: how it went and the age of the data it returned.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub outcome: Outcome,
    pub age: Age,
}

/// Whether an attempt went out.
enum Attempt {
    Sent,
    /// The breaker refused it; the request ended if nothing else of it was in flight.
    Refused(Option<Ended>),
}

/// Where a caller reports what happens to its requests along the way.
pub trait Observer {
    fn retried(&mut self, issued: SimTime, now: SimTime);
    fn hedged(&mut self, issued: SimTime, now: SimTime);
    fn breaker_changed(&mut self, now: SimTime, label: &str, state: BreakerState);
}

pub struct Caller {
    /// This caller's index, carried in every `RequestRef` so answers find their way back.
    pub index: u16,
    /// `name@region`, for events.
    pub label: String,
    /// The hop to the caller's first router (a client's access network; zero inside a region).
    access_one_way: SimDuration,
    policy: ClientPolicy,
    budget: Option<RetryBudget>,
    pub breaker: Option<Breaker>,
    router: ActorId,
    /// The service this caller calls, for the router.
    pub service: u32,
    slots: Vec<Slot>,
    free: Vec<u32>,
    pub in_flight: u64,
    /// When every deadline is the issue time plus one fixed timeout (a client population's),
    /// deadlines fall in issue order: the requests wait here in that order, behind one timer
    /// for the earliest, instead of one pending event each. Most requests end before their
    /// deadline, so this keeps the event queue small. `None`: one timer per request.
    deadline_order: Option<VecDeque<RequestRef>>,
    timer_armed: bool,
}

impl Caller {
    /// `deadlines_in_order`: every request's deadline is its issue time plus the same timeout.
    pub fn new(
        index: u16,
        label: String,
        access_one_way: SimDuration,
        policy: ClientPolicy,
        router: ActorId,
        service: u32,
        deadlines_in_order: bool,
    ) -> Self {
        assert!(policy.max_attempts() <= 32, "attempt numbers must fit the outstanding mask");
        Caller {
            index,
            label,
            access_one_way,
            budget: policy.retry.as_ref().and_then(|r| r.budget_ratio).map(RetryBudget::new),
            breaker: policy.breaker.map(Breaker::new),
            policy,
            router,
            service,
            slots: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            deadline_order: deadlines_in_order.then(VecDeque::new),
            timer_armed: false,
        }
    }

    /// Starts a request that must end by `deadline`: schedules the deadline and sends the first
    /// attempt. Returns its end if the breaker refused it at once.
    #[inline]
    pub fn call(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, call: NewCall, observer: &mut impl Observer) -> Option<Ended> {
        let NewCall { deadline, priority, tag, op } = call;
        let request = self.issue(ctx.now(), deadline, priority, tag, op);
        if let Some(budget) = &mut self.budget {
            budget.deposit();
        }
        match &mut self.deadline_order {
            Some(order) => {
                debug_assert!(order.back().is_none_or(|last| self.slots[last.slot as usize].deadline <= deadline));
                order.push_back(request);
                if !self.timer_armed {
                    self.timer_armed = true;
                    ctx.send_at(deadline, me, Msg::Timeout { request });
                }
            }
            None => ctx.send_at(deadline, me, Msg::Timeout { request }),
        }
        match self.send_attempt(ctx, me, request, observer) {
            Attempt::Sent => None,
            Attempt::Refused(ended) => ended,
        }
    }

    #[inline]
    fn issue(&mut self, now: SimTime, deadline: SimTime, priority: u8, tag: u64, op: Op) -> RequestRef {
        let fresh = |generation: u32, active: bool| Slot {
            generation,
            issued: now,
            deadline,
            active,
            attempts: 0,
            retries: 0,
            hedges: 0,
            outstanding: 0,
            retry_pending: false,
            priority,
            tag,
            op,
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
        RequestRef { caller: self.index, slot, generation: entry.generation, attempt: 0, priority }
    }

    /// The slot of `request` if the request is still in flight.
    #[inline]
    fn live(&mut self, request: RequestRef) -> Option<&mut Slot> {
        let slot = &mut self.slots[request.slot as usize];
        (slot.active && slot.generation == request.generation).then_some(slot)
    }

    /// Sends the request's next attempt, unless the breaker refuses it.
    #[inline]
    fn send_attempt(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, observer: &mut impl Observer) -> Attempt {
        let now = ctx.now();
        if let Some(breaker) = &mut self.breaker {
            let (admitted, change) = breaker.admit(now);
            if let Some(state) = change {
                observer.breaker_changed(now, &self.label, state);
            }
            if !admitted {
                // A refused hedge leaves the request to the attempts it has in flight. Otherwise
                // the request fails fast, and is not retried: that is the breaker's point.
                let waiting = self.live(request).is_some_and(|slot| slot.outstanding != 0);
                return Attempt::Refused((!waiting).then(|| self.end(request, Ending::BreakerOpen)));
            }
        }
        let slot = self.live(request).expect("attempts are sent for live requests");
        let attempt = RequestRef { attempt: slot.attempts, ..request };
        slot.attempts += 1;
        slot.outstanding |= 1 << attempt.attempt;
        let (deadline, first, op) = (slot.deadline, attempt.attempt == 0, slot.op);
        let attempt_limit = self.policy.attempt_timeout.filter(|t| now + *t < deadline);
        let attempt_deadline = attempt_limit.map_or(deadline, |limit| now + limit);
        let budget = Budget::until(attempt_deadline, now + self.access_one_way);
        ctx.send(self.access_one_way, self.router, Msg::Dispatch { request: attempt, budget, op });
        if let Some(limit) = attempt_limit {
            ctx.send(limit, me, Msg::AttemptTimeout { request: attempt });
        }
        if let Some(hedge) = self.policy.hedge.filter(|_| first).filter(|h| now + h.after < deadline) {
            ctx.send(hedge.after, me, Msg::Hedge { request: attempt });
        }
        Attempt::Sent
    }

    /// Marks an attempt answered; false if it was no longer awaited.
    #[inline]
    fn settle(&mut self, attempt: RequestRef) -> bool {
        let Some(slot) = self.live(attempt) else { return false };
        let bit = 1u32 << attempt.attempt;
        let awaited = slot.outstanding & bit != 0;
        slot.outstanding &= !bit;
        awaited
    }

    #[inline]
    fn breaker_record(&mut self, now: SimTime, success: bool, observer: &mut impl Observer) {
        if let Some(change) = self.breaker.as_mut().and_then(|b| b.record(now, success)) {
            observer.breaker_changed(now, &self.label, change);
        }
    }

    #[inline]
    pub fn on_response(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        attempt: RequestRef,
        answer: Answer,
        rng: &mut SimRng,
        observer: &mut impl Observer,
    ) -> Option<Ended> {
        let Answer { outcome, age } = answer;
        if !self.settle(attempt) {
            return None;
        }
        let now = ctx.now();
        // Unreachable comes from the caller's own network, not from the callee.
        if outcome != Outcome::Unreachable {
            self.breaker_record(now, outcome == Outcome::Served, observer);
        }
        let failure = match outcome {
            Outcome::Served => {
                let issued = self.slots[attempt.slot as usize].issued;
                let mut ended = self.end(attempt, Ending::Succeeded(now.since(issued)));
                ended.age = age;
                return Some(ended);
            }
            Outcome::Rejected => Ending::Rejected,
            Outcome::Error => Ending::Error,
            Outcome::Shed => Ending::Shed,
            Outcome::Unreachable => Ending::Unreachable,
        };
        self.attempt_failed(ctx, me, attempt, failure, rng)
    }

    pub fn on_attempt_timeout(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        attempt: RequestRef,
        rng: &mut SimRng,
        observer: &mut impl Observer,
    ) -> Option<Ended> {
        if !self.settle(attempt) {
            return None;
        }
        self.breaker_record(ctx.now(), false, observer);
        self.attempt_failed(ctx, me, attempt, Ending::Timeout, rng)
    }

    /// After a failed attempt: wait for a hedge still in flight, retry, or give up.
    fn attempt_failed(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        attempt: RequestRef,
        failure: Ending,
        rng: &mut SimRng,
    ) -> Option<Ended> {
        let now = ctx.now();
        let slot = self.live(attempt).expect("a settled attempt belongs to a live request");
        if slot.outstanding != 0 || slot.retry_pending {
            return None;
        }
        match self.retry_delay(attempt, failure, now, rng) {
            Some(delay) => {
                let slot = self.live(attempt).expect("still live");
                slot.retry_pending = true;
                ctx.send(delay, me, Msg::Retry { request: attempt });
                None
            }
            None => Some(self.end(attempt, failure)),
        }
    }

    /// The backoff before the next retry, if one is allowed for this failure.
    fn retry_delay(&mut self, attempt: RequestRef, failure: Ending, now: SimTime, rng: &mut SimRng) -> Option<SimDuration> {
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
        let delay = retry.backoff.delay(u32::from(slot.retries), rng);
        if now + delay >= slot.deadline {
            return None;
        }
        if let Some(budget) = &mut self.budget
            && !budget.try_withdraw()
        {
            return None;
        }
        Some(delay)
    }

    pub fn on_retry(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, observer: &mut impl Observer) -> Option<Ended> {
        let slot = self.live(request)?;
        slot.retry_pending = false;
        slot.retries += 1;
        let issued = slot.issued;
        match self.send_attempt(ctx, me, request, observer) {
            Attempt::Sent => {
                observer.retried(issued, ctx.now());
                None
            }
            Attempt::Refused(ended) => ended,
        }
    }

    pub fn on_hedge(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, request: RequestRef, observer: &mut impl Observer) -> Option<Ended> {
        let hedge = self.policy.hedge?;
        let slot = self.live(request)?;
        // Hedge only a request still waiting on an attempt (not one between retries).
        if slot.outstanding == 0 || u32::from(slot.hedges) >= hedge.max {
            return None;
        }
        let issued = slot.issued;
        match self.send_attempt(ctx, me, request, observer) {
            Attempt::Sent => {
                let slot = self.live(request).expect("a sent hedge's request is live");
                slot.hedges += 1;
                // The next hedge, if the policy allows more and the deadline leaves room.
                if u32::from(slot.hedges) < hedge.max && ctx.now() + hedge.after < slot.deadline {
                    ctx.send(hedge.after, me, Msg::Hedge { request });
                }
                observer.hedged(issued, ctx.now());
                None
            }
            Attempt::Refused(ended) => ended,
        }
    }

    /// Delivers one of the caller's messages (an answer or a timer). Returns the request it
    /// ended; a deadline timer, which can end several, pushes them onto `expired` instead.
    #[inline]
    pub fn on_message(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        msg: Msg,
        rng: &mut SimRng,
        observer: &mut impl Observer,
        expired: &mut Vec<Ended>,
    ) -> Option<Ended> {
        match msg {
            Msg::Response { request, outcome, age } => self.on_response(ctx, me, request, Answer { outcome, age }, rng, observer),
            Msg::AttemptTimeout { request } => self.on_attempt_timeout(ctx, me, request, rng, observer),
            Msg::Retry { request } => self.on_retry(ctx, me, request, observer),
            Msg::Hedge { request } => self.on_hedge(ctx, me, request, observer),
            Msg::Timeout { request } => {
                self.on_timeout(ctx, me, request, observer, expired);
                None
            }
            other => unreachable!("{other:?} is not a caller message"),
        }
    }

    /// A deadline timer fired: ends every live request whose deadline has come (pushed onto
    /// `ended`), and arms the timer for the next one.
    pub fn on_timeout(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        request: RequestRef,
        observer: &mut impl Observer,
        ended: &mut Vec<Ended>,
    ) {
        let now = ctx.now();
        if self.deadline_order.is_none() {
            ended.extend(self.expire(now, request, observer));
            return;
        }
        self.timer_armed = false;
        while let Some(&head) = self.deadline_order.as_ref().and_then(|order| order.front()) {
            let deadline = match self.live(head) {
                Some(slot) => slot.deadline,
                None => SimTime::ZERO,
            };
            if deadline > now {
                self.timer_armed = true;
                ctx.send_at(deadline, me, Msg::Timeout { request: head });
                return;
            }
            self.deadline_order.as_mut().expect("checked").pop_front();
            ended.extend(self.expire(now, head, observer));
        }
    }

    /// Ends `request` at its deadline, if it is still live.
    fn expire(&mut self, now: SimTime, request: RequestRef, observer: &mut impl Observer) -> Option<Ended> {
        let slot = self.live(request)?;
        // An attempt still in flight at the deadline has failed, as far as the breaker can tell
        // (without an attempt timeout, this is the only failure it would ever see).
        if slot.outstanding != 0 {
            self.breaker_record(now, false, observer);
        }
        Some(self.end(request, Ending::Timeout))
    }

    /// Ends a live request exactly once.
    #[inline]
    fn end(&mut self, request: RequestRef, ending: Ending) -> Ended {
        let slot = self.live(request).expect("only live requests end");
        slot.active = false;
        let ended = Ended { issued: slot.issued, ending, priority: slot.priority, tag: slot.tag, op: slot.op, age: Age::FRESH };
        self.free.push(request.slot);
        self.in_flight -= 1;
        ended
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
