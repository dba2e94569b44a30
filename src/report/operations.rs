//! The summary's `alerts` and `actions`: when each alert fired and what it caught, and when
//! each operator action was done.

use super::summary::{at_s, round};
use crate::faults::Fault;
use crate::kernel::SimTime;
use crate::operations::{AlertRule, AlertState};
use crate::sim::RunResult;
use serde::Serialize;

#[derive(Serialize)]
pub struct AlertSummary {
    pub name: String,
    /// The rule, as `signal op threshold`.
    pub rule: String,
    /// How many times it fired.
    pub fired: usize,
    pub first_fired_s: Option<f64>,
    /// Time spent firing, up to the end of the run.
    pub firing_s: f64,
    /// The fault it should catch, if the rule names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detects: Option<String>,
    /// From that fault's start to the alert's first firing while the fault lasted; null if it
    /// did not fire in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_detect_s: Option<Option<f64>>,
    /// Firings that began outside the fault's span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub false_alarms: Option<usize>,
}

#[derive(Serialize)]
pub struct ActionSummary {
    pub name: String,
    #[serde(rename = "do")]
    pub effect: &'static str,
    /// When it was done; null if what it waited for never happened.
    pub done_s: Option<f64>,
}

pub fn alerts(result: &RunResult) -> Vec<AlertSummary> {
    let planet = &result.planet;
    let end = result.horizon;
    planet.operations.alerts.iter().zip(&planet.alert_states).map(|(rule, state)| alert(rule, state, &planet.faults.faults, end)).collect()
}

fn alert(rule: &AlertRule, state: &AlertState, faults: &[Fault], end: SimTime) -> AlertSummary {
    let fault = rule.detects.map(|index| &faults[index as usize]);
    let during = |fault: &Fault, at: SimTime| fault.start <= at && fault.end.is_none_or(|e| at <= e);
    AlertSummary {
        name: rule.name.clone(),
        rule: rule.describe(),
        fired: state.firings.len(),
        first_fired_s: state.first_fired().map(at_s),
        firing_s: round(state.firing_time(end).as_secs_f64(), 6),
        detects: fault.map(|f| f.name.clone()),
        time_to_detect_s: fault.map(|f| {
            let caught = state.firings.iter().map(|firing| firing.0).find(|&at| during(f, at));
            caught.map(|at| round(at.since(f.start).as_secs_f64(), 6))
        }),
        false_alarms: fault.map(|f| state.firings.iter().filter(|firing| !during(f, firing.0)).count()),
    }
}

pub fn actions(result: &RunResult) -> Vec<ActionSummary> {
    let planet = &result.planet;
    planet
        .operations
        .actions
        .iter()
        .zip(&planet.actions_done)
        .map(|(action, done)| ActionSummary { name: action.name.clone(), effect: action.effect.kind(), done_s: done.map(at_s) })
        .collect()
}
