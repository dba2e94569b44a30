//! How every chart looks: the embedded font, the palette, line styles and number formats.
//!
//! The palette is Okabe and Ito's eight colours, chosen to stay apart for the common forms of
//! colour-blindness; series also differ by dash pattern, so a chart printed in grey still tells
//! them apart. Sequential scales (heatmaps, link load) use viridis, which is monotone in
//! lightness.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// The font family every chart names. PNGs draw it with the embedded DejaVu Sans; SVGs leave it
/// to the viewer's own sans-serif.
pub const FONT: &str = "sans-serif";

pub const WIDTH: u32 = 1200;
pub const TITLE_SIZE: u32 = 26;
pub const LABEL_SIZE: u32 = 17;
pub const TICK_SIZE: u32 = 14;

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub const MUTED: RGBColor = RGBColor(0x88, 0x88, 0x88);
pub const LAND: RGBColor = RGBColor(0x9A, 0x9A, 0x9A);
/// Faults, cuts and anything that went wrong: Okabe–Ito vermillion.
pub const ALARM: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// Okabe–Ito, darkest first (yellow last: it is the hardest to see on white).
pub const SERIES: [RGBColor; 8] = [
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// The most series a chart draws; more would not be told apart (the subtitle says which).
pub const MAX_SERIES: usize = 9;

/// How series `index` is drawn: its colour and dash pattern (`None`: solid).
pub fn series(index: usize) -> (RGBColor, Option<(u32, u32)>) {
    let colour = SERIES[index % SERIES.len()];
    let dash = match (index / SERIES.len()) % 2 {
        0 if index.is_multiple_of(2) => None,
        0 => Some((10, 4)),
        _ => Some((3, 3)),
    };
    (colour, dash)
}

static FONT_REGISTERED: Once = Once::new();

/// Registers the embedded font once per process; PNG text needs it, SVG layout measures with it.
pub fn register_font() {
    FONT_REGISTERED.call_once(|| {
        static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        // The bytes are compiled in and known to be a valid TrueType font.
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).unwrap_or_else(|_| unreachable!("embedded font is valid"));
    });
}

/// Viridis at `t` in [0, 1], by linear interpolation between nine published stops.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let position = t * (STOPS.len() - 1) as f64;
    let low = (position.floor() as usize).min(STOPS.len() - 2);
    let share = position - low as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * share).round() as u8;
    let (a, b) = (STOPS[low], STOPS[low + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Whether text on `background` should be white rather than ink.
pub fn wants_light_text(background: RGBColor) -> bool {
    let RGBColor(r, g, b) = background;
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b) < 140.0
}

/// A latency in ms as a tick label: no more digits than the magnitude needs.
pub fn format_ms(ms: f64) -> String {
    if ms >= 100.0 || ms == 0.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}").trim_end_matches('0').trim_end_matches('.').to_string()
    } else if ms >= 0.1 {
        format!("{ms:.2}").trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{ms:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A tick label on a log axis: only at 1, 2 and 5 times a power of ten, so the labels near the
/// top of a decade (70, 80, 90) do not run into each other; the grid keeps every line.
pub fn format_log_ms(ms: f64) -> String {
    if ms <= 0.0 {
        return String::new();
    }
    let leading = ms / 10f64.powf(ms.log10().floor());
    let shown = [1.0, 2.0, 5.0].iter().any(|d| (leading - d).abs() < 1e-6) || (leading - 10.0).abs() < 1e-6;
    if shown { format_ms(ms) } else { String::new() }
}

/// A tick label: whole numbers without decimals, others with what they need (up to 3).
pub fn format_number(value: f64) -> String {
    if value.fract().abs() < 1e-9 {
        return format!("{value:.0}");
    }
    format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The unit a time axis of `span_s` seconds reads best in, and its length in seconds.
pub fn time_unit(span_s: f64) -> (&'static str, f64) {
    if span_s <= 1200.0 {
        ("s", 1.0)
    } else if span_s <= 36_000.0 {
        ("min", 60.0)
    } else {
        ("h", 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_dark_to_light() {
        let lightness = |c: RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
        let samples: Vec<f64> = (0..=20).map(|i| lightness(viridis(i as f64 / 20.0))).collect();
        assert!(samples.windows(2).all(|w| w[1] > w[0]), "{samples:?}");
        assert_eq!(viridis(-1.0), viridis(0.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn series_styles_differ_in_colour_or_dash() {
        let styles: Vec<_> = (0..MAX_SERIES).map(series).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn tick_labels_keep_the_digits_that_matter() {
        assert_eq!(format_ms(250.0), "250");
        assert_eq!(format_ms(22.5), "22.5");
        assert_eq!(format_ms(20.0), "20");
        assert_eq!(format_ms(1.25), "1.25");
        assert_eq!(format_ms(0.05), "0.05");
        assert_eq!(format_log_ms(200.0), "200");
        assert_eq!(format_log_ms(0.5), "0.5");
        assert_eq!(format_log_ms(90.0), "");
        assert_eq!(time_unit(300.0).0, "s");
        assert_eq!(time_unit(7200.0).0, "min");
        assert_eq!(time_unit(86_400.0).0, "h");
    }
}
