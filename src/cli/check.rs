//! `planetsim check` and `planetsim sweep`: scenarios run over replications, their expectations
//! judged, grids of parameter values tabulated.

use super::Failure;
use super::progress::{self, RunsProgress};
use super::report::{Gallery, PageText};
use crate::outcome::evaluate::{self, BadMetric, Verdict, show, show_bound};
use crate::outcome::junit::{Case, Suite};
use crate::outcome::replicate::{self, Keep, VariantRuns};
use crate::outcome::{Expectation, Holds, sweep};
use crate::report::html::{Checks, IndexRow, index_page};
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
    /// Write one `<scenario>.html` per scenario, and `index.html`, into this folder.
    pub report: Option<PathBuf>,
}

pub fn check(paths: &[PathBuf], options: &CheckOptions) -> Result<(), Failure> {
    let files = scenario_files(paths)?;
    let mut suites = Vec::new();
    let mut index = Vec::new();
    for (file, page) in files.iter().zip(page_names(&files)) {
        if let Some(suite) = check_file(file, &page, options)? {
            let has_page = suite.error.is_none() && !suite.cases.is_empty();
            let (passed, failed) = (suite.passed(), suite.failed());
            let row = IndexRow { scenario: suite.name.clone(), page: has_page.then_some(page), passed, failed, error: suite.error.clone() };
            index.push(row);
            suites.push(suite);
        }
    }
    if let Some(junit) = &options.junit {
        write_junit(junit, &suites)?;
    }
    if let Some(dir) = &options.report {
        let written = crate::report::write_file(dir, "index.html", index_page(&index).as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write into {}: {e}", dir.display())))?;
        if !options.quiet {
            println!("report: {}", written.display());
        }
    }
    let passed: usize = suites.iter().map(Suite::passed).sum();
    let failed: usize = suites.iter().map(Suite::failed).sum();
    let bad = suites.iter().filter(|s| s.error.is_some()).count();
    let line = format!("checked {} expectations in {} scenarios: {passed} passed, {failed} failed", passed + failed, suites.len());
    if bad == 0 && passed + failed == 0 {
        // A CI job pointed at the wrong folder would otherwise pass with nothing checked.
        return Err(Failure::Input(format!("{line}: no scenario in {} has expectations (`expect:`)", list(paths))));
    }
    if bad > 0 {
        return Err(Failure::Input(format!("{line}; {bad} scenario(s) had bad input (above)")));
    }
    if failed > 0 {
        return Err(Failure::Expectations(line));
    }
    println!("{line}");
    Ok(())
}

/// Each file's page under `check --report`: its stem, unless another file shares it or it is
/// `index` (the index's own name); then its path. Only letters, digits, `.`, `_` and `-`, so the
/// name is a file name and a link as it is.
fn page_names(files: &[PathBuf]) -> Vec<String> {
    let stems: Vec<String> = files.iter().map(|f| class_name(f)).collect();
    let name = |file: &PathBuf, stem: &String| {
        let unique = stem != "index" && stems.iter().filter(|s| *s == stem).count() == 1;
        let name = if unique { stem.clone() } else { file.with_extension("").to_string_lossy().to_string() };
        let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
        format!("{}.html", safe.trim_start_matches(['.', '-']))
    };
    files.iter().zip(&stems).map(|(file, stem)| name(file, stem)).collect()
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn write_junit(path: &Path, suites: &[Suite]) -> Result<(), Failure> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Failure::Input(format!("--junit {} is not a file name", path.display())))?;
    crate::report::write_file(dir, &name.to_string_lossy(), crate::outcome::junit::render(suites).as_bytes())
        .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// The files given, and every `*.yaml`/`*.yml` under the folders given, in path order.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
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

/// Checks one file, and with `--report` writes its page, named `page`; `None` for a topology.
fn check_file(file: &Path, page: &str, options: &CheckOptions) -> Result<Option<Suite>, Failure> {
    let name = file.display().to_string();
    let set = match scenario::load_any(file) {
        Ok(Loaded::Topology(_)) => return Ok(None),
        Ok(Loaded::Scenario(set)) => set,
        Err(error) => {
            eprintln!("{error}");
            return Ok(Some(Suite { name, class: class_name(file), cases: Vec::new(), error: Some(error.to_string()) }));
        }
    };
    if set.expectations.is_empty() {
        if !options.quiet {
            println!("{name}: no expectations");
        }
        return Ok(Some(Suite { name, class: class_name(file), cases: Vec::new(), error: None }));
    }
    let count = options.replications.map_or(set.replications, |r| r as usize);
    let first_seed = options.seed.unwrap_or(set.variants[0].plan.seed);
    let seeds = replicate::seeds(first_seed, count);
    let paths_exist = |runs: &[VariantRuns]| evaluate::evaluate(&set.expectations, runs).map(drop);
    // The report draws the first seed's runs: they keep their view.
    let first = if options.report.is_some() { Keep::FirstView } else { Keep::Summaries };
    let checked = {
        let progress = RunsProgress::new(&format!("check {name}"), set.variants.len() * count, progress::wanted(options.quiet));
        run_checked(&set.variants, &seeds, (options.threads, first), &progress, paths_exist)?
    };
    let mut runs = match checked {
        Ok(runs) => runs,
        Err(bad) => {
            let error = bad_metrics(file, &set.expectations, &bad);
            eprintln!("{error}");
            return Ok(Some(Suite { name, class: class_name(file), cases: Vec::new(), error: Some(error.to_string()) }));
        }
    };
    let verdicts = evaluate::evaluate(&set.expectations, &runs).expect("the metric paths were found in the first replications");
    let context = Context { file, set: &set, count, first_seed };
    let suite = report_verdicts(&context, &verdicts, options.quiet);
    if let Some(dir) = &options.report {
        let described = format!("{} (tables and plots: seed {first_seed})", replicate::describe_seeds(&seeds));
        let page_text = report_page(file, &set, &mut runs, &verdicts, described)?;
        crate::report::write_file(dir, page, page_text.as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write into {}: {e}", dir.display())))?;
    }
    Ok(Some(suite))
}

/// A checked scenario's page: the first seed's runs drawn, the verdicts listed.
fn report_page(file: &Path, set: &ScenarioSet, runs: &mut [VariantRuns], verdicts: &[Verdict], seeds: String) -> Result<String, Failure> {
    let mut gallery = Gallery::new(false);
    for variant_runs in runs.iter_mut() {
        gallery.add(variant_runs.first_view.take().expect("the first seed's runs keep their view"))?;
    }
    let compared = gallery.compare()?;
    let text = PageText {
        path: file,
        plan: &set.variants[0].plan,
        seeds,
        summaries: runs.iter().map(|r| &r.replications[0].summary).collect(),
        checks: Some(Checks { rows: super::report::rows(&set.expectations, verdicts), unjudged: 0 }),
    };
    Ok(super::report::page(text, &gallery, &compared))
}

/// Runs every variant on every seed, each run counted in `progress`.
pub fn run_replications(
    variants: &[Variant],
    seeds: &[u64],
    threads: Option<u32>,
    keep: Keep,
    progress: &RunsProgress,
) -> Result<Vec<VariantRuns>, Failure> {
    replicate::run_counted(variants, seeds, threads.map(|t| t as usize), keep, &|| progress.one_done())
        .map_err(|e| Failure::Output(format!("error: cannot start threads: {e}")))
}

/// Runs the first seed, checks it with `check` (metric paths that do not exist are known after
/// one run), and only then the other seeds: a mistake costs one replication, not all of them.
/// The first seed's runs keep what `first` says; the others only their summaries.
fn run_checked<E>(
    variants: &[Variant],
    seeds: &[u64],
    (threads, first): (Option<u32>, Keep),
    progress: &RunsProgress,
    check: impl Fn(&[VariantRuns]) -> Result<(), E>,
) -> Result<Result<Vec<VariantRuns>, E>, Failure> {
    let mut runs = run_replications(variants, &seeds[..1], threads, first, progress)?;
    if let Err(error) = check(&runs) {
        return Ok(Err(error));
    }
    if seeds.len() > 1 {
        let rest = run_replications(variants, &seeds[1..], threads, Keep::Summaries, progress)?;
        for (runs, rest) in runs.iter_mut().zip(rest) {
            runs.replications.extend(rest.replications);
        }
    }
    Ok(Ok(runs))
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
                key: expectation.key(),
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

fn report_verdicts(context: &Context, verdicts: &[Verdict], quiet: bool) -> Suite {
    let set = context.set;
    let named: Vec<&str> = set.variants.iter().filter_map(|v| v.name.as_deref()).collect();
    let shape = if named.is_empty() { String::new() } else { format!("{} variants × ", named.len()) };
    let last_seed = context.first_seed.wrapping_add(context.count as u64 - 1);
    let seeds =
        if context.count == 1 { format!("seed {}", context.first_seed) } else { format!("seeds {}–{last_seed}", context.first_seed) };
    let mut out = format!("check {} · {shape}{} replication(s) ({seeds})\n", context.file.display(), context.count);
    let mut cases = Vec::new();
    for verdict in verdicts {
        let expectation = &set.expectations[verdict.expectation];
        let label = label(expectation, verdict);
        let result = result_text(expectation, verdict);
        if verdict.passed {
            if !quiet {
                let _ = writeln!(out, "  pass  {label}\n        {result}");
            }
            cases.push(Case { name: label, failure: None });
        } else {
            let reproduce = reproduce(context, expectation, verdict);
            let _ = writeln!(out, "  FAIL  {label}\n        {result}\n        reproduce: {reproduce}");
            let details = format!("{result}\nreproduce: {reproduce}");
            cases.push(Case { name: label, failure: Some((result, details)) });
        }
    }
    if !quiet || verdicts.iter().any(|v| !v.passed) {
        print!("{out}");
    }
    Suite { name: context.file.display().to_string(), class: class_name(context.file), cases, error: None }
}

fn class_name(file: &Path) -> String {
    file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

/// `[naive] latency_ms.p99 < 200 (in tokyo during cut)`.
pub fn label(expectation: &Expectation, verdict: &Verdict) -> String {
    let variant = verdict.variant.as_ref().or(expectation.variant.as_ref()).map(|v| format!("[{v}] ")).unwrap_or_default();
    let scope = if expectation.scope.is_empty() { String::new() } else { format!(" ({})", expectation.scope) };
    format!("{variant}{}{scope}", expectation.text)
}

/// `value 0.981 [0.975, 0.987] · bound > 0.912 (mean) · held in 3 of 3`.
pub fn result_text(expectation: &Expectation, verdict: &Verdict) -> String {
    let mut text = match (&verdict.value, &verdict.bound) {
        (Some(value), Some(bound)) => format!("value {} · bound {}", show(value), show_bound(expectation, bound)),
        _ => "no value".to_string(),
    };
    if let Some(problem) = &verdict.problem {
        let _ = write!(text, " · {problem}");
    }
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
    let axes = variants::parse_axes(&options.sets).map_err(|m| Failure::Input(format!("error: --set {m}")))?;
    let points = variants::sweep_points(path, &axes, options.variant.as_deref())?;
    let first_seed = options.seed.unwrap_or(points[0].plan.seed);
    let seeds = replicate::seeds(first_seed, options.replications as usize);
    let labels: Vec<sweep::PointLabel> = points.iter().map(|p| (p.variant.clone(), p.settings.clone())).collect();
    let name = points[0].plan.name.clone();
    let as_variants: Vec<Variant> = points.into_iter().map(|p| Variant { name: p.variant, plan: p.plan }).collect();
    let metrics = if options.metrics.is_empty() { sweep::DEFAULT_METRICS.iter().map(|m| m.to_string()).collect() } else { options.metrics };
    let checked = {
        let progress = RunsProgress::new(&format!("sweep {name}"), as_variants.len() * seeds.len(), progress::wanted(false));
        run_checked(&as_variants, &seeds, (options.threads, Keep::Summaries), &progress, |runs| {
            sweep::table(&labels, runs, &metrics).map(drop)
        })?
    };
    let runs = checked.map_err(|m| Failure::Input(format!("error: {m}")))?;
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
