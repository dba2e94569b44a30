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
    /// The left side over the replications where both sides have a value; `None` in none.
    pub value: Option<Estimate>,
    /// The right side over replications.
    pub bound: Option<Estimate>,
    /// Replications in which the comparison held, of all.
    pub held: (usize, usize),
    /// The first replication in which it did not hold (to reproduce a failure).
    pub failing_seed: Option<u64>,
    /// Why some replication has no value (a null metric, a division by zero).
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
    let condition = &expectation.condition;
    let seeds = runs[0].seeds();
    // Per replication, both sides, or why there is no value (a null, or a division by zero).
    let mut sides: Vec<Option<(f64, f64)>> = Vec::with_capacity(seeds.len());
    let mut problem = None;
    for (replication, &seed) in seeds.iter().enumerate() {
        let mut read = |metric: &MetricRef| read_metric(runs, metric, variant, replication);
        match (condition.left.eval(&mut read), condition.right.eval(&mut read)) {
            (Ok(left), Ok(right)) if left.is_finite() && right.is_finite() => sides.push(Some((left, right))),
            (Ok(_), Ok(_)) => {
                problem.get_or_insert(format!("a side is not a finite number (a division by zero?) in the run with seed {seed}"));
                sides.push(None);
            }
            (Err(Read::Bad(message, suggestion)), _) | (_, Err(Read::Bad(message, suggestion))) => {
                return Err(BadMetric { expectation: index, message, suggestion });
            }
            (Err(Read::NoValue(path)), _) | (_, Err(Read::NoValue(path))) => {
                problem.get_or_insert(format!("`{path}` has no value in the run with seed {seed}"));
                sides.push(None);
            }
        }
    }
    let each: Vec<bool> = sides.iter().map(|s| s.is_some_and(|(l, r)| condition.comparison.holds(l, r))).collect();
    let held = each.iter().filter(|h| **h).count();
    let present: Vec<(f64, f64)> = sides.iter().flatten().copied().collect();
    let estimates = (!present.is_empty()).then(|| {
        let (lefts, rights): (Vec<f64>, Vec<f64>) = present.iter().copied().unzip();
        (Estimate::of(&lefts), Estimate::of(&rights))
    });
    let passed = match (expectation.holds, &estimates) {
        // A mean over some replications only would not be the mean the expectation bounds.
        (Holds::Mean, Some((value, bound))) => problem.is_none() && condition.comparison.holds(value.mean, bound.mean),
        (Holds::Mean, None) => false,
        (Holds::Every, _) => held == seeds.len(),
        (Holds::Share(share), _) => held as f64 >= share * seeds.len() as f64 - 1e-9,
    };
    let failing_seed = each.iter().position(|h| !h).map(|i| seeds[i]).or_else(|| (!passed).then(|| seeds[0]));
    let shown_variant = if expectation.variant.is_none() && !expectation.names_variants() { variant.map(str::to_string) } else { None };
    Ok(Verdict {
        expectation: index,
        variant: shown_variant,
        passed,
        value: estimates.map(|(value, _)| value),
        bound: estimates.map(|(_, bound)| bound),
        held: (held, seeds.len()),
        failing_seed,
        problem,
    })
}

enum Read {
    Bad(String, Option<String>),
    NoValue(String),
}

fn read_metric(runs: &[VariantRuns], metric: &MetricRef, judged_on: Option<&str>, replication: usize) -> Result<f64, Read> {
    let wanted = metric.variant.as_deref().or(judged_on);
    // Validation resolved every variant an expectation reads; a run of some variants only
    // (`run --variant`) may still lack one.
    let Some(variant) = runs.iter().find(|r| r.name.as_deref() == wanted) else {
        return Err(Read::Bad(format!("variant `{}` was not run", wanted.unwrap_or("(base)")), None));
    };
    lookup(&variant.replications[replication].json, &metric.path).map_err(|missing| match missing {
        Missing::NoSuchPath { message, suggestion } => Read::Bad(message, suggestion),
        Missing::NoValue => Read::NoValue(metric.path.clone()),
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
