//! Evaluating expectations over replications.
//!
//! Each side of an expectation is computed per replication (variants compare on the same
//! seed), then judged as its [`Holds`] says: on the means, in every replication, or in a share
//! of them. An expectation without a variant is judged on every variant in turn.

use super::expr::{Comparison, MetricRef};
use super::metric::{Missing, lookup};
use super::replicate::VariantRuns;
use super::stats::{Estimate, format_value};
use super::{Expectation, Holds};

/// The outcome of one expectation on one variant (or on the scenario).
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Index into the scenario's expectations.
    pub expectation: usize,
    /// The variant it was judged on, when it has no variant of its own and the scenario has several.
    pub variant: Option<String>,
    pub passed: bool,
    /// The left side over replications; `None` when a metric had no value.
    pub value: Option<Estimate>,
    /// The right side over replications.
    pub bound: Option<Estimate>,
    /// Replications in which the comparison held, of all.
    pub held: (usize, usize),
    /// The first replication in which it did not hold (to reproduce a failure).
    pub failing_seed: Option<u64>,
    /// Why there is no value, when there is none.
    pub problem: Option<String>,
}

/// A metric path that does not exist: a mistake in the scenario (exit 2, located).
#[derive(Clone, Debug, PartialEq)]
pub struct BadMetric {
    pub expectation: usize,
    pub message: String,
    pub suggestion: Option<String>,
}

/// Judges every expectation. Fails with every metric path that does not exist.
pub fn evaluate(expectations: &[Expectation], runs: &[VariantRuns]) -> Result<Vec<Verdict>, Vec<BadMetric>> {
    let mut verdicts = Vec::new();
    let mut bad = Vec::new();
    for (index, expectation) in expectations.iter().enumerate() {
        let judged_on: Vec<Option<&str>> = match (&expectation.variant, expectation.names_variants()) {
            (Some(variant), _) => vec![Some(variant.as_str())],
            (None, true) => vec![None],
            (None, false) => runs.iter().map(|r| r.name.as_deref()).collect(),
        };
        for variant in judged_on {
            match judge(index, expectation, variant, runs) {
                Ok(verdict) => verdicts.push(verdict),
                Err(problem) => {
                    bad.push(problem);
                    break;
                }
            }
        }
    }
    if bad.is_empty() { Ok(verdicts) } else { Err(bad) }
}

fn judge(index: usize, expectation: &Expectation, variant: Option<&str>, runs: &[VariantRuns]) -> Result<Verdict, BadMetric> {
    let count = runs[0].replications.len();
    let condition = &expectation.condition;
    let mut lefts = Vec::with_capacity(count);
    let mut rights = Vec::with_capacity(count);
    let mut problem = None;
    for replication in 0..count {
        let mut read = |metric: &MetricRef| read_metric(runs, metric, variant, replication);
        match (condition.left.eval(&mut read), condition.right.eval(&mut read)) {
            (Ok(left), Ok(right)) => {
                lefts.push(left);
                rights.push(right);
            }
            (Err(Read::Bad(message, suggestion)), _) | (_, Err(Read::Bad(message, suggestion))) => {
                return Err(BadMetric { expectation: index, message, suggestion });
            }
            (Err(Read::NoValue(path, seed)), _) | (_, Err(Read::NoValue(path, seed))) => {
                problem.get_or_insert((format!("`{path}` has no value in the run with seed {seed}"), seed));
            }
        }
    }
    let shown_variant = if expectation.variant.is_none() && !expectation.names_variants() { variant.map(str::to_string) } else { None };
    if let Some((problem, failing_seed)) = problem {
        return Ok(Verdict {
            expectation: index,
            variant: shown_variant,
            passed: false,
            value: None,
            bound: None,
            held: (0, count),
            failing_seed: Some(failing_seed),
            problem: Some(problem),
        });
    }
    let seeds = runs[0].seeds();
    let each: Vec<bool> = lefts.iter().zip(&rights).map(|(l, r)| condition.comparison.holds(*l, *r)).collect();
    let held = each.iter().filter(|h| **h).count();
    let (value, bound) = (Estimate::of(&lefts), Estimate::of(&rights));
    let passed = match expectation.holds {
        Holds::Mean => condition.comparison.holds(value.mean, bound.mean),
        Holds::Every => held == count,
        Holds::Share(share) => held as f64 >= share * count as f64 - 1e-9,
    };
    let failing_seed = each.iter().position(|h| !h).map(|i| seeds[i]).or_else(|| (!passed).then(|| seeds[0]));
    Ok(Verdict {
        expectation: index,
        variant: shown_variant,
        passed,
        value: Some(value),
        bound: Some(bound),
        held: (held, count),
        failing_seed,
        problem: None,
    })
}

enum Read {
    Bad(String, Option<String>),
    NoValue(String, u64),
}

fn read_metric(runs: &[VariantRuns], metric: &MetricRef, judged_on: Option<&str>, replication: usize) -> Result<f64, Read> {
    let wanted = metric.variant.as_deref().or(judged_on);
    let variant = runs.iter().find(|r| r.name.as_deref() == wanted).unwrap_or(&runs[0]);
    let run = &variant.replications[replication];
    lookup(&run.json, &metric.path).map_err(|missing| match missing {
        Missing::NoSuchPath { message, suggestion } => Read::Bad(message, suggestion),
        Missing::NoValue => Read::NoValue(metric.path.clone(), run.seed),
    })
}

/// `0.981 [0.975, 0.987]` with an interval, `0.981` without.
pub fn show(estimate: &Estimate) -> String {
    match estimate.half_width {
        Some(_) => {
            let (low, high) = estimate.interval();
            format!("{} [{}, {}]", format_value(estimate.mean), format_value(low), format_value(high))
        }
        None => format_value(estimate.mean),
    }
}

/// The bound as a reader wants it: `< 200`, `≈ 95 ± 10`, or `> 0.912 (mean)` when the bound
/// reads metrics (its mean over the replications).
pub fn show_bound(expectation: &Expectation, bound: &Estimate) -> String {
    let comparison = expectation.condition.comparison;
    let mut text = format!("{} {}", comparison.symbol(), format_value(bound.mean));
    if let Comparison::Approximately(tolerance) = comparison {
        text.push_str(&format!(" ± {}", format_value(tolerance.width(bound.mean))));
    }
    if expectation.condition.right.constant().is_none() {
        text.push_str(" (mean)");
    }
    text
}
