//! Every scenario under `scenarios/` meets its expectations, and the case studies' outcomes
//! match the results committed under `results/case-studies/` (a change that moves an outcome
//! shows in the diff).
//!
//! To accept new results: `PLANETSIM_REGENERATE_RESULTS=1 cargo test case_study` and review the
//! diff of `results/case-studies/`.

use crate::support::{repo_path, temp_dir};
use planetsim::outcome::evaluate::{self, show};
use planetsim::outcome::replicate::{self, VariantRuns};
use planetsim::report;
use planetsim::scenario::variants::{self, ScenarioSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const REGENERATE: &str = "PLANETSIM_REGENERATE_RESULTS";

/// A scenario with expectations, run on its own replications.
struct Checked {
    path: PathBuf,
    set: ScenarioSet,
    runs: Vec<VariantRuns>,
}

/// Every scenario file under `folder`, as `planetsim check` finds them.
fn yaml_files(folder: &str) -> Vec<PathBuf> {
    planetsim::cli::check::scenario_files(&[repo_path(folder)]).unwrap_or_else(|f| panic!("{}", f.message()))
}

/// Every scenario with expectations, run once for all the tests here.
fn checked() -> &'static [Checked] {
    static CHECKED: OnceLock<Vec<Checked>> = OnceLock::new();
    CHECKED.get_or_init(|| {
        yaml_files("scenarios")
            .into_iter()
            .filter_map(|path| {
                let set = variants::load(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
                if set.expectations.is_empty() {
                    return None;
                }
                let seeds = replicate::seeds(set.variants[0].plan.seed, set.replications);
                let runs = replicate::run(&set.variants, &seeds, None, replicate::Keep::MergedLatency).unwrap();
                Some(Checked { path, set, runs })
            })
            .collect()
    })
}

fn case_study_id(path: &Path) -> Option<String> {
    let parent = path.parent()?.file_name()?;
    (parent == "case-studies").then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
}

#[test]
fn every_scenario_meets_its_expectations() {
    let mut failures = Vec::new();
    for checked in checked() {
        let verdicts = evaluate::evaluate(&checked.set.expectations, &checked.runs)
            .unwrap_or_else(|bad| panic!("{}: metric paths that do not exist: {bad:?}", checked.path.display()));
        for verdict in verdicts.iter().filter(|v| !v.passed) {
            let expectation = &checked.set.expectations[verdict.expectation];
            let value = verdict.value.as_ref().map(show).or(verdict.problem.clone()).unwrap_or_default();
            failures.push(format!("{}: {} ({:?}): {value}", checked.path.display(), expectation.text, verdict.variant));
        }
    }
    assert!(checked().len() >= 8, "the bundled scenarios with expectations are checked");
    // Found from `scenarios/` as `check` finds them (subfolders included): every case study.
    let case_studies = checked().iter().filter(|c| case_study_id(&c.path).is_some()).count();
    assert_eq!(case_studies, yaml_files("scenarios/case-studies").len(), "every case study is checked");
    assert_eq!(case_studies, 20, "the catalogue has twenty case studies");
    assert!(failures.is_empty(), "expectations that do not hold:\n{}", failures.join("\n"));
}

/// The files committed for one variant's runs: `summary.json` (or, over several replications,
/// `metrics.csv`: each metric's mean and 95 % interval) and the merged latency histogram's
/// percentile text.
fn record(dir: &Path, runs: &VariantRuns) {
    std::fs::create_dir_all(dir).unwrap();
    if runs.replications.len() == 1 {
        let mut json = serde_json::to_string_pretty(&runs.replications[0].summary).unwrap();
        json.push('\n');
        std::fs::write(dir.join("summary.json"), json).unwrap();
    } else {
        // One line per metric, so a change that moves an outcome shows as that line in the diff.
        let summary = report::replications::summarise(runs);
        let mut csv = String::from("metric,n,mean,ci95_low,ci95_high,min,max\n");
        let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for (path, m) in &summary.metrics {
            csv.push_str(&format!("{path},{},{},{},{},{},{}\n", m.n, m.mean, cell(m.ci95_low), cell(m.ci95_high), m.min, m.max));
        }
        std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    }
    std::fs::write(dir.join("latency_all.hgrm"), report::hgrm::percentile_distribution(&runs.merged_latency[0].1)).unwrap();
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn case_study_results_match_the_committed_ones() {
    let regenerate = std::env::var_os(REGENERATE).is_some();
    let mut differences = Vec::new();
    let mut compared = 0;
    for checked in checked() {
        let Some(id) = case_study_id(&checked.path) else { continue };
        compared += 1;
        let committed = repo_path("results/case-studies").join(&id);
        let fresh = if regenerate {
            let _ = std::fs::remove_dir_all(&committed);
            committed.clone()
        } else {
            temp_dir(&format!("case-{id}"))
        };
        for runs in &checked.runs {
            record(&runs.name.as_ref().map_or(fresh.clone(), |v| fresh.join(v)), runs);
        }
        let relative =
            |root: &Path| -> Vec<PathBuf> { files_under(root).iter().map(|f| f.strip_prefix(root).unwrap().to_path_buf()).collect() };
        let (made, kept) = (relative(&fresh), relative(&committed));
        if made != kept {
            differences.push(format!("{id}: files {made:?} against committed {kept:?}"));
            continue;
        }
        for file in made {
            if std::fs::read(fresh.join(&file)).unwrap() != std::fs::read(committed.join(&file)).unwrap() {
                differences.push(format!("results/case-studies/{id}/{} differs", file.display()));
            }
        }
    }
    assert_eq!(compared, 20, "every case study's results are compared");
    assert!(
        differences.is_empty(),
        "{}\nIf the change is intended: {REGENERATE}=1 cargo test case_study, and review the diff",
        differences.join("\n")
    );
}

#[test]
fn every_case_study_has_its_page_results_and_index_row() {
    let files = yaml_files("scenarios/case-studies");
    let index = std::fs::read_to_string(repo_path("docs/case-studies/README.md")).unwrap();
    for path in &files {
        let id = case_study_id(path).unwrap();
        let set = variants::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!set.expectations.is_empty(), "{id} has expectations");
        let page = std::fs::read_to_string(repo_path(&format!("docs/case-studies/{id}.md"))).unwrap_or_else(|_| panic!("{id} has a page"));
        assert!(page.contains(&format!("scenarios/case-studies/{id}.yaml")), "{id}'s page says how to reproduce it");
        assert!(index.contains(&format!("]({id}.md)")), "{id} has a row in docs/case-studies/README.md");
        assert!(repo_path(&format!("results/case-studies/{id}")).is_dir(), "{id} has committed results");
    }
}
