//! The commands: each reads its inputs, does its work and prints its output.

use super::Failure;
use super::args::{Cli, Command, RunFormat, SchemaFile, TopoFormat};
use crate::outcome::replicate::{Keep, VariantRuns};
use crate::report;
use crate::scenario::{self, LoadError, Loaded};
use crate::sim;
use crate::sim::plan::ScenarioPlan;
use crate::world::calibration::{Calibration, calibrate};
use crate::world::{LinkState, RttMatrix, Topology};
use std::fmt::Write;
use std::path::{Path, PathBuf};

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        Failure::Input(error.to_string())
    }
}

pub fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Run { scenario, seed, out, variant, format, quiet, replications, threads, no_plots, report } => {
            let replications = Replications { count: replications as usize, threads };
            run(&scenario, RunOptions { seed, out, only: variant, format, quiet, replications, plots: !no_plots, report })
        }
        Command::Check { paths, replications, seed, junit, threads, quiet, report } => {
            super::check::check(&paths, &super::check::CheckOptions { replications, seed, junit, threads, quiet, report })
        }
        Command::Sweep { scenario, sets, metrics, variant, replications, seed, out, threads } => {
            super::check::sweep(&scenario, super::check::SweepOptions { sets, metrics, variant, replications, seed, out, threads })
        }
        Command::Validate { files } => validate(&files),
        Command::Topo { topology, cuts, format } => topo(&topology, &cuts, format),
        Command::Calibrate { topology, measured, mapping, min_km, worst } => calibrate_command(&topology, measured, mapping, min_km, worst),
        Command::Schema { file } => {
            print!("{}", scenario::schema::render(schema_document(file)));
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "planetsim", &mut std::io::stdout());
            Ok(())
        }
    }
}

fn schema_document(file: Option<SchemaFile>) -> scenario::schema::Document {
    match file {
        None => scenario::schema::Document::Any,
        Some(SchemaFile::Scenario) => scenario::schema::Document::Scenario,
        Some(SchemaFile::Topology) => scenario::schema::Document::Topology,
    }
}

/// How many seeds `run` runs each variant on, and on how many threads.
struct Replications {
    count: usize,
    threads: Option<u32>,
}

/// What `run` writes besides the result files, and what it prints.
struct RunOptions {
    seed: Option<u64>,
    out: Option<PathBuf>,
    only: Option<String>,
    format: RunFormat,
    quiet: bool,
    replications: Replications,
    plots: bool,
    report: bool,
}

fn run(path: &Path, options: RunOptions) -> Result<(), Failure> {
    let set = scenario::variants::load(path)?;
    let mut variants = set.variants;
    if let Some(wanted) = &options.only {
        let names: Vec<String> = variants.iter().filter_map(|v| v.name.clone()).collect();
        variants.retain(|v| v.name.as_deref() == Some(wanted.as_str()));
        if variants.is_empty() {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            return Err(scenario::variants::no_such_variant(path, wanted, &names).into());
        }
    }
    let base_dir = options.out.clone().unwrap_or_else(|| Path::new("results").join(&variants[0].plan.name));
    let mut pictures = Pictures::new(path, &base_dir, &options, &set.expectations);
    if options.replications.count > 1 {
        return run_replicated(path, &variants, &base_dir, &options, pictures);
    }
    let (format, quiet) = (options.format, options.quiet);
    let mut summaries = Vec::new();
    for variant in &mut variants {
        if let Some(seed) = options.seed {
            variant.plan.seed = seed;
        }
        let dir = variant.name.as_ref().map_or(base_dir.clone(), |name| base_dir.join(name));
        let (summary, view) = run_one(&variant.plan, &dir, pictures.draws(), super::progress::wanted(quiet))?;
        pictures.add(view, &dir)?;
        if !quiet && format == RunFormat::Text {
            print!("{}", report::text::render(&summary));
            println!("\nresults: {}\n", dir.display());
        }
        summaries.push(summary);
    }
    let named = variants[0].name.is_some();
    if named {
        let csv = report::text::comparison_csv(&summaries);
        report::write_file(&base_dir, "variants.csv", csv.as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write into {}: {e}", base_dir.display())))?;
        if !quiet && format == RunFormat::Text {
            print!("{}", report::text::render_comparison(&summaries));
        }
    }
    if !quiet && format == RunFormat::Json {
        println!("{}", serde_json::to_string_pretty(&summaries).expect("summaries serialise"));
    }
    let runs: Vec<VariantRuns> = variants.iter().zip(summaries).map(|(v, summary)| VariantRuns::single(v.name.clone(), summary)).collect();
    pictures.finish(&variants[0].plan, named, &runs, format!("seed {}", variants[0].plan.seed))?;
    if !quiet && format == RunFormat::Text {
        let variant = options.only.as_ref().map(|v| format!(" --variant {v}")).unwrap_or_default();
        println!("reproduce: planetsim run {} --seed {}{variant}", path.display(), variants[0].plan.seed);
    }
    Ok(())
}

/// A run's plots and report: what is drawn, where it is written, and the page at the end.
struct Pictures<'a> {
    path: &'a Path,
    base_dir: &'a Path,
    options: &'a RunOptions,
    expectations: &'a [crate::outcome::Expectation],
    /// `None` without plots and report: nothing is drawn.
    gallery: Option<super::report::Gallery>,
}

impl<'a> Pictures<'a> {
    fn new(path: &'a Path, base_dir: &'a Path, options: &'a RunOptions, expectations: &'a [crate::outcome::Expectation]) -> Self {
        // PNGs only for files: the report inlines SVGs.
        let gallery = (options.plots || options.report).then(|| super::report::Gallery::new(options.plots));
        Pictures { path, base_dir, options, expectations, gallery }
    }

    /// Whether runs are drawn.
    fn draws(&self) -> bool {
        self.gallery.is_some()
    }

    /// Draws a run whose results are in `dir`, and makes `dir/plots` hold its charts (none
    /// with `--no-plots`, so an earlier run's do not pass for this one's).
    fn add(&mut self, view: Option<crate::plot::view::RunView>, dir: &Path) -> Result<(), Failure> {
        let plots = dir.join("plots");
        match (&mut self.gallery, view) {
            (Some(gallery), Some(view)) => {
                gallery.add(view)?;
                if self.options.plots {
                    return gallery.write_last(&plots);
                }
                super::report::write_plots(&plots, &[])
            }
            _ => super::report::write_plots(&plots, &[]),
        }
    }

    /// With variants (`named`), the variants compared in the base folder's `plots/`; with
    /// `--report`, the page.
    fn finish(self, plan: &ScenarioPlan, named: bool, runs: &[VariantRuns], seeds: String) -> Result<(), Failure> {
        let Some(gallery) = &self.gallery else {
            return if named { super::report::write_plots(&self.base_dir.join("plots"), &[]) } else { Ok(()) };
        };
        let compared = gallery.compare()?;
        if named {
            let figures: Vec<&crate::plot::Figure> = if self.options.plots { compared.iter().collect() } else { Vec::new() };
            super::report::write_plots(&self.base_dir.join("plots"), &figures)?;
        }
        if !self.options.report {
            return Ok(());
        }
        let text = super::report::PageText {
            path: self.path,
            plan,
            seeds,
            summaries: runs.iter().map(|r| &r.replications[0].summary).collect(),
            checks: super::report::judge_run(self.expectations, runs),
        };
        let page = super::report::page(text, gallery, &compared);
        let written = report::write_file(self.base_dir, "report.html", page.as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write into {}: {e}", self.base_dir.display())))?;
        if !self.options.quiet && self.options.format == RunFormat::Text {
            println!("report: {}\n", written.display());
        }
        Ok(())
    }
}

/// `run --replications N`: every variant on N seeds; per variant, replications.json,
/// replications.csv and the merged histograms.
fn run_replicated(
    path: &Path,
    variants: &[scenario::variants::Variant],
    base_dir: &Path,
    options: &RunOptions,
    mut pictures: Pictures,
) -> Result<(), Failure> {
    let (format, quiet) = (options.format, options.quiet);
    let replications = &options.replications;
    let first_seed = options.seed.unwrap_or(variants[0].plan.seed);
    let seeds = crate::outcome::replicate::seeds(first_seed, replications.count);
    let mut runs = {
        let total = variants.len() * seeds.len();
        let progress = super::progress::RunsProgress::new(&variants[0].plan.name, total, super::progress::wanted(quiet));
        super::check::run_replications(variants, &seeds, replications.threads, Keep::MergedLatency, &progress)?
    };
    let mut summaries = Vec::new();
    for (variant, variant_runs) in variants.iter().zip(&mut runs) {
        let dir = variant_runs.name.as_ref().map_or(base_dir.to_path_buf(), |name| base_dir.join(name));
        let summary = report::replications::summarise(variant_runs);
        report::replications::write(&dir, variant_runs, &summary)
            .map_err(|e| Failure::Output(format!("cannot write results into {}: {e}", dir.display())))?;
        let latency = std::mem::take(&mut variant_runs.merged_latency);
        let view = pictures.draws().then(|| crate::plot::view::RunView::of_replications(&variant.plan, &seeds, latency));
        pictures.add(view, &dir)?;
        if !quiet && format == RunFormat::Text {
            print!("{}", report::replications::render(&summary));
            println!("\nresults: {}\n", dir.display());
        }
        summaries.push(summary);
    }
    let described = format!("{}, merged (tables: seed {first_seed})", crate::outcome::replicate::describe_seeds(&seeds));
    pictures.finish(&variants[0].plan, variants[0].name.is_some(), &runs, described)?;
    if !quiet {
        match format {
            RunFormat::Json => println!("{}", serde_json::to_string_pretty(&summaries).expect("summaries serialise")),
            RunFormat::Text => {
                let variant = options.only.as_ref().map(|v| format!(" --variant {v}")).unwrap_or_default();
                println!("reproduce: planetsim run {} --seed {first_seed} --replications {}{variant}", path.display(), replications.count);
            }
        }
    }
    Ok(())
}

/// Runs one plan, with a progress line if `progress` (a terminal, not `--quiet`), and writes its
/// results into `dir`; returns its summary and, if `draws`, its view for the plots.
fn run_one(
    plan: &ScenarioPlan,
    dir: &Path,
    draws: bool,
    progress: bool,
) -> Result<(report::summary::Summary, Option<crate::plot::view::RunView>), Failure> {
    let label = plan.variant.as_ref().map_or(plan.name.clone(), |variant| format!("{}/{variant}", plan.name));
    let mut line = super::progress::RunProgress::new(&label, progress);
    let result = sim::run_observed(plan, &mut |at| line.observe(at));
    drop(line); // Erased before the summary is printed.
    let summary = report::summary::build(plan, &result);
    report::write_results(dir, plan, &result, &summary)
        .map_err(|e| Failure::Output(format!("cannot write results into {}: {e}", dir.display())))?;
    let view = draws.then(|| crate::plot::view::RunView::of_run(plan, &result, &summary));
    Ok((summary, view))
}

fn validate(files: &[PathBuf]) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for file in files {
        let checked = match scenario::load_any(file) {
            Ok(Loaded::Scenario(set)) => Ok(describe_scenario(file, &set)),
            Ok(Loaded::Topology(t)) => Ok(format!(
                "{}: ok (topology `{}`: {} regions, {} sites, {} links)",
                file.display(),
                t.name,
                t.regions.len(),
                t.sites.len(),
                t.links.len()
            )),
            Err(error) => Err(error),
        };
        match checked {
            Ok(line) => println!("{line}"),
            Err(error) => errors.push(error.to_string()),
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Failure::Input(errors.join("\n"))) }
}

fn describe_scenario(file: &Path, set: &scenario::variants::ScenarioSet) -> String {
    let plan = &set.variants[0].plan;
    let names: Vec<&str> = set.variants.iter().filter_map(|v| v.name.as_deref()).collect();
    let mut listed = if names.is_empty() { String::new() } else { format!(", variants: {}", names.join(", ")) };
    if !set.expectations.is_empty() {
        listed.push_str(&format!(", {} expectations", set.expectations.len()));
    }
    format!(
        "{}: ok (scenario `{}`: {} client populations, {} services, {} faults, topology `{}`{listed})",
        file.display(),
        plan.name,
        plan.populations.len(),
        plan.services.len(),
        plan.faults.faults.len(),
        plan.topology.name
    )
}

fn apply_cuts(topology: &Topology, cuts: &[String]) -> Result<LinkState, Failure> {
    let mut state = LinkState::all_up(topology);
    for name in cuts {
        let Some(links) = topology.resolve_cut(name) else {
            let hint =
                crate::scenario::diagnostic::did_you_mean(name, topology.cut_names()).map(|h| format!("\n  help: {h}")).unwrap_or_default();
            return Err(Failure::Input(format!("error: --cut `{name}` names no link or group of topology `{}`{hint}", topology.name)));
        };
        state.cut(&links);
    }
    Ok(state)
}

fn topo(path: &Path, cuts: &[String], format: TopoFormat) -> Result<(), Failure> {
    let topology = scenario::load_topology(path)?;
    let state = apply_cuts(&topology, cuts)?;
    let rtt = RttMatrix::compute(&topology, &state);
    let text = match format {
        TopoFormat::Csv => rtt_csv(&topology, &rtt),
        TopoFormat::Text => rtt_text(&topology, &rtt, cuts),
    };
    print!("{text}");
    Ok(())
}

fn cell(rtt: &RttMatrix, from: usize, to: usize) -> Option<String> {
    use crate::world::RegionId;
    rtt.rtt(RegionId(from as u32), RegionId(to as u32)).map(|d| format!("{:.1}", d.as_millis_f64()))
}

/// `region,<id>,…` then `<id>,<rtt ms>,…`; empty where unreachable.
pub fn rtt_csv(topology: &Topology, rtt: &RttMatrix) -> String {
    let mut out = String::from("region");
    for region in &topology.regions {
        let _ = write!(out, ",{}", region.id);
    }
    out.push('\n');
    for (from, region) in topology.regions.iter().enumerate() {
        out.push_str(&region.id);
        for to in 0..topology.regions.len() {
            let _ = write!(out, ",{}", cell(rtt, from, to).unwrap_or_default());
        }
        out.push('\n');
    }
    out
}

fn rtt_text(topology: &Topology, rtt: &RttMatrix, cuts: &[String]) -> String {
    let width = topology.regions.iter().map(|r| r.id.len()).max().unwrap_or(6).max(6);
    let mut out = format!("round-trip times in ms, topology `{}`", topology.name);
    if !cuts.is_empty() {
        let _ = write!(out, ", cut: {}", cuts.join(", "));
    }
    out.push_str(" (`-` = unreachable)\n");
    let _ = write!(out, "{:width$}", "");
    for region in &topology.regions {
        let short: String = region.id.chars().take(7).collect();
        let _ = write!(out, " {short:>7}");
    }
    out.push('\n');
    for (from, region) in topology.regions.iter().enumerate() {
        let _ = write!(out, "{:width$}", region.id);
        for to in 0..topology.regions.len() {
            let _ = write!(out, " {:>7}", cell(rtt, from, to).unwrap_or_else(|| "-".into()));
        }
        out.push('\n');
    }
    out
}

fn calibrate_command(path: &Path, measured: Option<PathBuf>, mapping: Option<PathBuf>, min_km: f64, worst: usize) -> Result<(), Failure> {
    let topology = scenario::load_topology(path)?;
    let beside = |name: &str| path.parent().unwrap_or(Path::new(".")).join("measured").join(name);
    let measured_path = measured.unwrap_or_else(|| beside("gcp_rtt_median_2023-11-27.csv"));
    let mapping_path = mapping.unwrap_or_else(|| beside("gcp_regions.csv"));
    let measured = scenario::measured::load_measured(&measured_path)?;
    let mapping = scenario::measured::load_mapping(&mapping_path, &measured, &topology)?;
    let rtt = RttMatrix::compute(&topology, &LinkState::all_up(&topology));
    let result = calibrate(&topology, &rtt, &measured, &mapping, min_km);
    print!("{}", calibration_text(&result, &measured_path, min_km, worst));
    Ok(())
}

pub fn calibration_text(result: &Calibration, measured: &Path, min_km: f64, worst: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "calibration against {} (pairs at least {min_km:.0} km apart)", measured.display());
    let _ = writeln!(out, "pairs compared:            {}", result.pairs.len());
    let _ = writeln!(out, "median absolute error:     {:.1} %", result.median_abs_error * 100.0);
    let _ = writeln!(out, "mean signed error:         {:+.1} %", result.mean_signed_error * 100.0);
    let _ = writeln!(out, "share within ±10 %:        {:.1} %", result.share_within_10 * 100.0);
    let _ = writeln!(out, "share within ±20 %:        {:.1} %", result.share_within_20 * 100.0);
    let _ = writeln!(out, "unreachable in the model:  {}", result.unreachable);
    let _ = writeln!(out, "\nworst {worst} pairs:");
    let _ = writeln!(out, "{:<16} {:<16} {:>8} {:>10} {:>10} {:>8}", "a", "b", "km", "measured", "model", "error");
    for pair in result.pairs.iter().take(worst) {
        let model = pair.model_ms.map_or("-".to_string(), |m| format!("{m:.1}"));
        let error = pair.relative_error.map_or("-".to_string(), |e| format!("{:+.1}%", e * 100.0));
        let _ =
            writeln!(out, "{:<16} {:<16} {:>8.0} {:>10.1} {:>10} {:>8}", pair.a, pair.b, pair.distance_km, pair.measured_ms, model, error);
    }
    out
}
