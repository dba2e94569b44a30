//! The timeline: per window, throughput (with attempts when retries or hedges amplify the
//! load), availability, p50 and p99, and a band per server for its state; faults are shaded
//! from start to end on every panel, and the warm-up and the drain are greyed out.

use super::latency::log_range;
use super::parts::{self, heading};
use super::style::{self, ALARM, FONT, INK, MUTED, TICK_SIZE, WIDTH};
use super::view::{FaultMark, RunView, TimelineView, Window};
use super::{Chart, Drawn};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

const THROUGHPUT_HEIGHT: u32 = 240;
const AVAILABILITY_HEIGHT: u32 = 210;
const LATENCY_HEIGHT: u32 = 280;
const BAND_ROW: u32 = 22;
/// Server rows drawn at most; more are summarised in the key.
const MAX_BANDS: usize = 16;
/// Client regions drawn on the availability panel besides all clients.
const MAX_REGION_LINES: usize = 5;
/// Faults marked and named one by one; with more, only their shading is drawn (the subtitle
/// counts them), since a line and a name each would hide the data.
const MAX_MARKED_FAULTS: usize = 6;

pub struct TimelineChart<'a> {
    title: String,
    subtitle: String,
    timeline: &'a TimelineView,
}

impl<'a> TimelineChart<'a> {
    /// The chart of a run's timeline; `None` for merged replications, which have none.
    pub fn of(view: &'a RunView) -> Option<Self> {
        let timeline = view.timeline.as_ref()?;
        let faults = match timeline.faults.len() {
            1 => "the fault".to_string(),
            n if n > MAX_MARKED_FAULTS => format!("{n} faults, not named one by one"),
            _ => "faults".to_string(),
        };
        let subtitle = format!(
            "per {} s window, all clients; shaded: {faults} (vermillion), warm-up and drain (grey, no new requests counted) · {}",
            timeline.overall.first().map_or(0.0, |w| w.length_s),
            view.seeds
        );
        Some(TimelineChart { title: format!("Timeline · {}", view.title()), subtitle, timeline })
    }

    fn band_rows(&self) -> usize {
        self.timeline.bands.len().min(MAX_BANDS)
    }
}

impl Chart for TimelineChart<'_> {
    fn size(&self) -> (u32, u32) {
        let bands = if self.band_rows() > 0 { 70 + BAND_ROW * self.band_rows() as u32 } else { 0 };
        (WIDTH, 64 + THROUGHPUT_HEIGHT + AVAILABILITY_HEIGHT + LATENCY_HEIGHT + bands)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let body = heading(root, &self.title, &self.subtitle)?;
        let timeline = self.timeline;
        if timeline.overall.is_empty() {
            return parts::no_data(&body);
        }
        let axis = TimeAxis::of(timeline);
        let (throughput, rest) = body.split_vertically(THROUGHPUT_HEIGHT);
        let (availability, rest) = rest.split_vertically(AVAILABILITY_HEIGHT);
        let (latency, bands) = rest.split_vertically(LATENCY_HEIGHT);
        draw_throughput(&throughput, timeline, &axis)?;
        draw_availability(&availability, timeline, &axis)?;
        draw_latency(&latency, timeline, &axis)?;
        if self.band_rows() > 0 {
            draw_bands(root, &bands, timeline, &axis)?;
        }
        Ok(())
    }
}

/// The shared x axis: seconds shown in the unit that reads best.
struct TimeAxis {
    unit: &'static str,
    per_unit_s: f64,
    range: Range<f64>,
    /// Left of every panel, wide enough for the longest server label, so the panels line up.
    label_area: u32,
}

impl TimeAxis {
    fn of(timeline: &TimelineView) -> Self {
        let (unit, per_unit_s) = style::time_unit(timeline.end_s);
        let longest = timeline.bands.iter().take(MAX_BANDS).map(|b| b.label.chars().count()).max().unwrap_or(0);
        let label_area = (8 * longest as u32 + 16).max(78);
        TimeAxis { unit, per_unit_s, range: 0.0..(timeline.end_s / per_unit_s).max(1e-9), label_area }
    }

    fn x(&self, seconds: f64) -> f64 {
        seconds / self.per_unit_s
    }

    fn middle(&self, window: &Window) -> f64 {
        self.x(window.start_s + window.length_s / 2.0)
    }
}

/// A panel's y axis: its range (`Y`: linear or log), the same bounds as numbers (for shading),
/// its title and tick labels.
struct YAxis<Y> {
    range: Y,
    bounds: Range<f64>,
    description: &'static str,
    labels: usize,
    format: fn(&f64) -> String,
}

type Panel<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// A panel's chart with the shared x axis (titled on the `bottom` panel), its y axis, and the
/// warm-up, drain and fault shading.
fn panel<'a, DB: DrawingBackend, Y: AsRangedCoord<Value = f64>>(
    area: &'a DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    y: YAxis<Y>,
    bottom: bool,
    timeline: &TimelineView,
) -> Result<Panel<'a, DB, Y::CoordDescType>, DrawingAreaErrorKind<DB::ErrorType>>
where
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin_left(18)
        .margin_right(18)
        .margin_top(6)
        .x_label_area_size(if bottom { 48 } else { 24 })
        .y_label_area_size(axis.label_area)
        .build_cartesian_2d(axis.range.clone(), y.range)?;
    let x_description = format!("time since the start ({})", axis.unit);
    let mut mesh = chart.configure_mesh();
    parts::house_mesh(&mut mesh)
        .y_desc(y.description)
        .x_label_formatter(&|v| style::format_number(*v))
        .y_labels(y.labels)
        .y_label_formatter(&y.format);
    if bottom {
        mesh.x_desc(x_description.as_str());
    }
    mesh.draw()?;
    shade(&mut chart, axis, y.bounds, timeline)?;
    Ok(chart)
}

fn shade<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Panel<'a, DB, Y>,
    axis: &TimeAxis,
    y: Range<f64>,
    timeline: &TimelineView,
) -> Drawn<DB> {
    let grey = |from: f64, until: f64| Rectangle::new([(axis.x(from), y.start), (axis.x(until), y.end)], MUTED.mix(0.15).filled());
    if timeline.measured_from_s > 0.0 {
        chart.draw_series(std::iter::once(grey(0.0, timeline.measured_from_s)))?;
    }
    if timeline.end_s > timeline.arrivals_end_s {
        chart.draw_series(std::iter::once(grey(timeline.arrivals_end_s, timeline.end_s)))?;
    }
    for (from, until) in fault_spans(timeline) {
        let span = [(axis.x(from), y.start), (axis.x(until), y.end)];
        chart.draw_series(std::iter::once(Rectangle::new(span, ALARM.mix(0.14).filled())))?;
    }
    for fault in marked_faults(timeline) {
        let start = axis.x(fault.start_s);
        chart.draw_series(std::iter::once(PathElement::new(vec![(start, y.start), (start, y.end)], ALARM.stroke_width(2))))?;
    }
    Ok(())
}

fn marked_faults(timeline: &TimelineView) -> &[FaultMark] {
    if timeline.faults.len() <= MAX_MARKED_FAULTS { &timeline.faults } else { &[] }
}

/// The time covered by at least one fault, as disjoint spans in seconds.
fn fault_spans(timeline: &TimelineView) -> Vec<(f64, f64)> {
    let mut spans: Vec<(f64, f64)> =
        timeline.faults.iter().map(|f| (f.start_s, f.end_s.unwrap_or(timeline.end_s).max(f.start_s))).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (from, until) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => merged.push((from, until)),
        }
    }
    merged
}

fn linear(bounds: Range<f64>, description: &'static str) -> YAxis<Range<f64>> {
    YAxis { range: bounds.clone(), bounds, description, labels: 5, format: |v| style::format_number(*v) }
}

fn draw_throughput<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, timeline: &TimelineView, axis: &TimeAxis) -> Drawn<DB> {
    let rate = |count: fn(&Window) -> u64| -> Vec<(f64, f64)> {
        timeline.overall.iter().filter(|w| w.length_s > 0.0).map(|w| (axis.middle(w), count(w) as f64 / w.length_s)).collect()
    };
    let issued = rate(|w| w.counters.attempted);
    let succeeded = rate(|w| w.counters.succeeded);
    let attempts = rate(|w| w.counters.attempts());
    let amplified = timeline.overall.iter().any(|w| w.counters.retries + w.counters.hedges > 0);
    let drawn = if amplified { &attempts[..] } else { &[] };
    let top = issued.iter().chain(&succeeded).chain(drawn).map(|p| p.1).fold(0.0, f64::max) * 1.15;
    let mut chart = panel(area, axis, linear(0.0..top.max(1.0), "requests per second"), false, timeline)?;
    parts::line(&mut chart, issued, 0, "requests issued")?;
    parts::line(&mut chart, succeeded, 1, "succeeded")?;
    if amplified {
        parts::line(&mut chart, attempts, 3, "attempts (with retries and hedges)")?;
    }
    label_faults(&mut chart, timeline, axis, top)?;
    parts::legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Writes each fault's name at the top of its shading.
fn label_faults<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB, RangedCoordf64>,
    timeline: &TimelineView,
    axis: &TimeAxis,
    top: f64,
) -> Drawn<DB> {
    let style = (FONT, TICK_SIZE).into_font().color(&ALARM);
    for fault in marked_faults(timeline) {
        let at = (axis.x(fault.start_s), top);
        chart.draw_series(std::iter::once(Text::new(format!(" {}", fault.name), at, style.clone())))?;
    }
    Ok(())
}

/// A client region's availability per window, and its lowest.
struct RegionLine<'a> {
    name: &'a str,
    points: Vec<(f64, f64)>,
    lowest: f64,
}

fn draw_availability<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, timeline: &TimelineView, axis: &TimeAxis) -> Drawn<DB> {
    let percent = |windows: &[Window]| -> Vec<(f64, f64)> {
        windows.iter().filter_map(|w| w.counters.availability().map(|a| (axis.middle(w), a * 100.0))).collect()
    };
    let overall = percent(&timeline.overall);
    let mut worst: Vec<RegionLine> = timeline
        .regions
        .iter()
        .map(|(name, windows)| {
            let points = percent(windows);
            let lowest = points.iter().map(|p| p.1).fold(100.0, f64::min);
            RegionLine { name, points, lowest }
        })
        .filter(|line| line.lowest < 99.9)
        .collect();
    worst.sort_by(|a, b| a.lowest.total_cmp(&b.lowest).then_with(|| a.name.cmp(b.name)));
    worst.truncate(MAX_REGION_LINES);
    let lowest = overall.iter().map(|p| p.1).chain(worst.iter().map(|w| w.lowest)).fold(100.0, f64::min);
    let floor = if lowest >= 99.0 { 98.0 } else { (lowest - 5.0).max(0.0).floor() };
    let mut chart = panel(area, axis, linear(floor..100.5, "availability (%)"), false, timeline)?;
    parts::line(&mut chart, overall, 0, "all clients")?;
    for (index, region) in worst.into_iter().enumerate() {
        parts::line(&mut chart, region.points, index + 1, region.name)?;
    }
    parts::legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn draw_latency<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, timeline: &TimelineView, axis: &TimeAxis) -> Drawn<DB> {
    let series = |pick: fn(&Window) -> Option<f64>| -> Vec<(f64, f64)> {
        timeline.overall.iter().filter_map(|w| pick(w).filter(|v| *v > 0.0).map(|v| (axis.middle(w), v))).collect()
    };
    let p50 = series(|w| w.p50_ms);
    let p99 = series(|w| w.p99_ms);
    let bounds = log_range(p50.iter().chain(&p99).map(|p| p.1));
    let y = YAxis {
        range: bounds.clone().log_scale(),
        bounds,
        description: "latency (ms, log scale)",
        labels: 30,
        format: |v| style::format_log_ms(*v),
    };
    let mut chart = panel(area, axis, y, true, timeline)?;
    parts::line(&mut chart, p50, 0, "p50")?;
    parts::line(&mut chart, p99, 1, "p99")?;
    parts::legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The colour of a server state on the bands (Okabe–Ito hues, ordered light to dark by how
/// bad the state is, so the order survives greyscale).
fn state_colour(state: &str) -> RGBColor {
    match state {
        "target" => RGBColor(0xB8, 0xE0, 0xD2),
        "recovery" => RGBColor(0x56, 0xB4, 0xE9),
        "degraded" => RGBColor(0xE6, 0x9F, 0x00),
        "floor" => RGBColor(0xD5, 0x5E, 0x00),
        "out of DNS" => RGBColor(0xCC, 0x79, 0xA7),
        _ => RGBColor(0x33, 0x33, 0x33),
    }
}

const STATES: [&str; 6] = ["target", "recovery", "degraded", "floor", "out of DNS", "down"];

fn draw_bands<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    timeline: &TimelineView,
    axis: &TimeAxis,
) -> Drawn<DB> {
    let rows = timeline.bands.len().min(MAX_BANDS);
    let (plot, key) = area.split_vertically(12 + BAND_ROW * rows as u32);
    let chart = ChartBuilder::on(&plot)
        .margin_left(18)
        .margin_right(18)
        .margin_top(6)
        .y_label_area_size(axis.label_area)
        .build_cartesian_2d(axis.range.clone(), 0.0..rows as f64)?;
    let label_style = (FONT, TICK_SIZE).into_font().color(&INK);
    for (row, band) in timeline.bands.iter().take(rows).enumerate() {
        let (y0, y1) = (rows as f64 - row as f64 - 0.9, rows as f64 - row as f64 - 0.1);
        let spans =
            band.spans.iter().map(|s| Rectangle::new([(axis.x(s.from_s), y0), (axis.x(s.until_s), y1)], state_colour(s.state).filled()));
        chart.plotting_area().draw(&Rectangle::new([(axis.range.start, y0), (axis.range.end, y1)], RGBColor(0xF2, 0xF2, 0xF2).filled()))?;
        for span in spans {
            chart.plotting_area().draw(&span)?;
        }
        let (x, y) = chart.backend_coord(&(axis.range.start, (y0 + y1) / 2.0));
        let anchor = label_style.pos(Pos::new(HPos::Right, VPos::Center));
        root.draw_text(&band.label, &anchor, (x - 8, y))?;
    }
    draw_state_key(&key, timeline)
}

/// A key of the states that occur, left to right.
fn draw_state_key<DB: DrawingBackend>(key: &DrawingArea<DB, Shift>, timeline: &TimelineView) -> Drawn<DB> {
    let present: Vec<&str> =
        STATES.into_iter().filter(|s| timeline.bands.iter().any(|b| b.spans.iter().any(|span| span.state == *s))).collect();
    let style = (FONT, TICK_SIZE).into_font().color(&INK);
    key.draw_text("server state:", &style, (96, 14))?;
    let mut x = 210;
    for state in present {
        key.draw(&Rectangle::new([(x, 12), (x + 26, 30)], state_colour(state).filled()))?;
        key.draw(&Rectangle::new([(x, 12), (x + 26, 30)], MUTED.stroke_width(1)))?;
        key.draw_text(state, &style, (x + 32, 14))?;
        x += 46 + 9 * state.len() as i32;
    }
    if timeline.bands.len() > MAX_BANDS {
        let more = format!("(first {MAX_BANDS} of {} servers)", timeline.bands.len());
        key.draw_text(&more, &(FONT, TICK_SIZE).into_font().color(&MUTED), (x + 10, 14))?;
    }
    Ok(())
}
