//! Time to detect and time to recover, per fault, measured after the run from the timeline and
//! the event log.
//!
//! - **Time to detect**: from the fault's start to the first automated reaction after it: a
//!   GeoDNS health change, a breaker opening, an autoscaler ordering workers, a mode change, a
//!   failover manager deciding a failover. `None` if nothing reacted.
//! - **Time to recover**: from the fault's end (or, for a fault that never ends, its first
//!   reaction) to the end of the first window from which the SLO holds for `hold` in a row,
//!   counted over all clients. `None` if that never happens before the run ends. Windows in which
//!   no request ended break no SLO.

use crate::actors::policy::BreakerState;
use crate::faults::Fault;
use crate::kernel::SimTime;
use crate::metrics::{Recorder, TimelineRow};
use crate::sim::plan::Slo;

/// Whether an event is an automated reaction to a fault (a breaker closing again is not).
fn is_reaction(event: &str, detail: &str) -> bool {
    match event {
        "dns-health" | "scale-out" | "mode" | "failover-detected" => true,
        "breaker" => detail == BreakerState::Open.as_str(),
        _ => false,
    }
}

pub struct Recovery {
    pub detected_after: Option<(f64, String)>,
    pub recovered_after: Option<f64>,
}

pub fn measure(fault: &Fault, recorder: &Recorder, slo: &Slo) -> Recovery {
    if fault.called_off {
        return Recovery { detected_after: None, recovered_after: None };
    }
    let reaction = recorder.events.iter().find(|e| e.time >= fault.start && is_reaction(e.event, &e.detail));
    let detected_after = reaction.map(|e| (e.time.since(fault.start).as_secs_f64(), format!("{} {} {}", e.event, e.subject, e.detail)));
    let reference = fault.end.or(reaction.map(|e| e.time));
    let recovered_after = reference.and_then(|from| recovered_at(recorder, slo, from).map(|at| at.since(from).as_secs_f64()));
    Recovery { detected_after, recovered_after }
}

fn meets(row: &TimelineRow, slo: &Slo) -> bool {
    let Some(availability) = row.counters.availability() else { return true };
    let available = availability >= slo.availability;
    let fast = slo.p99_ms.is_none_or(|bound| row.p99_ms.is_none_or(|p99| p99 <= bound));
    available && fast
}

/// The end of the first window at or after `from` that starts a run of windows meeting the SLO
/// for at least `slo.hold`.
fn recovered_at(recorder: &Recorder, slo: &Slo, from: SimTime) -> Option<SimTime> {
    let rows: Vec<&TimelineRow> = recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL && r.start + r.length > from).collect();
    let mut streak_start: Option<usize> = None;
    for (index, row) in rows.iter().enumerate() {
        if !meets(row, slo) {
            streak_start = None;
            continue;
        }
        let first = *streak_start.get_or_insert(index);
        let held = (row.start + row.length).since(rows[first].start);
        if held >= slo.hold {
            return Some(rows[first].start + rows[first].length);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breaker_opening_is_a_reaction_and_its_closing_is_not() {
        assert!(is_reaction("breaker", "open"));
        assert!(!is_reaction("breaker", "closed") && !is_reaction("breaker", "half-open"));
        assert!(is_reaction("failover-detected", "virginia -> oregon"));
        assert!(!is_reaction("routes-converged", "convergence 1"));
    }
}
