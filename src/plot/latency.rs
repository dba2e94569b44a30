//! Latency distributions: the percentile spectrum (as HdrHistogram plots it: latency against
//! the percentile on a log scale of `1 / (1 − q)`, to 99.99 %) and the CDF, several regions or
//! variants on one chart.

use super::style::{self, FONT, INK, LABEL_SIZE, MUTED, TICK_SIZE, TITLE_SIZE, WIDTH};
use super::view::RunView;
use super::{Chart, Drawn, parts};
use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Nines shown on the spectrum's x axis: 4 is 99.99 %.
const NINES: f64 = 4.0;
const POINTS: usize = 241;

/// One line: a label and its latencies in ms, at the chart's sample points.
struct Curve {
    label: String,
    points: Vec<(f64, f64)>,
}

pub struct Spectrum {
    title: String,
    subtitle: String,
    curves: Vec<Curve>,
}

pub struct Cdf {
    title: String,
    subtitle: String,
    curves: Vec<Curve>,
}

impl Spectrum {
    pub fn of(view: &RunView) -> Self {
        let (chosen, subtitle) = regions_and_overall(view);
        let curves = chosen.into_iter().map(|(label, h)| spectrum_curve(label, h)).collect();
        Spectrum { title: format!("Latency by percentile · {}", view.title), subtitle, curves }
    }

    pub fn of_variants(views: &[&RunView]) -> Self {
        let (chosen, subtitle) = variants_overall(views);
        let curves = chosen.into_iter().map(|(label, h)| spectrum_curve(label, h)).collect();
        Spectrum { title: format!("Latency by percentile · {}", scenario_of(views)), subtitle, curves }
    }
}

impl Cdf {
    pub fn of(view: &RunView) -> Self {
        let (chosen, subtitle) = regions_and_overall(view);
        Cdf { title: format!("Latency CDF · {}", view.title), subtitle, curves: cdf_curves(&chosen) }
    }

    pub fn of_variants(views: &[&RunView]) -> Self {
        let (chosen, subtitle) = variants_overall(views);
        Cdf { title: format!("Latency CDF · {}", scenario_of(views)), subtitle, curves: cdf_curves(&chosen) }
    }
}

fn scenario_of<'a>(views: &[&'a RunView]) -> &'a str {
    views.first().map_or("", |v| v.title.split(" · ").next().unwrap_or(&v.title))
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
    (chosen, format!("successful requests of all clients, one line per variant · {seeds}"))
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

/// Draws the chart's title and subtitle; returns the area below them.
pub fn heading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (top, body) = root.split_vertically(64);
    top.draw_text(title, &(FONT, TITLE_SIZE).into_font().color(&INK), (18, 10))?;
    top.draw_text(subtitle, &(FONT, TICK_SIZE).into_font().color(&MUTED), (18, 42))?;
    Ok(body)
}

/// The range of a log axis holding every value, padded a little either side.
fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
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

/// The power of ten at or below `value` (> 0).
pub fn decade_below(value: f64) -> f64 {
    10f64.powf(value.log10().floor())
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

impl Chart for Spectrum {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let body = heading(root, &self.title, &self.subtitle)?;
        let y_range = log_range(self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
        let mut chart = ChartBuilder::on(&body)
            .margin(18)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..NINES, y_range.log_scale())?;
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
}

impl Chart for Cdf {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let body = heading(root, &self.title, &self.subtitle)?;
        let x_range = log_range(self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)));
        let mut chart = ChartBuilder::on(&body)
            .margin(18)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(x_range.log_scale(), 0.0..100.0)?;
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

/// Says so in the middle of an empty chart (no request succeeded).
pub fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    let style = (FONT, LABEL_SIZE).into_font().color(&MUTED).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    area.draw_text("no successful request to draw", &style, (width as i32 / 2, height as i32 / 2))
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
