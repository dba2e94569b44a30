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
use std::path::{Path, PathBuf};

/// Something drawable on any plotters backend.
pub trait Chart {
    /// Width and height in pixels (the SVG's size too).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB>;
}

pub type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One chart, drawn both ways.
pub struct Figure {
    /// File stem: `<stem>.png` and `<stem>.svg`.
    pub stem: String,
    /// What it shows, for the report's heading.
    pub title: String,
    pub png: Vec<u8>,
    pub svg: String,
}

/// Draws `chart` as PNG and as SVG.
pub fn render<C: Chart>(stem: &str, title: &str, chart: &C) -> Result<Figure, String> {
    style::register_font();
    let (width, height) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw_on(chart, &root).map_err(|e| format!("{stem}.svg: {e}"))?;
    }
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw_on(chart, &root).map_err(|e| format!("{stem}.png: {e}"))?;
    }
    let png = encode_png(&pixels, width, height).map_err(|e| format!("{stem}.png: {e}"))?;
    Ok(Figure { stem: stem.to_string(), title: title.to_string(), png, svg })
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

/// Every figure of a run, in the order the report shows them.
pub fn figures(view: &view::RunView) -> Result<Vec<Figure>, String> {
    let mut figures = vec![
        render("latency_percentiles", "Latency by percentile", &latency::Spectrum::of(view))?,
        render("latency_cdf", "Latency distribution (CDF)", &latency::Cdf::of(view))?,
    ];
    if view.timeline.is_some() {
        figures.push(render("timeline", "Timeline", &timeline::TimelineChart::of(view))?);
    }
    figures.push(render("rtt_heatmap", "Round-trip times between the scenario's regions", &rtt::Heatmap::of(&view.network))?);
    if let Some(cut) = rtt::CutDifference::of(&view.network) {
        let title = cut.title();
        figures.push(render("rtt_cut", &title, &cut)?);
    }
    figures.push(render("world_map", "World map", &map::WorldMap::of(&view.network))?);
    Ok(figures)
}

/// The latency spectrum and CDF of several variants on one chart each.
pub fn comparison_figures(views: &[&view::RunView]) -> Result<Vec<Figure>, String> {
    Ok(vec![
        render("variants_latency_percentiles", "Latency by percentile, per variant", &latency::Spectrum::of_variants(views))?,
        render("variants_latency_cdf", "Latency distribution (CDF), per variant", &latency::Cdf::of_variants(views))?,
    ])
}

/// The charts of one run ([`figures`]), and of variants compared ([`comparison_figures`]).
pub const RUN_STEMS: [&str; 6] = ["latency_percentiles", "latency_cdf", "timeline", "rtt_heatmap", "rtt_cut", "world_map"];
pub const COMPARISON_STEMS: [&str; 2] = ["variants_latency_percentiles", "variants_latency_cdf"];

/// Writes each figure as `<stem>.png` and `<stem>.svg` into `dir`, and removes the charts of
/// `family` this call did not draw; returns the paths written.
///
/// A chart a run does not draw (no cut to imagine, no timeline for merged seeds) must not survive
/// from an earlier run into the same folder, where it would pass for this run's.
pub fn write(dir: &Path, figures: &[Figure], family: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(figures.len() * 2);
    for figure in figures {
        written.push(crate::report::write_file(dir, &format!("{}.png", figure.stem), &figure.png)?);
        written.push(crate::report::write_file(dir, &format!("{}.svg", figure.stem), figure.svg.as_bytes())?);
    }
    for stem in family.iter().filter(|stem| !figures.iter().any(|f| f.stem == **stem)) {
        for extension in ["png", "svg"] {
            match std::fs::remove_file(dir.join(format!("{stem}.{extension}"))) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
    }
    Ok(written)
}
