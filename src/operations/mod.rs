//! Operations: what watches the system and what people do to it while it runs.
//!
//! - [`alerts`]: rules on signals per timeline window, held for a duration, each optionally
//!   tied to the fault it should catch (time to detect, false alarms).
//! - [`Action`]: an operator's step, at a set time or a delay after an alert fires or another
//!   step is done: note the moment (acknowledged, diagnosed), end a fault (the repair), or
//!   resize a pool (a scheduled scale-out, a pre-warm, a raised autoscaling cap).
//!
//! Steps chain only backwards (an action may wait for an earlier one), so a runbook is a list
//! read top to bottom and cannot wait on itself.

pub mod alerts;

use crate::actors::server::ScaleOrder;
use crate::kernel::{SimDuration, SimTime};
pub use alerts::{AlertRule, AlertState, Comparison, Scope, Signal, Transition};

/// When an action happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    At(SimTime),
    /// `delay` after what it awaits; never if that never happens.
    After {
        awaited: Awaited,
        delay: SimDuration,
    },
}

/// What an action may wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// Alert `0` fires for the first time.
    Alert(u16),
    /// The earlier action `0` is done.
    Action(u16),
}

/// What an action does.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Nothing to the system: the moment is recorded (acknowledged, diagnosed, escalated).
    Note,
    /// The fault ends now (the repair), or never starts if it has not yet.
    EndFault { fault: u16 },
    /// Each server's pool is set to the order's size (see `Server::scale_to`).
    Scale { servers: Vec<u32>, order: ScaleOrder },
}

impl Effect {
    /// What each server of a `scale` is told.
    pub fn scale_order(&self) -> Option<ScaleOrder> {
        match self {
            Effect::Scale { order, .. } => Some(*order),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Effect::Note => "note",
            Effect::EndFault { .. } => "end-fault",
            Effect::Scale { .. } => "scale",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub name: String,
    pub trigger: Trigger,
    pub effect: Effect,
}

/// The scenario's alert rules and operator actions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperationsPlan {
    pub alerts: Vec<AlertRule>,
    pub actions: Vec<Action>,
}

impl OperationsPlan {
    /// The actions waiting for `awaited`, with their delays.
    pub fn followers(&self, awaited: Awaited) -> impl Iterator<Item = (u16, SimDuration)> + '_ {
        self.actions.iter().enumerate().filter_map(move |(index, action)| match action.trigger {
            Trigger::After { awaited: waits_for, delay } if waits_for == awaited => Some((index as u16, delay)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_are_the_actions_waiting_on_that_alert_or_action_only() {
        let action = |name: &str, trigger| Action { name: name.into(), trigger, effect: Effect::Note };
        let minute = SimDuration::from_secs(60);
        let plan = OperationsPlan {
            alerts: Vec::new(),
            actions: vec![
                action("ack", Trigger::After { awaited: Awaited::Alert(0), delay: minute }),
                action("other", Trigger::After { awaited: Awaited::Alert(1), delay: minute }),
                action("fix", Trigger::After { awaited: Awaited::Action(0), delay: minute + minute }),
                action("at", Trigger::At(SimTime::ZERO)),
            ],
        };
        assert_eq!(plan.followers(Awaited::Alert(0)).collect::<Vec<_>>(), [(0, minute)]);
        assert_eq!(plan.followers(Awaited::Action(0)).collect::<Vec<_>>(), [(2, minute + minute)]);
        assert_eq!(plan.followers(Awaited::Action(3)).count(), 0);
        assert_eq!(plan.followers(Awaited::Alert(2)).count(), 0);
    }
}
