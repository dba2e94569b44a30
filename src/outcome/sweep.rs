//! Sweep tables: one row per grid point (and variant), one column per swept key, then each
//! chosen metric's mean and, with replications, the half-width of its 95 % interval.

use super::metric::{Missing, lookup};
use super::replicate::VariantRuns;
use super::stats::{Estimate, format_value};
use crate::report::timeline::csv_field;

/// Metrics a sweep reports unless told which.
pub const DEFAULT_METRICS: [&str; 4] = ["availability", "latency_ms.p50", "latency_ms.p99", "requests.amplification"];

/// A point's label: the variant it starts from, and `(key, value)` per swept key.
pub type PointLabel = (Option<String>, Vec<(String, String)>);

/// A sweep's results, ready to print.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One row per point: `variant` (when any point has one), the settings, then the metrics.
/// `points[i]` is `(variant, settings)` for `runs[i]`. A metric path that does not exist is an
/// error; a metric without a value in some replication is an empty cell.
pub fn table(points: &[PointLabel], runs: &[VariantRuns], metrics: &[String]) -> Result<Table, String> {
    let with_variant = points.iter().any(|(v, _)| v.is_some());
    let replicated = runs.first().is_some_and(|r| r.replications.len() > 1);
    let mut header: Vec<String> = Vec::new();
    if with_variant {
        header.push("variant".into());
    }
    header.extend(points.first().map(|(_, s)| s.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()).unwrap_or_default());
    for metric in metrics {
        header.push(metric.clone());
        if replicated {
            header.push(format!("{metric} ±95%"));
        }
    }
    let mut rows = Vec::new();
    for ((variant, settings), run) in points.iter().zip(runs) {
        let mut row: Vec<String> = Vec::new();
        if with_variant {
            row.push(variant.clone().unwrap_or_default());
        }
        row.extend(settings.iter().map(|(_, v)| v.clone()));
        for metric in metrics {
            let mut values = Vec::new();
            for replication in &run.replications {
                match lookup(&replication.json, metric) {
                    Ok(value) => values.push(value),
                    Err(Missing::NoValue) => {}
                    Err(Missing::NoSuchPath { message, suggestion }) => {
                        return Err(format!(
                            "--metric {metric}: {message}{}",
                            suggestion.map(|s| format!("\n  help: {s}")).unwrap_or_default()
                        ));
                    }
                }
            }
            let complete = values.len() == run.replications.len() && !values.is_empty();
            let estimate = complete.then(|| Estimate::of(&values));
            row.push(estimate.map(|e| format_value(e.mean)).unwrap_or_default());
            if replicated {
                row.push(estimate.and_then(|e| e.half_width).map(format_value).unwrap_or_default());
            }
        }
        rows.push(row);
    }
    Ok(Table { header, rows })
}

impl Table {
    /// RFC 4180 CSV: cells with a comma, quote or newline are quoted.
    pub fn csv(&self) -> String {
        let line = |cells: &[String]| cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
        let mut out = line(&self.header);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    /// A Markdown table, numbers right-aligned.
    pub fn markdown(&self) -> String {
        let cell = |c: &str| c.replace('|', "\\|");
        let mut out = format!("| {} |\n", self.header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | "));
        let numeric = |column: usize| self.rows.iter().all(|r| r[column].is_empty() || r[column].parse::<f64>().is_ok());
        let rule: Vec<&str> = (0..self.header.len()).map(|c| if numeric(c) { "---:" } else { "---" }).collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_markdown_aligns() {
        let table = Table { header: vec!["clients[0].retries.max".into(), "p99".into()], rows: vec![vec!["a,b".into(), "12.5".into()]] };
        assert_eq!(table.csv(), "clients[0].retries.max,p99\n\"a,b\",12.5\n");
        assert_eq!(table.markdown(), "| clients[0].retries.max | p99 |\n|---|---:|\n| a,b | 12.5 |\n");
    }
}
