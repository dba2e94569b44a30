//! Benchmark (b): the bundled quickstart scenario, reported as simulated requests and events
//! per second of wall time. Run with `cargo bench --bench quickstart`; `QUICKSTART_RUNS` sets the
//! number of timed runs (default 5). Results are archived in results/bench/quickstart.md.
#![allow(clippy::disallowed_methods)] // a benchmark times itself with the wall clock

use planetsim::{scenario, sim};
use std::path::Path;
use std::time::Instant;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml");
    let plan = scenario::load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    let runs: usize = std::env::var("QUICKSTART_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let warmup = sim::run(&plan);
    let digest = warmup.outcome.digest;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let result = sim::run(&plan);
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(result.outcome.digest, digest, "the same run must give the same trace");
        // Every request issued, warm-up included, is simulated work.
        let requests: u64 = result.planet.populations.iter().map(|p| p.issued()).sum();
        samples.push((seconds, requests, result.outcome.events));
    }
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, requests, events) = samples[samples.len() / 2];
    println!("quickstart: {runs} runs, median {seconds:.3} s wall");
    println!("  simulated requests: {requests}  ({:.2} M requests/s of wall time)", requests as f64 / seconds / 1e6);
    println!("  events:             {events}  ({:.2} M events/s of wall time)", events as f64 / seconds / 1e6);
    println!("  fastest {:.3} s, slowest {:.3} s, digest {digest:016x}", samples[0].0, samples[samples.len() - 1].0);
}
