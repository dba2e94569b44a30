//! Outcome checks as CI meets them: `check` exit codes and lines, JUnit, replications that do
//! not depend on the thread count, windows, and sweeps.

use crate::support::{SOLO_TOPOLOGY, temp_dir, write};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn planetsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planetsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(path: PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// An M/M/1 queue at ρ = 0.5 (mean sojourn 2 × 10 ms) behind a 1 s timeout, then 10 s in which
/// the server is 20× slower: the slow window fails most requests, the rest of the run none.
/// Two variants: `small` (1 worker) and `big` (4 workers, far from saturation).
const QUEUE: &str = "
name: queue
topology: topology.yaml
seed: 11
duration: 40s
warmup: 2s
services:
  - {region: here, workers: 1, queue_capacity: 1000, service_time: {dist: exponential, mean: 10ms}}
clients:
  - {name: users, region: here, rate_rps: 50, timeout: 1s}
faults:
  - {kind: slow-servers, name: slow, at: +20s, duration: 10s, regions: [here], share: 1, multiplier: 20}
windows:
  - {name: calm, from: +2s, until: +20s}
variants:
  - name: small
    set: {}
  - name: big
    set:
      services[0].workers: 4
";

fn queue_dir(label: &str, expectations: &str) -> PathBuf {
    let dir = temp_dir(label);
    write(&dir, "topology.yaml", SOLO_TOPOLOGY);
    write(&dir, "queue.yaml", &format!("{QUEUE}{expectations}"));
    dir
}

const HOLDING: &str = "
replications: 2
expect:
  - that: \"availability == 1\"
    during: calm
  - that: \"mean_ms ≈ 20 ± 35%\"
    variant: small
    during: calm
  - that: \"big.availability > small.availability + 0.1\"
  - that: \"error_rate > 0.5\"
    variant: small
    during: slow
  - that: \"small.windows.slow.requests.attempted ≈ 500 ± 10%\"
";

#[test]
fn check_passes_prints_each_expectation_and_writes_junit() {
    let dir = queue_dir("check-pass", HOLDING);
    let output = planetsim(&["check", "queue.yaml", "--junit", "out/check.xml"], &dir);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", text(&output.stderr));
    assert!(stdout.contains("check queue.yaml · 2 variants × 2 replication(s) (seeds 11–12)"), "{stdout}");
    // An expectation without a variant is judged on each variant.
    assert!(stdout.contains("pass  [small] availability == 1 (during calm)"), "{stdout}");
    assert!(stdout.contains("pass  [big] availability == 1 (during calm)"), "{stdout}");
    assert!(stdout.contains("held in 2 of 2 (in every replication)"), "{stdout}");
    assert!(stdout.contains("checked 6 expectations in 1 scenarios: 6 passed, 0 failed"), "{stdout}");
    let xml = std::fs::read_to_string(dir.join("out/check.xml")).unwrap();
    assert!(xml.contains("<testsuites name=\"planetsim check\" tests=\"6\" failures=\"0\" errors=\"0\">"), "{xml}");
    assert!(xml.contains("<testcase classname=\"queue\" name=\"[small] availability == 1 (during calm)\"/>"), "{xml}");
}

#[test]
fn a_broken_expectation_fails_with_exit_1_and_a_command_that_reproduces_it() {
    let dir = queue_dir("check-fail", "expect:\n  - that: \"small.p99_ms < 25\"\n    note: \"deliberately too tight\"\n");
    let output = planetsim(&["check", ".", "--replications", "3", "--junit", "check.xml"], &dir);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  small.p99_ms < 25"), "{stdout}");
    assert!(stdout.contains("· deliberately too tight"), "{stdout}");
    let reproduce = stdout.lines().find_map(|l| l.trim().strip_prefix("reproduce: planetsim ")).expect("a reproduce line");
    assert!(
        reproduce.starts_with("check ./queue.yaml --seed 11 --replications 3 (first failing run: planetsim run ./queue.yaml --seed 11)"),
        "{reproduce}"
    );
    assert!(text(&output.stderr).contains("checked 1 expectations in 1 scenarios: 0 passed, 1 failed"));
    // The command it prints fails the same way, with the same value.
    let again = planetsim(&["check", "./queue.yaml", "--seed", "11", "--replications", "3"], &dir);
    assert_eq!(again.status.code(), Some(1));
    let value = |s: &str| s.lines().find(|l| l.contains("value ")).map(str::to_string);
    assert_eq!(value(&text(&again.stdout)), value(&stdout));
    let xml = std::fs::read_to_string(dir.join("check.xml")).unwrap();
    assert!(xml.contains("failures=\"1\"") && xml.contains("<failure message=\"value "), "{xml}");
    assert!(xml.contains("reproduce: planetsim check"), "{xml}");
}

#[test]
fn a_metric_that_does_not_exist_is_bad_input_with_its_location() {
    let dir = queue_dir("check-bad", "expect:\n  - that: \"small.latency_ms.p98 < 25\"\n");
    let output = planetsim(&["check", "queue.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("queue.yaml:22:11: error at `expect[0].that`: `latency_ms` has no `p98`"), "{stderr}");
    assert!(stderr.contains("help: did you mean `p90`?") || stderr.contains("help: did you mean `p99`?"), "{stderr}");
    // Caught before running: a misspelt variant, region, window and way to hold.
    let dir = queue_dir(
        "check-bad-static",
        "expect:\n  - that: \"smal.availability > 0\"\n  - that: \"availability > 0\"\n    region: hre\n    during: slwo\n    holds: most\n  - that: \"big.availability > availability\"\n  - that: \"big.availability-small.availability > 0\"\n",
    );
    let output = planetsim(&["validate", "queue.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    for wanted in [
        "`smal` is not a metric or a variant (did you mean `small`?)",
        "error at `expect[1].region`: `hre` is not a region with clients",
        "error at `expect[1].during`: no window or fault is called `slwo`",
        "help: did you mean `slow`?",
        "error at `expect[1].holds`: `most` is not a way to hold",
        "error at `expect[2].that`: `availability` has no variant, and the expectation names variants elsewhere",
        "`availability-small` is not a metric or a variant (to subtract, put spaces around `-`)",
    ] {
        assert!(stderr.contains(wanted), "missing `{wanted}` in:\n{stderr}");
    }
}

#[test]
fn replications_merge_exactly_and_do_not_depend_on_the_thread_count() {
    let dir = queue_dir("replications", "");
    let one = planetsim(&["run", "queue.yaml", "--replications", "3", "--threads", "1", "--out", "one", "--quiet"], &dir);
    assert!(one.status.success(), "{}", text(&one.stderr));
    let three = planetsim(&["run", "queue.yaml", "--replications", "3", "--threads", "3", "--out", "three", "--quiet"], &dir);
    assert!(three.status.success());
    for file in ["replications.json", "replications.csv", "latency_all.hgrm", "latency_here.hgrm"] {
        for variant in ["small", "big"] {
            let a = std::fs::read(dir.join("one").join(variant).join(file)).unwrap();
            assert_eq!(a, std::fs::read(dir.join("three").join(variant).join(file)).unwrap(), "{variant}/{file}");
        }
    }
    // Against the three runs made one by one.
    let mut availability = Vec::new();
    let mut successes = 0;
    for seed in ["11", "12", "13"] {
        let out = format!("seed{seed}");
        assert!(planetsim(&["run", "queue.yaml", "--seed", seed, "--variant", "small", "--out", &out, "--quiet"], &dir).status.success());
        let summary = json(dir.join(&out).join("small/summary.json"));
        availability.push(summary["availability"].as_f64().unwrap());
        successes += summary["latency_ms"]["count"].as_u64().unwrap();
    }
    let replicated = json(dir.join("one/small/replications.json"));
    assert_eq!(replicated["seeds"], serde_json::json!([11, 12, 13]));
    let mean = availability.iter().sum::<f64>() / 3.0;
    let reported = &replicated["metrics"]["availability"];
    assert!((reported["mean"].as_f64().unwrap() - mean).abs() < 1e-6, "{reported} vs {mean}");
    let (low, high) = (reported["ci95_low"].as_f64().unwrap(), reported["ci95_high"].as_f64().unwrap());
    assert!(low < mean && mean < high && low >= availability.iter().copied().fold(1.0, f64::min) - 0.1);
    // Merging adds the histograms' counts: every success of every replication is in the pool.
    assert_eq!(replicated["pooled_latency_ms"]["all"]["count"].as_u64(), Some(successes));
}

#[test]
fn a_window_counts_the_requests_issued_in_it() {
    let dir = queue_dir("windows", "expect:\n  - that: \"availability > 0\"\n    during: slow\n");
    assert!(planetsim(&["run", "queue.yaml", "--variant", "small", "--out", "out", "--quiet"], &dir).status.success());
    let summary = json(dir.join("out/small/summary.json"));
    let windows = &summary["windows"];
    // `slow` is measured because an expectation names the fault; `calm` is declared.
    assert_eq!((windows["slow"]["from_s"].as_f64(), windows["slow"]["until_s"].as_f64()), (Some(20.0), Some(30.0)));
    assert_eq!((windows["calm"]["from_s"].as_f64(), windows["calm"]["until_s"].as_f64()), (Some(2.0), Some(20.0)));
    // The timeline's one-second windows attribute a request's start to the window it was issued in.
    let timeline = std::fs::read_to_string(dir.join("out/small/timeline.csv")).unwrap();
    let issued_between = |from: f64, until: f64| -> u64 {
        timeline
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[2] == "all" && c[0].parse::<f64>().unwrap() >= from && c[0].parse::<f64>().unwrap() < until)
            .map(|c| c[3].parse::<u64>().unwrap())
            .sum()
    };
    for (name, from, until) in [("slow", 20.0, 30.0), ("calm", 2.0, 20.0)] {
        let attempted = windows[name]["requests"]["attempted"].as_u64().unwrap();
        assert_eq!(attempted, issued_between(from, until), "window {name}");
        assert_eq!(windows[name]["regions"]["here"]["requests"]["attempted"].as_u64(), Some(attempted));
    }
    let calm = windows["calm"]["availability"].as_f64().unwrap();
    let slow = windows["slow"]["availability"].as_f64().unwrap();
    assert_eq!(calm, 1.0);
    assert!(slow < 0.5, "a 20× slower single server at ρ = 0.5 falls far behind: {slow}");
    let throughput = windows["calm"]["throughput_rps"].as_f64().unwrap();
    assert!((throughput - windows["calm"]["requests"]["succeeded"].as_f64().unwrap() / 18.0).abs() < 1e-3);
}

#[test]
fn a_sweep_runs_the_grid_and_tabulates_each_point() {
    let dir = queue_dir("sweep", "");
    let output = planetsim(
        &[
            "sweep",
            "queue.yaml",
            "--variant",
            "small",
            "--set",
            "services[0].workers=1,2",
            "--set",
            "clients[0].rate_rps=20,50",
            "--metric",
            "requests.attempted",
            "--metric",
            "windows.calm.availability",
            "--out",
            "sweep",
        ],
        &dir,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(dir.join("sweep/sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "variant,services[0].workers,clients[0].rate_rps,requests.attempted,windows.calm.availability");
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[1].starts_with("small,1,20,") && rows[4].starts_with("small,2,50,"), "{csv}");
    // Each point is the run the settings describe: 38 measured seconds at the swept rate.
    for row in &rows[1..] {
        let cells: Vec<&str> = row.split(',').collect();
        let rate: f64 = cells[2].parse().unwrap();
        let attempted: f64 = cells[3].parse().unwrap();
        assert!((attempted / (rate * 38.0) - 1.0).abs() < 0.1, "{row}");
    }
    let markdown = std::fs::read_to_string(dir.join("sweep/sweep.md")).unwrap();
    assert!(markdown.starts_with("| variant | services[0].workers |"), "{markdown}");
    // A key that does not exist is refused with the nearest valid one.
    let output = planetsim(&["sweep", "queue.yaml", "--set", "services[0].workrs=1,2"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("with services[0].workrs=1: unknown key `workrs`") && stderr.contains("did you mean `workers`?"), "{stderr}");
    assert_eq!(stderr.matches("unknown key").count(), 1, "reported once, not per variant:\n{stderr}");
}

#[test]
fn expectations_know_every_top_level_key_of_the_summary() {
    let dir = queue_dir("summary-keys", "");
    assert!(planetsim(&["run", "queue.yaml", "--variant", "small", "--out", "out", "--quiet"], &dir).status.success());
    let summary = json(dir.join("out/small/summary.json"));
    let mut keys: Vec<&str> = summary.as_object().unwrap().keys().map(String::as_str).collect();
    keys.push("data"); // only with a key space
    keys.extend(["alerts", "actions"]); // only with alert rules and operator actions
    keys.sort_unstable();
    let mut known: Vec<&str> = planetsim::scenario::expect::SUMMARY_KEYS.to_vec();
    known.sort_unstable();
    assert_eq!(keys, known);
}

#[test]
fn a_bundled_scenario_passes_and_fails_when_an_expectation_is_broken_on_purpose() {
    let original = std::fs::read_to_string(crate::support::repo_path("scenarios/flash-sale-partition.yaml")).unwrap();
    let topology = crate::support::repo_path("topologies/world.yaml");
    let relocated = original.replace("topology: ../topologies/world.yaml", &format!("topology: {}", topology.display()));
    assert_ne!(relocated, original, "the scenario names its topology as expected");
    let dir = temp_dir("broken-on-purpose");
    write(&dir, "flash-sale.yaml", &relocated);
    let output = planetsim(&["check", "flash-sale.yaml"], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let broken = relocated.replace("global-lock.data.stock.oversold == 0", "global-lock.data.stock.oversold == 1");
    assert_ne!(broken, relocated);
    write(&dir, "flash-sale.yaml", &broken);
    let output = planetsim(&["check", "flash-sale.yaml"], &dir);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL  global-lock.data.stock.oversold == 1\n        value 0 · bound == 1 · held in 0 of 1 (in every replication)"),
        "{stdout}"
    );
}

/// Clients in `a` (5 ms from `hub`) and `b` (15 ms), a server at `hub` that errors a share of
/// requests during `flaky`, and clients that retry once at once: each window counts by region.
const TWO_REGIONS: &str = "
name: two
topology: topology.yaml
seed: 3
duration: 30s
services:
  - {region: hub, workers: 8, queue_capacity: 100, service_time: {dist: constant, value: 1ms}}
clients:
  - {name: near, region: a, rate_rps: 100, timeout: 1s, retries: {max: 1}}
  - {name: far, region: b, rate_rps: 50, timeout: 1s, retries: {max: 1}}
faults:
  - {kind: error-servers, name: flaky, at: +10s, until: +40s, regions: [hub], rate: 0.5}
windows:
  - {name: early, from: +0s, until: +10s}
  - {name: flaky-start, fault: flaky, until: +15s}
";

#[test]
fn every_fault_is_a_window_counted_per_region_and_ended_with_arrivals() {
    let dir = temp_dir("windows-regions");
    write(&dir, "topology.yaml", crate::support::STAR);
    write(&dir, "two.yaml", TWO_REGIONS);
    let output = planetsim(&["run", "two.yaml", "--out", "out", "--quiet"], &dir);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let summary = json(dir.join("out/summary.json"));
    let windows = &summary["windows"];
    // The fault is measured without being named anywhere, and ends with arrivals (30 s), not at 40 s.
    assert_eq!((windows["flaky"]["from_s"].as_f64(), windows["flaky"]["until_s"].as_f64()), (Some(10.0), Some(30.0)));
    // `fault:` takes the fault's start; `until` overrides its end.
    assert_eq!((windows["flaky-start"]["from_s"].as_f64(), windows["flaky-start"]["until_s"].as_f64()), (Some(10.0), Some(15.0)));
    for window in ["early", "flaky", "flaky-start"] {
        let w = &windows[window];
        let (a, b) = (&w["regions"]["a"]["requests"], &w["regions"]["b"]["requests"]);
        let length = w["until_s"].as_f64().unwrap() - w["from_s"].as_f64().unwrap();
        // Each region at its own rate: a wrong region index would swap or merge them.
        let (a_rate, b_rate) = (a["attempted"].as_f64().unwrap() / length, b["attempted"].as_f64().unwrap() / length);
        assert!((a_rate / 100.0 - 1.0).abs() < 0.15 && (b_rate / 50.0 - 1.0).abs() < 0.2, "{window}: {a_rate} {b_rate}");
        assert_eq!(w["requests"]["attempted"].as_u64().unwrap(), a["attempted"].as_u64().unwrap() + b["attempted"].as_u64().unwrap());
        assert_eq!(w["requests"]["retries"].as_u64().unwrap(), a["retries"].as_u64().unwrap() + b["retries"].as_u64().unwrap());
    }
    // Retries happen where errors do: none before the fault, about half the requests during it.
    // (Retries count with the request's issue: a request issued just before the fault may retry.)
    let early = &windows["early"]["requests"];
    assert!(early["retries"].as_f64().unwrap() < 0.01 * early["attempted"].as_f64().unwrap(), "{early}");
    let flaky = &windows["flaky"]["requests"];
    let retry_share = flaky["retries"].as_f64().unwrap() / flaky["attempted"].as_f64().unwrap();
    assert!((retry_share - 0.5).abs() < 0.05, "{retry_share}");
    let availability = windows["flaky"]["availability"].as_f64().unwrap();
    assert!((availability - 0.75).abs() < 0.05, "one retry at 50 % errors succeeds 75 % of the time: {availability}");
}

#[test]
fn windows_and_variants_are_checked_before_running() {
    let dir = temp_dir("windows-errors");
    write(&dir, "topology.yaml", crate::support::STAR);
    let cases = [
        ("windows:\n  - {name: flaky, from: +1s}\n", "a fault is called `flaky` too, and every fault is measured as a window"),
        ("windows:\n  - {name: late, from: +31s}\n", "error at `windows[0].from`: the window starts after requests stop arriving"),
        ("windows:\n  - {name: back, from: +5s, until: +2s}\n", "error at `windows[0].until`: the window ends before it starts"),
        ("windows:\n  - {name: ghost, fault: flakey}\n", "no fault is called `flakey`"),
        ("replications: 0\n", "error at `replications`: 0 is out of range"),
        ("claims:\n  - {claim: x, status: maybe}\n", "valid values: target, band, context"),
        ("variants:\n  - name: requests\n    set: {}\n", "`requests` is a metric of the summary"),
        ("variants:\n  - name: p99_ms\n    set: {}\n", "`p99_ms` is a metric of the summary"),
    ];
    for (extra, wanted) in cases {
        let yaml = match extra.strip_prefix("windows:\n") {
            Some(window) => TWO_REGIONS.replacen("windows:\n", &format!("windows:\n{window}"), 1),
            None => format!("{TWO_REGIONS}{extra}"),
        };
        write(&dir, "two.yaml", &yaml);
        let output = planetsim(&["validate", "two.yaml"], &dir);
        assert_eq!(output.status.code(), Some(2), "{extra}");
        assert!(text(&output.stderr).contains(wanted), "missing `{wanted}` in:\n{}", text(&output.stderr));
    }
    // A variant without the fault cannot be measured during it.
    let without_fault_window = TWO_REGIONS.replace("  - {name: flaky-start, fault: flaky, until: +15s}\n", "");
    let yaml = format!(
        "{without_fault_window}variants:\n  - name: calm\n    set:\n      faults: []\n  - name: rough\n    set: {{}}\nexpect:\n  - that: \"availability > 0.5\"\n    during: flaky\n"
    );
    write(&dir, "two.yaml", &yaml);
    let output = planetsim(&["validate", "two.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("error at `expect[0].that`: in variant `calm`, no window or fault is called `flaky`"),
        "{}",
        text(&output.stderr)
    );
    // A fault only a variant adds is measured in that variant: an expectation on that variant
    // may be scoped to it, though the base has no such fault.
    let fault = "  - {kind: error-servers, name: flaky, at: +10s, until: +40s, regions: [hub], rate: 0.5}\n";
    let base = without_fault_window.replace(&format!("faults:\n{fault}"), "");
    assert!(!base.contains("flaky"));
    let yaml = format!(
        "{base}variants:\n  - name: calm\n    set: {{}}\n  - name: rough\n    set:\n      faults:\n      {fault}expect:\n  - that: \"error_rate > 0.2\"\n    variant: rough\n    during: flaky\n"
    );
    write(&dir, "two.yaml", &yaml);
    let output = planetsim(&["validate", "two.yaml"], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn a_share_of_replications_and_values_that_are_not_numbers() {
    // 0 / 0 has no value; `small` fails nearly every request in `slow`, but not every one in
    // every seed.
    let dir = queue_dir(
        "holds",
        "expect:\n  - that: \"small.requests.retries / small.requests.hedges > 0\"\n  - that: \"small.error_rate > 0.05\"\n    during: slow\n    holds: 50%\n  - that: \"small.windows.slow.error_rate > 0.99\"\n    holds: 100%\n",
    );
    let output = planetsim(&["check", "queue.yaml", "--replications", "2"], &dir);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL  small.requests.retries / small.requests.hedges > 0\n        no value · a side is not a finite number (a division by zero?) in the run with seed 11 · held in 0 of 2 (for the mean)"),
        "{stdout}"
    );
    assert!(stdout.contains("pass  small.error_rate > 0.05 (during slow)"), "{stdout}");
    assert!(stdout.contains("held in 2 of 2 (in at least 50% of replications)"), "{stdout}");
    assert!(stdout.contains("FAIL  small.windows.slow.error_rate > 0.99\n        value 0.987353 [0.922928, 1.052] · bound > 0.99 · held in 1 of 2 (in at least 100% of replications)"), "{stdout}");
}

#[test]
fn check_refuses_to_pass_with_nothing_checked_and_finds_yml_files() {
    let dir = temp_dir("check-nothing");
    write(&dir, "topology.yaml", SOLO_TOPOLOGY);
    write(&dir, "plain.yml", QUEUE);
    let output = planetsim(&["check", "."], &dir);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("./plain.yml: no expectations"), "{}", text(&output.stdout));
    assert!(text(&output.stderr).contains("checked 0 expectations in 1 scenarios: 0 passed, 0 failed: no scenario in . has expectations"));
    let missing = planetsim(&["check", "nowhere/"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("nowhere/ does not exist"));
    // With one expectation in the .yml file, it is found and checked; --quiet prints only the count.
    write(&dir, "plain.yml", &format!("{QUEUE}expect:\n  - that: \"availability > 0\"\n"));
    let quiet = planetsim(&["check", ".", "--quiet"], &dir);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stdout), "checked 2 expectations in 1 scenarios: 2 passed, 0 failed\n");
}

#[test]
fn sweep_refuses_bad_requests_and_reports_intervals_with_replications() {
    let dir = queue_dir("sweep-more", "");
    let cases: [(&[&str], &str); 5] = [
        (&["--set", "services[0].workers=1", "--set", "services[0].workers=2"], "`services[0].workers` is set twice"),
        (&["--set", "services[0].workers"], "is not `key=value,value,…`"),
        (&["--set", "seed=1,2"], "`seed` cannot be swept"),
        (&["--set", "services[0].workers=1", "--variant", "medium"], "the scenario has no variant `medium` (it has: small, big)"),
        (&["--set", "services[0].workers=1", "--metric", "latency_ms.p98"], "--metric latency_ms.p98: `latency_ms` has no `p98`"),
    ];
    for (args, wanted) in cases {
        let output = planetsim(&[&["sweep", "queue.yaml"], args].concat(), &dir);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(text(&output.stderr).contains(wanted), "missing `{wanted}` in:\n{}", text(&output.stderr));
    }
    // Every variant by default; with replications, each metric's ±95 % half-width beside it.
    let output = planetsim(
        &["sweep", "queue.yaml", "--set", "clients[0].rate_rps=20,40", "--replications", "3", "--metric", "availability", "--out", "s"],
        &dir,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(dir.join("s/sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["variant", "clients[0].rate_rps", "availability", "availability ±95%"]);
    assert_eq!(rows.iter().skip(1).map(|r| r[0]).collect::<Vec<_>>(), ["small", "small", "big", "big"]);
    for row in &rows[1..] {
        let half_width: f64 = row[3].parse().unwrap();
        assert!((0.0..0.2).contains(&half_width), "{row:?}");
    }
    assert!(text(&output.stdout).contains("4 points, 3 seeds from 11 · results: s"), "{}", text(&output.stdout));
}

#[test]
fn run_with_replications_prints_intervals_and_how_to_reproduce() {
    let dir = queue_dir("replications-print", "");
    let output = planetsim(&["run", "queue.yaml", "--variant", "big", "--replications", "3", "--out", "r"], &dir);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("planetsim · scenario `queue` · variant `big` · 3 replications (seeds 11–13)"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("availability ") && l.contains('[')), "{stdout}");
    assert!(stdout.contains("pooled latency (all replications' histograms merged): p50 "), "{stdout}");
    assert!(stdout.contains("reproduce: planetsim run queue.yaml --seed 11 --replications 3 --variant big"), "{stdout}");
    let csv = std::fs::read_to_string(dir.join("r/big/replications.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seed,digest,attempted,succeeded,availability,p50_ms,p99_ms,amplification");
    assert_eq!(lines.len(), 4);
    // Each row is that seed's own run.
    assert!(planetsim(&["run", "queue.yaml", "--variant", "big", "--seed", "12", "--out", "s12", "--quiet"], &dir).status.success());
    let single = json(dir.join("s12/big/summary.json"));
    assert!(
        lines[2].starts_with(&format!("12,{},{},", single["digest"].as_str().unwrap(), single["requests"]["attempted"])),
        "{}",
        lines[2]
    );
}

#[test]
fn region_scopes_client_metrics_and_seed_picks_the_seeds() {
    // Region `a` is 5 ms from the service, `b` 15 ms: a 20 ms bound on p50 holds in `a` only.
    let dir = temp_dir("region-seed");
    write(&dir, "topology.yaml", crate::support::STAR);
    let expect = |region: &str| format!("{TWO_REGIONS}expect:\n  - that: \"p50_ms < 20\"\n    region: {region}\n    during: early\n");
    write(&dir, "near.yaml", &expect("a"));
    let output = planetsim(&["check", "near.yaml", "--seed", "20", "--replications", "2"], &dir);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("pass  p50_ms < 20 (in a during early)"), "{stdout}");
    assert!(stdout.contains("(seeds 20–21)"), "{stdout}");
    write(&dir, "far.yaml", &expect("b"));
    let output = planetsim(&["check", "far.yaml", "--seed", "20", "--replications", "2"], &dir);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  p50_ms < 20 (in b during early)") && stdout.contains("--seed 20"), "{stdout}");
}

#[test]
fn check_finds_scenarios_in_subfolders() {
    let dir = queue_dir("check-subfolder", HOLDING);
    std::fs::create_dir_all(dir.join("nested/deeper")).unwrap();
    std::fs::rename(dir.join("queue.yaml"), dir.join("nested/deeper/queue.yaml")).unwrap();
    std::fs::rename(dir.join("topology.yaml"), dir.join("nested/deeper/topology.yaml")).unwrap();
    let output = planetsim(&["check", "nested"], &dir);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("checked 6 expectations in 1 scenarios: 6 passed, 0 failed"), "{stdout}");
}
