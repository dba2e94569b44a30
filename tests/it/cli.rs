//! The command line as a user meets it: exit codes, located errors, output formats.

use crate::support::{repo_path, temp_dir, write};
use std::path::Path;
use std::process::{Command, Output};

fn planetsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planetsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const MINI_TOPOLOGY: &str = "
name: mini
regions:
  - {id: london, lat: 51.5, lon: -0.12, utc_offset_h: 0}
  - {id: frankfurt, lat: 50.11, lon: 8.68, utc_offset_h: 1}
  - {id: virginia, lat: 39.04, lon: -77.49, utc_offset_h: -5}
sites:
  - {id: bude, lat: 50.83, lon: -4.55}
links:
  - {name: lon-fra, kind: terrestrial, between: [london, frankfurt]}
  - {name: lon-bude, kind: terrestrial, between: [london, bude]}
  - {name: tat-14, kind: cable, groups: [transatlantic], between: [bude, virginia]}
";

const GOOD_SCENARIO: &str = "
name: good
topology: topology.yaml
duration: 5s
services:
  - {region: frankfurt, workers: 4, queue_capacity: 10, service_time: {dist: exponential, mean: 5ms}}
clients:
  - {name: users, regions: [london, virginia], rate_rps: 100, timeout: 1s}
";

#[test]
fn run_writes_the_documented_files_and_summary_fields() {
    let dir = temp_dir("cli-run");
    write(&dir, "topology.yaml", MINI_TOPOLOGY);
    write(&dir, "good.yaml", GOOD_SCENARIO);
    let output = planetsim(&["run", "good.yaml", "--out", "out"], &dir);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("virginia") && stdout.contains("p99.9"), "summary table printed:\n{stdout}");
    for file in ["summary.json", "timeline.csv", "latency_all.hgrm", "latency_london.hgrm", "latency_virginia.hgrm"] {
        assert!(dir.join("out").join(file).is_file(), "{file} written");
    }
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    for key in ["scenario", "seed", "digest", "requests", "availability", "latency_ms", "regions"] {
        assert!(summary.get(key).is_some(), "summary.json has `{key}`");
    }
    for key in ["p50", "p90", "p99", "p999", "max", "mean"] {
        assert!(summary["latency_ms"][key].is_number(), "latency_ms.{key} is a number");
    }
    let requests = &summary["requests"];
    let attempted = requests["attempted"].as_u64().unwrap();
    assert!(attempted > 500, "about 1,000 requests expected, got {attempted}");
    assert_eq!(attempted, requests["succeeded"].as_u64().unwrap() + requests["failed"]["total"].as_u64().unwrap());
    // London is 8 ms from Frankfurt, Virginia ~70 ms: per-region latencies must reflect it.
    let p50 = |r: &str| summary["regions"][r]["latency_ms"]["p50"].as_f64().unwrap();
    assert!(p50("virginia") > p50("london") + 50.0);
    let timeline = std::fs::read_to_string(dir.join("out/timeline.csv")).unwrap();
    assert!(timeline.starts_with("window_start_s,window_s,region,attempted,succeeded"));
}

#[test]
fn bad_input_is_located_and_exits_2_without_results() {
    let dir = temp_dir("cli-bad");
    write(&dir, "topology.yaml", MINI_TOPOLOGY);
    let bad = "name: bad
topology: topology.yaml
duration: 10s
services:
  - region: frankfrut
    workers: 0
    queue_capacity: 10
    service_time: {dist: exponential, mean: 5ms}
clients:
  - {name: users, regions: [london, virgina], rate_rps: -1, timeout: 1s}
";
    write(&dir, "bad.yaml", bad);
    let output = planetsim(&["run", "bad.yaml", "--out", "out"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.yaml:5:13: error at `services[0].region`: unknown region `frankfrut`"), "{stderr}");
    assert!(stderr.contains("did you mean `frankfurt`?"), "{stderr}");
    assert!(stderr.contains("`services[0].workers`"), "every problem is reported:\n{stderr}");
    assert!(stderr.contains("did you mean `virginia`?"), "{stderr}");
    assert!(stderr.contains("`clients[0].rate_rps`"), "{stderr}");
    assert!(stderr.contains("4 problems found"), "{stderr}");
    assert!(!dir.join("out").exists(), "no result folder for a run that did not happen");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn unknown_keys_and_syntax_errors_are_located() {
    let dir = temp_dir("cli-keys");
    write(&dir, "topology.yaml", MINI_TOPOLOGY);
    write(&dir, "typo.yaml", &GOOD_SCENARIO.replace("duration: 5s", "duraton: 5s"));
    let output = planetsim(&["validate", "typo.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("typo.yaml:4:1") && stderr.contains("unknown key `duraton`") && stderr.contains("did you mean `duration`?"),
        "{stderr}"
    );
    write(&dir, "broken.yaml", "name: [unclosed\n");
    let output = planetsim(&["validate", "broken.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("broken.yaml:1:"), "{}", text(&output.stderr));
}

#[test]
fn topology_errors_name_the_link_to_nowhere() {
    let dir = temp_dir("cli-topo-bad");
    write(&dir, "t.yaml", &MINI_TOPOLOGY.replace("between: [bude, virginia]", "between: [bude, virgina]"));
    let output = planetsim(&["validate", "t.yaml"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("link to nowhere") && stderr.contains("did you mean `virginia`?"), "{stderr}");
    write(&dir, "empty.yaml", "name: empty\nregions: []\n");
    let stderr = text(&planetsim(&["validate", "empty.yaml"], &dir).stderr);
    assert!(stderr.contains("the world has no regions"), "{stderr}");
}

#[test]
fn topo_csv_gives_the_matrix_and_cuts_reroute_or_disconnect() {
    let dir = temp_dir("cli-topo");
    write(&dir, "t.yaml", MINI_TOPOLOGY);
    let output = planetsim(&["topo", "t.yaml", "--format", "csv"], &dir);
    assert!(output.status.success());
    let csv = text(&output.stdout);
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["region", "london", "frankfurt", "virginia"]);
    assert_eq!(rows.len(), 4);
    let london_virginia: f64 = rows[1][3].parse().unwrap();
    assert!(london_virginia > 50.0 && rows[1][3].split('.').nth(1).unwrap().len() == 1, "one decimal: {}", rows[1][3]);
    let cut = text(&planetsim(&["topo", "t.yaml", "--format", "csv", "--cut", "transatlantic"], &dir).stdout);
    let cut_rows: Vec<Vec<&str>> = cut.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(cut_rows[1][3], "", "London cannot reach Virginia once the only cable is cut");
    assert_eq!(cut_rows[1][2], rows[1][2], "London–Frankfurt is unaffected");
    let typo = planetsim(&["topo", "t.yaml", "--cut", "transatlantc"], &dir);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("did you mean `transatlantic`?"));
}

#[test]
fn usage_errors_exit_2_and_help_teaches_by_example() {
    let dir = temp_dir("cli-usage");
    assert_eq!(planetsim(&["frobnicate"], &dir).status.code(), Some(2));
    let help = planetsim(&["--help"], &dir);
    assert!(help.status.success());
    assert!(text(&help.stdout).contains("planetsim run scenarios/quickstart.yaml"));
}

#[test]
fn validate_accepts_the_bundled_files() {
    let output = planetsim(&["validate", "scenarios/quickstart.yaml", "topologies/world.yaml"], &repo_path("."));
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn variants_run_side_by_side_and_one_can_be_picked() {
    let dir = temp_dir("cli-variants");
    write(&dir, "topology.yaml", MINI_TOPOLOGY);
    let yaml = format!(
        "{GOOD_SCENARIO}variants:\n  - name: slow\n    set:\n      services[0].workers: 1\n  - name: fast\n    set:\n      services[0].workers: 8\n"
    );
    write(&dir, "v.yaml", &yaml);
    let output = planetsim(&["run", "v.yaml", "--out", "out"], &dir);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("variants (same scenario, same seed)"));
    let csv = std::fs::read_to_string(dir.join("out/variants.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("variant,availability,p50_ms"));
    assert!(rows[1].starts_with("slow,") && rows[2].starts_with("fast,"), "{csv}");
    assert!(dir.join("out/slow/summary.json").is_file() && dir.join("out/fast/summary.json").is_file());
    let one = planetsim(&["run", "v.yaml", "--out", "one", "--variant", "fast", "--format", "json"], &dir);
    assert!(one.status.success());
    let summaries: serde_json::Value = serde_json::from_slice(&one.stdout).expect("--format json prints the summaries");
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    assert_eq!(summaries[0]["variant"], "fast");
    assert!(!dir.join("one/slow").exists());
    let typo = planetsim(&["run", "v.yaml", "--variant", "fsat"], &dir);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("did you mean `fast`?"));
}

/// `--seed` replaces the scenario's seed (the digest and the reproduce line follow it, and the
/// same seed gives the same digest); `--quiet` prints nothing and still writes the results; a
/// variant asked of a scenario without any is refused.
#[test]
fn seed_and_quiet_change_what_runs_and_what_prints() {
    let dir = temp_dir("cli-seed");
    write(&dir, "topology.yaml", MINI_TOPOLOGY);
    write(&dir, "good.yaml", GOOD_SCENARIO);
    let digest = |out: &str| {
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(out).join("summary.json")).unwrap()).unwrap();
        (summary["seed"].as_u64().unwrap(), summary["digest"].as_str().unwrap().to_string())
    };
    let seven = planetsim(&["run", "good.yaml", "--out", "a", "--seed", "7"], &dir);
    assert!(text(&seven.stdout).contains("reproduce: planetsim run good.yaml --seed 7"), "{}", text(&seven.stdout));
    let quiet = planetsim(&["run", "good.yaml", "--out", "b", "--seed", "7", "--quiet"], &dir);
    assert!(quiet.status.success() && quiet.stdout.is_empty(), "{}", text(&quiet.stdout));
    let other = planetsim(&["run", "good.yaml", "--out", "c", "--seed", "8", "--quiet"], &dir);
    assert!(other.status.success());
    let (a, b, c) = (digest("a"), digest("b"), digest("c"));
    assert_eq!((a.0, c.0), (7, 8));
    assert_eq!(a, b, "the same seed gives the same run");
    assert_ne!(a.1, c.1, "another seed gives another run");
    let none = planetsim(&["run", "good.yaml", "--variant", "fast"], &dir);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("has no variant `fast` (it has none)"), "{}", text(&none.stderr));
}

#[test]
fn calibrate_prints_the_comparison_with_measurements() {
    let output = planetsim(&["calibrate", "topologies/world.yaml", "--worst", "3"], &repo_path("."));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("pairs compared:") && stdout.contains("median absolute error:"));
    assert_eq!(stdout.lines().skip_while(|l| !l.starts_with("worst 3 pairs")).skip(2).filter(|l| !l.trim().is_empty()).count(), 3);
}

/// The words of a script: names and flags, split at anything else.
fn words(script: &str) -> Vec<&str> {
    script.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).filter(|w| !w.is_empty()).collect()
}

#[test]
fn completions_know_every_subcommand_and_flag() {
    let dir = temp_dir("cli-completions");
    for shell in ["bash", "zsh", "fish"] {
        let output = planetsim(&["completions", shell], &dir);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        assert!(script.len() > 2000, "{shell}: a real script, not {} bytes", script.len());
        let words = words(&script);
        let expected = ["planetsim", "run", "check", "sweep", "validate", "topo", "calibrate", "schema", "completions"];
        for word in expected {
            assert!(words.contains(&word), "{shell} completion names `{word}`");
        }
        for flag in ["replications", "junit", "variant", "cut", "quiet"] {
            // Fish names long options `-l replications`; the others write `--replications`.
            let named = words.contains(&format!("--{flag}").as_str()) || script.contains(&format!("-l {flag}"));
            assert!(named, "{shell} completion names `--{flag}`");
        }
    }
    // Bash completes subcommands by matching the words typed so far.
    let bash = text(&planetsim(&["completions", "bash"], &dir).stdout);
    for subcommand in ["run", "check", "sweep", "schema"] {
        assert!(bash.contains(&format!("planetsim,{subcommand})")), "bash completes `planetsim {subcommand}`");
    }
    let script = write(&dir, "planetsim.bash", &bash);
    if let Ok(syntax) = Command::new("bash").arg("-n").arg(&script).output() {
        assert!(syntax.status.success(), "bash -n: {}", text(&syntax.stderr));
    }
}

#[test]
fn completions_for_an_unknown_shell_are_a_usage_error() {
    let output = planetsim(&["completions", "tcsh"], &temp_dir("cli-completions-bad"));
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "no script is printed");
    assert!(text(&output.stderr).contains("possible values: bash"), "{}", text(&output.stderr));
}
