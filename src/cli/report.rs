//! Plots and `report.html` for `run` and `check`: draws each run's figures (and each distinct
//! use of the network once), writes the `plots/` folders, and assembles the page.

use super::Failure;
use crate::outcome::evaluate::Verdict;
use crate::outcome::replicate::VariantRuns;
use crate::outcome::{Expectation, evaluate};
use crate::plot::view::RunView;
use crate::plot::{self, Figure};
use crate::report::html::{self, CheckRow, Checks, Report, Section};
use crate::report::summary::Summary;
use crate::sim::plan::ScenarioPlan;
use std::path::Path;

/// The figures of a scenario's runs: each run's own, and the network's, drawn once for every
/// run that used it the same way (variants usually share one).
pub struct Gallery {
    with_png: bool,
    runs: Vec<Drawing>,
    networks: Vec<Vec<Figure>>,
}

struct Drawing {
    view: RunView,
    figures: Vec<Figure>,
    /// Its network's figures: an index into `Gallery::networks`.
    network: usize,
}

impl Gallery {
    /// `with_png`: also draw PNGs (for files); a report needs only the SVGs.
    pub fn new(with_png: bool) -> Self {
        Gallery { with_png, runs: Vec::new(), networks: Vec::new() }
    }

    /// Draws a run, and its network unless an earlier run used it the same way.
    pub fn add(&mut self, view: RunView) -> Result<(), Failure> {
        let figures = plot::run_figures(&view, self.with_png).map_err(cannot_draw)?;
        let same = self.runs.iter().find(|r| r.view.network.draws_like(&view.network)).map(|r| r.network);
        let network = match same {
            Some(index) => index,
            None => {
                self.networks.push(plot::network_figures(&view.network, self.with_png).map_err(cannot_draw)?);
                self.networks.len() - 1
            }
        };
        self.runs.push(Drawing { view, figures, network });
        Ok(())
    }

    /// Makes `dir` hold the last run's charts, its network's included.
    pub fn write_last(&self, dir: &Path) -> Result<(), Failure> {
        let Some(last) = self.runs.last() else { return write_plots(dir, &[]) };
        let figures: Vec<&Figure> = last.figures.iter().chain(&self.networks[last.network]).collect();
        write_plots(dir, &figures)
    }

    /// With two runs or more, their latency on one chart each.
    pub fn compare(&self) -> Result<Vec<Figure>, Failure> {
        if self.runs.len() < 2 {
            return Ok(Vec::new());
        }
        let views: Vec<&RunView> = self.runs.iter().map(|r| &r.view).collect();
        plot::comparison_figures(&views, self.with_png).map_err(cannot_draw)
    }

    /// The report's sections: the variants compared, then each run's charts, and its network's
    /// where they differ from those already shown.
    fn sections<'a>(&'a self, compared: &'a [Figure]) -> Vec<Section<'a>> {
        let mut sections = Vec::new();
        if !compared.is_empty() {
            sections.push(Section {
                heading: "Variants compared".to_string(),
                id_prefix: String::new(),
                figures: compared.iter().collect(),
            });
        }
        let mut shown = Vec::new();
        for run in &self.runs {
            let mut figures: Vec<&Figure> = run.figures.iter().collect();
            if !shown.contains(&run.network) {
                shown.push(run.network);
                figures.extend(&self.networks[run.network]);
            }
            let (heading, id_prefix) = match &run.view.variant {
                Some(variant) => (format!("Variant {variant}"), format!("{variant}-")),
                None => ("Plots".to_string(), String::new()),
            };
            sections.push(Section { heading, id_prefix, figures });
        }
        sections
    }
}

fn cannot_draw(error: String) -> Failure {
    Failure::Output(format!("cannot draw: {error}"))
}

/// Makes `dir` hold exactly `figures` (see [`plot::write`]).
pub fn write_plots(dir: &Path, figures: &[&Figure]) -> Result<(), Failure> {
    plot::write(dir, figures).map_err(|e| Failure::Output(format!("cannot write plots into {}: {e}", dir.display())))
}

/// What a page says of the runs besides the figures.
pub struct PageText<'a> {
    pub path: &'a Path,
    /// A plan of the scenario (any variant's: they share its name and description).
    pub plan: &'a ScenarioPlan,
    /// `seed 42`, or `seeds 1–5 (tables: seed 1)`.
    pub seeds: String,
    pub summaries: Vec<&'a Summary>,
    pub checks: Option<Checks>,
}

/// The page of a scenario's runs.
pub fn page(text: PageText, gallery: &Gallery, compared: &[Figure]) -> String {
    let report = Report {
        scenario: text.plan.name.clone(),
        source: text.path.display().to_string(),
        description: text.plan.description.clone(),
        seeds: text.seeds,
        summaries: text.summaries,
        checks: text.checks,
        sections: gallery.sections(compared),
    };
    html::render(&report)
}

/// The expectations of a run of some variants, judged as `check` judges them on one
/// replication. Those reading a variant that did not run (`run --variant`) are counted, not
/// judged. `None` when the scenario states none.
pub fn judge_run(expectations: &[Expectation], runs: &[VariantRuns]) -> Option<Checks> {
    if expectations.is_empty() {
        return None;
    }
    let ran = |name: &str| runs.iter().any(|r| r.name.as_deref() == Some(name));
    let judgeable: Vec<Expectation> = expectations.iter().filter(|e| e.variants_read().into_iter().all(ran)).cloned().collect();
    let unjudged = expectations.len() - judgeable.len();
    let rows = match evaluate::evaluate(&judgeable, runs) {
        Ok(verdicts) => rows(&judgeable, &verdicts),
        Err(bad) => bad
            .iter()
            .map(|b| CheckRow { label: judgeable[b.expectation].text.clone(), passed: false, result: b.message.clone() })
            .collect(),
    };
    Some(Checks { rows, unjudged })
}

/// Verdicts as the page lists them, labelled as `check` prints them.
pub fn rows(expectations: &[Expectation], verdicts: &[Verdict]) -> Vec<CheckRow> {
    verdicts
        .iter()
        .map(|verdict| {
            let expectation = &expectations[verdict.expectation];
            CheckRow {
                label: super::check::label(expectation, verdict),
                passed: verdict.passed,
                result: super::check::result_text(expectation, verdict),
            }
        })
        .collect()
}
