//! Helpers: scenario and topology files written to a fresh temporary folder.

use planetsim::scenario;
use planetsim::sim::plan::ScenarioPlan;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty folder for one test.
pub fn temp_dir(label: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("planetsim-it-{}-{label}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `hub` and four spokes `a` to `d`, 5, 15, 25 and 35 ms away one way (10, 30, 50 and 70 ms
/// round trips), with no intra-region delay; a spoke reaches another through `hub`.
pub const STAR: &str = "
name: star
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: hub, lat: 0, lon: 0, utc_offset_h: 0}
  - {id: a, lat: 0, lon: 1, utc_offset_h: 0}
  - {id: b, lat: 0, lon: 2, utc_offset_h: 0}
  - {id: c, lat: 0, lon: 3, utc_offset_h: 0}
  - {id: d, lat: 0, lon: 4, utc_offset_h: 0}
links:
  - {name: to-a, kind: cable, between: [hub, a], latency_ms: 5}
  - {name: to-b, kind: cable, between: [hub, b], latency_ms: 15}
  - {name: to-c, kind: cable, between: [hub, c], latency_ms: 25}
  - {name: to-d, kind: cable, between: [hub, d], latency_ms: 35}
";

/// One region with no intra-region delay: the network adds nothing but what a test asks for.
pub const SOLO_TOPOLOGY: &str = "
name: solo
defaults: {intra_region_rtt_ms: 0}
regions:
  - {id: here, lat: 0, lon: 0, utc_offset_h: 0}
";

/// Loads a scenario written next to `topology` in a fresh folder.
pub fn plan(label: &str, topology: &str, scenario_yaml: &str) -> ScenarioPlan {
    let dir = temp_dir(label);
    write(&dir, "topology.yaml", topology);
    let path = write(&dir, "scenario.yaml", scenario_yaml);
    scenario::load_scenario(&path).unwrap_or_else(|e| panic!("test scenario is invalid:\n{e}"))
}

/// Loads a scenario written next to `topology`, runs it, and summarises it.
pub fn run(label: &str, topology: &str, scenario_yaml: &str) -> (planetsim::sim::RunResult, planetsim::report::summary::Summary) {
    let plan = plan(label, topology, scenario_yaml);
    let result = planetsim::sim::run(&plan);
    let summary = planetsim::report::summary::build(&plan, &result);
    (result, summary)
}

/// One variant's plan of a bundled scenario (`file` from the repository's root; `None`: a
/// scenario without variants).
pub fn bundled_plan(file: &str, variant: Option<&str>) -> ScenarioPlan {
    let variants = planetsim::scenario::variants::load_variants(&repo_path(file)).expect("bundled scenarios load");
    variants.into_iter().find(|v| v.name.as_deref() == variant).expect("the variant exists").plan
}

/// Runs one variant of a bundled scenario and summarises it.
pub fn bundled(file: &str, variant: &str) -> planetsim::report::summary::Summary {
    let plan = bundled_plan(file, Some(variant));
    let result = planetsim::sim::run(&plan);
    planetsim::report::summary::build(&plan, &result)
}

/// Loads a scenario that must be refused (written as `scenario.yaml` next to `topology`), and
/// returns the error as the user would read it.
pub fn load_error(label: &str, topology: &str, scenario_yaml: &str) -> String {
    let dir = temp_dir(label);
    write(&dir, "topology.yaml", topology);
    let path = write(&dir, "scenario.yaml", scenario_yaml);
    match scenario::load_scenario(&path) {
        Ok(_) => panic!("{label}: the scenario should be refused"),
        Err(error) => error.to_string(),
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Availability over all clients in the timeline windows that start in `[from_s, to_s)`.
pub fn availability_between(result: &planetsim::sim::RunResult, from_s: f64, to_s: f64) -> f64 {
    use planetsim::metrics::TimelineRow;
    let rows =
        result.planet.recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL && (from_s..to_s).contains(&r.start.as_secs_f64()));
    let (ok, ended) = rows.fold((0, 0), |(ok, ended), r| (ok + r.counters.succeeded, ended + r.counters.succeeded + r.counters.failed()));
    ok as f64 / ended as f64
}
