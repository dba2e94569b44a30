//! Validation of `windows:`, the named periods measured on their own, into [`PeriodPlan`]s.
//!
//! A window is `from`/`until` instants, or a fault's span (`fault: <name>`). A fault that an
//! expectation names in `during:` (or as `windows.<fault>.…`) is measured as a window without
//! being declared.

use super::diagnostic::{Problems, did_you_mean};
use super::faults::{FaultContext, run_instant};
use super::files::{S, ScenarioFile, WindowFile};
use crate::faults::FaultPlan;
use crate::kernel::{SimDuration, SimTime};
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
    for name in referenced_windows(file) {
        if periods.iter().any(|p| p.name == name) {
            continue;
        }
        // Names that are neither a window nor a fault are reported where the expectation is.
        if let Some(fault) = faults.faults.iter().find(|f| f.name == name)
            && fault.start < end
        {
            periods.push(PeriodPlan { name, from: fault.start, until: fault.end.unwrap_or(end).min(end) });
        }
    }
    if periods.len() > MAX_WINDOWS {
        let at = file.windows.first().map_or(&file.name.referenced, |w| &w.name.referenced);
        problems.at(at, "windows", format!("{} windows would be measured", periods.len())).expected(format!("at most {MAX_WINDOWS}"));
    }
    periods
}

fn valid_name(name: &str) -> bool {
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
        (None, Some((start, _))) => start,
        (None, None) => {
            problems.on(&window.name, key, "a window needs `from` (and `until`), or `fault`").expected("`from: +60s`, or `fault: <name>`");
            return None;
        }
    };
    let until = match (&window.until, fault_span) {
        (Some(text), _) => run_instant(problems, text, &format!("{key}.until"), context)?,
        (None, Some((_, fault_end))) => fault_end,
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
    Some(PeriodPlan { name: window.name.value.clone(), from, until: until.min(end) })
}

fn fault_span(problems: &mut Problems, name: &S<String>, key: &str, faults: &FaultPlan, end: SimTime) -> Option<(SimTime, SimTime)> {
    match faults.faults.iter().find(|f| f.name == name.value) {
        Some(fault) => Some((fault.start, fault.end.unwrap_or(end).min(end))),
        None => {
            problems
                .on(name, format!("{key}.fault"), format!("no fault is called `{}`", name.value))
                .expected("the name of one of the scenario's faults")
                .suggest(did_you_mean(&name.value, faults.faults.iter().map(|f| f.name.as_str())));
            None
        }
    }
}

/// Window names the expectations refer to, in order of first mention.
fn referenced_windows(file: &ScenarioFile) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut note = |name: &str| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for expectation in &file.expect {
        if let Some(during) = &expectation.during {
            note(&during.value);
        }
        let Ok(condition) = crate::outcome::expr::parse(&expectation.that.value) else { continue };
        for metric in condition.left.metrics().into_iter().chain(condition.right.metrics()) {
            let steps: Vec<&str> = metric.path.split('.').collect();
            // `windows.<name>…`, or `<variant>.windows.<name>…`
            if let Some(at) = steps.iter().position(|s| *s == "windows").filter(|at| *at <= 1)
                && let Some(name) = steps.get(at + 1)
            {
                note(name);
            }
        }
    }
    names
}
