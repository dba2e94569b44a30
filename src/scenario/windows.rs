//! Validation of `windows:`, the named periods measured on their own, into [`PeriodPlan`]s.
//!
//! A window is `from`/`until` instants, or a fault's span (`fault: <name>`). Every fault is
//! also measured as a window of its own name, so a run's summary does not depend on what its
//! expectations happen to mention.

use super::diagnostic::Problems;
use super::faults::{FaultContext, run_instant};
use super::files::{S, ScenarioFile, WindowFile};
use crate::faults::FaultPlan;
use crate::kernel::{SimDuration, SimTime};
use crate::metrics::Measured;
use crate::sim::plan::PeriodPlan;

/// More windows than this would make every request count in too many places.
pub const MAX_WINDOWS: usize = 64;

pub(super) fn periods(
    problems: &mut Problems,
    file: &ScenarioFile,
    faults: &FaultPlan,
    context: &FaultContext,
    run_length: Option<SimDuration>,
) -> Vec<PeriodPlan> {
    let end = SimTime::ZERO + run_length.unwrap_or(SimDuration::ZERO);
    let mut periods: Vec<PeriodPlan> = Vec::new();
    for (index, window) in file.windows.iter().enumerate() {
        let key = format!("windows[{index}]");
        if !valid_name(&window.name.value) {
            problems
                .on(&window.name, format!("{key}.name"), format!("`{}` is not a valid window name", window.name.value))
                .expected("letters, digits, `-` and `_` (it is a step of a metric path)");
        } else if periods.iter().any(|p| p.name == window.name.value) {
            problems
                .on(&window.name, format!("{key}.name"), format!("two windows are called `{}`", window.name.value))
                .expected("unique names");
        }
        if let Some(period) = declared(problems, window, &key, faults, context, end) {
            periods.push(period);
        }
    }
    for (index, fault) in faults.faults.iter().enumerate().filter(|(_, f)| f.start < end) {
        if let Some(window) = file.windows.iter().find(|w| w.name.value == fault.name) {
            problems
                .on(&window.name, "windows", format!("a fault is called `{}` too, and every fault is measured as a window", fault.name))
                .expected("another name (or `fault:` to measure a different span of the fault)");
            continue;
        }
        let span = Measured { from: fault.start, until: fault.end.unwrap_or(end).min(end) };
        periods.push(PeriodPlan { name: fault.name.clone(), span, ends_with_fault: Some(index as u16) });
    }
    if periods.len() > MAX_WINDOWS {
        let at = file.windows.first().map_or(&file.name.referenced, |w| &w.name.referenced);
        problems
            .at(at, "windows", format!("{} windows would be measured (those declared, and one per fault)", periods.len()))
            .expected(format!("at most {MAX_WINDOWS}"));
    }
    periods
}

/// Names that are a result folder or a step of a metric path: letters, digits, `-` and `_`.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn declared(
    problems: &mut Problems,
    window: &WindowFile,
    key: &str,
    faults: &FaultPlan,
    context: &FaultContext,
    end: SimTime,
) -> Option<PeriodPlan> {
    let fault_span = match &window.fault {
        Some(name) => Some(fault_span(problems, name, key, faults, end)?),
        None => None,
    };
    let from = match (&window.from, fault_span) {
        (Some(text), _) => run_instant(problems, text, &format!("{key}.from"), context)?,
        (None, Some((start, _, _))) => start,
        (None, None) => {
            problems.on(&window.name, key, "a window needs `from` (and `until`), or `fault`").expected("`from: +60s`, or `fault: <name>`");
            return None;
        }
    };
    let until = match (&window.until, fault_span) {
        (Some(text), _) => run_instant(problems, text, &format!("{key}.until"), context)?,
        (None, Some((_, fault_end, _))) => fault_end,
        (None, None) => end,
    };
    if from >= end {
        let at = window.from.as_ref().map_or(&window.name.referenced, |f| &f.referenced);
        problems.at(at, format!("{key}.from"), "the window starts after requests stop arriving").expected("a time within `duration`");
        return None;
    }
    if until <= from {
        let at = window.until.as_ref().map_or(&window.name.referenced, |u| &u.referenced);
        problems.at(at, format!("{key}.until"), "the window ends before it starts").expected("`until` after `from`");
        return None;
    }
    // No request is issued after arrivals stop: a window's rates are per second of arrivals.
    let ends_with_fault = fault_span.filter(|_| window.until.is_none()).map(|(_, _, fault)| fault);
    Some(PeriodPlan { name: window.name.value.clone(), span: Measured { from, until: until.min(end) }, ends_with_fault })
}

/// The fault's start, its end (clipped to the end of arrivals) and its index.
fn fault_span(problems: &mut Problems, name: &S<String>, key: &str, faults: &FaultPlan, end: SimTime) -> Option<(SimTime, SimTime, u16)> {
    let index = super::faults::fault_named(problems, name, &format!("{key}.fault"), faults)?;
    let fault = &faults.faults[index as usize];
    Some((fault.start, fault.end.unwrap_or(end).min(end), index))
}
