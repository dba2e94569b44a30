//! Estimates over replications: the mean and its 95 % confidence interval (Student's t), so a
//! reader sees how much of a difference is noise.

/// A metric over n replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    /// Half the width of the 95 % confidence interval of the mean; `None` for one replication.
    pub half_width: Option<f64>,
    pub min: f64,
    pub max: f64,
}

impl Estimate {
    pub fn of(values: &[f64]) -> Estimate {
        assert!(!values.is_empty(), "an estimate needs at least one value");
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let half_width = (n > 1).then(|| {
            let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            t95(n - 1) * (variance / n as f64).sqrt()
        });
        Estimate { n, mean, half_width, min, max }
    }

    /// `[low, high]` of the 95 % interval; the mean twice for one replication.
    pub fn interval(&self) -> (f64, f64) {
        let h = self.half_width.unwrap_or(0.0);
        (self.mean - h, self.mean + h)
    }
}

/// The two-sided 95 % quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        // Cornish-Fisher expansion around the normal quantile: within 0.001 of the table beyond 30.
        _ => {
            let z: f64 = 1.959964;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// A number as the outputs print it: up to 6 significant decimals, without trailing zeros.
pub fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs();
    let decimals = if magnitude >= 1000.0 {
        1
    } else if magnitude >= 1.0 {
        3
    } else {
        6
    };
    let text = format!("{value:.decimals$}");
    let trimmed = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if trimmed == "-0" { "0".to_string() } else { trimmed.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_interval_follow_student() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        // s = 1.2910, s/√n = 0.6455, t(3) = 3.182.
        assert!((e.half_width.unwrap() - 3.182 * 0.645497).abs() < 1e-5);
        assert_eq!((e.min, e.max), (1.0, 4.0));
        let single = Estimate::of(&[7.0]);
        assert_eq!(single.half_width, None);
        assert_eq!(single.interval(), (7.0, 7.0));
    }

    #[test]
    fn t_beyond_the_table_approaches_the_normal() {
        assert!((t95(40) - 2.021).abs() < 0.001);
        assert!((t95(120) - 1.980).abs() < 0.001);
        assert!(t95(31) < t95(30));
    }

    #[test]
    fn values_print_compactly() {
        assert_eq!(format_value(0.999), "0.999");
        assert_eq!(format_value(240.0), "240");
        assert_eq!(format_value(12345.678), "12345.7");
        assert_eq!(format_value(-0.0000001), "0");
    }
}
