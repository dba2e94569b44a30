//! The actors of the simulated world. Each owns its state and reacts to messages delivered by
//! the kernel; none calls another: they talk only by scheduling messages.
//!
//! - `caller`: the attempt machinery (retries, hedges, breaker, deadlines) that client populations
//!   and servers calling their dependencies share;
//! - `client`: client populations (they own their requests' state and record outcomes);
//! - `dependency`: a server's calls to the services it depends on (timeouts, fail open or closed);
//! - `policy`: the client's resilience mechanisms (attempt timeouts, retries, budget, breaker,
//!   hedging) as plain state machines;
//! - `health`: probers in vantage regions that health-check the servers for GeoDNS;
//! - `router`: GeoDNS / front-door choice of a serving region, with cached answers;
//! - `server`: regional services with workers and a bounded queue;
//! - `traffic`: the rate curves and Poisson arrivals the populations follow;
//! - `messages`: what actors send each other.

pub mod autoscaler;
pub mod caller;
pub mod client;
pub mod dependency;
pub mod health;
pub mod memory;
pub mod messages;
pub mod modes;
pub mod policy;
pub mod router;
pub mod server;
pub mod traffic;
