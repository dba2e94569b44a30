//! Outcome checks: a scenario's expectations evaluated over replications (seeds run in
//! parallel), and sweeps over a grid of parameter values.
//!
//! Architecture invariant: a replication is one ordinary deterministic run, and replications
//! are combined in seed order whatever thread ran them, so results do not depend on the number
//! of threads.

pub mod evaluate;
pub mod expr;
pub mod junit;
pub mod metric;
pub mod replicate;
pub mod stats;
pub mod sweep;

use expr::Condition;

/// How an expectation must hold over replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Holds {
    /// For the means over replications (the default for `<`, `≤`, `>`, `≥` and `≈`).
    Mean,
    /// In every replication (the default for `==`).
    Every,
    /// In at least this share of replications.
    Share(f64),
}

impl Holds {
    pub fn describe(self) -> String {
        match self {
            Holds::Mean => "for the mean".to_string(),
            Holds::Every => "in every replication".to_string(),
            Holds::Share(share) => format!("in at least {}% of replications", stats::format_value(share * 100.0)),
        }
    }
}

/// A validated expectation of a scenario.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// As written in `that:`.
    pub text: String,
    /// With the scope (`region`, `during`) applied to its client metrics and variants resolved.
    pub condition: Condition,
    /// The variant unqualified metrics belong to; `None`: checked on every variant in turn (or
    /// on the scenario itself, without variants).
    pub variant: Option<String>,
    /// `in frankfurt during cut`, for display; empty without a scope.
    pub scope: String,
    pub holds: Holds,
    pub note: Option<String>,
    /// Where it is written: its index in `expect:`, and the line and column of its `that:`.
    pub index: usize,
    pub line: u64,
    pub column: u64,
}

impl Expectation {
    /// `expect[3].that`: where a problem with the expression is reported.
    pub fn key(&self) -> String {
        format!("expect[{}].that", self.index)
    }

    /// The variants it reads by name: its own, and those its metrics name.
    pub fn variants_read(&self) -> Vec<&str> {
        let metrics = self.condition.left.metrics().into_iter().chain(self.condition.right.metrics());
        self.variant.as_deref().into_iter().chain(metrics.filter_map(|m| m.variant.as_deref())).collect()
    }

    /// Whether any metric names its variant explicitly.
    pub fn names_variants(&self) -> bool {
        self.condition.left.metrics().iter().chain(self.condition.right.metrics().iter()).any(|m| m.variant.is_some())
    }
}
