//! Faults on a timeline: what breaks, when, and for how long.
//!
//! A fault is data (STYLE.md rule 13): the scenario lists them beside the workload, each with a
//! start, an optional end and an action. At its start the simulation applies the action to the
//! network (cuts, partitions, gray links, flapping routes) or sends it to the servers it names
//! (outages, slow or erroring workers, lost capacity); at its end it undoes it.
//! Faults draw from their own random stream (`network`), so adding one never shifts the traffic's draws.

use crate::actors::memory::LeakSpec;
use crate::kernel::{SimDuration, SimTime};
use crate::world::network::LinkCapacity;
use crate::world::{LinkGray, LinkId};

#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    pub faults: Vec<Fault>,
    /// How long routing takes to re-converge after links change.
    pub convergence_delay: SimDuration,
    /// Links with a capacity for the simulated traffic (already divided by the scale).
    pub capacities: Vec<(Vec<LinkId>, LinkCapacity)>,
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub name: String,
    pub start: SimTime,
    /// `None`: until the end of the run.
    pub end: Option<SimTime>,
    pub action: FaultAction,
    /// An operator ended it before it started: it never happened (its end is then its start).
    pub called_off: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Links go down; routing re-converges after the convergence delay.
    Cut { links: Vec<LinkId> },
    /// Messages from `from` to `to` (and back, if `both_ways`) are dropped for a share of flows.
    Partition { from: Vec<bool>, to: Vec<bool>, both_ways: bool, share: f64 },
    /// Links lose packets, slow down and jitter.
    GrayLink { links: Vec<LinkId>, gray: LinkGray },
    /// Routes through these links flap: the links withdraw and return every `period`, and routing
    /// follows at once, so traffic alternates between two paths.
    Flap { links: Vec<LinkId>, period: SimDuration },
    /// The servers' regions lose power: every worker stops, queued and running work is lost,
    /// new requests get no answer. They come back empty at the end.
    Outage { servers: Vec<u32> },
    /// The service process crashes: its connections reset, so queued and running requests fail
    /// at once with an error, and new ones are refused until it restarts at the end.
    Crash { servers: Vec<u32> },
    /// A share of each server's workers serve `multiplier` times slower (a slow disk).
    Slow { servers: Vec<u32>, share: f64, multiplier: f64 },
    /// The servers answer a share of requests with an error, though they look alive.
    Errors { servers: Vec<u32>, rate: f64 },
    /// A share of each server's workers is killed; running work on them is lost.
    CapacityLoss { servers: Vec<u32>, share: f64 },
    /// The control plane is down: GeoDNS cannot publish health changes (the data plane keeps
    /// the last configuration) until it returns.
    ControlPlane,
    /// The servers leak memory: service slows as the heap fills, the process is killed at its
    /// limit and restarts, until the fix is deployed at the end.
    Leak { servers: Vec<u32>, spec: LeakSpec },
}

impl FaultAction {
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Cut { .. } => "cut",
            FaultAction::Partition { .. } => "partition",
            FaultAction::GrayLink { .. } => "gray-link",
            FaultAction::Flap { .. } => "flap",
            FaultAction::Outage { .. } => "region-outage",
            FaultAction::Crash { .. } => "crash",
            FaultAction::Slow { .. } => "slow-servers",
            FaultAction::Errors { .. } => "error-servers",
            FaultAction::CapacityLoss { .. } => "capacity-loss",
            FaultAction::ControlPlane => "control-plane",
            FaultAction::Leak { .. } => "leak",
        }
    }

    /// The servers this fault acts on, if it acts on servers.
    pub fn servers(&self) -> &[u32] {
        match self {
            FaultAction::Outage { servers }
            | FaultAction::Crash { servers }
            | FaultAction::Slow { servers, .. }
            | FaultAction::Errors { servers, .. }
            | FaultAction::CapacityLoss { servers, .. }
            | FaultAction::Leak { servers, .. } => servers,
            _ => &[],
        }
    }
}

/// What a server is told to do by a fault: a small copyable order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServerOrder {
    PowerOff,
    PowerOn,
    Crash,
    Restart,
    SetSlow {
        share: f64,
        multiplier: f64,
    },
    SetErrorRate {
        rate: f64,
    },
    Kill {
        share: f64,
    },
    Revive,
    /// The control plane is down (`true`) or back: neither the autoscaler nor the mode machine
    /// may act while it is down.
    Freeze(bool),
    StartLeak(LeakSpec),
    FixLeak,
}

impl FaultAction {
    /// The order a server receives at the fault's start (`true`) or end (`false`).
    pub fn server_order(&self, starting: bool) -> Option<ServerOrder> {
        Some(match (self, starting) {
            (FaultAction::Outage { .. }, true) => ServerOrder::PowerOff,
            (FaultAction::Outage { .. }, false) => ServerOrder::PowerOn,
            (FaultAction::Crash { .. }, true) => ServerOrder::Crash,
            (FaultAction::Crash { .. }, false) => ServerOrder::Restart,
            (FaultAction::Slow { share, multiplier, .. }, true) => ServerOrder::SetSlow { share: *share, multiplier: *multiplier },
            (FaultAction::Slow { .. }, false) => ServerOrder::SetSlow { share: 0.0, multiplier: 1.0 },
            (FaultAction::Errors { rate, .. }, true) => ServerOrder::SetErrorRate { rate: *rate },
            (FaultAction::Errors { .. }, false) => ServerOrder::SetErrorRate { rate: 0.0 },
            (FaultAction::CapacityLoss { share, .. }, true) => ServerOrder::Kill { share: *share },
            (FaultAction::CapacityLoss { .. }, false) => ServerOrder::Revive,
            (FaultAction::ControlPlane, starting) => ServerOrder::Freeze(starting),
            (FaultAction::Leak { spec, .. }, true) => ServerOrder::StartLeak(*spec),
            (FaultAction::Leak { .. }, false) => ServerOrder::FixLeak,
            _ => return None,
        })
    }
}
