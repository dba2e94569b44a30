//! Calibration of the latency model against measured inter-region RTTs.
//!
//! For every pair of distinct measured regions that map to distinct model regions at least
//! `min_km` apart (shorter pairs are dominated by fixed overheads, not distance), the modelled
//! RTT is compared with the measurement averaged over both directions.

use super::geo::great_circle_km;
use super::routing::RttMatrix;
use super::topology::{RegionId, Topology};

/// A measured RTT matrix, keyed by the measuring provider's region codes.
pub struct MeasuredRtt {
    pub codes: Vec<String>,
    /// Row-major milliseconds; `None` where the measurement is missing.
    pub ms: Vec<Option<f64>>,
}

impl MeasuredRtt {
    fn get(&self, from: usize, to: usize) -> Option<f64> {
        self.ms[from * self.codes.len() + to]
    }
}

#[derive(Clone, Debug)]
pub struct PairError {
    pub a: String,
    pub b: String,
    pub distance_km: f64,
    pub measured_ms: f64,
    pub model_ms: Option<f64>,
    /// (model − measured) / measured; `None` when the model has no route.
    pub relative_error: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Calibration {
    pub pairs: Vec<PairError>,
    pub median_abs_error: f64,
    pub mean_signed_error: f64,
    pub share_within_10: f64,
    pub share_within_20: f64,
    pub unreachable: usize,
}

/// Compares the model with the measurements. `mapping[i]` is the model region of `codes[i]`.
pub fn calibrate(topology: &Topology, rtt: &RttMatrix, measured: &MeasuredRtt, mapping: &[Option<RegionId>], min_km: f64) -> Calibration {
    let mut pairs = Vec::new();
    let n = measured.codes.len();
    for i in 0..n {
        for j in i + 1..n {
            let (Some(a), Some(b)) = (mapping[i], mapping[j]) else { continue };
            if a == b {
                continue;
            }
            let distance_km = great_circle_km(topology.region(a).position, topology.region(b).position);
            let both_ways: Vec<f64> = [measured.get(i, j), measured.get(j, i)].into_iter().flatten().collect();
            if distance_km < min_km || both_ways.is_empty() {
                continue;
            }
            let measured_ms = both_ways.iter().sum::<f64>() / both_ways.len() as f64;
            let model_ms = rtt.rtt(a, b).map(|d| d.as_millis_f64());
            pairs.push(PairError {
                a: topology.region(a).id.clone(),
                b: topology.region(b).id.clone(),
                distance_km,
                measured_ms,
                model_ms,
                relative_error: model_ms.map(|m| (m - measured_ms) / measured_ms),
            });
        }
    }
    summarise(pairs)
}

fn summarise(mut pairs: Vec<PairError>) -> Calibration {
    // Worst first; unreachable pairs count as the worst of all.
    pairs.sort_by(|x, y| {
        let key = |p: &PairError| p.relative_error.map_or(f64::INFINITY, f64::abs);
        key(y).total_cmp(&key(x)).then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    let mut errors: Vec<f64> = pairs.iter().map(|p| p.relative_error.map_or(f64::INFINITY, f64::abs)).collect();
    errors.sort_by(f64::total_cmp);
    let count = errors.len().max(1) as f64;
    let median_abs_error = match errors.len() {
        0 => 0.0,
        len if len % 2 == 1 => errors[len / 2],
        len => (errors[len / 2 - 1] + errors[len / 2]) / 2.0,
    };
    let signed: Vec<f64> = pairs.iter().filter_map(|p| p.relative_error).collect();
    Calibration {
        median_abs_error,
        mean_signed_error: signed.iter().sum::<f64>() / signed.len().max(1) as f64,
        share_within_10: errors.iter().filter(|e| **e <= 0.10).count() as f64 / count,
        share_within_20: errors.iter().filter(|e| **e <= 0.20).count() as f64 / count,
        unreachable: pairs.iter().filter(|p| p.model_ms.is_none()).count(),
        pairs,
    }
}
