//! Every bundled scenario validates and runs (shortened so the suite stays fast).

use crate::support::repo_path;
use planetsim::kernel::SimDuration;
use planetsim::{scenario, sim};

#[test]
fn every_bundled_scenario_validates_and_runs() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo_path("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let mut plan = scenario::load_scenario(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        plan.duration = plan.duration.min(SimDuration::from_secs(20));
        plan.warmup = plan.warmup.min(SimDuration::from_secs(5));
        let result = sim::run(&plan);
        let counters = result.planet.recorder.overall.counters;
        assert!(counters.attempted > 0, "{}: no request was made", path.display());
        assert_eq!(counters.attempted, counters.succeeded + counters.failed(), "{}: every request ends", path.display());
        checked += 1;
    }
    assert!(checked >= 1);
}
