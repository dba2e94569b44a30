//! A regional service: `workers` identical workers in front of one bounded FIFO queue.
//!
//! A request that finds a worker idle starts at once; otherwise it waits if the queue has room
//! and is rejected if not. Overload therefore shows first as queueing delay, then as rejections
//! (and as client timeouts when the wait exceeds them). A request may then call the service's
//! dependencies, holding its worker while it waits. Simplifications: without
//! `propagate_deadlines` a worker keeps serving a request whose client has already timed out
//! (with it, expired work is skipped, but a request in service is never cancelled), and service
//! times are independent draws (no warm caches, no contention).

use super::autoscaler::{AutoscalePolicy, Autoscaler, Decision};
use super::memory::Memory;
use super::messages::{Age, Budget, Msg, Op, Outcome, Released, RequestRef};
use super::modes::{ModeMachine, ModePolicy, Signals};
use crate::data::front::{CacheFront, Decision as CacheDecision, Parked, WritePolicy};
use crate::data::replica::{Adopted, Entry, Member, Outgoing, Replica, Route, Settled, Version};
use crate::faults::ServerOrder;
use crate::kernel::{ActorId, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::Measured;
use crate::world::RegionId;
use rand::RngExt;
use rand_distr::{Distribution, Gamma, LogNormal, Pareto, Weibull};
use std::collections::VecDeque;

/// A service-time distribution; samples are in seconds, quantised to nanoseconds.
#[derive(Clone, Debug)]
pub enum ServiceTime {
    Constant(SimDuration),
    Exponential { mean_s: f64 },
    LogNormal { median_s: f64, sigma: f64, sampler: LogNormal<f64> },
    Gamma { mean_s: f64, cv: f64, sampler: Gamma<f64> },
    Weibull { scale_s: f64, shape: f64, sampler: Weibull<f64> },
    Pareto { scale_s: f64, shape: f64, sampler: Pareto<f64> },
    Uniform { min_s: f64, max_s: f64 },
}

impl ServiceTime {
    pub fn constant(value: SimDuration) -> Self {
        ServiceTime::Constant(value)
    }
    pub fn exponential(mean: SimDuration) -> Result<Self, String> {
        positive_seconds(mean, "mean").map(|mean_s| ServiceTime::Exponential { mean_s })
    }
    pub fn lognormal(median: SimDuration, sigma: f64) -> Result<Self, String> {
        let median_s = positive_seconds(median, "median")?;
        let sampler = LogNormal::new(median_s.ln(), sigma).map_err(|e| format!("sigma {sigma}: {e}"))?;
        Ok(ServiceTime::LogNormal { median_s, sigma, sampler })
    }
    /// Gamma with the given mean and coefficient of variation (cv = 1 is exponential).
    pub fn gamma(mean: SimDuration, cv: f64) -> Result<Self, String> {
        let mean_s = positive_seconds(mean, "mean")?;
        if !(cv.is_finite() && cv > 0.0) {
            return Err(format!("cv must be greater than 0, got {cv}"));
        }
        let shape = 1.0 / (cv * cv);
        let sampler = Gamma::new(shape, mean_s / shape).map_err(|e| format!("cv {cv}: {e}"))?;
        Ok(ServiceTime::Gamma { mean_s, cv, sampler })
    }
    pub fn weibull(scale: SimDuration, shape: f64) -> Result<Self, String> {
        let scale_s = positive_seconds(scale, "scale")?;
        let sampler = Weibull::new(scale_s, shape).map_err(|e| format!("shape {shape}: {e}"))?;
        Ok(ServiceTime::Weibull { scale_s, shape, sampler })
    }
    pub fn pareto(scale: SimDuration, shape: f64) -> Result<Self, String> {
        let scale_s = positive_seconds(scale, "scale")?;
        let sampler = Pareto::new(scale_s, shape).map_err(|e| format!("shape {shape}: {e}"))?;
        Ok(ServiceTime::Pareto { scale_s, shape, sampler })
    }
    pub fn uniform(min: SimDuration, max: SimDuration) -> Result<Self, String> {
        if max < min {
            return Err(format!("max {max} is below min {min}"));
        }
        Ok(ServiceTime::Uniform { min_s: min.as_secs_f64(), max_s: max.as_secs_f64() })
    }

    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let seconds = match self {
            ServiceTime::Constant(value) => return *value,
            ServiceTime::Exponential { mean_s } => mean_s * super::traffic::exponential(rng),
            ServiceTime::LogNormal { sampler, .. } => sampler.sample(rng),
            ServiceTime::Gamma { sampler, .. } => sampler.sample(rng),
            ServiceTime::Weibull { sampler, .. } => sampler.sample(rng),
            ServiceTime::Pareto { sampler, .. } => sampler.sample(rng),
            ServiceTime::Uniform { min_s, max_s } => min_s + (max_s - min_s) * rng.random::<f64>(),
        };
        SimDuration::from_secs_f64(seconds)
    }

    /// The distribution's mean in seconds (infinite for a Pareto with shape ≤ 1).
    pub fn mean_s(&self) -> f64 {
        match self {
            ServiceTime::Constant(value) => value.as_secs_f64(),
            ServiceTime::Exponential { mean_s } | ServiceTime::Gamma { mean_s, .. } => *mean_s,
            ServiceTime::LogNormal { median_s, sigma, .. } => median_s * (sigma * sigma / 2.0).exp(),
            ServiceTime::Weibull { scale_s, shape, .. } => scale_s * gamma_function(1.0 + 1.0 / shape),
            ServiceTime::Pareto { scale_s, shape, .. } if *shape > 1.0 => shape * scale_s / (shape - 1.0),
            ServiceTime::Pareto { .. } => f64::INFINITY,
            ServiceTime::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ServiceTime::Constant(value) => format!("constant {value}"),
            ServiceTime::Exponential { mean_s } => format!("exponential mean {:.3}ms", mean_s * 1e3),
            ServiceTime::LogNormal { median_s, sigma, .. } => format!("lognormal median {:.3}ms sigma {sigma}", median_s * 1e3),
            ServiceTime::Gamma { mean_s, cv, .. } => format!("gamma mean {:.3}ms cv {cv}", mean_s * 1e3),
            ServiceTime::Weibull { scale_s, shape, .. } => format!("weibull scale {:.3}ms shape {shape}", scale_s * 1e3),
            ServiceTime::Pareto { scale_s, shape, .. } => format!("pareto scale {:.3}ms shape {shape}", scale_s * 1e3),
            ServiceTime::Uniform { min_s, max_s } => format!("uniform {:.3}ms..{:.3}ms", min_s * 1e3, max_s * 1e3),
        }
    }
}

fn positive_seconds(value: SimDuration, name: &str) -> Result<f64, String> {
    if value.0 == 0 { Err(format!("{name} must be greater than 0")) } else { Ok(value.as_secs_f64()) }
}

/// Lanczos approximation of Γ(x) for x > 0 (only used to report the Weibull mean).
fn gamma_function(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_function(1.0 - x));
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = G[1..].iter().enumerate().fold(G[0], |acc, (i, g)| acc + g / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * series
}

/// Admission control: shed requests early rather than let the queue grow past usefulness.
#[derive(Clone, Debug, PartialEq)]
pub struct Admission {
    /// The queue length at which requests are shed, scaled by each class's share.
    pub max_queue: u32,
    /// Drop a queued request, rather than start it, once it has waited this long.
    pub max_wait: Option<SimDuration>,
    /// Per priority class (critical, normal, sheddable): the share of `max_queue` it may fill.
    pub shares: [f64; 3],
}

impl Admission {
    fn admits(&self, queue_len: usize, priority: u8) -> bool {
        let limit = (f64::from(self.max_queue) * self.shares[priority as usize]).floor() as usize;
        queue_len < limit
    }
}

#[derive(Clone, Copy, Debug)]
struct Job {
    request: RequestRef,
    arrived: SimTime,
    /// When its caller gives up on it (propagated with the request), or `SimTime::MAX`.
    deadline: SimTime,
    /// Numbers the jobs a server starts, so the answer of a dependency call finds its job (and an
    /// answer for a job that has since ended is recognised).
    seq: u32,
    /// The next dependency call to make, in sequence mode.
    next_call: u8,
    /// Dependency calls still awaited.
    pending_calls: u8,
    op: Op,
    /// The age of the oldest data its dependency calls returned.
    age: Age,
    /// A cache miss (its fetch's number; see `CacheFront::fetched`), whose answer fills the
    /// cache.
    fetch: Option<u32>,
    /// When its key was last written anywhere, as it arrived (to count stale replica reads).
    last_commit: SimTime,
}

impl Job {
    fn new(request: RequestRef, arrived: SimTime, deadline: SimTime, op: Op, last_commit: SimTime) -> Job {
        Job { request, arrived, deadline, seq: 0, next_call: 0, pending_calls: 0, op, age: Age::FRESH, fetch: None, last_commit }
    }
}

/// A message of the replication protocol, for a server's replica.
#[derive(Clone, Copy, Debug)]
pub enum Replication<'a> {
    /// Writes of `origin`'s log from position `from` (cut to what the message named).
    Batch {
        origin: Member,
        from: u64,
        entries: &'a [Entry],
        as_of: SimTime,
    },
    Ack {
        member: Member,
        upto: u64,
    },
    Read {
        member: Member,
        id: u32,
        key: u32,
    },
    Answer {
        id: u32,
        version: Version,
        staleness: Age,
    },
    Tick,
    Ping {
        leader: Member,
        term: u32,
    },
}

/// What a server did to the data that other actors must hear of: the model keeps the ledger and
/// tells the service's caches in other regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataEvent {
    /// A write of this key took effect at the service that holds the data (one without calls).
    Committed(u32),
    /// This server wrote the key through its cache: the other regions' caches must drop it.
    Invalidate(u32),
}

/// What a server's requests call before answering: `count` dependencies, one after the other
/// or all at once. The worker stays busy while it waits (a thread blocked on a call), which is
/// how a slow dependency exhausts its callers' pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSteps {
    pub count: u8,
    pub parallel: bool,
}

/// A dependency call a server asks the model to make for one of its jobs.
#[derive(Clone, Copy, Debug)]
pub struct CallOrder {
    /// Which of the server's dependencies.
    pub step: u8,
    /// Identifies the job: give it back with the call's result.
    pub tag: u64,
    /// The job's deadline, if the server propagates deadlines (`SimTime::MAX` otherwise).
    pub deadline: SimTime,
    pub priority: u8,
    /// The job's operation, which the call carries on.
    pub op: Op,
}

fn job_tag(worker: u32, seq: u32) -> u64 {
    (u64::from(worker) << 32) | u64::from(seq)
}

#[derive(Clone, Copy, Debug)]
enum WorkerState {
    Idle,
    Busy(Job),
    /// Killed by a capacity-loss fault, until revived or replaced.
    Dead,
    /// Removed by the autoscaler; its slot can be reused by a new worker.
    Retired,
}

/// A worker and its epoch: a completion scheduled in an earlier epoch (before a kill or an
/// outage) is stale and ignored.
#[derive(Clone, Copy, Debug)]
struct Worker {
    state: WorkerState,
    epoch: u32,
}

/// What a server measured; integrals are in nanoseconds, over the measured window.
#[derive(Clone, Debug)]
pub struct ServerStats {
    pub arrivals: u64,
    pub served: u64,
    pub rejected: u64,
    /// Answered with an error (an error-servers fault).
    pub errors: u64,
    /// Received while powered off, or lost from the queue or a worker at an outage or a kill.
    pub lost: u64,
    /// Shed by admission control, on arrival or after waiting too long.
    pub shed: u64,
    /// Dropped unserved because its propagated deadline had passed (its caller had given up).
    pub expired: u64,
    /// Answered with an error because a dependency failed and fails closed.
    pub dependency_failed: u64,
    /// Sent on to another replica of the service (a write to the leader, a read redirected).
    pub forwarded: u64,
    /// Refused by the replica: a write with no leader to take it, a stale bounded read.
    pub refused: u64,
    pub queue_len_max: u64,
    /// ∫ busy workers dt.
    pub busy_ns: u128,
    /// ∫ alive workers dt (the capacity the pool had).
    pub alive_ns: u128,
    /// ∫ requests in the system (waiting + in service) dt, for Little's law.
    pub in_system_ns: u128,
    /// Σ time in system of served requests.
    pub sojourn_ns: u128,
    /// Σ queueing wait of started requests.
    pub wait_ns: u128,
    /// Queueing waits of started requests, nanoseconds (3 significant digits).
    pub wait_ns_histogram: hdrhistogram::Histogram<u64>,
    /// Fewest and most workers alive at any time of the run.
    pub alive_min: u32,
    pub alive_max: u32,
}

pub struct Server {
    pub region: RegionId,
    /// Workers as configured at the start.
    pub workers: u32,
    worker: Vec<Worker>,
    idle: Vec<u32>,
    busy: u32,
    alive: u32,
    queue: VecDeque<Job>,
    queue_capacity: usize,
    service_time: ServiceTime,
    rng: SimRng,
    powered: bool,
    /// Crashed: connections are refused (answered with an error at once).
    crashed: bool,
    /// Workers with an index below this serve `slow_multiplier` times slower.
    slow_workers: u32,
    slow_multiplier: f64,
    error_rate: f64,
    admission: Option<Admission>,
    /// Drop work whose propagated deadline has passed, and bound dependency calls by it.
    propagate_deadlines: bool,
    calls: Option<CallSteps>,
    job_seq: u32,
    /// Dependency calls to make, drained by the model after each call. Reused.
    pub pending_calls: Vec<CallOrder>,
    pub autoscaler: Option<Autoscaler>,
    pub modes: Option<ModeMachine>,
    /// Signals over the current mode interval: time in system of finished requests, arrivals,
    /// and failures (rejected, shed, errors, lost), and the busy/alive integrals at its start.
    interval_sojourn_ns: Option<hdrhistogram::Histogram<u64>>,
    interval_arrivals: u64,
    interval_failures: u64,
    interval_start_integrals: (u128, u128),
    /// Replies produced while taking work from the queue (requests shed for waiting too long),
    /// or by the cache (parked requests, write-behind writes); the model sends them after each
    /// call. Reused, so shedding does not allocate.
    pub pending_replies: Vec<Reply>,
    /// A cache in front of the workers, if the service has one.
    pub cache: Option<Box<CacheFront>>,
    /// Commits and invalidations for the model to pass on. Reused.
    pub data_events: Vec<DataEvent>,
    /// This server's replica, if its service is replicated.
    pub replica: Option<Box<Replica>>,
    /// Reused buffer for the answers a fetch releases.
    released: Vec<Released>,
    last_change: SimTime,
    /// Memory under a leak (none before a leak starts).
    pub memory: Option<Memory>,
    /// Workers an operator ordered that are not ready yet (an autoscaler counts its own).
    provisioning: u32,
    /// The pool's size an operator set: workers above it retire when idle (see `scale_to`).
    target_workers: Option<u32>,
    /// All-time integrals of busy and alive workers, for the autoscaler.
    busy_total_ns: u128,
    alive_total_ns: u128,
    /// The stats cover requests arriving in this window, and the time-integrals cover it: the
    /// run after its warm-up, until arrivals stop.
    measured: Measured,
    pub stats: ServerStats,
}

/// A server's answer to a request; the delay back to the client is the caller's business.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    pub to: RequestRef,
    pub outcome: Outcome,
    /// Time spent before the answer leaves (a cache's hit or miss latency).
    pub delay: SimDuration,
    /// The age of the data it returns.
    pub age: Age,
}

impl Reply {
    /// An answer sent at once, with data computed now.
    pub fn now(to: RequestRef, outcome: Outcome) -> Reply {
        Reply { to, outcome, delay: SimDuration::ZERO, age: Age::FRESH }
    }
}

/// What the cache made of a request.
enum CacheStep {
    Answer(Reply),
    /// The cache will answer it later, or sent it back to itself.
    Wait,
    /// It goes to the workers.
    Work,
}

/// An operator's order to resize a pool (see `Server::scale_to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleOrder {
    pub workers: u32,
    pub delay: SimDuration,
    pub min_workers: Option<u32>,
    pub max_workers: Option<u32>,
}

/// Something the server did that belongs in the event log.
pub struct Notice {
    pub event: &'static str,
    pub detail: String,
}

impl Server {
    pub fn new(region: RegionId, workers: u32, queue_capacity: u32, service_time: ServiceTime, rng: SimRng, measured: Measured) -> Self {
        assert!(workers > 0, "a server needs at least one worker");
        Server {
            region,
            workers,
            worker: vec![Worker { state: WorkerState::Idle, epoch: 0 }; workers as usize],
            idle: (0..workers).rev().collect(),
            busy: 0,
            alive: workers,
            queue: VecDeque::new(),
            queue_capacity: queue_capacity as usize,
            service_time,
            rng,
            powered: true,
            crashed: false,
            slow_workers: 0,
            slow_multiplier: 1.0,
            error_rate: 0.0,
            admission: None,
            propagate_deadlines: false,
            calls: None,
            job_seq: 0,
            pending_calls: Vec::new(),
            autoscaler: None,
            provisioning: 0,
            target_workers: None,
            memory: None,
            modes: None,
            interval_sojourn_ns: None,
            interval_arrivals: 0,
            interval_failures: 0,
            interval_start_integrals: (0, 0),
            pending_replies: Vec::new(),
            cache: None,
            data_events: Vec::new(),
            replica: None,
            released: Vec::new(),
            last_change: SimTime::ZERO,
            busy_total_ns: 0,
            alive_total_ns: 0,
            measured,
            stats: ServerStats {
                arrivals: 0,
                served: 0,
                rejected: 0,
                errors: 0,
                lost: 0,
                shed: 0,
                expired: 0,
                dependency_failed: 0,
                forwarded: 0,
                refused: 0,
                queue_len_max: 0,
                busy_ns: 0,
                alive_ns: 0,
                in_system_ns: 0,
                sojourn_ns: 0,
                wait_ns: 0,
                wait_ns_histogram: crate::metrics::wait_histogram(),
                alive_min: workers,
                alive_max: workers,
            },
        }
    }

    pub fn with_admission(mut self, admission: Option<Admission>) -> Self {
        self.admission = admission;
        self
    }

    pub fn with_dependencies(mut self, calls: Option<CallSteps>, propagate_deadlines: bool) -> Self {
        self.calls = calls.filter(|c| c.count > 0);
        self.propagate_deadlines = propagate_deadlines;
        self
    }

    pub fn with_autoscaler(mut self, policy: Option<AutoscalePolicy>) -> Self {
        self.autoscaler = policy.map(Autoscaler::new);
        self
    }

    pub fn with_cache(mut self, cache: Option<CacheFront>) -> Self {
        self.cache = cache.map(Box::new);
        self
    }

    /// A replica, on a server without a cache: a served job settles either its replica's data
    /// or its cache's (`complete`), and validation refuses both on one service.
    pub fn with_replica(mut self, replica: Option<Replica>) -> Self {
        assert!(replica.is_none() || self.cache.is_none(), "a server holds a cache or a replica, not both");
        self.replica = replica.map(Box::new);
        self
    }

    pub fn with_modes(mut self, policy: Option<ModePolicy>) -> Self {
        self.interval_sojourn_ns = policy.as_ref().map(|_| crate::metrics::latency_histogram(2));
        self.modes = policy.map(ModeMachine::new);
        self
    }

    /// Counts a failure towards the mode machine's error rate.
    fn failed_now(&mut self) {
        self.interval_failures += 1;
    }

    /// Accounts the time since the last change of state into the integrals.
    fn advance(&mut self, now: SimTime) {
        let elapsed = u128::from(now.since(self.last_change).0);
        let busy = u128::from(self.busy);
        self.busy_total_ns += busy * elapsed;
        self.alive_total_ns += u128::from(self.alive) * elapsed;
        let from = self.last_change.max(self.measured.from);
        let to = now.min(self.measured.until);
        if to > from {
            let since = u128::from(to.since(from).0);
            self.stats.busy_ns += busy * since;
            self.stats.alive_ns += u128::from(self.alive) * since;
            self.stats.in_system_ns += (busy + self.queue.len() as u128) * since;
        }
        self.last_change = now;
    }

    fn counts(&self, arrived: SimTime) -> bool {
        self.measured.contains(arrived)
    }

    fn set_alive(&mut self, alive: u32) {
        self.alive = alive;
        self.stats.alive_min = self.stats.alive_min.min(alive);
        self.stats.alive_max = self.stats.alive_max.max(alive);
    }

    /// A request arrives. Returns a reply when it is rejected or shed at once, or answered by
    /// the cache; a powered-off server answers nothing. `last_commit` is the time its key was
    /// last written (for the cache's count of stale hits).
    pub fn on_request(
        &mut self,
        ctx: &mut Scheduler<Msg>,
        me: ActorId,
        request: RequestRef,
        deadline: SimTime,
        op: Op,
        last_commit: SimTime,
    ) -> Option<Reply> {
        let now = ctx.now();
        self.advance(now);
        // A request a lease sent back is the same arrival, looking again: from here on it is
        // the operation its caller asked for.
        let (arriving, op) = (!op.is_revisit(), op.plain());
        let counted = arriving && self.counts(now);
        self.stats.arrivals += u64::from(counted);
        self.interval_arrivals += u64::from(arriving);
        if !self.powered {
            self.stats.lost += u64::from(counted);
            self.failed_now();
            return None;
        }
        if self.process_down() {
            self.stats.errors += u64::from(counted);
            self.failed_now();
            return Some(Reply::now(request, Outcome::Error));
        }
        // The job's calls start their own journeys: they do not inherit this request's forwards.
        let mut job = Job::new(request, now, deadline, op.unforwarded(), last_commit);
        if let Some(replica) = self.replica.as_mut().filter(|_| !op.is_probe()) {
            match replica.route(now, op, counted) {
                Route::Here => {}
                Route::Forward(to) => {
                    replica.outbox.push(Outgoing::Forward { to, request, deadline, op });
                    self.stats.forwarded += u64::from(counted);
                    return None;
                }
                Route::Refuse => return self.drop_job(now, &job, |s| &mut s.refused, Some(Outcome::Error)),
            }
        }
        if self.cache.is_some() && !op.is_probe() {
            match self.consult_cache(ctx, me, &mut job, arriving) {
                CacheStep::Answer(reply) => return Some(reply),
                CacheStep::Wait => return None,
                CacheStep::Work => {}
            }
        }
        self.admit(ctx, me, job)
    }

    /// The cache's part in a request: answer a hit, park a miss behind a fetch in flight, send
    /// it back to look again (a lease is out), or let it through to the workers.
    fn consult_cache(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, job: &mut Job, first_look: bool) -> CacheStep {
        let now = ctx.now();
        let cache = self.cache.as_mut().expect("called only with a cache");
        let hit_latency = cache.policy.hit_latency;
        if job.op.is_write() {
            if cache.write_arrives(now, job.op, job.arrived) {
                self.pending_replies.push(Reply { to: job.request, outcome: Outcome::Served, delay: hit_latency, age: Age::FRESH });
            }
            return CacheStep::Work;
        }
        let parked = Parked { request: job.request, arrived: job.arrived, deadline: job.deadline, op: job.op };
        match cache.read(now, parked, first_look, job.last_commit) {
            CacheDecision::Hit { age } => CacheStep::Answer(Reply { to: job.request, outcome: Outcome::Served, delay: hit_latency, age }),
            CacheDecision::Fetch { fetch } => {
                job.fetch = Some(fetch);
                CacheStep::Work
            }
            CacheDecision::Parked => CacheStep::Wait,
            CacheDecision::Revisit { after } => {
                let budget = Budget::until(job.deadline, now + after);
                ctx.send(after, me, Msg::Request { request: job.request, budget, op: job.op.revisiting() });
                CacheStep::Wait
            }
        }
    }

    /// Starts the job, queues it, or refuses it (the refusal is returned).
    fn admit(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, job: Job) -> Option<Reply> {
        let now = ctx.now();
        let refuse = self.modes.as_ref().map_or(0.0, |m| m.effect().refuse);
        if refuse > 0.0 && self.rng.random::<f64>() < refuse {
            // A feature switched off by the current mode: answered at once, no work done.
            return self.drop_job(now, &job, |s| &mut s.shed, Some(Outcome::Shed));
        }
        if self.propagate_deadlines && job.deadline <= now {
            self.drop_job(now, &job, |s| &mut s.expired, None);
            // A request parked behind this fetch may now fetch instead.
            self.drain_queue(ctx, me);
            return None;
        }
        if let Some(worker) = self.take_idle_worker() {
            self.start(ctx, me, worker, job);
            return None;
        }
        if let Some(admission) = &self.admission
            && !admission.admits(self.queue.len(), job.request.priority)
        {
            return self.drop_job(now, &job, |s| &mut s.shed, Some(Outcome::Shed));
        }
        if self.queue.len() < self.queue_capacity {
            self.queue.push_back(job);
            self.stats.queue_len_max = self.stats.queue_len_max.max(self.queue.len() as u64);
            return None;
        }
        self.drop_job(now, &job, |s| &mut s.rejected, Some(Outcome::Rejected))
    }

    /// A job that ends without being served: counted under `counter` (if it arrived in the
    /// measured window), a failure for the mode machine, and settled with the data layer.
    /// Returns the answer its caller gets, `outcome`, unless it gets none (`None`) or was
    /// already answered (a write-behind write).
    fn drop_job(&mut self, now: SimTime, job: &Job, counter: fn(&mut ServerStats) -> &mut u64, outcome: Option<Outcome>) -> Option<Reply> {
        if self.counts(job.arrived) {
            *counter(&mut self.stats) += 1;
        }
        self.failed_now();
        let answered = !self.settle_data(now, job, outcome);
        outcome.filter(|_| !answered).map(|outcome| Reply::now(job.request, outcome))
    }

    /// What a job's end means for the data: a write commits (at a service that holds the data)
    /// and goes through the cache; a fetch fills it and answers the requests parked behind it.
    /// `outcome` is `None` for a job dropped unanswered. Returns whether the job's caller still
    /// gets an answer (not for a write-behind write, answered when it arrived).
    fn settle_data(&mut self, now: SimTime, job: &Job, outcome: Option<Outcome>) -> bool {
        let served = outcome == Some(Outcome::Served);
        let key = job.op.key();
        if job.op.is_write() && served && self.calls.is_none() {
            self.data_events.push(DataEvent::Committed(key));
        }
        let Some(cache) = self.cache.as_mut() else { return true };
        // A write-behind write was answered when it arrived (`write_arrives`).
        let answered_on_arrival = job.op.is_write() && cache.policy.writes == WritePolicy::WriteBehind;
        if job.op.is_write() {
            cache.write_done(now, key, served, job.arrived);
            if served {
                self.data_events.push(DataEvent::Invalidate(key));
            }
        } else if let Some(number) = job.fetch {
            let hit_latency = cache.policy.hit_latency;
            if let Some((next, number)) = cache.fetched(now, key, number, outcome, job.age, &mut self.released) {
                // The fetch was dropped: a request parked behind it fetches instead, next (the
                // caller starts it if a worker is idle).
                let mut refetch = Job::new(next.request, next.arrived, next.deadline, next.op, SimTime::ZERO);
                refetch.fetch = Some(number);
                self.queue.push_front(refetch);
            }
            self.answer_released(hit_latency);
        }
        !answered_on_arrival
    }

    /// A worker finished. Returns the reply for the request it served, unless the completion is
    /// stale (the worker was killed or powered off since it started).
    pub fn on_done(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, worker: u32, epoch: u32) -> Option<Reply> {
        let slot = self.worker[worker as usize];
        let WorkerState::Busy(job) = slot.state else { return None };
        if slot.epoch != epoch {
            return None;
        }
        let now = ctx.now();
        self.advance(now);
        let failed = self.error_rate > 0.0 && self.rng.random::<f64>() < self.error_rate;
        if !failed && let Some(steps) = self.calls {
            return self.begin_calls(ctx, me, worker, job, steps);
        }
        self.complete(ctx, me, worker, job, Some(if failed { Outcome::Error } else { Outcome::Served }))
    }

    /// The job's service time is over: make its first dependency call (or all of them).
    fn begin_calls(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, worker: u32, mut job: Job, steps: CallSteps) -> Option<Reply> {
        if self.propagate_deadlines && job.deadline <= ctx.now() {
            return self.complete(ctx, me, worker, job, None);
        }
        let calls = if steps.parallel { steps.count } else { 1 };
        (job.next_call, job.pending_calls) = (calls, calls);
        self.worker[worker as usize].state = WorkerState::Busy(job);
        for step in 0..calls {
            self.order_call(job, worker, step);
        }
        None
    }

    fn order_call(&mut self, job: Job, worker: u32, step: u8) {
        let deadline = if self.propagate_deadlines { job.deadline } else { SimTime::MAX };
        let order = CallOrder { step, tag: job_tag(worker, job.seq), deadline, priority: job.request.priority, op: job.op };
        self.pending_calls.push(order);
    }

    /// A dependency call of job `tag` ended; `proceed` is false when it failed and fails closed,
    /// `age` is the age of the data it returned. Returns the job's reply once it is complete.
    pub fn on_call_ended(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, tag: u64, proceed: bool, age: Age) -> Option<Reply> {
        let (worker, seq) = ((tag >> 32) as u32, tag as u32);
        let WorkerState::Busy(mut job) = self.worker[worker as usize].state else { return None };
        let steps = self.calls?;
        if job.seq != seq || job.pending_calls == 0 {
            return None;
        }
        self.advance(ctx.now());
        if !proceed {
            self.stats.dependency_failed += u64::from(self.counts(job.arrived));
            return self.complete(ctx, me, worker, job, Some(Outcome::Error));
        }
        job.pending_calls -= 1;
        job.age = job.age.max(age);
        if steps.parallel && job.pending_calls > 0 {
            self.worker[worker as usize].state = WorkerState::Busy(job);
            return None;
        }
        if !steps.parallel && job.next_call < steps.count {
            if self.propagate_deadlines && job.deadline <= ctx.now() {
                return self.complete(ctx, me, worker, job, None);
            }
            let step = job.next_call;
            (job.next_call, job.pending_calls) = (step + 1, 1);
            self.worker[worker as usize].state = WorkerState::Busy(job);
            self.order_call(job, worker, step);
            return None;
        }
        self.complete(ctx, me, worker, job, Some(Outcome::Served))
    }

    /// The worker is done with `job`: it answers `outcome` (nothing when the job expired) and
    /// takes the next queued job.
    fn complete(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, worker: u32, job: Job, outcome: Option<Outcome>) -> Option<Reply> {
        let now = ctx.now();
        self.worker[worker as usize].state = WorkerState::Idle;
        self.busy -= 1;
        let failed = outcome != Some(Outcome::Served);
        if self.counts(job.arrived) {
            self.stats.served += u64::from(!failed);
            self.stats.errors += u64::from(outcome == Some(Outcome::Error));
            self.stats.expired += u64::from(outcome.is_none());
            if !failed {
                self.stats.sojourn_ns += u128::from(now.since(job.arrived).0);
            }
        }
        if failed {
            self.failed_now();
        }
        if let Some(histogram) = &mut self.interval_sojourn_ns {
            histogram.saturating_record(now.since(job.arrived).0.max(crate::metrics::LATENCY_LOW_NS));
        }
        let (answer, outcome, age) = match outcome {
            Some(Outcome::Served) if self.replica.is_some() && !job.op.is_probe() => self.settle_replica(now, &job),
            _ => (self.settle_data(now, &job, outcome), outcome, job.age),
        };
        if self.target_workers.is_some_and(|target| self.alive > target) {
            self.worker[worker as usize].state = WorkerState::Retired;
            let alive = self.alive - 1;
            self.set_alive(alive);
        } else {
            match self.next_job(now) {
                Some(next) => self.start(ctx, me, worker, next),
                None => self.idle.push(worker),
            }
        }
        // A request that went through the cache pays its miss latency.
        let delay = self.cache.as_ref().map_or(SimDuration::ZERO, |c| c.policy.miss_latency);
        outcome.filter(|_| answer).map(|outcome| Reply { to: job.request, outcome, delay, age })
    }

    /// A served request at a replica: a write commits (and may wait for acknowledgements), a read
    /// returns the replica's data (or asks a quorum). Returns whether it is answered now, with
    /// what and how old.
    fn settle_replica(&mut self, now: SimTime, job: &Job) -> (bool, Option<Outcome>, Age) {
        let (key, counted) = (job.op.key(), self.counts(job.arrived));
        let replica = self.replica.as_mut().expect("called only with a replica");
        let settled = if job.op.is_write() {
            replica.write(now, job.request, key, counted)
        } else {
            replica.read(now, job.request, key, job.last_commit, counted)
        };
        if matches!(settled, Settled::Committed | Settled::Waits { committed: true }) {
            self.data_events.push(DataEvent::Committed(key));
        }
        match settled {
            Settled::Answer(outcome, age) => (true, Some(outcome), age.max(job.age)),
            Settled::Committed => (true, Some(Outcome::Served), job.age),
            Settled::Waits { .. } => (false, None, job.age),
        }
    }

    /// A message of the replication protocol. A server that is down (or crashed) takes none.
    /// Answers it releases (writes acknowledged, quorum reads complete, waits given up) go to
    /// `pending_replies`. Returns the change of leadership a ping brought.
    pub fn on_replication(&mut self, now: SimTime, message: Replication<'_>) -> Adopted {
        let up = self.is_serving();
        let slower = if self.slow_workers > 0 { self.slow_multiplier } else { 1.0 };
        let Some(replica) = self.replica.as_mut().filter(|_| up) else { return Adopted::Nothing };
        let released = &mut self.released;
        let adopted = match message {
            Replication::Batch { origin, from, entries, as_of } => {
                replica.on_replicate(now, origin, from, entries, as_of, slower);
                Adopted::Nothing
            }
            Replication::Ack { member, upto } => {
                replica.on_ack(now, member, upto, released);
                Adopted::Nothing
            }
            Replication::Read { member, id, key } => {
                replica.on_read(now, member, id, key);
                Adopted::Nothing
            }
            Replication::Answer { id, version, staleness } => {
                replica.on_answer(id, version, staleness, released);
                Adopted::Nothing
            }
            Replication::Tick => {
                replica.on_tick(now, released);
                Adopted::Nothing
            }
            Replication::Ping { leader, term } => replica.on_ping(now, leader, term),
        };
        self.answer_released(SimDuration::ZERO);
        adopted
    }

    /// Answers what the cache or the replica released, `delay` from now.
    fn answer_released(&mut self, delay: SimDuration) {
        for released in self.released.drain(..) {
            self.pending_replies.push(Reply { to: released.request, outcome: released.outcome, delay, age: released.age });
        }
    }

    /// The next queued request worth starting: with a `max_wait`, requests that waited longer
    /// are shed (their clients have probably given up) and answered through `pending_replies`.
    fn next_job(&mut self, now: SimTime) -> Option<Job> {
        let max_wait = self.admission.as_ref().and_then(|a| a.max_wait);
        while let Some(job) = self.queue.pop_front() {
            if self.propagate_deadlines && job.deadline <= now {
                // Nobody waits for it any more: skip it without an answer.
                self.drop_job(now, &job, |s| &mut s.expired, None);
                continue;
            }
            match max_wait {
                Some(limit) if now.since(job.arrived) > limit => {
                    if let Some(reply) = self.drop_job(now, &job, |s| &mut s.shed, Some(Outcome::Shed)) {
                        self.pending_replies.push(reply);
                    }
                }
                _ => return Some(job),
            }
        }
        None
    }

    /// A uniformly random idle worker, as a load balancer spreading requests would pick. (Always
    /// taking the most recently freed one would, at low load, send nearly everything to a few
    /// workers, and a "share of slow workers" would not be a share of the traffic.)
    fn take_idle_worker(&mut self) -> Option<u32> {
        match self.idle.len() {
            0 => None,
            1 => self.idle.pop(),
            len => Some(self.idle.swap_remove(self.rng.random_range(0..len))),
        }
    }

    fn start(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, worker: u32, mut job: Job) {
        let now = ctx.now();
        job.seq = self.job_seq;
        self.job_seq = self.job_seq.wrapping_add(1);
        if self.counts(job.arrived) {
            let wait = now.since(job.arrived);
            self.stats.wait_ns += u128::from(wait.0);
            self.stats.wait_ns_histogram.saturating_record(wait.0);
        }
        let slot = &mut self.worker[worker as usize];
        slot.state = WorkerState::Busy(job);
        self.busy += 1;
        let mut service = self.service_time.sample(&mut self.rng);
        let mut multiplier = if worker < self.slow_workers { self.slow_multiplier } else { 1.0 };
        if let Some(memory) = &self.memory {
            multiplier *= memory.gc_multiplier(now);
        }
        if let Some(effect) = self.modes.as_ref().map(|m| m.effect()).filter(|e| e.cheaper > 0.0)
            && self.rng.random::<f64>() < effect.cheaper
        {
            multiplier *= effect.cost;
        }
        if multiplier != 1.0 {
            service = SimDuration::from_secs_f64(service.as_secs_f64() * multiplier);
        }
        ctx.send(service, me, Msg::ServiceDone { worker, epoch: slot.epoch });
    }

    /// Starts queued requests on idle workers (after workers were added or revived).
    fn drain_queue(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId) {
        while !self.idle.is_empty() {
            let Some(job) = self.next_job(ctx.now()) else { break };
            let worker = self.take_idle_worker().expect("checked");
            self.start(ctx, me, worker, job);
        }
    }

    /// Applies a fault's order. Work lost to an outage or a kill gets no answer: its clients
    /// find out by timing out, as they would in reality.
    pub fn on_order(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, order: ServerOrder) {
        self.advance(ctx.now());
        match order {
            ServerOrder::PowerOff => {
                self.powered = false;
                // Memory is lost: the cache restarts cold, and whatever waited in it is lost.
                if let Some(cache) = &mut self.cache {
                    cache.clear();
                }
                if let Some(replica) = &mut self.replica {
                    replica.power_off();
                }
                if let Some(memory) = &mut self.memory {
                    memory.stop();
                }
                let now = ctx.now();
                while let Some(job) = self.queue.pop_front() {
                    self.drop_job(now, &job, |s| &mut s.lost, None);
                }
                for index in 0..self.worker.len() as u32 {
                    self.stop_worker(index, WorkerState::Idle, ctx.now());
                }
                self.idle =
                    (0..self.worker.len() as u32).rev().filter(|&w| matches!(self.worker[w as usize].state, WorkerState::Idle)).collect();
                self.shrink_to_target();
            }
            ServerOrder::PowerOn => {
                self.powered = true;
                if let Some(memory) = &mut self.memory {
                    memory.restart(ctx.now());
                }
                self.plan_out_of_memory(ctx, me);
            }
            ServerOrder::Crash => self.crash(ctx.now()),
            ServerOrder::Restart => self.crashed = false,
            ServerOrder::SetSlow { share, multiplier } => {
                self.slow_workers = (share * f64::from(self.workers)).round() as u32;
                self.slow_multiplier = multiplier;
            }
            ServerOrder::SetErrorRate { rate } => self.error_rate = rate,
            ServerOrder::Kill { share } => {
                self.kill((share * f64::from(self.workers)).round() as u32, ctx.now());
                // A fetch lost with a killed worker hands over to a request parked behind it.
                self.drain_queue(ctx, me);
            }
            ServerOrder::Revive => self.revive(ctx, me),
            ServerOrder::StartLeak(spec) => {
                match &mut self.memory {
                    Some(memory) => memory.rearm(spec, ctx.now()),
                    None => self.memory = Some(Memory::new(spec, ctx.now())),
                }
                self.plan_out_of_memory(ctx, me);
            }
            ServerOrder::FixLeak => {
                if let Some(memory) = &mut self.memory {
                    memory.fix(ctx.now());
                }
            }
            ServerOrder::Freeze(frozen) => {
                if let Some(scaler) = &mut self.autoscaler {
                    scaler.frozen = frozen;
                }
                if let Some(modes) = &mut self.modes {
                    modes.frozen = frozen;
                }
            }
        }
    }

    /// The process crashes: see `reset_connections`; it refuses new requests until it restarts.
    fn crash(&mut self, now: SimTime) {
        self.crashed = true;
        self.reset_connections(now);
    }

    /// Every queued and running request gets a connection reset (an error) now, and the pool
    /// comes back at the size an operator set.
    fn reset_connections(&mut self, now: SimTime) {
        while let Some(job) = self.queue.pop_front() {
            self.reset(job, now);
        }
        for index in 0..self.worker.len() {
            let worker = &mut self.worker[index];
            if let WorkerState::Busy(job) = worker.state {
                worker.epoch = worker.epoch.wrapping_add(1);
                worker.state = WorkerState::Idle;
                self.busy -= 1;
                self.idle.push(index as u32);
                self.reset(job, now);
            }
        }
        self.shrink_to_target();
    }

    /// Whether the process is not running (crashed, or killed for lack of memory), though the
    /// server is powered: it refuses connections.
    fn process_down(&self) -> bool {
        self.crashed || self.memory.as_ref().is_some_and(|m| m.down)
    }

    /// A job's connection is reset: it is answered with an error.
    fn reset(&mut self, job: Job, now: SimTime) {
        if let Some(reply) = self.drop_job(now, &job, |s| &mut s.errors, Some(Outcome::Error)) {
            self.pending_replies.push(reply);
        }
    }

    /// Stops whatever `index` is running (its completion becomes stale) and sets its state.
    fn stop_worker(&mut self, index: u32, state: WorkerState, now: SimTime) {
        if let WorkerState::Busy(job) = self.worker[index as usize].state {
            let worker = &mut self.worker[index as usize];
            worker.epoch = worker.epoch.wrapping_add(1);
            self.busy -= 1;
            self.drop_job(now, &job, |s| &mut s.lost, None);
        }
        let worker = &mut self.worker[index as usize];
        if matches!(worker.state, WorkerState::Idle | WorkerState::Busy(_)) {
            worker.state = state;
            if !matches!(state, WorkerState::Idle) {
                let alive = self.alive - 1;
                self.set_alive(alive);
            }
        }
    }

    /// Kills `count` more workers, highest index first.
    fn kill(&mut self, count: u32, now: SimTime) {
        let mut killed = 0;
        for index in (0..self.worker.len() as u32).rev() {
            if killed == count {
                break;
            }
            if matches!(self.worker[index as usize].state, WorkerState::Idle | WorkerState::Busy(_)) {
                self.stop_worker(index, WorkerState::Dead, now);
                killed += 1;
            }
        }
        self.idle.retain(|&w| matches!(self.worker[w as usize].state, WorkerState::Idle));
    }

    /// Brings dead workers back (no more than the size an operator set) and puts the queue to
    /// work on them.
    fn revive(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId) {
        for index in (0..self.worker.len() as u32).rev() {
            let room = self.target_workers.is_none_or(|target| self.alive < target);
            if room && matches!(self.worker[index as usize].state, WorkerState::Dead) {
                self.worker[index as usize].state = WorkerState::Idle;
                self.idle.push(index);
                let alive = self.alive + 1;
                self.set_alive(alive);
            }
        }
        self.drain_queue(ctx, me);
    }

    /// The autoscaler's periodic decision. Returns what it did, for the event log.
    pub fn on_autoscale_tick(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId) -> Option<Notice> {
        let now = ctx.now();
        self.advance(now);
        let (busy, alive_ns, alive) = (self.busy_total_ns, self.alive_total_ns, self.alive);
        let scaler = self.autoscaler.as_mut().expect("ticks come only to autoscaled servers");
        let (interval, delay) = (scaler.policy.interval, scaler.policy.provisioning_delay);
        let decision = scaler.decide(now, alive, busy, alive_ns);
        ctx.send(interval, me, Msg::AutoscaleTick);
        if decision != Decision::Hold {
            // The autoscaler sizes the pool from now on, not an operator's earlier order.
            self.target_workers = None;
        }
        match decision {
            Decision::Hold => None,
            Decision::Out(count) => {
                ctx.send(delay, me, Msg::WorkersReady { count });
                Some(Notice { event: "scale-out", detail: format!("+{count} workers ordered ({alive} alive)") })
            }
            Decision::In(count) => {
                let retired = self.retire(count);
                Some(Notice { event: "scale-in", detail: format!("-{retired} idle workers ({} alive)", self.alive) })
            }
        }
    }

    /// Retires up to `count` idle workers; returns how many.
    fn retire(&mut self, count: u32) -> u32 {
        let mut retired = 0;
        while retired < count {
            let Some(worker) = self.idle.pop() else { break };
            self.worker[worker as usize].state = WorkerState::Retired;
            let alive = self.alive - 1;
            self.set_alive(alive);
            retired += 1;
        }
        retired
    }

    /// Workers ordered and not ready yet.
    fn pending_workers(&mut self) -> &mut u32 {
        match &mut self.autoscaler {
            Some(scaler) => &mut scaler.pending,
            None => &mut self.provisioning,
        }
    }

    /// An operator sets the pool's size to `workers`. The missing workers are ordered
    /// (counting those already on their way) and serve `delay` later. Surplus idle workers
    /// retire now and busy ones as they finish their request (a drain); workers already
    /// ordered still arrive, and then drain. The size holds through kills, crashes and outages
    /// until the autoscaler, if any, next resizes the pool; an autoscaled pool takes the new
    /// bounds.
    pub fn scale_to(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, order: ScaleOrder) -> Notice {
        self.advance(ctx.now());
        if let Some(scaler) = &mut self.autoscaler {
            scaler.policy.min_workers = order.min_workers.unwrap_or(scaler.policy.min_workers);
            scaler.policy.max_workers = order.max_workers.unwrap_or(scaler.policy.max_workers);
        }
        self.target_workers = Some(order.workers);
        let planned = self.alive + *self.pending_workers();
        let detail = if order.workers > planned {
            let count = order.workers - planned;
            *self.pending_workers() += count;
            ctx.send(order.delay, me, Msg::WorkersReady { count });
            format!("+{count} workers ordered ({} alive)", self.alive)
        } else {
            let retired = self.shrink_to_target();
            let draining = self.alive - order.workers.min(self.alive);
            format!("-{retired} idle workers, {draining} more as they finish ({} alive)", self.alive)
        };
        Notice { event: "scale-ordered", detail }
    }

    /// Retires idle workers above the size an operator set; returns how many.
    fn shrink_to_target(&mut self) -> u32 {
        match self.target_workers {
            Some(target) if self.alive > target => self.retire(self.alive - target),
            _ => 0,
        }
    }

    /// Orders the leaking process's kill, when its memory will reach the limit.
    fn plan_out_of_memory(&self, ctx: &mut Scheduler<Msg>, me: ActorId) {
        if let Some(memory) = self.memory.as_ref().filter(|m| m.leaking && !m.down) {
            ctx.send(memory.time_to_kill(), me, Msg::OutOfMemory { epoch: memory.epoch, killing: true });
        }
    }

    /// Memory held now, for a server that has had a leak (others' memory is not modelled).
    pub fn memory_mb(&self, now: SimTime) -> Option<f64> {
        self.memory.as_ref().map(|m| m.used_mb(now))
    }

    /// The leaking process runs out of memory (`killing`): its connections reset, as in a
    /// crash, and it refuses new ones until it restarts. Or it restarts after the kill, and
    /// leaks again unless the fix came meanwhile. Orders from an earlier epoch are void.
    /// Returns what happened, for the event log.
    pub fn on_out_of_memory(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, epoch: u32, killing: bool) -> Option<Notice> {
        let now = ctx.now();
        self.advance(now);
        let memory = self.memory.as_mut().filter(|m| m.epoch == epoch)?;
        if killing {
            memory.kill(now);
            let limit = memory.spec.limit_mb;
            ctx.send(memory.spec.restart, me, Msg::OutOfMemory { epoch, killing: false });
            self.reset_connections(now);
            return Some(Notice { event: "oom-kill", detail: format!("out of memory at {limit} MB") });
        }
        memory.restart(now);
        self.plan_out_of_memory(ctx, me);
        self.drain_queue(ctx, me);
        Some(Notice { event: "oom-restart", detail: "restarted after the kill".to_string() })
    }

    /// The part of the run this server's statistics cover.
    pub fn measured(&self) -> Measured {
        self.measured
    }

    /// The all-time integrals of busy and alive worker-time so far.
    pub fn worker_time(&mut self, now: SimTime) -> (u128, u128) {
        self.advance(now);
        (self.busy_total_ns, self.alive_total_ns)
    }

    /// Provisioned workers are ready: they take the slots of dead or retired workers first.
    pub fn on_workers_ready(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId, count: u32) -> Notice {
        self.advance(ctx.now());
        *self.pending_workers() -= count;
        for _ in 0..count {
            let free = self.worker.iter().position(|w| matches!(w.state, WorkerState::Dead | WorkerState::Retired));
            let index = match free {
                Some(index) => index,
                None => {
                    self.worker.push(Worker { state: WorkerState::Idle, epoch: 0 });
                    self.worker.len() - 1
                }
            };
            let slot = &mut self.worker[index];
            slot.state = WorkerState::Idle;
            slot.epoch = slot.epoch.wrapping_add(1);
            self.idle.push(index as u32);
            let alive = self.alive + 1;
            self.set_alive(alive);
        }
        self.drain_queue(ctx, me);
        Notice { event: "workers-ready", detail: format!("+{count} workers ({} alive)", self.alive) }
    }

    /// The mode machine's periodic evaluation. Returns the mode change, for the event log.
    pub fn on_mode_tick(&mut self, ctx: &mut Scheduler<Msg>, me: ActorId) -> Option<Notice> {
        let now = ctx.now();
        self.advance(now);
        let (busy, alive) = (self.busy_total_ns, self.alive_total_ns);
        let (busy_before, alive_before) = std::mem::replace(&mut self.interval_start_integrals, (busy, alive));
        let histogram = self.interval_sojourn_ns.as_mut().expect("a mode machine has its histogram");
        let signals = Signals {
            p99_ms: if histogram.is_empty() { 0.0 } else { histogram.value_at_quantile(0.99) as f64 / 1e6 },
            error_rate: if self.interval_arrivals == 0 { 0.0 } else { self.interval_failures as f64 / self.interval_arrivals as f64 },
            utilisation: if alive == alive_before { 1.0 } else { (busy - busy_before) as f64 / (alive - alive_before) as f64 },
        };
        histogram.reset();
        (self.interval_arrivals, self.interval_failures) = (0, 0);
        let machine = self.modes.as_mut().expect("ticks come only to servers with modes");
        ctx.send(machine.policy.interval, me, Msg::ModeTick);
        let change = machine.evaluate(now, &signals)?;
        let detail = format!(
            "{} (p99 {:.1} ms, errors {:.3}, utilisation {:.3})",
            change.as_str(),
            signals.p99_ms,
            signals.error_rate,
            signals.utilisation
        );
        Some(Notice { event: "mode", detail })
    }

    /// Powered (replicas and the failover manager ask; health probes use `probe_answer`).
    pub fn is_up(&self) -> bool {
        self.powered
    }

    /// Up and not crashed: it takes connections (and replication messages).
    pub fn is_serving(&self) -> bool {
        self.powered && !self.process_down()
    }

    /// What a shallow health probe gets: nothing from a server that is off, an error from a
    /// crashed one (its connections are refused), success otherwise.
    pub fn probe_answer(&self) -> Option<Outcome> {
        self.powered.then_some(if self.process_down() { Outcome::Error } else { Outcome::Served })
    }

    /// Closes the integrals at the end of the run.
    pub fn finish(&mut self, end: SimTime) {
        self.advance(end);
        if let Some(modes) = &mut self.modes {
            modes.account(end);
        }
        if let Some(replica) = &mut self.replica {
            replica.finish(end);
        }
    }

    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    pub fn alive_workers(&self) -> u32 {
        self.alive
    }

    pub fn busy_workers(&self) -> u32 {
        self.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    fn mean_of(service: &ServiceTime, draws: usize) -> f64 {
        let mut rng = RngStreams::new(9).stream("service", 0);
        (0..draws).map(|_| service.sample(&mut rng).as_secs_f64()).sum::<f64>() / draws as f64
    }

    #[test]
    fn sampled_means_match_the_stated_means() {
        let ms = SimDuration::from_millis;
        let cases = [
            ServiceTime::exponential(ms(20)).unwrap(),
            ServiceTime::lognormal(ms(10), 0.5).unwrap(),
            ServiceTime::gamma(ms(20), 0.5).unwrap(),
            ServiceTime::weibull(ms(10), 2.0).unwrap(),
            ServiceTime::pareto(ms(5), 3.0).unwrap(),
            ServiceTime::uniform(ms(10), ms(30)).unwrap(),
            ServiceTime::constant(ms(7)),
        ];
        for case in &cases {
            let sampled = mean_of(case, 200_000);
            let stated = case.mean_s();
            assert!((sampled - stated).abs() / stated < 0.02, "{}: sampled {sampled} stated {stated}", case.describe());
        }
    }

    #[test]
    fn invalid_parameters_are_errors_not_panics() {
        assert!(ServiceTime::exponential(SimDuration::ZERO).is_err());
        assert!(ServiceTime::gamma(SimDuration::from_millis(1), 0.0).is_err());
        assert!(ServiceTime::weibull(SimDuration::from_millis(1), -1.0).is_err());
        assert!(ServiceTime::uniform(SimDuration::from_millis(2), SimDuration::from_millis(1)).is_err());
    }

    #[test]
    fn gamma_function_matches_factorials() {
        assert!((gamma_function(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_function(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-9);
    }
}
