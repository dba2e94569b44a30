//! Validation of `expect:` into [`Expectation`]s: the expression parses, its variants and its
//! scope (`region`, `during`) exist, and `holds` says how it must hold over replications.
//!
//! Whether each metric path exists is known only from a run's summary; `check` reports a path
//! that does not exist as a located error too.

use super::diagnostic::{Problems, did_you_mean};
use super::files::{ExpectFile, S, ScenarioFile};
use super::variants::Variant;
use crate::outcome::expr::{self, Comparison, MetricRef};
use crate::outcome::{Expectation, Holds, metric};
use crate::sim::plan::ScenarioPlan;
use serde_json::Value;

/// The client metrics `region:` and `during:` apply to (and the short names, which are all
/// client metrics); other paths are used as written.
const CLIENT_METRICS: [&str; 3] = ["requests", "availability", "latency_ms"];

/// The top-level keys of `summary.json` (a test holds this to the summary itself).
pub const SUMMARY_KEYS: [&str; 20] = [
    "scenario",
    "variant",
    "seed",
    "digest",
    "run",
    "requests",
    "availability",
    "latency_ms",
    "regions",
    "servers",
    "services",
    "dependencies",
    "network",
    "faults",
    "populations",
    "priorities",
    "data",
    "windows",
    "alerts",
    "actions",
];

/// More expectations than this in one scenario is a mistake.
pub const MAX_EXPECTATIONS: usize = 1000;

/// Validates `expect:` against `plans`: the variants' (or the scenario's, without variants). A
/// region or window any of them has is accepted here; `measured_in_every_variant` then checks
/// each variant the expectation is judged on.
pub(super) fn expectations(problems: &mut Problems, file: &ScenarioFile, plans: &[&ScenarioPlan], variants: &[String]) -> Vec<Expectation> {
    if file.expect.len() > MAX_EXPECTATIONS {
        problems
            .on(&file.expect[0].that, "expect", format!("{} expectations", file.expect.len()))
            .expected(format!("at most {MAX_EXPECTATIONS}"));
        return Vec::new();
    }
    file.expect.iter().enumerate().filter_map(|(index, e)| expectation(problems, e, index, plans, variants)).collect()
}

fn expectation(
    problems: &mut Problems,
    file: &ExpectFile,
    index: usize,
    plans: &[&ScenarioPlan],
    variants: &[String],
) -> Option<Expectation> {
    let key = format!("expect[{index}]");
    let mut condition = match expr::parse(&file.that.value) {
        Ok(condition) => condition,
        Err(message) => {
            problems
                .on(&file.that, format!("{key}.that"), message)
                .expected("`metric op bound`, like `latency_ms.p99 < 200` or `hardened.availability > naive.availability + 0.05`");
            return None;
        }
    };
    let before = problems.list.len();
    let variant = file.variant.as_ref().and_then(|v| named_variant(problems, v, &format!("{key}.variant"), variants));
    let region = file.region.as_ref().and_then(|r| client_region(problems, r, &format!("{key}.region"), plans));
    let during = file.during.as_ref().and_then(|d| window(problems, d, &format!("{key}.during"), plans));
    let holds = holds(problems, file.holds.as_ref(), &format!("{key}.holds"), condition.comparison);
    let prefix = format!(
        "{}{}",
        during.as_ref().map(|w| format!("windows.{w}.")).unwrap_or_default(),
        region.as_ref().map(|r| format!("regions.{r}.")).unwrap_or_default()
    );
    let mut bad_steps = Vec::new();
    let mut qualify = |metric: &mut MetricRef| {
        let first_end = metric.path.find(['.', '[']).unwrap_or(metric.path.len());
        let first = &metric.path[..first_end];
        if variants.iter().any(|v| v == first) {
            if first_end == metric.path.len() {
                bad_steps.push(format!("`{first}` is a variant: name one of its metrics, like `{first}.availability`"));
                return;
            }
            metric.variant = Some(first.to_string());
            metric.path = metric.path[first_end + 1..].to_string();
        }
        let first = metric.path.split(['.', '[']).next().unwrap_or_default();
        if !SUMMARY_KEYS.contains(&first) && !metric::is_short_name(first) {
            let names = SUMMARY_KEYS.iter().copied().chain(variants.iter().map(String::as_str));
            let subtraction = first.split_once('-').is_some_and(|(a, _)| SUMMARY_KEYS.contains(&a) || variants.iter().any(|v| v == a));
            let hint = if subtraction {
                " (to subtract, put spaces around `-`)".to_string()
            } else {
                did_you_mean(first, names).map(|h| format!(" ({h})")).unwrap_or_default()
            };
            let what = if variants.is_empty() { "a metric" } else { "a metric or a variant" };
            bad_steps.push(format!("`{first}` is not {what}{hint}"));
            return;
        }
        if CLIENT_METRICS.contains(&first) || metric::is_short_name(first) {
            metric.path = format!("{prefix}{}", metric.path);
        }
    };
    condition.left.metrics_mut(&mut qualify);
    condition.right.metrics_mut(&mut qualify);
    for message in bad_steps {
        problems.on(&file.that, format!("{key}.that"), message).expected("a metric of the run's summary (docs/OUTPUT.md)");
    }
    let metrics: Vec<&MetricRef> = condition.left.metrics().into_iter().chain(condition.right.metrics()).collect();
    if variant.is_none() && metrics.iter().any(|m| m.variant.is_some()) && metrics.iter().any(|m| m.variant.is_none()) {
        let bare = metrics.iter().find(|m| m.variant.is_none()).map_or(String::new(), |m| m.path.clone());
        problems
            .on(&file.that, format!("{key}.that"), format!("`{bare}` has no variant, and the expectation names variants elsewhere"))
            .expected("a variant before every metric (`naive.…`), or `variant:` for the unprefixed ones");
    }
    if metrics.is_empty() {
        problems.on(&file.that, format!("{key}.that"), "the expectation reads no metric").expected("a metric on one side at least");
    }
    let holds = holds?;
    if problems.list.len() > before {
        return None;
    }
    let scope =
        [region.map(|r| format!("in {r}")), during.map(|w| format!("during {w}"))].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Some(Expectation {
        text: file.that.value.clone(),
        condition,
        variant,
        scope,
        holds,
        note: file.note.clone(),
        index,
        line: file.that.referenced.line(),
        column: file.that.referenced.column(),
    })
}

fn named_variant(problems: &mut Problems, name: &S<String>, key: &str, variants: &[String]) -> Option<String> {
    if variants.contains(&name.value) {
        return Some(name.value.clone());
    }
    let has = if variants.is_empty() { "the scenario has no variants".to_string() } else { format!("it has: {}", variants.join(", ")) };
    problems
        .on(name, key, format!("no variant is called `{}`", name.value))
        .expected(has)
        .suggest(did_you_mean(&name.value, variants.iter().map(String::as_str)));
    None
}

fn client_region(problems: &mut Problems, name: &S<String>, key: &str, plans: &[&ScenarioPlan]) -> Option<String> {
    let mut regions: Vec<&str> =
        plans.iter().flat_map(|plan| plan.populations.iter().map(|p| plan.topology.region(p.region).id.as_str())).collect();
    regions.sort_unstable();
    regions.dedup();
    if regions.contains(&name.value.as_str()) {
        return Some(name.value.clone());
    }
    problems
        .on(name, key, format!("`{}` is not a region with clients", name.value))
        .expected(format!("one of: {}", regions.join(", ")))
        .suggest(did_you_mean(&name.value, regions.iter().copied()));
    None
}

fn window(problems: &mut Problems, name: &S<String>, key: &str, plans: &[&ScenarioPlan]) -> Option<String> {
    if plans.iter().any(|plan| plan.periods.iter().any(|p| p.name == name.value)) {
        return Some(name.value.clone());
    }
    if plans.iter().any(|plan| plan.faults.faults.iter().any(|f| f.name == name.value)) {
        problems
            .on(name, key, format!("the fault `{}` starts after requests stop arriving, so nothing is measured during it", name.value))
            .expected("a fault or window within `duration`");
        return None;
    }
    let names = plans.iter().flat_map(|plan| plan.periods.iter().map(|p| p.name.as_str()));
    problems
        .on(name, key, format!("no window or fault is called `{}`", name.value))
        .expected("a name from `windows:` or `faults:`")
        .suggest(did_you_mean(&name.value, names));
    None
}

/// A variant may change the faults (and so the fault windows) or the clients: every window and
/// client region an expectation reads must exist in each variant it is judged on.
pub(super) fn measured_in_every_variant(problems: &mut Problems, file: &ScenarioFile, expectations: &[Expectation], variants: &[Variant]) {
    for expectation in expectations {
        let mut reported = Vec::new();
        for metric in expectation.condition.left.metrics().into_iter().chain(expectation.condition.right.metrics()) {
            let judged = metric.variant.as_ref().or(expectation.variant.as_ref());
            for variant in variants.iter().filter(|v| judged.is_none() || v.name.as_ref() == judged) {
                if let Some(missing) = unmeasured(&variant.plan, &metric.path)
                    && !reported.contains(&missing)
                {
                    let within = variant.name.as_ref().map(|v| format!("in variant `{v}`, ")).unwrap_or_default();
                    problems
                        .on(&file.expect[expectation.index].that, expectation.key(), format!("{within}{missing}"))
                        .expected("windows and client regions that every variant it is checked on has");
                    reported.push(missing);
                }
            }
        }
    }
}

/// What `path` reads that `plan` does not measure: a window, or a client region.
fn unmeasured(plan: &ScenarioPlan, path: &str) -> Option<String> {
    let mut steps = path.split('.');
    let mut first = steps.next();
    if first == Some("windows") {
        let window = steps.next()?;
        if !plan.periods.iter().any(|p| p.name == window) {
            return Some(format!("no window or fault is called `{window}`"));
        }
        first = steps.next();
    }
    if first == Some("regions") {
        let region = steps.next()?;
        if !plan.populations.iter().any(|p| plan.topology.region(p.region).id == region) {
            return Some(format!("`{region}` is not a region with clients"));
        }
    }
    None
}

fn holds(problems: &mut Problems, holds: Option<&S<Value>>, key: &str, comparison: Comparison) -> Option<Holds> {
    let Some(written) = holds else {
        return Some(if comparison == Comparison::Equal { Holds::Every } else { Holds::Mean });
    };
    let share = match &written.value {
        Value::String(s) if s == "mean" => return Some(Holds::Mean),
        Value::String(s) if s == "every" => return Some(Holds::Every),
        Value::String(s) => s.strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok()).map(|p| p / 100.0),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match share {
        Some(share) if share > 0.0 && share <= 1.0 => Some(Holds::Share(share)),
        _ => {
            problems
                .on(written, key, format!("`{}` is not a way to hold", super::variants::scalar_text(&written.value)))
                .expected("`mean`, `every`, or a share of replications like `90%` or 0.9");
            None
        }
    }
}
