//! A server's memory under a leak: it grows at a steady rate from a baseline, garbage
//! collection slows service as the heap fills, and the process is killed when it reaches its
//! limit (then restarts at the baseline, still leaking, until the fix is deployed).
//!
//! The slowdown is linear in the leaked share of the headroom,
//! `1 + gc_slowdown × (used − baseline) / (limit − baseline)`: none at the baseline, `1 +
//! gc_slowdown` at the limit. A stand-in for collectors that run more often and longer as free
//! memory shrinks, with one parameter a scenario sets from the symptom it wants (say twice as
//! slow just before the kill).

use crate::kernel::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakSpec {
    pub mb_per_min: f64,
    pub limit_mb: f64,
    pub baseline_mb: f64,
    pub gc_slowdown: f64,
    /// How long the killed process takes to come back.
    pub restart: SimDuration,
}

#[derive(Clone, Debug)]
pub struct Memory {
    pub spec: LeakSpec,
    /// Since when memory grows from the baseline (the leak's start or the last restart).
    since: SimTime,
    /// Whether it still leaks (false once the fix is deployed).
    pub leaking: bool,
    /// Bumped at every (re)start of the process and when its power is lost, so a kill or a
    /// restart scheduled before is void.
    pub epoch: u32,
    /// The process is not running: killed for lack of memory and not back yet, or powered off.
    pub down: bool,
    pub kills: u32,
    pub first_kill: Option<SimTime>,
}

impl Memory {
    pub fn new(spec: LeakSpec, now: SimTime) -> Self {
        Memory { spec, since: now, leaking: true, epoch: 0, down: false, kills: 0, first_kill: None }
    }

    /// Another leak starts on the same process: it leaks from the baseline again, and what was
    /// scheduled for the earlier leak is void. The kills are counted on.
    pub fn rearm(&mut self, spec: LeakSpec, now: SimTime) {
        self.spec = spec;
        self.leaking = true;
        self.restart(now);
    }

    /// Memory held at `now`, in MB (never above the limit).
    pub fn used_mb(&self, now: SimTime) -> f64 {
        if !self.leaking || self.down {
            return self.spec.baseline_mb;
        }
        let grown = self.spec.mb_per_min * now.since(self.since).as_secs_f64() / 60.0;
        (self.spec.baseline_mb + grown).min(self.spec.limit_mb)
    }

    /// How much slower a request starting now is served.
    pub fn gc_multiplier(&self, now: SimTime) -> f64 {
        let headroom = self.spec.limit_mb - self.spec.baseline_mb;
        1.0 + self.spec.gc_slowdown * (self.used_mb(now) - self.spec.baseline_mb) / headroom
    }

    /// How long from a (re)start until the limit is reached.
    pub fn time_to_kill(&self) -> SimDuration {
        let headroom_mb = (self.spec.limit_mb - self.spec.baseline_mb).max(0.0);
        SimDuration::from_secs_f64(headroom_mb / self.spec.mb_per_min * 60.0)
    }

    /// The process is killed now.
    pub fn kill(&mut self, now: SimTime) {
        self.down = true;
        self.kills += 1;
        self.first_kill.get_or_insert(now);
    }

    /// The process is back with the baseline, leaking again from now.
    pub fn restart(&mut self, now: SimTime) {
        self.down = false;
        self.since = now;
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// The fix is deployed: no more growth. A running process restarts gracefully at the
    /// baseline now; a killed one comes back at its restart, as planned.
    pub fn fix(&mut self, now: SimTime) {
        self.leaking = false;
        if !self.down {
            self.restart(now);
        }
    }

    /// The power is lost: the process is gone, and nothing planned for it happens. It starts
    /// afresh (`restart`) when the power returns.
    pub fn stop(&mut self) {
        self.down = true;
        self.epoch = self.epoch.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LeakSpec {
        LeakSpec { mb_per_min: 1.0, limit_mb: 512.0, baseline_mb: 32.0, gc_slowdown: 1.0, restart: SimDuration::from_secs(30) }
    }

    #[test]
    fn grows_at_its_rate_and_reaches_the_limit_after_headroom_over_rate() {
        let start = SimTime::ZERO + SimDuration::from_secs(600);
        let memory = Memory::new(spec(), start);
        assert_eq!(memory.used_mb(start), 32.0);
        assert!((memory.used_mb(start + SimDuration::from_secs(3600)) - 92.0).abs() < 1e-9);
        assert_eq!(memory.time_to_kill(), SimDuration::from_secs(480 * 60));
        assert_eq!(memory.used_mb(start + SimDuration::from_secs(100 * 3600)), 512.0, "never above the limit");
        assert_eq!(memory.gc_multiplier(start), 1.0);
        let half_leaked = start + SimDuration::from_secs(240 * 60);
        assert!((memory.gc_multiplier(half_leaked) - 1.5).abs() < 1e-9, "240 of 480 MB of headroom: 1 + 1.0 × 0.5");
    }

    #[test]
    fn a_kill_and_restart_start_again_from_the_baseline_and_the_fix_stops_growth() {
        let mut memory = Memory::new(spec(), SimTime::ZERO);
        let killed = SimTime::ZERO + memory.time_to_kill();
        memory.kill(killed);
        assert!(memory.down && memory.kills == 1 && memory.first_kill == Some(killed));
        let back = killed + memory.spec.restart;
        memory.restart(back);
        assert_eq!((memory.epoch, memory.used_mb(back)), (1, 32.0));
        assert!((memory.used_mb(back + SimDuration::from_secs(60)) - 33.0).abs() < 1e-9);
        memory.fix(back + SimDuration::from_secs(60));
        assert_eq!(memory.used_mb(back + SimDuration::from_secs(6000)), 32.0);
        assert_eq!(memory.epoch, 2);
    }

    #[test]
    fn a_fix_while_killed_waits_for_the_restart_and_a_second_leak_voids_the_first_ones_plans() {
        let mut memory = Memory::new(spec(), SimTime::ZERO);
        memory.kill(SimTime::ZERO + memory.time_to_kill());
        memory.fix(SimTime::ZERO + memory.time_to_kill());
        assert!(memory.down && memory.epoch == 0, "still down; the planned restart (epoch 0) brings it back");
        memory.rearm(spec(), SimTime::ZERO + SimDuration::from_secs(100_000));
        assert!(memory.leaking && !memory.down && memory.epoch == 1 && memory.kills == 1);
        memory.stop();
        assert!(memory.down && memory.epoch == 2);
    }
}
