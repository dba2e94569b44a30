//! Plots and `report.html` for `run` and `check`: draws each run's figures, writes them where
//! asked, and assembles the page from the runs, the expectations and the figures.

use super::Failure;
use crate::outcome::evaluate;
use crate::outcome::junit::Suite;
use crate::outcome::replicate::VariantRuns;
use crate::plot::view::RunView;
use crate::plot::{self, Figure};
use crate::report::html::{self, CheckRow, Report, Section};
use crate::scenario::variants::Variant;
use crate::scenario::{self, Loaded};
use std::path::Path;

/// A run's view and its figures.
pub struct Pictures {
    pub view: RunView,
    pub figures: Vec<Figure>,
}

/// Draws a run's figures; writes them into `write_into` if given.
pub fn draw(view: RunView, write_into: Option<&Path>) -> Result<Pictures, Failure> {
    let figures = plot::figures(&view).map_err(|e| Failure::Output(format!("cannot draw: {e}")))?;
    if let Some(dir) = write_into {
        plot::write(dir, &figures, &plot::RUN_STEMS)
            .map_err(|e| Failure::Output(format!("cannot write plots into {}: {e}", dir.display())))?;
    }
    Ok(Pictures { view, figures })
}

/// With two variants or more, their latency on one chart each; written into `write_into` if
/// given.
pub fn compare_variants(views: &[&RunView], write_into: Option<&Path>) -> Result<Vec<Figure>, Failure> {
    if views.len() < 2 {
        return Ok(Vec::new());
    }
    let figures = plot::comparison_figures(views).map_err(|e| Failure::Output(format!("cannot draw: {e}")))?;
    if let Some(dir) = write_into {
        plot::write(dir, &figures, &plot::COMPARISON_STEMS)
            .map_err(|e| Failure::Output(format!("cannot write plots into {}: {e}", dir.display())))?;
    }
    Ok(figures)
}

/// The page of a scenario's runs: tables from each variant's first replication, its
/// expectations judged on all of them, the variants compared, then each variant's figures
/// (a figure identical to one already shown, like the RTT heatmap, is not repeated).
pub fn page(path: &Path, runs: &[VariantRuns], drawn: Vec<Pictures>, compared: Vec<Figure>, seeds: String) -> Result<String, Failure> {
    let set = match scenario::load_any(path)? {
        Loaded::Scenario(set) => set,
        Loaded::Topology(_) => return Err(Failure::Input(format!("{}: a topology, not a scenario", path.display()))),
    };
    let checks = (!set.expectations.is_empty()).then(|| check_rows(&set.expectations, runs));
    let first = &set.variants[0].plan;
    let mut sections = Vec::new();
    if !compared.is_empty() {
        sections.push(Section { heading: "Variants compared".to_string(), figures: compared });
    }
    let mut shown: Vec<String> = Vec::new();
    for pictures in drawn {
        let heading = match pictures.view.title.split_once(" · ") {
            Some((_, variant)) => format!("Variant {variant}"),
            None => "Plots".to_string(),
        };
        let figures: Vec<Figure> = pictures.figures.into_iter().filter(|f| !shown.contains(&f.svg)).collect();
        shown.extend(figures.iter().filter(|f| f.stem.starts_with("rtt") || f.stem == "world_map").map(|f| f.svg.clone()));
        sections.push(Section { heading, figures });
    }
    let report = Report {
        scenario: first.name.clone(),
        source: path.display().to_string(),
        description: first.description.clone(),
        seeds,
        summaries: runs.iter().map(|r| &r.replications[0].summary).collect(),
        checks,
        sections,
    };
    Ok(html::render(&report))
}

/// Each expectation judged on `runs`, labelled as `check` prints it.
pub fn check_rows(expectations: &[crate::outcome::Expectation], runs: &[VariantRuns]) -> Vec<CheckRow> {
    match evaluate::evaluate(expectations, runs) {
        Ok(verdicts) => verdicts
            .iter()
            .map(|verdict| {
                let expectation = &expectations[verdict.expectation];
                CheckRow {
                    label: super::check::label(expectation, verdict),
                    passed: verdict.passed,
                    result: super::check::result_text(expectation, verdict),
                }
            })
            .collect(),
        Err(bad) => bad
            .iter()
            .map(|b| CheckRow { label: expectations[b.expectation].text.clone(), passed: false, result: b.message.clone() })
            .collect(),
    }
}

/// `check --report`: a scenario's page, its figures drawn from one more run of each variant on
/// the first seed (the replications keep no timeline; the same seed gives the same run).
pub fn check_page(path: &Path, variants: &[Variant], first_seed: u64, runs: &[VariantRuns], seeds: String) -> Result<String, Failure> {
    let mut drawn = Vec::new();
    for variant in variants {
        let mut plan = variant.plan.clone();
        plan.seed = first_seed;
        let result = crate::sim::run(&plan);
        let summary = crate::report::summary::build(&plan, &result);
        drawn.push(draw(RunView::of_run(&plan, &result, &summary), None)?);
    }
    let views: Vec<&RunView> = drawn.iter().map(|d| &d.view).collect();
    let compared = compare_variants(&views, None)?;
    page(path, runs, drawn, compared, seeds)
}

/// `index.html` of `check --report`: each scenario with its counts and a link to its page.
pub fn index(suites: &[Suite]) -> String {
    let mut rows = String::new();
    for suite in suites {
        let name = html::escape(&suite.name);
        let (passed, failed) = (suite.passed(), suite.failed());
        let cell = match &suite.error {
            Some(error) => format!("<td colspan=\"2\" class=\"fail\">bad input: {}</td>", html::escape(error.lines().next().unwrap_or(""))),
            None if passed + failed == 0 => "<td colspan=\"2\">no expectations</td>".to_string(),
            None => format!("<td class=\"pass\">{passed}</td><td class=\"{}\">{failed}</td>", if failed > 0 { "fail" } else { "pass" }),
        };
        let link = if suite.error.is_none() && passed + failed > 0 {
            format!("<a href=\"{}.html\">{name}</a>", html::escape(&suite.class))
        } else {
            name
        };
        rows.push_str(&format!("<tr><td>{link}</td>{cell}</tr>\n"));
    }
    html::index_page(&rows)
}
