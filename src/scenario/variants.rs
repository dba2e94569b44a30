//! Variants: one scenario run several ways on the same seed, for example a naive and a hardened
//! client policy.
//!
//! A variant names values to replace by their YAML path (`clients[0].retries.max: 3`,
//! `services[0].workers: 64`). The base file is loaded and validated first, with its own
//! locations. Each variant is then the base document with its values replaced, loaded and
//! validated exactly like a file. A problem that only a variant has is reported at that
//! variant's `set:`, naming the variant and the offending key.

use super::diagnostic::{Diagnostic, LoadError, Problems};
use super::files::{ScenarioFile, VariantFile};
use super::path::{Step, parse as parse_path, render as render_path};
use crate::sim::plan::ScenarioPlan;
use serde_json::Value;
use std::path::Path;

/// A scenario as it will run: the base, or one of its variants.
pub struct Variant {
    /// `None` for a scenario without variants.
    pub name: Option<String>,
    pub plan: ScenarioPlan,
}

/// Keys a variant may not change: they would make its runs incomparable with the others'.
const FIXED_KEYS: [&str; 7] = ["name", "seed", "variants", "topology", "windows", "expect", "replications"];

/// A scenario file as `run` and `check` use it: its variants, its expectations, and how many
/// replications its expectations were written for.
pub struct ScenarioSet {
    /// The base alone, or each variant.
    pub variants: Vec<Variant>,
    pub expectations: Vec<crate::outcome::Expectation>,
    /// Replications `check` runs unless told otherwise (`replications:`, default 1).
    pub replications: usize,
}

/// At most this many replications from a scenario file.
pub const MAX_REPLICATIONS: i64 = 1000;

/// Loads a scenario and each of its variants; without variants, the scenario alone.
pub fn load_variants(path: &Path) -> Result<Vec<Variant>, LoadError> {
    load(path).map(|set| set.variants)
}

/// Loads a scenario, its variants and its expectations, every problem reported at once.
pub fn load(path: &Path) -> Result<ScenarioSet, LoadError> {
    let text = super::read(path)?;
    let file: ScenarioFile = super::parse(path, &text)?;
    let base = super::plan_from_file(path, &file)?;
    let mut problems = Problems::new(path);
    let names: Vec<String> = file.variants.iter().map(|v| v.name.value.clone()).collect();
    let replications = file
        .replications
        .as_ref()
        .map_or(Some(1), |r| super::checks::whole::<usize>(&mut problems, r, "replications", 1, MAX_REPLICATIONS));
    let (variants, base) = if file.variants.is_empty() {
        (vec![Variant { name: None, plan: base }], None)
    } else {
        check_names(&mut problems, &file.variants);
        let tree = document(path, &text)?;
        let mut variants = Vec::new();
        for (index, variant) in file.variants.iter().enumerate() {
            match variant_plan(path, &tree, variant, index) {
                Ok(mut plan) => {
                    plan.variant = Some(variant.name.value.clone());
                    variants.push(Variant { name: Some(variant.name.value.clone()), plan });
                }
                Err(error) => problems.list.extend(error.diagnostics),
            }
        }
        (variants, Some(base))
    };
    // Expectations name what the variants measure; the base stands in if no variant is valid.
    let mut plans: Vec<&ScenarioPlan> = variants.iter().map(|v| &v.plan).collect();
    if plans.is_empty() {
        plans.extend(base.as_ref());
    }
    let expectations = super::expect::expectations(&mut problems, &file, &plans, &names);
    super::expect::measured_in_every_variant(&mut problems, &file, &expectations, &variants);
    problems.finish(ScenarioSet { variants, expectations, replications: replications.unwrap_or(1) })
}

fn document(path: &Path, text: &str) -> Result<Value, LoadError> {
    serde_saphyr::from_str(text).map_err(|e| LoadError::from(super::diagnostic::from_yaml_error(path, &e)))
}

/// A YAML scalar as a user would write it, for messages.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One axis of a sweep: a path into the scenario and the values it takes, as written.
#[derive(Clone, Debug)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// `key=v1,v2,…` from the command line.
fn parse_axis(argument: &str) -> Result<Axis, String> {
    let (key, values) = argument.split_once('=').ok_or_else(|| format!("`{argument}` is not `key=value,value,…`"))?;
    let key = key.trim();
    if let Some(Step::Key(first)) = parse_path(key)?.first()
        && FIXED_KEYS.contains(first)
    {
        return Err(format!("`{first}` cannot be swept: it is the same for every run of a scenario"));
    }
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!("`{argument}` has an empty value"));
    }
    Ok(Axis { key: key.to_string(), values })
}

/// The axes of `--set` arguments; a key given twice is refused (only one value could apply).
pub fn parse_axes(arguments: &[String]) -> Result<Vec<Axis>, String> {
    let mut axes: Vec<Axis> = Vec::new();
    for argument in arguments {
        let axis = parse_axis(argument)?;
        if axes.iter().any(|a| a.key == axis.key) {
            return Err(format!("`{}` is set twice: give all its values in one `--set {}=v1,v2,…`", axis.key, axis.key));
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// One point of a sweep: the variant it starts from, the values set, and the plan they give.
pub struct SweepPoint {
    pub variant: Option<String>,
    /// `(key, value as written)` per axis.
    pub settings: Vec<(String, String)>,
    pub plan: ScenarioPlan,
}

/// Every point of the grid (the first axis varies slowest), for each variant in turn (or only
/// `only`), each validated like the file itself.
pub fn sweep_points(path: &Path, axes: &[Axis], only: Option<&str>) -> Result<Vec<SweepPoint>, LoadError> {
    let text = super::read(path)?;
    let file: ScenarioFile = super::parse(path, &text)?;
    let tree = document(path, &text)?;
    let starts: Vec<Option<(usize, &VariantFile)>> = match only {
        None if file.variants.is_empty() => vec![None],
        None => file.variants.iter().enumerate().map(Some).collect(),
        Some(wanted) => vec![Some(file.variants.iter().enumerate().find(|(_, v)| v.name.value == wanted).ok_or_else(|| {
            let names: Vec<&str> = file.variants.iter().map(|v| v.name.value.as_str()).collect();
            no_such_variant(path, wanted, &names)
        })?)],
    };
    let mut points = Vec::new();
    let mut problems = Problems::new(path);
    for start in starts {
        let name = start.map(|(_, v)| v.name.value.clone());
        let (base, located) = match start {
            Some((index, variant)) => variant_tree(path, &tree, variant, index),
            None => (without_variants(&tree), Problems::new(path)),
        };
        problems.list.extend(located.list);
        for combination in grid(axes) {
            let settings: Vec<(String, String)> =
                axes.iter().zip(&combination).map(|(a, &i)| (a.key.clone(), a.values[i].clone())).collect();
            match point_plan(path, &base, &settings) {
                Ok(mut plan) => {
                    plan.variant = name.clone();
                    points.push(SweepPoint { variant: name.clone(), settings, plan });
                }
                Err(error) => {
                    // Every variant usually fails the same way: report each problem once.
                    for diagnostic in error.diagnostics {
                        if !problems.list.contains(&diagnostic) {
                            problems.list.push(diagnostic);
                        }
                    }
                    break;
                }
            }
        }
    }
    problems.finish(points)
}

/// "scenario x has no variant `y` (it has: …)", with the nearest name.
pub fn no_such_variant(path: &Path, wanted: &str, names: &[&str]) -> LoadError {
    let has = if names.is_empty() { "it has none".to_string() } else { format!("it has: {}", names.join(", ")) };
    let mut diagnostic = Diagnostic::whole_file(path, format!("the scenario has no variant `{wanted}` ({has})"));
    diagnostic.key = "--variant".to_string();
    diagnostic.suggestion = super::diagnostic::did_you_mean(wanted, names.iter().copied());
    diagnostic.into()
}

/// Index combinations of the axes' values, the last axis varying fastest.
fn grid(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut combinations = vec![Vec::new()];
    for axis in axes {
        combinations = combinations.into_iter().flat_map(|c| (0..axis.values.len()).map(move |i| [c.clone(), vec![i]].concat())).collect();
    }
    combinations
}

fn point_plan(path: &Path, base: &Value, settings: &[(String, String)]) -> Result<ScenarioPlan, LoadError> {
    let mut tree = base.clone();
    let label = settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    for (key, written) in settings {
        let value: Value = serde_saphyr::from_str(written).unwrap_or_else(|_| Value::String(written.clone()));
        set_path(&mut tree, key, value).map_err(|m| {
            let mut d = Diagnostic::whole_file(path, m);
            d.key = format!("--set {key}");
            d.expected = Some("a path into the scenario, like `services[0].workers`".to_string());
            LoadError::from(d)
        })?;
    }
    assemble(path, &tree, |d| {
        (d.line, d.column, d.snippet) = (0, 0, None);
        d.message = format!("with {label}: {}", d.message);
    })
}

/// Validates a scenario document like a file; `attribute` points each problem found in it at
/// what made the document (a variant's `set:`, a sweep's `--set`).
fn assemble(path: &Path, tree: &Value, attribute: impl Fn(&mut Diagnostic)) -> Result<ScenarioPlan, LoadError> {
    let text =
        serde_saphyr::to_string(tree).map_err(|e| Diagnostic::whole_file(path, format!("the scenario could not be assembled: {e}")))?;
    let attributed = |error: LoadError| LoadError {
        diagnostics: error
            .diagnostics
            .into_iter()
            .map(|mut d| {
                if d.file == path {
                    attribute(&mut d);
                }
                d
            })
            .collect(),
    };
    let file = super::parse::<ScenarioFile>(path, &text).map_err(attributed)?;
    super::plan_from_file(path, &file).map_err(attributed)
}

/// The scenario document without its `variants:`, the base every variant starts from.
fn without_variants(tree: &Value) -> Value {
    let mut base = tree.clone();
    if let Value::Object(map) = &mut base {
        map.remove("variants");
    }
    base
}

/// A variant's document: the base with the variant's values set. Paths that cannot be set are
/// reported at the variant's `set:`.
fn variant_tree(path: &Path, tree: &Value, variant: &VariantFile, index: usize) -> (Value, Problems) {
    let mut problems = Problems::new(path);
    let mut tree = without_variants(tree);
    for (key, value) in &variant.set.value {
        if let Err(message) = set_path(&mut tree, key, value.clone()) {
            problems
                .on(&variant.set, format!("variants[{index}].set.{key}"), message)
                .expected("a path into the scenario, like `clients[0].retries.max`");
        }
    }
    (tree, problems)
}

fn check_names(problems: &mut Problems, variants: &[VariantFile]) {
    let mut seen = std::collections::BTreeSet::new();
    for (index, variant) in variants.iter().enumerate() {
        let name = variant.name.value.as_str();
        if !super::windows::valid_name(name) {
            problems
                .on(&variant.name, format!("variants[{index}].name"), format!("`{name}` is not a valid variant name"))
                .expected("letters, digits, `-` and `_` (it names a result folder)");
        } else if super::expect::SUMMARY_KEYS.contains(&name) || crate::outcome::metric::is_short_name(name) {
            problems
                .on(&variant.name, format!("variants[{index}].name"), format!("`{name}` is a metric of the summary"))
                .expected("another name: expectations read `<variant>.<metric>`, so a variant cannot share a metric's name");
        } else if !seen.insert(name) {
            problems
                .on(&variant.name, format!("variants[{index}].name"), format!("two variants are called `{name}`"))
                .expected("unique variant names");
        }
    }
}

fn variant_plan(path: &Path, base: &Value, variant: &VariantFile, index: usize) -> Result<ScenarioPlan, LoadError> {
    let (tree, mut problems) = variant_tree(path, base, variant, index);
    // Validate what the valid paths give, so every problem of the variant is reported at once.
    let name = &variant.name.value;
    let assembled = assemble(path, &tree, |d| {
        d.line = variant.set.referenced.line();
        d.column = variant.set.referenced.column();
        d.snippet = None;
        if d.key.is_empty() {
            d.key = format!("variants[{index}].set");
        }
        d.message = format!("in variant `{name}`: {}", d.message);
    });
    match assembled {
        Ok(plan) if problems.is_empty() => Ok(plan),
        Ok(_) => Err(LoadError { diagnostics: problems.list }),
        Err(error) => {
            problems.list.extend(error.diagnostics);
            Err(LoadError { diagnostics: problems.list })
        }
    }
}

/// Replaces the value at `path` in `tree`, creating missing mapping keys on the way.
pub fn set_path(tree: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let steps = parse_path(path)?;
    if let Some(Step::Key(first)) = steps.first()
        && FIXED_KEYS.contains(first)
    {
        return Err(format!("`{first}` is the same for every variant and cannot be set"));
    }
    let mut node = tree;
    for (depth, step) in steps.iter().enumerate() {
        let last = depth + 1 == steps.len();
        node = match step {
            Step::Key(key) => {
                if node.is_null() {
                    *node = Value::Object(serde_json::Map::new());
                }
                let Value::Object(map) = node else {
                    return Err(format!("`{}` is not a mapping, so it has no key `{key}`", render_path(&steps[..depth])));
                };
                map.entry(key.to_string()).or_insert(Value::Null)
            }
            Step::Index(index) => {
                let Value::Array(items) = node else { return Err(format!("`{}` is not a list", render_path(&steps[..depth]))) };
                let count = items.len();
                items
                    .get_mut(*index)
                    .ok_or_else(|| format!("`{}` has {count} entries, so [{index}] does not exist", render_path(&steps[..depth])))?
            }
        };
        if last {
            *node = value;
            return Ok(());
        }
    }
    Err(format!("`{path}` is empty"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_replace_values_and_create_missing_keys() {
        let mut tree = json!({"clients": [{"name": "a", "timeout": "1s"}], "services": []});
        set_path(&mut tree, "clients[0].timeout", json!("2s")).unwrap();
        set_path(&mut tree, "clients[0].retries.max", json!(3)).unwrap();
        assert_eq!(tree["clients"][0]["timeout"], "2s");
        assert_eq!(tree["clients"][0]["retries"]["max"], 3);
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let mut tree = json!({"clients": [{"name": "a"}]});
        assert!(set_path(&mut tree, "clients[3].timeout", json!("2s")).unwrap_err().contains("has 1 entries"));
        assert!(set_path(&mut tree, "clients.timeout", json!("2s")).unwrap_err().contains("is not a mapping"));
        assert!(set_path(&mut tree, "seed", json!(3)).unwrap_err().contains("cannot be set"));
        assert!(set_path(&mut tree, "clients[x]", json!(3)).unwrap_err().contains("not an index"));
    }
}
