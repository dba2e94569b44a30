//! The messages actors exchange through the kernel. Small and `Copy`: an event is a value in the
//! queue, never a heap allocation.

use crate::kernel::Message;

/// Names one request: its population (which owns its state), the slot in that population's
/// table, and the slot's generation, so a late message about a finished request is recognised
/// and ignored even after the slot has been reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRef {
    pub population: u32,
    pub slot: u32,
    pub generation: u32,
}

/// How a server (or the router) answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Served,
    Rejected,
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
    /// To a server: `worker` finished its current request.
    ServiceDone { worker: u32 },
    /// To a population: the answer to a request reaches the client.
    Response { request: RequestRef, outcome: Outcome },
    /// To a population: the client gives up on a request.
    Timeout { request: RequestRef },
}

impl Message for Msg {
    fn trace_word(&self) -> u64 {
        let reference = |r: &RequestRef| (u64::from(r.slot) << 32) | u64::from(r.generation);
        match self {
            Msg::Arrive => 1,
            Msg::Dispatch { request } => 2 ^ reference(request) << 3,
            Msg::Request { request } => 3 ^ reference(request) << 3,
            Msg::ServiceDone { worker } => 4 ^ u64::from(*worker) << 3,
            Msg::Response { request, outcome } => (5 + *outcome as u64 * 8) ^ reference(request) << 5,
            Msg::Timeout { request } => 6 ^ reference(request) << 3,
        }
    }
}
