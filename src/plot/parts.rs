//! Pieces every chart draws the same way: the heading, the axes' style, a series line with its
//! legend entry, the legend box, and the note on a chart with nothing to draw.

use super::Drawn;
use super::style::{self, FONT, INK, LABEL_SIZE, MUTED, TICK_SIZE, TITLE_SIZE};
use plotters::chart::{MeshStyle, SeriesLabelPosition};
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The house style of a chart's axes and grid: tick and axis-title fonts, a light grid.
pub fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style((FONT, TICK_SIZE)).axis_desc_style((FONT, LABEL_SIZE)).bold_line_style(style::GRID).light_line_style(WHITE)
}

/// Draws `points` as series `index` (its colour and dash; the first a little thicker), with a
/// legend entry named `label`.
pub fn line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    points: Vec<(f64, f64)>,
    index: usize,
    label: &str,
) -> Drawn<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (colour, dash) = style::series(index);
    let stroke = colour.stroke_width(if index == 0 { 3 } else { 2 });
    let annotation = match dash {
        None => chart.draw_series(LineSeries::new(points, stroke))?,
        Some((dash, gap)) => chart.draw_series(DashedLineSeries::new(points, dash, gap, stroke))?,
    };
    annotation.label(label.to_string()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], stroke));
    Ok(())
}

/// The legend of the series drawn, in a white box at `position`.
pub fn legend<'a, DB, X, Y>(chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>, position: SeriesLabelPosition) -> Drawn<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(MUTED)
        .label_font((FONT, TICK_SIZE))
        .draw()
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

/// Says so in the middle of an empty chart (no request succeeded).
pub fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    let (width, height) = area.dim_in_pixel();
    let style = (FONT, LABEL_SIZE).into_font().color(&MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("no successful request to draw", &style, (width as i32 / 2, height as i32 / 2))
}

/// The power of ten at or below `value` (> 0): where a log axis starts so that it is labelled.
pub fn decade_below(value: f64) -> f64 {
    10f64.powf(value.log10().floor())
}
