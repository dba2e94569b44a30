//! Degradation modes: a per-region mode machine driven by measured signals, in the spirit of
//! "graceful degradation" playbooks (serve a cheaper page, switch features off, protect the core).
//!
//! Every interval the server measures its p99 time in system, its error rate (rejected, shed,
//! errors and lost over arrivals) and its utilisation. The machine moves
//! `target → degraded → floor` when a mode's *entry* thresholds are crossed (any one signal),
//! and back `floor → degraded → recovery → target` when the *exit* thresholds all hold; every
//! mode is kept for at least `min_dwell` (hysteresis against flapping). `recovery` keeps the
//! degraded settings until it has proved itself for a dwell. Each mode can make a share of
//! requests cheaper (a service-time multiplier) and refuse a share outright (shed).

use crate::kernel::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Target,
    Degraded,
    Floor,
    Recovery,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Target, Mode::Degraded, Mode::Floor, Mode::Recovery];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Target => "target",
            Mode::Degraded => "degraded",
            Mode::Floor => "floor",
            Mode::Recovery => "recovery",
        }
    }
}

/// Bounds on the measured signals; a missing bound is not checked.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Thresholds {
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub utilisation: Option<f64>,
}

/// What the server measured over the last interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Signals {
    pub p99_ms: f64,
    pub error_rate: f64,
    pub utilisation: f64,
}

impl Thresholds {
    /// Any bounded signal at or above its bound.
    fn crossed(&self, s: &Signals) -> bool {
        self.p99_ms.is_some_and(|b| s.p99_ms >= b)
            || self.error_rate.is_some_and(|b| s.error_rate >= b)
            || self.utilisation.is_some_and(|b| s.utilisation >= b)
    }

    /// Every bounded signal below its bound.
    fn clear(&self, s: &Signals) -> bool {
        self.p99_ms.is_none_or(|b| s.p99_ms < b)
            && self.error_rate.is_none_or(|b| s.error_rate < b)
            && self.utilisation.is_none_or(|b| s.utilisation < b)
    }
}

/// What a mode does to requests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ModeEffect {
    /// Share of requests served at reduced cost.
    pub cheaper: f64,
    /// Their service-time multiplier (below 1).
    pub cost: f64,
    /// Share of requests refused outright (answered `shed`).
    pub refuse: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModePolicy {
    pub interval: SimDuration,
    pub min_dwell: SimDuration,
    pub degraded_enter: Thresholds,
    pub degraded_exit: Thresholds,
    pub degraded: ModeEffect,
    pub floor_enter: Thresholds,
    pub floor_exit: Thresholds,
    pub floor: ModeEffect,
}

pub struct ModeMachine {
    pub policy: ModePolicy,
    mode: Mode,
    since: SimTime,
    /// Time spent in each mode so far (indexed like `Mode::ALL`).
    pub time_ns: [u64; 4],
    accounted_until: SimTime,
    /// While true (a control-plane failure), the mode cannot change.
    pub frozen: bool,
}

impl ModeMachine {
    pub fn new(policy: ModePolicy) -> Self {
        ModeMachine { policy, mode: Mode::Target, since: SimTime::ZERO, time_ns: [0; 4], accounted_until: SimTime::ZERO, frozen: false }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The effect requests get in the current mode.
    pub fn effect(&self) -> ModeEffect {
        match self.mode {
            Mode::Target => ModeEffect { cheaper: 0.0, cost: 1.0, refuse: 0.0 },
            Mode::Degraded | Mode::Recovery => self.policy.degraded,
            Mode::Floor => self.policy.floor,
        }
    }

    /// Accounts time in the current mode up to `now`.
    pub fn account(&mut self, now: SimTime) {
        let index = Mode::ALL.iter().position(|m| *m == self.mode).expect("a known mode");
        self.time_ns[index] += now.since(self.accounted_until).0;
        self.accounted_until = now;
    }

    /// Evaluates the signals; returns the new mode if it changes.
    pub fn evaluate(&mut self, now: SimTime, signals: &Signals) -> Option<Mode> {
        self.account(now);
        let dwelt = now.since(self.since) >= self.policy.min_dwell;
        if self.frozen || !dwelt {
            return None;
        }
        let p = &self.policy;
        let next = match self.mode {
            Mode::Target if p.degraded_enter.crossed(signals) => Mode::Degraded,
            Mode::Degraded if p.floor_enter.crossed(signals) => Mode::Floor,
            Mode::Degraded if p.degraded_exit.clear(signals) => Mode::Recovery,
            Mode::Floor if p.floor_exit.clear(signals) => Mode::Degraded,
            Mode::Recovery if p.degraded_enter.crossed(signals) => Mode::Degraded,
            Mode::Recovery => Mode::Target,
            _ => return None,
        };
        self.mode = next;
        self.since = now;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> ModeMachine {
        let bound = |p99: f64| Thresholds { p99_ms: Some(p99), error_rate: None, utilisation: None };
        ModeMachine::new(ModePolicy {
            interval: SimDuration::from_secs(5),
            min_dwell: SimDuration::from_secs(10),
            degraded_enter: bound(500.0),
            degraded_exit: bound(300.0),
            degraded: ModeEffect { cheaper: 0.5, cost: 0.2, refuse: 0.0 },
            floor_enter: bound(1000.0),
            floor_exit: bound(600.0),
            floor: ModeEffect { cheaper: 1.0, cost: 0.2, refuse: 0.3 },
        })
    }

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    fn p99(ms: f64) -> Signals {
        Signals { p99_ms: ms, ..Signals::default() }
    }

    #[test]
    fn walks_down_and_back_up_with_hysteresis_and_dwell() {
        let mut m = machine();
        assert_eq!(m.evaluate(at(10), &p99(400.0)), None, "between exit and entry: stay");
        assert_eq!(m.evaluate(at(15), &p99(700.0)), Some(Mode::Degraded));
        assert_eq!(m.evaluate(at(20), &p99(1500.0)), None, "dwell not over");
        assert_eq!(m.evaluate(at(25), &p99(1500.0)), Some(Mode::Floor));
        assert_eq!(m.effect().refuse, 0.3);
        assert_eq!(m.evaluate(at(35), &p99(700.0)), None, "above the floor's exit");
        assert_eq!(m.evaluate(at(40), &p99(500.0)), Some(Mode::Degraded));
        assert_eq!(m.evaluate(at(50), &p99(200.0)), Some(Mode::Recovery));
        assert_eq!(m.effect().cheaper, 0.5, "recovery keeps the degraded settings");
        assert_eq!(m.evaluate(at(60), &p99(250.0)), Some(Mode::Target));
        m.account(at(60));
        let seconds: Vec<u64> = m.time_ns.iter().map(|ns| ns / 1_000_000_000).collect();
        assert_eq!(seconds, [15, 20, 15, 10]);
    }

    #[test]
    fn a_frozen_control_plane_keeps_the_mode() {
        let mut m = machine();
        m.frozen = true;
        assert_eq!(m.evaluate(at(20), &p99(5000.0)), None);
        m.frozen = false;
        assert_eq!(m.evaluate(at(25), &p99(5000.0)), Some(Mode::Degraded));
    }
}
