//! Reading scenario and topology files: YAML in, validated plans out, or every problem found.
//!
//! Architecture invariant: this is the only module that knows YAML or serde. Files are parsed
//! with serde-saphyr (panic-free, with budgets against alias bombs and located errors).

pub mod checks;
pub mod data;
pub mod diagnostic;
pub mod expect;
pub mod faults;
pub mod files;
pub mod health;
pub mod measured;
pub mod operations;
pub mod path;
pub mod placement;
pub mod policy;
pub mod replication;
pub mod schema;
pub mod services;
pub mod shedding;
pub mod topology;
pub mod units;
pub mod validate;
pub mod variants;
pub mod windows;

pub use diagnostic::{Diagnostic, LoadError};

use crate::sim::plan::ScenarioPlan;
use crate::world::Topology;
use diagnostic::{Problems, from_yaml_error};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Input files larger than this are refused before parsing.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What kind of file `validate` was given.
pub enum Loaded {
    /// The base scenario and each of its variants, and its expectations, all validated.
    Scenario(variants::ScenarioSet),
    Topology(Box<Topology>),
}

fn read(path: &Path) -> Result<String, LoadError> {
    let metadata = std::fs::metadata(path).map_err(|e| Diagnostic::whole_file(path, format!("cannot read the file: {e}")))?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(
            Diagnostic::whole_file(path, format!("the file is {} bytes, over the {MAX_FILE_BYTES}-byte limit", metadata.len())).into()
        );
    }
    std::fs::read_to_string(path).map_err(|e| Diagnostic::whole_file(path, format!("cannot read the file: {e}")).into())
}

fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, LoadError> {
    if text.trim().is_empty() {
        return Err(Diagnostic::whole_file(path, "the file is empty").into());
    }
    serde_saphyr::from_str(text).map_err(|error| from_yaml_error(path, &error).into())
}

pub fn load_topology(path: &Path) -> Result<Topology, LoadError> {
    let text = read(path)?;
    let file: files::TopologyFile = parse(path, &text)?;
    topology::validate_topology(path, file)
}

pub fn load_scenario(path: &Path) -> Result<ScenarioPlan, LoadError> {
    let text = read(path)?;
    let file: files::ScenarioFile = parse(path, &text)?;
    plan_from_file(path, &file)
}

/// Validates a parsed scenario (its variants aside) into a plan.
fn plan_from_file(path: &Path, file: &files::ScenarioFile) -> Result<ScenarioPlan, LoadError> {
    let mut problems = Problems::new(path);
    let topology_path = resolve_relative(path, &file.topology.value);
    let topology = match load_topology(&topology_path) {
        Ok(topology) => topology,
        Err(error) => {
            problems
                .on(&file.topology, "topology", format!("the topology `{}` could not be loaded (problems below)", topology_path.display()))
                .expected("a valid topology file, relative to this scenario");
            problems.list.extend(error.diagnostics);
            return Err(LoadError { diagnostics: problems.list });
        }
    };
    let plan = validate::validate_scenario(&mut problems, file, topology);
    match plan {
        Some(plan) if problems.is_empty() => Ok(plan),
        _ => problems.finish(()).map(|_| unreachable!("problems were recorded")),
    }
}

/// Loads either kind of file, telling them apart by their top-level keys.
pub fn load_any(path: &Path) -> Result<Loaded, LoadError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        topology: Option<serde::de::IgnoredAny>,
    }
    let text = read(path)?;
    let probe: Probe = parse(path, &text)?;
    if probe.topology.is_some() {
        variants::load(path).map(Loaded::Scenario)
    } else {
        load_topology(path).map(|topology| Loaded::Topology(Box::new(topology)))
    }
}

/// A path written inside `file`, taken relative to the folder that holds `file`.
pub fn resolve_relative(file: &Path, written: &str) -> PathBuf {
    let written = Path::new(written);
    if written.is_absolute() {
        return written.to_path_buf();
    }
    file.parent().unwrap_or(Path::new(".")).join(written)
}
