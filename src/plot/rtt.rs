//! The RTT heatmap between the scenario's regions, and how it changes under a cut: the
//! scenario's own cut faults if it has any, else the single cable or cable group whose loss
//! would hurt its clients most (a what-if the chart's title names as such).

use super::parts::heading;
use super::style::{self, ALARM, FONT, INK, LABEL_SIZE, MUTED, TICK_SIZE, WIDTH};
use super::view::NetworkView;
use super::{Chart, Drawn};
use crate::world::{LinkId, LinkKind, LinkState, Network, RegionId, RttMatrix};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const LABELS: i32 = 120;
const TOP: i32 = 64 + LABELS;
const LEFT: i32 = 40 + LABELS;

/// Per pair of regions, a value in ms (`None`: no route, or cut off).
type Cells = Vec<Vec<Option<f64>>>;

/// What a grid's cells hold.
#[derive(Clone, Copy)]
enum Scale {
    /// The round-trip time.
    Rtt,
    /// The round-trip time a cut adds.
    Added,
}

/// A matrix of the scenario's regions, from (rows) and to (columns).
pub struct RttGrid {
    pub title: String,
    subtitle: String,
    labels: Vec<String>,
    cells: Cells,
    scale: Scale,
}

/// The heatmap of today's RTTs and, when there is a cut to show, what it adds.
pub fn grids(view: &NetworkView) -> (RttGrid, Option<RttGrid>) {
    let regions = view.used_regions();
    let labels: Vec<String> = regions.iter().map(|r| view.topology.region(*r).id.clone()).collect();
    let today = network_without(view, &[]);
    let base = cells(view, &today, &regions);
    let cut = cut_to_show(view, &regions, &today, &base).map(|(what, subtitle, links)| RttGrid {
        title: format!("Change in round-trip time {what}"),
        subtitle,
        labels: labels.clone(),
        cells: difference(&base, &cells(view, &network_without(view, &links), &regions)),
        scale: Scale::Added,
    });
    let heatmap = RttGrid {
        title: format!("Round-trip time · {}", view.topology.name),
        subtitle: "between the regions with clients or servers, along the lowest-latency routes, all links up".to_string(),
        labels,
        cells: base,
        scale: Scale::Rtt,
    };
    (heatmap, cut)
}

/// The network with `cut` down and routing converged.
fn network_without(view: &NetworkView, cut: &[LinkId]) -> Network {
    let mut state = LinkState::all_up(&view.topology);
    state.cut(cut);
    Network::with_links(&view.topology, state)
}

/// RTTs in ms between `regions` along `network`'s routes.
fn cells(view: &NetworkView, network: &Network, regions: &[RegionId]) -> Cells {
    let rtts = RttMatrix::of(network, view.topology.intra_region_rtt);
    regions.iter().map(|a| regions.iter().map(|b| rtts.rtt(*a, *b).map(|d| d.as_secs_f64() * 1e3)).collect()).collect()
}

/// The scenario's cuts together; or, when it has none, the most harmful single cut: what the
/// title says of it, the subtitle, and its links.
fn cut_to_show(view: &NetworkView, regions: &[RegionId], today: &Network, base: &Cells) -> Option<(String, String, Vec<LinkId>)> {
    if view.cuts.is_empty() {
        let (name, links) = most_harmful_cut(view, regions, today, base)?;
        let subtitle = "this scenario cuts nothing: the cable or group whose loss adds most RTT from clients to servers";
        return Some((format!("if `{name}` were cut"), subtitle.to_string(), links));
    }
    let names: Vec<&str> = view.cuts.iter().map(|c| c.name.as_str()).collect();
    let links = view.cuts.iter().flat_map(|c| c.links.iter().copied()).collect();
    let subtitle = if view.cuts_overlap() {
        "all cut faults at once, after routing re-converged"
    } else {
        "all cut faults at once, after routing re-converged (in the run they were not all down together)"
    };
    Some((format!("under the scenario's cut ({})", names.join(", ")), subtitle.to_string(), links))
}

fn difference(base: &Cells, after: &Cells) -> Cells {
    base.iter()
        .zip(after)
        .map(|(b, a)| {
            b.iter()
                .zip(a)
                .map(|(before, after)| match (before, after) {
                    (Some(before), Some(after)) => Some((after - before).max(0.0)),
                    (None, None) => Some(0.0),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// Of the cuts of submarine cables (a cable, or a group of nothing but cables), the one that
/// cuts off the fewest client–server pairs and, among those, adds most RTT between them (a
/// chart of pairs cut off says little).
fn most_harmful_cut(view: &NetworkView, regions: &[RegionId], today: &Network, base: &Cells) -> Option<(String, Vec<LinkId>)> {
    let pairs: Vec<(usize, usize)> = regions
        .iter()
        .enumerate()
        .filter(|(_, r)| view.clients.contains(r))
        .flat_map(|(i, _)| regions.iter().enumerate().filter(|(_, r)| view.servers.contains(r)).map(move |(j, _)| (i, j)))
        .collect();
    // A cut that touches none of today's client–server routes changes none of their RTTs.
    let mut on_routes = vec![false; view.topology.links.len()];
    for &(i, j) in &pairs {
        for link in today.route_links(regions[i], regions[j]).iter().chain(today.route_links(regions[j], regions[i])) {
            on_routes[link.0 as usize] = true;
        }
    }
    let mut best: Option<((usize, f64), String, Vec<LinkId>)> = None;
    for name in view.topology.cut_names() {
        let links = view.topology.resolve_cut(name).unwrap_or_default();
        let cables_only = links.iter().all(|l| view.topology.links[l.0 as usize].kind == LinkKind::Cable);
        if links.is_empty() || !cables_only || !links.iter().any(|l| on_routes[l.0 as usize]) {
            continue;
        }
        let after = cells(view, &network_without(view, &links), regions);
        let mut score = (0usize, 0.0f64);
        for &(i, j) in &pairs {
            match (base[i][j], after[i][j]) {
                (Some(b), Some(a)) => score.1 += a - b,
                (Some(_), None) => score.0 += 1,
                _ => {}
            }
        }
        let better = best.as_ref().is_none_or(|(s, _, _)| score.0 < s.0 || (score.0 == s.0 && score.1 > s.1 + 1e-9));
        if better && (score.0 > 0 || score.1 > 1e-6) {
            best = Some((score, name.to_string(), links));
        }
    }
    best.map(|(_, name, links)| (name, links))
}

fn cell_size(count: usize) -> i32 {
    (760 / count.max(1) as i32).clamp(18, 56)
}

impl Chart for RttGrid {
    fn size(&self) -> (u32, u32) {
        let side = cell_size(self.labels.len()) * self.labels.len() as i32;
        (WIDTH.max((LEFT + side + 220) as u32), (TOP + side + 40) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        heading(root, &self.title, &self.subtitle)?;
        let high = self.cells.iter().flatten().flatten().fold(1.0f64, |m, v| m.max(*v));
        let (colour, sign, caption): (fn(f64) -> RGBColor, &str, &str) = match self.scale {
            Scale::Rtt => (style::viridis, "", "RTT (ms)"),
            Scale::Added => (increase_colour, "+", "RTT added (ms); black: cut off"),
        };
        draw_grid(root, &self.labels, &self.cells, |v| colour(v / high), sign)?;
        colour_bar(root, self.labels.len(), high, &colour, caption)
    }
}

/// White for no change, through the palette's vermillion to a dark brown for the most.
fn increase_colour(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8, s: f64| (a as f64 + (b as f64 - a as f64) * s).round() as u8;
    let (from, to, s) = if t < 0.6 {
        ((0xFF, 0xFF, 0xFF), (ALARM.0, ALARM.1, ALARM.2), t / 0.6)
    } else {
        ((ALARM.0, ALARM.1, ALARM.2), (0x4A, 0x1A, 0x00), (t - 0.6) / 0.4)
    };
    RGBColor(mix(from.0, to.0, s), mix(from.1, to.1, s), mix(from.2, to.2, s))
}

/// The cells with their values written in, rows labelled on the left (from) and columns on top
/// (to).
fn draw_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    cells: &[Vec<Option<f64>>],
    colour: impl Fn(f64) -> RGBColor,
    sign: &str,
) -> Drawn<DB> {
    let size = cell_size(labels.len());
    let value_font = (FONT, (size as u32 / 3).clamp(9, 14)).into_font();
    let centre = Pos::new(HPos::Center, VPos::Center);
    for (row, values) in cells.iter().enumerate() {
        for (column, value) in values.iter().enumerate() {
            let (x, y) = (LEFT + column as i32 * size, TOP + row as i32 * size);
            let fill = value.map_or(RGBColor(0, 0, 0), &colour);
            root.draw(&Rectangle::new([(x, y), (x + size, y + size)], fill.filled()))?;
            root.draw(&Rectangle::new([(x, y), (x + size, y + size)], WHITE.stroke_width(1)))?;
            let text = match value {
                Some(v) if *v == 0.0 && !sign.is_empty() => String::new(),
                Some(v) => format!("{sign}{v:.0}"),
                None => "×".to_string(),
            };
            let ink = if style::wants_light_text(fill) { WHITE } else { INK };
            root.draw_text(&text, &value_font.clone().color(&ink).pos(centre), (x + size / 2, y + size / 2))?;
        }
    }
    let label_font = (FONT, TICK_SIZE).into_font().color(&INK);
    for (index, label) in labels.iter().enumerate() {
        let middle = index as i32 * size + size / 2;
        root.draw_text(label, &label_font.clone().pos(Pos::new(HPos::Right, VPos::Center)), (LEFT - 8, TOP + middle))?;
        let upward = label_font.clone().transform(FontTransform::Rotate270).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw_text(label, &upward, (LEFT + middle, TOP - 8))?;
    }
    let axis_font = (FONT, LABEL_SIZE).into_font().color(&MUTED);
    root.draw_text("from ↓   to →", &axis_font, (18, TOP - 28))
}

/// A vertical scale from 0 to `high` beside the grid.
fn colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    count: usize,
    high: f64,
    colour: &dyn Fn(f64) -> RGBColor,
    caption: &str,
) -> Drawn<DB> {
    let side = cell_size(count) * count as i32;
    let x = LEFT + side + 40;
    let steps = 100;
    for step in 0..steps {
        let t = 1.0 - step as f64 / steps as f64;
        let y = TOP + side * step / steps;
        root.draw(&Rectangle::new([(x, y), (x + 22, y + side / steps + 1)], colour(t).filled()))?;
    }
    root.draw(&Rectangle::new([(x, TOP), (x + 22, TOP + side)], MUTED.stroke_width(1)))?;
    let font = (FONT, TICK_SIZE).into_font().color(&INK);
    for tick in 0..=4 {
        let value = high * tick as f64 / 4.0;
        let y = TOP + side - side * tick / 4;
        let decimals = if high >= 20.0 { 0 } else { 1 };
        root.draw_text(&format!("{value:.decimals$}"), &font.clone().pos(Pos::new(HPos::Left, VPos::Center)), (x + 28, y))?;
    }
    let upward = (FONT, LABEL_SIZE).into_font().color(&INK).transform(FontTransform::Rotate90).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(caption, &upward, (x + 100, TOP + side / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_is_what_the_cut_adds_and_marks_pairs_cut_off() {
        let base = vec![vec![Some(1.0), Some(100.0)], vec![Some(100.0), None]];
        let after = vec![vec![Some(1.0), Some(180.0)], vec![None, None]];
        assert_eq!(difference(&base, &after), vec![vec![Some(0.0), Some(80.0)], vec![None, Some(0.0)]]);
    }

    #[test]
    fn the_increase_scale_runs_from_white() {
        assert_eq!(increase_colour(0.0), RGBColor(0xFF, 0xFF, 0xFF));
        assert_eq!(increase_colour(0.6), ALARM);
        assert!(style::wants_light_text(increase_colour(1.0)));
    }
}
