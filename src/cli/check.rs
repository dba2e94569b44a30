//! `planetsim check` and `planetsim sweep`: scenarios run over replications, their expectations
//! judged, grids of parameter values tabulated.

use super::Failure;
use crate::outcome::evaluate::{self, BadMetric, Verdict, show, show_bound};
use crate::outcome::junit::{Case, Suite};
use crate::outcome::replicate::{self, VariantRuns};
use crate::outcome::{Expectation, Holds, sweep};
use crate::scenario::diagnostic::{Diagnostic, LoadError};
use crate::scenario::variants::{self, ScenarioSet, Variant};
use crate::scenario::{self, Loaded};
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub struct CheckOptions {
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    pub junit: Option<PathBuf>,
    pub threads: Option<u32>,
    pub quiet: bool,
}

/// What checking one file came to.
struct FileOutcome {
    suite: Suite,
    passed: usize,
    failed: usize,
    bad_input: bool,
}

pub fn check(paths: &[PathBuf], options: &CheckOptions) -> Result<(), Failure> {
    let files = scenario_files(paths)?;
    let mut outcomes = Vec::new();
    for file in &files {
        if let Some(outcome) = check_file(file, options)? {
            outcomes.push(outcome);
        }
    }
    if let Some(junit) = &options.junit {
        let suites: Vec<Suite> = outcomes.iter_mut().map(|o| std::mem::replace(&mut o.suite, empty_suite())).collect();
        write_junit(junit, &suites)?;
    }
    let passed: usize = outcomes.iter().map(|o| o.passed).sum();
    let failed: usize = outcomes.iter().map(|o| o.failed).sum();
    let bad = outcomes.iter().filter(|o| o.bad_input).count();
    let line = format!("checked {} expectations in {} scenarios: {passed} passed, {failed} failed", passed + failed, outcomes.len());
    if bad > 0 {
        return Err(Failure::Input(format!("{line}; {bad} scenario(s) had bad input (above)")));
    }
    if failed > 0 {
        return Err(Failure::Expectations(line));
    }
    println!("{line}");
    Ok(())
}

fn empty_suite() -> Suite {
    Suite { name: String::new(), class: String::new(), cases: Vec::new(), error: None }
}

fn write_junit(path: &Path, suites: &[Suite]) -> Result<(), Failure> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Failure::Input(format!("--junit {} is not a file name", path.display())))?;
    crate::report::write_file(dir, &name.to_string_lossy(), crate::outcome::junit::render(suites).as_bytes())
        .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// The files given, and every `*.yaml`/`*.yml` under the folders given, in path order.
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_yaml(path, &mut files).map_err(|e| Failure::Input(format!("error: cannot read {}: {e}", path.display())))?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Failure::Input(format!("error: {} does not exist", path.display())));
        }
    }
    Ok(files)
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_yaml(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(entry);
        }
    }
    Ok(())
}

/// Checks one file; `None` for a topology file.
fn check_file(file: &Path, options: &CheckOptions) -> Result<Option<FileOutcome>, Failure> {
    let name = file.display().to_string();
    let set = match scenario::load_any(file) {
        Ok(Loaded::Topology(_)) => return Ok(None),
        Ok(Loaded::Scenario(set)) => set,
        Err(error) => {
            eprintln!("{error}");
            let suite = Suite { name, class: class_name(file), cases: Vec::new(), error: Some(error.to_string()) };
            return Ok(Some(FileOutcome { suite, passed: 0, failed: 0, bad_input: true }));
        }
    };
    if set.expectations.is_empty() {
        if !options.quiet {
            println!("{name}: no expectations");
        }
        let suite = Suite { name, class: class_name(file), cases: Vec::new(), error: None };
        return Ok(Some(FileOutcome { suite, passed: 0, failed: 0, bad_input: false }));
    }
    let count = options.replications.map_or(set.replications, |r| r as usize);
    let first_seed = options.seed.unwrap_or(set.variants[0].plan.seed);
    let seeds = replicate::seeds(first_seed, count);
    let runs = run_replications(&set.variants, &seeds, options.threads)?;
    let context = Context { file, set: &set, count, first_seed };
    match evaluate::evaluate(&set.expectations, &runs) {
        Ok(verdicts) => Ok(Some(report_verdicts(&context, &verdicts, options.quiet))),
        Err(bad) => {
            let error = bad_metrics(file, &set.expectations, &bad);
            eprintln!("{error}");
            let suite = Suite { name, class: class_name(file), cases: Vec::new(), error: Some(error.to_string()) };
            Ok(Some(FileOutcome { suite, passed: 0, failed: 0, bad_input: true }))
        }
    }
}

pub fn run_replications(variants: &[Variant], seeds: &[u64], threads: Option<u32>) -> Result<Vec<VariantRuns>, Failure> {
    replicate::run(variants, seeds, threads.map(|t| t as usize)).map_err(|e| Failure::Output(format!("error: cannot start threads: {e}")))
}

fn bad_metrics(file: &Path, expectations: &[Expectation], bad: &[BadMetric]) -> LoadError {
    let diagnostics = bad
        .iter()
        .map(|b| {
            let expectation = &expectations[b.expectation];
            Diagnostic {
                file: file.to_path_buf(),
                line: expectation.line,
                column: expectation.column,
                key: format!("{}.that", expectation.key),
                message: b.message.clone(),
                expected: Some("a metric of the run's summary (docs/OUTPUT.md), like `latency_ms.p99`".to_string()),
                suggestion: b.suggestion.clone(),
                snippet: None,
            }
        })
        .collect();
    LoadError { diagnostics }
}

struct Context<'a> {
    file: &'a Path,
    set: &'a ScenarioSet,
    count: usize,
    first_seed: u64,
}

fn report_verdicts(context: &Context, verdicts: &[Verdict], quiet: bool) -> FileOutcome {
    let set = context.set;
    let named: Vec<&str> = set.variants.iter().filter_map(|v| v.name.as_deref()).collect();
    let shape = if named.is_empty() { String::new() } else { format!("{} variants × ", named.len()) };
    let last_seed = context.first_seed.wrapping_add(context.count as u64 - 1);
    let seeds =
        if context.count == 1 { format!("seed {}", context.first_seed) } else { format!("seeds {}–{last_seed}", context.first_seed) };
    let mut out = format!("check {} · {shape}{} replication(s) ({seeds})\n", context.file.display(), context.count);
    let mut cases = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    for verdict in verdicts {
        let expectation = &set.expectations[verdict.expectation];
        let label = label(expectation, verdict);
        let result = result_text(expectation, verdict);
        if verdict.passed {
            passed += 1;
            if !quiet {
                let _ = writeln!(out, "  pass  {label}\n        {result}");
            }
            cases.push(Case { class: class_name(context.file), name: label, failure: None });
        } else {
            failed += 1;
            let reproduce = reproduce(context, expectation, verdict);
            let _ = writeln!(out, "  FAIL  {label}\n        {result}\n        reproduce: {reproduce}");
            let details = format!("{result}\nreproduce: {reproduce}");
            cases.push(Case { class: class_name(context.file), name: label, failure: Some((result, details)) });
        }
    }
    if !quiet || failed > 0 {
        print!("{out}");
    }
    let suite = Suite { name: context.file.display().to_string(), class: class_name(context.file), cases, error: None };
    FileOutcome { suite, passed, failed, bad_input: false }
}

fn class_name(file: &Path) -> String {
    file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

/// `[naive] latency_ms.p99 < 200 (in tokyo during cut)`.
fn label(expectation: &Expectation, verdict: &Verdict) -> String {
    let variant = verdict.variant.as_ref().or(expectation.variant.as_ref()).map(|v| format!("[{v}] ")).unwrap_or_default();
    let scope = if expectation.scope.is_empty() { String::new() } else { format!(" ({})", expectation.scope) };
    format!("{variant}{}{scope}", expectation.text)
}

/// `value 0.981 [0.975, 0.987] · bound > 0.912 (mean) · held in 3 of 3`.
fn result_text(expectation: &Expectation, verdict: &Verdict) -> String {
    let mut text = match (&verdict.value, &verdict.bound, &verdict.problem) {
        (Some(value), Some(bound), _) => format!("value {} · bound {}", show(value), show_bound(expectation, bound)),
        (_, _, Some(problem)) => format!("no value: {problem}"),
        _ => "no value".to_string(),
    };
    let (held, of) = verdict.held;
    if of > 1 || expectation.holds != Holds::Mean {
        let _ = write!(text, " · held in {held} of {of} ({})", expectation.holds.describe());
    }
    if let Some(note) = &expectation.note {
        let _ = write!(text, " · {note}");
    }
    text
}

/// The command that repeats the failing check, and the run of the first seed it failed in.
fn reproduce(context: &Context, expectation: &Expectation, verdict: &Verdict) -> String {
    let file = context.file.display();
    let mut command = format!("planetsim check {file} --seed {} --replications {}", context.first_seed, context.count);
    if let Some(seed) = verdict.failing_seed {
        let variant = verdict.variant.as_ref().or(expectation.variant.as_ref()).filter(|_| !expectation.names_variants());
        let only = variant.map(|v| format!(" --variant {v}")).unwrap_or_default();
        let _ = write!(command, " (first failing run: planetsim run {file} --seed {seed}{only})");
    }
    command
}

pub struct SweepOptions {
    pub sets: Vec<String>,
    pub metrics: Vec<String>,
    pub variant: Option<String>,
    pub replications: u32,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    pub threads: Option<u32>,
}

pub fn sweep(path: &Path, options: SweepOptions) -> Result<(), Failure> {
    let axes = options
        .sets
        .iter()
        .map(|s| variants::parse_axis(s).map_err(|m| Failure::Input(format!("error: --set {m}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let points = variants::sweep_points(path, &axes, options.variant.as_deref())?;
    if points.is_empty() {
        let wanted = options.variant.unwrap_or_default();
        return Err(Failure::Input(format!("error: scenario {} has no variant `{wanted}`", path.display())));
    }
    let first_seed = options.seed.unwrap_or(points[0].plan.seed);
    let seeds = replicate::seeds(first_seed, options.replications as usize);
    let labels: Vec<sweep::PointLabel> = points.iter().map(|p| (p.variant.clone(), p.settings.clone())).collect();
    let name = points[0].plan.name.clone();
    let as_variants: Vec<Variant> = points.into_iter().map(|p| Variant { name: p.variant, plan: p.plan }).collect();
    let runs = run_replications(&as_variants, &seeds, options.threads)?;
    let metrics = if options.metrics.is_empty() { sweep::DEFAULT_METRICS.iter().map(|m| m.to_string()).collect() } else { options.metrics };
    let table = sweep::table(&labels, &runs, &metrics).map_err(|m| Failure::Input(format!("error: {m}")))?;
    let dir = options.out.unwrap_or_else(|| Path::new("results").join(&name).join("sweep"));
    let write = |file: &str, text: String| {
        crate::report::write_file(&dir, file, text.as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write into {}: {e}", dir.display())))
    };
    write("sweep.csv", table.csv())?;
    write("sweep.md", table.markdown())?;
    print!("{}", table.markdown());
    let seeds_text = if seeds.len() == 1 { format!("seed {first_seed}") } else { format!("{} seeds from {first_seed}", seeds.len()) };
    println!("\n{} points, {seeds_text} · results: {}", labels.len(), dir.display());
    Ok(())
}
