//! The messages actors exchange through the kernel. Small and `Copy`: an event is a value in the
//! queue, never a heap allocation.

use crate::kernel::Message;

/// Names one attempt of one request: its population (which owns its state), the slot in that
/// population's table, the slot's generation (so a late message about a finished request is
/// recognised and ignored even after the slot has been reused) and the attempt's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRef {
    pub population: u32,
    pub slot: u32,
    pub generation: u32,
    pub attempt: u16,
    /// The request's priority class (see `Priority`), for admission control.
    pub priority: u8,
}

/// Priority classes, most important first: under load, servers shed `Sheddable` first and
/// `Critical` last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Critical = 0,
    Normal = 1,
    Sheddable = 2,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Critical, Priority::Normal, Priority::Sheddable];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::Normal => "normal",
            Priority::Sheddable => "sheddable",
        }
    }
}

/// How a server (or the router) answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Served,
    Rejected,
    /// The server answered with an error (it was up, but serving badly).
    Error,
    /// Admission control refused the request, or dropped it after it waited too long.
    Shed,
    Unreachable,
}

#[derive(Clone, Copy, Debug)]
pub enum Msg {
    /// To a population: its next request arrives now.
    Arrive,
    /// To the router: choose a serving region for this request.
    Dispatch { request: RequestRef },
    /// To a server: a request reaches it.
    Request { request: RequestRef },
    /// To a server: `worker` finished the request it started in `epoch`.
    ServiceDone { worker: u32, epoch: u32 },
    /// To the fault injector: fault `fault` starts (`true`) or ends.
    Fault { fault: u16, starting: bool },
    /// To a server: apply fault `fault`'s order for its start (`true`) or end.
    ServerFault { fault: u16, starting: bool },
    /// To the fault injector: routing re-converges now.
    Converge,
    /// To the fault injector: record the state of servers and breakers for `states.csv`.
    Sample,
    /// To the fault injector: flapping fault `fault` toggles its links (`down` or back up).
    Flap { fault: u16, down: bool },
    /// To a population: the answer to a request reaches the client.
    Response { request: RequestRef, outcome: Outcome },
    /// To a population: the request's deadline; the client gives up on it.
    Timeout { request: RequestRef },
    /// To a population: the client gives up on one attempt.
    AttemptTimeout { request: RequestRef },
    /// To a population: the backoff is over, send the next attempt.
    Retry { request: RequestRef },
    /// To a population: no answer yet, send a hedged attempt.
    Hedge { request: RequestRef },
    /// To a prober: time to probe every server.
    ProbeTick,
    /// To an autoscaled server: time to decide.
    AutoscaleTick,
    /// To a server with degradation modes: time to evaluate its signals.
    ModeTick,
    /// To a server: `count` provisioned workers are ready.
    WorkersReady { count: u32 },
    /// To a server: a shallow health probe (answered at once if the server is up).
    Probe { request: RequestRef },
    /// To a prober: this probe has had no answer in time.
    ProbeTimeout { request: RequestRef },
}

impl Message for Msg {
    #[inline]
    fn trace_word(&self) -> u64 {
        let reference = |r: &RequestRef| (u64::from(r.slot) << 32) ^ u64::from(r.generation) ^ (u64::from(r.attempt) << 24);
        match self {
            Msg::Arrive => 1,
            Msg::Dispatch { request } => 2 ^ reference(request) << 3,
            Msg::Request { request } => 3 ^ reference(request) << 3,
            Msg::ServiceDone { worker, epoch } => 4 ^ (u64::from(*worker) << 3) ^ (u64::from(*epoch) << 35),
            Msg::Fault { fault, starting } => 7 ^ (u64::from(*fault) << 4) ^ (u64::from(*starting) << 3),
            Msg::ServerFault { fault, starting } => 8 ^ (u64::from(*fault) << 5) ^ (u64::from(*starting) << 4),
            Msg::Converge => 9,
            Msg::Sample => 20,
            Msg::Flap { fault, down } => 10 ^ (u64::from(*fault) << 5) ^ (u64::from(*down) << 4),
            Msg::Response { request, outcome } => (5 + *outcome as u64 * 8) ^ reference(request) << 5,
            Msg::Timeout { request } => 6 ^ reference(request) << 3,
            Msg::AttemptTimeout { request } => 11 ^ reference(request) << 5,
            Msg::Retry { request } => 12 ^ reference(request) << 5,
            Msg::Hedge { request } => 13 ^ reference(request) << 5,
            Msg::ProbeTick => 14,
            Msg::AutoscaleTick => 17,
            Msg::ModeTick => 19,
            Msg::WorkersReady { count } => 18 ^ u64::from(*count) << 5,
            Msg::Probe { request } => 15 ^ reference(request) << 5,
            Msg::ProbeTimeout { request } => 16 ^ reference(request) << 5,
        }
    }
}
