//! A server's call to one of its dependencies: another service, possibly in another region or a
//! global singleton in one region only.
//!
//! Each (calling server, dependency) pair is a [`Caller`] of its own, with the call's timeout
//! and resilience policy (retries, breaker, hedging), so a breaker opens per calling region as
//! it would per client instance. When the calling server propagates deadlines, a call never
//! waits past the request it serves. A failed call either fails the request (fail closed) or is
//! ignored (fail open: the request is answered without what the dependency would have added).

use super::caller::{Caller, Ended, NewCall, Observer};
use super::messages::Msg;
use super::policy::{BreakerState, ClientPolicy};
use super::server::CallOrder;
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{Counters, Ending, Measured, Recorder};
use hdrhistogram::Histogram;

/// One dependency of a service, as the scenario states it.
#[derive(Clone, Debug)]
pub struct CallSpec {
    /// The service called.
    pub service: u32,
    /// How long a call may take, retries included.
    pub timeout: SimDuration,
    pub policy: ClientPolicy,
    /// On failure, answer the request anyway (true) or fail it (false).
    pub fail_open: bool,
}

/// What one calling server saw of one dependency, for calls issued in the measured window.
#[derive(Clone, Debug)]
pub struct DependencyStats {
    /// Calls issued and how they ended; retries and hedges are the amplification.
    pub counters: Counters,
    /// Failed calls whose request went on without them.
    pub failed_open: u64,
    /// Latency of successful calls, nanoseconds (3 significant digits).
    pub latency_ns: Histogram<u64>,
}

pub struct Dependency {
    pub caller: Caller,
    /// The calling server, and which of its dependencies this is.
    pub server: u32,
    pub step: u8,
    pub spec: CallSpec,
    rng: SimRng,
    /// Calls issued in `[from, until)` are counted: after the warm-up, until arrivals stop.
    measured: Measured,
    pub stats: DependencyStats,
    /// Calls that ended on the last message, for the model to hand to their jobs. Reused, so
    /// ending calls does not allocate.
    pub ended: Vec<Ended>,
}

struct DependencyObserver<'a> {
    counters: &'a mut Counters,
    measured: Measured,
    recorder: &'a mut Recorder,
}

impl Observer for DependencyObserver<'_> {
    fn retried(&mut self, issued: SimTime, _: SimTime) {
        self.counters.retries += u64::from(self.measured.contains(issued));
    }
    fn hedged(&mut self, issued: SimTime, _: SimTime) {
        self.counters.hedges += u64::from(self.measured.contains(issued));
    }
    fn breaker_changed(&mut self, now: SimTime, label: &str, state: BreakerState) {
        self.recorder.breaker(now, label, state);
    }
}

impl Dependency {
    pub fn new(caller: Caller, server: u32, step: u8, spec: CallSpec, rng: SimRng, measured: Measured) -> Self {
        let stats = DependencyStats { counters: Counters::default(), failed_open: 0, latency_ns: crate::metrics::latency_histogram(3) };
        Dependency { caller, server, step, spec, rng, measured, stats, ended: Vec::new() }
    }

    fn observer<'a>(counters: &'a mut Counters, measured: Measured, recorder: &'a mut Recorder) -> DependencyObserver<'a> {
        DependencyObserver { counters, measured, recorder }
    }

    /// Makes the call a server ordered; the calling server's address receives its timers.
    pub fn call(&mut self, ctx: &mut Scheduler<Msg>, server: ActorId, order: CallOrder, recorder: &mut Recorder) -> Option<Ended> {
        let now = ctx.now();
        self.stats.counters.attempted += u64::from(self.measured.contains(now));
        let deadline = order.deadline.min(now + self.spec.timeout);
        let mut observer = Self::observer(&mut self.stats.counters, self.measured, recorder);
        let call = NewCall { deadline, priority: order.priority, tag: order.tag, op: order.op };
        self.caller.call(ctx, server, call, &mut observer)
    }

    /// Delivers one of the call's messages (an answer or a timer); the calls it ended are left
    /// in `ended` (a deadline timer can end several).
    pub fn on_message(&mut self, ctx: &mut Scheduler<Msg>, server: ActorId, msg: Msg, recorder: &mut Recorder) {
        let mut observer = Self::observer(&mut self.stats.counters, self.measured, recorder);
        let ended = self.caller.on_message(ctx, server, msg, &mut self.rng, &mut observer, &mut self.ended);
        self.ended.extend(ended);
    }

    /// Counts an ended call; returns whether its request goes on (success, or failing open).
    pub fn settle(&mut self, ended: &Ended) -> bool {
        let counted = self.measured.contains(ended.issued);
        if counted {
            self.stats.counters.count(ended.ending);
        }
        if let Ending::Succeeded(latency) = ended.ending {
            if counted {
                self.stats.latency_ns.saturating_record(latency.0.max(crate::metrics::LATENCY_LOW_NS));
            }
            return true;
        }
        self.stats.failed_open += u64::from(counted && self.spec.fail_open);
        self.spec.fail_open
    }
}
