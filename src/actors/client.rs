//! A client population: users in one region who issue requests at a time-varying rate, try to
//! get each one answered within its deadline, and record what they saw.
//!
//! The attempts of each request (retries, hedges, the breaker) are the shared [`Caller`]'s
//! business; the population adds the arrival process, the priority mix and the recording.
//! Simplification: the client does not cancel the server's work when it gives up (a service that
//! propagates deadlines drops it instead).

use super::caller::{Caller, Ended, NewCall, Observer};
use super::messages::{Msg, Op};
use super::policy::{BreakerState, ClientPolicy};
use super::traffic::{RateCurve, next_arrival};
use crate::data::keys::KeySpace;
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::Recorder;
use crate::world::RegionId;
use rand::RngExt;

pub struct Population {
    pub region: RegionId,
    curve: RateCurve,
    /// `curve`'s rate when it never changes: arrivals then need no thinning.
    constant_rate: Option<f64>,
    timeout: SimDuration,
    /// Cumulative shares of the priority classes (critical, normal, sheddable).
    priority_mix: [f64; 3],
    pub caller: Caller,
    /// Arrivals stop at this time.
    arrivals_end: SimTime,
    rng: SimRng,
    /// Requests issued over the whole run, warm-up included.
    issued: u64,
    /// Requests a deadline timer ended, reused between timers.
    expired: Vec<Ended>,
    /// The keys requests are about, and the share of writes (none: requests carry no key).
    keys: Option<(std::sync::Arc<KeySpace>, f64)>,
}

pub struct PopulationSetup {
    pub index: u32,
    pub region: RegionId,
    pub label: String,
    /// The service the population calls.
    pub service: u32,
    pub curve: RateCurve,
    pub timeout: SimDuration,
    pub access_one_way: SimDuration,
    pub policy: ClientPolicy,
    /// Shares of the priority classes (critical, normal, sheddable), summing to 1.
    pub priority_mix: [f64; 3],
    pub router: ActorId,
    pub arrivals_end: SimTime,
    pub rng: SimRng,
    /// The scenario's key space and this population's share of writes.
    pub keys: Option<(std::sync::Arc<KeySpace>, f64)>,
}

/// A population's requests are recorded as the clients of its region saw them.
struct ClientObserver<'a> {
    recorder: &'a mut Recorder,
    region: RegionId,
}

impl Observer for ClientObserver<'_> {
    fn retried(&mut self, issued: SimTime, now: SimTime) {
        self.recorder.retry(self.region, issued, now);
    }
    fn hedged(&mut self, issued: SimTime, now: SimTime) {
        self.recorder.hedge(self.region, issued, now);
    }
    fn breaker_changed(&mut self, now: SimTime, label: &str, state: BreakerState) {
        self.recorder.breaker(now, label, state);
    }
}

/// A caller index as carried in requests; validation keeps every scenario within the bound.
pub fn caller_index(index: u32) -> u16 {
    u16::try_from(index).expect("validation allows at most RequestRef::MAX_CALLERS callers")
}

impl Population {
    pub fn new(setup: PopulationSetup) -> Self {
        Population {
            region: setup.region,
            constant_rate: setup.curve.constant_rate(),
            curve: setup.curve,
            timeout: setup.timeout,
            priority_mix: [setup.priority_mix[0], setup.priority_mix[0] + setup.priority_mix[1], 1.0],
            caller: Caller::new(
                caller_index(setup.index),
                setup.label,
                setup.access_one_way,
                setup.policy,
                setup.router,
                setup.service,
                true,
            ),
            arrivals_end: setup.arrivals_end,
            rng: setup.rng,
            issued: 0,
            expired: Vec::new(),
            keys: setup.keys,
        }
    }

    pub fn label(&self) -> &str {
        &self.caller.label
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
        let priority = self.draw_priority();
        let op = self.draw_op(now);
        recorder.started(self.region, now, priority);
        self.issued += 1;
        let mut observer = ClientObserver { recorder, region: self.region };
        let call = NewCall { deadline: now + self.timeout, priority, tag: 0, op };
        let ended = self.caller.call(ctx, me, call, &mut observer);
        self.record(ended, now, recorder);
        self.schedule_next(ctx, me, now);
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

    /// What a new request does to the data: no draw without a key space, and none for the
    /// kind when every request reads (or every one writes).
    fn draw_op(&mut self, now: SimTime) -> Op {
        let Some((keys, writes)) = &self.keys else { return Op::default() };
        let key = keys.draw(now, &mut self.rng);
        let write = match *writes {
            share if share <= 0.0 => false,
            share if share >= 1.0 => true,
            share => self.rng.random::<f64>() < share,
        };
        if write { Op::write(key) } else { Op::read(key) }
    }

    #[inline]
    fn record(&self, ended: Option<Ended>, now: SimTime, recorder: &mut Recorder) {
        if let Some(ended) = ended {
            recorder.ended(self.region, ended.issued, now, ended.ending, ended.priority);
            if self.keys.is_some() {
                recorder.data_ended(ended.issued, ended.op, ended.ending, ended.age);
            }
        }
    }

    /// Delivers one of the caller's messages (an answer or a timer) and records an end.
    #[inline]
    pub fn on_message(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, msg: Msg, recorder: &mut Recorder) {
        let mut observer = ClientObserver { recorder, region: self.region };
        let ended = self.caller.on_message(ctx, me, msg, &mut self.rng, &mut observer, &mut self.expired);
        self.record(ended, ctx.now(), recorder);
        if !self.expired.is_empty() {
            for index in 0..self.expired.len() {
                self.record(Some(self.expired[index]), ctx.now(), recorder);
            }
            self.expired.clear();
        }
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }

    pub fn in_flight(&self) -> u64 {
        self.caller.in_flight
    }

    pub fn access_one_way(&self) -> SimDuration {
        self.caller.access_one_way()
    }

    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.caller.breaker_state()
    }

    pub fn retries_denied_by_budget(&self) -> u64 {
        self.caller.retries_denied_by_budget()
    }
}
