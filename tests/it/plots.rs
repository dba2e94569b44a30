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

const FIGURES: [&str; 6] = ["latency_percentiles", "latency_cdf", "timeline", "rtt_heatmap", "rtt_cut", "world_map"];

/// The pale vermillion of a fault's shading (Okabe–Ito vermillion at 14 % over white) and the
/// light grey of the warm-up and drain (grey at 15 %).
const FAULT_SHADE: [u8; 3] = [249, 232, 219];
const WARMUP_SHADE: [u8; 3] = [237, 237, 237];

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
    let titles = [
        ("latency_percentiles", "Latency by percentile · quickstart"),
        ("latency_cdf", "Latency CDF · quickstart"),
        ("timeline", "Timeline · quickstart"),
        ("rtt_heatmap", "Round-trip time · world"),
        ("rtt_cut", "Change in round-trip time if"),
        ("world_map", "World map · world"),
    ];
    for (stem, title) in titles {
        assert_drawn(&plots, stem, title);
    }
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
            let title = match stem {
                "rtt_cut" => "under the scenario",
                "rtt_heatmap" | "world_map" => "· world",
                _ => "cable-cut-failover",
            };
            assert_drawn(&plots, stem, title);
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
    // Every region's counts, in the columns their headings name.
    for (region, counts) in summary["regions"].as_object().unwrap() {
        let (requests, failed) = (&counts["requests"], &counts["requests"]["failed"]);
        let cells = format!(
            "<td>{region}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            requests["attempted"], requests["succeeded"], failed["timeout"], failed["rejected"]
        );
        assert!(page.contains(&cells), "{region}: {cells}");
    }
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
        assert!(page.contains("id=\"expectations\"") && page.contains("id=\"naive-timeline\""));
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
    let view = view_of("plots-load", topology, scenario);
    let detour = view.network.topology.links.iter().position(|l| l.name == "detour").unwrap();
    let peak = view.network.peak_load[detour].expect("the detour has a capacity");
    assert!(peak > 0.95, "the detour runs full after the cut: peak load {peak}");
    assert_eq!(view.network.peak_load[0], None, "links without a capacity have no load");
    let figures = planetsim::plot::network_figures(&view.network, true).unwrap();
    let map = figures.iter().find(|f| f.stem == "world_map").unwrap();
    assert!(map.svg.contains("peak load"), "the key explains the colours");
    let dir = temp_dir("plots-load-map");
    planetsim::plot::write(&dir, &figures.iter().collect::<Vec<_>>()).unwrap();
    let image = Image::read(&dir.join("world_map.png"));
    // Viridis's full end (yellow) along the detour, the cut in vermillion.
    assert!(image.count_near([253, 231, 37], 20) > 200, "the full link is yellow");
    assert!(image.count_near([0xD5, 0x5E, 0x00], 12) > 200, "the cut link is vermillion");
}

#[test]
fn a_run_where_nothing_succeeds_still_draws_and_says_so() {
    // One region, one worker that takes 50 ms, clients that wait 10 ms: every request fails.
    let (dir, scenario) = solo_scenario(
        "plots-nothing",
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

#[test]
fn a_report_of_one_variant_judges_what_that_variant_can_answer() {
    // retry-storm has five expectations; two read only `naive`, three read `hardened`.
    let out = temp_dir("report-one-variant");
    planetsim(&["run", "scenarios/retry-storm.yaml", "--variant", "naive", "--out", out.to_str().unwrap(), "--quiet", "--report"]);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("2 passed") && page.contains("0 failed"), "the naive expectations are judged");
    assert!(page.contains("3 more read a variant this run left out"));
    assert!(!page.contains("hardened.availability"), "an expectation on hardened is not listed as judged");
}

#[test]
fn a_report_without_plots_writes_no_plots_and_still_draws_every_chart() {
    let out = temp_dir("report-no-plots");
    let args = ["run", "scenarios/cable-cut-failover.yaml", "--variant", "failover", "--out", out.to_str().unwrap(), "--quiet"];
    planetsim(&args);
    assert!(out.join("failover/plots/world_map.png").is_file());
    planetsim(&[&args[..], &["--report", "--no-plots"]].concat());
    assert!(!out.join("failover/plots").exists(), "--no-plots leaves no charts of an earlier run");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    // One variant: its latency (2), timeline and network (3) charts.
    assert_eq!(page.matches("<figure").count(), 6);
    assert!(page.contains("id=\"failover-world_map\""));
}

/// A scenario run on `topology` (both YAML), seen as the plots see it.
fn view_of(label: &str, topology: &str, scenario: &str) -> planetsim::plot::view::RunView {
    let (result, summary) = crate::support::run(label, topology, scenario);
    let plan = crate::support::plan(&format!("{label}-plan"), topology, scenario);
    planetsim::plot::view::RunView::of_run(&plan, &result, &summary)
}

/// A folder with `scenario.yaml` (`scenario`) and the one-region topology it names.
fn solo_scenario(label: &str, scenario: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = temp_dir(label);
    crate::support::write(&dir, "topology.yaml", crate::support::SOLO_TOPOLOGY);
    let path = crate::support::write(&dir, "scenario.yaml", scenario);
    (dir, path)
}

/// A small scenario on the one-region topology at `topology`, 10 requests a second for 5 s,
/// with `extra` keys (a description, expectations) appended.
fn small_scenario(name: &str, topology: &str, extra: &str) -> String {
    format!(
        "name: {name}
topology: {topology}
duration: 5s
services:
  - {{region: here, workers: 10, queue_capacity: 10, service_time: {{dist: constant, value: 1ms}}}}
clients:
  - {{name: users, region: here, rate_rps: 10, timeout: 1s}}
{extra}"
    )
}

/// The bundled cable-cut scenario's failover variant, run and seen as the plots see it.
fn cable_cut_failover_view() -> planetsim::plot::view::RunView {
    let set = planetsim::scenario::variants::load(&repo_path("scenarios/cable-cut-failover.yaml")).unwrap();
    let plan = &set.variants.iter().find(|v| v.name.as_deref() == Some("failover")).unwrap().plan;
    let result = planetsim::sim::run(plan);
    let summary = planetsim::report::summary::build(plan, &result);
    planetsim::plot::view::RunView::of_run(plan, &result, &summary)
}

#[test]
fn server_bands_start_when_the_state_was_seen_and_the_axis_covers_the_drain() {
    let view = cable_cut_failover_view();
    let timeline = view.timeline.as_ref().unwrap();
    let last = timeline.overall.last().unwrap();
    assert_eq!(timeline.end_s, last.start_s + last.length_s, "the axis ends with the last window");
    assert!(timeline.end_s > timeline.arrivals_end_s, "the drain is on the chart");
    let sao_paulo = timeline.bands.iter().find(|b| b.label.contains("sao-paulo")).unwrap();
    let out = sao_paulo.spans.iter().find(|s| s.state == "out of DNS").expect("São Paulo leaves GeoDNS");
    let cut = &timeline.faults[0];
    // Health checks need a while after the cut; the band cannot start before it.
    assert!(out.from_s > cut.start_s, "out of DNS from {} s, the cut at {} s", out.from_s, cut.start_s);
    assert_eq!(sao_paulo.spans.first().unwrap().from_s, 0.0);
    assert_eq!(sao_paulo.spans.last().unwrap().until_s, timeline.end_s);
    assert!(sao_paulo.spans.windows(2).all(|w| w[0].until_s == w[1].from_s), "spans tile the run");
}

#[test]
fn a_cut_an_operator_called_off_is_not_drawn_as_a_cut() {
    let topology = "
name: pair
regions:
  - {id: near, lat: 50, lon: 0, utc_offset_h: 0}
  - {id: far, lat: 40, lon: 40, utc_offset_h: 0}
links:
  - {name: direct, kind: cable, between: [near, far]}
  - {name: detour, kind: cable, between: [near, far], via: [[60, 20]]}
";
    let scenario = |actions: &str| {
        format!(
            "name: called-off
topology: topology.yaml
duration: 30s
services:
  - {{region: far, workers: 10, queue_capacity: 10, service_time: {{dist: constant, value: 1ms}}}}
clients:
  - {{name: users, region: near, rate_rps: 20, timeout: 1s}}
faults:
  - {{name: cut, kind: cut, links: [direct], at: +20s}}
{actions}"
        )
    };
    let cut = view_of("cut-happens", topology, &scenario(""));
    assert_eq!(cut.network.cuts.len(), 1, "the cut happened");
    let called_off = view_of("cut-called-off", topology, &scenario("actions:\n  - {name: cancel, at: +5s, do: end-fault, fault: cut}\n"));
    assert!(called_off.network.cuts.is_empty(), "called off before it started: nothing was cut");
    assert!(called_off.timeline.as_ref().unwrap().faults.is_empty());
}

#[test]
fn check_pages_of_files_sharing_a_name_do_not_overwrite_each_other() {
    let dir = temp_dir("report-same-stem");
    crate::support::write(&dir, "topology.yaml", crate::support::SOLO_TOPOLOGY);
    let expect = "expect:\n  - that: 'availability > 0.5'\n";
    for (folder, name) in [("a", "same-10"), ("b", "same-20")] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        crate::support::write(&dir.join(folder), "x.yaml", &small_scenario(name, "../topology.yaml", expect));
    }
    let out = dir.join("report");
    let (a, b) = (dir.join("a/x.yaml"), dir.join("b/x.yaml"));
    planetsim(&["check", a.to_str().unwrap(), b.to_str().unwrap(), "--report", out.to_str().unwrap(), "--quiet"]);
    let mut pages: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    pages.sort();
    assert_eq!(pages.len(), 3, "two pages and the index: {pages:?}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for page in pages.iter().filter(|p| *p != "index.html") {
        assert!(index.contains(&format!("<a href=\"{page}\">")), "the index links {page}");
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.contains("<h1>same-10</h1>") || text.contains("<h1>same-20</h1>"));
    }
}

/// A figure of `figures` by stem, drawn as a PNG.
fn image_of(figures: &[planetsim::plot::Figure], stem: &str) -> Image {
    let figure = figures.iter().find(|f| f.stem == stem).unwrap_or_else(|| panic!("no {stem}"));
    let dir = temp_dir(&format!("image-{stem}"));
    let path = dir.join(format!("{stem}.png"));
    std::fs::write(&path, figure.png.as_ref().expect("drawn as PNG")).unwrap();
    Image::read(&path)
}

#[test]
fn the_timeline_shades_faults_and_the_warmup_and_draws_attempts_when_retries_amplify() {
    let mut view = cable_cut_failover_view();
    let drawn = planetsim::plot::run_figures(&view, true).unwrap();
    let shaded = image_of(&drawn, "timeline");
    let timeline = view.timeline.as_mut().unwrap();
    timeline.faults.clear();
    timeline.measured_from_s = 0.0;
    let plain = image_of(&planetsim::plot::run_figures(&view, true).unwrap(), "timeline");
    let (fault, warmup) = (shaded.count_near(FAULT_SHADE, 3), shaded.count_near(WARMUP_SHADE, 2));
    assert!(fault > 50_000, "the 10-minute cut is shaded over three panels: {fault} px");
    assert!(plain.count_near(FAULT_SHADE, 3) < fault / 20, "without the fault, no shading");
    assert!(warmup > plain.count_near(WARMUP_SHADE, 2) + 5_000, "the 30 s warm-up is grey: {warmup} px");
    // Immediate retries amplify the naive retry storm; the failover run retries nothing.
    let svg = |variant: &str| {
        let out = temp_dir(&format!("attempts-{variant}"));
        planetsim(&["run", "scenarios/retry-storm.yaml", "--variant", variant, "--out", out.to_str().unwrap(), "--quiet"]);
        std::fs::read_to_string(out.join(variant).join("plots/timeline.svg")).unwrap()
    };
    assert!(svg("naive").contains("attempts (with retries and hedges)"));
    let svg_of = |figures: &[planetsim::plot::Figure]| figures.iter().find(|f| f.stem == "timeline").unwrap().svg.clone();
    assert!(!svg_of(&drawn).contains("attempts (with retries and hedges)"));
}

#[test]
fn a_server_without_power_is_down_on_its_band() {
    let topology = crate::support::SOLO_TOPOLOGY;
    let scenario = "
name: outage
topology: topology.yaml
duration: 60s
services:
  - {region: here, workers: 4, queue_capacity: 10, service_time: {dist: constant, value: 1ms}}
clients:
  - {name: users, region: here, rate_rps: 50, timeout: 1s}
faults:
  - {kind: region-outage, regions: [here], at: +20s, duration: 20s}
";
    let view = view_of("band-down", topology, scenario);
    let band = &view.timeline.as_ref().unwrap().bands[0];
    let down = band.spans.iter().find(|s| s.state == "down").expect("a down span");
    assert!((20.0..=21.0).contains(&down.from_s) && (40.0..=41.0).contains(&down.until_s), "{} – {}", down.from_s, down.until_s);
    let timeline = planetsim::plot::run_figures(&view, false).unwrap().into_iter().find(|f| f.stem == "timeline").unwrap();
    assert!(timeline.svg.contains(">\ndown\n<"), "the key names the state");
}

/// Clients in `near`, a server in `far`: 5 + 5 ms one way through `mid`, or 20 ms on the detour.
const LINE: &str = "
name: line
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: near, lat: 50, lon: 0, utc_offset_h: 0}
  - {id: mid, lat: 45, lon: 20, utc_offset_h: 0}
  - {id: far, lat: 40, lon: 40, utc_offset_h: 0}
links:
  - {name: near-mid, kind: cable, between: [near, mid], latency_ms: 5}
  - {name: mid-far, kind: cable, between: [mid, far], latency_ms: 5}
  - {name: detour, kind: cable, between: [near, far], via: [[60, 20]], latency_ms: 20}
";

fn line_scenario(faults: &str) -> String {
    format!(
        "name: line
topology: topology.yaml
duration: 20s
services:
  - {{region: far, workers: 10, queue_capacity: 10, service_time: {{dist: constant, value: 1ms}}}}
clients:
  - {{name: users, region: near, rate_rps: 20, timeout: 1s}}
faults:
{faults}"
    )
}

#[test]
fn the_rtt_charts_show_milliseconds_and_what_the_cut_adds() {
    let scenario = line_scenario("  - {kind: cut, links: [mid-far], at: +5s}\n");
    let view = view_of("rtt-values", LINE, &scenario);
    let figures = planetsim::plot::network_figures(&view.network, false).unwrap();
    let svg = |stem: &str| figures.iter().find(|f| f.stem == stem).unwrap().svg.clone();
    // near–far: 10 ms one way through mid, a 20 ms round trip; cut, the detour's 40 ms: +20.
    assert!(svg("rtt_heatmap").contains(">\n20\n<"), "the near–far RTT in ms");
    assert!(svg("rtt_cut").contains(">\n+20\n<"), "what the cut adds");
    assert!(!svg("rtt_cut").contains(">\n+10\n<"));
}

#[test]
fn gray_links_are_orange_on_the_map() {
    let gray = line_scenario("  - {kind: gray-link, links: [mid-far], loss: 0.01, at: +5s}\n");
    let view = view_of("map-gray", LINE, &gray);
    let figures = planetsim::plot::network_figures(&view.network, true).unwrap();
    let orange = image_of(&figures, "world_map").count_near([0xE6, 0x9F, 0x00], 12);
    let healthy = {
        let plain = line_scenario("  - {kind: cut, links: [near-mid], at: +15s}\n");
        let view = view_of("map-plain", LINE, &plain);
        image_of(&planetsim::plot::network_figures(&view.network, true).unwrap(), "world_map").count_near([0xE6, 0x9F, 0x00], 12)
    };
    assert!(orange > 60 && healthy < 10, "the degraded link is orange: {orange} px, {healthy} px without it");
    assert!(figures.iter().any(|f| f.stem == "world_map" && f.svg.contains("gray or flapping")), "and the key says why");
}

#[test]
fn scenario_text_is_escaped_in_the_report() {
    let extra = "description: 'Tokyo <b>&</b> friends'\nexpect:\n  - that: 'availability < 2'\n";
    let (dir, scenario) = solo_scenario("report-escape", &small_scenario("escaped", "topology.yaml", extra));
    planetsim(&["run", scenario.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--quiet", "--report", "--no-plots"]);
    let page = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(page.contains("Tokyo &lt;b&gt;&amp;&lt;/b&gt; friends") && !page.contains("<b>"));
    assert!(page.contains("availability &lt; 2"));
}

#[test]
fn check_index_counts_passes_and_failures_and_defaults_its_folder() {
    let dir = temp_dir("report-index");
    crate::support::write(&dir, "topology.yaml", crate::support::SOLO_TOPOLOGY);
    let expect = "expect:\n  - that: 'availability > 0.5'\n  - that: 'latency_ms.p99 > 1000'\n";
    crate::support::write(&dir, "mixed.yaml", &small_scenario("mixed", "topology.yaml", expect));
    let output = Command::new(env!("CARGO_BIN_EXE_planetsim"))
        .args(["check", "mixed.yaml", "--report", "--quiet"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "one expectation fails");
    let report = dir.join("results/check-report");
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("<td class=\"pass\">1</td><td class=\"fail\">1</td>"), "one passed, one failed: {index}");
    let page = std::fs::read_to_string(report.join("mixed.html")).unwrap();
    assert!(page.contains("<tr><td>latency_ms.p99 &gt; 1000</td><td><span class=\"fail\">✗ FAIL</span>"));
    assert!(page.contains("<tr><td>availability &gt; 0.5</td><td><span class=\"pass\">✓ pass</span>"));
}

#[test]
fn a_replicated_run_writes_its_report_and_merged_charts() {
    let out = temp_dir("report-replicated");
    planetsim(&["run", "scenarios/retry-storm.yaml", "--replications", "2", "--out", out.to_str().unwrap(), "--quiet", "--report"]);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("seeds 2024–2025, merged"));
    assert!(page.contains("variant <code>naive</code>") && page.contains("variant <code>hardened</code>"));
    assert!(page.contains("id=\"expectations\"") && !page.contains("-timeline\""), "no timeline for merged seeds");
    assert!(out.join("naive/plots/latency_percentiles.png").is_file() && !out.join("naive/plots/timeline.png").exists());
}

#[test]
fn a_single_variant_rerun_removes_the_comparison_charts() {
    let out = temp_dir("plots-single-variant");
    let args = ["run", "scenarios/cable-cut-failover.yaml", "--out", out.to_str().unwrap(), "--quiet"];
    planetsim(&args);
    assert!(out.join("plots/variants_latency_cdf.png").is_file());
    planetsim(&[&args[..], &["--variant", "failover"]].concat());
    assert!(!out.join("plots").exists(), "one variant compares nothing: the old comparison is gone");
}
