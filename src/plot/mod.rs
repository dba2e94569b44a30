//! Plots of a run, drawn with plotters as PNG and SVG: the latency percentile spectrum and CDF,
//! the timeline, the RTT heatmap and its change under a cut, and the world map.
//!
//! Architecture invariant: plots read a [`view::RunView`], plain data taken from a finished run
//! (or a variant's replications); they never see the simulator. Drawing is deterministic: the
//! same view gives byte-identical files, since the font is embedded and nothing reads the clock.

pub mod latency;
pub mod map;
pub mod parts;
pub mod rtt;
pub mod style;
pub mod timeline;
pub mod view;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Something drawable on any plotters backend.
pub trait Chart {
    /// Width and height in pixels (the SVG's size too).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB>;
}

pub type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One chart, as SVG and (when it is to be written to a file) as PNG.
pub struct Figure {
    /// File stem: `<stem>.png` and `<stem>.svg`.
    pub stem: String,
    /// What it shows, for the report's heading.
    pub title: String,
    /// `None` when only the SVG is wanted (a report): encoding a PNG is most of a chart's cost.
    pub png: Option<Vec<u8>>,
    pub svg: String,
}

/// Draws `chart` as SVG, and as PNG if `with_png`.
pub fn render<C: Chart>(stem: &str, title: &str, chart: &C, with_png: bool) -> Result<Figure, String> {
    style::register_font();
    let (width, height) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw_on(chart, &root).map_err(|e| format!("{stem}.svg: {e}"))?;
    }
    let png = if with_png { Some(render_png(stem, chart)?) } else { None };
    Ok(Figure { stem: stem.to_string(), title: title.to_string(), png, svg })
}

fn render_png<C: Chart>(stem: &str, chart: &C) -> Result<Vec<u8>, String> {
    let (width, height) = chart.size();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw_on(chart, &root).map_err(|e| format!("{stem}.png: {e}"))?;
    }
    encode_png(&pixels, width, height).map_err(|e| format!("{stem}.png: {e}"))
}

fn draw_on<C: Chart, DB: DrawingBackend>(chart: &C, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
    root.fill(&WHITE)?;
    chart.draw(root)?;
    root.present()
}

/// PNG with fixed settings (no timestamp chunk), so the bytes depend on the pixels alone.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Default deflate: `Fast` halves the encoding time but makes the files 2.6 times larger.
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The charts of one run: its latency and, with a timeline, its timeline.
pub fn run_figures(view: &view::RunView, with_png: bool) -> Result<Vec<Figure>, String> {
    use latency::{Kind, LatencyChart};
    let mut figures = vec![
        render("latency_percentiles", "Latency by percentile", &LatencyChart::of(view, Kind::Percentiles), with_png)?,
        render("latency_cdf", "Latency distribution (CDF)", &LatencyChart::of(view, Kind::Cdf), with_png)?,
    ];
    if let Some(chart) = timeline::TimelineChart::of(view) {
        figures.push(render("timeline", "Timeline", &chart, with_png)?);
    }
    Ok(figures)
}

/// The charts of the network as a run used it: the RTT heatmap, its change under a cut (when
/// there is one to show) and the world map.
pub fn network_figures(network: &view::NetworkView, with_png: bool) -> Result<Vec<Figure>, String> {
    let (heatmap, cut) = rtt::grids(network);
    let mut figures = vec![render("rtt_heatmap", &heatmap.title, &heatmap, with_png)?];
    if let Some(cut) = cut {
        figures.push(render("rtt_cut", &cut.title, &cut, with_png)?);
    }
    figures.push(render("world_map", "World map", &map::WorldMap::of(network), with_png)?);
    Ok(figures)
}

/// The latency spectrum and CDF of several variants on one chart each.
pub fn comparison_figures(views: &[&view::RunView], with_png: bool) -> Result<Vec<Figure>, String> {
    use latency::{Kind, LatencyChart};
    Ok(vec![
        render(
            "variants_latency_percentiles",
            "Latency by percentile, per variant",
            &LatencyChart::of_variants(views, Kind::Percentiles),
            with_png,
        )?,
        render("variants_latency_cdf", "Latency distribution (CDF), per variant", &LatencyChart::of_variants(views, Kind::Cdf), with_png)?,
    ])
}

/// Makes `dir` hold exactly these figures: writes each as `<stem>.png` (when drawn) and
/// `<stem>.svg`, and removes any other chart in it, so that a chart an earlier run left (one
/// this run does not draw, or all of them with `--no-plots`) never passes for this run's.
/// Each `plots/` folder has one writer per run. With no figure and no folder, nothing happens.
pub fn write(dir: &Path, figures: &[&Figure]) -> std::io::Result<()> {
    let mut kept = Vec::with_capacity(figures.len() * 2);
    for figure in figures {
        if let Some(png) = &figure.png {
            crate::report::write_file(dir, &format!("{}.png", figure.stem), png)?;
            kept.push(format!("{}.png", figure.stem));
        }
        crate::report::write_file(dir, &format!("{}.svg", figure.stem), figure.svg.as_bytes())?;
        kept.push(format!("{}.svg", figure.stem));
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let chart = name.ends_with(".png") || name.ends_with(".svg");
        if chart && !kept.contains(&name) {
            std::fs::remove_file(&path)?;
        }
    }
    if figures.is_empty() {
        // Empty now: a run without plots leaves no plots folder.
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}
