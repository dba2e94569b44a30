//! `timeline.csv`: one row per window and scope (`all`, then each client region in region
//! order), with counts, throughput, availability and the window's p50 and p99.

use super::summary::{at_s, availability, round};
use crate::metrics::TimelineRow;
use crate::sim::RunResult;
use crate::sim::plan::ScenarioPlan;
use std::fmt::Write;

pub const HEADER: &str = "window_start_s,window_s,region,attempted,succeeded,failed_timeout,failed_rejected,failed_error,failed_unreachable,failed_breaker_open,failed_shed,attempts,retries,hedges,throughput_rps,availability,p50_ms,p99_ms";

pub fn render(plan: &ScenarioPlan, result: &RunResult) -> String {
    let recorder = &result.planet.recorder;
    let mut out = String::with_capacity(64 * (recorder.timeline.len() + 1));
    out.push_str(HEADER);
    out.push('\n');
    for row in &recorder.timeline {
        let scope =
            if row.scope == TimelineRow::ALL { "all" } else { plan.topology.region(recorder.regions[row.scope as usize]).id.as_str() };
        write_row(&mut out, row, &csv_field(scope));
    }
    out
}

fn write_row(out: &mut String, row: &TimelineRow, scope: &str) {
    let c = &row.counters;
    let window_s = row.length.as_secs_f64();
    let optional = |v: Option<f64>| v.map(|x| format!("{}", round(x, 3))).unwrap_or_default();
    let _ = writeln!(
        out,
        "{},{},{scope},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        at_s(row.start),
        round(window_s, 6),
        c.attempted,
        c.succeeded,
        c.timeout,
        c.rejected,
        c.error,
        c.unreachable,
        c.breaker_open,
        c.shed,
        c.attempts(),
        c.retries,
        c.hedges,
        round(c.succeeded as f64 / window_s, 3),
        optional(availability(c)),
        optional(row.p50_ms),
        optional(row.p99_ms),
    );
}

/// `events.csv`: what happened to the world (fault starts and ends, route convergences,
/// breakers, health, scaling, modes), in order. Names and details are free text, so they are
/// quoted where CSV needs it.
pub fn render_events(result: &RunResult) -> String {
    let mut out = String::from("time_s,event,subject,detail\n");
    for event in &result.planet.recorder.events {
        let (subject, detail) = (csv_field(&event.subject), csv_field(&event.detail));
        let _ = writeln!(out, "{},{},{subject},{detail}", at_s(event.time), event.event);
    }
    out
}

/// A number as a CSV field: empty when there is none.
pub fn csv_number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a
/// line break; as it is otherwise.
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `states.csv`: each server's mode, published DNS health, workers alive and busy and queue
/// length, and each client breaker's state, at the end of every window (long format).
pub fn render_states(plan: &ScenarioPlan, result: &RunResult) -> String {
    use crate::metrics::{StateValue, Subject};
    let mut out = String::from("time_s,subject,state,value\n");
    for sample in &result.planet.recorder.states {
        let subject = match sample.subject {
            Subject::Server(index) => result.planet.server_labels[index as usize].as_str(),
            Subject::Population(index) => result.planet.populations[index as usize].label(),
            Subject::Dependency(index) => result.planet.dependencies[index as usize].caller.label.as_str(),
            Subject::Link(index) => plan.topology.links[index as usize].name.as_str(),
        };
        let _ = write!(out, "{},{},{},", at_s(sample.time), csv_field(subject), sample.state);
        let _ = match sample.value {
            StateValue::Word(word) => writeln!(out, "{word}"),
            StateValue::Count(count) => writeln!(out, "{count}"),
        };
    }
    out
}
