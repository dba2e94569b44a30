//! Alert rules: a signal compared with a threshold at the end of every timeline window, firing
//! once the comparison has held for a while, as a monitoring system's rule would.
//!
//! An alert sees what a dashboard sees, one window at a time: the clients' error rate and
//! latency percentiles of that window, or a server's utilisation, queue, memory or replica lag.
//! So detection is never faster than one window, which is also true of real alerting.

use crate::kernel::{SimDuration, SimTime};
pub use crate::outcome::expr::Comparison;
use crate::world::RegionId;

/// What an alert watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Failed over ended requests in the window, for the clients in scope.
    ErrorRate,
    /// Latency percentiles of the window's successful requests, in milliseconds.
    P50Ms,
    P99Ms,
    /// Requests issued per second in the window (a traffic drop or surge).
    RequestsPerS,
    /// Retries over requests issued in the window.
    RetryRate,
    /// Busy over alive worker-time in the window, of the busiest server in scope.
    Utilisation,
    /// Requests waiting at the window's end, at the server in scope with the longest queue.
    QueueLength,
    /// Memory held at the window's end, at the fullest server in scope (a leak).
    MemoryMb,
    /// How far the replica in scope lags its leader at the window's end, in seconds.
    ReplicaLagS,
}

impl Signal {
    pub const ALL: [Signal; 9] = [
        Signal::ErrorRate,
        Signal::P50Ms,
        Signal::P99Ms,
        Signal::RequestsPerS,
        Signal::RetryRate,
        Signal::Utilisation,
        Signal::QueueLength,
        Signal::MemoryMb,
        Signal::ReplicaLagS,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Signal::ErrorRate => "error_rate",
            Signal::P50Ms => "p50_ms",
            Signal::P99Ms => "p99_ms",
            Signal::RequestsPerS => "requests_per_s",
            Signal::RetryRate => "retry_rate",
            Signal::Utilisation => "utilisation",
            Signal::QueueLength => "queue_length",
            Signal::MemoryMb => "memory_mb",
            Signal::ReplicaLagS => "replica_lag_s",
        }
    }

    /// Whether the signal is a share (0 to 1), so a threshold may be written as a percentage.
    pub fn is_ratio(self) -> bool {
        matches!(self, Signal::ErrorRate | Signal::RetryRate | Signal::Utilisation)
    }

    /// Whether the signal is measured at servers (the others at clients).
    pub fn at_servers(self) -> bool {
        matches!(self, Signal::Utilisation | Signal::QueueLength | Signal::MemoryMb | Signal::ReplicaLagS)
    }
}

/// Of several servers' values, the one that decides: the highest for an upper bound, the lowest
/// for a lower one (the worst server raises the alert).
pub fn worst(comparison: Comparison, a: f64, b: f64) -> f64 {
    match comparison {
        Comparison::Less | Comparison::LessOrEqual => a.min(b),
        _ => a.max(b),
    }
}

/// Where a signal is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The timeline record of these clients: `None` for all clients, or one client region's.
    Clients(Option<RegionId>),
    /// These servers (indices into the planet's servers).
    Servers(Vec<u32>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    pub name: String,
    pub signal: Signal,
    pub comparison: Comparison,
    pub threshold: f64,
    pub scope: Scope,
    /// How long the comparison must hold before the alert fires (judged at window ends).
    pub hold: SimDuration,
    /// The fault this alert is meant to catch, if any (an index into the fault plan).
    pub detects: Option<u16>,
}

impl AlertRule {
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.signal.name(), self.comparison.symbol(), self.threshold)
    }
}

/// A change of an alert's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transition {
    Fired,
    Cleared,
}

/// One alert's state over the run: whether its comparison holds now, since when, and every
/// firing so far as (fired, cleared) instants.
#[derive(Clone, Debug, Default)]
pub struct AlertState {
    held_since: Option<SimTime>,
    pub firings: Vec<(SimTime, Option<SimTime>)>,
}

impl AlertState {
    /// Judges the window `[start, end)`. A window without data (no request ended, no success
    /// for a percentile) neither holds nor breaks the comparison: the alert keeps its state.
    pub fn observe(&mut self, rule: &AlertRule, start: SimTime, end: SimTime, value: Option<f64>) -> Option<Transition> {
        let value = value.filter(|v| v.is_finite())?;
        let firing = self.firings.last_mut().filter(|firing| firing.1.is_none());
        if !rule.comparison.holds(value, rule.threshold) {
            self.held_since = None;
            let firing = firing?;
            firing.1 = Some(end);
            return Some(Transition::Cleared);
        }
        let since = *self.held_since.get_or_insert(start);
        if firing.is_none() && end.since(since) >= rule.hold {
            self.firings.push((end, None));
            return Some(Transition::Fired);
        }
        None
    }

    pub fn first_fired(&self) -> Option<SimTime> {
        self.firings.first().map(|f| f.0)
    }

    /// Time spent firing, up to `end` for a firing that never cleared.
    pub fn firing_time(&self, end: SimTime) -> SimDuration {
        self.firings.iter().map(|&(from, until)| until.unwrap_or(end).max(from).since(from)).fold(SimDuration::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(hold_s: u64) -> AlertRule {
        AlertRule {
            name: "slow".into(),
            signal: Signal::P99Ms,
            comparison: Comparison::Greater,
            threshold: 200.0,
            scope: Scope::Clients(None),
            hold: SimDuration::from_secs(hold_s),
            detects: None,
        }
    }

    fn window(index: u64) -> (SimTime, SimTime) {
        (SimTime::ZERO + SimDuration::from_secs(10 * index), SimTime::ZERO + SimDuration::from_secs(10 * index + 10))
    }

    #[test]
    fn fires_once_the_comparison_has_held_for_the_hold_and_clears_when_it_breaks() {
        let rule = rule(30);
        let mut state = AlertState::default();
        let values = [100.0, 250.0, 250.0, 250.0, 250.0, 150.0];
        let transitions: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let (start, end) = window(i as u64);
                state.observe(&rule, start, end, Some(v))
            })
            .collect();
        // Held from 10 s: 20 s at the end of window 2, 30 s at the end of window 3.
        assert_eq!(transitions, [None, None, None, Some(Transition::Fired), None, Some(Transition::Cleared)]);
        assert_eq!(state.first_fired(), Some(window(3).1));
        assert_eq!(state.firing_time(window(9).1), SimDuration::from_secs(20));
    }

    #[test]
    fn a_window_without_data_neither_holds_nor_breaks() {
        let rule = rule(20);
        let mut state = AlertState::default();
        assert_eq!(state.observe(&rule, window(0).0, window(0).1, Some(300.0)), None);
        assert_eq!(state.observe(&rule, window(1).0, window(1).1, None), None);
        assert_eq!(state.observe(&rule, window(2).0, window(2).1, Some(300.0)), Some(Transition::Fired));
        assert_eq!(state.first_fired(), Some(window(2).1), "held from 0 s, 30 s at the end of window 2");
    }

    #[test]
    fn a_zero_hold_fires_at_the_end_of_the_first_crossing_window_and_lower_bounds_work() {
        let mut below = rule(0);
        below.comparison = Comparison::Less;
        below.threshold = 50.0;
        let mut state = AlertState::default();
        assert_eq!(state.observe(&below, window(0).0, window(0).1, Some(60.0)), None);
        assert_eq!(state.observe(&below, window(1).0, window(1).1, Some(40.0)), Some(Transition::Fired));
        assert_eq!(worst(Comparison::Less, 3.0, 1.0), 1.0);
        assert_eq!(worst(Comparison::GreaterOrEqual, 3.0, 1.0), 3.0);
        assert!(Comparison::LessOrEqual.holds(50.0, 50.0) && !Comparison::Less.holds(50.0, 50.0));
    }
}
