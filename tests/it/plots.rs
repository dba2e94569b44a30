//! Plots and report.html through the binary: every figure of the quickstart and of a fault
//! scenario exists, has its size and is not blank; cut cables are highlighted; the report is
//! one self-contained page; and (with Chromium installed, run by .ci/run) it renders.

use crate::support::{repo_path, temp_dir};
use std::path::Path;
use std::process::{Command, Output};

fn planetsim(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_planetsim")).args(args).current_dir(repo_path(".")).output().expect("the binary runs");
    assert!(output.status.success(), "planetsim {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output
}

const FIGURES: [&str; 6] = planetsim::plot::RUN_STEMS;

/// A decoded PNG: width, height and RGB pixels.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG");
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).expect("a frame");
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
        rgb.truncate(info.buffer_size());
        Image { width: info.width, height: info.height, rgb }
    }

    /// Pixels within `tolerance` of `colour` on every channel.
    fn count_near(&self, colour: [u8; 3], tolerance: u8) -> usize {
        self.rgb.chunks_exact(3).filter(|p| (0..3).all(|i| p[i].abs_diff(colour[i]) <= tolerance)).count()
    }

    fn share_not_white(&self) -> f64 {
        let inked = self.rgb.chunks_exact(3).filter(|p| p.iter().any(|c| *c < 235)).count();
        inked as f64 / (self.width * self.height) as f64
    }
}

/// The PNG and SVG of `stem` exist in `dir`, at their size, with ink and the chart's title.
fn assert_drawn(dir: &Path, stem: &str, title: &str) -> Image {
    let image = Image::read(&dir.join(format!("{stem}.png")));
    assert_eq!(image.width, 1200, "{stem}.png width");
    assert!((400..4000).contains(&image.height), "{stem}.png height {}", image.height);
    let ink = image.share_not_white();
    assert!(ink > 0.03, "{stem}.png is nearly blank: {:.1} % inked", ink * 100.0);
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(svg.starts_with("<svg width=\"1200\""), "{stem}.svg");
    assert!(svg.len() > 10_000 && svg.matches("<text").count() > 10, "{stem}.svg has too little in it");
    assert!(svg.contains(title), "{stem}.svg lacks its title {title:?}");
    image
}

#[test]
fn the_quickstart_draws_every_plot() {
    let out = temp_dir("plots-quickstart");
    planetsim(&["run", "scenarios/quickstart.yaml", "--out", out.to_str().unwrap(), "--quiet"]);
    let plots = out.join("plots");
    for stem in FIGURES {
        assert_drawn(&plots, stem, "");
    }
    assert_drawn(&plots, "timeline", "Timeline · quickstart");
    // Tokyo's flash crowd overloads Singapore: the percentile chart draws Singapore among the
    // regions with the highest p99, and the cut it imagines is a cable (no scenario cut).
    let spectrum = std::fs::read_to_string(plots.join("latency_percentiles.svg")).unwrap();
    assert!(spectrum.contains("singapore") && spectrum.contains("all clients"));
    let cut = std::fs::read_to_string(plots.join("rtt_cut.svg")).unwrap();
    assert!(cut.contains("were cut") && cut.contains("this scenario cuts nothing"));
    // Nothing is cut, so the map has no vermillion arcs.
    let map = Image::read(&plots.join("world_map.png"));
    assert!(map.count_near([0xD5, 0x5E, 0x00], 12) < 50);
}

#[test]
fn a_cable_cut_scenario_highlights_the_cut_and_compares_its_variants() {
    let out = temp_dir("plots-cut");
    planetsim(&["run", "scenarios/cable-cut-failover.yaml", "--out", out.to_str().unwrap(), "--quiet"]);
    for variant in ["naive", "failover"] {
        let plots = out.join(variant).join("plots");
        for stem in FIGURES {
            assert_drawn(&plots, stem, "");
        }
        let map = Image::read(&plots.join("world_map.png"));
        assert!(map.count_near([0xD5, 0x5E, 0x00], 12) > 2_000, "the cut cables are drawn vermillion");
        let cut = std::fs::read_to_string(plots.join("rtt_cut.svg")).unwrap();
        assert!(cut.contains("south-atlantic-cut"), "the difference is under the scenario's own cut");
        // The timeline marks the fault by name.
        let timeline = std::fs::read_to_string(plots.join("timeline.svg")).unwrap();
        assert!(timeline.contains("south-atlantic-cut"));
    }
    // With failover, São Paulo leaves GeoDNS: its band shows it.
    let failover = std::fs::read_to_string(out.join("failover/plots/timeline.svg")).unwrap();
    assert!(failover.contains("out of DNS"));
    let naive = std::fs::read_to_string(out.join("naive/plots/timeline.svg")).unwrap();
    assert!(!naive.contains("out of DNS"));
    for stem in ["variants_latency_percentiles", "variants_latency_cdf"] {
        let svg = std::fs::read_to_string(out.join("plots").join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains(">\nnaive\n<") && svg.contains(">\nfailover\n<"), "{stem} names both variants");
        assert_drawn(&out.join("plots"), stem, "cable-cut-failover");
    }
}

#[test]
fn plots_are_identical_run_to_run_and_can_be_skipped() {
    let (a, b, none) = (temp_dir("plots-a"), temp_dir("plots-b"), temp_dir("plots-none"));
    for out in [&a, &b] {
        planetsim(&["run", "scenarios/cable-cut-failover.yaml", "--variant", "failover", "--out", out.to_str().unwrap(), "--quiet"]);
    }
    for stem in FIGURES {
        for extension in ["png", "svg"] {
            let name = format!("plots/{stem}.{extension}");
            let (first, second) =
                (std::fs::read(a.join("failover").join(&name)).unwrap(), std::fs::read(b.join("failover").join(&name)).unwrap());
            assert!(first == second, "{name} differs between runs");
        }
    }
    planetsim(&[
        "run",
        "scenarios/cable-cut-failover.yaml",
        "--variant",
        "failover",
        "--out",
        none.to_str().unwrap(),
        "--quiet",
        "--no-plots",
    ]);
    assert!(none.join("failover/summary.json").is_file() && !none.join("failover/plots").exists());
}

#[test]
fn a_rerun_that_draws_fewer_charts_leaves_none_of_the_old_ones() {
    let out = temp_dir("plots-rerun");
    let args = ["run", "scenarios/cable-cut-failover.yaml", "--variant", "failover", "--out", out.to_str().unwrap(), "--quiet"];
    planetsim(&args);
    let timeline = out.join("failover/plots/timeline.png");
    assert!(timeline.is_file());
    // Merged replications have no timeline: the one from the single run must go.
    planetsim(&[&args[..], &["--replications", "2"]].concat());
    assert!(!timeline.exists() && !out.join("failover/plots/timeline.svg").exists());
    assert!(out.join("failover/plots/latency_percentiles.png").is_file());
}

/// Every `<svg` of the page, and nothing it would fetch.
fn assert_self_contained(page: &str) {
    for fetch in ["<script", "<link", "<img", "src=", "@import", "url(", "https://"] {
        assert!(!page.contains(fetch), "the report fetches or runs something: {fetch}");
    }
    let without_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespace.contains("http://"), "the report refers to a remote address");
}

#[test]
fn the_report_is_one_page_with_tables_expectations_and_plots() {
    let out = temp_dir("report-run");
    let printed = planetsim(&["run", "scenarios/cable-cut-failover.yaml", "--out", out.to_str().unwrap(), "--report"]);
    assert!(String::from_utf8_lossy(&printed.stdout).contains("report: "));
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&page);
    assert!(page.contains("<h1>cable-cut-failover</h1>"));
    assert!(page.contains("The South Atlantic cables are cut"), "the description");
    // Both variants' tables, with Santiago's availability as the summary has it.
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("naive/summary.json")).unwrap()).unwrap();
    let santiago = summary["regions"]["santiago"]["availability"].as_f64().unwrap();
    assert!(page.contains(&format!("{:.3} %", santiago * 100.0)));
    let failed = &summary["regions"]["santiago"]["requests"]["failed"];
    let causes = format!(
        "error {}, unreachable {}, breaker open {}, shed {}",
        failed["error"], failed["unreachable"], failed["breaker_open"], failed["shed"]
    );
    assert!(page.contains(&causes), "the failures by cause: {causes}");
    assert!(page.contains("variant <code>naive</code>") && page.contains("variant <code>failover</code>"));
    // The scenario's three expectations, judged on this run.
    assert!(page.contains("3 passed") && page.contains("0 failed"));
    assert_eq!(page.matches("✓ pass").count(), 3);
    // Two comparison charts, five per variant, and the shared network charts once (the same
    // cut in both variants): 2 + 2 × 3 + 3 figures.
    assert_eq!(page.matches("<figure").count(), 11, "figures in the report");
    assert_eq!(page.matches("<svg").count(), 11);
}

#[test]
fn check_writes_a_page_per_scenario_and_an_index() {
    let out = temp_dir("report-check");
    planetsim(&["check", "scenarios/cable-cut-failover.yaml", "scenarios/retry-storm.yaml", "--report", out.to_str().unwrap(), "--quiet"]);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("<a href=\"cable-cut-failover.html\">") && index.contains("<a href=\"retry-storm.html\">"));
    for page in ["cable-cut-failover.html", "retry-storm.html"] {
        let page = std::fs::read_to_string(out.join(page)).unwrap();
        assert_self_contained(&page);
        assert!(page.contains("id=\"expectations\"") && page.contains("id=\"timeline\""));
        assert!(!page.contains("✗ FAIL"));
    }
}

/// Renders the quickstart's report in Debian's headless Chromium and checks the screenshot
/// shows the charts: the heatmap's viridis cells and the series' blue lines are pixels only
/// rendered SVG can produce. Needs `chromium` on the PATH; `.ci/run` installs it and runs this.
#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it and runs this test"]
fn the_report_renders_in_headless_chromium() {
    let out = temp_dir("report-browser");
    planetsim(&["run", "scenarios/quickstart.yaml", "--out", out.to_str().unwrap(), "--report", "--quiet"]);
    let page = out.join("report.html");
    let shot = out.join("screenshot.png");
    let profile = out.join("chromium-profile");
    let status = Command::new("timeout")
        .arg("120")
        .arg("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1280,9000"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .status()
        .expect("chromium (Debian's package) is installed");
    assert!(status.success(), "chromium failed: {status}");
    let image = Image::read(&shot);
    assert_eq!((image.width, image.height), (1280, 9000));
    // Viridis cells of the RTT heatmap (its dark end and its yellow end) and the blue of the
    // second series appear only where the SVG charts were drawn.
    let dark_cells = image.count_near([68, 1, 84], 24);
    let yellow_cells = image.count_near([253, 231, 37], 24);
    let blue_lines = image.count_near([0x00, 0x72, 0xB2], 30);
    assert!(dark_cells > 2_000, "heatmap cells rendered: {dark_cells} px");
    assert!(yellow_cells > 500, "heatmap cells rendered: {yellow_cells} px");
    assert!(blue_lines > 2_000, "chart lines rendered: {blue_lines} px");
    let ink = image.share_not_white();
    assert!(ink > 0.03, "the page is nearly blank: {:.1} % inked", ink * 100.0);
}

#[test]
fn the_map_colours_links_by_their_peak_load_where_capacities_are_modelled() {
    // A cut sends 200 requests/s over a detour that carries 150 a second: it runs full.
    let topology = "
name: triangle
regions:
  - {id: near, lat: 50, lon: 0, utc_offset_h: 0}
  - {id: mid, lat: 45, lon: 20, utc_offset_h: 0}
  - {id: far, lat: 40, lon: 40, utc_offset_h: 0}
links:
  - {name: near-mid, kind: cable, between: [near, mid]}
  - {name: mid-far, kind: cable, between: [mid, far]}
  - {name: detour, kind: cable, between: [near, far], via: [[60, 20]]}
";
    let scenario = "
name: loaded
topology: topology.yaml
seed: 4
duration: 40s
network: {convergence_delay: 2s, capacities: [{links: [detour], per_second: 150, buffer: 100ms}]}
services:
  - {region: far, workers: 50, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
clients:
  - {name: users, region: near, rate_rps: 200, timeout: 500ms}
faults:
  - {kind: cut, links: [mid-far], at: +15s}
";
    let (result, summary) = crate::support::run("plots-load", topology, scenario);
    let plan = crate::support::plan("plots-load-plan", topology, scenario);
    let view = planetsim::plot::view::RunView::of_run(&plan, &result, &summary);
    let detour = plan.topology.links.iter().position(|l| l.name == "detour").unwrap();
    let peak = view.network.peak_load[detour].expect("the detour has a capacity");
    assert!(peak > 0.95, "the detour runs full after the cut: peak load {peak}");
    assert_eq!(view.network.peak_load[0], None, "links without a capacity have no load");
    let figures = planetsim::plot::figures(&view).unwrap();
    let map = figures.iter().find(|f| f.stem == "world_map").unwrap();
    assert!(map.svg.contains("peak load"), "the key explains the colours");
    let dir = temp_dir("plots-load-map");
    planetsim::plot::write(&dir, &figures, &planetsim::plot::RUN_STEMS).unwrap();
    let image = Image::read(&dir.join("world_map.png"));
    // Viridis's full end (yellow) along the detour, the cut in vermillion.
    assert!(image.count_near([253, 231, 37], 20) > 200, "the full link is yellow");
    assert!(image.count_near([0xD5, 0x5E, 0x00], 12) > 200, "the cut link is vermillion");
}

#[test]
fn a_run_where_nothing_succeeds_still_draws_and_says_so() {
    // One region, one worker that takes 50 ms, clients that wait 10 ms: every request fails.
    let dir = temp_dir("plots-nothing");
    crate::support::write(&dir, "topology.yaml", "name: solo\nregions:\n  - {id: here, lat: 10, lon: 10, utc_offset_h: 0}\n");
    let scenario = crate::support::write(
        &dir,
        "scenario.yaml",
        "name: allfail
topology: topology.yaml
duration: 5s
services:
  - {region: here, workers: 1, queue_capacity: 0, service_time: {dist: constant, value: 50ms}}
clients:
  - {name: users, region: here, rate_rps: 100, timeout: 10ms}
",
    );
    let out = dir.join("out");
    planetsim(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--report"]);
    let spectrum = std::fs::read_to_string(out.join("plots/latency_percentiles.svg")).unwrap();
    assert!(spectrum.contains("no successful request to draw"));
    // With one region and no link there is no cut to imagine: that chart is left out, the
    // others are drawn.
    assert!(!out.join("plots/rtt_cut.png").exists());
    for stem in ["latency_cdf", "timeline", "rtt_heatmap", "world_map"] {
        assert!(out.join(format!("plots/{stem}.png")).is_file(), "{stem}");
    }
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("0.000 %"), "the table shows no request succeeded");
}
