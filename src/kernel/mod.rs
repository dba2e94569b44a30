//! The discrete-event kernel: integer time, the `(time, seq)`-ordered event queue, random
//! streams and the run loop.
//!
//! Architecture invariant: the kernel knows nothing of regions, requests or YAML. It cannot fail
//! on input; a broken invariant (time going backwards) is a bug and panics with context.

pub mod queue;
pub mod rng;
pub mod run;
pub mod time;

pub use queue::{ActorId, Event, EventQueue};
pub use rng::{RngStreams, SimRng};
pub use run::{Limits, Message, Model, OBSERVE_EVERY_EVENTS, Progress, RunOutcome, Scheduler, StopReason, TraceDigest, run, run_observed};
pub use time::{SimDuration, SimTime};
