//! HdrHistogram's percentile-distribution text format (`.hgrm`), as written by the Java
//! library's `outputPercentileDistribution` and read by its plotter: values in milliseconds,
//! five reporting ticks per half-distance to 100 %.

use hdrhistogram::Histogram;
use std::fmt::Write;

/// Renders `histogram` (values in nanoseconds) with values in milliseconds.
pub fn percentile_distribution(histogram: &Histogram<u64>) -> String {
    const NANOS_PER_MS: f64 = 1e6;
    let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    let mut total = 0u64;
    if !histogram.is_empty() {
        for step in histogram.iter_quantiles(5) {
            total += step.count_since_last_iteration();
            let value = step.value_iterated_to() as f64 / NANOS_PER_MS;
            let quantile = step.quantile_iterated_to();
            if quantile < 1.0 {
                let _ = writeln!(out, "{value:12.3} {quantile:2.12} {total:10} {:14.2}", 1.0 / (1.0 - quantile));
            } else {
                let _ = writeln!(out, "{value:12.3} {quantile:2.12} {total:10}");
            }
        }
    }
    let (mean, deviation) = if histogram.is_empty() { (0.0, 0.0) } else { (histogram.mean(), histogram.stdev()) };
    let sub_buckets = (2 * 10u64.pow(u32::from(histogram.sigfig()))).next_power_of_two();
    let _ = writeln!(out, "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]", mean / NANOS_PER_MS, deviation / NANOS_PER_MS);
    let _ = writeln!(out, "#[Max     = {:12.3}, Total count    = {:12}]", histogram.max() as f64 / NANOS_PER_MS, histogram.len());
    let _ = writeln!(out, "#[Buckets = {:12}, SubBuckets     = {:12}]", histogram.buckets(), sub_buckets);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::latency_histogram;

    #[test]
    fn ends_at_the_total_count_and_the_max() {
        let mut histogram = latency_histogram(3);
        for ms in 1..=1000u64 {
            histogram.record(ms * 1_000_000).unwrap();
        }
        let text = percentile_distribution(&histogram);
        let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).skip(1).collect();
        let last: Vec<&str> = rows.last().unwrap().split_whitespace().collect();
        assert_eq!(last[1], "1.000000000000");
        assert_eq!(last[2], "1000");
        assert!((last[0].parse::<f64>().unwrap() - 1000.0).abs() < 1.0);
        assert!(text.contains("Total count    =         1000"));
        assert!(text.contains("SubBuckets     =         2048"));
    }
}
