//! A client's resilience policy: per-attempt timeouts, retries with backoff and jitter, a retry
//! budget, a circuit breaker and hedged requests, with the parameters practitioners tune.
//!
//! These are plain state machines with no knowledge of the kernel: a `Caller` asks them
//! "may I retry, and after how long?", "may I send?", and tells them what happened.
//! Sources: exponential backoff with full and equal jitter as in "Exponential Backoff And
//! Jitter" (AWS Architecture Blog, 2015); the retry budget as Finagle's (a share of requests,
//! deposited per request, withdrawn per retry); the breaker as in Nygard's "Release It!"
//! (closed, open, half-open with probes) with an error-rate threshold over a sliding window.

use crate::kernel::{SimDuration, SimRng, SimTime};
use rand::RngExt;

/// Which failures a client retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryOn {
    pub timeout: bool,
    pub rejected: bool,
    pub error: bool,
    pub unreachable: bool,
}

impl RetryOn {
    pub const ALL: RetryOn = RetryOn { timeout: true, rejected: true, error: true, unreachable: true };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// The computed delay exactly: synchronised clients retry in lockstep.
    None,
    /// Uniform in [0, d].
    Full,
    /// d/2 plus uniform in [0, d/2].
    Equal,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backoff {
    /// Retry at once.
    Immediate,
    /// base × multiplier^k, capped, for the k-th retry (k from 0).
    Exponential { base: SimDuration, multiplier: f64, cap: SimDuration, jitter: Jitter },
}

impl Backoff {
    /// The delay before retry number `k` (0 for the first retry).
    pub fn delay(&self, k: u32, rng: &mut SimRng) -> SimDuration {
        match *self {
            Backoff::Immediate => SimDuration::ZERO,
            Backoff::Exponential { base, multiplier, cap, jitter } => {
                let ceiling = (base.as_secs_f64() * multiplier.powi(k as i32)).min(cap.as_secs_f64());
                let seconds = match jitter {
                    Jitter::None => ceiling,
                    Jitter::Full => ceiling * rng.random::<f64>(),
                    Jitter::Equal => ceiling / 2.0 + ceiling / 2.0 * rng.random::<f64>(),
                };
                SimDuration::from_secs_f64(seconds)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max: u32,
    pub on: RetryOn,
    pub backoff: Backoff,
    /// Retries may be at most this share of requests (Finagle-style budget), if set.
    pub budget_ratio: Option<f64>,
}

/// A token bucket: each request deposits `ratio` tokens (up to `cap`), each retry takes one.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    ratio: f64,
    cap: f64,
    balance: f64,
    pub denied: u64,
}

impl RetryBudget {
    /// Burst allowance: enough for a short blip without letting a storm through.
    const CAP_MIN: f64 = 10.0;

    pub fn new(ratio: f64) -> Self {
        RetryBudget { ratio, cap: Self::CAP_MIN.max(ratio * 100.0), balance: Self::CAP_MIN.max(ratio * 100.0), denied: 0 }
    }

    pub fn deposit(&mut self) {
        self.balance = (self.balance + self.ratio).min(self.cap);
    }

    pub fn try_withdraw(&mut self) -> bool {
        if self.balance >= 1.0 {
            self.balance -= 1.0;
            true
        } else {
            self.denied += 1;
            false
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerPolicy {
    /// The sliding window over which the error rate is measured.
    pub window: SimDuration,
    /// No decision on fewer outcomes than this in the window.
    pub min_requests: u32,
    /// Open when failures / outcomes reaches this.
    pub error_rate: f64,
    /// How long to stay open before letting probes through.
    pub open_for: SimDuration,
    /// Probes allowed while half-open; all must succeed to close.
    pub probes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

const BREAKER_BUCKETS: usize = 10;

/// A circuit breaker with an error rate over a sliding window of ten buckets.
#[derive(Clone, Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    state: BreakerState,
    opened_at: SimTime,
    /// When the current round of half-open probes started.
    probing_since: SimTime,
    probes_sent: u32,
    probes_ok: u32,
    /// Per bucket: (bucket number, successes, failures).
    buckets: [(u64, u32, u32); BREAKER_BUCKETS],
    /// Time spent open so far, and transitions, for reports.
    pub open_ns: u64,
    pub opened: u32,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: BreakerState::Closed,
            opened_at: SimTime::ZERO,
            probing_since: SimTime::ZERO,
            probes_sent: 0,
            probes_ok: 0,
            buckets: [(u64::MAX, 0, 0); BREAKER_BUCKETS],
            open_ns: 0,
            opened: 0,
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    fn bucket_of(&self, now: SimTime) -> u64 {
        now.0 / (self.policy.window.0 / BREAKER_BUCKETS as u64).max(1)
    }

    /// May an attempt be sent now? Returns the state change, if one happens.
    pub fn admit(&mut self, now: SimTime) -> (bool, Option<BreakerState>) {
        match self.state {
            BreakerState::Closed => (true, None),
            BreakerState::Open if now >= self.opened_at + self.policy.open_for => {
                self.open_ns += now.since(self.opened_at).0;
                self.state = BreakerState::HalfOpen;
                self.probing_since = now;
                self.probes_sent = 1;
                self.probes_ok = 0;
                (true, Some(BreakerState::HalfOpen))
            }
            BreakerState::Open => (false, None),
            BreakerState::HalfOpen if self.probes_sent < self.policy.probes => {
                self.probes_sent += 1;
                (true, None)
            }
            // Probes unanswered for `open_for` are presumed lost (abandoned by their request,
            // or dropped on the way): a new round of probes starts, so the breaker cannot wait
            // for them forever.
            BreakerState::HalfOpen if now >= self.probing_since + self.policy.open_for => {
                self.probing_since = now;
                self.probes_sent = 1;
                self.probes_ok = 0;
                (true, None)
            }
            BreakerState::HalfOpen => (false, None),
        }
    }

    /// Records an attempt's outcome. Returns the state change, if one happens.
    pub fn record(&mut self, now: SimTime, success: bool) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed => {
                self.count(now, success);
                self.too_many_failures(now).then(|| self.open(now))
            }
            BreakerState::HalfOpen if !success => Some(self.open(now)),
            BreakerState::HalfOpen => {
                self.probes_ok += 1;
                (self.probes_ok >= self.policy.probes).then(|| {
                    self.state = BreakerState::Closed;
                    self.buckets = [(u64::MAX, 0, 0); BREAKER_BUCKETS];
                    BreakerState::Closed
                })
            }
            // Late answers to attempts sent before it opened change nothing.
            BreakerState::Open => None,
        }
    }

    fn count(&mut self, now: SimTime, success: bool) {
        let bucket = self.bucket_of(now);
        let slot = &mut self.buckets[(bucket % BREAKER_BUCKETS as u64) as usize];
        if slot.0 != bucket {
            *slot = (bucket, 0, 0);
        }
        if success {
            slot.1 += 1;
        } else {
            slot.2 += 1;
        }
    }

    fn too_many_failures(&self, now: SimTime) -> bool {
        let current = self.bucket_of(now);
        let recent = self.buckets.iter().filter(|(b, _, _)| *b != u64::MAX && current - b < BREAKER_BUCKETS as u64);
        let (ok, failed) = recent.fold((0u32, 0u32), |(ok, failed), (_, s, f)| (ok + s, failed + f));
        let total = ok + failed;
        total >= self.policy.min_requests && total > 0 && f64::from(failed) / f64::from(total) >= self.policy.error_rate
    }

    fn open(&mut self, now: SimTime) -> BreakerState {
        self.state = BreakerState::Open;
        self.opened_at = now;
        self.opened += 1;
        BreakerState::Open
    }

    /// Closes the time-open integral at the end of the run.
    pub fn finish(&mut self, end: SimTime) {
        if self.state == BreakerState::Open {
            self.open_ns += end.since(self.opened_at.min(end)).0;
            self.opened_at = end;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgePolicy {
    /// Send another attempt if none has answered after this long.
    pub after: SimDuration,
    /// At most this many extra attempts per request.
    pub max: u32,
}

/// Everything a population does to get an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientPolicy {
    /// Per attempt; `None`: only the request's own timeout applies.
    pub attempt_timeout: Option<SimDuration>,
    pub retry: Option<RetryPolicy>,
    pub breaker: Option<BreakerPolicy>,
    pub hedge: Option<HedgePolicy>,
}

impl ClientPolicy {
    pub const NONE: ClientPolicy = ClientPolicy { attempt_timeout: None, retry: None, breaker: None, hedge: None };

    /// The most attempts one request can make (attempt numbers fit in a 32-bit mask).
    pub fn max_attempts(&self) -> u32 {
        1 + self.retry.as_ref().map_or(0, |r| r.max) + self.hedge.map_or(0, |h| h.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    fn rng() -> SimRng {
        RngStreams::new(1).stream("policy", 0)
    }

    #[test]
    fn exponential_backoff_grows_caps_and_jitters_within_bounds() {
        let ms = SimDuration::from_millis;
        let mut rng = rng();
        let plain = Backoff::Exponential { base: ms(50), multiplier: 2.0, cap: ms(300), jitter: Jitter::None };
        let delays: Vec<u64> = (0..5).map(|k| plain.delay(k, &mut rng).0 / 1_000_000).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300]);
        let full = Backoff::Exponential { base: ms(100), multiplier: 2.0, cap: ms(10_000), jitter: Jitter::Full };
        let equal = Backoff::Exponential { base: ms(100), multiplier: 2.0, cap: ms(10_000), jitter: Jitter::Equal };
        let full_draws: Vec<f64> = (0..10_000).map(|_| full.delay(1, &mut rng).as_millis_f64()).collect();
        let equal_draws: Vec<f64> = (0..10_000).map(|_| equal.delay(1, &mut rng).as_millis_f64()).collect();
        assert!(full_draws.iter().all(|d| (0.0..=200.0).contains(d)));
        assert!(equal_draws.iter().all(|d| (100.0..=200.0).contains(d)));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean(&full_draws) - 100.0).abs() < 3.0);
        assert!((mean(&equal_draws) - 150.0).abs() < 2.0);
        assert_eq!(Backoff::Immediate.delay(3, &mut rng), SimDuration::ZERO);
    }

    #[test]
    fn the_budget_lets_through_its_share_of_requests() {
        let mut budget = RetryBudget::new(0.1);
        // Drain the initial burst allowance.
        while budget.try_withdraw() {}
        let mut granted = 0;
        for _ in 0..10_000 {
            budget.deposit();
            granted += u32::from(budget.try_withdraw());
        }
        assert!((990..=1010).contains(&granted), "granted {granted} retries for 10,000 requests at 10 %");
    }

    #[test]
    fn the_breaker_opens_half_opens_and_closes() {
        let policy = BreakerPolicy {
            window: SimDuration::from_secs(10),
            min_requests: 10,
            error_rate: 0.5,
            open_for: SimDuration::from_secs(5),
            probes: 2,
        };
        let mut breaker = Breaker::new(policy);
        let at = |s: f64| SimTime((s * 1e9) as u64);
        for i in 0..9 {
            assert_eq!(breaker.record(at(0.1 * f64::from(i)), false), None, "below min_requests it stays closed");
        }
        assert_eq!(breaker.record(at(1.0), false), Some(BreakerState::Open));
        assert_eq!(breaker.admit(at(3.0)), (false, None));
        assert_eq!(breaker.admit(at(6.0)), (true, Some(BreakerState::HalfOpen)));
        assert_eq!(breaker.admit(at(6.1)), (true, None), "the second probe");
        assert_eq!(breaker.admit(at(6.2)), (false, None), "no more than the probes");
        assert_eq!(breaker.record(at(6.3), true), None);
        assert_eq!(breaker.record(at(6.4), true), Some(BreakerState::Closed));
        assert_eq!(breaker.open_ns, 5_000_000_000);
        // A failed probe opens it again.
        for i in 0..10 {
            breaker.record(at(7.0 + 0.01 * f64::from(i)), false);
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        breaker.admit(at(20.0));
        assert_eq!(breaker.record(at(20.1), false), Some(BreakerState::Open));
    }

    #[test]
    fn probes_that_never_answer_do_not_hold_the_breaker_half_open() {
        let policy = BreakerPolicy {
            window: SimDuration::from_secs(10),
            min_requests: 1,
            error_rate: 0.5,
            open_for: SimDuration::from_secs(5),
            probes: 1,
        };
        let mut breaker = Breaker::new(policy);
        let at = |s: f64| SimTime((s * 1e9) as u64);
        assert_eq!(breaker.record(at(0.0), false), Some(BreakerState::Open));
        assert_eq!(breaker.admit(at(5.0)), (true, Some(BreakerState::HalfOpen)), "the probe, whose answer is lost");
        assert_eq!(breaker.admit(at(9.9)), (false, None), "still waiting for it");
        assert_eq!(breaker.admit(at(10.0)), (true, None), "presumed lost after open_for: a new probe");
        assert_eq!(breaker.record(at(10.1), true), Some(BreakerState::Closed));
    }

    #[test]
    fn old_outcomes_leave_the_window() {
        let policy = BreakerPolicy {
            window: SimDuration::from_secs(10),
            min_requests: 10,
            error_rate: 0.5,
            open_for: SimDuration::from_secs(5),
            probes: 1,
        };
        let mut breaker = Breaker::new(policy);
        for i in 0..8 {
            breaker.record(SimTime(i * 100_000_000), false);
        }
        // 30 s later the old failures have left the window: 8 successes and 2 failures.
        for i in 0..8 {
            breaker.record(SimTime(30_000_000_000 + i * 100_000_000), true);
        }
        assert_eq!(breaker.record(SimTime(31_000_000_000), false), None);
        assert_eq!(breaker.record(SimTime(31_100_000_000), false), None);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
