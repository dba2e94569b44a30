//! The world map: coastlines, every link as great-circle arcs through its waypoints, the
//! scenario's regions as points. Cut links are vermillion, links with gray failures or flapping
//! routes orange and dotted, and where link capacities are modelled each such link is coloured
//! by its peak load.
//!
//! Simplification: the projection is equirectangular (longitude and latitude as x and y),
//! cropped to 58° S – 84° N; distances near the poles look longer than they are.

use super::style::{self, ALARM, FONT, INK, LAND, MUTED, TICK_SIZE, WIDTH};
use super::view::NetworkView;
use super::{Chart, Drawn};
use crate::world::{GeoPoint, LinkKind};
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

const SOUTH: f64 = -58.0;
const NORTH: f64 = 84.0;
/// Longest arc drawn straight, in degrees of the great circle.
const ARC_STEP_DEG: f64 = 2.0;
const CABLE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const TERRESTRIAL: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const DEGRADED: RGBColor = RGBColor(0xE6, 0x9F, 0x00);

type Line = Vec<(f64, f64)>;

/// Natural Earth's 1:110m coastlines, as (lon, lat) lines, parsed once from the embedded file.
fn coastlines() -> &'static [Line] {
    static LINES: OnceLock<Vec<Line>> = OnceLock::new();
    LINES.get_or_init(|| {
        static GEOJSON: &str = include_str!("../../assets/ne_110m_coastline.geojson");
        let parsed: serde_json::Value = serde_json::from_str(GEOJSON).unwrap_or_default();
        let features = parsed["features"].as_array().map(Vec::as_slice).unwrap_or_default();
        features
            .iter()
            .filter_map(|f| f["geometry"]["coordinates"].as_array())
            .map(|points| points.iter().filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?))).collect())
            .collect()
    })
}

/// The great circle from `a` to `b` as (lon, lat) points no more than `ARC_STEP_DEG` apart.
fn arc(a: GeoPoint, b: GeoPoint) -> Line {
    let vector = |p: GeoPoint| {
        let (lat, lon) = (p.lat_deg.to_radians(), p.lon_deg.to_radians());
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    };
    let (u, v) = (vector(a), vector(b));
    let dot = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]).clamp(-1.0, 1.0);
    let angle = dot.acos();
    let steps = ((angle.to_degrees() / ARC_STEP_DEG).ceil() as usize).max(1);
    (0..=steps)
        .map(|i| {
            let t = i as f64 / steps as f64;
            let (wa, wb) =
                if angle < 1e-9 { (1.0 - t, t) } else { (((1.0 - t) * angle).sin() / angle.sin(), (t * angle).sin() / angle.sin()) };
            let p = [wa * u[0] + wb * v[0], wa * u[1] + wb * v[1], wa * u[2] + wb * v[2]];
            (p[1].atan2(p[0]).to_degrees(), p[2].atan2(p[0].hypot(p[1])).to_degrees())
        })
        .collect()
}

/// Splits a (lon, lat) line where it crosses the antimeridian, ending one piece at the map's
/// edge and starting the next at the other edge.
fn split_at_antimeridian(line: &[(f64, f64)]) -> Vec<Line> {
    let mut pieces = vec![Vec::new()];
    for (index, &(lon, lat)) in line.iter().enumerate() {
        if index > 0 {
            let (prev_lon, prev_lat) = line[index - 1];
            if (lon - prev_lon).abs() > 180.0 {
                let edge = if prev_lon > 0.0 { 180.0 } else { -180.0 };
                let unwrapped = if prev_lon > 0.0 { lon + 360.0 } else { lon - 360.0 };
                let share = (edge - prev_lon) / (unwrapped - prev_lon);
                let crossing = prev_lat + (lat - prev_lat) * share;
                pieces.last_mut().expect("one piece at least").push((edge, crossing));
                pieces.push(vec![(-edge, crossing)]);
            }
        }
        pieces.last_mut().expect("one piece at least").push((lon, lat));
    }
    pieces.retain(|p| p.len() > 1);
    pieces
}

/// How one link is drawn.
#[derive(Clone, Copy)]
struct LinkStyle {
    colour: RGBColor,
    width: u32,
    dash: Option<(u32, u32)>,
}

const CUT: LinkStyle = LinkStyle { colour: ALARM, width: 4, dash: Some((8, 5)) };
const DEGRADED_LINK: LinkStyle = LinkStyle { colour: DEGRADED, width: 3, dash: Some((3, 4)) };

/// Draws a polyline on `area` (in its coordinates) in `style`.
fn draw_path<DB: DrawingBackend, CT: CoordTranslate>(area: &DrawingArea<DB, CT>, points: Vec<CT::From>, style: LinkStyle) -> Drawn<DB>
where
    CT::From: Clone + 'static,
{
    let stroke = style.colour.stroke_width(style.width);
    match style.dash {
        None => area.draw(&PathElement::new(points, stroke)),
        Some((dash, gap)) => {
            for element in DashedLineSeries::new(points, dash, gap, stroke) {
                area.draw(&element)?;
            }
            Ok(())
        }
    }
}

pub struct WorldMap<'a> {
    view: &'a NetworkView,
    loads_modelled: bool,
}

impl<'a> WorldMap<'a> {
    pub fn of(view: &'a NetworkView) -> Self {
        WorldMap { view, loads_modelled: view.peak_load.iter().any(Option::is_some) }
    }

    fn link_style(&self, index: usize, kind: LinkKind) -> LinkStyle {
        let id = crate::world::LinkId(index as u32);
        if self.view.cuts.iter().any(|cut| cut.links.contains(&id)) {
            return CUT;
        }
        if self.view.degraded.contains(&id) {
            return DEGRADED_LINK;
        }
        if let Some(load) = self.view.peak_load[index] {
            return LinkStyle { colour: style::viridis(load), width: 3, dash: None };
        }
        self.plain(kind)
    }

    /// A link with nothing to say: by kind, and grey when loads are drawn.
    fn plain(&self, kind: LinkKind) -> LinkStyle {
        let faint = self.loads_modelled;
        match kind {
            LinkKind::Cable => LinkStyle { colour: if faint { MUTED } else { CABLE }, width: 1, dash: None },
            LinkKind::Terrestrial => LinkStyle { colour: if faint { MUTED } else { TERRESTRIAL }, width: 1, dash: Some((5, 3)) },
        }
    }

    fn subtitle(&self) -> String {
        let load = if self.loads_modelled { "; links with a capacity coloured by peak load" } else { "" };
        let regions = |n: usize| if n == 1 { "1 region".to_string() } else { format!("{n} regions") };
        format!(
            "{} with clients, {} with servers; links as great-circle arcs through their waypoints{load}",
            regions(self.view.clients.len()),
            regions(self.view.servers.len())
        )
    }
}

type MapChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

impl Chart for WorldMap<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, 64 + 520 + 70)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let body = super::parts::heading(root, &format!("World map · {}", self.view.topology.name), &self.subtitle())?;
        let (map, key) = body.split_vertically(530);
        let mut chart =
            ChartBuilder::on(&map).margin_left(20).margin_right(20).margin_top(4).build_cartesian_2d(-180.0..180.0, SOUTH..NORTH)?;
        chart.plotting_area().fill(&RGBColor(0xF4, 0xF8, 0xFB))?;
        graticule(&mut chart)?;
        for line in coastlines() {
            for piece in split_at_antimeridian(line) {
                chart.draw_series(std::iter::once(PathElement::new(piece, LAND.stroke_width(1))))?;
            }
        }
        self.draw_links(&mut chart)?;
        self.draw_regions(root, &mut chart)?;
        self.draw_key(&key)
    }
}

fn graticule<'a, DB: DrawingBackend + 'a>(chart: &mut MapChart<'a, DB>) -> Drawn<DB> {
    let grid = RGBColor(0xDD, 0xE4, 0xEA).stroke_width(1);
    for lon in (-150..=150).step_by(30) {
        chart.draw_series(std::iter::once(PathElement::new(vec![(lon as f64, SOUTH), (lon as f64, NORTH)], grid)))?;
    }
    for lat in (-30..=60).step_by(30) {
        chart.draw_series(std::iter::once(PathElement::new(vec![(-180.0, lat as f64), (180.0, lat as f64)], grid)))?;
    }
    Ok(())
}

impl WorldMap<'_> {
    fn draw_links<'a, DB: DrawingBackend + 'a>(&self, chart: &mut MapChart<'a, DB>) -> Drawn<DB> {
        // Plain links first, so highlighted ones are drawn over them.
        let mut order: Vec<(usize, LinkStyle)> =
            self.view.topology.links.iter().enumerate().map(|(i, l)| (i, self.link_style(i, l.kind))).collect();
        order.sort_by_key(|(i, s)| (s.width, *i));
        for (index, style) in order {
            let path = &self.view.topology.links[index].path;
            let line: Line = path.windows(2).flat_map(|pair| arc(pair[0], pair[1])).collect();
            for piece in split_at_antimeridian(&line) {
                draw_path(chart.plotting_area(), piece, style)?;
            }
        }
        Ok(())
    }

    fn draw_regions<'a, DB: DrawingBackend + 'a>(&self, root: &DrawingArea<DB, Shift>, chart: &mut MapChart<'a, DB>) -> Drawn<DB> {
        let topology = &self.view.topology;
        let used = self.view.used_regions();
        for (index, region) in topology.regions.iter().enumerate() {
            let id = crate::world::RegionId(index as u32);
            if !used.contains(&id) {
                let at = (region.position.lon_deg, region.position.lat_deg);
                chart.draw_series(std::iter::once(Circle::new(at, 2, MUTED.filled())))?;
            }
        }
        let label = (FONT, 12).into_font().color(&INK);
        for &id in &used {
            let region = topology.region(id);
            let at = (region.position.lon_deg, region.position.lat_deg);
            if self.view.clients.contains(&id) {
                chart.draw_series(std::iter::once(Circle::new(at, 5, CABLE.filled())))?;
            }
            if self.view.servers.contains(&id) {
                let square = EmptyElement::at(at) + Rectangle::new([(-5, -5), (5, 5)], INK.filled());
                chart.draw_series(std::iter::once(square))?;
            }
        }
        let mut placed: Vec<Box> = Vec::new();
        for &id in &used {
            let region = topology.region(id);
            let point = chart.backend_coord(&(region.position.lon_deg, region.position.lat_deg));
            let (x, y) = place_label(point, &region.id, &mut placed);
            root.draw_text(&region.id, &label, (x, y))?;
        }
        Ok(())
    }

    /// The key: what points and lines mean, and the load scale when loads are drawn.
    fn draw_key<DB: DrawingBackend>(&self, key: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let font = (FONT, TICK_SIZE).into_font().color(&INK);
        let mut x = 24;
        key.draw(&Rectangle::new([(x, 14), (x + 10, 24)], INK.filled()))?;
        key.draw_text("servers", &font, (x + 16, 11))?;
        x += 100;
        key.draw(&Circle::new((x + 5, 19), 5, CABLE.filled()))?;
        key.draw_text("clients", &font, (x + 16, 11))?;
        x += 100;
        // Plain links a little thicker in the key, to be seen.
        let thicker = |style: LinkStyle| LinkStyle { width: 2, ..style };
        let mut entries =
            vec![("cable", thicker(self.plain(LinkKind::Cable))), ("terrestrial", thicker(self.plain(LinkKind::Terrestrial)))];
        if !self.view.cuts.is_empty() {
            entries.push(("cut", CUT));
        }
        if !self.view.degraded.is_empty() {
            entries.push(("gray or flapping", DEGRADED_LINK));
        }
        for (name, style) in entries {
            draw_path(key, vec![(x, 19), (x + 36, 19)], style)?;
            key.draw_text(name, &font, (x + 42, 11))?;
            x += 60 + 9 * name.len() as i32;
        }
        if self.loads_modelled {
            key.draw_text("peak load:", &font, (x, 11))?;
            x += 84;
            for step in 0..100 {
                key.draw(&Rectangle::new([(x + step * 2, 12), (x + step * 2 + 2, 26)], style::viridis(step as f64 / 100.0).filled()))?;
            }
            key.draw_text("0 %", &font, (x, 30))?;
            key.draw_text("100 % of capacity", &font, (x + 150, 30))?;
        }
        key.draw_text("Coastlines: Made with Natural Earth", &(FONT, 12).into_font().color(&MUTED), (WIDTH as i32 - 250, 46))
    }
}

/// A label's extent in pixels: left, top, right, bottom.
type Box = (i32, i32, i32, i32);

/// Where a region's label goes: beside its point, on the first side (right above, right below,
/// left above, left below) where it overlaps no label placed before; the first if none is free.
fn place_label(point: (i32, i32), text: &str, placed: &mut Vec<Box>) -> (i32, i32) {
    let (width, height) = (7 * text.chars().count() as i32, 13);
    let (x, y) = point;
    let sides = [(x + 7, y - 15), (x + 7, y + 3), (x - 7 - width, y - 15), (x - 7 - width, y + 3)];
    let overlaps = |b: &Box, (left, top): (i32, i32)| left < b.2 && b.0 < left + width && top < b.3 && b.1 < top + height;
    let chosen = sides.iter().copied().find(|side| !placed.iter().any(|b| overlaps(b, *side))).unwrap_or(sides[0]);
    placed.push((chosen.0, chosen.1, chosen.0 + width, chosen.1 + height));
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_nearby_regions_move_aside() {
        let mut placed = Vec::new();
        let first = place_label((100, 100), "london", &mut placed);
        let second = place_label((104, 102), "paris", &mut placed);
        assert_eq!(first, (107, 85));
        assert_ne!(second.1, 87, "the second label does not sit on the first");
        assert_eq!(placed.len(), 2);
    }

    #[test]
    fn the_embedded_coastlines_are_all_there() {
        let lines = coastlines();
        assert_eq!(lines.len(), 134);
        assert!(lines.iter().map(Vec::len).sum::<usize>() > 5000);
    }

    #[test]
    fn arcs_follow_the_great_circle() {
        // London to New York peaks north of both ends.
        let line = arc(GeoPoint::new(51.5, -0.13), GeoPoint::new(40.7, -74.0));
        let highest = line.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert!(highest > 52.0, "{highest}");
        assert!((line.first().unwrap().0 + 0.13).abs() < 1e-6 && (line.last().unwrap().0 + 74.0).abs() < 1e-6);
    }

    #[test]
    fn a_line_across_the_antimeridian_is_split_at_the_edge() {
        let pieces = split_at_antimeridian(&[(170.0, 0.0), (-170.0, 10.0)]);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(170.0, 0.0), (180.0, 5.0)]);
        assert_eq!(pieces[1], vec![(-180.0, 5.0), (-170.0, 10.0)]);
    }
}
