//! A client population: users in one region who issue requests at a time-varying rate, wait up
//! to a timeout for each answer, and record what they saw.
//!
//! The population owns the state of its requests (a slot table with generations), so no other
//! actor ever touches it: the router and servers only carry a `RequestRef`. A request ends
//! exactly once, by its answer or by its timeout, whichever reaches the client first; the later
//! one finds a stale generation and is ignored.
//! Simplification: one attempt per request (retries arrive with the fault layer), and the client
//! does not cancel the server's work when it gives up.

use super::messages::{Msg, Outcome, RequestRef};
use super::traffic::{RateCurve, next_arrival};
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{Ending, Recorder};
use crate::world::RegionId;

#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    issued: SimTime,
    active: bool,
}

pub struct Population {
    pub index: u32,
    pub region: RegionId,
    curve: RateCurve,
    timeout: SimDuration,
    access_one_way: SimDuration,
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
    pub curve: RateCurve,
    pub timeout: SimDuration,
    pub access_one_way: SimDuration,
    pub router: ActorId,
    pub arrivals_end: SimTime,
    pub rng: SimRng,
}

impl Population {
    pub fn new(setup: PopulationSetup) -> Self {
        Population {
            index: setup.index,
            region: setup.region,
            curve: setup.curve,
            timeout: setup.timeout,
            access_one_way: setup.access_one_way,
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
        if let Some(at) = next_arrival(&self.curve, after, self.arrivals_end, &mut self.rng) {
            ctx.send_at(at, me, Msg::Arrive);
        }
    }

    pub fn on_arrive(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, recorder: &mut Recorder) {
        let now = ctx.now();
        let request = self.issue(now);
        recorder.started(self.region, now);
        ctx.send(self.access_one_way, self.router, Msg::Dispatch { request });
        ctx.send(self.timeout, me, Msg::Timeout { request });
        self.schedule_next(ctx, me, now);
    }

    fn issue(&mut self, now: SimTime) -> RequestRef {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot { generation: 0, issued: now, active: false });
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        assert!(!entry.active, "slot reused while its request was in flight");
        entry.generation = entry.generation.wrapping_add(1);
        entry.issued = now;
        entry.active = true;
        self.in_flight += 1;
        self.issued += 1;
        RequestRef { population: self.index, slot, generation: entry.generation }
    }

    /// Ends the request if it is still in flight; returns when it was issued.
    fn end(&mut self, request: RequestRef) -> Option<SimTime> {
        let entry = &mut self.slots[request.slot as usize];
        if !entry.active || entry.generation != request.generation {
            return None;
        }
        entry.active = false;
        self.free.push(request.slot);
        self.in_flight -= 1;
        Some(entry.issued)
    }

    pub fn on_response(&mut self, now: SimTime, request: RequestRef, outcome: Outcome, recorder: &mut Recorder) {
        let Some(issued) = self.end(request) else { return };
        let ending = match outcome {
            Outcome::Served => Ending::Succeeded(now.since(issued)),
            Outcome::Rejected => Ending::Rejected,
            Outcome::Error => Ending::Error,
            Outcome::Unreachable => Ending::Unreachable,
        };
        recorder.ended(self.region, issued, now, ending);
    }

    pub fn on_timeout(&mut self, now: SimTime, request: RequestRef, recorder: &mut Recorder) {
        if let Some(issued) = self.end(request) {
            recorder.ended(self.region, issued, now, Ending::Timeout);
        }
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }

    pub fn access_one_way(&self) -> SimDuration {
        self.access_one_way
    }
}
