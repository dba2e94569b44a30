//! The JSON Schema that `planetsim schema` prints for editors: it accepts every bundled file,
//! refuses broken ones as the loader does, accepts what YAML lets the loader accept, and the
//! committed copy (`docs/planetsim.schema.json`) is the current output.

use crate::support::{repo_path, temp_dir, write};
use planetsim::scenario::units::{DURATION_UNITS, parse_duration, parse_instant};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn planetsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planetsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What `planetsim schema [file]` prints.
fn printed(args: &[&str]) -> String {
    let output = planetsim(&[&["schema"], args].concat(), &repo_path("."));
    assert!(output.status.success(), "planetsim schema {args:?} failed: {}", text(&output.stderr));
    text(&output.stdout)
}

/// A compiled schema and the parts the tests validate against.
struct Validator {
    schemas: boon::Schemas,
    any: boon::SchemaIndex,
    duration: boon::SchemaIndex,
    instant: boon::SchemaIndex,
}

const URL: &str = "file:///planetsim.schema.json";

impl Validator {
    /// Compiles what the binary prints, so the test checks what users get.
    fn new() -> Self {
        let schema: Value = serde_json::from_str(&printed(&[])).expect("the schema is JSON");
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(URL, schema).expect("the URL is valid");
        let mut schemas = boon::Schemas::new();
        let mut compile = |fragment: &str| {
            compiler.compile(&format!("{URL}{fragment}"), &mut schemas).unwrap_or_else(|e| panic!("the schema compiles: {e:#}"))
        };
        let any = compile("");
        let duration = compile("#/$defs/Duration");
        let instant = compile("#/$defs/Instant");
        Validator { schemas, any, duration, instant }
    }

    fn errors(&self, document: &Value, index: boon::SchemaIndex) -> Option<String> {
        self.schemas.validate(document, index).err().map(|e| format!("{e:#}"))
    }

    fn accepts_text(&self, text: &str, index: boon::SchemaIndex) -> bool {
        self.errors(&Value::String(text.to_string()), index).is_none()
    }
}

/// A YAML file as the JSON document an editor's language server validates.
fn json_of(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("the YAML parses: {e}"))
}

fn yaml_files(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && recursive {
            files.extend(yaml_files(&path, recursive));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Validates every file, returning how many there were and the failures.
fn validate_all(validator: &Validator, files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for file in files {
        let document = json_of(&std::fs::read_to_string(file).unwrap());
        if let Some(errors) = validator.errors(&document, validator.any) {
            failures.push(format!("{}:\n{errors}", file.display()));
        }
    }
    failures
}

#[test]
fn every_bundled_scenario_and_topology_is_valid() {
    let validator = Validator::new();
    let scenarios = yaml_files(&repo_path("scenarios"), true);
    let topologies = yaml_files(&repo_path("topologies"), false);
    // A discovery bug (a wrong folder, a missed subfolder) must not pass with nothing checked.
    assert!(scenarios.len() >= 30, "found only {} scenarios", scenarios.len());
    assert!(scenarios.iter().any(|p| p.to_string_lossy().contains("case-studies")), "the case studies are included");
    assert!(topologies.len() >= 17, "found only {} topologies", topologies.len());
    let failures: Vec<String> = [validate_all(&validator, &scenarios), validate_all(&validator, &topologies)].concat();
    assert!(failures.is_empty(), "the schema refuses bundled files:\n{}", failures.join("\n\n"));
}

const TOPOLOGY: &str = "
name: pair
regions:
  - {id: london, lat: 51.5, lon: -0.12, utc_offset_h: 0}
  - {id: frankfurt, lat: 50.11, lon: 8.68, utc_offset_h: 1}
links:
  - {name: lon-fra, kind: terrestrial, between: [london, frankfurt]}
";

const SCENARIO: &str = "
name: base
topology: topology.yaml
duration: 5s
services:
  - {region: frankfurt, workers: 4, queue_capacity: 10, service_time: {dist: exponential, mean: 5ms}}
clients:
  - name: users
    region: london
    rate_rps: 100
    timeout: 1s
    surges: [{at: +2s, multiplier: 2, hold: 1s}]
faults:
  - {kind: cut, links: [lon-fra], at: 2026-01-01T00:00:03 local london, duration: 1s}
";

/// `SCENARIO` (or `TOPOLOGY`) with one text replaced; the replaced text must be there.
fn edited(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is in the base file");
    base.replacen(from, to, 1)
}

/// The exit code of `planetsim validate` on `file_text`, written next to a valid topology.
fn loader_exit_code(label: &str, name: &str, file_text: &str) -> Option<i32> {
    let dir = temp_dir(label);
    write(&dir, "topology.yaml", TOPOLOGY);
    write(&dir, name, file_text);
    planetsim(&["validate", name], &dir).status.code()
}

#[test]
fn the_base_files_of_these_tests_are_valid_for_both() {
    let validator = Validator::new();
    for (name, file_text) in [("scenario.yaml", SCENARIO), ("topology.yaml", TOPOLOGY)] {
        assert_eq!(validator.errors(&json_of(file_text), validator.any), None, "{name}");
        assert_eq!(loader_exit_code("schema-base", name, file_text), Some(0), "{name}");
    }
}

#[test]
fn broken_files_are_refused_by_the_schema_and_the_loader() {
    let validator = Validator::new();
    let broken = [
        ("a misspelt key", "scenario.yaml", edited(SCENARIO, "duration: 5s", "duraton: 5s")),
        (
            "an unknown key deep down",
            "scenario.yaml",
            edited(SCENARIO, "rate_rps: 100", "rate_rps: 100\n    retries: {max: 2, bakoff: immediate}"),
        ),
        (
            "a wrong type",
            "scenario.yaml",
            edited(
                SCENARIO,
                "services:\n  - {region: frankfurt, workers: 4, queue_capacity: 10, service_time: {dist: exponential, mean: 5ms}}",
                "services: 3",
            ),
        ),
        (
            "a list where a mapping goes",
            "scenario.yaml",
            edited(SCENARIO, "service_time: {dist: exponential, mean: 5ms}", "service_time: [exponential, 5ms]"),
        ),
        ("a bad enum value in a topology", "topology.yaml", edited(TOPOLOGY, "kind: terrestrial", "kind: satellite")),
        ("a bad enum value in a scenario", "scenario.yaml", edited(SCENARIO, "kind: cut", "kind: meteor")),
        ("a missing required key", "scenario.yaml", edited(SCENARIO, "    timeout: 1s\n", "")),
        ("a missing required key in a topology", "topology.yaml", edited(TOPOLOGY, ", utc_offset_h: 1", "")),
        ("a duration without a unit", "scenario.yaml", edited(SCENARIO, "timeout: 1s", "timeout: 1")),
        ("a duration with an unknown unit", "scenario.yaml", edited(SCENARIO, "timeout: 1s", "timeout: 1 sec")),
        ("an instant that is a duration", "scenario.yaml", edited(SCENARIO, "at: +2s", "at: 2s")),
        ("a whole number with a fraction", "scenario.yaml", edited(SCENARIO, "workers: 4", "workers: 4.5")),
        ("text where a number goes", "scenario.yaml", edited(SCENARIO, "rate_rps: 100", "rate_rps: many")),
    ];
    for (what, name, file_text) in &broken {
        assert!(validator.errors(&json_of(file_text), validator.any).is_some(), "the schema accepts {what}:\n{file_text}");
        // The schema and the loader agree: an editor flags only what planetsim refuses.
        assert_eq!(loader_exit_code("schema-broken", name, file_text), Some(2), "the loader accepts {what}:\n{file_text}");
    }
}

#[test]
fn what_yaml_lets_the_loader_accept_the_schema_accepts_too() {
    let validator = Validator::new();
    // serde-saphyr reads any scalar into text, and quoted numbers and YAML 1.1 booleans into
    // numbers and booleans: an editor must not flag a file planetsim runs.
    let lenient = [
        ("a number as a name", edited(SCENARIO, "name: base", "name: 2024")),
        ("a quoted whole number", edited(SCENARIO, "workers: 4", "workers: \"4\"")),
        ("a quoted number", edited(SCENARIO, "rate_rps: 100", "rate_rps: '1e2'")),
        ("a number with underscores", edited(SCENARIO, "workers: 4", "workers: 4_0")),
        ("a YAML 1.1 boolean", edited(SCENARIO, "queue_capacity: 10,", "queue_capacity: 10, propagate_deadlines: yes,")),
        ("an empty optional key", edited(SCENARIO, "duration: 5s", "duration: 5s\nwarmup:")),
        ("spaces inside a duration", edited(SCENARIO, "timeout: 1s", "timeout: ' 1 s '")),
        ("a UTC start", edited(SCENARIO, "duration: 5s", "duration: 5s\nstart: 2026-01-01T00:00Z")),
    ];
    for (what, file_text) in &lenient {
        assert_eq!(loader_exit_code("schema-lenient", "scenario.yaml", file_text), Some(0), "the loader accepts {what}");
        assert_eq!(validator.errors(&json_of(file_text), validator.any), None, "the schema refuses {what}:\n{file_text}");
    }
}

#[test]
fn duration_and_instant_patterns_accept_every_form_the_parsers_do() {
    let validator = Validator::new();
    let durations = [
        "250ms",
        "1.5s",
        "5m",
        "5min",
        "2h",
        "1d",
        "20us",
        "20µs",
        "20\u{3bc}s",
        "7ns",
        "0s",
        ".5s",
        "5.s",
        "+3s",
        " 5 s ",
        "3650d",
        "12 ms",
    ];
    for text in durations {
        assert!(parse_duration(text).is_ok(), "`{text}` is a duration");
        assert!(validator.accepts_text(text, validator.duration), "the schema refuses the duration `{text}`");
    }
    // Every unit the parser knows, in a duration and in an offset.
    for (unit, _) in DURATION_UNITS {
        let (duration, offset) = (format!("3{unit}"), format!("+3{unit}"));
        assert!(parse_duration(&duration).is_ok() && parse_instant(&offset).is_ok(), "`{unit}` is a unit");
        assert!(validator.accepts_text(&duration, validator.duration), "the schema refuses the duration `{duration}`");
        assert!(validator.accepts_text(&offset, validator.instant), "the schema refuses the instant `{offset}`");
    }
    for text in ["250", "5 minutes", "1e3s", "s", "", "5ms later", "inf s"] {
        assert!(parse_duration(text).is_err(), "`{text}` is not a duration");
        assert!(!validator.accepts_text(text, validator.duration), "the schema accepts the duration `{text}`");
    }
    let instants =
        ["+90s", "+0s", "+ 1.5m", "2026-12-31T23:59:00Z", "2026-12-31T23:59Z", "2027-01-01T00:00:00 local", "2027-1-1T0:0 local"];
    for text in instants {
        assert!(parse_instant(text).is_ok(), "`{text}` is an instant");
        assert!(validator.accepts_text(text, validator.instant), "the schema refuses the instant `{text}`");
    }
    // A fault's local time names its region; the schema takes it too.
    assert!(validator.accepts_text("2027-01-01T00:00:00 local tokyo", validator.instant));
    for text in ["90s", "2026-12-31 23:59:00", "2026-12-31T23:59:00", "tomorrow", "2026-12-31T23:59:00 Z"] {
        assert!(parse_instant(text).is_err(), "`{text}` is not an instant");
        assert!(!validator.accepts_text(text, validator.instant), "the schema accepts the instant `{text}`");
    }
}

#[test]
fn each_file_kind_has_a_schema_of_its_own() {
    let validator = Validator::new();
    let scenario: Value = serde_json::from_str(&printed(&["scenario"])).unwrap();
    let topology: Value = serde_json::from_str(&printed(&["topology"])).unwrap();
    assert_eq!(scenario["title"], "planetsim scenario file");
    assert_eq!(topology["title"], "planetsim topology file");
    let compile = |schema: &Value| {
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(URL, schema.clone()).unwrap();
        let mut schemas = boon::Schemas::new();
        let index = compiler.compile(URL, &mut schemas).unwrap();
        move |document: &Value| schemas.validate(document, index).is_ok()
    };
    let (scenario_accepts, topology_accepts) = (compile(&scenario), compile(&topology));
    assert!(scenario_accepts(&json_of(SCENARIO)) && !scenario_accepts(&json_of(TOPOLOGY)));
    assert!(topology_accepts(&json_of(TOPOLOGY)) && !topology_accepts(&json_of(SCENARIO)));
    assert!(validator.errors(&json_of(SCENARIO), validator.any).is_none());
}

#[test]
fn the_schema_is_deterministic_and_describes_keys() {
    let first = printed(&[]);
    assert_eq!(first, printed(&[]), "two runs print the same bytes");
    assert!(first.ends_with("}\n"), "pretty JSON with a trailing newline");
    // The YAML language server validates with draft 7's keywords: newer ones would be ignored.
    for keyword in ["prefixItems", "unevaluatedProperties", "dependentSchemas", "$anchor", "$dynamicRef"] {
        assert!(!first.contains(keyword), "the schema uses `{keyword}`, which editors do not know");
    }
    let schema: Value = serde_json::from_str(&first).unwrap();
    let client = &schema["$defs"]["ClientFile"];
    assert_eq!(client["additionalProperties"], false, "unknown keys are refused");
    let required: Vec<&str> = client["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(required, ["name", "rate_rps", "timeout"]);
    let timeout = &client["properties"]["timeout"];
    assert_eq!(timeout["$ref"], "#/$defs/Duration");
    assert!(timeout["description"].as_str().unwrap().contains("deadline"), "doc comments become descriptions");
    let kinds = &schema["$defs"]["LinkKindFile"]["enum"];
    assert_eq!(kinds, &serde_json::json!(["cable", "terrestrial"]));
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(repo_path("docs/planetsim.schema.json")).unwrap_or_default();
    assert!(
        committed == printed(&[]),
        "docs/planetsim.schema.json differs from `planetsim schema` (the file types changed?).\n\
         Regenerate it with: cargo run -- schema > docs/planetsim.schema.json"
    );
}

#[test]
fn a_bad_schema_argument_is_a_usage_error() {
    let output = planetsim(&["schema", "scenery"], &repo_path("."));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("scenario"), "the valid values are listed: {}", text(&output.stderr));
}
