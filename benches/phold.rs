//! PHOLD throughput benchmark for the kernel's event queue and run loop.
//!
//! N logical processes (LPs) each start with one event. Handling an event schedules exactly one
//! new event after a fixed lookahead of 0.1 plus an exponential delay of mean 0.9, to a uniformly
//! random *other* LP with probability 0.25 and to the same LP otherwise. One time unit is 1 ms
//! (1_000_000 ns of `SimTime`), so the mean increment is 1 ms. Each LP owns its own random stream
//! (`RngStreams::new(seed).stream("phold", lp)`), as in classic PHOLD.
//!
//! The number of pending events is constant (= N), so the queue never grows after seeding.
//!
//! Run: `CARGO_TARGET_DIR=/tmp/bench-target cargo bench --bench phold`
//!
//! Environment (all optional):
//! - `PHOLD_EVENTS`  events measured per repetition (default 20_000_000)
//! - `PHOLD_WARMUP`  events run before the timed part of each repetition (default 2_000_000)
//! - `PHOLD_REPS`    repetitions per population (default 5)
//! - `PHOLD_LPS`     comma-separated populations (default `1024,65536`)
//! - `PHOLD_SEED`    root seed (default 1)
//!
//! Every repetition of a population must produce the same digest (same seed → same trace); the
//! bench panics otherwise, so a timing table is also a determinism check.

#![allow(clippy::disallowed_methods)] // a benchmark times itself with the wall clock

use std::hint::black_box;
use std::time::Instant;

use planetsim::kernel::{self, ActorId, Limits, Message, Model, RngStreams, Scheduler, SimDuration, SimRng, SimTime};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp};

/// Nanoseconds per PHOLD time unit (1 unit = 1 ms).
const NANOS_PER_UNIT: f64 = 1_000_000.0;
/// Fixed lookahead: 0.1 units.
const LOOKAHEAD: SimDuration = SimDuration(100_000);
/// Mean of the exponential part of the delay, in units.
const EXP_MEAN: f64 = 0.9;
/// Probability that an event goes to another LP.
const REMOTE_PROB: f64 = 0.25;

/// The PHOLD message carries nothing: the receiving LP is the event's target.
#[derive(Clone, Copy, Debug)]
struct Ping;

impl Message for Ping {
    fn trace_word(&self) -> u64 {
        0
    }
}

struct Phold {
    rngs: Vec<SimRng>,
    delay: Exp<f64>,
    lps: u32,
}

impl Phold {
    fn new(seed: u64, lps: u32) -> Self {
        let streams = RngStreams::new(seed);
        Phold {
            rngs: (0..lps).map(|lp| streams.stream("phold", u64::from(lp))).collect(),
            delay: Exp::new(1.0 / EXP_MEAN).expect("positive rate"),
            lps,
        }
    }
}

impl Model for Phold {
    type Msg = Ping;

    #[inline]
    fn handle(&mut self, ctx: &mut Scheduler<Ping>, target: ActorId, msg: Ping) {
        let rng = &mut self.rngs[target.0 as usize];
        // Quantised once, to whole nanoseconds, rounding to nearest. The sample is non-negative,
        // so adding 0.5 and truncating is `round()`; `f64::round` itself is a libm call on
        // baseline x86-64 (no SSE4.1 `roundsd`) and cost ~7% of the run.
        let extra = (self.delay.sample(rng) * NANOS_PER_UNIT + 0.5) as u64;
        let dest = if rng.random::<f64>() < REMOTE_PROB && self.lps > 1 {
            // Uniform over the other N-1 LPs.
            let offset = rng.random_range(1..self.lps);
            (target.0 + offset) % self.lps
        } else {
            target.0
        };
        ctx.send(SimDuration(LOOKAHEAD.0 + extra), ActorId(dest), msg);
    }
}

struct Rep {
    events: u64,
    secs: f64,
    digest: u64,
    end_time: SimTime,
    pending: usize,
    reserved: usize,
}

fn one_rep(seed: u64, lps: u32, warmup: u64, events: u64) -> Rep {
    let mut model = Phold::new(seed, lps);
    let mut ctx = Scheduler::with_capacity(lps as usize);
    // Seed: one event per LP, at a random time in [0, 1) unit drawn from that LP's stream.
    for lp in 0..lps {
        let rng = &mut model.rngs[lp as usize];
        let start = SimDuration(rng.next_u64() % NANOS_PER_UNIT as u64);
        ctx.send(start, ActorId(lp), Ping);
    }
    let warm = kernel::run(&mut model, &mut ctx, Limits { horizon: SimTime::MAX, max_events: warmup });
    assert_eq!(warm.events, warmup);
    let started = Instant::now();
    let outcome = kernel::run(black_box(&mut model), &mut ctx, Limits { horizon: SimTime::MAX, max_events: events });
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(outcome.events, events);
    Rep {
        events: outcome.events,
        secs,
        digest: outcome.digest,
        end_time: outcome.end_time,
        pending: ctx.pending(),
        reserved: ctx.reserved_bytes(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.replace('_', "").parse().unwrap_or_else(|_| panic!("{name}={text}: not a number")),
        Err(_) => default,
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

fn main() {
    let events = env_u64("PHOLD_EVENTS", 20_000_000);
    let warmup = env_u64("PHOLD_WARMUP", 2_000_000);
    let reps = env_u64("PHOLD_REPS", 5).max(1);
    let seed = env_u64("PHOLD_SEED", 1);
    let populations: Vec<u32> = std::env::var("PHOLD_LPS")
        .unwrap_or_else(|_| "1024,65536".to_string())
        .split(',')
        .map(|s| s.trim().replace('_', "").parse().expect("PHOLD_LPS: comma-separated integers"))
        .collect();

    let slot_bytes = Scheduler::<Ping>::with_capacity(1024).reserved_bytes() / 1024;
    println!("PHOLD: lookahead 0.1 + Exp(mean 0.9), 1 unit = 1 ms; p(remote) = {REMOTE_PROB}; one RNG stream per LP");
    println!(
        "seed {seed}, warm-up {warmup} events, {events} timed events x {reps} reps; slot = {slot_bytes} B (Msg = {} B)",
        std::mem::size_of::<Ping>()
    );
    println!();
    println!("| LPs | median Mev/s | min | max | spread | B/pending | sim time reached (ms) | digest |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");

    for &lps in &populations {
        let mut rates = Vec::with_capacity(reps as usize);
        let mut first: Option<Rep> = None;
        for _ in 0..reps {
            let rep = one_rep(seed, lps, warmup, events);
            rates.push(rep.events as f64 / rep.secs / 1e6);
            match &first {
                None => first = Some(rep),
                Some(f) => assert_eq!(f.digest, rep.digest, "non-deterministic: digest differs between repetitions at N = {lps}"),
            }
        }
        let per_rep: Vec<String> = rates.iter().map(|r| format!("{r:.2}")).collect();
        rates.sort_by(f64::total_cmp);
        let f = first.expect("at least one rep");
        let med = median(&rates);
        let (lo, hi) = (rates[0], rates[rates.len() - 1]);
        println!(
            "| {lps} | {med:.2} | {lo:.2} | {hi:.2} | {:.1}% | {:.1} | {:.1} | {:016x} |",
            (hi - lo) / med * 100.0,
            f.reserved as f64 / f.pending as f64,
            f.end_time.0 as f64 / NANOS_PER_UNIT,
            f.digest,
        );
        eprintln!("  N = {lps}: per-rep Mev/s [{}]", per_rep.join(", "));
    }
}
