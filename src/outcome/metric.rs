//! Reading a metric out of a run's summary by its path: `regions.frankfurt.latency_ms.p99`,
//! `faults.atlantic-cut.time_to_recover_s` (a list element by its `name`), `dependencies[0].calls`.
//!
//! A few short names are accepted as the last step, where the summary has the long one beside:
//! `error_rate` (1 − availability), `p50_ms`, `p90_ms`, `p99_ms`, `p999_ms`, `mean_ms`, `max_ms`
//! (the `latency_ms` percentiles).

use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::path::{Step, parse as parse_path, render as render_path};
use serde_json::Value;

/// Why a path does not lead to a number.
#[derive(Clone, Debug, PartialEq)]
pub enum Missing {
    /// The path does not exist in the summary: a mistake in the expectation.
    NoSuchPath { message: String, suggestion: Option<String> },
    /// The path exists and holds null (a percentile of no request, a recovery that never came).
    NoValue,
}

/// Whether `name` is one of the short names accepted as a path's last step.
pub fn is_short_name(name: &str) -> bool {
    name == "error_rate" || ALIASES.iter().any(|(short, _)| *short == name)
}

/// Short names for metrics the summary spells out, and what they stand for.
const ALIASES: [(&str, &str); 6] = [
    ("p50_ms", "latency_ms.p50"),
    ("p90_ms", "latency_ms.p90"),
    ("p99_ms", "latency_ms.p99"),
    ("p999_ms", "latency_ms.p999"),
    ("mean_ms", "latency_ms.mean"),
    ("max_ms", "latency_ms.max"),
];

/// The number at `path` in `summary`.
pub fn lookup(summary: &Value, path: &str) -> Result<f64, Missing> {
    let (parent, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    // A key the summary really has (a dependency's `p99_ms`) wins over the short name.
    let literal = is_short_name(last) && walk(summary, path).is_ok();
    if last == "error_rate" && !literal {
        let availability = if parent.is_empty() { "availability".to_string() } else { format!("{parent}.availability") };
        return lookup(summary, &availability).map(|a| 1.0 - a);
    }
    if let Some((_, long)) = ALIASES.iter().find(|(short, _)| *short == last).filter(|_| !literal) {
        let full = if parent.is_empty() { long.to_string() } else { format!("{parent}.{long}") };
        return lookup(summary, &full);
    }
    let node = walk(summary, path)?;
    match node {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Null => Err(Missing::NoValue),
        Value::Object(map) => Err(Missing::NoSuchPath {
            message: format!("`{path}` is a group of metrics, not a number"),
            suggestion: Some(format!("one of: {}", keys(map).join(", "))),
        }),
        Value::Array(_) => Err(Missing::NoSuchPath {
            message: format!("`{path}` is a list, not a number"),
            suggestion: Some("pick an element: `[0]`, or by name".to_string()),
        }),
        Value::String(s) => Err(Missing::NoSuchPath { message: format!("`{path}` is the text `{s}`, not a number"), suggestion: None }),
    }
}

fn keys(map: &serde_json::Map<String, Value>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

/// Follows `path` step by step; the error names the first step that does not exist.
fn walk<'a>(summary: &'a Value, path: &str) -> Result<&'a Value, Missing> {
    let steps = parse_path(path).map_err(|message| no_path(message, None))?;
    let mut node = summary;
    for (depth, next) in steps.iter().enumerate() {
        let walked = &steps[..depth];
        node = match *next {
            Step::Key(name) => step(node, name, walked)?,
            Step::Index(index) => {
                let Value::Array(items) = node else { return Err(no_path(format!("`{}` is not a list", render_path(walked)), None)) };
                items.get(index).ok_or_else(|| {
                    no_path(format!("`{}` has {} entries, so [{index}] does not exist", render_path(walked), items.len()), None)
                })?
            }
        };
    }
    Ok(node)
}

fn no_path(message: String, suggestion: Option<String>) -> Missing {
    Missing::NoSuchPath { message, suggestion }
}

/// One named step down from `node`: a key of a mapping, or the element of a list with that name.
fn step<'a>(node: &'a Value, name: &str, walked: &[Step]) -> Result<&'a Value, Missing> {
    let place = if walked.is_empty() { "the summary".to_string() } else { format!("`{}`", render_path(walked)) };
    match node {
        Value::Object(map) => map.get(name).ok_or_else(|| {
            let mut valid = keys(map);
            valid.extend(ALIASES.iter().map(|(short, _)| *short).filter(|_| map.contains_key("latency_ms")));
            if map.contains_key("availability") {
                valid.push("error_rate");
            }
            let suggestion = did_you_mean(name, valid.iter().copied()).or_else(|| Some(format!("it has: {}", valid.join(", "))));
            no_path(format!("{place} has no `{name}`"), suggestion)
        }),
        Value::Array(items) => {
            let named = |item: &&Value| item.get("name").and_then(Value::as_str) == Some(name);
            items.iter().find(named).ok_or_else(|| {
                let names: Vec<&str> = items.iter().filter_map(|i| i.get("name").and_then(Value::as_str)).collect();
                let suggestion = did_you_mean(name, names.iter().copied())
                    .or_else(|| (!names.is_empty()).then(|| format!("it has: {}", names.join(", "))));
                no_path(format!("{place} has no element named `{name}`"), suggestion)
            })
        }
        _ => Err(no_path(format!("{place} is a number, so it has no `{name}`"), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary() -> Value {
        json!({
            "availability": 0.75,
            "latency_ms": {"p50": 20.0, "p99": 200.5},
            "regions": {"new-york": {"availability": 1.0, "latency_ms": {"p99": 80.0}}},
            "faults": [{"name": "cut", "time_to_recover_s": null, "start_s": 60.0}],
            "dependencies": [{"p99_ms": 12.5, "error_rate": 0.125}],
            "flag": true,
        })
    }

    #[test]
    fn reads_numbers_by_path_list_name_and_index() {
        let s = summary();
        assert_eq!(lookup(&s, "latency_ms.p99"), Ok(200.5));
        assert_eq!(lookup(&s, "regions.new-york.latency_ms.p99"), Ok(80.0));
        assert_eq!(lookup(&s, "faults.cut.start_s"), Ok(60.0));
        assert_eq!(lookup(&s, "faults[0].start_s"), Ok(60.0));
        assert_eq!(lookup(&s, "flag"), Ok(1.0));
        assert_eq!(lookup(&s, "faults.cut.time_to_recover_s"), Err(Missing::NoValue));
    }

    #[test]
    fn short_names_stand_for_the_long_ones() {
        let s = summary();
        assert_eq!(lookup(&s, "p99_ms"), Ok(200.5));
        assert_eq!(lookup(&s, "regions.new-york.p99_ms"), Ok(80.0));
        assert_eq!(lookup(&s, "error_rate"), Ok(0.25));
        assert_eq!(lookup(&s, "regions.new-york.error_rate"), Ok(0.0));
        // Where the summary has the short name as a key of its own, that key is read.
        assert_eq!(lookup(&s, "dependencies[0].p99_ms"), Ok(12.5));
        assert_eq!(lookup(&s, "dependencies[0].error_rate"), Ok(0.125));
    }

    #[test]
    fn a_wrong_path_names_the_step_and_the_nearest_key() {
        let s = summary();
        let Err(Missing::NoSuchPath { message, suggestion }) = lookup(&s, "regions.new-yrok.availability") else { panic!() };
        assert_eq!(message, "`regions` has no `new-yrok`");
        assert_eq!(suggestion.as_deref(), Some("did you mean `new-york`?"));
        let Err(Missing::NoSuchPath { message, .. }) = lookup(&s, "faults.cat.start_s") else { panic!() };
        assert_eq!(message, "`faults` has no element named `cat`");
        let Err(Missing::NoSuchPath { message, .. }) = lookup(&s, "latency_ms") else { panic!() };
        assert!(message.contains("group of metrics"));
        let Err(Missing::NoSuchPath { message, .. }) = lookup(&s, "faults[3].start_s") else { panic!() };
        assert!(message.contains("has 1 entries"));
    }
}
