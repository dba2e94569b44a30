//! Offered load: a population's request rate over time, and Poisson arrivals that follow it.
//!
//! rate(t) = base × daily(local hour) × Π surges(t). The daily curve gives a multiplier at each
//! local hour (interpolated linearly between hours); surges ramp linearly up to a multiplier,
//! hold, and ramp down. Arrivals are a non-homogeneous Poisson process sampled exactly by
//! thinning (Lewis & Shedler 1979): candidates at a bounding rate over a short segment, each
//! kept with probability rate(t)/bound. Since every factor is piecewise linear, its maximum over
//! a segment is at an end or a breakpoint, and the product of those maxima bounds the rate.
//!
//! Simplification: local time is standard time (no daylight saving).

use crate::kernel::{SimDuration, SimRng, SimTime};
use rand::RngExt;

const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_SEC: f64 = 1e9;

/// A linear ramp up to `multiplier`, a hold, and a linear ramp back to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Surge {
    /// When the ramp up begins, in nanoseconds relative to the run's start (may be negative).
    pub start_ns: i64,
    pub ramp_up: SimDuration,
    pub hold: SimDuration,
    pub ramp_down: SimDuration,
    pub multiplier: f64,
}

impl Surge {
    fn breakpoints(&self) -> [i64; 4] {
        let a = self.start_ns;
        let b = a + self.ramp_up.0 as i64;
        let c = b + self.hold.0 as i64;
        [a, b, c, c + self.ramp_down.0 as i64]
    }

    fn factor_at(&self, t_ns: i64) -> f64 {
        let [a, b, c, d] = self.breakpoints();
        let extra = self.multiplier - 1.0;
        if t_ns <= a || t_ns >= d {
            1.0
        } else if t_ns < b {
            1.0 + extra * (t_ns - a) as f64 / (b - a) as f64
        } else if t_ns <= c {
            self.multiplier
        } else {
            1.0 + extra * (d - t_ns) as f64 / (d - c) as f64
        }
    }

    fn max_over(&self, from_ns: i64, to_ns: i64) -> f64 {
        let mut best = self.factor_at(from_ns).max(self.factor_at(to_ns));
        for point in self.breakpoints() {
            if point > from_ns && point < to_ns {
                best = best.max(self.factor_at(point));
            }
        }
        best
    }
}

/// The request rate of one population over simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct RateCurve {
    /// Requests per second before the daily curve and surges.
    pub base_rps: f64,
    /// Multiplier at each local hour 0..24 (the value at hh:00).
    pub daily: [f64; 24],
    /// Seconds since the epoch of simulated time zero, plus the region's UTC offset.
    pub local_epoch_s: i64,
    pub surges: Vec<Surge>,
}

impl RateCurve {
    pub fn flat(base_rps: f64) -> Self {
        RateCurve { base_rps, daily: [1.0; 24], local_epoch_s: 0, surges: Vec::new() }
    }

    /// The rate, if it never changes (a flat daily curve and no surges).
    pub fn constant_rate(&self) -> Option<f64> {
        let flat = self.daily.iter().all(|v| *v == self.daily[0]);
        (flat && self.surges.is_empty()).then(|| self.base_rps * self.daily[0])
    }

    /// Requests per second at `t_ns` after the start.
    pub fn rate_at(&self, t_ns: i64) -> f64 {
        let surge: f64 = self.surges.iter().map(|s| s.factor_at(t_ns)).product();
        self.base_rps * self.daily_at(t_ns) * surge
    }

    /// Local hour of day (0 ≤ h < 24, fractional) at `t_ns`.
    fn local_hour(&self, t_ns: i64) -> f64 {
        let seconds_in_day = (self.local_epoch_s.rem_euclid(SECONDS_PER_DAY)) as f64 + t_ns as f64 / NANOS_PER_SEC;
        (seconds_in_day / 3600.0).rem_euclid(24.0)
    }

    fn daily_at(&self, t_ns: i64) -> f64 {
        let hour = self.local_hour(t_ns);
        let index = (hour.floor() as usize).min(23);
        let fraction = hour - index as f64;
        self.daily[index] * (1.0 - fraction) + self.daily[(index + 1) % 24] * fraction
    }

    fn daily_max_over(&self, from_ns: i64, to_ns: i64) -> f64 {
        let mut best = self.daily_at(from_ns).max(self.daily_at(to_ns));
        let span_hours = (to_ns - from_ns) as f64 / NANOS_PER_SEC / 3600.0;
        if span_hours >= 1.0 {
            return best.max(self.daily.iter().copied().fold(0.0, f64::max));
        }
        let start_hour = self.local_hour(from_ns);
        if start_hour + span_hours >= start_hour.floor() + 1.0 {
            best = best.max(self.daily[(start_hour.floor() as usize + 1) % 24]);
        }
        best
    }

    /// An upper bound of the rate over `[from_ns, to_ns]`.
    pub fn bound_over(&self, from_ns: i64, to_ns: i64) -> f64 {
        let surge: f64 = self.surges.iter().map(|s| s.max_over(from_ns, to_ns)).product();
        self.base_rps * self.daily_max_over(from_ns, to_ns) * surge
    }

    /// The mean rate over `[0, duration)`, by the trapezoid rule at one-second steps; used to
    /// report offered load, never to drive arrivals.
    pub fn mean_rate(&self, duration: SimDuration) -> f64 {
        let steps = (duration.as_secs_f64().ceil() as i64).max(1);
        let step_ns = duration.0 as i64 / steps;
        let total: f64 = (0..steps).map(|i| 0.5 * (self.rate_at(i * step_ns) + self.rate_at((i + 1) * step_ns))).sum();
        total / steps as f64
    }
}

/// Length of a thinning segment: short enough that the bound stays tight around ramps.
const SEGMENT: SimDuration = SimDuration::from_secs(1);

/// Draws the first arrival strictly after `now` and before `end`, if any. A constant rate is a
/// homogeneous Poisson process: exponential gaps, exactly, without thinning.
/// `constant_rate` is `curve.constant_rate()`, computed once by the caller.
pub fn next_arrival(curve: &RateCurve, constant_rate: Option<f64>, now: SimTime, end: SimTime, rng: &mut SimRng) -> Option<SimTime> {
    if let Some(rate) = constant_rate {
        let gap = SimDuration::from_secs_f64(exponential(rng) / rate).max(SimDuration(1));
        let at = now + gap;
        return (at < end).then_some(at);
    }
    next_arrival_thinned(curve, now, end, rng)
}

fn next_arrival_thinned(curve: &RateCurve, now: SimTime, end: SimTime, rng: &mut SimRng) -> Option<SimTime> {
    let mut t = now;
    while t < end {
        let segment_end = SimTime((t.0 + SEGMENT.0).min(end.0));
        let bound = curve.bound_over(t.0 as i64, segment_end.0 as i64);
        if bound <= 0.0 {
            t = segment_end;
            continue;
        }
        let gap = SimDuration::from_secs_f64(exponential(rng) / bound).max(SimDuration(1));
        let candidate = t + gap;
        if candidate > segment_end {
            // Memorylessness: restarting the clock at the segment's end is exact.
            t = segment_end;
            continue;
        }
        t = candidate;
        if rng.random::<f64>() * bound <= curve.rate_at(t.0 as i64) {
            return (t < end).then_some(t);
        }
    }
    None
}

/// A standard exponential variate by inversion (value-stable: one uniform per draw).
pub fn exponential(rng: &mut SimRng) -> f64 {
    // 1 - U is in (0, 1], so the logarithm is finite.
    -(1.0 - rng.random::<f64>()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    fn count_arrivals(curve: &RateCurve, from_s: u64, to_s: u64, seed: u64) -> u64 {
        let mut rng = RngStreams::new(seed).stream("traffic", 0);
        let end = SimTime(to_s * 1_000_000_000);
        let mut now = SimTime(from_s * 1_000_000_000);
        let mut count = 0;
        while let Some(next) = next_arrival(curve, curve.constant_rate(), now, end, &mut rng) {
            count += 1;
            now = next;
        }
        count
    }

    #[test]
    fn flat_rate_gives_poisson_counts() {
        // 200 rps for 500 s: mean 100,000, standard deviation 316; allow 4 sigma.
        let count = count_arrivals(&RateCurve::flat(200.0), 0, 500, 1) as f64;
        assert!((count - 100_000.0).abs() < 4.0 * 316.3, "count {count}");
    }

    #[test]
    fn surge_multiplies_the_rate_during_its_hold() {
        let mut curve = RateCurve::flat(100.0);
        curve.surges.push(Surge {
            start_ns: 100_000_000_000,
            ramp_up: SimDuration::from_secs(10),
            hold: SimDuration::from_secs(100),
            ramp_down: SimDuration::from_secs(10),
            multiplier: 5.0,
        });
        assert_eq!(curve.rate_at(50_000_000_000), 100.0);
        assert_eq!(curve.rate_at(105_000_000_000), 300.0);
        assert_eq!(curve.rate_at(150_000_000_000), 500.0);
        // During the hold: 500 rps × 100 s = 50,000 (sd 224).
        let held = count_arrivals(&curve, 110, 210, 2) as f64;
        assert!((held - 50_000.0).abs() < 4.0 * 224.0, "held {held}");
    }

    #[test]
    fn daily_curve_follows_local_time() {
        let mut daily = [1.0; 24];
        daily[12] = 3.0;
        // A region at UTC+9 whose run starts at 03:00 UTC: local noon at t = 0.
        let curve = RateCurve { base_rps: 10.0, daily, local_epoch_s: 3 * 3600 + 9 * 3600, surges: Vec::new() };
        assert_eq!(curve.rate_at(0), 30.0);
        assert_eq!(curve.rate_at(1_800_000_000_000), 20.0); // 12:30 local, half-way to 1.0
        assert!(curve.bound_over(-1_000_000_000, 1_000_000_000) >= 30.0);
    }

    #[test]
    fn bound_never_falls_below_the_rate() {
        let mut curve = RateCurve::flat(50.0);
        curve.daily = std::array::from_fn(|h| 0.5 + (h as f64 / 23.0));
        curve.surges.push(Surge {
            start_ns: 3_000_000_000,
            ramp_up: SimDuration::from_secs(2),
            hold: SimDuration::from_secs(1),
            ramp_down: SimDuration::from_secs(4),
            multiplier: 3.0,
        });
        for start in (0..20_000_000_000i64).step_by(250_000_000) {
            let bound = curve.bound_over(start, start + 1_000_000_000);
            for k in 0..=10 {
                let t = start + k * 100_000_000;
                assert!(curve.rate_at(t) <= bound + 1e-9, "rate above bound at {t}");
            }
        }
    }
}
