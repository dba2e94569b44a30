//! Latency distributions: the percentile spectrum (as HdrHistogram plots it: latency against
//! the percentile on a log scale of `1 / (1 − q)`, to 99.99 %) and the CDF, several regions or
//! variants on one chart.

use super::parts::{self, decade_below, heading, no_data};
use super::style::{self, WIDTH};
use super::view::RunView;
use super::{Chart, Drawn};
use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Nines shown on the spectrum's x axis: 4 is 99.99 %.
const NINES: f64 = 4.0;
const POINTS: usize = 241;

/// Which way a latency distribution is drawn.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Latency against the percentile (`1 / (1 − q)` on a log scale).
    Percentiles,
    /// The share of requests at or below each latency.
    Cdf,
}

/// One line: a label and its points (x, y) in the chart's units.
struct Curve {
    label: String,
    points: Vec<(f64, f64)>,
}

pub struct LatencyChart {
    kind: Kind,
    title: String,
    subtitle: String,
    curves: Vec<Curve>,
}

impl LatencyChart {
    /// All clients and the client regions of one run.
    pub fn of(view: &RunView, kind: Kind) -> Self {
        let (chosen, subtitle) = regions_and_overall(view);
        LatencyChart::new(kind, &view.title(), subtitle, &chosen)
    }

    /// All clients of each variant.
    pub fn of_variants(views: &[&RunView], kind: Kind) -> Self {
        let (chosen, subtitle) = variants_overall(views);
        LatencyChart::new(kind, views.first().map_or("", |v| v.scenario.as_str()), subtitle, &chosen)
    }

    fn new(kind: Kind, of: &str, subtitle: String, chosen: &[(String, &Histogram<u64>)]) -> Self {
        let (title, curves) = match kind {
            Kind::Percentiles => {
                (format!("Latency by percentile · {of}"), chosen.iter().map(|(l, h)| spectrum_curve(l.clone(), h)).collect())
            }
            Kind::Cdf => (format!("Latency CDF · {of}"), cdf_curves(chosen)),
        };
        LatencyChart { kind, title, subtitle, curves }
    }
}

/// All clients, then the regions with the highest p99 (up to the chart's limit), then the rest
/// in a note.
fn regions_and_overall(view: &RunView) -> (Vec<(String, &Histogram<u64>)>, String) {
    let mut regions: Vec<&(String, Histogram<u64>)> = view.latency.iter().skip(1).filter(|(_, h)| !h.is_empty()).collect();
    let total = regions.len();
    regions.sort_by(|a, b| b.1.value_at_quantile(0.99).cmp(&a.1.value_at_quantile(0.99)).then_with(|| a.0.cmp(&b.0)));
    regions.truncate(style::MAX_SERIES - 1);
    let shown = regions.len();
    let mut chosen: Vec<(String, &Histogram<u64>)> = Vec::new();
    if let Some((_, all)) = view.latency.first().filter(|(_, h)| !h.is_empty()) {
        chosen.push(("all clients".to_string(), all));
    }
    chosen.extend(regions.into_iter().map(|(name, h)| (name.clone(), h)));
    let which = if shown < total {
        format!("the {shown} of {total} client regions with the highest p99")
    } else {
        "every client region".to_string()
    };
    (chosen, format!("successful requests, as clients saw them; all clients and {which} · {}", view.seeds))
}

fn variants_overall<'a>(views: &[&'a RunView]) -> (Vec<(String, &'a Histogram<u64>)>, String) {
    let chosen = views
        .iter()
        .take(style::MAX_SERIES)
        .filter_map(|v| v.latency.first().filter(|(_, h)| !h.is_empty()).map(|(_, h)| (v.variant_label().to_string(), h)))
        .collect();
    let seeds = views.first().map_or(String::new(), |v| v.seeds.clone());
    let which = if views.len() > style::MAX_SERIES {
        format!("the first {} of {} variants", style::MAX_SERIES, views.len())
    } else {
        "one line per variant".to_string()
    };
    (chosen, format!("successful requests of all clients, {which} · {seeds}"))
}

fn spectrum_curve(label: String, histogram: &Histogram<u64>) -> Curve {
    let points = (0..POINTS)
        .map(|i| {
            let nines = NINES * i as f64 / (POINTS - 1) as f64;
            let quantile = 1.0 - 10f64.powf(-nines);
            (nines, ns_to_ms(histogram.value_at_quantile(quantile)))
        })
        .collect();
    Curve { label, points }
}

/// Each curve at the same latencies, log-spaced from the fastest request to the slowest.
fn cdf_curves(chosen: &[(String, &Histogram<u64>)]) -> Vec<Curve> {
    let low = chosen.iter().map(|(_, h)| ns_to_ms(h.min())).fold(f64::INFINITY, f64::min).max(0.001);
    let high = chosen.iter().map(|(_, h)| ns_to_ms(h.max())).fold(0.0, f64::max).max(low * 1.01);
    chosen
        .iter()
        .map(|(label, histogram)| {
            let points = (0..POINTS)
                .map(|i| {
                    let ms = low * (high / low).powf(i as f64 / (POINTS - 1) as f64);
                    (ms, histogram.percentile_below((ms * 1e6) as u64))
                })
                .collect();
            Curve { label: label.clone(), points }
        })
        .collect()
}

fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// `q` written as a percentile from its nines (`2` is 99 %).
fn percentile_label(nines: f64) -> String {
    let percent = 100.0 * (1.0 - 10f64.powf(-nines));
    let decimals = (nines.ceil() as usize).saturating_sub(2);
    format!("{percent:.decimals$} %")
}

/// The range of a log axis holding every value, padded a little either side.
pub fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut low, mut high) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| *v > 0.0) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return 0.1..1.0;
    }
    // From a power of ten: plotters labels a log axis at 1, 2, … 9 times its powers of ten, so an
    // axis that holds one only at its top end would carry almost no labels.
    decade_below(low)..(high * 1.25).max(low * 2.0)
}

/// The curves with their legend, or a note that there is nothing to draw.
fn draw_curves<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    body: &DrawingArea<DB, Shift>,
    curves: &[Curve],
) -> Drawn<DB>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    if curves.is_empty() {
        return no_data(body);
    }
    for (index, curve) in curves.iter().enumerate() {
        parts::line(chart, curve.points.clone(), index, &curve.label)?;
    }
    parts::legend(chart, SeriesLabelPosition::LowerRight)
}

impl Chart for LatencyChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let body = heading(root, &self.title, &self.subtitle)?;
        let builder = || {
            let mut builder = ChartBuilder::on(&body);
            builder.margin(18).x_label_area_size(52).y_label_area_size(78);
            builder
        };
        match self.kind {
            Kind::Percentiles => {
                let latency = log_range(self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
                let mut chart = builder().build_cartesian_2d(0.0..NINES, latency.log_scale())?;
                parts::house_mesh(&mut chart.configure_mesh())
                    .x_labels(5)
                    .x_label_formatter(&|v| percentile_label(*v))
                    .y_labels(30)
                    .y_label_formatter(&|v| style::format_log_ms(*v))
                    .x_desc("percentile (log scale of 1 / (1 − p))")
                    .y_desc("latency (ms, log scale)")
                    .draw()?;
                draw_curves(&mut chart, &body, &self.curves)
            }
            Kind::Cdf => {
                let latency = log_range(self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)));
                let mut chart = builder().build_cartesian_2d(latency.log_scale(), 0.0..100.0)?;
                parts::house_mesh(&mut chart.configure_mesh())
                    .x_labels(30)
                    .x_label_formatter(&|v| style::format_log_ms(*v))
                    .y_label_formatter(&|v| format!("{v:.0} %"))
                    .x_desc("latency (ms, log scale)")
                    .y_desc("requests at or below (%)")
                    .draw()?;
                draw_curves(&mut chart, &body, &self.curves)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels_name_the_nines() {
        assert_eq!(percentile_label(0.0), "0 %");
        assert_eq!(percentile_label(1.0), "90 %");
        assert_eq!(percentile_label(2.0), "99 %");
        assert_eq!(percentile_label(3.0), "99.9 %");
        assert_eq!(percentile_label(4.0), "99.99 %");
    }

    #[test]
    fn the_cdf_rises_to_every_request() {
        let mut histogram = crate::metrics::latency_histogram(3);
        for step in 1..=10_000u64 {
            histogram.record(step * 10_000).unwrap();
        }
        let curves = cdf_curves(&[("x".to_string(), &histogram)]);
        let points = &curves[0].points;
        assert!(points.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].0 > w[0].0), "rises with latency");
        assert!((points.last().unwrap().1 - 100.0).abs() < 1e-9, "every request is at or below the slowest");
        let near_50_ms = points.iter().min_by(|a, b| (a.0 - 50.0).abs().total_cmp(&(b.0 - 50.0).abs())).unwrap();
        assert!((near_50_ms.1 - 50.0).abs() < 2.0, "half the requests take up to 50 ms: {near_50_ms:?}");
    }

    #[test]
    fn the_spectrum_reads_the_histogram_at_its_percentiles() {
        let mut histogram = crate::metrics::latency_histogram(3);
        for ms in 1..=10_000u64 {
            histogram.record(ms * 1_000_000 / 100).unwrap();
        }
        let curve = spectrum_curve("x".into(), &histogram);
        let at = |nines: f64| curve.points.iter().find(|p| (p.0 - nines).abs() < 1e-9).unwrap().1;
        assert!((at(2.0) - 99.0).abs() < 0.2, "p99 {}", at(2.0));
        assert!((at(1.0) - 90.0).abs() < 0.2, "p90 {}", at(1.0));
        assert!(curve.points.windows(2).all(|w| w[1].1 >= w[0].1));
    }
}
