//! Autoscaling: every interval, compare the pool's utilisation with its thresholds and add
//! workers (after a provisioning delay) or retire idle ones, within bounds and a cooldown.
//!
//! The decision is the common target-tracking rule: desired = ceil(alive × utilisation /
//! target), applied only when utilisation leaves the [scale-in, scale-out] band, and not again
//! until the cooldown has passed. Workers being provisioned count towards the pool, so a slow
//! provisioning delay does not make the scaler order the same workers twice.

use crate::kernel::{SimDuration, SimTime};

#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalePolicy {
    pub target_utilisation: f64,
    pub scale_out_above: f64,
    pub scale_in_below: f64,
    pub interval: SimDuration,
    pub provisioning_delay: SimDuration,
    pub min_workers: u32,
    pub max_workers: u32,
    pub cooldown: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Hold,
    /// Order this many more workers.
    Out(u32),
    /// Retire this many idle workers now.
    In(u32),
}

#[derive(Clone, Debug)]
pub struct Autoscaler {
    pub policy: AutoscalePolicy,
    last_action: Option<SimTime>,
    /// Workers ordered and not yet ready.
    pub pending: u32,
    /// While true (a control-plane failure), no decision is taken.
    pub frozen: bool,
    last_busy_ns: u128,
    last_alive_ns: u128,
    pub scale_outs: u32,
    pub scale_ins: u32,
}

impl Autoscaler {
    pub fn new(policy: AutoscalePolicy) -> Self {
        Autoscaler { policy, last_action: None, pending: 0, frozen: false, last_busy_ns: 0, last_alive_ns: 0, scale_outs: 0, scale_ins: 0 }
    }

    /// Decides from the pool's all-time busy and alive worker-time integrals.
    pub fn decide(&mut self, now: SimTime, alive: u32, busy_ns: u128, alive_ns: u128) -> Decision {
        let worked = busy_ns - self.last_busy_ns;
        let available = alive_ns - self.last_alive_ns;
        self.last_busy_ns = busy_ns;
        self.last_alive_ns = alive_ns;
        let cooling = self.last_action.is_some_and(|at| now < at + self.policy.cooldown);
        if self.frozen || cooling {
            return Decision::Hold;
        }
        // With no worker alive, the pool is saturated by definition.
        let utilisation = if available == 0 { 1.0 } else { worked as f64 / available as f64 };
        let p = &self.policy;
        let desired = ((f64::from(alive.max(1)) * utilisation / p.target_utilisation).ceil() as u32).clamp(p.min_workers, p.max_workers);
        let planned = alive + self.pending;
        let decision = if (utilisation > p.scale_out_above || alive < p.min_workers) && desired > planned {
            Decision::Out(desired - planned)
        } else if utilisation < p.scale_in_below && self.pending == 0 && desired < alive {
            Decision::In(alive - desired)
        } else {
            Decision::Hold
        };
        match decision {
            Decision::Out(count) => {
                self.pending += count;
                self.scale_outs += 1;
                self.last_action = Some(now);
            }
            Decision::In(_) => {
                self.scale_ins += 1;
                self.last_action = Some(now);
            }
            Decision::Hold => {}
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AutoscalePolicy {
        AutoscalePolicy {
            target_utilisation: 0.5,
            scale_out_above: 0.7,
            scale_in_below: 0.3,
            interval: SimDuration::from_secs(10),
            provisioning_delay: SimDuration::from_secs(60),
            min_workers: 2,
            max_workers: 40,
            cooldown: SimDuration::from_secs(30),
        }
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn scales_out_to_the_target_counting_pending_workers_and_respects_the_cooldown() {
        let mut scaler = Autoscaler::new(policy());
        let ten_s: u128 = 10_000_000_000;
        // 10 workers, 90 % busy over 10 s: desired = ceil(10 × 0.9 / 0.5) = 18.
        assert_eq!(scaler.decide(secs(10), 10, 9 * ten_s, 10 * ten_s), Decision::Out(8));
        // Still busy 10 s later, but cooling down (and the 8 are pending).
        assert_eq!(scaler.decide(secs(20), 10, 18 * ten_s, 20 * ten_s), Decision::Hold);
        // After the cooldown, still 90 %: the 8 pending already cover the desired 18.
        assert_eq!(scaler.decide(secs(45), 10, 27 * ten_s, 30 * ten_s), Decision::Hold);
        assert_eq!(scaler.scale_outs, 1);
    }

    #[test]
    fn scales_in_idle_capacity_but_not_below_the_minimum_and_not_while_frozen() {
        let mut scaler = Autoscaler::new(policy());
        let ten_s: u128 = 10_000_000_000;
        scaler.frozen = true;
        assert_eq!(scaler.decide(secs(10), 10, ten_s / 10, 10 * ten_s), Decision::Hold);
        scaler.frozen = false;
        // 1 % busy: desired = ceil(10 × 0.01 / 0.5) = 1, raised to the minimum of 2.
        assert_eq!(scaler.decide(secs(20), 10, ten_s / 10 + ten_s / 10, 20 * ten_s), Decision::In(8));
    }
}
