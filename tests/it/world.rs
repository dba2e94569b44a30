//! The default world: its regions, its calibration against measured RTTs, and cuts that reroute.

use crate::support::repo_path;
use planetsim::scenario::{self, measured};
use planetsim::world::calibration::calibrate;
use planetsim::world::{LinkState, RttMatrix, Topology};

const REQUIRED_REGIONS: [&str; 40] = [
    "virginia",
    "south-carolina",
    "iowa",
    "dallas",
    "oregon",
    "san-francisco",
    "los-angeles",
    "toronto",
    "montreal",
    "sao-paulo",
    "santiago",
    "london",
    "dublin",
    "belgium",
    "amsterdam",
    "frankfurt",
    "paris",
    "madrid",
    "milan",
    "zurich",
    "stockholm",
    "helsinki",
    "warsaw",
    "tel-aviv",
    "doha",
    "dubai",
    "mumbai",
    "delhi",
    "chennai",
    "singapore",
    "jakarta",
    "hong-kong",
    "taipei",
    "tokyo",
    "osaka",
    "seoul",
    "sydney",
    "melbourne",
    "johannesburg",
    "cape-town",
];

fn world() -> Topology {
    scenario::load_topology(&repo_path("topologies/world.yaml")).unwrap()
}

fn rtt_ms(topology: &Topology, matrix: &RttMatrix, a: &str, b: &str) -> Option<f64> {
    matrix.rtt(topology.region_by_id(a).unwrap(), topology.region_by_id(b).unwrap()).map(|d| d.as_millis_f64())
}

#[test]
fn the_default_world_has_every_required_region_all_connected() {
    let topology = world();
    for id in REQUIRED_REGIONS {
        assert!(topology.region_by_id(id).is_some(), "region `{id}` is missing");
    }
    let matrix = RttMatrix::compute(&topology, &LinkState::all_up(&topology));
    for a in &topology.regions {
        for b in &topology.regions {
            assert!(rtt_ms(&topology, &matrix, &a.id, &b.id).is_some(), "{} cannot reach {}", a.id, b.id);
        }
    }
}

#[test]
fn the_default_world_is_calibrated_against_measured_rtts() {
    let topology = world();
    let measured = measured::load_measured(&repo_path("topologies/measured/gcp_rtt_median_2023-11-27.csv")).unwrap();
    let mapping = measured::load_mapping(&repo_path("topologies/measured/gcp_regions.csv"), &measured, &topology).unwrap();
    let matrix = RttMatrix::compute(&topology, &LinkState::all_up(&topology));
    let result = calibrate(&topology, &matrix, &measured, &mapping, 1000.0);
    assert!(result.pairs.len() >= 500, "most measured pairs are compared: {}", result.pairs.len());
    assert!(result.median_abs_error < 0.10, "median absolute error {:.3}", result.median_abs_error);
    assert!(result.share_within_20 >= 0.80, "share within 20 %: {:.3}", result.share_within_20);
    assert_eq!(result.unreachable, 0);
}

#[test]
fn cutting_the_red_sea_cables_reroutes_europe_asia_onto_a_longer_detour() {
    let topology = world();
    let intact = RttMatrix::compute(&topology, &LinkState::all_up(&topology));
    let mut state = LinkState::all_up(&topology);
    state.cut(&topology.resolve_cut("red-sea").expect("the world has a `red-sea` group"));
    let cut = RttMatrix::compute(&topology, &state);
    for (a, b) in [("frankfurt", "singapore"), ("london", "mumbai"), ("milan", "singapore")] {
        let before = rtt_ms(&topology, &intact, a, b).unwrap();
        let after = rtt_ms(&topology, &cut, a, b).expect("still reachable by a detour");
        assert!(after > before * 1.4, "{a}–{b}: {before:.1} ms intact, {after:.1} ms after the cut");
    }
    // The Atlantic is not on those paths.
    assert_eq!(rtt_ms(&topology, &intact, "virginia", "london"), rtt_ms(&topology, &cut, "virginia", "london"));
}

#[test]
fn links_are_symmetric() {
    let topology = world();
    let matrix = RttMatrix::compute(&topology, &LinkState::all_up(&topology));
    for a in &topology.regions {
        for b in &topology.regions {
            assert_eq!(rtt_ms(&topology, &matrix, &a.id, &b.id), rtt_ms(&topology, &matrix, &b.id, &a.id));
        }
    }
}
